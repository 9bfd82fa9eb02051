#include "crio/oci/exit_watcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "crio/common/atomic_file.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/oci/runtime.h"

namespace crio::oci {
namespace {

// After SIGKILL, how long the exit file may take to appear before we call the stop a failure.
constexpr absl::Duration kKillGrace = absl::Seconds(10);

}  // namespace

absl::StatusOr<std::unique_ptr<ExitWatcher>> ExitWatcher::Start(std::filesystem::path exits_dir,
                                                                Callback on_exit) {
  std::error_code ec;
  std::filesystem::create_directories(exits_dir, ec);
  if (ec) return absl::InternalError(StrCat("create ", exits_dir.string(), ": ", ec.message()));
  auto watcher =
      std::make_unique<ExitWatcher>(StartTag{}, std::move(exits_dir), std::move(on_exit));
  watcher->inotify_.Reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  watcher->wakeup_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!watcher->inotify_.valid() || !watcher->wakeup_.valid()) {
    return absl::InternalError(StrCat("inotify/eventfd: ", std::strerror(errno)));
  }
  // Monitors write the file under a temporary name and rename it (IN_MOVED_TO); a monitor that
  // writes in place finishes with IN_CLOSE_WRITE.
  if (::inotify_add_watch(watcher->inotify_.get(), watcher->dir_.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    return absl::InternalError(
        StrCat("watch ", watcher->dir_.string(), ": ", std::strerror(errno)));
  }
  // Exits that happened before the watch (for instance while the daemon was down).
  for (const auto& entry : std::filesystem::directory_iterator(watcher->dir_, ec)) {
    std::string id = entry.path().filename().string();
    if (auto exit = watcher->ReadExitFile(id)) {
      absl::MutexLock lock(&watcher->mu_);
      watcher->exits_[id] = *exit;
    }
  }
  watcher->thread_ = std::thread([raw = watcher.get()] { raw->Loop(); });
  return watcher;
}

ExitWatcher::~ExitWatcher() {
  uint64_t one = 1;
  (void)!::write(wakeup_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

std::optional<ExitInfo> ExitWatcher::ReadExitFile(const std::string& id) const {
  std::filesystem::path path = dir_ / id;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  std::string_view digits = *text;
  while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' '))
    digits.remove_suffix(1);
  int code = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return ExitInfo{code, absl::TimeFromTimespec(st.st_mtim)};
}

void ExitWatcher::Loop() {
  alignas(inotify_event) char buffer[8192];
  while (true) {
    pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {wakeup_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("Exit watcher stopped: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    ssize_t n = ::read(inotify_.get(), buffer, sizeof(buffer));
    if (n <= 0) continue;
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + event->len;
      if (event->len == 0) continue;
      std::string id = event->name;
      if (id.starts_with(".")) continue;  // a monitor's temporary file
      std::optional<ExitInfo> exit = ReadExitFile(id);
      if (!exit) continue;
      {
        absl::MutexLock lock(&mu_);
        exits_[id] = *exit;
      }
      spdlog::debug("Container {} exited with status {}", id, exit->exit_code);
      absl::MutexLock callback_lock(&callback_mu_);
      if (on_exit_) on_exit_(id, *exit);
    }
  }
}

void ExitWatcher::SetCallback(Callback on_exit) {
  absl::MutexLock lock(&callback_mu_);
  on_exit_ = std::move(on_exit);
}

std::optional<ExitInfo> ExitWatcher::Wait(const std::string& id, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto known = [this, &id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return exits_.count(id) > 0; };
  mu_.AwaitWithTimeout(absl::Condition(&known), timeout);
  auto it = exits_.find(id);
  if (it == exits_.end()) return std::nullopt;
  return it->second;
}

void ExitWatcher::Forget(const std::string& id) {
  {
    absl::MutexLock lock(&mu_);
    exits_.erase(id);
  }
  std::error_code ec;
  std::filesystem::remove(dir_ / id, ec);
}

bool WasOomKilled(const std::filesystem::path& bundle) {
  std::error_code ec;
  return std::filesystem::exists(bundle / "oom", ec);
}

absl::Status StopContainer(Runtime& runtime, ExitWatcher& exits, const std::string& id, int signal,
                           absl::Duration timeout) {
  if (exits.Wait(id, absl::ZeroDuration())) return absl::OkStatus();
  absl::Status sent = runtime.Kill(id, signal);
  if (absl::IsNotFound(sent)) return absl::OkStatus();
  if (sent.ok() && exits.Wait(id, timeout)) return absl::OkStatus();
  if (!sent.ok()) spdlog::warn("Stop signal {} to {} failed: {}", signal, id, sent.message());
  spdlog::info("Container {} did not stop within {}; killing it", id,
               absl::FormatDuration(timeout));
  absl::Status killed = runtime.Kill(id, SIGKILL);
  if (absl::IsNotFound(killed)) return absl::OkStatus();
  if (exits.Wait(id, kKillGrace)) return absl::OkStatus();
  return absl::DeadlineExceededError(
      StrCat("container ", id, " did not exit after SIGKILL",
             killed.ok() ? "" : StrCat(": ", View(killed.message()))));
}

}  // namespace crio::oci
