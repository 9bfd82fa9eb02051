#include "crio/oci/runtime_set.h"

#include "crio/common/strings.h"

namespace crio::oci {

absl::StatusOr<std::unique_ptr<RuntimeSet>> RuntimeSet::FromConfig(const config::Config& config) {
  auto set = std::make_unique<RuntimeSet>();
  set->default_name_ = config.runtime.default_runtime;
  for (const auto& [name, handler] : config.runtime.runtimes) {
    absl::StatusOr<RuntimeSettings> settings = RuntimeSettings::FromConfig(config, name);
    if (!settings.ok()) return settings.status();
    set->runtimes_.emplace(name, std::make_unique<Runtime>(*std::move(settings)));
  }
  return set;
}

absl::StatusOr<Runtime*> RuntimeSet::Get(const std::string& name) const {
  const std::string& wanted = name.empty() ? default_name_ : name;
  auto found = runtimes_.find(wanted);
  if (found == runtimes_.end()) {
    return absl::NotFoundError(StrCat("runtime handler \"", wanted, "\" is not configured"));
  }
  return found->second.get();
}

}  // namespace crio::oci
