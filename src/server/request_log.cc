#include "request_log.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "crio/common/log.h"

#include "absl/status/status.h"
#include "absl/time/clock.h"

namespace crio::server {
namespace {

using Hook = grpc::experimental::InterceptionHookPoints;

std::string NewRequestId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(generator()));
  return buffer;
}

// The method path without its service prefix: "/runtime.v1.RuntimeService/Version" -> "Version".
std::string_view ShortName(std::string_view method) {
  auto slash = method.rfind('/');
  return slash == std::string_view::npos ? method : method.substr(slash + 1);
}

class RequestLog : public grpc::experimental::Interceptor {
 public:
  RequestLog(grpc::experimental::ServerRpcInfo* info, InFlightCalls* calls)
      : method_(info->method()),
        id_(NewRequestId()),
        start_(std::chrono::steady_clock::now()),
        calls_(calls) {
    calls_->Begin();
  }
  ~RequestLog() override { calls_->End(); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_INITIAL_METADATA)) {
      spdlog::debug("Request {} id={}", ShortName(method_), id_);
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      double millis =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
              .count();
      if (status.ok()) {
        spdlog::debug("Response {} id={} ok in {:.3f}ms", ShortName(method_), id_, millis);
      } else {
        spdlog::error("Response {} id={} failed in {:.3f}ms: {}: {}", ShortName(method_), id_,
                      millis,
                      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                      status.error_message());
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  std::string id_;
  std::chrono::steady_clock::time_point start_;
  InFlightCalls* calls_;
};

}  // namespace

grpc::experimental::Interceptor* RequestLogFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  // gRPC takes ownership of the interceptor and deletes it when the call ends.
  return std::make_unique<RequestLog>(info, calls_).release();
}

bool InFlightCalls::WaitIdle(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  while (count_.load(std::memory_order_relaxed) > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

}  // namespace crio::server
