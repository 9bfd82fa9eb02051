#pragma once

#include "crio/config/loader.h"

namespace crio::daemon {

// Runs the CRI daemon until SIGTERM or SIGINT: serves the API, tells the service manager it is
// ready, reloads on SIGHUP. Returns the process exit code.
int Run(const config::Sources& sources, config::Loaded loaded);

// Blocks the signals the daemon handles synchronously. Must run before any thread starts, so that
// every thread inherits the mask and the signals reach only the main loop.
void BlockDaemonSignals();

}  // namespace crio::daemon
