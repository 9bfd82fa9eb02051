#pragma once

// The result cache, in libcni's format and place, so that attachments made by CRI-O before a
// switch to us (and ours after a switch back) are torn down with what set them up:
// <cache_dir>/results/<network>-<container id>-<ifname> holding
// {"kind":"cniCacheV1","containerId","config":<base64 of the list's bytes>,"ifName",
//  "networkName","netns","cniArgs":[[k,v],...],"capabilityArgs":{...},"result":{...}}.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crio/network/cni_plugin.h"

namespace crio::network {

struct CacheEntry {
  std::string container_id;
  std::string ifname;
  std::string network_name;
  std::string netns;
  std::string config_bytes;  // the configuration list exactly as used for ADD
  CniArgs cni_args;
  nlohmann::json capability_args = nlohmann::json::object();
  std::optional<nlohmann::json> result;
  std::filesystem::path file;  // where it was read from
};

std::filesystem::path CacheFile(const std::filesystem::path& cache_dir,
                                std::string_view network_name, std::string_view container_id,
                                std::string_view ifname);
std::string SerializeCacheEntry(const CacheEntry& entry);
absl::StatusOr<CacheEntry> ParseCacheEntry(std::string_view text, std::string_view source);
// Written atomically, readable by root only (results may hold addresses and routes only, but
// libcni keeps them private too).
absl::Status WriteCacheEntry(const std::filesystem::path& cache_dir, const CacheEntry& entry);
absl::Status RemoveCacheFile(const std::filesystem::path& file);

struct CacheLookup {
  std::vector<CacheEntry> entries;
  std::vector<std::filesystem::path> unreadable;  // matching files that do not parse
};
// Every cached attachment of (container_id, ifname), whatever network it was made on: the
// default network may have been renamed or replaced since.
CacheLookup FindCacheEntries(const std::filesystem::path& cache_dir, std::string_view container_id,
                             std::string_view ifname);
// Every cached attachment.
CacheLookup ListCacheEntries(const std::filesystem::path& cache_dir);

// Standard base64 with padding; whitespace is not allowed.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace crio::network
