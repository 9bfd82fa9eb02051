#pragma once

namespace crio {

// True when systemd is this host's init (the sd_booted(3) test).
bool SystemdIsInit();

// This machine's architecture as images and Kubernetes name it ("amd64", "arm64", ...).
const char* HostArchitecture();

}  // namespace crio
