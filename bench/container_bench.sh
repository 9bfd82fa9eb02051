#!/usr/bin/env bash
# Container benchmark: CreateContainer/StartContainer latency and the container lifecycle against
# crio-cpp and Debian's containerd (CRI plugin) in the same run, with the same pod and container
# configs and the same busybox image from a local registry, beside the floor both stand on: runc
# alone running the same root filesystem. Everything runs in a network namespace of its own and
# is removed at the end.
#
#   bench/container_bench.sh [BUILD_DIR] [CONTAINERS, default 50]
set -euo pipefail

build_dir=$(realpath "${1:-build}")
count=${2:-50}
if [ -z "${CONTAINER_BENCH_NETNS:-}" ]; then
  exec env CONTAINER_BENCH_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/container-bench.XXXXXX)
pids=()
crio_pid=
containerd_pid=
cleanup() {
  # Normally the client has removed its pod; after a failure the daemons remove what is left,
  # while they still run, so that no conmon, shim or container outlives the bench.
  if [ -n "$crio_pid" ] && kill -0 "$crio_pid" 2>/dev/null; then
    "$build_dir/src/crioctl" -r "unix://$work/crio.sock" -t 60s rmp -fa >/dev/null 2>&1 || true
  fi
  if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then
    "$build_dir/src/crioctl" -r "unix://$work/containerd.sock" -t 60s rmp -fa >/dev/null 2>&1 || true
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Shims outlive containerd; only this run's, found through its own state directory.
  for pidfile in "$work"/containerd-state/io.containerd.runtime.v2.task/k8s.io/*/shim.pid; do
    [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  if [ -d "$work/runc/state" ]; then
    for id in $(runc --root "$work/runc/state" list -q 2>/dev/null); do
      runc --root "$work/runc/state" delete -f "$id" 2>/dev/null || true
    done
  fi
  grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
  # The pod's cgroup parent and the runc floor's (the kubelet's to remove on a real node).
  for hierarchy in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
    for parent in container-bench container-bench-runc; do
      [ -d "$hierarchy/$parent" ] && find "$hierarchy/$parent" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  done
  true
}
trap cleanup EXIT

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

port=$(free_port)
registry="127.0.0.1:$port"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
  "$work/registry" "$registry" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "oci:$build_dir/test/fixtures/pause-oci:latest" \
  "docker://$registry/pause:3.10.1"
skopeo copy -q --dest-tls-verify=false "oci:$build_dir/test/fixtures/busybox-oci:latest" \
  "docker://$registry/library/busybox:1"
pause_image="$registry/pause:3.10.1"
busybox_image="$registry/library/busybox:1"

network() {  # NAME BRIDGE SUBNET DIR
  mkdir -p "$4"
  cat >"$4/10-$1.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "$1", "plugins": [
  {"type": "bridge", "bridge": "$2", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$work/ipam", "ranges": [[{"subnet": "$3"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
CNI
}

# crio-cpp, with its defaults except where it must find the bench's own pieces.
network bench-crio cbcrio0 10.94.0.0/16 "$work/crio-net.d"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$registry" >"$work/registries.conf"
printf '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
: >"$work/crio.conf"
mkdir -p "$work/crio.conf.d"
CONTAINERS_REGISTRIES_CONF="$work/registries.conf" "$build_dir/src/crio" \
  --config "$work/crio.conf" --config-dir "$work/crio.conf.d" --listen "$work/crio.sock" \
  --root "$work/crio-storage" --runroot "$work/crio-run" --signature-policy "$work/policy.json" \
  --cni-config-dir "$work/crio-net.d" --cni-plugin-dir /usr/lib/cni \
  --pinns-path "$build_dir/pinns/pinns" --conmon "$build_dir/conmon/bin/conmon" \
  --namespaces-dir "$work/crio-ns" --container-exits-dir "$work/crio-exits" \
  --pause-image "$pause_image" --log-level warn >"$work/crio.log" 2>&1 &
crio_pid=$!
pids+=($crio_pid)
wait_socket "$work/crio.sock"

# containerd's CRI plugin, configured as in pod_bench.sh: its own root, state, socket and CNI
# network; runc through its v2 shim.
network bench-containerd cbctrd0 10.95.0.0/16 "$work/containerd-net.d"
cat >"$work/containerd.toml" <<TOML
version = 2
root = "$work/containerd-root"
state = "$work/containerd-state"
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

echo "Container benchmark: $count containers per series (busybox, sleep 3600), runc $(runc --version | awk 'NR==1{print $3}'), one pod with a PID namespace per container, $(nproc) CPUs"
bench=("$build_dir/bench/container_bench" --count "$count" --tsv)
# A runtime that fails outright loses its row, not the others'.
"${bench[@]}" --runc-floor "$build_dir/test/fixtures/busybox-rootfs" --work "$work/runc" \
  --label "runc floor" >"$work/results.tsv" || echo "runc floor failed" >&2
"${bench[@]}" --endpoint "unix://$work/crio.sock" --label "crio-cpp" --image "$busybox_image" \
  --log-root "$work/logs" --daemon-pid "$crio_pid" >>"$work/results.tsv" ||
  echo "crio-cpp run failed" >&2
"${bench[@]}" --endpoint "unix://$work/containerd.sock" --label "containerd 1.6" \
  --image "$busybox_image" --pull "$pause_image" --log-root "$work/logs" \
  --daemon-pid "$containerd_pid" >>"$work/results.tsv" || echo "containerd run failed" >&2
# The daemons' own account of any failure, before cleanup removes their logs.
if awk -F'\t' '$11 != 0 { bad = 1 } END { exit !bad }' "$work/results.tsv" ||
  [ "$(wc -l <"$work/results.tsv")" -lt 4 ]; then
  for log in crio containerd; do
    echo "--- last lines of $log.log" >&2
    tail -n 20 "$work/$log.log" >&2
  done
fi

awk -F'\t' '
  BEGIN {
    printf "%-28s %17s %17s %17s %17s %9s %8s\n", "(ms, median/p99)", "CreateContainer",
           "StartContainer", "create+start", "lifecycle", "peak RSS", "failures"
  }
  {
    printf "%-28s %8s/%8s %8s/%8s %8s/%8s %8s/%8s %9s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8,
           $9, $10 == "-" ? "-" : $10 " MiB", $11
    median[$1] = $6
  }
  END {
    print "runc floor: `runc run -d` of the same rootfs (create+start), then `runc delete -f` (lifecycle);"
    print "  (create; start): `runc create`, `runc start`, `runc delete -f`, the calls CRI needs."
    print "lifecycle: create, start, status, stop (timeout 0), remove."
    ours = median["crio-cpp"]; floor = median["runc floor"]; other = median["containerd 1.6"]
    pair = median["runc floor (create; start)"]
    if (ours <= 0) exit
    printf "create+start median, crio-cpp against:"
    if (floor > 0) printf " runc floor %.2fx (target <= 1.3x),", ours / floor
    if (pair > 0) printf " runc create; start %.2fx,", ours / pair
    if (other > 0) printf " containerd %.2fx (target <= 0.5x)", ours / other
    print ""
  }' "$work/results.tsv"
