#!/usr/bin/env bash
# Generates an OCI image layout of LAYERS gzip layers, each MIB_PER_LAYER MiB uncompressed
# (1 MiB files of base64 text: compressible about as much as real binaries).
# Usage: make-layered-image.sh OUTDIR [LAYERS=8] [MIB_PER_LAYER=32]
set -euo pipefail
out=$1
layers=${2:-8}
mib=${3:-32}
rm -rf "$out"
mkdir -p "$out/blobs/sha256"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

store() {  # moves file $1 into the blobs, prints "digest size"
  local hex
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  local size
  size=$(stat -c %s "$1")
  mv "$1" "$out/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

diff_ids=()
layer_descs=()
for ((l = 0; l < layers; l++)); do
  tree="$work/tree$l"
  mkdir -p "$tree/data$l"
  for ((f = 0; f < mib; f++)); do
    head -c 786432 /dev/urandom | base64 -w 0 > "$tree/data$l/file$f"
  done
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$tree" -cf "$work/layer.tar" .
  diff_ids+=("\"sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)\"")
  gzip -n -1 -c "$work/layer.tar" > "$work/layer.tar.gz"
  read -r digest size < <(store "$work/layer.tar.gz")
  layer_descs+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$digest\",\"size\":$size}")
  rm -rf "$tree" "$work/layer.tar"
done
join() { local IFS=,; echo "$*"; }
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$(join "${diff_ids[@]}")" > "$work/config"
read -r config_digest config_size < <(store "$work/config")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
  "$config_digest" "$config_size" "$(join "${layer_descs[@]}")" > "$work/manifest"
read -r manifest_digest manifest_size < <(store "$work/manifest")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
  "$manifest_digest" "$manifest_size" > "$out/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
