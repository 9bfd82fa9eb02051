// What each plugin is told: CNI_ARGS, capability arguments filtered into runtimeConfig, and the
// stdin configuration.

#include <algorithm>
#include <cctype>

#include "absl/status/status.h"
#include "crio/common/strings.h"
#include "crio/network/cni_plugin.h"

namespace crio::network {

std::string_view CommandName(CniCommand command) {
  switch (command) {
    case CniCommand::kAdd:
      return "ADD";
    case CniCommand::kDel:
      return "DEL";
    case CniCommand::kCheck:
      return "CHECK";
    case CniCommand::kStatus:
      return "STATUS";
    case CniCommand::kGc:
      return "GC";
  }
  return "?";
}

absl::Status ValidateAttachmentIds(std::string_view container_id, std::string_view ifname) {
  auto id_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  };
  if (container_id.empty() || !std::isalnum(static_cast<unsigned char>(container_id[0])) ||
      !std::all_of(container_id.begin(), container_id.end(), id_char)) {
    return absl::InvalidArgumentError(
        StrCat("invalid container id \"", container_id,
               "\" for CNI: letters, digits, '_', '.', '-', starting with a letter or digit"));
  }
  bool bad_char = std::any_of(ifname.begin(), ifname.end(), [](char c) {
    return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c));
  });
  if (ifname.empty() || ifname.size() > 15 || ifname == "." || ifname == ".." || bad_char) {
    return absl::InvalidArgumentError(
        StrCat("invalid interface name \"", ifname,
               R"(": 1 to 15 characters, not "." or "..", no '/', ':' or whitespace)"));
  }
  return absl::OkStatus();
}

CniArgs PodCniArgs(const PodNetwork& pod) {
  // The order and keys of CRI-O's ocicni, which plugins such as multus and calico read.
  return {
      {"IgnoreUnknown", "1"},     {"K8S_POD_NAMESPACE", pod.namespace_name},
      {"K8S_POD_NAME", pod.name}, {"K8S_POD_INFRA_CONTAINER_ID", pod.pod_id},
      {"K8S_POD_UID", pod.uid},
  };
}

std::string CniArgsString(const CniArgs& args) {
  std::vector<std::string> pairs;
  for (const auto& [key, value] : args) pairs.push_back(StrCat(key, "=", value));
  return StrJoin(pairs, ";");
}

nlohmann::json PodCapabilityArgs(const PodNetwork& pod) {
  nlohmann::json args = nlohmann::json::object();
  if (!pod.port_mappings.empty()) {
    nlohmann::json mappings = nlohmann::json::array();
    for (const auto& mapping : pod.port_mappings) {
      nlohmann::json item = {{"hostPort", mapping.host_port},
                             {"containerPort", mapping.container_port},
                             {"protocol", mapping.protocol}};
      if (!mapping.host_ip.empty()) item["hostIP"] = mapping.host_ip;
      mappings.push_back(std::move(item));
    }
    args["portMappings"] = std::move(mappings);
  }
  if (pod.bandwidth) {
    args["bandwidth"] = {{"ingressRate", pod.bandwidth->ingress_rate},
                         {"ingressBurst", pod.bandwidth->ingress_burst},
                         {"egressRate", pod.bandwidth->egress_rate},
                         {"egressBurst", pod.bandwidth->egress_burst}};
  }
  if (!pod.ip_ranges.empty()) {
    // One range set per CIDR: with a dual-stack pod, host-local then allocates from each.
    nlohmann::json ranges = nlohmann::json::array();
    for (const auto& subnet : pod.ip_ranges) {
      ranges.push_back(nlohmann::json::array({{{"subnet", subnet}}}));
    }
    args["ipRanges"] = std::move(ranges);
  }
  if (pod.dns) {
    args["dns"] = {{"servers", pod.dns->servers},
                   {"searches", pod.dns->searches},
                   {"options", pod.dns->options}};
  }
  if (!pod.cgroup_path.empty()) args["cgroupPath"] = pod.cgroup_path;
  if (!pod.annotations.empty()) args["io.kubernetes.cri.pod-annotations"] = pod.annotations;
  return args;
}

Attachment PodAttachment(const PodNetwork& pod) {
  return Attachment{pod.pod_id, pod.ifname, pod.netns.string(), PodCniArgs(pod),
                    PodCapabilityArgs(pod)};
}

nlohmann::json RuntimeConfigFor(const PluginConfig& plugin, const nlohmann::json& capability_args) {
  nlohmann::json runtime = nlohmann::json::object();
  if (!capability_args.is_object()) return runtime;
  for (const auto& [name, value] : capability_args.items()) {
    if (plugin.HasCapability(name)) runtime[name] = value;
  }
  return runtime;
}

nlohmann::json PluginInput(const NetworkConfigList& network, const PluginConfig& plugin,
                           const nlohmann::json& capability_args,
                           const nlohmann::json* prev_result) {
  nlohmann::json input = plugin.conf;
  input["name"] = network.name;
  input["cniVersion"] = network.cni_version;
  // A plugin that declares no capability we have keeps whatever runtimeConfig its file holds.
  nlohmann::json runtime = RuntimeConfigFor(plugin, capability_args);
  if (!runtime.empty()) input["runtimeConfig"] = std::move(runtime);
  if (prev_result != nullptr) {
    input["prevResult"] = *prev_result;
  } else {
    input.erase("prevResult");
  }
  return input;
}

}  // namespace crio::network
