#pragma once

#include <string>

namespace crio::network {

// Whether pods can get a network, as the Status RPC's NetworkReady condition reports it.
struct Readiness {
  bool ready = false;
  std::string reason;  // CRI-O's reason string when not ready
  std::string message;
};

Readiness NetworkReadiness();

}  // namespace crio::network
