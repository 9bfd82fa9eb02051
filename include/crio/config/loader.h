#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/config/config.h"

namespace crio::config {

// A problem found in a configuration source, located as precisely as the source allows.
struct Diagnostic {
  std::string source;  // file path, or "command line"
  int line = 0;        // 0 when unknown
  std::string key;     // dotted option name, empty for file-level problems
  std::string message;

  std::string ToString() const;  // "FILE:LINE: KEY: MESSAGE"
};

// A command-line override: dotted option name and its text value(s).
struct Override {
  std::string option;
  std::vector<std::string> values;
};

// Where the configuration comes from, lowest to highest precedence: built-in defaults, the main
// file, the drop-in directory's *.conf in lexical order, then overrides.
struct Sources {
  std::filesystem::path config_file = "/etc/crio/crio.conf";
  bool config_file_required = false;  // true when the user named it explicitly
  std::filesystem::path config_dir = "/etc/crio/crio.conf.d";
  std::vector<Override> overrides;
};

struct Loaded {
  Config config;
  std::vector<Diagnostic> warnings;          // unknown keys and other survivable problems
  std::vector<std::filesystem::path> files;  // the files read, in order
};

// Builds the effective configuration from its sources and validates it. Any error (unreadable or
// unparsable file, wrong type, bad value, inconsistent settings) fails the whole load with
// InvalidArgument naming the file, line and key.
absl::StatusOr<Loaded> Load(const Sources& sources);

// Applies the keys one TOML document sets onto `config`: tables merge, scalars and arrays replace.
// `source` names the document in diagnostics.
absl::Status MergeToml(std::string_view toml, std::string_view source, Config& config,
                       std::vector<Diagnostic>& warnings);
absl::Status MergeFile(const std::filesystem::path& path, Config& config,
                       std::vector<Diagnostic>& warnings);

// Applies one command-line override.
absl::Status ApplyOverride(const Override& override_value, Config& config);

// Cross-option rules (the default runtime exists, ...), checked after all sources are merged.
absl::Status Validate(const Config& config);

// Options whose value differs from the built-in default although the daemon does not act on them
// yet, as "crio.section.key"; the daemon warns about each at startup.
std::vector<std::string> UnsupportedSettings(const Config& config);

// One option whose value differs between two configurations.
struct Change {
  std::string option;
  std::string old_value;  // TOML text
  std::string new_value;
  // What a reload does with it: applies it now, needs a restart to apply it, or cannot act on
  // it yet because the daemon does not support the option.
  enum class Effect { kApplied, kNeedsRestart, kNotSupported } effect = Effect::kNeedsRestart;
};
std::vector<Change> Diff(const Config& before, const Config& after);

// The configuration a SIGHUP leaves running: `running` with the new value of every option whose
// change the daemon applies live (Change::Effect::kApplied); other changes wait for a restart.
// `changes` receives every difference, for logging.
Config ApplyReload(const Config& running, const Config& reloaded, std::vector<Change>& changes);

}  // namespace crio::config
