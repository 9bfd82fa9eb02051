#include "crio/common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "crio/common/errno_status.h"
#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

extern char** environ;

namespace crio {
namespace {

// Fds at or above this number are out of the way of the 0, 1, 2, 3... we hand the child.
constexpr int kScratchFdBase = 256;

std::vector<char*> CStrings(std::vector<std::string>& items) {
  std::vector<char*> pointers;
  for (auto& item : items) pointers.push_back(item.data());
  pointers.push_back(nullptr);
  return pointers;
}

// posix_spawn's attributes and file actions, destroyed with the object.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

absl::StatusOr<pid_t> Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("spawn: empty command");
  if (options.extra_fds.size() > 60) return absl::InvalidArgumentError("spawn: too many fds");
  // Everything the child needs is prepared before fork: the child may not allocate.
  std::vector<std::string> argv_storage = options.argv;
  std::vector<char*> argv = CStrings(argv_storage);
  std::vector<std::string> env_storage;
  if (options.env) {
    env_storage = *options.env;
  } else {
    for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
  }
  std::vector<char*> envp = CStrings(env_storage);

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) return ErrnoError("open /dev/null");
  std::vector<int> sources = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
  sources.insert(sources.end(), options.extra_fds.begin(), options.extra_fds.end());
  // Each source is first copied out of the way of the target numbers 0..n-1, so that moving one
  // into place can never overwrite another not yet moved. The copies are close-on-exec; the
  // dup2 into place clears that flag on the target only.
  std::vector<UniqueFd> scratch;
  scratch.reserve(sources.size());
  for (int fd : sources) {
    scratch.emplace_back(::fcntl(fd < 0 ? devnull.get() : fd, F_DUPFD_CLOEXEC, kScratchFdBase));
    if (!scratch.back().valid()) return ErrnoError("dup");
  }

  // posix_spawn clones with CLONE_VM|CLONE_VFORK: no page tables are copied, which matters for a
  // daemon that starts a monitor and a runtime per container.
  SpawnSetup setup;
  for (size_t i = 0; i < scratch.size(); ++i) {
    posix_spawn_file_actions_adddup2(&setup.actions, scratch[i].get(), static_cast<int>(i));
  }
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd.c_str());
  }
  // The child starts with an empty signal mask and every signal at its default action.
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  int spawn_error = 0;
  absl::StatusOr<pid_t> pid = Reaper::Get().Launch([&]() -> absl::StatusOr<pid_t> {
    pid_t child = -1;
    spawn_error =
        ::posix_spawnp(&child, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data());
    if (spawn_error != 0) return absl::FailedPreconditionError("spawn failed");
    return child;
  });
  if (spawn_error != 0) {
    return absl::FailedPreconditionError(
        StrCat("cannot run ", options.argv[0], ": ", std::strerror(spawn_error)));
  }
  if (!pid.ok()) return pid.status();
  return *pid;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::string_view input, absl::Duration timeout,
                                         std::optional<std::vector<std::string>> env) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    return ErrnoError("pipe2");
  }
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  UniqueFd in_read(in_pipe[0]), in_write(in_pipe[1]);

  SpawnOptions options;
  options.argv = argv;
  options.env = std::move(env);
  options.stdin_fd = in_read.get();
  options.stdout_fd = out_write.get();
  options.stderr_fd = err_write.get();
  absl::StatusOr<pid_t> pid = Spawn(options);
  if (!pid.ok()) return pid.status();
  in_read.Reset();
  out_write.Reset();
  err_write.Reset();
  ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
  if (input.empty()) in_write.Reset();

  CommandResult result;
  absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  while (out_read.valid() || err_read.valid()) {
    pollfd fds[3];
    int count = 0;
    UniqueFd* owners[3];
    for (UniqueFd* fd : {&out_read, &err_read}) {
      if (fd->valid()) {
        fds[count] = {fd->get(), POLLIN, 0};
        owners[count++] = fd;
      }
    }
    if (in_write.valid()) {
      fds[count] = {in_write.get(), POLLOUT, 0};
      owners[count++] = &in_write;
    }
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds, count, wait_ms) < 0 && errno != EINTR) return ErrnoError("poll");
    for (int i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == &in_write) {
        ssize_t n = ::write(in_write.get(), input.data(), input.size());
        if (n > 0) input.remove_prefix(static_cast<size_t>(n));
        if (n < 0 && errno != EAGAIN) input = {};
        if (input.empty()) in_write.Reset();
        continue;
      }
      char buffer[16384];
      ssize_t n = ::read(owners[i]->get(), buffer, sizeof(buffer));
      if (n > 0) {
        (owners[i] == &out_read ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        owners[i]->Reset();
      }
    }
  }
  if (timed_out) ::kill(*pid, SIGKILL);
  std::optional<int> status = Reaper::Get().Wait(*pid, timed_out ? absl::Seconds(10) : timeout);
  if (timed_out || !status) {
    if (!status) {
      ::kill(*pid, SIGKILL);
      Reaper::Get().Wait(*pid, absl::Seconds(10));
    }
    return absl::DeadlineExceededError(
        StrCat(argv[0], " did not finish within ", absl::FormatDuration(timeout)));
  }
  result.exit_code = *status;
  return result;
}

std::filesystem::path FindInPath(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    size_t colon = dirs.find(':');
    std::filesystem::path dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";  // an empty entry means the working directory
    std::filesystem::path candidate = dir / name;
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

}  // namespace crio
