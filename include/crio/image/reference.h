#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace crio::image {

// An image reference of the distribution world: [domain/]path[:tag][@digest].
struct Reference {
  std::string domain;  // registry host[:port]; empty for a short name
  std::string path;    // repository path, e.g. "library/busybox"
  std::string tag;     // empty when none was given
  std::string digest;  // "algorithm:hex", empty when none was given

  // Whether the text named a registry: its first component has a '.' or a ':', or is
  // "localhost". Short names are resolved through registries.conf.
  bool qualified() const { return !domain.empty(); }
  // domain/path
  std::string Name() const;
  // domain/path[:tag][@digest]
  std::string String() const;
};

// Parses a reference by the distribution grammar; InvalidArgument naming what is wrong (upper
// case in the path, a bad tag or digest, a name over 255 characters, ...). Nothing is added: a
// short name stays short and no tag is assumed.
absl::StatusOr<Reference> ParseReference(std::string_view text);

// The fully qualified form Docker and CRI-O users expect: a short name goes to docker.io (with
// "library/" for a single component), "index.docker.io" becomes "docker.io", and a reference
// without tag or digest gets ":latest".
absl::StatusOr<Reference> ParseNormalizedReference(std::string_view text);

}  // namespace crio::image
