#include "registries_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include <cerrno>
#include <cstring>

#include "crio/common/log.h"
#include "crio/common/strings.h"

namespace crio::daemon {
namespace {

// A file written in place ends with IN_CLOSE_WRITE; one written beside and renamed over it gives
// IN_MOVED_TO. IN_CREATE is left out: a new file is still empty when it is created.
constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;

// How long to wait after an event for the rest of its burst.
constexpr int kSettleMillis = 200;

}  // namespace

absl::StatusOr<std::unique_ptr<RegistriesWatch>> RegistriesWatch::Start(
    const RegistriesFiles& files, std::function<void()> on_change) {
  UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify.valid()) return absl::InternalError(StrCat("inotify_init1: ", std::strerror(errno)));
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop.valid()) return absl::InternalError(StrCat("eventfd: ", std::strerror(errno)));
  // The directory, not the file: a file replaced by rename would leave a watch on the old inode.
  std::filesystem::path file_dir = files.file.parent_path();
  if (file_dir.empty()) file_dir = ".";
  int file_dir_watch = ::inotify_add_watch(inotify.get(), file_dir.c_str(), kEvents);
  if (file_dir_watch < 0) {
    return absl::FailedPreconditionError(
        StrCat("cannot watch ", file_dir.string(), ": ", std::strerror(errno)));
  }
  int dropin_watch = -1;
  if (!files.dropin_dir.empty()) {
    dropin_watch = ::inotify_add_watch(inotify.get(), files.dropin_dir.c_str(), kEvents);
    if (dropin_watch < 0) {
      spdlog::info("Not watching {} for registries drop-ins: {}", files.dropin_dir.string(),
                   std::strerror(errno));
    }
  }
  std::unique_ptr<RegistriesWatch> watch(
      new RegistriesWatch(std::move(inotify), std::move(stop), file_dir_watch, dropin_watch,
                          files.file.filename().string(), std::move(on_change)));
  watch->thread_ = std::thread([raw = watch.get()] { raw->Loop(); });
  return watch;
}

RegistriesWatch::RegistriesWatch(UniqueFd inotify, UniqueFd stop, int file_dir_watch,
                                 int dropin_watch, std::string file_name,
                                 std::function<void()> on_change)
    : inotify_(std::move(inotify)),
      stop_(std::move(stop)),
      file_dir_watch_(file_dir_watch),
      dropin_watch_(dropin_watch),
      file_name_(std::move(file_name)),
      on_change_(std::move(on_change)) {}

RegistriesWatch::~RegistriesWatch() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

bool RegistriesWatch::Relevant(const char* buffer, size_t size) const {
  bool relevant = false;
  for (size_t offset = 0; offset + sizeof(inotify_event) <= size;) {
    const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
    std::string_view name = event->len > 0 ? std::string_view(event->name) : std::string_view();
    if (event->wd == file_dir_watch_ && name == file_name_) relevant = true;
    if (event->wd == dropin_watch_ && name.ends_with(".conf")) relevant = true;
    offset += sizeof(inotify_event) + event->len;
  }
  return relevant;
}

void RegistriesWatch::Loop() {
  alignas(inotify_event) char buffer[16 * 1024];
  bool pending = false;
  while (true) {
    pollfd fds[2] = {{.fd = stop_.get(), .events = POLLIN, .revents = 0},
                     {.fd = inotify_.get(), .events = POLLIN, .revents = 0}};
    int ready = ::poll(fds, 2, pending ? kSettleMillis : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[0].revents & POLLIN) != 0) return;
    if (ready == 0) {  // the burst is over
      pending = false;
      on_change_();
      continue;
    }
    ssize_t n;
    while ((n = ::read(inotify_.get(), buffer, sizeof(buffer))) > 0) {
      if (Relevant(buffer, static_cast<size_t>(n))) pending = true;
    }
  }
}

}  // namespace crio::daemon
