#include "crio/container/container.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/json_field.h"
#include "crio/common/strings.h"

namespace crio::container {
namespace {

constexpr std::pair<ContainerState, const char*> kStateNames[] = {
    {ContainerState::kCreated, "created"},
    {ContainerState::kRunning, "running"},
    {ContainerState::kExited, "exited"},
    {ContainerState::kUnknown, "unknown"}};

const char* StateName(ContainerState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "unknown";
}

ContainerState StateFromName(const std::string& name) {
  for (const auto& [value, text] : kStateNames) {
    if (name == text) return value;
  }
  return ContainerState::kUnknown;
}

}  // namespace

std::string ReservedContainerName(const runtime::v1::ContainerMetadata& container,
                                  const runtime::v1::PodSandboxMetadata& pod) {
  return StrCat("k8s_", container.name(), "_", pod.name(), "_", pod.namespace_(), "_", pod.uid(),
                "_", container.attempt());
}

std::string SerializeContainer(const Container& container) {
  std::string config_json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(container.config, &config_json, options);
  nlohmann::json json = {
      {"id", container.id},
      {"name", container.name},
      {"pod_id", container.pod_id},
      {"config", nlohmann::json::parse(config_json, nullptr, false)},
      {"image_id", container.image_id},
      {"image_ref", container.image_ref},
      {"runtime_handler", container.runtime_handler},
      {"created_at", container.created_at},
      {"started_at", container.started_at},
      {"finished_at", container.finished_at},
      {"state", StateName(container.state)},
      {"exit_code", container.exit_code},
      {"reason", container.reason},
      {"message", container.message},
      {"pid", container.pid},
      {"dir", container.dir.string()},
      {"log_path", container.log_path},
      {"cgroup_parent", container.cgroup_parent},
      {"stop_signal", container.stop_signal},
      {"notes", container.notes},
      {"image_volume_layers", container.image_volume_layers},
      {"idmapped_volumes", container.idmapped_volumes},
  };
  if (!container.selinux.empty()) {
    json["process_label"] = container.selinux.process;
    json["mount_label"] = container.selinux.mount;
  }
  if (container.incomplete) json["incomplete"] = true;
  return json.dump(2);
}

absl::StatusOr<Container> ParseContainer(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::DataLossError("container state is not a JSON object");
  }
  Container container;
  try {
    container.id = JsonField<std::string>(json, "id");
    container.name = JsonField<std::string>(json, "name");
    container.pod_id = JsonField<std::string>(json, "pod_id");
    if (auto config = json.find("config"); config != json.end()) {
      if (!google::protobuf::util::JsonStringToMessage(config->dump(), &container.config).ok()) {
        return absl::DataLossError("container state: unreadable container config");
      }
    }
    container.image_id = JsonField<std::string>(json, "image_id");
    container.image_ref = JsonField<std::string>(json, "image_ref");
    container.runtime_handler = JsonField<std::string>(json, "runtime_handler");
    container.created_at = JsonField<int64_t>(json, "created_at");
    container.started_at = JsonField<int64_t>(json, "started_at");
    container.finished_at = JsonField<int64_t>(json, "finished_at");
    container.state = StateFromName(JsonField<std::string>(json, "state"));
    container.exit_code = JsonField<int32_t>(json, "exit_code");
    container.reason = JsonField<std::string>(json, "reason");
    container.message = JsonField<std::string>(json, "message");
    container.pid = JsonField<pid_t>(json, "pid");
    container.dir = JsonField<std::string>(json, "dir");
    container.log_path = JsonField<std::string>(json, "log_path");
    container.cgroup_parent = JsonField<std::string>(json, "cgroup_parent");
    container.stop_signal = JsonField<std::string>(json, "stop_signal");
    container.notes = JsonField<std::vector<std::string>>(json, "notes");
    container.image_volume_layers =
        JsonField<std::vector<std::string>>(json, "image_volume_layers");
    container.idmapped_volumes = JsonField<std::vector<std::string>>(json, "idmapped_volumes");
    container.selinux.process = JsonField<std::string>(json, "process_label");
    container.selinux.mount = JsonField<std::string>(json, "mount_label");
    container.incomplete = json.value("incomplete", false);
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(StrCat("container state: ", error.what()));
  }
  if (container.id.empty()) return absl::DataLossError("container state without an id");
  return container;
}

absl::Status SaveContainer(const Container& container) {
  return WriteFileAtomically(container.state_path(), SerializeContainer(container), 0600,
                             Durability::kVolatile);
}

}  // namespace crio::container
