// OCI hook definitions: parsing, directory loading with overrides, matching.
#include "crio/oci/hooks.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <system_error>

#include "crio/common/atomic_file.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"

namespace crio::oci {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

absl::StatusOr<std::regex> Compile(const std::string& pattern, std::string_view where) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Invalid(StrCat(where, ": invalid regular expression \"", pattern, "\": ", e.what()));
  }
}

bool IsStringArray(const json& value) {
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
}

absl::StatusOr<json> ParseHookObject(const json& hook) {
  if (!hook.is_object()) return Invalid("\"hook\" is not an object");
  auto path = hook.find("path");
  if (path == hook.end() || !path->is_string() || path->get<std::string>().empty()) {
    return Invalid("missing required property hook.path");
  }
  std::string binary = path->get<std::string>();
  if (binary.front() != '/') return Invalid(StrCat("hook.path \"", binary, "\" is not absolute"));
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Invalid(StrCat("hook.path \"", binary, "\" is not an existing file"));
  }
  json out = {{"path", binary}};
  for (const char* key : {"args", "env"}) {
    auto it = hook.find(key);
    if (it == hook.end() || it->is_null()) continue;
    if (!IsStringArray(*it)) return Invalid(StrCat("hook.", key, " is not a list of strings"));
    out[key] = *it;
  }
  if (auto it = hook.find("timeout"); it != hook.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
      return Invalid("hook.timeout is not a positive integer");
    }
    out["timeout"] = it->get<int64_t>();
  }
  return out;
}

absl::Status ParseWhen(const json& when, HookDefinition& def) {
  if (!when.is_object()) return Invalid("\"when\" is not an object");
  for (const auto& [key, value] : when.items()) {
    if (key == "always" || key == "hasBindMounts") {
      if (!value.is_boolean()) return Invalid(StrCat("when.", key, " is not a boolean"));
      (key == "always" ? def.always : def.has_bind_mounts) = value.get<bool>();
    } else if (key == "annotations") {
      if (!value.is_object()) return Invalid("when.annotations is not an object");
      for (const auto& [key_pattern, value_pattern] : value.items()) {
        if (!value_pattern.is_string()) {
          return Invalid(StrCat("when.annotations[\"", key_pattern, "\"] is not a string"));
        }
        absl::StatusOr<std::regex> k = Compile(key_pattern, "when.annotations key");
        if (!k.ok()) return k.status();
        absl::StatusOr<std::regex> v =
            Compile(value_pattern.get<std::string>(), "when.annotations value");
        if (!v.ok()) return v.status();
        def.annotations.push_back({*std::move(k), *std::move(v)});
      }
    } else if (key == "commands") {
      if (!IsStringArray(value)) return Invalid("when.commands is not a list of strings");
      for (const auto& pattern : value) {
        absl::StatusOr<std::regex> c = Compile(pattern.get<std::string>(), "when.commands");
        if (!c.ok()) return c.status();
        def.commands.push_back(*std::move(c));
      }
    } else {
      return Invalid(StrCat("unknown property when.", key));
    }
  }
  if (!def.always && !def.has_bind_mounts && def.annotations.empty() && def.commands.empty()) {
    return Invalid("\"when\" sets no condition");
  }
  return absl::OkStatus();
}

