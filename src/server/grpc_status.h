#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace crio::server {

// The one place where our errors become gRPC errors; absl and gRPC share their code numbers.
inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace crio::server
