#pragma once

#include <grpcpp/support/server_interceptor.h>

namespace crio::server {

// Logs every CRI call: at debug level its method, a request id and its duration; a failed call at
// error level with its status. Request bodies are never logged: they may carry credentials.
class RequestLogFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace crio::server
