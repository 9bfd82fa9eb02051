#include "crio/network/interface_stats.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio::network {

std::vector<InterfaceStats> ParseProcNetDev(const std::string& text) {
  std::vector<InterfaceStats> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream fields(line.substr(colon + 1));
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs ...
    uint64_t v[16] = {};
    for (uint64_t& field : v) fields >> field;
    out.push_back({name, v[0], v[2], v[8], v[10], v[1], v[3], v[9], v[11]});
  }
  return out;
}

absl::StatusOr<std::vector<InterfaceStats>> ReadInterfaceStats(const std::filesystem::path& netns) {
  UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) {
    return absl::NotFoundError(StrCat("opening ", netns.string(), ": ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> text = absl::InternalError("not read");
  // Network namespaces are per thread: a fresh thread enters it and ends, leaving ours alone.
  std::thread reader([&] {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      text = absl::InternalError(StrCat("entering ", netns.string(), ": ", std::strerror(errno)));
      return;
    }
    text = ReadFile("/proc/thread-self/net/dev");
  });
  reader.join();
  if (!text.ok()) return text.status();
  return ParseProcNetDev(*text);
}

}  // namespace crio::network
