// The verbs over a whole configuration list, in the order the spec sets for each.

#include "absl/status/status.h"
#include "crio/common/strings.h"
#include "crio/network/cni_plugin.h"

namespace crio::network {
namespace {

bool AtLeast(const NetworkConfigList& network, std::string_view version) {
  return CompareCniVersions(network.cni_version, version) >= 0;
}

}  // namespace

absl::StatusOr<nlohmann::json> AddNetwork(const NetworkConfigList& network,
                                          const Attachment& attachment,
                                          const ExecOptions& options) {
  std::optional<nlohmann::json> previous;
  for (const auto& plugin : network.plugins) {
    nlohmann::json input =
        PluginInput(network, plugin, attachment.capability_args, previous ? &*previous : nullptr);
    absl::StatusOr<std::string> out =
        ExecPlugin(network, plugin, CniCommand::kAdd, input, &attachment, options);
    if (!out.ok()) return out.status();
    nlohmann::json result;
    try {
      result = nlohmann::json::parse(*out);
    } catch (const nlohmann::json::exception& error) {
      return absl::InternalError(StrCat("plugin type=\"", plugin.type, "\" name=\"", network.name,
                                        "\" failed (add): its result is not JSON: ", error.what()));
    }
    if (!result.is_object()) {
      return absl::InternalError(StrCat("plugin type=\"", plugin.type, "\" name=\"", network.name,
                                        "\" failed (add): its result is not a JSON object"));
    }
    previous = std::move(result);
  }
  return *std::move(previous);
}

absl::Status DelNetwork(const NetworkConfigList& network, const Attachment& attachment,
                        const nlohmann::json* prev_result, const ExecOptions& options) {
  // Before 0.4.0 DEL had no prevResult; a plugin of that version may reject one.
  const nlohmann::json* previous = AtLeast(network, "0.4.0") ? prev_result : nullptr;
  for (auto plugin = network.plugins.rbegin(); plugin != network.plugins.rend(); ++plugin) {
    nlohmann::json input = PluginInput(network, *plugin, attachment.capability_args, previous);
    absl::StatusOr<std::string> out =
        ExecPlugin(network, *plugin, CniCommand::kDel, input, &attachment, options);
    if (!out.ok()) return out.status();
  }
  return absl::OkStatus();
}

absl::Status CheckNetwork(const NetworkConfigList& network, const Attachment& attachment,
                          const nlohmann::json& prev_result, const ExecOptions& options) {
  if (!AtLeast(network, "0.4.0") || network.disable_check) return absl::OkStatus();
  for (const auto& plugin : network.plugins) {
    nlohmann::json input = PluginInput(network, plugin, attachment.capability_args, &prev_result);
    absl::StatusOr<std::string> out =
        ExecPlugin(network, plugin, CniCommand::kCheck, input, &attachment, options);
    if (!out.ok()) return out.status();
  }
  return absl::OkStatus();
}

absl::Status NetworkStatus(const NetworkConfigList& network, const ExecOptions& options) {
  if (!AtLeast(network, "1.1.0")) return absl::OkStatus();
  for (const auto& plugin : network.plugins) {
    nlohmann::json input = PluginInput(network, plugin, nlohmann::json::object(), nullptr);
    absl::StatusOr<std::string> out =
        ExecPlugin(network, plugin, CniCommand::kStatus, input, nullptr, options);
    if (!out.ok()) return out.status();
  }
  return absl::OkStatus();
}

absl::Status GcNetwork(const NetworkConfigList& network,
                       const std::vector<std::pair<std::string, std::string>>& valid_attachments,
                       const ExecOptions& options) {
  if (!AtLeast(network, "1.1.0") || network.disable_gc) return absl::OkStatus();
  nlohmann::json valid = nlohmann::json::array();
  for (const auto& [container_id, ifname] : valid_attachments) {
    valid.push_back({{"containerID", container_id}, {"ifname", ifname}});
  }
  // Every plugin gets its chance to collect even when one fails: they hold separate resources.
  std::vector<std::string> failures;
  for (const auto& plugin : network.plugins) {
    nlohmann::json input = PluginInput(network, plugin, nlohmann::json::object(), nullptr);
    input["cni.dev/valid-attachments"] = valid;
    absl::StatusOr<std::string> out =
        ExecPlugin(network, plugin, CniCommand::kGc, input, nullptr, options);
    if (!out.ok()) failures.emplace_back(out.status().message());
  }
  if (!failures.empty()) return absl::InternalError(StrJoin(failures, "; "));
  return absl::OkStatus();
}

}  // namespace crio::network
