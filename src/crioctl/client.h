#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/v1/api.grpc.pb.h"

namespace crioctl {

int ReportConnectFailure(const absl::Status& status);

// Global options shared by every subcommand, with crictl's names.
struct GlobalOptions {
  std::string runtime_endpoint;
  std::string image_endpoint;
  std::string timeout = "2s";
  bool debug = false;
};

// The gRPC target for a CRI endpoint: "unix:///run/x.sock", "unix:/run/x.sock" or a bare path.
absl::StatusOr<std::string> GrpcTarget(const std::string& endpoint);

// Connections to the runtime's services, with the per-call deadline from --timeout.
class Client {
 public:
  static absl::StatusOr<Client> Connect(const GlobalOptions& options);

  runtime::v1::RuntimeService::Stub& runtime() { return *runtime_; }
  runtime::v1::ImageService::Stub& image() { return *image_; }
  // The socket path of the image endpoint; the daemon's info endpoint is "<path>.info".
  const std::string& image_socket() const { return image_socket_; }

  // A context for one call, carrying the configured deadline.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

 private:
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> image_;
  absl::Duration timeout_;
  std::string image_socket_;
};

// "verb: CODE: message" for a failed call.
std::string DescribeFailure(const std::string& verb, const grpc::Status& status);

// Prints a failed call to stderr; returns the exit code for it (1).
int ReportFailure(const std::string& verb, const grpc::Status& status);

// `globals` with a longer call timeout for slow calls, unless the user chose one (-t).
GlobalOptions WithTimeout(const GlobalOptions& globals, const char* timeout);

// Connects and runs `body` with the client; a connection problem is reported and exits 1.
template <class Body>
int WithClient(const GlobalOptions& globals, Body body) {
  absl::StatusOr<Client> client = Client::Connect(globals);
  if (!client.ok()) return ReportConnectFailure(client.status());
  return body(*client);
}

}  // namespace crioctl
