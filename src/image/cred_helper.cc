#include "crio/image/cred_helper.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"
#include "crio/common/subprocess.h"

namespace crio::image {
namespace {

std::string Trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

absl::StatusOr<std::optional<Credentials>> ParseHelperAnswer(const std::string& helper,
                                                             int exit_code, std::string_view output,
                                                             const std::string& source) {
  std::string said = Trimmed(output);
  if (said == kHelperNotFoundMessage) return std::nullopt;
  if (exit_code != 0) {
    // A failing helper prints why; a long answer is cut so a stray secret cannot fill the log.
    if (said.size() > 200) said = said.substr(0, 200) + "...";
    return absl::UnavailableError(StrCat("credential helper ", helper, " failed (exit code ",
                                         exit_code, ")",
                                         said.empty() ? std::string() : StrCat(": ", said)));
  }
  nlohmann::json json = nlohmann::json::parse(said, nullptr, false);
  auto text = [&](const char* key) -> std::optional<std::string> {
    if (!json.contains(key)) return std::string();
    if (!json[key].is_string()) return std::nullopt;
    return json[key].get<std::string>();
  };
  std::optional<std::string> username, secret;
  if (json.is_object()) {
    username = text("Username");
    secret = text("Secret");
  }
  if (!username || !secret) {
    return absl::InvalidArgumentError(
        StrCat("credential helper ", helper,
               " answered something other than {\"Username\": ..., \"Secret\": ...} JSON"));
  }
  if (username->empty() && secret->empty()) return std::nullopt;
  Credentials credentials;
  credentials.source = source;
  // The docker convention for an OAuth2 refresh token kept by a helper.
  if (*username == "<token>") {
    credentials.identity_token = *secret;
  } else {
    credentials.username = *username;
    credentials.password = *secret;
  }
  return credentials;
}

absl::StatusOr<std::optional<Credentials>> CredentialsFromHelper(const std::string& name,
                                                                 const std::string& registry,
                                                                 const std::string& source,
                                                                 absl::Duration timeout) {
  std::string helper = "docker-credential-" + name;
  std::filesystem::path program = FindInPath(helper);
  if (program.empty()) {
    return absl::FailedPreconditionError(
        StrCat("credential helper ", helper, " (", source, ") is not in $PATH"));
  }
  // The host alone on stdin, without a newline, as docker writes it.
  absl::StatusOr<CommandResult> ran = RunCommand({program.string(), "get"}, registry, timeout);
  if (!ran.ok()) {
    return absl::Status(ran.status().code(), StrCat("credential helper ", program.string(), " (",
                                                    source, "): ", View(ran.status().message())));
  }
  absl::StatusOr<std::optional<Credentials>> parsed = ParseHelperAnswer(
      helper, ran->exit_code, ran->out, StrCat("credential helper ", helper, " (", source, ")"));
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        StrCat(View(parsed.status().message()), " (", source, ")"));
  }
  return parsed;
}

}  // namespace crio::image
