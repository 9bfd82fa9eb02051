#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and demonstrating crio-cpp need.
# Idempotent: when every package is already present it prints nothing and exits at once.
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev libgrpc-dev
  libabsl-dev libtoml11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libseccomp-dev libboost1.74-dev clang libclang-rt-14-dev
  libarchive-dev libzstd-dev zlib1g-dev libssl-dev libcurl4-openssl-dev
)
# Real components the integration tests and the demo drive.
runtime_packages=(
  musl-tools runc crun conmon busybox-static containers-storage skopeo podman docker-registry iproute2 procps util-linux tar
  zstd  # the zstd-layer image fixture (test/fixtures/marked-image.sh)
  tzdata  # zone files the timezone option copies into containers whose image has none
  apparmor  # apparmor_parser: the default AppArmor profile is compiled in the unit tests
  criu  # CheckpointContainer asks it whether it can work on this kernel
  containernetworking-plugins iptables
  containerd  # only for bench/pod_bench.sh, which measures against it
  golang-go golang-github-docker-spdystream-dev  # the SPDY interop tests (test/interop/spdy)
)

wanted=("${build_packages[@]}" "${runtime_packages[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
