#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace crio {

// An InternalError naming what failed and the errno it failed with, as "dup: Bad file
// descriptor". Call it right after the failing call, before anything else can change errno.
absl::Status ErrnoError(std::string_view what);

}  // namespace crio
