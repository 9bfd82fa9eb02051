#pragma once

#include <memory>

#include "crio/common/replaceable.h"
#include "crio/config/config.h"

namespace crio::config {

// The daemon's current configuration. Readers take a snapshot that stays valid while they use it;
// a reload swaps in a new one without disturbing requests in flight.
class ConfigHolder : public Replaceable<Config> {
 public:
  explicit ConfigHolder(Config config) : Replaceable<Config>(std::move(config)) {}

  std::shared_ptr<const Config> Get() const { return Snapshot(); }
};

}  // namespace crio::config
