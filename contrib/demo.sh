#!/usr/bin/env bash
# `make demo`: start crio with its built-in defaults on a temporary socket and talk to it with
# crioctl. Everything it starts is stopped and removed when it ends, whatever happens.
set -euo pipefail

build_dir=$(realpath "${1:-build}")
# The demo's pods get a bridge, addresses and iptables rules: all of it stays inside a network
# namespace of the demo's own, which plays the node.
if [ -z "${CRIO_DEMO_NETNS:-}" ]; then
  exec env CRIO_DEMO_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up
crio="$build_dir/src/crio"
crioctl="$build_dir/src/crioctl"
fixture="$build_dir/test/fixtures/busybox-oci"
pause_fixture="$build_dir/test/fixtures/pause-oci"
work=$(mktemp -d /tmp/crio-demo.XXXXXX)
socket="$work/crio.sock"
crio_pid=""
registry_pid=""

cleanup() {
  if [ -n "$crio_pid" ] && kill -0 "$crio_pid" 2>/dev/null; then
    # Pods hold mounts (namespaces, /dev/shm): remove them while crio still runs.
    "$crioctl" -r "unix://$socket" rmp -a -f >/dev/null 2>&1 || true
    kill -TERM "$crio_pid" 2>/dev/null || true
    wait "$crio_pid" 2>/dev/null || true
  fi
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Starting a local registry (Debian's docker-registry) and pushing a busybox image to it"
# A random free port on loopback: one nobody answers on.
while :; do
  port=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
registry="127.0.0.1:$port"
mkdir -p "$work/registry"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
  "$work/registry" "$registry" > "$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
show skopeo copy -q --dest-tls-verify=false "oci:$fixture:latest" "docker://$registry/library/busybox:1"
show skopeo copy -q --dest-tls-verify=false "oci:$pause_fixture:latest" "docker://$registry/pause:3.10.1"

step "Writing a CNI network (bridge + host-local + portmap from Debian's plugins)"
mkdir -p "$work/net.d"
cat > "$work/net.d/10-demo.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "demo", "plugins": [
  {"type": "bridge", "bridge": "crio-demo0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$work/ipam", "ranges": [[{"subnet": "10.85.0.0/16"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
CNI
sed 's/^/    /' "$work/net.d/10-demo.conflist"

step "Starting crio with its built-in defaults on $socket"
# An empty config file and drop-in directory keep the host's /etc/crio out of the demo; the store,
# registries.conf (the local registry is plain HTTP), the signature policy and the CNI network are
# the demo's own, so the host's images and networks are not touched. The helpers come from the
# build tree because the demo does not install anything.
: > "$work/crio.conf"
mkdir -p "$work/crio.conf.d"
printf 'unqualified-search-registries = ["%s"]\n[[registry]]\nlocation = "%s"\ninsecure = true\n' \
  "$registry" "$registry" > "$work/registries.conf"
printf '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"
CONTAINERS_REGISTRIES_CONF="$work/registries.conf" \
  "$crio" --config "$work/crio.conf" --config-dir "$work/crio.conf.d" --listen "$socket" \
  --root "$work/storage" --runroot "$work/run-storage" --signature-policy "$work/policy.json" \
  --cni-config-dir "$work/net.d" --cni-plugin-dir /usr/lib/cni \
  --pinns-path "$build_dir/pinns/pinns" --conmon "$build_dir/conmon/bin/conmon" \
  --pause-image "$registry/pause:3.10.1" \
  >"$work/crio.log" 2>&1 &
crio_pid=$!
for _ in $(seq 1 200); do
  grep -q "Serving CRI on" "$work/crio.log" 2>/dev/null && break
  kill -0 "$crio_pid" 2>/dev/null || { cat "$work/crio.log"; exit 1; }
  sleep 0.05
done
sed 's/^/    crio: /' "$work/crio.log"

export CONTAINER_RUNTIME_ENDPOINT="unix://$socket"
step "Asking the runtime for its version"
show "$crioctl" version

step "Asking the runtime for its status (conditions, handlers, effective configuration)"
"$crioctl" info >"$work/info.json"
head -n 40 "$work/info.json"
echo "    ... ($(wc -l <"$work/info.json") lines in all: crioctl info prints the whole configuration)"

step "Pulling the image through the CRI ImageService"
show "$crioctl" pull "$registry/library/busybox:1"
show "$crioctl" images
show "$crioctl" imagefsinfo
step "The same store is podman's format: podman lists the image crio pulled"
show podman --root "$work/storage" --runroot "$work/run-storage" --storage-driver overlay \
  --tmpdir "$work/podman-tmp" images
step "Running a pod: its own network, hostname and DNS; no pause container (drop_infra_ctr)"
cat > "$work/pod.json" <<POD
{"metadata": {"name": "demo", "namespace": "default", "uid": "demo-uid-1", "attempt": 0},
 "hostname": "demo-pod", "log_directory": "$work/logs/demo",
 "dns_config": {"servers": ["10.96.0.10"], "searches": ["default.svc.cluster.local"], "options": ["ndots:5"]},
 "port_mappings": [{"protocol": 0, "container_port": 80, "host_port": 8080}],
 "linux": {"sysctls": {"net.ipv4.ip_unprivileged_port_start": "0"},
           "security_context": {"namespace_options": {"pid": 1}}}}
POD
printf '$ %s\n' "$crioctl runp $work/pod.json"
pod=$("$crioctl" runp "$work/pod.json")
echo "$pod"
show "$crioctl" pods
"$crioctl" inspectp "$pod" >"$work/pod-status.json"
head -n 30 "$work/pod-status.json"
ip=$(sed -n 's/.*"ip": "\([0-9.]*\)".*/\1/p' "$work/pod-status.json" | head -n 1)
netns=$(sed -n 's/.*"network": "\(\/[^"]*\)".*/\1/p' "$work/pod-status.json" | head -n 1)
utsns=$(sed -n 's/.*"uts": "\(\/[^"]*\)".*/\1/p' "$work/pod-status.json" | head -n 1)
step "The pod answers from the node on $ip; inside it sees its own hostname, sysctl and resolv.conf"
show busybox ping -c 1 -W 2 "$ip"
show nsenter --uts="$utsns" hostname
show nsenter --net="$netns" cat /proc/sys/net/ipv4/ip_unprivileged_port_start
show nsenter --net="$netns" ip -4 -o addr show eth0
resolv=$(sed -n 's/.*"resolvPath": "\([^"]*\)".*/\1/p' "$work/pod-status.json" | head -n 1)
show cat "$resolv"

step "Running a busybox container in the pod: create, start, ps, exec (streamed over SPDY and WebSocket, and ExecSync), logs"
cat > "$work/ctr.json" <<CTR
{"metadata": {"name": "hello"}, "image": {"image": "$registry/library/busybox:1"},
 "command": ["sh", "-c", "echo hello from \$(hostname); trap 'exit 0' TERM; while :; do sleep 1; done"],
 "log_path": "hello.log",
 "linux": {"security_context": {"namespace_options": {"pid": 1}}}}
CTR
printf '$ %s\n' "$crioctl create $pod $work/ctr.json $work/pod.json"
ctr=$("$crioctl" create "$pod" "$work/ctr.json" "$work/pod.json")
echo "$ctr"
show "$crioctl" start "$ctr"
show "$crioctl" ps
show "$crioctl" exec "$ctr" ip -4 -o addr show eth0
show "$crioctl" exec "$ctr" cat /etc/resolv.conf
show "$crioctl" exec "$ctr" sh -c 'echo "uid=$(id -u) cwd=$(pwd) shm=$(df -h /dev/shm | tail -n 1)"'
show "$crioctl" exec --transport websocket "$ctr" sh -c 'echo "over WebSocket; exiting 3"; exit 3' ||
  echo "(exit code $? came back through the stream)"
show "$crioctl" exec -s "$ctr" echo "the same through ExecSync"

step "Port-forwarding to a web server on the pod's localhost (no host port, no socat)"
cat > "$work/web.json" <<CTR
{"metadata": {"name": "web"}, "image": {"image": "$registry/library/busybox:1"},
 "command": ["sh", "-c", "mkdir -p /www && echo hello through port-forward > /www/index.html && exec httpd -f -p 127.0.0.1:8000 -h /www"],
 "log_path": "web.log",
 "linux": {"security_context": {"namespace_options": {"pid": 1}}}}
CTR
web=$("$crioctl" create "$pod" "$work/web.json" "$work/pod.json")
"$crioctl" start "$web" >/dev/null
printf '$ %s\n' "$crioctl port-forward $pod :8000 &"
"$crioctl" port-forward "$pod" :8000 >"$work/forward.out" 2>&1 &
forward=$!
local_port=""
for _ in $(seq 1 50); do
  local_port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$work/forward.out")
  [ -n "$local_port" ] && break
  sleep 0.1
done
cat "$work/forward.out"
body=""
for _ in $(seq 1 50); do
  body=$( (exec 3<>"/dev/tcp/127.0.0.1/$local_port" && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null | tail -n 1) || true
  [ -n "$body" ] && break
  sleep 0.1
done
echo "GET http://127.0.0.1:$local_port/ -> $body"
[ "$body" = "hello through port-forward" ]
kill -INT "$forward"
wait "$forward"
"$crioctl" rm -f "$web" >/dev/null
sleep 1
show "$crioctl" logs "$ctr"
show "$crioctl" stop -t 5 "$ctr"
show "$crioctl" ps -a
show "$crioctl" rm "$ctr"

step "A pod whose containers share one PID namespace gets a pause container (our static pause)"
sed -e 's/"pid": 1/"pid": 0/' -e 's/"name": "demo"/"name": "demo-shared-pid"/' \
  -e 's/demo-uid-1/demo-uid-2/' -e 's/"host_port": 8080/"host_port": 8081/' "$work/pod.json" >"$work/pod2.json"
printf '$ %s\n' "$crioctl runp $work/pod2.json"
pod2=$("$crioctl" runp "$work/pod2.json")
echo "$pod2"
pause_pid=$("$crioctl" inspectp "$pod2" | sed -n 's/.*"pid": \([0-9][0-9]*\).*/\1/p' | head -n 1)
show ps -o pid,rss,args -p "$pause_pid"
show "$crioctl" pods

step "Stopping and removing the pods: network torn down, namespaces unpinned"
show "$crioctl" stopp "$pod" "$pod2"
show "$crioctl" pods
show "$crioctl" rmp "$pod" "$pod2"
show "$crioctl" pods
echo "IP allocations left: $(ls "$work/ipam/demo" 2>/dev/null | grep -c '^10\.' || true)"

step "Removing the image"
show "$crioctl" rmi "$registry/library/busybox:1"
show "$crioctl" images

step "Stopping crio with SIGTERM"
kill -TERM "$crio_pid"
wait "$crio_pid"
crio_pid=""
tail -n 2 "$work/crio.log" | sed 's/^/    crio: /'
if [ -e "$socket" ]; then
  echo "socket $socket was not removed" >&2
  exit 1
fi
echo "The socket is gone and nothing is left running. Try 'crioctl exec -it CTR sh' and"
echo "'crioctl attach' against your own daemon for the interactive forms (docs/streaming.md)."
