#include "crio/network/readiness.h"

namespace crio::network {

Readiness NetworkReadiness() {
  // Until the CNI layer lands no pod can get a network; say so rather than report ready.
  return Readiness{false, "NetworkPluginNotReady",
                   "Network plugin returns error: CNI networking is not supported yet"};
}

}  // namespace crio::network
