#!/usr/bin/env bash
# Streaming benchmark: exec round-trip latency (`crioctl exec CTR true`, a new CLI process, gRPC
# call and streaming session each time) over SPDY and WebSocket, beside ExecSync (`exec -s`), and
# port-forward throughput (a 256 MiB transfer from a server in the pod through `crioctl
# port-forward`), with the daemon's peak RSS. Everything runs in a network namespace of its own
# and is removed at the end.
#
#   bench/stream_bench.sh [BUILD_DIR] [EXECS, default 100] [MIB, default 256]
set -euo pipefail

build_dir=$(realpath "${1:-build}")
count=${2:-100}
mib=${3:-256}
if [ -z "${STREAM_BENCH_NETNS:-}" ]; then
  exec env STREAM_BENCH_NETNS=1 unshare --net --mount --propagation private -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/stream-bench.XXXXXX)
pids=()
source "$(dirname "$0")/lib.sh"
use_node_run
trap 'stop_all stream-bench' EXIT

start_registry
start_crio sbcrio0 10.97.0.0/16
crioctl=("$build_dir/src/crioctl" -r "unix://$work/crio.sock" -t 60s)

mkdir -p "$work/logs"
cat >"$work/pod.json" <<JSON
{"metadata": {"name": "stream-bench", "namespace": "bench", "uid": "stream-bench-uid"},
 "log_directory": "$work/logs", "linux": {"cgroup_parent": "/stream-bench"}}
JSON
# The server sends $mib MiB to each connection on port 9000; the container also takes execs.
cat >"$work/ctr.json" <<JSON
{"metadata": {"name": "server"}, "image": {"image": "$busybox_image"}, "log_path": "server.log",
 "command": ["sh", "-c", "while :; do dd if=/dev/zero bs=1048576 count=$mib 2>/dev/null | nc -l -p 9000 127.0.0.1; done"]}
JSON
"${crioctl[@]}" pull "$busybox_image" >/dev/null
pod=$("${crioctl[@]}" runp "$work/pod.json")
ctr=$("${crioctl[@]}" create "$pod" "$work/ctr.json" "$work/pod.json")
"${crioctl[@]}" start "$ctr" >/dev/null

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }
# median and p99 of the numbers on stdin
stats() { sort -n | awk '{v[NR] = $1} END {printf "median %.1f ms p99 %.1f ms", v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)]}'; }

exec_series() {
  local label=$1
  shift
  : >"$work/times"
  for _ in $(seq 1 "$count"); do
    local begin end
    begin=$(now_ms)
    "${crioctl[@]}" exec "$@" "$ctr" true
    end=$(now_ms)
    awk -v b="$begin" -v e="$end" 'BEGIN {printf "%.3f\n", e - b}' >>"$work/times"
  done
  printf '%-28s %s\n' "$label" "$(stats <"$work/times")"
}

echo "Streaming benchmark: $count execs per series, $mib MiB through port-forward, runc $(runc --version | awk 'NR==1{print $3}'), $(nproc) CPUs"
exec_series "exec (SPDY)"
exec_series "exec (WebSocket)" --transport websocket
exec_series "exec -s (ExecSync)" -s

forward_series() {
  local label=$1
  shift
  "${crioctl[@]}" port-forward "$@" "$pod" :9000 >"$work/forward.out" 2>&1 &
  local forward=$!
  local port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$work/forward.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  local begin end bytes
  begin=$(now_ms)
  # bash's /dev/tcp never half-closes, so the server's nc keeps sending until it is done.
  bytes=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && cat <&3) | wc -c)
  end=$(now_ms)
  kill -INT "$forward" 2>/dev/null || true
  wait "$forward" 2>/dev/null || true
  awk -v label="$label" -v bytes="$bytes" -v ms="$(awk -v b="$begin" -v e="$end" 'BEGIN {print e - b}')" 'BEGIN {
    printf "%-28s %d MiB in %.0f ms: %.1f MiB/s\n", label, bytes / 1048576, ms, bytes / 1048576 / (ms / 1000)
  }'
}
forward_series "port-forward (SPDY)"
# The server needs a moment to listen again after each transfer.
sleep 1
forward_series "port-forward (WebSocket)" --transport websocket

awk '/VmHWM/ {printf "daemon peak RSS %.1f MiB\n", $2 / 1024}' "/proc/$crio_pid/status"
