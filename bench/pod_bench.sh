#!/usr/bin/env bash
# Pod benchmark: RunPodSandbox latency and the pod lifecycle against crio-cpp and against Debian's
# containerd (CRI plugin), in the same run, on the same machine, with the same CNI plugins and the
# same pod configs. Everything runs in a network namespace of its own and is removed at the end.
#
#   bench/pod_bench.sh [BUILD_DIR] [PODS, default 50]
set -euo pipefail

build_dir=$(realpath "${1:-build}")
count=${2:-50}
if [ -z "${POD_BENCH_NETNS:-}" ]; then
  exec env POD_BENCH_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/pod-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # containerd's pause shims outlive it when pods were left behind.
  pkill -f "containerd-shim-runc-v2 -namespace k8s.io -address $work" 2>/dev/null || true
  grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work" /tmp/pod-bench-logs
  # The pods' cgroup parent (the kubelet's to remove on a real node).
  for hierarchy in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
    [ -d "$hierarchy/pod-bench" ] && find "$hierarchy/pod-bench" -depth -type d -exec rmdir {} + 2>/dev/null
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
pause_image="$registry/pause:3.10.1"

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
network bench-crio pbcrio0 10.92.0.0/16 "$work/crio-net.d"
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

# containerd's CRI plugin: its own root, state, socket and CNI network; runc through its v2 shim.
network bench-containerd pbctrd0 10.93.0.0/16 "$work/containerd-net.d"
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

echo "Pod benchmark: $count pods per series, runc, bridge+host-local+portmap CNI, $(nproc) CPUs"
"$build_dir/bench/pod_bench" --endpoint "unix://$work/crio.sock" --label "crio-cpp (no pause ctr)" \
  --count "$count" --daemon-pid "$crio_pid"
"$build_dir/bench/pod_bench" --endpoint "unix://$work/crio.sock" --label "crio-cpp (shared pid)" \
  --count "$count" --shared-pid --daemon-pid "$crio_pid"
"$build_dir/bench/pod_bench" --endpoint "unix://$work/containerd.sock" --label "containerd 1.6" \
  --count "$count" --pull "$pause_image" --daemon-pid "$containerd_pid"
