#include "crio/storage/layer_record.h"

#include <openssl/sha.h>
#include <sys/random.h>

#include <algorithm>
#include <cctype>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "crio/common/encoding.h"
#include "crio/common/strings.h"
#include "json_fields.h"

namespace crio::storage {
namespace {

void RandomBytes(unsigned char* out, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = ::getrandom(out + filled, size - filled, 0);
    if (n > 0) filled += static_cast<size_t>(n);
  }
}

std::string_view StripAlgorithm(std::string_view digest) {
  auto colon = digest.find(':');
  return colon == std::string_view::npos ? digest : digest.substr(colon + 1);
}

}  // namespace

absl::StatusOr<std::vector<LayerRecord>> ParseLayers(std::string_view text) {
  std::vector<LayerRecord> layers;
  if (IsBlank(text)) return layers;
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_array()) {
    return absl::DataLossError("layers.json is not a JSON array");
  }
  try {
    for (const Json& item : document) {
      if (!item.is_object()) return absl::DataLossError("layers.json holds a non-object entry");
      LayerRecord layer;
      layer.id = Field<std::string>(item, "id", "");
      layer.names = Field<std::vector<std::string>>(item, "names", {});
      layer.parent = Field<std::string>(item, "parent", "");
      layer.metadata = Field<std::string>(item, "metadata", "");
      layer.mount_label = Field<std::string>(item, "mountlabel", "");
      layer.created = Field<std::string>(item, "created", "");
      layer.compressed_digest = Field<std::string>(item, "compressed-diff-digest", "");
      layer.compressed_size = Field<int64_t>(item, "compressed-size", 0);
      layer.uncompressed_digest = Field<std::string>(item, "diff-digest", "");
      layer.uncompressed_size = Field<int64_t>(item, "diff-size", 0);
      layer.compression = static_cast<Compression>(Field<int>(item, "compression", 0));
      layer.uids = Field<std::vector<uint32_t>>(item, "uidset", {});
      layer.gids = Field<std::vector<uint32_t>>(item, "gidset", {});
      layer.flags = Field<Json>(item, "flags", Json::object());
      layer.uid_map = Field<Json>(item, "uidmap", Json::array());
      layer.gid_map = Field<Json>(item, "gidmap", Json::array());
      layer.big_data_names = Field<std::vector<std::string>>(item, "big-data-names", {});
      layer.unknown = UnknownFields(
          item, {"id", "names", "parent", "metadata", "mountlabel", "created",
                 "compressed-diff-digest", "compressed-size", "diff-digest", "diff-size",
                 "compression", "uidset", "gidset", "flags", "uidmap", "gidmap", "big-data-names"});
      if (layer.id.empty()) return absl::DataLossError("layers.json holds a layer without an id");
      layers.push_back(std::move(layer));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(StrCat("layers.json has a field of the wrong type: ", e.what()));
  }
  return layers;
}

std::string SerializeLayers(const std::vector<LayerRecord>& layers) {
  Json document = Json::array();
  for (const LayerRecord& layer : layers) {
    // Field order and omitempty rules of containers/storage's Layer struct.
    Json item;
    item["id"] = layer.id;
    if (!layer.names.empty()) item["names"] = layer.names;
    if (!layer.parent.empty()) item["parent"] = layer.parent;
    if (!layer.metadata.empty()) item["metadata"] = layer.metadata;
    if (!layer.mount_label.empty()) item["mountlabel"] = layer.mount_label;
    item["created"] = layer.created.empty() ? "0001-01-01T00:00:00Z" : layer.created;
    if (!layer.compressed_digest.empty()) item["compressed-diff-digest"] = layer.compressed_digest;
    if (layer.compressed_size != 0) item["compressed-size"] = layer.compressed_size;
    if (!layer.uncompressed_digest.empty()) item["diff-digest"] = layer.uncompressed_digest;
    if (layer.uncompressed_size != 0) item["diff-size"] = layer.uncompressed_size;
    if (layer.compression != Compression::kNone)
      item["compression"] = static_cast<int>(layer.compression);
    if (!layer.uids.empty()) item["uidset"] = layer.uids;
    if (!layer.gids.empty()) item["gidset"] = layer.gids;
    if (!layer.flags.empty()) item["flags"] = layer.flags;
    if (!layer.uid_map.empty()) item["uidmap"] = layer.uid_map;
    if (!layer.gid_map.empty()) item["gidmap"] = layer.gid_map;
    if (!layer.big_data_names.empty()) item["big-data-names"] = layer.big_data_names;
    for (const auto& [key, value] : layer.unknown.items()) item[key] = value;
    document.push_back(std::move(item));
  }
  return document.dump();
}

std::string PulledLayerId(std::string_view parent_id, std::string_view diff_id) {
  std::string_view diff_hex = StripAlgorithm(diff_id);
  if (parent_id.empty()) return std::string(diff_hex);
  std::string input = StrCat(parent_id, "+", diff_hex);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return HexEncode(digest, sizeof(digest));
}

std::string RandomId() {
  while (true) {
    unsigned char bytes[32];
    RandomBytes(bytes, sizeof(bytes));
    std::string id = HexEncode(bytes, sizeof(bytes));
    // Short ids that look like numbers confuse tools that accept either; containers/storage
    // never hands them out.
    if (!std::all_of(id.begin(), id.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })) {
      return id;
    }
  }
}

std::string RandomLinkId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  unsigned char bytes[26];
  RandomBytes(bytes, sizeof(bytes));
  std::string id;
  for (unsigned char byte : bytes) id.push_back(kAlphabet[byte % 32]);
  return id;
}

std::string CreatedNow() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace crio::storage
