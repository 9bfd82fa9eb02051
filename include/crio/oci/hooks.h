#pragma once

// OCI hooks from hook-definition directories (the oci-hooks(5) format, version 1.0.0, that CRI-O
// reads from `hooks_dir`): which hooks a container gets and in which runtime-spec stages.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace crio::oci {

// One hook definition file.
struct HookDefinition {
  std::string file_name;  // "10-record.json": the sort key and the override key
  nlohmann::json hook;    // the runtime-spec hook: path, args, env, timeout
  std::vector<std::string> stages;

  // `when`: every condition that is present must hold (1.0.0 has no "or").
  std::optional<bool> always;
  std::optional<bool> has_bind_mounts;
  struct AnnotationRule {
    std::regex key;
    std::regex value;
  };
  std::vector<AnnotationRule> annotations;
  std::vector<std::regex> commands;  // matched against process.args[0]
};

// The runtime-spec hook stages a definition may name.
const std::vector<std::string>& HookStages();

// Parses one definition. InvalidArgument says what is wrong: not version 1.0.0, a missing or
// malformed member, a bad regular expression, an unknown stage, no `when` condition, a hook
// path that is not an absolute path to an existing file.
absl::StatusOr<HookDefinition> ParseHookDefinition(std::string_view text,
                                                   const std::string& file_name);

struct LoadedHooks {
  std::vector<HookDefinition> hooks;  // sorted by file name
  // "<path>: <reason>" for every *.json file that was skipped.
  std::vector<std::string> skipped;
};

// Reads every *.json file of `dirs` (missing directories are skipped). A file in a later
// directory replaces the one with the same name from an earlier directory.
LoadedHooks LoadHookDirectories(const std::vector<std::filesystem::path>& dirs);

// Whether `hook` applies to the container whose spec (process.args, annotations) is `spec`.
bool HookMatches(const HookDefinition& hook, const nlohmann::json& spec, bool has_bind_mounts);

// Appends the hook of every matching definition to spec["hooks"][stage], in file-name order.
// Returns the names of the definitions that matched.
std::vector<std::string> AddMatchingHooks(const std::vector<HookDefinition>& hooks,
                                          nlohmann::json& spec, bool has_bind_mounts);

// The hook directories' definitions, re-read whenever a directory or a file in it changes (a
// cheap stat of each at every Get), so edited hooks apply to the next container as in CRI-O,
// which watches the directories. Thread-safe.
class HookCache {
 public:
  std::shared_ptr<const std::vector<HookDefinition>> Get(const std::vector<std::string>& dirs)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  std::vector<std::string> dirs_ ABSL_GUARDED_BY(mu_);
  std::string fingerprint_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<HookDefinition>> hooks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace crio::oci
