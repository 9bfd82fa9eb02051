#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/config/config.h"

namespace crio::config {

// A configuration value as TOML carries it. Every crio.conf option is one of these four.
using Value = std::variant<std::string, bool, int64_t, std::vector<std::string>>;

// Where in the model an option lives.
using FieldRef = std::variant<std::string*, bool*, int64_t*, std::vector<std::string>*>;

// Extra rules a value must satisfy beyond its TOML type.
enum class Check {
  kNone,
  kDuration,  // Go duration syntax ("1m30s", "0s"), or empty
  kPort,      // a decimal port 0..65535
  kPositive,  // an integer > 0
  kKeyValue,  // each item "key=value"
  kUlimit,    // each item "name=soft:hard"
  kRegex,     // a valid regular expression, or empty
  kMapping,   // "containerID:hostID:size" ranges separated by commas, or empty
  kMemory,    // a memory size as ParseMemorySize reads it, or empty
};

// Whether SIGHUP applies a new value without a restart (CRI-O's reload list).
enum class Reload { kRestart, kLive };

// Whether the daemon acts on the option yet. Options we do not act on still parse and round-trip
// through `crio config`; setting one away from its default logs a warning at startup.
enum class Support { kNotYet, kSupported };

// One option of a table whose fields live in `Owner` (Config, or RuntimeHandler for the
// `[crio.runtime.runtimes.NAME]` tables).
template <class Owner>
struct OptionSpec {
  std::string_view table;  // dotted TOML table, e.g. "crio.api"
  std::string_view key;
  Value default_value;
  std::string_view description;  // one line, shown in `crio config` and the reference doc
  FieldRef (*field)(Owner&);
  Reload reload = Reload::kRestart;
  Support support = Support::kNotYet;
  std::vector<std::string_view> choices = {};  // non-empty for enumerations
  Check check = Check::kNone;
  std::string_view flag = {};  // daemon command-line flag (without "--"), empty when none

  std::string DottedName() const {
    std::string name(table);
    name += '.';
    name += key;
    return name;
  }
};

using ConfigOption = OptionSpec<Config>;
using HandlerOption = OptionSpec<RuntimeHandler>;

// Every option of crio.conf outside the runtime handler tables, in the order `crio config`
// prints them.
const std::vector<ConfigOption>& ConfigOptions();

// The options of one `[crio.runtime.runtimes.NAME]` table.
const std::vector<HandlerOption>& HandlerOptions();

// The sections under [crio], in print order: "crio", "crio.api", ...
const std::vector<std::string_view>& Tables();

// Looks an option up by its dotted name ("crio.api.listen"); nullptr when unknown.
const ConfigOption* FindOption(std::string_view dotted_name);

// TOML type name of a value ("string", "boolean", "integer", "array of strings").
std::string_view TypeName(const Value& value);

// Reads and writes a field through its reference.
Value Get(const FieldRef& field);
// Fails (InvalidArgument) when the value's type is not the field's.
absl::Status Set(const FieldRef& field, const Value& value);

// Checks a value against an option's choices and Check; the message names what is wrong but not
// the option (callers add where it came from).
template <class Owner>
absl::Status CheckValue(const OptionSpec<Owner>& spec, const Value& value);

// Parses a value given as command-line text for a field of the given type: "true"/"false",
// decimal integers, and lists as repeated or comma-separated items.
absl::StatusOr<Value> ParseFlagValue(const Value& type_example,
                                     const std::vector<std::string>& text);

// Renders a value as TOML source text.
std::string FormatToml(const Value& value);

// Parses Go duration syntax ("1h2m3.5s", "300ms", "0"); returns nanoseconds.
absl::StatusOr<int64_t> ParseDuration(std::string_view text);

// Parses a memory size as CRI-O's options take it (docker/go-units RAMInBytes): a number, an
// optional space, and an optional unit k, m, g, t or p with optional "i" and "b" in any case,
// every unit a power of 1024 ("12MiB", "12MB", "12m" are all 12582912); returns bytes.
absl::StatusOr<int64_t> ParseMemorySize(std::string_view text);

// The smallest memory limit a container of the handler `name` may have: its
// container_min_memory, or when that is empty CRI-O's default for its runtime (500KiB for crun,
// which starts in far less memory than runc; 12MiB otherwise).
absl::StatusOr<int64_t> ContainerMinMemory(const RuntimeHandler& handler, std::string_view name);

}  // namespace crio::config
