// crio.conf `timezone`: the container's /etc/localtime, as containers/common sets it up for
// CRI-O: a link to the zone in the image's own zoneinfo when it has one, else a copy of the
// host's zone file bound read-only over /etc/localtime.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/errno_status.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"
#include "crio/oci/spec.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;

bool IsLocal(const std::string& timezone) { return timezone == "Local" || timezone == "local"; }

// Where the zone's file is, as a path both the host and an image with tzdata use.
absl::StatusOr<std::string> ZonePath(const std::string& timezone) {
  if (IsLocal(timezone)) {
    std::error_code ec;
    fs::path local = fs::canonical("/etc/localtime", ec);
    if (ec) {
      return absl::FailedPreconditionError(
          StrCat("timezone Local: finding the host's time zone: ", ec.message()));
    }
    return local.string();
  }
  // A zone name, not a path: "Europe/Paris", "UTC", "Etc/GMT+5".
  bool valid = timezone.front() != '/';
  for (const auto& part : fs::path(timezone)) valid = valid && part != "..";
  if (!valid) return absl::InvalidArgumentError(StrCat("invalid timezone \"", timezone, "\""));
  const char* tzdir = std::getenv("TZDIR");  // glibc's own override, honoured as containers/common
  fs::path base = tzdir != nullptr && *tzdir != '\0' ? fs::path(tzdir) : "/usr/share/zoneinfo";
  return (base / timezone).string();
}

}  // namespace

namespace spec_internal {

absl::StatusOr<std::optional<nlohmann::json>> PrepareTimezone(const SpecInputs& in) {
  if (in.timezone.empty()) return std::nullopt;
  absl::StatusOr<std::string> zone = ZonePath(in.timezone);
  if (!zone.ok()) return zone.status();

  if (absl::Status made = MkdirAllInRoot(in.rootfs, "/etc", 0, 0); !made.ok()) return made;
  absl::StatusOr<fs::path> etc = ResolveInRoot(in.rootfs, "/etc");
  if (!etc.ok()) return etc.status();
  UniqueFd etc_fd(::open(etc->c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!etc_fd.valid()) return ErrnoError(StrCat("open ", etc->string()));
  // The image's own /etc/localtime goes, whatever it was (a link to another zone, a file).
  if (::unlinkat(etc_fd.get(), "localtime", 0) != 0 && errno != ENOENT) {
    return ErrnoError("removing the image's /etc/localtime");
  }

  absl::StatusOr<fs::path> in_image = ResolveInRoot(in.rootfs, *zone);
  if (!in_image.ok()) return in_image.status();
  struct stat st {};
  if (::stat(in_image->c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    // The image has tzdata: a link, as localtime(5) describes, that its own updates keep right.
    if (::symlinkat(zone->c_str(), etc_fd.get(), "localtime") != 0) {
      return ErrnoError("linking /etc/localtime");
    }
    return std::nullopt;
  }

  // No zone data in the image: the host's zone file, copied beside the container's state.
  if (::stat(zone->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(StrCat("invalid timezone \"", in.timezone, "\": ", *zone,
                                             " is not a time zone file on this host"));
  }
  absl::StatusOr<std::string> content = ReadFile(*zone);
  if (!content.ok()) return content.status();
  if (absl::Status written =
          WriteFileAtomically(in.localtime_copy, *content, 0644, Durability::kVolatile);
      !written.ok()) {
    return written;
  }
  return nlohmann::json{{"destination", "/etc/localtime"},
                        {"type", "bind"},
                        {"source", in.localtime_copy},
                        {"options", {"bind", "ro", "nosuid", "nodev", "noexec"}}};
}

}  // namespace spec_internal
}  // namespace crio::oci
