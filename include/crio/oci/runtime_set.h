#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "crio/config/config.h"
#include "crio/oci/runtime.h"

namespace crio::oci {

// One Runtime per configured handler, looked up by the name a CRI request carries.
class RuntimeSet {
 public:
  static absl::StatusOr<std::unique_ptr<RuntimeSet>> FromConfig(const config::Config& config);

  // The handler `name`; "" is default_runtime. NotFound names the handler when unknown.
  absl::StatusOr<Runtime*> Get(const std::string& name) const;
  const std::string& default_name() const { return default_name_; }

 private:
  std::string default_name_;
  std::map<std::string, std::unique_ptr<Runtime>> runtimes_;
};

}  // namespace crio::oci
