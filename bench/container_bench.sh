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
  exec env CONTAINER_BENCH_NETNS=1 unshare --net --mount --propagation private -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/container-bench.XXXXXX)
pids=()
source "$(dirname "$0")/lib.sh"
use_node_run
cleanup() {
  # The runc floor's containers are not a daemon's: delete them here.
  if [ -d "$state/runc-floor/state" ]; then
    for id in $(runc --root "$state/runc-floor/state" list -q 2>/dev/null); do
      runc --root "$state/runc-floor/state" delete -f "$id" 2>/dev/null || true
    done
  fi
  stop_all container-bench container-bench-runc
}
trap cleanup EXIT

start_registry
start_crio cbcrio0 10.94.0.0/16
start_containerd cbctrd0 10.95.0.0/16

echo "Container benchmark: $count containers per series (busybox, sleep 3600), runc $(runc --version | awk 'NR==1{print $3}'), one pod with a PID namespace per container, $(nproc) CPUs"

# series PROFILE: every runtime with containers asking for seccomp PROFILE, and the table.
series() {
  local profile=$1 results="$work/results-$1.tsv" ours="$work/crio-$1.tsv"
  local bench=("$build_dir/bench/container_bench" --count "$count" --tsv --seccomp "$profile")
  # A runtime that fails outright loses its row, not the others'. crio-cpp goes first and saves
  # the runtime spec it generated, so that the floor runs the same bundle through runc alone.
  "${bench[@]}" --endpoint "unix://$work/crio.sock" --label "crio-cpp" --image "$busybox_image" \
    --log-root "$work/logs" --daemon-pid "$crio_pid" --save-spec "$work/crio-spec-$profile.json" \
    >"$ours" || echo "crio-cpp run failed" >&2
  local floor_spec=()
  [ -s "$work/crio-spec-$profile.json" ] && floor_spec=(--spec "$work/crio-spec-$profile.json")
  "${bench[@]}" --runc-floor "$build_dir/test/fixtures/busybox-rootfs" --work "$state/runc-floor" \
    "${floor_spec[@]}" --label "runc floor" >"$results" || echo "runc floor failed" >&2
  cat "$ours" >>"$results"
  "${bench[@]}" --endpoint "unix://$work/containerd.sock" --label "containerd 1.6" \
    --image "$busybox_image" --pull "$pause_image" --log-root "$work/logs" \
    --daemon-pid "$containerd_pid" >>"$results" || echo "containerd run failed" >&2
  # The daemons' own account of any failure, before cleanup removes their logs.
  if awk -F'\t' '$11 != 0 { bad = 1 } END { exit !bad }' "$results" ||
    [ "$(wc -l <"$results")" -lt 4 ]; then
    for log in crio containerd; do
      echo "--- last lines of $log.log" >&2
      tail -n 20 "$work/$log.log" >&2
    done
  fi

  echo
  echo "seccomp $profile:"
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
      ours = median["crio-cpp"]; floor = median["runc floor"]; other = median["containerd 1.6"]
      pair = median["runc floor (create; start)"]
      if (ours <= 0) exit
      printf "create+start median, crio-cpp against:"
      if (floor > 0) printf " runc floor %.2fx (target <= 1.3x),", ours / floor
      if (pair > 0) printf " runc create; start %.2fx,", ours / pair
      if (other > 0) printf " containerd %.2fx (target <= 0.5x)", ours / other
      print ""
    }' "$results"
}

# What the kubelet sends for a pod that names no profile (its default, without --seccomp-default),
# then the RuntimeDefault every pod of the "restricted" Pod Security level asks for. Each runtime
# applies its own default profile: CRI-O's (ours) has more rules than containerd's.
series unconfined
series runtime-default
echo
echo "runc floor: \`runc run -d\` of the bundle crio-cpp generated (its spec over the same rootfs;"
echo "  pod namespaces joined from a holder process) for create+start, then \`runc delete -f\`;"
echo "  (create; start): \`runc create\`, \`runc start\`, \`runc delete -f\`, the calls CRI needs."
echo "lifecycle: create, start, status, stop (timeout 0), remove."
