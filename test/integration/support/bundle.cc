#include "bundle.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "crio/common/subprocess.h"

namespace crio::testing {

std::filesystem::path BusyboxRootfs() { return BUSYBOX_ROOTFS; }

void WriteBundle(const std::filesystem::path& dir, const BundleOptions& options) {
  std::filesystem::create_directories(dir);
  absl::StatusOr<crio::CommandResult> spec =
      crio::RunCommand({"runc", "spec", "--bundle", dir.string()});
  if (!spec.ok() || spec->exit_code != 0) throw std::runtime_error("runc spec failed");
  std::ifstream in(dir / "config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["root"] = {{"path", BusyboxRootfs().string()}, {"readonly", true}};
  config["process"]["args"] = options.args;
  config["process"]["terminal"] = options.terminal;
  config["process"]["env"] = {"PATH=/bin", "HOME=/root"};
  config["hostname"] = "crio-test";
  if (options.memory_limit) {
    config["linux"]["resources"]["memory"] = {{"limit", *options.memory_limit},
                                              {"swap", *options.memory_limit}};
  }
  std::ofstream(dir / "config.json") << config.dump(2);
}

}  // namespace crio::testing
