#pragma once

// Docker credential helpers (docker-credential-<name>), as a credHelpers entry of a credentials
// file names them: the program is run with the argument "get", reads the registry host on its
// stdin and answers {"ServerURL": ..., "Username": ..., "Secret": ...} on its stdout.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/image/registry_client.h"

namespace crio::image {

// What the helpers print (and exit non-zero with) when they hold nothing for the registry.
inline constexpr std::string_view kHelperNotFoundMessage =
    "credentials not found in native keychain";

// The credentials in a helper's answer: `exit_code` and `output` (its stdout) as it ran for
// one registry. std::nullopt when it said it has none (the not-found message), or answered
// without a username and secret. A "<token>" username makes the secret an identity token.
// Errors quote what a failing helper printed (bounded), never a secret from a good answer;
// `helper` names it in them. `source` is copied into the result.
absl::StatusOr<std::optional<Credentials>> ParseHelperAnswer(const std::string& helper,
                                                             int exit_code, std::string_view output,
                                                             const std::string& source);

// Runs docker-credential-`name` get (found in $PATH, no shell, killed after `timeout`) for
// `registry` and parses its answer. A helper that is not in $PATH is a FailedPrecondition error.
absl::StatusOr<std::optional<Credentials>> CredentialsFromHelper(
    const std::string& name, const std::string& registry, const std::string& source,
    absl::Duration timeout = absl::Minutes(1));

}  // namespace crio::image
