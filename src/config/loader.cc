// Builds the effective configuration from defaults, files and command-line overrides.
#include "crio/config/loader.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <toml.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"
#include "crio/config/options.h"

namespace crio::config {
namespace {

using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

struct Document {
  std::string_view source;
  std::vector<Diagnostic>& warnings;
};

int LineOf(const TomlValue& value) { return static_cast<int>(value.location().line()); }

absl::Status ErrorAt(std::string_view source, int line, std::string_view key,
                     std::string_view message) {
  Diagnostic diagnostic{std::string(source), line, std::string(key), std::string(message)};
  return absl::InvalidArgumentError(diagnostic.ToString());
}

absl::StatusOr<Value> ToValue(const TomlValue& value) {
  switch (value.type()) {
    case toml::value_t::string:
      return Value(value.as_string().str);
    case toml::value_t::boolean:
      return Value(value.as_boolean());
    case toml::value_t::integer:
      return Value(static_cast<int64_t>(value.as_integer()));
    case toml::value_t::array: {
      std::vector<std::string> items;
      for (const TomlValue& item : value.as_array()) {
        if (!item.is_string()) {
          return absl::InvalidArgumentError(
              StrCat("expected an array of strings, found an item of type ",
                     toml::stringize(item.type())));
        }
        items.push_back(item.as_string().str);
      }
      return Value(std::move(items));
    }
    default:
      return absl::InvalidArgumentError(
          StrCat("unsupported value of type ", toml::stringize(value.type())));
  }
}

// Assigns one TOML value to the option it names, after type and value checks.
template <class Owner>
absl::Status AssignOption(const OptionSpec<Owner>& spec, std::string_view dotted_name,
                          const TomlValue& raw, Owner& owner, const Document& doc) {
  absl::StatusOr<Value> value = ToValue(raw);
  if (!value.ok())
    return ErrorAt(doc.source, LineOf(raw), dotted_name, View(value.status().message()));
  FieldRef field = spec.field(owner);
  if (field.index() != value->index()) {
    return ErrorAt(
        doc.source, LineOf(raw), dotted_name,
        StrCat("expected a value of type ", TypeName(Get(field)), ", got ", TypeName(*value)));
  }
  if (auto status = CheckValue(spec, *value); !status.ok()) {
    return ErrorAt(doc.source, LineOf(raw), dotted_name, View(status.message()));
  }
  return Set(field, *value);
}

void WarnUnknown(const Document& doc, const TomlValue& value, std::string_view dotted_name) {
  doc.warnings.push_back(Diagnostic{std::string(doc.source), LineOf(value),
                                    std::string(dotted_name),
                                    "unknown option, ignored (is it misspelled or misplaced?)"});
}

// CRI-O tables that we recognise but do not model yet.
constexpr std::string_view kUnsupportedTables[] = {
    "crio.runtime.workloads", "crio.nri.default_validator", "crio.checkpoint_restore"};

void WarnUnsupported(const Document& doc, const TomlValue& value, std::string_view dotted_name) {
  doc.warnings.push_back(Diagnostic{std::string(doc.source), LineOf(value),
                                    std::string(dotted_name), "not supported yet, ignored"});
}

absl::Status MergeHandlers(const TomlValue& handlers, Config& config, const Document& doc) {
  if (!handlers.is_table()) {
    return ErrorAt(doc.source, LineOf(handlers), "crio.runtime.runtimes",
                   "expected a table of runtime handlers");
  }
  for (const auto& [name, table] : handlers.as_table()) {
    std::string handler_name = StrCat("crio.runtime.runtimes.", name);
    if (!table.is_table()) {
      return ErrorAt(doc.source, LineOf(table), handler_name, "expected a table");
    }
    // A handler table that only some files set merges key by key like any other table.
    RuntimeHandler& handler =
        config.runtime.runtimes.try_emplace(name, DefaultRuntimeHandler()).first->second;
    for (const auto& [key, raw] : table.as_table()) {
      std::string dotted = StrCat(handler_name, ".", key);
      const auto& options = HandlerOptions();
      auto it = std::find_if(options.begin(), options.end(),
                             [&](const HandlerOption& spec) { return spec.key == key; });
      if (it == options.end()) {
        if (key == "platform_runtime_paths" || key == "default_annotations") {
          WarnUnsupported(doc, raw, dotted);
        } else {
          WarnUnknown(doc, raw, dotted);
        }
        continue;
      }
      if (auto status = AssignOption(*it, dotted, raw, handler, doc); !status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::Status MergeTable(const TomlValue& table, const std::string& path, Config& config,
                        const Document& doc) {
  const auto& tables = Tables();
  for (const auto& [key, raw] : table.as_table()) {
    std::string dotted = path.empty() ? key : StrCat(path, ".", key);
    if (const ConfigOption* spec = FindOption(dotted); spec != nullptr) {
      if (auto status = AssignOption(*spec, dotted, raw, config, doc); !status.ok()) return status;
      continue;
    }
    if (dotted == "crio.runtime.runtimes") {
      if (auto status = MergeHandlers(raw, config, doc); !status.ok()) return status;
      continue;
    }
    if (std::find(tables.begin(), tables.end(), dotted) != tables.end()) {
      if (!raw.is_table()) return ErrorAt(doc.source, LineOf(raw), dotted, "expected a table");
      if (auto status = MergeTable(raw, dotted, config, doc); !status.ok()) return status;
      continue;
    }
    if (std::find(std::begin(kUnsupportedTables), std::end(kUnsupportedTables), dotted) !=
        std::end(kUnsupportedTables)) {
      WarnUnsupported(doc, raw, dotted);
      continue;
    }
    WarnUnknown(doc, raw, dotted);
  }
  return absl::OkStatus();
}

// toml11 formats its errors over several lines with a source excerpt; a diagnostic wants the
// first line's explanation only.
std::string FirstLineOfTomlError(std::string_view what) {
  std::string_view first = what.substr(0, what.find('\n'));
  constexpr std::string_view kPrefix = "[error] ";
  if (first.substr(0, kPrefix.size()) == kPrefix) first.remove_prefix(kPrefix.size());
  return std::string(first);
}

template <class Owner>
Change::Effect EffectOf(const OptionSpec<Owner>& spec) {
  if (spec.support == Support::kNotYet) return Change::Effect::kNotSupported;
  return spec.reload == Reload::kLive ? Change::Effect::kApplied : Change::Effect::kNeedsRestart;
}

}  // namespace

std::string Diagnostic::ToString() const {
  std::string out = source;
  if (line > 0) StrAppend(&out, ":", line);
  if (!key.empty()) StrAppend(&out, ": ", key);
  StrAppend(&out, ": ", message);
  return out;
}

absl::Status MergeToml(std::string_view toml_text, std::string_view source, Config& config,
                       std::vector<Diagnostic>& warnings) {
  TomlValue root;
  try {
    std::istringstream stream{std::string(toml_text)};
    root = toml::parse<toml::discard_comments, std::map, std::vector>(stream, std::string(source));
  } catch (const toml::exception& e) {
    return ErrorAt(source, static_cast<int>(e.location().line()), "",
                   StrCat("invalid TOML: ", FirstLineOfTomlError(e.what())));
  } catch (const std::exception& e) {
    return ErrorAt(source, 0, "", StrCat("invalid TOML: ", e.what()));
  }
  Document doc{source, warnings};
  for (const auto& [key, raw] : root.as_table()) {
    if (key != "crio") {
      WarnUnknown(doc, raw, key);
      continue;
    }
    if (!raw.is_table()) return ErrorAt(source, LineOf(raw), "crio", "expected a table");
    if (auto status = MergeTable(raw, "crio", config, doc); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status MergeFile(const std::filesystem::path& path, Config& config,
                       std::vector<Diagnostic>& warnings) {
  absl::StatusOr<std::string> content = ReadFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        StrCat("cannot read configuration: ", content.status().message()));
  }
  return MergeToml(*content, path.string(), config, warnings);
}

absl::Status ApplyOverride(const Override& override_value, Config& config) {
  const ConfigOption* spec = FindOption(override_value.option);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(
        StrCat("command line: unknown option ", override_value.option));
  }
  auto fail = [&](std::string_view message) {
    return ErrorAt("command line", 0, StrCat("--", spec->flag, " (", spec->DottedName(), ")"),
                   message);
  };
  FieldRef field = spec->field(config);
  absl::StatusOr<Value> value = ParseFlagValue(Get(field), override_value.values);
  if (!value.ok()) return fail(View(value.status().message()));
  if (auto status = CheckValue(*spec, *value); !status.ok()) return fail(View(status.message()));
  return Set(field, *value);
}

absl::Status Validate(const Config& config) {
  if (config.DefaultHandler() == nullptr) {
    std::vector<std::string> names;
    for (const auto& [name, handler] : config.runtime.runtimes) names.push_back(name);
    return absl::InvalidArgumentError(StrCat(
        "crio.runtime.default_runtime: no [crio.runtime.runtimes.", config.runtime.default_runtime,
        "] table is configured (handlers: ", names.empty() ? "none" : StrJoin(names, ", "), ")"));
  }
  if (config.api.listen.empty() || config.api.listen.front() != '/') {
    return absl::InvalidArgumentError(StrCat(
        "crio.api.listen: must be an absolute socket path, got \"", config.api.listen, "\""));
  }
  // The monitor reads a container's output 8 KiB at a time: a smaller file could not hold one read.
  if (config.runtime.log_size_max >= 0 && config.runtime.log_size_max < 8192) {
    return absl::InvalidArgumentError(
        StrCat("crio.runtime.log_size_max: must be negative or at "
               "least 8192, got ",
               config.runtime.log_size_max));
  }
  if (config.stats.collection_period < 0) {
    return absl::InvalidArgumentError("crio.stats.collection_period: must not be negative");
  }
  return absl::OkStatus();
}

absl::StatusOr<Loaded> Load(const Sources& sources) {
  Loaded loaded;
  loaded.config = Defaults();

  std::error_code ec;
  if (std::filesystem::exists(sources.config_file, ec)) {
    if (auto status = MergeFile(sources.config_file, loaded.config, loaded.warnings);
        !status.ok()) {
      return status;
    }
    loaded.files.push_back(sources.config_file);
  } else if (sources.config_file_required) {
    return absl::InvalidArgumentError(
        StrCat(sources.config_file.string(), ": configuration file does not exist"));
  }

  if (!sources.config_dir.empty() && std::filesystem::is_directory(sources.config_dir, ec)) {
    std::vector<std::filesystem::path> dropins;
    for (const auto& entry : std::filesystem::directory_iterator(sources.config_dir, ec)) {
      if (entry.path().extension() == ".conf" && !entry.is_directory()) {
        dropins.push_back(entry.path());
      }
    }
    if (ec) {
      return absl::InvalidArgumentError(
          StrCat(sources.config_dir.string(), ": cannot list drop-in directory: ", ec.message()));
    }
    std::sort(dropins.begin(), dropins.end());
    for (const auto& path : dropins) {
      if (auto status = MergeFile(path, loaded.config, loaded.warnings); !status.ok())
        return status;
      loaded.files.push_back(path);
    }
  }

  for (const Override& override_value : sources.overrides) {
    if (auto status = ApplyOverride(override_value, loaded.config); !status.ok()) return status;
  }
  if (auto status = Validate(loaded.config); !status.ok()) return status;
  return loaded;
}

std::vector<std::string> UnsupportedSettings(const Config& config) {
  std::vector<std::string> names;
  Config defaults = Defaults();
  Config copy = config;  // option fields hand out mutable references
  for (const ConfigOption& spec : ConfigOptions()) {
    if (spec.support == Support::kSupported) continue;
    if (Get(spec.field(copy)) != Get(spec.field(defaults))) names.push_back(spec.DottedName());
  }
  RuntimeHandler default_handler = DefaultRuntimeHandler();
  for (auto& [name, handler] : copy.runtime.runtimes) {
    const auto it = defaults.runtime.runtimes.find(name);
    RuntimeHandler& baseline = it != defaults.runtime.runtimes.end() ? it->second : default_handler;
    for (const HandlerOption& spec : HandlerOptions()) {
      if (spec.support == Support::kSupported) continue;
      if (Get(spec.field(handler)) != Get(spec.field(baseline))) {
        names.push_back(StrCat("crio.runtime.runtimes.", name, ".", spec.key));
      }
    }
  }
  return names;
}

std::vector<Change> Diff(const Config& before, const Config& after) {
  std::vector<Change> changes;
  Config old_copy = before;
  Config new_copy = after;
  for (const ConfigOption& spec : ConfigOptions()) {
    Value old_value = Get(spec.field(old_copy));
    Value new_value = Get(spec.field(new_copy));
    if (old_value != new_value) {
      changes.push_back(
          {spec.DottedName(), FormatToml(old_value), FormatToml(new_value), EffectOf(spec)});
    }
  }
  // Handler tables are reloadable as a whole in CRI-O; we act on none of their options yet.
  std::set<std::string> names;
  for (const auto& [name, handler] : before.runtime.runtimes) names.insert(name);
  for (const auto& [name, handler] : after.runtime.runtimes) names.insert(name);
  for (const std::string& name : names) {
    auto old_it = old_copy.runtime.runtimes.find(name);
    auto new_it = new_copy.runtime.runtimes.find(name);
    std::string table = StrCat("crio.runtime.runtimes.", name);
    if (old_it == old_copy.runtime.runtimes.end() || new_it == new_copy.runtime.runtimes.end()) {
      changes.push_back({table, old_it == old_copy.runtime.runtimes.end() ? "absent" : "present",
                         new_it == new_copy.runtime.runtimes.end() ? "absent" : "present",
                         Change::Effect::kNotSupported});
      continue;
    }
    for (const HandlerOption& spec : HandlerOptions()) {
      Value old_value = Get(spec.field(old_it->second));
      Value new_value = Get(spec.field(new_it->second));
      if (old_value != new_value) {
        changes.push_back({StrCat(table, ".", spec.key), FormatToml(old_value),
                           FormatToml(new_value), EffectOf(spec)});
      }
    }
  }
  return changes;
}

Config ApplyReload(const Config& running, const Config& reloaded, std::vector<Change>& changes) {
  changes = Diff(running, reloaded);
  Config next = running;
  Config source = reloaded;
  for (const Change& change : changes) {
    if (change.effect != Change::Effect::kApplied) continue;
    // Only table options can be applied live today; handler options are not supported yet.
    if (const ConfigOption* spec = FindOption(change.option); spec != nullptr) {
      (void)Set(spec->field(next), Get(spec->field(source)));
    }
  }
  return next;
}

}  // namespace crio::config
