#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace crio {

struct SpawnOptions {
  std::vector<std::string> argv;                // argv[0] is a path, or a name looked up in $PATH
  std::optional<std::vector<std::string>> env;  // "KEY=value" items; nullopt inherits ours
  std::filesystem::path cwd;                    // empty keeps ours
  int stdin_fd = -1;                            // -1 means /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::vector<int> extra_fds;  // become fds 3, 4, ... in the child, in this order
};

// Starts a child through the Reaper (wait for it with Reaper::Get().Wait). The child starts with
// an empty signal mask and default signal dispositions whatever this process uses, and with no
// fd of ours but the ones named in `options` (every fd we open is close-on-exec). An exec failure
// is reported here, not as a mysterious exit code.
absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

struct CommandResult {
  int exit_code = 0;  // 128+N for a death by signal N
  std::string out;
  std::string err;
};

// Runs a command to completion with `input` on its stdin, capturing stdout and stderr. Killed
// and DeadlineExceeded after `timeout`.
absl::StatusOr<CommandResult> RunCommand(
    const std::vector<std::string>& argv, std::string_view input = {},
    absl::Duration timeout = absl::Seconds(60),
    std::optional<std::vector<std::string>> env = std::nullopt);

// The first executable regular file `name` in $PATH's directories; empty when there is none.
std::filesystem::path FindInPath(std::string_view name);

}  // namespace crio
