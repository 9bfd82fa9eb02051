#pragma once

#include <string>

#include "crio/sandbox/sandbox.h"

namespace crio::sandbox {

struct InfraSpecInputs {
  std::string rootfs;
  std::string pause_command;  // pause_command from crio.conf
  std::string cgroups_path;   // in the form the cgroup manager wants
  std::string cpuset;         // infra_ctr_cpuset; "" = no restriction
  bool systemd_cgroup = false;
  int oom_score_adj = -998;  // already clamped to what the daemon can grant
};

// The OCI runtime spec (config.json) of a pod's pause container: it runs `pause_command` as the
// pod's PID 1, in the pod's pinned namespaces, with nothing it does not need (no capabilities,
// read-only root, no new privileges).
std::string RenderInfraSpec(const Sandbox& sandbox, const InfraSpecInputs& inputs);

// The cgroups path of a pod-level container `id` under `cgroup_parent` for the given manager:
// "<parent>/crio-<id>" (cgroupfs) or "<parent slice>:crio:<id>" (systemd).
std::string ContainerCgroupsPath(const std::string& cgroup_parent, const std::string& id,
                                 bool systemd);

}  // namespace crio::sandbox
