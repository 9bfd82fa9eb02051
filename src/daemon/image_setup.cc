#include "image_setup.h"

#include <cstdlib>

#include "crio/common/log.h"
#include "crio/config/options.h"
#include "crio/image/policy.h"
#include "crio/image/reference.h"

namespace crio::daemon {

RegistriesFiles RegistriesFilesFromEnvironment() {
  const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF");
  if (env != nullptr) return {.file = env, .dropin_dir = ""};
  return {.file = "/etc/containers/registries.conf",
          .dropin_dir = "/etc/containers/registries.conf.d"};
}

image::RegistriesConf LoadRegistriesAtStart(const RegistriesFiles& files) {
  absl::StatusOr<image::RegistriesConf> conf =
      image::LoadRegistriesConf(files.file, files.dropin_dir);
  if (!conf.ok()) {
    spdlog::error("Ignoring registries.conf: {}", conf.status().message());
    return {};
  }
  return *std::move(conf);
}

bool ReloadRegistries(const RegistriesFiles& files, image::ImageManager& images) {
  absl::StatusOr<image::RegistriesConf> conf =
      image::LoadRegistriesConf(files.file, files.dropin_dir);
  if (!conf.ok()) {
    spdlog::error("Reloading registries.conf failed, keeping the running registries: {}",
                  conf.status().message());
    return false;
  }
  size_t registries = conf->registries.size();
  size_t search = conf->unqualified_search_registries.size();
  size_t aliases = conf->aliases.size();
  images.ReplaceRegistries(*std::move(conf));
  spdlog::info(
      "Reloaded registries.conf from {}{}{}: {} registries, {} search registries, {} aliases",
      files.file.string(), files.dropin_dir.empty() ? "" : " and ", files.dropin_dir.string(),
      registries, search, aliases);
  return true;
}

image::PolicyFiles PolicyFilesOf(const config::Config& config) {
  image::PolicyFiles files;
  files.global = config.image.signature_policy.empty()
                     ? std::filesystem::path("/etc/containers/policy.json")
                     : std::filesystem::path(config.image.signature_policy);
  files.namespace_dir = config.image.signature_policy_dir;
  if (absl::StatusOr<image::Policy> policy = image::Policy::Load(files.global); !policy.ok()) {
    spdlog::warn("No usable signature policy, pulls will fail until it is fixed: {}",
                 policy.status().message());
  }
  return files;
}

image::SystemContext ImageContextOf(const config::Config& config) {
  image::SystemContext context;
  context.auth_file = config.image.global_auth_file;
  context.temporary_dir = config.image.big_files_temporary_dir;
  if (absl::StatusOr<int64_t> timeout = config::ParseDuration(config.image.pull_progress_timeout);
      timeout.ok()) {
    context.progress_timeout = absl::Nanoseconds(*timeout);
  }
  return context;
}

std::vector<std::string> PinnedImages(const config::Config& config) {
  std::vector<std::string> pinned = config.image.pinned_images;
  if (auto pause = image::ParseNormalizedReference(config.image.pause_image); pause.ok()) {
    pinned.push_back(pause->String());
  }
  return pinned;
}

}  // namespace crio::daemon