// A stat of every directory and definition file: any addition, removal or rewrite changes it.
std::string Fingerprint(const std::vector<std::string>& dirs) {
  std::string out;
  for (const std::string& dir : dirs) {
    StrAppend(&out, dir, "\n");
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      struct stat st {};
      if (::stat(it->path().c_str(), &st) != 0) continue;
      StrAppend(&out, it->path().filename().string(), " ", st.st_mtim.tv_sec, ".",
                st.st_mtim.tv_nsec, " ", st.st_size, " ", st.st_ino, "\n");
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string>& HookStages() {
  static const std::vector<std::string> kStages = {
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  return kStages;
}

absl::StatusOr<HookDefinition> ParseHookDefinition(std::string_view text,
                                                   const std::string& file_name) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Invalid("not valid JSON");
  if (!root.is_object()) return Invalid("not a JSON object");
  auto version = root.find("version");
  if (version == root.end() || !version->is_string()) {
    return Invalid("missing required property \"version\"");
  }
  if (*version != "1.0.0") {
    return Invalid(StrCat("unsupported hook version \"", version->get<std::string>(),
                          "\" (only 1.0.0 is supported)"));
  }
  HookDefinition def;
  def.file_name = file_name;
  auto hook = root.find("hook");
  if (hook == root.end()) return Invalid("missing required property \"hook\"");
  absl::StatusOr<json> parsed = ParseHookObject(*hook);
  if (!parsed.ok()) return parsed.status();
  def.hook = *std::move(parsed);

  auto when = root.find("when");
  if (when == root.end()) return Invalid("missing required property \"when\"");
  if (absl::Status s = ParseWhen(*when, def); !s.ok()) return s;

  auto stages = root.find("stages");
  if (stages == root.end() || !IsStringArray(*stages) || stages->empty()) {
    return Invalid("missing required property \"stages\" (a non-empty list of strings)");
  }
  for (const auto& stage : *stages) {
    const std::string& name = stage.get_ref<const std::string&>();
    if (std::find(HookStages().begin(), HookStages().end(), name) == HookStages().end()) {
      return Invalid(StrCat("unknown stage \"", name, "\""));
    }
    if (std::find(def.stages.begin(), def.stages.end(), name) == def.stages.end()) {
      def.stages.push_back(name);
    }
  }
  return def;
}

LoadedHooks LoadHookDirectories(const std::vector<fs::path>& dirs) {
  // File name -> path; later directories replace earlier ones.
  std::map<std::string, fs::path> files;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
      files[name] = it->path();
    }
  }
  LoadedHooks out;
  for (const auto& [name, path] : files) {  // std::map: sorted by file name
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) {
      out.skipped.push_back(StrCat(path.string(), ": ", text.status().message()));
      continue;
    }
    absl::StatusOr<HookDefinition> def = ParseHookDefinition(*text, name);
    if (!def.ok()) {
      out.skipped.push_back(StrCat(path.string(), ": ", def.status().message()));
      continue;
    }
    out.hooks.push_back(*std::move(def));
  }
  return out;
}

bool HookMatches(const HookDefinition& hook, const json& spec, bool has_bind_mounts) {
  if (hook.always && !*hook.always) return false;
  if (hook.has_bind_mounts && !(*hook.has_bind_mounts && has_bind_mounts)) return false;
  if (!hook.annotations.empty()) {
    const json empty = json::object();
    auto found = spec.find("annotations");
    const json& annotations = found != spec.end() && found->is_object() ? *found : empty;
    for (const auto& rule : hook.annotations) {
      bool matched = false;
      for (const auto& [key, value] : annotations.items()) {
        if (!value.is_string()) continue;
        if (std::regex_search(key, rule.key) &&
            std::regex_search(value.get_ref<const std::string&>(), rule.value)) {
          matched = true;
          break;
        }
      }
      if (!matched) return false;
    }
  }
  if (!hook.commands.empty()) {
    const json* args = nullptr;
    if (auto process = spec.find("process"); process != spec.end()) {
      if (auto a = process->find("args"); a != process->end()) args = &*a;
    }
    if (args == nullptr || !args->is_array() || args->empty() || !(*args)[0].is_string()) {
      return false;
    }
    const std::string& command = (*args)[0].get_ref<const std::string&>();
    if (std::none_of(hook.commands.begin(), hook.commands.end(),
                     [&](const std::regex& r) { return std::regex_search(command, r); })) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> AddMatchingHooks(const std::vector<HookDefinition>& hooks, json& spec,
                                          bool has_bind_mounts) {
  std::vector<std::string> matched;
  for (const HookDefinition& hook : hooks) {
    if (!HookMatches(hook, spec, has_bind_mounts)) continue;
    for (const std::string& stage : hook.stages) spec["hooks"][stage].push_back(hook.hook);
    matched.push_back(hook.file_name);
  }
  return matched;
}

std::shared_ptr<const std::vector<HookDefinition>> HookCache::Get(
    const std::vector<std::string>& dirs) {
  std::string fingerprint = Fingerprint(dirs);
  absl::MutexLock lock(&mu_);
  if (hooks_ != nullptr && dirs == dirs_ && fingerprint == fingerprint_) return hooks_;
  LoadedHooks loaded = LoadHookDirectories({dirs.begin(), dirs.end()});
  for (const std::string& reason : loaded.skipped) {
    spdlog::warn("Skipping OCI hook definition {}", reason);
  }
  spdlog::info("Loaded {} OCI hook definition(s) from {}", loaded.hooks.size(),
               StrJoin(dirs, ", "));
  dirs_ = dirs;
  fingerprint_ = std::move(fingerprint);
  hooks_ = std::make_shared<const std::vector<HookDefinition>>(std::move(loaded.hooks));
  return hooks_;
}

}  // namespace crio::oci
