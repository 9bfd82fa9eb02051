#pragma once

#include <memory>
#include <string>

#include "process.h"

namespace crio::testing {

// Debian's docker-registry on 127.0.0.1 and a free port, plain HTTP, storing in a temporary
// directory; stopped with the object.
class LocalRegistry {
 public:
  LocalRegistry();
  // "127.0.0.1:PORT"
  const std::string& host() const { return host_; }
  // Pushes the busybox OCI fixture as `repository:tag` with skopeo; returns the manifest digest.
  std::string PushBusybox(const std::string& repository, const std::string& tag);
  // Pushes the pause image fixture (our static pause program) the same way.
  std::string PushPause(const std::string& repository, const std::string& tag);
  // Pushes the OCI layout `layout` (its "latest" tag).
  std::string PushLayout(const std::string& layout, const std::string& repository,
                         const std::string& tag);

 private:
  TempDir dir_;
  std::string host_;
  std::unique_ptr<Process> process_;
};

}  // namespace crio::testing
