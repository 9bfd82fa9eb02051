#pragma once

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include <cstdint>

namespace crio::testing {

// Gives `config` a user namespace of the pod's own (hostUsers: false) mapping ids 0..65535 to
// host_uid.. and host_gid.., as the kubelet asks for one.
inline void SetPodUserns(runtime::v1::PodSandboxConfig& config, uint32_t host_uid,
                         uint32_t host_gid) {
  auto* userns = config.mutable_linux()
                     ->mutable_security_context()
                     ->mutable_namespace_options()
                     ->mutable_userns_options();
  userns->set_mode(runtime::v1::POD);
  for (auto [mapping, host] :
       {std::pair{userns->add_uids(), host_uid}, std::pair{userns->add_gids(), host_gid}}) {
    mapping->set_container_id(0);
    mapping->set_host_id(host);
    mapping->set_length(65536);
  }
}

}  // namespace crio::testing
