#pragma once

#include <CLI/CLI.hpp>

#include "client.h"

namespace crioctl {

// Each Add*Command registers one crictl subcommand on `app`; its callback runs the command and
// sets `exit_code`.
void AddVersionCommand(CLI::App& app, const GlobalOptions& globals, int& exit_code);
void AddInfoCommand(CLI::App& app, const GlobalOptions& globals, int& exit_code);
// pull, images, rmi, inspecti, imagefsinfo.
void AddImageCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code);
// runp, pods, inspectp, stopp, rmp.
void AddPodCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code);
// create, start, ps, inspect, stop, rm, logs.
void AddContainerCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code);
// events, run.
void AddEventsAndRunCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code);
// stats, statsp, update.
void AddStatsCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code);

// exec, attach, port-forward.
void AddStreamCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code);

}  // namespace crioctl
