#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace crio::storage {

// containers/storage's compression codes in layers.json.
enum class Compression : int { kNone = 0, kBzip2 = 1, kGzip = 2, kXz = 3, kZstd = 4 };

// One entry of overlay-layers/layers.json, field for field as containers/storage 1.43 writes it
// (docs/storage.md). Keys we do not model (written by newer tools) are kept and written back.
struct LayerRecord {
  std::string id;
  std::vector<std::string> names;
  std::string parent;
  std::string metadata;
  std::string mount_label;
  std::string created;  // RFC 3339 with nanoseconds, UTC
  std::string compressed_digest;
  int64_t compressed_size = 0;
  std::string uncompressed_digest;  // the DiffID
  int64_t uncompressed_size = 0;
  Compression compression = Compression::kNone;
  std::vector<uint32_t> uids;
  std::vector<uint32_t> gids;
  nlohmann::ordered_json flags = nlohmann::ordered_json::object();
  nlohmann::ordered_json uid_map = nlohmann::ordered_json::array();
  nlohmann::ordered_json gid_map = nlohmann::ordered_json::array();
  std::vector<std::string> big_data_names;
  nlohmann::ordered_json unknown = nlohmann::ordered_json::object();

  // A layer still being written; whoever opens the store for writing next deletes it.
  bool incomplete() const { return flags.value("incomplete", false); }
};

// layers.json text -> records. A missing or empty document is an empty store.
absl::StatusOr<std::vector<LayerRecord>> ParseLayers(std::string_view json);
// records -> layers.json text: compact, omitting empty fields, as Go's encoder does.
std::string SerializeLayers(const std::vector<LayerRecord>& layers);

// The id containers/image gives a pulled layer: the DiffID's hex for a base layer, otherwise
// hex(sha256(parent_id + "+" + diff_id_hex)). Not the OCI ChainID.
std::string PulledLayerId(std::string_view parent_id, std::string_view diff_id);

// A random 64-hex id, as containers/storage makes for container layers, containers and images
// without a digest (never one whose 12-character short form is all digits).
std::string RandomId();

// A 26-character overlay link name (base32 alphabet), the name of a layer's symlink in overlay/l/.
std::string RandomLinkId();

// "now" in the created-time format.
std::string CreatedNow();

}  // namespace crio::storage
