#include "crio/image/policy.h"

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"

namespace crio::image {
namespace {

constexpr std::string_view kKnownTypes[] = {"insecureAcceptAnything", "reject", "signedBy",
                                            "sigstoreSigned"};

absl::StatusOr<std::vector<std::string>> ParseRequirements(const nlohmann::json& list,
                                                           std::string_view source,
                                                           std::string_view where) {
  if (!list.is_array() || list.empty()) {
    return absl::InvalidArgumentError(
        StrCat(source, ": ", where, ": expected a non-empty list of requirements"));
  }
  std::vector<std::string> types;
  for (const auto& item : list) {
    std::string type = item.is_object() ? item.value("type", "") : "";
    if (std::find(std::begin(kKnownTypes), std::end(kKnownTypes), type) == std::end(kKnownTypes)) {
      return absl::InvalidArgumentError(
          StrCat(source, ": ", where, ": unknown requirement type \"", type, "\""));
    }
    types.push_back(type);
  }
  return types;
}

}  // namespace

absl::StatusOr<Policy> Policy::Parse(std::string_view text, std::string_view source) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(StrCat(source, ": not a JSON object"));
  }
  Policy policy;
  policy.source_ = std::string(source);
  if (!json.contains("default")) {
    return absl::InvalidArgumentError(StrCat(source, ": the \"default\" requirements are missing"));
  }
  absl::StatusOr<std::vector<std::string>> defaults =
      ParseRequirements(json["default"], source, "default");
  if (!defaults.ok()) return defaults.status();
  policy.default_ = *std::move(defaults);
  if (json.contains("transports")) {
    const auto& transports = json["transports"];
    if (!transports.is_object())
      return absl::InvalidArgumentError(StrCat(source, ": transports: expected an object"));
    if (transports.contains("docker")) {
      for (const auto& [scope, list] : transports["docker"].items()) {
        absl::StatusOr<std::vector<std::string>> requirements =
            ParseRequirements(list, source, StrCat("transports.docker[\"", scope, "\"]"));
        if (!requirements.ok()) return requirements.status();
        policy.docker_[scope] = *std::move(requirements);
      }
    }
  }
  return policy;
}

absl::StatusOr<Policy> Policy::Load(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path.string());
}

std::string Policy::ScopeFor(const Reference& reference) const {
  std::vector<std::string> candidates;
  std::string name = reference.Name();
  if (!reference.digest.empty()) candidates.push_back(StrCat(name, "@", reference.digest));
  if (!reference.tag.empty()) candidates.push_back(StrCat(name, ":", reference.tag));
  // The repository, then each parent namespace up to the host.
  for (std::string scope = name;;) {
    candidates.push_back(scope);
    size_t slash = scope.rfind('/');
    if (slash == std::string::npos) break;
    scope.resize(slash);
  }
  // Wildcards for the host's parent domains: "*.example.com" for "a.b.example.com", ...
  std::string host = reference.domain.substr(0, reference.domain.find(':'));
  for (size_t dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1)) {
    candidates.push_back(StrCat("*", host.substr(dot)));
  }
  for (const std::string& candidate : candidates) {
    if (docker_.count(candidate)) return candidate;
  }
  return docker_.count("") ? "" : "default";
}

absl::Status Policy::Check(const Reference& reference) const {
  std::string scope = ScopeFor(reference);
  const Requirements& requirements = scope == "default" ? default_ : docker_.at(scope);
  std::string where = scope == "default" ? "the default policy"
                      : scope.empty()    ? "the docker transport's default policy"
                                         : StrCat("the policy for \"", scope, "\"");
  for (const std::string& type : requirements) {
    if (type == "reject") {
      return absl::PermissionDeniedError(
          StrCat("pulling ", reference.String(), " is rejected by ", where, " in ", source_));
    }
    if (type == "signedBy" || type == "sigstoreSigned") {
      return absl::UnimplementedError(
          StrCat(where, " in ", source_, " requires ", type, " signatures for ", reference.String(),
                 ": signature verification is not supported yet, so the pull is refused"));
    }
  }
  return absl::OkStatus();
}

}  // namespace crio::image
