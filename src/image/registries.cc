#include "crio/image/registries.h"

#include <algorithm>
#include <sstream>

#include <toml.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"

namespace crio::image {
namespace {

using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

absl::Status ConfError(std::string_view source, const TomlValue& at, std::string_view key,
                       std::string_view message) {
  return absl::InvalidArgumentError(
      StrCat(source, ":", static_cast<int>(at.location().line()), ": ", key, ": ", message));
}

absl::StatusOr<std::string> GetString(const TomlValue& table, const std::string& key,
                                      std::string_view source) {
  const TomlValue& value = table.at(key);
  if (!value.is_string()) return ConfError(source, value, key, "expected a string");
  return value.as_string().str;
}

absl::StatusOr<bool> GetBool(const TomlValue& table, const std::string& key,
                             std::string_view source) {
  const TomlValue& value = table.at(key);
  if (!value.is_boolean()) return ConfError(source, value, key, "expected true or false");
  return value.as_boolean();
}

absl::Status ParseMirror(const TomlValue& table, std::string_view source, Mirror& mirror) {
  for (const auto& [key, value] : table.as_table()) {
    if (key == "location") {
      absl::StatusOr<std::string> text = GetString(table, key, source);
      if (!text.ok()) return text.status();
      mirror.location = *text;
    } else if (key == "insecure") {
      absl::StatusOr<bool> flag = GetBool(table, key, source);
      if (!flag.ok()) return flag.status();
      mirror.insecure = *flag;
    } else if (key == "pull-from-mirror") {
      absl::StatusOr<std::string> text = GetString(table, key, source);
      if (!text.ok()) return text.status();
      if (*text != "all" && *text != "digest-only" && *text != "tag-only") {
        return ConfError(
            source, value, key,
            StrCat("invalid value \"", *text, "\" (expected all, digest-only or tag-only)"));
      }
      mirror.pull_from_mirror = *text;
    } else {
      return ConfError(source, value, StrCat("registry.mirror.", key), "unknown key");
    }
  }
  if (mirror.location.empty())
    return ConfError(source, table, "registry.mirror", "has no location");
  return absl::OkStatus();
}

absl::Status ParseRegistry(const TomlValue& table, std::string_view source, Registry& registry) {
  for (const auto& [key, value] : table.as_table()) {
    if (key == "prefix" || key == "location") {
      absl::StatusOr<std::string> text = GetString(table, key, source);
      if (!text.ok()) return text.status();
      (key == "prefix" ? registry.prefix : registry.location) = *text;
    } else if (key == "insecure" || key == "blocked" || key == "mirror-by-digest-only") {
      absl::StatusOr<bool> flag = GetBool(table, key, source);
      if (!flag.ok()) return flag.status();
      (key == "insecure"  ? registry.insecure
       : key == "blocked" ? registry.blocked
                          : registry.mirror_by_digest_only) = *flag;
    } else if (key == "mirror") {
      if (!value.is_array())
        return ConfError(source, value, "registry.mirror", "expected [[registry.mirror]] tables");
      for (const TomlValue& item : value.as_array()) {
        if (!item.is_table()) return ConfError(source, item, "registry.mirror", "expected a table");
        Mirror mirror;
        if (auto status = ParseMirror(item, source, mirror); !status.ok()) return status;
        registry.mirrors.push_back(std::move(mirror));
      }
    } else {
      return ConfError(source, value, StrCat("registry.", key), "unknown key");
    }
  }
  if (registry.prefix.empty()) registry.prefix = registry.location;
  if (registry.prefix.empty())
    return ConfError(source, table, "registry", "has neither prefix nor location");
  return absl::OkStatus();
}

// Whether `name` (domain/path) falls under `prefix`: equal, or followed by a path separator; or,
// for "*.domain", a host in that domain.
size_t MatchLength(std::string_view prefix, std::string_view name) {
  if (prefix.starts_with("*.")) {
    std::string_view host = name.substr(0, name.find('/'));
    std::string_view suffix = prefix.substr(1);
    return host.size() > suffix.size() && host.ends_with(suffix) ? prefix.size() : 0;
  }
  if (!name.starts_with(prefix)) return 0;
  if (name.size() == prefix.size() || name[prefix.size()] == '/') return prefix.size();
  return 0;
}

// `reference` with the part its registry's prefix matched replaced by `location`.
absl::StatusOr<Reference> Rewrite(const Reference& reference, std::string_view prefix,
                                  std::string_view location) {
  if (prefix.starts_with("*.")) return reference;  // wildcard entries cannot relocate
  std::string name = reference.Name();
  std::string rewritten = StrCat(location, name.substr(prefix.size()));
  if (!reference.tag.empty()) StrAppend(&rewritten, ":", reference.tag);
  if (!reference.digest.empty()) StrAppend(&rewritten, "@", reference.digest);
  return ParseReference(rewritten);
}

}  // namespace

absl::Status MergeRegistriesToml(std::string_view text, std::string_view source,
                                 RegistriesConf& conf) {
  TomlValue root;
  try {
    std::istringstream stream{std::string(text)};
    root = toml::parse<toml::discard_comments, std::map, std::vector>(stream, std::string(source));
  } catch (const std::exception& e) {
    std::string what = e.what();
    return absl::InvalidArgumentError(
        StrCat(source, ": invalid TOML: ", what.substr(0, what.find('\n'))));
  }
  if (root.contains("registries")) {
    return absl::InvalidArgumentError(
        StrCat(source,
               ": the version 1 format ([registries.search] ...) is not supported; use "
               "version 2 (unqualified-search-registries, [[registry]])"));
  }
  for (const auto& [key, value] : root.as_table()) {
    if (key == "unqualified-search-registries") {
      if (!value.is_array()) return ConfError(source, value, key, "expected an array of strings");
      conf.unqualified_search_registries.clear();
      for (const TomlValue& item : value.as_array()) {
        if (!item.is_string()) return ConfError(source, item, key, "expected an array of strings");
        conf.unqualified_search_registries.push_back(item.as_string().str);
      }
    } else if (key == "short-name-mode") {
      absl::StatusOr<std::string> mode = GetString(root, key, source);
      if (!mode.ok()) return mode.status();
      if (*mode != "enforcing" && *mode != "permissive" && *mode != "disabled") {
        return ConfError(
            source, value, key,
            StrCat("invalid value \"", *mode, "\" (expected enforcing, permissive or disabled)"));
      }
      conf.short_name_mode = *mode;
    } else if (key == "aliases") {
      if (!value.is_table()) return ConfError(source, value, key, "expected a table");
      for (const auto& [alias, target] : value.as_table()) {
        if (!target.is_string())
          return ConfError(source, target, StrCat("aliases.", alias), "expected a string");
        conf.aliases[alias] = target.as_string().str;
      }
    } else if (key == "registry") {
      if (!value.is_array()) return ConfError(source, value, key, "expected [[registry]] tables");
      for (const TomlValue& item : value.as_array()) {
        if (!item.is_table()) return ConfError(source, item, key, "expected a table");
        Registry registry;
        if (auto status = ParseRegistry(item, source, registry); !status.ok()) return status;
        auto same = std::find_if(conf.registries.begin(), conf.registries.end(),
                                 [&](const Registry& r) { return r.prefix == registry.prefix; });
        if (same != conf.registries.end()) {
          *same = std::move(registry);
        } else {
          conf.registries.push_back(std::move(registry));
        }
      }
    } else if (key == "credential-helpers") {
      // Parsed by the credentials work; accepted here so such files load.
    } else {
      return ConfError(source, value, key, "unknown key");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RegistriesConf> LoadRegistriesConf(const std::filesystem::path& file,
                                                  const std::filesystem::path& dropin_dir) {
  RegistriesConf conf;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) files.push_back(file);
  std::vector<std::filesystem::path> dropins;
  for (const auto& entry : std::filesystem::directory_iterator(dropin_dir, ec)) {
    if (entry.path().extension() == ".conf") dropins.push_back(entry.path());
  }
  std::sort(dropins.begin(), dropins.end());
  files.insert(files.end(), dropins.begin(), dropins.end());
  for (const auto& path : files) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    if (auto status = MergeRegistriesToml(*text, path.string(), conf); !status.ok()) return status;
  }
  return conf;
}

absl::StatusOr<std::vector<PullSource>> PullSources(const RegistriesConf& conf,
                                                    const Reference& reference) {
  std::string name = reference.Name();
  const Registry* best = nullptr;
  size_t best_length = 0;
  for (const Registry& registry : conf.registries) {
    size_t length = MatchLength(registry.prefix, name);
    if (length > best_length) {
      best = &registry;
      best_length = length;
    }
  }
  if (best == nullptr) return std::vector<PullSource>{{reference, false, false}};
  if (best->blocked) {
    return absl::FailedPreconditionError(StrCat("registry ", best->prefix,
                                                " is blocked in registries.conf (pulling ",
                                                reference.String(), ")"));
  }
  std::vector<PullSource> sources;
  bool by_digest = !reference.digest.empty();
  for (const Mirror& mirror : best->mirrors) {
    if (!by_digest && (best->mirror_by_digest_only || mirror.pull_from_mirror == "digest-only"))
      continue;
    if (by_digest && mirror.pull_from_mirror == "tag-only") continue;
    absl::StatusOr<Reference> rewritten = Rewrite(reference, best->prefix, mirror.location);
    if (!rewritten.ok()) return rewritten.status();
    sources.push_back({*std::move(rewritten), mirror.insecure, true});
  }
  absl::StatusOr<Reference> primary =
      Rewrite(reference, best->prefix, best->location.empty() ? best->prefix : best->location);
  if (!primary.ok()) return primary.status();
  sources.push_back({*std::move(primary), best->insecure, false});
  return sources;
}

absl::StatusOr<std::vector<Reference>> ResolveShortName(const RegistriesConf& conf,
                                                        const Reference& short_name) {
  auto with_defaults = [&](Reference reference) {
    if (reference.tag.empty() && reference.digest.empty()) reference.tag = "latest";
    return reference;
  };
  if (auto alias = conf.aliases.find(short_name.path); alias != conf.aliases.end()) {
    absl::StatusOr<Reference> target = ParseReference(alias->second);
    if (!target.ok()) return target.status();
    target->tag = short_name.tag.empty() ? target->tag : short_name.tag;
    target->digest = short_name.digest;
    return std::vector<Reference>{with_defaults(*std::move(target))};
  }
  std::vector<Reference> candidates;
  for (const std::string& registry : conf.unqualified_search_registries) {
    Reference candidate = short_name;
    candidate.domain = registry;
    if (registry == "docker.io" && candidate.path.find('/') == std::string::npos) {
      candidate.path = "library/" + candidate.path;
    }
    candidates.push_back(with_defaults(std::move(candidate)));
  }
  if (candidates.empty()) {
    return absl::InvalidArgumentError(StrCat(
        "short name \"", short_name.String(),
        "\" has no alias and registries.conf lists no unqualified-search-registries; use a fully "
        "qualified image name"));
  }
  if (conf.short_name_mode == "enforcing" && candidates.size() > 1) {
    std::vector<std::string> names;
    for (const Reference& candidate : candidates) names.push_back(candidate.String());
    return absl::InvalidArgumentError(StrCat("short name \"", short_name.String(),
                                             "\" is ambiguous in enforcing short-name mode and a "
                                             "CRI runtime cannot ask which is meant: use one of ",
                                             StrJoin(names, ", "),
                                             " or add an alias to registries.conf"));
  }
  return candidates;
}

}  // namespace crio::image
