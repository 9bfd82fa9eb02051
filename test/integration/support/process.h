#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crio::testing {

// A child process for integration tests: stdout and stderr go to one file, and the process is
// killed and reaped when the object goes away, so a failing test leaks nothing.
class Process {
 public:
  Process(std::vector<std::string> argv, std::filesystem::path output,
          std::map<std::string, std::string> extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signo) const;
  // The exit status (128+N for a signal), or nullopt when it is still running after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  std::string Output() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path output_;
};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs a command to completion (killed after `timeout`).
RunResult Run(const std::vector<std::string>& argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(30),
              std::map<std::string, std::string> extra_env = {});

// A fresh directory under /tmp, removed with everything in it at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// Sets an environment variable of this process until the end of the scope, then puts back what
// was there (or unsets it).
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The whole content of a file ("" when it cannot be read).
std::string ReadAll(const std::filesystem::path& path);

// A random 64-hex id, like a CRI container or pod id.
std::string RandomHexId();

// Unmounts (lazily) everything mounted at or below `dir`, deepest first; returns how many mounts
// there were, so a test can assert that it left none.
int UnmountAllBelow(const std::filesystem::path& dir);

// Kills (SIGKILL) every process whose command line names `dir` or a path below it (a monitor
// started for a bundle there, say), with its children (the container's init a monitor holds),
// and returns what each was, one command line per entry, so a test can assert that it left none.
std::vector<std::string> KillProcessesNaming(const std::filesystem::path& dir);

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <class Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    ::usleep(10000);
  }
  return condition();
}

}  // namespace crio::testing
