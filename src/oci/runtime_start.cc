// Starting a created container. `runc start` is a whole Go process that does one small thing: a
// created container's init sits blocked opening <root>/<id>/exec.fifo for writing; `runc start`
// opens it for reading, takes the byte init then writes, and removes the FIFO, which is how runc
// tells "created" from "running" ever after. Doing that here saves that process on every
// container start (5-10 ms and a Go runtime's memory each on a small node). Anything unexpected
// falls back to `runc start`, which then reports in its own words.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "crio/common/unique_fd.h"
#include "crio/oci/runtime.h"

namespace crio::oci {
namespace {

// Longest we hold the FIFO open waiting for init's byte before leaving it to `runc start`.
constexpr absl::Duration kReleaseWait = absl::Seconds(10);

// runc 1.2 runs poststart hooks in `runc start` (1.1 runs them in create): a spec with such
// hooks always goes through the runtime.
bool HasPoststartHooks(const std::filesystem::path& bundle) {
  std::ifstream in(bundle / "config.json");
  auto spec = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object()) return true;  // unknown: take the safe path
  auto hooks = spec.find("hooks");
  if (hooks == spec.end() || !hooks->is_object()) return false;
  auto poststart = hooks->find("poststart");
  return poststart != hooks->end() && !poststart->empty();
}

// A live process that is not a zombie.
bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // The state follows the parenthesised command, which may itself hold parentheses.
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// Releases the init blocked on `fifo`. True when it was released; false when this path does not
// apply (no FIFO, init gone, nothing written) and `runc start` must decide.
bool ReleaseInit(const std::filesystem::path& fifo, pid_t init_pid) {
  struct stat info {};
  if (::lstat(fifo.c_str(), &info) != 0 || !S_ISFIFO(info.st_mode)) return false;
  // Non-blocking, so that a vanished init cannot leave us stuck in open(); readiness comes
  // from poll, which reports nothing until a writer has come.
  UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return false;
  absl::Time deadline = absl::Now() + kReleaseWait;
  while (absl::Now() < deadline) {
    pollfd entry{.fd = fd.get(), .events = POLLIN, .revents = 0};
    int ready = ::poll(&entry, 1, 100);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return false;
    if (ready == 0) {
      if (!ProcessAlive(init_pid)) return false;
      continue;
    }
    char byte = 0;
    ssize_t got = ::read(fd.get(), &byte, 1);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got != 1) return false;  // the writer left without a word
    // Removing the FIFO is what makes runc report the container as running.
    if (::unlink(fifo.c_str()) != 0 && errno != ENOENT) {
      spdlog::warn("Could not remove {}: {}", fifo.string(), std::strerror(errno));
    }
    return true;
  }
  return false;
}

}  // namespace

absl::Status Runtime::Start(const std::string& id, const StartOptions& options) {
  bool runc = settings_.runtime_binary.filename() == "runc";
  if (runc && options.init_pid > 0 && !options.bundle.empty() &&
      !HasPoststartHooks(options.bundle) &&
      ReleaseInit(settings_.runtime_root / id / "exec.fifo", options.init_pid)) {
    return absl::OkStatus();
  }
  return RunRuntime({"start", id}).status();
}

}  // namespace crio::oci
