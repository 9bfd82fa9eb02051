// crio: the CRI daemon, and its `config` and `version` commands.
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include "crio/common/log.h"

#include "crio/config/options.h"
#include "crio/config/render.h"
#include "daemon.h"
#include "version.h"

namespace {

using crio::config::ConfigOption;

// CRI-O's one-letter aliases for a few long flags.
std::string FlagNames(const ConfigOption& spec) {
  std::string names = "--" + std::string(spec.flag);
  if (spec.flag == "root") names = "-r," + names;
  if (spec.flag == "log-level") names = "-l," + names;
  if (spec.flag == "storage-driver") names = "-s," + names;
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crio-cpp: a Kubernetes container runtime that speaks CRI, a drop-in for CRI-O",
               "crio"};
  app.require_subcommand(0, 1);

  crio::config::Sources sources;
  std::string config_file;
  std::string config_dir;
  bool show_version = false;
  app.add_option("-c,--config", config_file, "Configuration file (default /etc/crio/crio.conf)");
  app.add_option("-d,--config-dir", config_dir,
                 "Drop-in directory; its *.conf files are read in lexical order after the main "
                 "file (default /etc/crio/crio.conf.d)");
  app.add_flag("-v,--version", show_version, "Print the version and exit");

  // One flag per option that has one; its value overrides every configuration file.
  std::map<std::string, std::vector<std::string>> flag_values;
  std::vector<std::pair<const ConfigOption*, CLI::Option*>> flags;
  for (const ConfigOption& spec : crio::config::ConfigOptions()) {
    if (spec.flag.empty()) continue;
    std::vector<std::string>& storage = flag_values[spec.DottedName()];
    std::string help = std::string(spec.description) + " [" + spec.DottedName() + "]";
    CLI::Option* option = app.add_option(FlagNames(spec), storage, help);
    if (std::holds_alternative<bool>(spec.default_value)) {
      option->expected(0, 1);  // "--selinux" alone means true; "--selinux=false" is allowed
    } else if (!std::holds_alternative<std::vector<std::string>>(spec.default_value)) {
      option->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    flags.emplace_back(&spec, option);
  }

  CLI::App* config_cmd = app.add_subcommand(
      "config", "Print the effective configuration as a crio.conf TOML document");
  bool print_defaults = false;
  bool print_reference = false;
  config_cmd->add_flag("--default", print_defaults, "Print the built-in defaults instead");
  config_cmd->add_flag("--reference", print_reference,
                       "Print the option reference (docs/crio.conf.5.md)");

  CLI::App* version_cmd = app.add_subcommand("version", "Print version and build information");
  bool version_json = false;
  version_cmd->add_flag("-j,--json", version_json, "Print JSON");

  CLI11_PARSE(app, argc, argv);

  if (show_version || version_cmd->parsed()) {
    std::cout << crio::daemon::VersionText(version_json);
    return 0;
  }
  if (config_cmd->parsed() && print_reference) {
    std::cout << crio::config::RenderReference();
    return 0;
  }
  if (config_cmd->parsed() && print_defaults) {
    std::cout << crio::config::RenderToml(crio::config::Defaults());
    return 0;
  }

  if (!config_file.empty()) {
    sources.config_file = config_file;
    sources.config_file_required = true;
  }
  if (!config_dir.empty()) sources.config_dir = config_dir;
  for (const auto& [spec, option] : flags) {
    if (option->count() == 0) continue;
    std::vector<std::string> values = flag_values[spec->DottedName()];
    // A bare boolean flag ("--selinux") arrives with no value, or with an empty one.
    if (values.empty() || (values.size() == 1 && values[0].empty())) values = {"true"};
    sources.overrides.push_back({spec->DottedName(), values});
  }

  // Before anything can start a thread (gRPC does), so every thread inherits the mask.
  if (!config_cmd->parsed()) crio::daemon::BlockDaemonSignals();

  absl::StatusOr<crio::config::Loaded> loaded = crio::config::Load(sources);
  if (!loaded.ok()) {
    std::cerr << "crio: invalid configuration: " << loaded.status().message() << "\n";
    return 1;
  }
  if (config_cmd->parsed()) {
    for (const auto& warning : loaded->warnings)
      std::cerr << "warning: " << warning.ToString() << "\n";
    std::cout << crio::config::RenderToml(loaded->config);
    return 0;
  }
  return crio::daemon::Run(sources, *std::move(loaded));
}
