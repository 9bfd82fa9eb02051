#include "version.h"

#include <gnu/libc-version.h>

#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/version.h>
#include <nlohmann/json.hpp>

#include "absl/base/config.h"
#include "crio/build_info.h"
#include "crio/common/host.h"
#include "crio/common/strings.h"

namespace crio::daemon {
std::string VersionText(bool json) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"Version", build_info::kVersion},
      {"GitCommit", build_info::kGitCommit},
      {"GitTreeState", build_info::kGitTreeState},
      {"BuildDate", build_info::kBuildDate},
      {"Compiler", StrCat("gcc ", __VERSION__)},
      {"Platform", StrCat("linux/", HostArchitecture())},
      {"gRPC", grpc::Version()},
      {"Protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
      {"Abseil", StrCat(ABSL_LTS_RELEASE_VERSION)},
      {"spdlog", StrCat(SPDLOG_VER_MAJOR, ".", SPDLOG_VER_MINOR, ".", SPDLOG_VER_PATCH)},
      {"toml11", build_info::kToml11Version},
      {"nlohmann_json", StrCat(NLOHMANN_JSON_VERSION_MAJOR, ".", NLOHMANN_JSON_VERSION_MINOR, ".",
                               NLOHMANN_JSON_VERSION_PATCH)},
      {"glibc", gnu_get_libc_version()},
  };
  if (json) {
    nlohmann::ordered_json out;
    for (const auto& [key, value] : fields) out[key] = value;
    return out.dump(2) + "\n";
  }
  std::string out;
  for (const auto& [key, value] : fields) {
    StrAppend(&out, key, ":", std::string(15 - std::min<size_t>(key.size(), 14), ' '), value, "\n");
  }
  return out;
}

}  // namespace crio::daemon
