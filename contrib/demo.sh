#!/usr/bin/env bash
# `make demo`: start crio with its built-in defaults on a temporary socket and talk to it with
# crioctl. Everything it starts is stopped and removed when it ends, whatever happens.
set -euo pipefail

build_dir=${1:-build}
crio="$build_dir/src/crio"
crioctl="$build_dir/src/crioctl"
fixture="$build_dir/test/fixtures/busybox-oci"
work=$(mktemp -d /tmp/crio-demo.XXXXXX)
socket="$work/crio.sock"
crio_pid=""
registry_pid=""

cleanup() {
  if [ -n "$crio_pid" ] && kill -0 "$crio_pid" 2>/dev/null; then
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

step "Starting crio with its built-in defaults on $socket"
# An empty config file and drop-in directory keep the host's /etc/crio out of the demo; the store,
# registries.conf (the local registry is plain HTTP) and the signature policy are the demo's own,
# so the host's images are not touched.
: > "$work/crio.conf"
mkdir -p "$work/crio.conf.d"
printf 'unqualified-search-registries = ["%s"]\n[[registry]]\nlocation = "%s"\ninsecure = true\n' \
  "$registry" "$registry" > "$work/registries.conf"
printf '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"
CONTAINERS_REGISTRIES_CONF="$work/registries.conf" \
  "$crio" --config "$work/crio.conf" --config-dir "$work/crio.conf.d" --listen "$socket" \
  --root "$work/storage" --runroot "$work/run-storage" --signature-policy "$work/policy.json" \
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
echo "The socket is gone and nothing is left running. Pods and containers come with the next"
echo "milestones (see the open issues); until then those RPCs answer UNIMPLEMENTED."
