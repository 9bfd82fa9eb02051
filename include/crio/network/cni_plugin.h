#pragma once

// Running CNI plugins: what each one gets on stdin and in its environment, how its failures are
// reported, and the verbs run over a whole configuration list.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/network/cni_config.h"
#include "crio/network/cni_types.h"

namespace crio::network {

enum class CniCommand { kAdd, kDel, kCheck, kStatus, kGc };
std::string_view CommandName(CniCommand command);  // "ADD", "DEL", ...

using CniArgs = std::vector<std::pair<std::string, std::string>>;

// One (container, interface) and the arguments every plugin of a chain gets for it.
struct Attachment {
  std::string container_id;
  std::string ifname;
  std::string netns;  // "" leaves CNI_NETNS unset (a DEL after the namespace went away)
  CniArgs cni_args;
  nlohmann::json capability_args = nlohmann::json::object();
};

// Container ids and interface names as the spec restricts them; they also name cache files, so
// this keeps them from escaping the cache directory.
absl::Status ValidateAttachmentIds(std::string_view container_id, std::string_view ifname);

// IgnoreUnknown, K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID.
CniArgs PodCniArgs(const PodNetwork& pod);
// "K1=V1;K2=V2", the form of CNI_ARGS.
std::string CniArgsString(const CniArgs& args);
// Every capability argument the pod has a value for, keyed by capability name.
nlohmann::json PodCapabilityArgs(const PodNetwork& pod);
// The attachment for `pod` (netns passed as given).
Attachment PodAttachment(const PodNetwork& pod);

// The runtimeConfig for one plugin: only the capability arguments it declares.
nlohmann::json RuntimeConfigFor(const PluginConfig& plugin, const nlohmann::json& capability_args);
// A plugin's stdin: its configuration with the list's name and cniVersion, runtimeConfig, and
// prevResult when given.
nlohmann::json PluginInput(const NetworkConfigList& network, const PluginConfig& plugin,
                           const nlohmann::json& capability_args,
                           const nlohmann::json* prev_result);
// A plugin's whole environment: the CNI_* variables for `command` and our PATH.
std::vector<std::string> PluginEnv(CniCommand command, const Attachment* attachment,
                                   const std::vector<std::filesystem::path>& plugin_dirs);

// The error a failing plugin prints on stdout.
struct CniError {
  int code = 0;
  std::string msg;
  std::string details;
};
std::optional<CniError> ParseCniError(std::string_view output);
// `plugin type="bridge" name="net" failed (add): <msg>: <details> (CNI error code 7)`
std::string DescribePluginError(const PluginConfig& plugin, std::string_view network,
                                CniCommand command, const CniError& error);

struct ExecOptions {
  std::vector<std::filesystem::path> plugin_dirs;
  absl::Duration timeout = absl::Seconds(60);
};

// Runs one plugin with `input` on stdin; its stdout on success. Errors name the plugin and the
// network: a CNI error, an exit without one (with stderr), a timeout (DeadlineExceeded), a
// missing binary (FailedPrecondition).
absl::StatusOr<std::string> ExecPlugin(const NetworkConfigList& network, const PluginConfig& plugin,
                                       CniCommand command, const nlohmann::json& input,
                                       const Attachment* attachment, const ExecOptions& options);

// ADD through the chain in order, each plugin getting the previous one's result; the last result.
absl::StatusOr<nlohmann::json> AddNetwork(const NetworkConfigList& network,
                                          const Attachment& attachment, const ExecOptions& options);
// DEL through the chain in reverse order, with `prev_result` (the cached ADD result) when the
// version has DEL's prevResult (0.4.0 and later). Stops at the first failure.
absl::Status DelNetwork(const NetworkConfigList& network, const Attachment& attachment,
                        const nlohmann::json* prev_result, const ExecOptions& options);
// CHECK through the chain in order with the cached result.
absl::Status CheckNetwork(const NetworkConfigList& network, const Attachment& attachment,
                          const nlohmann::json& prev_result, const ExecOptions& options);
// STATUS to every plugin (cniVersion 1.1.0 and later; OK without a call before).
absl::Status NetworkStatus(const NetworkConfigList& network, const ExecOptions& options);
// GC to every plugin with the attachments that must survive (cniVersion 1.1.0 and later).
absl::Status GcNetwork(const NetworkConfigList& network,
                       const std::vector<std::pair<std::string, std::string>>& valid_attachments,
                       const ExecOptions& options);

}  // namespace crio::network
