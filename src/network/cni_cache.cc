#include "crio/network/cni_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "absl/status/status.h"
#include "crio/common/atomic_file.h"
#include "crio/common/encoding.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "json_object.h"

namespace crio::network {
namespace {

constexpr std::string_view kCacheKind = "cniCacheV1";

std::filesystem::path ResultsDir(const std::filesystem::path& cache_dir) {
  return cache_dir / "results";
}

absl::Status Invalid(std::string_view source, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("cached CNI result ", source, ": ", what));
}

template <class Keep>
CacheLookup Scan(const std::filesystem::path& cache_dir, Keep keep) {
  CacheLookup lookup;
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(ResultsDir(cache_dir), error), end;
       !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    // Dot files are WriteFileAtomically's temporaries.
    if (name.empty() || name[0] == '.' || !keep(name)) continue;
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) {
      if (!absl::IsNotFound(text.status())) lookup.unreadable.push_back(file);
      continue;
    }
    absl::StatusOr<CacheEntry> entry = ParseCacheEntry(*text, file.string());
    if (!entry.ok()) {
      spdlog::warn("Ignoring {}", entry.status().message());
      lookup.unreadable.push_back(file);
      continue;
    }
    entry->file = file;
    lookup.entries.push_back(*std::move(entry));
  }
  return lookup;
}

}  // namespace

std::filesystem::path CacheFile(const std::filesystem::path& cache_dir,
                                std::string_view network_name, std::string_view container_id,
                                std::string_view ifname) {
  return ResultsDir(cache_dir) / StrCat(network_name, "-", container_id, "-", ifname);
}

std::string SerializeCacheEntry(const CacheEntry& entry) {
  nlohmann::json json = {{"kind", kCacheKind},
                         {"containerId", entry.container_id},
                         {"config", Base64Encode(entry.config_bytes)},
                         {"ifName", entry.ifname},
                         {"networkName", entry.network_name}};
  // Like libcni, empty fields are left out.
  if (!entry.netns.empty()) json["netns"] = entry.netns;
  if (!entry.cni_args.empty()) {
    nlohmann::json args = nlohmann::json::array();
    for (const auto& [key, value] : entry.cni_args) args.push_back({key, value});
    json["cniArgs"] = std::move(args);
  }
  if (entry.capability_args.is_object() && !entry.capability_args.empty()) {
    json["capabilityArgs"] = entry.capability_args;
  }
  if (entry.result) json["result"] = *entry.result;
  return json.dump();
}

absl::StatusOr<CacheEntry> ParseCacheEntry(std::string_view text, std::string_view source) {
  absl::StatusOr<nlohmann::json> parsed = ParseJsonObject(text, source);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& json = *parsed;
  auto string_field = [&](const char* key) -> std::string {
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (string_field("kind") != kCacheKind) {
    return Invalid(source, StrCat("unknown kind \"", string_field("kind"), "\""));
  }
  CacheEntry entry;
  entry.container_id = string_field("containerId");
  entry.ifname = string_field("ifName");
  entry.network_name = string_field("networkName");
  entry.netns = string_field("netns");
  if (entry.container_id.empty() || entry.ifname.empty() || entry.network_name.empty()) {
    return Invalid(source, "containerId, ifName or networkName is missing");
  }
  absl::StatusOr<std::string> config = Base64Decode(string_field("config"));
  if (!config.ok()) return Invalid(source, StrCat("config: ", config.status().message()));
  entry.config_bytes = *std::move(config);
  if (auto args = json.find("cniArgs"); args != json.end() && !args->is_null()) {
    if (!args->is_array()) return Invalid(source, "cniArgs is not a list");
    for (const auto& pair : *args) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        return Invalid(source, "cniArgs holds something other than [key, value] pairs");
      }
      entry.cni_args.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  if (auto args = json.find("capabilityArgs"); args != json.end() && !args->is_null()) {
    if (!args->is_object()) return Invalid(source, "capabilityArgs is not an object");
    entry.capability_args = *args;
  }
  if (auto result = json.find("result"); result != json.end() && !result->is_null()) {
    if (!result->is_object()) return Invalid(source, "result is not an object");
    entry.result = *result;
  }
  return entry;
}

absl::Status WriteCacheEntry(const std::filesystem::path& cache_dir, const CacheEntry& entry) {
  std::filesystem::path dir = ResultsDir(cache_dir);
  std::error_code error;
  if (std::filesystem::create_directories(dir, error)) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, error);
  }
  if (error) {
    return absl::InternalError(StrCat("create ", dir.string(), ": ", error.message()));
  }
  return WriteFileAtomically(
      CacheFile(cache_dir, entry.network_name, entry.container_id, entry.ifname),
      SerializeCacheEntry(entry), 0600);
}

absl::Status RemoveCacheFile(const std::filesystem::path& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(StrCat("remove ", file.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

CacheLookup FindCacheEntries(const std::filesystem::path& cache_dir, std::string_view container_id,
                             std::string_view ifname) {
  std::string suffix = StrCat("-", container_id, "-", ifname);
  CacheLookup lookup = Scan(cache_dir, [&](const std::string& name) {
    return name.size() > suffix.size() && name.ends_with(suffix);
  });
  // The suffix alone could also match another container whose id ends like this one.
  std::erase_if(lookup.entries, [&](const CacheEntry& entry) {
    return entry.container_id != container_id || entry.ifname != ifname;
  });
  return lookup;
}

CacheLookup ListCacheEntries(const std::filesystem::path& cache_dir) {
  return Scan(cache_dir, [](const std::string&) { return true; });
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0)
    return absl::InvalidArgumentError("base64 length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int padding = 0;
    uint32_t group = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      int v;
      if (c == '=' && i + 4 == text.size() && j >= 2 && (j == 3 || text[i + 3] == '=')) {
        ++padding;
        v = 0;
      } else {
        v = value(c);
        if (v < 0 || padding > 0) return absl::InvalidArgumentError("invalid base64");
      }
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<char>((group >> 16) & 0xff));
    if (padding < 2) out.push_back(static_cast<char>((group >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(group & 0xff));
  }
  return out;
}

}  // namespace crio::network
