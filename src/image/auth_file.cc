#include "crio/image/auth_file.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/image/cred_helper.h"

namespace crio::image {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::optional<std::string> DecodeBase64(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// The host of a key written the Docker way: "https://index.docker.io/v1/" -> "index.docker.io".
std::string HostOfLegacyKey(std::string key) {
  if (size_t scheme = key.find("://"); scheme != std::string::npos) key.erase(0, scheme + 3);
  return key.substr(0, key.find('/'));
}

std::string NormalizedHost(const std::string& host) {
  if (host == "index.docker.io" || host == "registry-1.docker.io") return "docker.io";
  return host;
}

absl::StatusOr<std::optional<Credentials>> FromEntry(const nlohmann::json& entry,
                                                     const std::filesystem::path& file,
                                                     const std::string& key) {
  std::string where = StrCat(file.string(), " (entry \"", key, "\")");
  if (!entry.is_object()) {
    return absl::InvalidArgumentError(StrCat("credentials file ", where, " is not an object"));
  }
  Credentials credentials;
  credentials.source = file.string();
  // docker login keeps an OAuth2 refresh token next to "auth" (then base64 of "user:").
  std::string identity_token;
  if (entry.contains("identitytoken") && entry["identitytoken"].is_string())
    identity_token = entry["identitytoken"];
  bool has_auth = entry.contains("auth") && entry["auth"].is_string();
  std::string auth = has_auth ? entry["auth"].get<std::string>() : std::string();
  if (auth.empty() && !identity_token.empty()) {
    // containers/image reads an identity token only with a usable "auth", so a bare one leaves
    // the pull anonymous there too; say so rather than let it end in a puzzling 401.
    spdlog::warn("Credentials file {}: the identity token has no \"auth\" with it; ignored", where);
    return std::nullopt;
  }
  if (has_auth) {
    if (auth.empty()) return std::nullopt;
    std::optional<std::string> decoded = DecodeBase64(auth);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          StrCat("credentials file ", where, ": \"auth\" is not base64 of user:password"));
    }
    credentials.username = decoded->substr(0, colon);
    credentials.password = decoded->substr(colon + 1);
    credentials.identity_token = identity_token;
    return credentials;
  }
  if (entry.contains("username") && entry["username"].is_string()) {
    credentials.username = entry["username"];
    if (entry.contains("password") && entry["password"].is_string())
      credentials.password = entry["password"];
    return credentials;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::filesystem::path> AuthFilePaths(const std::filesystem::path& auth_file) {
  if (!auth_file.empty()) return {auth_file};
  if (std::string env = Env("REGISTRY_AUTH_FILE"); !env.empty()) return {env};
  std::vector<std::filesystem::path> paths;
  std::string runtime_dir = Env("XDG_RUNTIME_DIR");
  if (!runtime_dir.empty() && ::geteuid() != 0) {
    paths.push_back(std::filesystem::path(runtime_dir) / "containers/auth.json");
  } else {
    paths.push_back(StrCat("/run/containers/", ::geteuid(), "/auth.json"));
  }
  std::filesystem::path home = Env("HOME");
  std::string config_home = Env("XDG_CONFIG_HOME");
  if (!config_home.empty()) {
    paths.push_back(std::filesystem::path(config_home) / "containers/auth.json");
  } else if (!home.empty()) {
    paths.push_back(home / ".config/containers/auth.json");
  }
  if (std::string docker_config = Env("DOCKER_CONFIG"); !docker_config.empty()) {
    paths.push_back(std::filesystem::path(docker_config) / "config.json");
  } else if (!home.empty()) {
    paths.push_back(home / ".docker/config.json");
  }
  if (!home.empty()) paths.push_back(home / ".dockercfg");
  return paths;
}

absl::StatusOr<std::optional<Credentials>> CredentialsFromFile(const std::filesystem::path& file,
                                                               const Reference& reference) {
  std::ifstream in(file);
  if (!in) {
    std::error_code error;
    if (!std::filesystem::exists(file, error)) return std::nullopt;
    return absl::PermissionDeniedError(StrCat("cannot read credentials file ", file.string()));
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (!json.is_object()) {
    return absl::InvalidArgumentError(StrCat("credentials file ", file.string(), " is not JSON"));
  }
  // ~/.dockercfg has the entries at the top level; the others under "auths".
  bool legacy = file.filename() == ".dockercfg";
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& auths =
      legacy ? json : (json.contains("auths") && json["auths"].is_object() ? json["auths"] : empty);
  std::string host = NormalizedHost(reference.domain);

  // A helper named for the host answers for all of it (no per-repository keys), before "auths".
  if (json.contains("credHelpers") && json["credHelpers"].is_object()) {
    const nlohmann::json& helpers = json["credHelpers"];
    std::string key = helpers.contains(reference.domain) ? reference.domain : host;
    if (helpers.contains(key)) {
      std::string source = StrCat("credHelpers entry for ", key, " in ", file.string());
      if (!helpers[key].is_string() || helpers[key].get<std::string>().empty()) {
        return absl::InvalidArgumentError(
            StrCat("credentials file ", file.string(), ": ", source, " is not a helper name"));
      }
      return CredentialsFromHelper(helpers[key].get<std::string>(), key, source);
    }
  }
  // Most specific first: the repository, its namespaces, then the host.
  std::string key = StrCat(host, "/", reference.path);
  while (true) {
    if (auths.contains(key)) return FromEntry(auths[key], file, key);
    if (key == host) break;
    key = key.substr(0, key.rfind('/'));
  }
  for (const auto& [entry_key, entry] : auths.items()) {
    if (entry_key.find("://") == std::string::npos) continue;
    if (NormalizedHost(HostOfLegacyKey(entry_key)) == host)
      return FromEntry(entry, file, entry_key);
  }
  // A credential store for every host (docker's "credsStore") cannot be asked yet; the pull
  // goes on without credentials rather than failing every anonymous pull on such a machine.
  if (json.contains("credsStore") && json["credsStore"].is_string() &&
      !json["credsStore"].get<std::string>().empty()) {
    spdlog::warn(
        "Credentials file {}: credential stores (credsStore) are not supported yet; "
        "pulling from {} without credentials from it",
        file.string(), host);
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<Credentials>> LookupCredentials(const std::filesystem::path& auth_file,
                                                             const Reference& reference) {
  for (const std::filesystem::path& file : AuthFilePaths(auth_file)) {
    absl::StatusOr<std::optional<Credentials>> found = CredentialsFromFile(file, reference);
    if (!found.ok() || found->has_value()) return found;
  }
  return std::nullopt;
}

}  // namespace crio::image
