#include "crio/common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

extern char** environ;

namespace crio {
namespace {

// Fds at or above this number are out of the way of the 0, 1, 2, 3... we hand the child.
constexpr int kScratchFdBase = 256;

absl::Status ErrnoStatus(std::string_view what) {
  return absl::InternalError(StrCat(what, ": ", std::strerror(errno)));
}

std::vector<char*> CStrings(std::vector<std::string>& items) {
  std::vector<char*> pointers;
  for (auto& item : items) pointers.push_back(item.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child: only async-signal-safe calls from here to exec.
// `sources[i]` becomes fd i.
[[noreturn]] void ExecChild(const int* sources, size_t count, const char* cwd, char** argv,
                            char** envp, int error_pipe) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  // Two passes, so a source fd that is also a target number is not overwritten before use.
  int moved[64];
  for (size_t i = 0; i < count; ++i) {
    moved[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, kScratchFdBase);
    if (moved[i] < 0) goto fail;
  }
  for (size_t i = 0; i < count; ++i) {
    if (dup2(moved[i], static_cast<int>(i)) < 0) goto fail;  // dup2 clears close-on-exec
  }
  if (cwd[0] != '\0' && chdir(cwd) != 0) goto fail;
  execvpe(argv[0], argv, envp);
fail:
  int err = errno;
  (void)!write(error_pipe, &err, sizeof(err));
  _exit(127);
}

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
  if (!devnull.valid()) return ErrnoStatus("open /dev/null");
  std::vector<int> sources = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
  sources.insert(sources.end(), options.extra_fds.begin(), options.extra_fds.end());
  for (int& fd : sources) {
    if (fd < 0) fd = devnull.get();
  }
  std::string cwd = options.cwd.string();
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  UniqueFd error_read(error_pipe[0]);
  UniqueFd error_write(error_pipe[1]);

  absl::StatusOr<pid_t> pid = Reaper::Get().Launch([&]() -> absl::StatusOr<pid_t> {
    pid_t child = ::fork();
    if (child < 0) return ErrnoStatus("fork");
    if (child == 0) {
      ExecChild(sources.data(), sources.size(), cwd.c_str(), argv.data(), envp.data(),
                error_write.get());
    }
    return child;
  });
  if (!pid.ok()) return pid.status();
  error_write.Reset();

  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == sizeof(child_errno)) {
    Reaper::Get().Wait(*pid, absl::Seconds(10));
    return absl::FailedPreconditionError(
        StrCat("cannot run ", options.argv[0], ": ", std::strerror(child_errno)));
  }
  return *pid;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::string_view input, absl::Duration timeout,
                                         std::optional<std::vector<std::string>> env) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    return ErrnoStatus("pipe2");
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
    if (::poll(fds, count, wait_ms) < 0 && errno != EINTR) return ErrnoStatus("poll");
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

}  // namespace crio
