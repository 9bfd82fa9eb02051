#pragma once

namespace crio {

// True when systemd is this host's init (the sd_booted(3) test).
bool SystemdIsInit();

}  // namespace crio
