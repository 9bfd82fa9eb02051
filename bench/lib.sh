# Sourced by the CRI benchmarks (pod_bench.sh, container_bench.sh): a local registry, CNI networks,
# crio-cpp and containerd started side by side, and their cleanup. The caller sets $work (a
# scratch directory), $build_dir, and the array pids=(); started daemons are added to it. Run-time
# state (runroots, pinned namespaces, exit files) goes under $state, $work unless use_node_run
# was called.

# use_node_run: a node keeps run-time state under /run, a tmpfs (runroots, runc's and the shims'
# state, pinned namespaces, exit files); this VM's /run is on its disk, where every fsync would
# also flush that state. In the bench's own mount namespace (unshare --mount), a tmpfs over /run
# puts every runtime measured, and the runc floor, on the footing of a node. Sets $state.
use_node_run() {
  mount -t tmpfs -o mode=0755 bench-run /run
  state=/run/bench
  mkdir -p "$state"
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

wait_socket() {
  for _ in $(seq 1 300); do [ -S "$1" ] && return 0; sleep 0.05; done
  echo "no socket at $1" >&2
  return 1
}

# Starts Debian's docker-registry on a free loopback port and pushes our pause image (as
# pause:3.10.1) and the busybox fixture (as library/busybox:1). Sets $registry, $pause_image and
# $busybox_image.
start_registry() {
  local port
  port=$(free_port)
  registry="127.0.0.1:$port"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
    "$work/registry" "$registry" >"$work/registry.yml"
  docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  pause_image="$registry/pause:3.10.1"
  busybox_image="$registry/library/busybox:1"
  skopeo copy -q --dest-tls-verify=false "oci:$build_dir/test/fixtures/pause-oci:latest" \
    "docker://$pause_image"
  skopeo copy -q --dest-tls-verify=false "oci:$build_dir/test/fixtures/busybox-oci:latest" \
    "docker://$busybox_image"
}

# write_network NAME BRIDGE SUBNET DIR: a bridge + host-local + portmap conflist in DIR.
write_network() {
  mkdir -p "$4"
  cat >"$4/10-$1.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "$1", "plugins": [
  {"type": "bridge", "bridge": "$2", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$work/ipam", "ranges": [[{"subnet": "$3"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
CNI
}

# start_crio BRIDGE SUBNET: crio-cpp with its defaults except where it must find the bench's own
# pieces, on $work/crio.sock. Sets $crio_pid.
start_crio() {
  write_network bench-crio "$1" "$2" "$work/crio-net.d"
  printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$registry" >"$work/registries.conf"
  printf '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
  : >"$work/crio.conf"
  mkdir -p "$work/crio.conf.d"
  CONTAINERS_REGISTRIES_CONF="$work/registries.conf" "$build_dir/src/crio" \
    --config "$work/crio.conf" --config-dir "$work/crio.conf.d" --listen "$work/crio.sock" \
    --root "$work/crio-storage" --runroot "${state:-$work}/crio-run" --signature-policy "$work/policy.json" \
    --cni-config-dir "$work/crio-net.d" --cni-plugin-dir /usr/lib/cni \
    --pinns-path "$build_dir/pinns/pinns" --conmon "$build_dir/conmon/bin/conmon" \
    --namespaces-dir "${state:-$work}/crio-ns" --container-exits-dir "${state:-$work}/crio-exits" \
    --pause-image "$pause_image" --log-level warn >"$work/crio.log" 2>&1 &
  crio_pid=$!
  pids+=($crio_pid)
  wait_socket "$work/crio.sock"
}

# start_containerd BRIDGE SUBNET: Debian's containerd with its CRI plugin on $work/containerd.sock:
# its own root, state and CNI network, runc through its v2 shim. Sets $containerd_pid.
start_containerd() {
  write_network bench-containerd "$1" "$2" "$work/containerd-net.d"
  cat >"$work/containerd.toml" <<TOML
version = 2
root = "$work/containerd-root"
state = "${state:-$work}/containerd-state"
[grpc]
  address = "$work/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # This host (like nested nodes) lacks CAP_SYS_RESOURCE: without this, runc cannot give pause
  # containers their oom_score_adj of -998 and every pod fails.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/containerd-net.d"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."$registry"]
    endpoint = ["http://$registry"]
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
TOML
  containerd --config "$work/containerd.toml" --log-level warn >"$work/containerd.log" 2>&1 &
  containerd_pid=$!
  pids+=($containerd_pid)
  wait_socket "$work/containerd.sock"
}

# stop_all CGROUP_PARENT...: removes what the daemons still hold (through them, while they run),
# stops everything started, ends this run's containerd shims, unmounts and removes $work and the
# named cgroup parents (the kubelet's to remove on a real node).
stop_all() {
  local sock
  for sock in crio containerd; do
    [ -S "$work/$sock.sock" ] &&
      "$build_dir/src/crioctl" -r "unix://$work/$sock.sock" -t 60s rmp -fa >/dev/null 2>&1 || true
  done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for pidfile in "${state:-$work}"/containerd-state/io.containerd.runtime.v2.task/k8s.io/*/shim.pid; do
    [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
  local hierarchy parent
  for hierarchy in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
    for parent in "$@"; do
      [ -d "$hierarchy/$parent" ] && find "$hierarchy/$parent" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  done
  true
}
