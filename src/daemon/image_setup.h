#pragma once

// What the daemon gives the image area from crio.conf and the containers configuration files, at
// startup and on reload (SIGHUP, or a change of registries.conf with auto_reload_registries).
#include <filesystem>
#include <string>
#include <vector>

#include "crio/config/config.h"
#include "crio/image/image_manager.h"
#include "crio/image/registries.h"
#include "crio/image/registry_client.h"

namespace crio::daemon {

// Where registries.conf is read from, as containers/image finds it: $CONTAINERS_REGISTRIES_CONF
// alone, else /etc/containers/registries.conf and its registries.conf.d.
struct RegistriesFiles {
  std::filesystem::path file;
  std::filesystem::path dropin_dir;  // empty: none
};
RegistriesFiles RegistriesFilesFromEnvironment();

// At startup: a file that does not load is logged and pulls go on without any registries.conf.
image::RegistriesConf LoadRegistriesAtStart(const RegistriesFiles& files);

// On reload: the new registries.conf replaces the running one for the pulls that start from now;
// a file that does not load is logged and the running configuration stays. False in that case.
bool ReloadRegistries(const RegistriesFiles& files, image::ImageManager& images);

// signature_policy (or /etc/containers/policy.json) and signature_policy_dir. Logs a warning when
// the global policy does not load now: pulls would fail until it is fixed.
image::PolicyFiles PolicyFilesOf(const config::Config& config);

// How pulls reach registries: the credentials file, the stall timeout, the temporary directory.
image::SystemContext ImageContextOf(const config::Config& config);

// pinned_images plus the pause image, which is always pinned.
std::vector<std::string> PinnedImages(const config::Config& config);

}  // namespace crio::daemon
