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
  exec env POD_BENCH_NETNS=1 unshare --net --mount --propagation private -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/pod-bench.XXXXXX)
pids=()
source "$(dirname "$0")/lib.sh"
use_node_run
trap 'stop_all pod-bench; rm -rf /tmp/pod-bench-logs' EXIT

start_registry
start_crio pbcrio0 10.92.0.0/16
start_containerd pbctrd0 10.93.0.0/16

echo "Pod benchmark: $count pods per series, runc, bridge+host-local+portmap CNI, $(nproc) CPUs"
"$build_dir/bench/pod_bench" --endpoint "unix://$work/crio.sock" --label "crio-cpp (no pause ctr)" \
  --count "$count" --daemon-pid "$crio_pid"
"$build_dir/bench/pod_bench" --endpoint "unix://$work/crio.sock" --label "crio-cpp (shared pid)" \
  --count "$count" --shared-pid --daemon-pid "$crio_pid"
"$build_dir/bench/pod_bench" --endpoint "unix://$work/containerd.sock" --label "containerd 1.6" \
  --count "$count" --pull "$pause_image" --daemon-pid "$containerd_pid"
