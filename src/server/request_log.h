#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <atomic>

#include "absl/time/time.h"

namespace crio::server {

// How many calls the server is handling right now, so shutdown can let them finish.
class InFlightCalls {
 public:
  void Begin() { count_.fetch_add(1, std::memory_order_relaxed); }
  void End() { count_.fetch_sub(1, std::memory_order_relaxed); }
  // Waits until no call is in flight or `timeout` passes; true when none is left.
  bool WaitIdle(absl::Duration timeout) const;

 private:
  std::atomic<int> count_{0};
};

// Logs every CRI call: at debug level its method, a request id and its duration; a failed call at
// error level with its status. Request bodies are never logged: they may carry credentials.
// It also keeps `calls` up to date.
class RequestLogFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RequestLogFactory(InFlightCalls* calls) : calls_(calls) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  InFlightCalls* calls_;
};

}  // namespace crio::server
