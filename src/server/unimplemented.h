#pragma once

#include <grpcpp/support/status.h>

#include <string>

namespace crio::server {

// The answer of every CRI call whose feature has not landed yet: a clear UNIMPLEMENTED naming it.
inline grpc::Status NotSupportedYet(const char* rpc) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, std::string(rpc) + " is not supported yet");
}

// Declares (in a class body) and defines an override that answers NotSupportedYet.
#define CRIO_UNARY_NOT_YET(Rpc, Request, Response)                                            \
  grpc::Status Rpc(grpc::ServerContext*, const runtime::v1::Request*, runtime::v1::Response*) \
      override {                                                                              \
    return NotSupportedYet(#Rpc);                                                             \
  }

}  // namespace crio::server
