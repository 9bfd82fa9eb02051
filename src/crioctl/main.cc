// crioctl: a crictl-compatible client for debugging a CRI runtime.
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"crioctl: a crictl-compatible client for CRI runtimes", "crioctl"};
  app.require_subcommand(1);

  crioctl::GlobalOptions globals;
  app.add_option("-r,--runtime-endpoint", globals.runtime_endpoint,
                 "Runtime endpoint (env CONTAINER_RUNTIME_ENDPOINT; default "
                 "unix:///var/run/crio/crio.sock)");
  app.add_option("-i,--image-endpoint", globals.image_endpoint,
                 "Image endpoint (env IMAGE_SERVICE_ENDPOINT; default: the runtime endpoint)");
  app.add_option("-t,--timeout", globals.timeout,
                 "Timeout of each call, e.g. 2s or 20s; 0 or less means the default")
      ->capture_default_str();
  app.add_flag("-D,--debug", globals.debug, "Enable debug output");

  int exit_code = 0;
  crioctl::AddVersionCommand(app, globals, exit_code);
  crioctl::AddInfoCommand(app, globals, exit_code);
  crioctl::AddImageCommands(app, globals, exit_code);
  crioctl::AddPodCommands(app, globals, exit_code);
  crioctl::AddContainerCommands(app, globals, exit_code);
  crioctl::AddStatsCommands(app, globals, exit_code);
  crioctl::AddStreamCommands(app, globals, exit_code);
  crioctl::AddEventsAndRunCommands(app, globals, exit_code);

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
