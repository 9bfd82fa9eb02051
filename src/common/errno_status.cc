#include "crio/common/errno_status.h"

#include <cerrno>
#include <cstring>

#include "crio/common/strings.h"

namespace crio {

absl::Status ErrnoError(std::string_view what) {
  const int error = errno;
  return absl::InternalError(StrCat(what, ": ", std::strerror(error)));
}

}  // namespace crio
