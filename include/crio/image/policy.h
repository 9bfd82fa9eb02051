#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/image/reference.h"

namespace crio::image {

// A signature policy (containers-policy.json(5)) for the docker transport: which images may be
// pulled. Requirements "insecureAcceptAnything" and "reject" are enforced; "signedBy" and
// "sigstoreSigned" cannot be verified yet, so a pull they govern is refused, never let through.
class Policy {
 public:
  static absl::StatusOr<Policy> Parse(std::string_view json, std::string_view source);
  static absl::StatusOr<Policy> Load(const std::filesystem::path& path);

  // OK when the policy accepts pulling `reference` (fully qualified); PermissionDenied naming the
  // scope that rejects it; Unimplemented when a signature requirement applies.
  absl::Status Check(const Reference& reference) const;

  // The scope whose requirements apply to `reference`: the most specific of
  // "host/path:tag" (or "@digest"), "host/path", its parent namespaces, "host", "*.domain"
  // wildcards, then "" (the transport's default) or, with none, "default".
  std::string ScopeFor(const Reference& reference) const;

 private:
  using Requirements = std::vector<std::string>;  // the requirement types
  Requirements default_;
  std::map<std::string, Requirements> docker_;  // scope -> requirements
  std::string source_;
};

}  // namespace crio::image
