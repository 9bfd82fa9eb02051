#include "crio/sandbox/infra.h"

#include <signal.h>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/host.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/image/image_manager.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime.h"
#include "crio/sandbox/infra_spec.h"
#include "crio/storage/store.h"

namespace crio::sandbox {
namespace {

// CRI-O's oom_score_adj for pause containers: the last thing the OOM killer should pick.
constexpr int kInfraOomScoreAdj = -998;
constexpr absl::Duration kInfraStopTimeout = absl::Seconds(10);

absl::StatusOr<std::string> EnsurePauseImage(const config::Config& config,
                                             image::ImageManager& images) {
  const std::string& reference = config.image.pause_image;
  absl::StatusOr<image::ImageInfo> present = images.Status(reference);
  if (present.ok()) return present->id;
  if (!absl::IsNotFound(present.status())) return present.status();
  spdlog::info("Pulling the pause image {}", reference);
  // pause_image_auth_file, when set, replaces the other credentials files for this pull.
  absl::StatusOr<std::string> pulled =
      images.Pull(reference, {}, config.image.pause_image_auth_file);
  if (!pulled.ok()) {
    return absl::Status(pulled.status().code(), StrCat("pulling the pause image ", reference, ": ",
                                                       View(pulled.status().message())));
  }
  return *pulled;
}

}  // namespace

bool NeedsInfraContainer(const Sandbox& sandbox, const config::Config& config) {
  if (!config.runtime.drop_infra_ctr) return true;
  return sandbox.config.linux().security_context().namespace_options().pid() == runtime::v1::POD;
}

absl::Status StartInfraContainer(Sandbox& sandbox, const InfraDeps& deps) {
  absl::StatusOr<std::string> image_id = EnsurePauseImage(*deps.config, *deps.images);
  if (!image_id.ok()) return image_id.status();

  const std::string& id = sandbox.id;
  nlohmann::json metadata = {{"pod-name", sandbox.name},
                             {"pod-id", id},
                             {"image-name", deps.config->image.pause_image},
                             {"image-id", *image_id},
                             {"name", StrCat("k8s_POD_", sandbox.name.substr(4))},
                             {"created-by", storage::kCreatedByUs}};
  absl::StatusOr<storage::ContainerRecord> record =
      deps.store->CreateContainer(id, {StrCat("k8s_POD_", sandbox.name.substr(4))}, *image_id,
                                  metadata.dump(), sandbox.selinux.mount, sandbox.selinux.process);
  if (!record.ok()) return record.status();
  auto drop_storage = [&] {
    if (absl::Status removed = deps.store->DeleteContainer(id); !removed.ok()) {
      spdlog::warn("pod {}: removing the pause container's storage: {}", id, removed.message());
    }
  };
  std::optional<storage::UsernsMount> userns = UsernsMountOf(sandbox);
  absl::StatusOr<std::filesystem::path> rootfs =
      deps.store->MountContainer(id, userns ? &*userns : nullptr);
  if (!rootfs.ok()) {
    drop_storage();
    return rootfs.status();
  }

  InfraContainer infra{.id = id, .bundle = sandbox.dir / "infra", .image_id = *image_id};
  std::error_code error;
  std::filesystem::create_directories(infra.bundle, error);
  bool clamped = false;
  InfraSpecInputs inputs{
      .rootfs = rootfs->string(),
      .pause_command = deps.config->image.pause_command,
      .cgroups_path = ContainerCgroupsPath(sandbox.cgroup_parent, id,
                                           deps.config->runtime.cgroup_manager == "systemd"),
      .cpuset = deps.config->runtime.infra_ctr_cpuset,
      .systemd_cgroup = deps.config->runtime.cgroup_manager == "systemd",
      .oom_score_adj = EffectiveOomScoreAdj(kInfraOomScoreAdj, &clamped)};
  if (clamped) {
    spdlog::debug(
        "pod {}: pause container oom_score_adj raised from {} to {} (no CAP_SYS_RESOURCE)", id,
        kInfraOomScoreAdj, inputs.oom_score_adj);
  }
  if (absl::Status written =
          WriteFileAtomically(infra.bundle / "config.json", RenderInfraSpec(sandbox, inputs), 0644,
                              Durability::kVolatile);
      !written.ok()) {
    drop_storage();
    return written;
  }

  oci::CreateOptions create{.id = id,
                            .name = StrCat("k8s_POD_", sandbox.name.substr(4)),
                            .bundle = infra.bundle,
                            .log_path = infra.bundle / "pause.log",
                            .persist_dir = infra.bundle,
                            .cgroup_parent = sandbox.cgroup_parent};
  absl::StatusOr<pid_t> pid = deps.runtime->Create(create);
  if (!pid.ok()) {
    (void)deps.runtime->Delete(id);
    (void)deps.runtime->RemoveMonitorCgroup(id, sandbox.cgroup_parent);
    drop_storage();
    return absl::Status(pid.status().code(),
                        StrCat("creating the pause container: ", View(pid.status().message())));
  }
  if (absl::Status started = deps.runtime->Start(id, {.init_pid = *pid, .bundle = infra.bundle});
      !started.ok()) {
    (void)deps.runtime->Kill(id, SIGKILL, true);
    (void)deps.exits->Wait(id, absl::Seconds(10));
    (void)deps.runtime->Delete(id);
    (void)deps.runtime->RemoveMonitorCgroup(id, sandbox.cgroup_parent);
    deps.exits->Forget(id);
    drop_storage();
    return absl::Status(started.code(),
                        StrCat("starting the pause container: ", View(started.message())));
  }
  infra.pid = *pid;
  sandbox.infra = infra;
  return absl::OkStatus();
}

absl::Status StopInfraContainer(const Sandbox& sandbox, const InfraDeps& deps) {
  if (!sandbox.infra) return absl::OkStatus();
  return oci::StopContainer(*deps.runtime, *deps.exits, sandbox.infra->id, SIGTERM,
                            kInfraStopTimeout);
}

absl::Status RemoveInfraContainer(const Sandbox& sandbox, const InfraDeps& deps) {
  if (!sandbox.infra) return absl::OkStatus();
  const std::string& id = sandbox.infra->id;
  if (absl::Status deleted = deps.runtime->Delete(id); !deleted.ok()) return deleted;
  // The monitor exits right after the container; give it a moment before its cgroup goes.
  absl::Status cgroup;
  for (int attempt = 0; attempt < 50; ++attempt) {
    cgroup = deps.runtime->RemoveMonitorCgroup(id, sandbox.cgroup_parent);
    if (cgroup.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (!cgroup.ok()) spdlog::warn("pod {}: {}", id, cgroup.message());
  deps.exits->Forget(id);
  absl::Status storage = deps.store->DeleteContainer(id);
  if (!storage.ok() && !absl::IsNotFound(storage)) return storage;
  return absl::OkStatus();
}

}  // namespace crio::sandbox
