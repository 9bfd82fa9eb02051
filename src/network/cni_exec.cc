// Running one plugin binary and turning its failures into errors that name it.

#include <cctype>
#include <cstdlib>

#include "absl/status/status.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/network/cni_plugin.h"

namespace crio::network {
namespace {

constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string FailurePrefix(const PluginConfig& plugin, std::string_view network,
                          CniCommand command) {
  return StrCat("plugin type=\"", plugin.type, "\" name=\"", network, "\" failed (",
                Lower(CommandName(command)), "): ");
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Well-known codes that mean "later may work" become Unavailable, so callers can tell them from
// a broken configuration.
absl::StatusCode CodeFor(int cni_code) {
  switch (cni_code) {
    case 11:  // try again later
    case 50:  // the plugin is not available (STATUS)
    case 51:  // limited connectivity (STATUS)
      return absl::StatusCode::kUnavailable;
    case 1:  // incompatible CNI version
    case 2:  // unsupported field in the network configuration
    case 7:  // invalid network configuration
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

std::vector<std::string> PluginEnv(CniCommand command, const Attachment* attachment,
                                   const std::vector<std::filesystem::path>& plugin_dirs) {
  std::vector<std::string> env = {StrCat("CNI_COMMAND=", CommandName(command))};
  if (attachment != nullptr) {
    env.push_back(StrCat("CNI_CONTAINERID=", attachment->container_id));
    if (!attachment->netns.empty()) env.push_back(StrCat("CNI_NETNS=", attachment->netns));
    env.push_back(StrCat("CNI_IFNAME=", attachment->ifname));
    env.push_back(StrCat("CNI_ARGS=", CniArgsString(attachment->cni_args)));
  }
  std::vector<std::string> dirs;
  for (const auto& dir : plugin_dirs) dirs.push_back(dir.string());
  env.push_back(StrCat("CNI_PATH=", StrJoin(dirs, ":")));
  // Plugins run iptables, ip, and delegate to each other; nothing else of ours is their business.
  const char* path = std::getenv("PATH");
  env.push_back(
      StrCat("PATH=", path != nullptr && *path != '\0' ? std::string_view(path) : kDefaultPath));
  return env;
}

std::optional<CniError> ParseCniError(std::string_view output) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(output.begin(), output.end());
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (!json.is_object() || (!json.contains("code") && !json.contains("msg"))) return std::nullopt;
  CniError error;
  if (auto code = json.find("code"); code != json.end() && code->is_number_integer()) {
    error.code = code->get<int>();
  }
  if (auto msg = json.find("msg"); msg != json.end() && msg->is_string()) {
    error.msg = msg->get<std::string>();
  }
  if (auto details = json.find("details"); details != json.end() && details->is_string()) {
    error.details = details->get<std::string>();
  }
  return error;
}

std::string DescribePluginError(const PluginConfig& plugin, std::string_view network,
                                CniCommand command, const CniError& error) {
  std::string text = FailurePrefix(plugin, network, command);
  StrAppend(&text, error.msg.empty() ? "(no message)" : error.msg);
  if (!error.details.empty()) StrAppend(&text, ": ", error.details);
  StrAppend(&text, " (CNI error code ", error.code, ")");
  return text;
}

absl::StatusOr<std::string> ExecPlugin(const NetworkConfigList& network, const PluginConfig& plugin,
                                       CniCommand command, const nlohmann::json& input,
                                       const Attachment* attachment, const ExecOptions& options) {
  absl::StatusOr<std::filesystem::path> binary = FindPlugin(plugin.type, options.plugin_dirs);
  if (!binary.ok()) {
    return absl::FailedPreconditionError(
        StrCat(FailurePrefix(plugin, network.name, command), binary.status().message()));
  }
  spdlog::debug("CNI {} {} (network {}, container {})", CommandName(command), binary->string(),
                network.name, attachment != nullptr ? attachment->container_id : "-");
  absl::StatusOr<CommandResult> run =
      RunCommand({binary->string()}, input.dump(), options.timeout,
                 PluginEnv(command, attachment, options.plugin_dirs));
  if (!run.ok()) {
    if (absl::IsDeadlineExceeded(run.status())) {
      return absl::DeadlineExceededError(StrCat(FailurePrefix(plugin, network.name, command),
                                                "did not finish within ",
                                                absl::FormatDuration(options.timeout)));
    }
    return absl::Status(run.status().code(), StrCat(FailurePrefix(plugin, network.name, command),
                                                    run.status().message()));
  }
  if (run->exit_code != 0) {
    std::optional<CniError> error = ParseCniError(run->out);
    if (!error) error = ParseCniError(run->err);
    if (error) {
      return absl::Status(CodeFor(error->code),
                          DescribePluginError(plugin, network.name, command, *error));
    }
    std::string_view said = Trim(run->err);
    if (said.empty()) said = Trim(run->out);
    std::string text =
        StrCat(FailurePrefix(plugin, network.name, command), "exit status ", run->exit_code);
    if (!said.empty()) StrAppend(&text, ": ", said);
    return absl::InternalError(text);
  }
  if (!Trim(run->err).empty()) {
    spdlog::debug("CNI plugin {} ({}) said on stderr: {}", plugin.type, CommandName(command),
                  Trim(run->err));
  }
  return std::move(run->out);
}

}  // namespace crio::network
