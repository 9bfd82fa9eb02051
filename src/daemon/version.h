#pragma once

#include <string>

namespace crio::daemon {

// What `crio version` prints: version, commit, build date, compiler and linked library versions,
// as aligned "Key: value" lines or, with `json`, one JSON object.
std::string VersionText(bool json);

}  // namespace crio::daemon
