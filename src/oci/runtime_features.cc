// What a runtime handler can do beyond the runtime-spec basics (`runtime features`).
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "crio/common/log.h"
#include "crio/common/subprocess.h"
#include "crio/oci/runtime.h"

namespace crio::oci {

RuntimeFeatures ParseRuntimeFeatures(std::string_view features_json, bool kernel_mount_setattr) {
  RuntimeFeatures features;
  nlohmann::json root = nlohmann::json::parse(features_json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return features;
  auto options = root.find("mountOptions");
  if (options == root.end() || !options->is_array()) return features;
  for (const auto& option : *options) {
    if (option == "rro") features.recursive_read_only_mounts = kernel_mount_setattr;
  }
  return features;
}

bool KernelHasMountSetattr() {
#ifdef SYS_mount_setattr
  // An invalid fd: a kernel with the call answers EBADF (or EINVAL), one without it ENOSYS.
  long rc = ::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0);
  return !(rc == -1 && errno == ENOSYS);
#else
  return false;
#endif
}

const RuntimeFeatures& Runtime::Features() {
  std::call_once(features_once_, [this] {
    absl::StatusOr<CommandResult> result =
        RunCommand({settings_.runtime_binary.string(), "features"}, {}, absl::Seconds(10));
    if (!result.ok() || result->exit_code != 0) {
      spdlog::info("Runtime handler {}: `{} features` is not available; no optional features",
                   settings_.handler_name, settings_.runtime_binary.string());
      return;
    }
    features_ = ParseRuntimeFeatures(result->out, KernelHasMountSetattr());
    spdlog::debug("Runtime handler {}: recursive read-only mounts {}", settings_.handler_name,
                  features_.recursive_read_only_mounts ? "supported" : "not supported");
  });
  return features_;
}

}  // namespace crio::oci
