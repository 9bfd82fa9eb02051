#include "crio/sandbox/sandbox.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/json_field.h"
#include "crio/common/strings.h"

namespace crio::sandbox {
namespace {

using runtime::v1::NamespaceMode;

const runtime::v1::NamespaceOption& Namespaces(const runtime::v1::PodSandboxConfig& config) {
  return config.linux().security_context().namespace_options();
}

}  // namespace

bool Sandbox::host_network() const { return Namespaces(config).network() == runtime::v1::NODE; }
bool Sandbox::host_ipc() const { return Namespaces(config).ipc() == runtime::v1::NODE; }
bool Sandbox::host_pid() const { return Namespaces(config).pid() == runtime::v1::NODE; }

std::string ReservedName(const runtime::v1::PodSandboxMetadata& metadata) {
  return StrCat("k8s_", metadata.name(), "_", metadata.namespace_(), "_", metadata.uid(), "_",
                metadata.attempt());
}

std::optional<storage::UsernsMount> UsernsMountOf(const Sandbox& sandbox) {
  if (sandbox.user_ns.empty()) return std::nullopt;
  const auto& userns =
      sandbox.config.linux().security_context().namespace_options().userns_options();
  // The host id of id 0 inside: the mapping whose range holds 0 (pinns refused pods without).
  auto root_of = [](const auto& mappings) -> int64_t {
    for (const auto& m : mappings) {
      if (m.container_id() == 0 && m.length() > 0) return m.host_id();
    }
    return -1;
  };
  int64_t uid = root_of(userns.uids());
  int64_t gid = root_of(userns.gids());
  if (uid < 0 || gid < 0) return std::nullopt;
  return storage::UsernsMount{sandbox.user_ns, static_cast<uid_t>(uid), static_cast<gid_t>(gid)};
}

std::string SerializeSandbox(const Sandbox& sandbox) {
  std::string config_json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(sandbox.config, &config_json, options);
  nlohmann::json json = {
      {"id", sandbox.id},
      {"name", sandbox.name},
      {"config", nlohmann::json::parse(config_json, nullptr, false)},
      {"runtime_handler", sandbox.runtime_handler},
      {"created_at", sandbox.created_at},
      {"state", sandbox.state == SandboxState::kReady ? "ready" : "notready"},
      {"dir", sandbox.dir.string()},
      {"hostname", sandbox.hostname},
      {"shm_path", sandbox.shm_path.string()},
      {"shm_mounted", sandbox.shm_mounted},
      {"cgroup_parent", sandbox.cgroup_parent},
      {"net_ns", sandbox.net_ns.string()},
      {"ipc_ns", sandbox.ipc_ns.string()},
      {"uts_ns", sandbox.uts_ns.string()},
      {"user_ns", sandbox.user_ns.string()},
      {"network_attached", sandbox.network_attached},
      {"network_name", sandbox.network_name},
      {"ips", sandbox.ips},
  };
  if (!sandbox.selinux.empty()) {
    json["process_label"] = sandbox.selinux.process;
    json["mount_label"] = sandbox.selinux.mount;
  }
  if (sandbox.incomplete) json["incomplete"] = true;
  if (sandbox.infra) {
    json["infra"] = {{"id", sandbox.infra->id},
                     {"pid", sandbox.infra->pid},
                     {"bundle", sandbox.infra->bundle.string()},
                     {"image_id", sandbox.infra->image_id}};
  }
  return json.dump(2);
}

absl::StatusOr<Sandbox> ParseSandbox(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::DataLossError("pod state is not a JSON object");
  }
  Sandbox sandbox;
  try {
    sandbox.id = JsonField<std::string>(json, "id");
    sandbox.name = JsonField<std::string>(json, "name");
    if (auto config = json.find("config"); config != json.end()) {
      auto parsed = google::protobuf::util::JsonStringToMessage(config->dump(), &sandbox.config);
      if (!parsed.ok()) return absl::DataLossError("pod state: unreadable pod config");
    }
    sandbox.runtime_handler = JsonField<std::string>(json, "runtime_handler");
    sandbox.created_at = JsonField<int64_t>(json, "created_at");
    sandbox.state = JsonField<std::string>(json, "state") == "ready" ? SandboxState::kReady
                                                                     : SandboxState::kNotReady;
    sandbox.dir = JsonField<std::string>(json, "dir");
    sandbox.hostname = JsonField<std::string>(json, "hostname");
    sandbox.shm_path = JsonField<std::string>(json, "shm_path");
    sandbox.shm_mounted = JsonField<bool>(json, "shm_mounted");
    sandbox.cgroup_parent = JsonField<std::string>(json, "cgroup_parent");
    sandbox.net_ns = JsonField<std::string>(json, "net_ns");
    sandbox.ipc_ns = JsonField<std::string>(json, "ipc_ns");
    sandbox.uts_ns = JsonField<std::string>(json, "uts_ns");
    sandbox.user_ns = JsonField<std::string>(json, "user_ns");
    sandbox.network_attached = JsonField<bool>(json, "network_attached");
    sandbox.network_name = JsonField<std::string>(json, "network_name");
    sandbox.ips = JsonField<std::vector<std::string>>(json, "ips");
    sandbox.selinux.process = JsonField<std::string>(json, "process_label");
    sandbox.selinux.mount = JsonField<std::string>(json, "mount_label");
    sandbox.incomplete = json.value("incomplete", false);
    if (auto infra = json.find("infra"); infra != json.end() && infra->is_object()) {
      InfraContainer container;
      container.id = JsonField<std::string>(*infra, "id");
      container.pid = JsonField<pid_t>(*infra, "pid");
      container.bundle = JsonField<std::string>(*infra, "bundle");
      container.image_id = JsonField<std::string>(*infra, "image_id");
      sandbox.infra = container;
    }
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(StrCat("pod state: ", error.what()));
  }
  if (sandbox.id.empty()) return absl::DataLossError("pod state without an id");
  return sandbox;
}

absl::Status SaveSandbox(const Sandbox& sandbox) {
  return WriteFileAtomically(sandbox.state_path(), SerializeSandbox(sandbox), 0600,
                             Durability::kVolatile);
}

}  // namespace crio::sandbox
