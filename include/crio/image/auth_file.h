#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/image/reference.h"
#include "crio/image/registry_client.h"

namespace crio::image {

// The credentials files consulted for a pull, in order (containers-auth.json(5)):
// `auth_file` alone when set (global_auth_file, or pause_image_auth_file for the pause image);
// otherwise $REGISTRY_AUTH_FILE alone when set; otherwise ${XDG_RUNTIME_DIR}/containers/auth.json
// (/run/containers/<uid>/auth.json without it), ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json,
// ${DOCKER_CONFIG:-~/.docker}/config.json and the legacy ~/.dockercfg.
std::vector<std::filesystem::path> AuthFilePaths(const std::filesystem::path& auth_file);

// The credentials one file holds for `reference`: a "credHelpers" entry for the host first
// (the docker credential helper it names is run, see cred_helper.h), then the most specific of
// the keys "host/a/b/repo", "host/a/b", "host/a", "host" in "auths", then keys written the old
// Docker way ("https://host/v1/", "http://host") for the host. An entry's "identitytoken" comes
// with its "auth". std::nullopt when the file is missing or holds nothing for it (a helper that
// says it has nothing included). Errors name the file (never a secret): unreadable or malformed
// JSON, an "auth" that is not base64 of "user:password", a helper that is missing or fails. A
// global "credsStore" is only warned about (containers/image does not read it either).
absl::StatusOr<std::optional<Credentials>> CredentialsFromFile(const std::filesystem::path& file,
                                                               const Reference& reference);

// The first file of AuthFilePaths(auth_file) that has credentials for `reference`.
absl::StatusOr<std::optional<Credentials>> LookupCredentials(const std::filesystem::path& auth_file,
                                                             const Reference& reference);

}  // namespace crio::image
