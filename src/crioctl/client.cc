#include "client.h"

#include <cstdlib>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "crio/common/strings.h"
#include "crio/config/options.h"

namespace crioctl {

using crio::StrCat;

namespace {

constexpr char kDefaultEndpoint[] = "unix:///var/run/crio/crio.sock";

absl::StatusOr<absl::Duration> ParseTimeout(const std::string& text) {
  // crictl takes a Go duration; a bare number means seconds. Zero or less means the default.
  int64_t seconds = 0;
  absl::Duration timeout;
  if (absl::SimpleAtoi(text, &seconds)) {
    timeout = absl::Seconds(seconds);
  } else {
    absl::StatusOr<int64_t> nanos = crio::config::ParseDuration(text);
    if (!nanos.ok())
      return absl::InvalidArgumentError(StrCat("--timeout: ", nanos.status().message()));
    timeout = absl::Nanoseconds(*nanos);
  }
  return timeout <= absl::ZeroDuration() ? absl::Seconds(2) : timeout;
}

std::string FirstSet(const std::string& flag, const char* env, const std::string& fallback) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

absl::StatusOr<std::string> GrpcTarget(const std::string& endpoint) {
  std::string path = endpoint;
  if (path.starts_with("unix://")) {
    path = path.substr(7);
  } else if (path.starts_with("unix:")) {
    path = path.substr(5);
  } else if (path.find("://") != std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat("endpoint \"", endpoint, "\": only unix sockets are supported"));
  }
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(
        StrCat("endpoint \"", endpoint, "\": expected an absolute socket path"));
  }
  return StrCat("unix:", path);
}

absl::StatusOr<Client> Client::Connect(const GlobalOptions& options) {
  std::string runtime_endpoint =
      FirstSet(options.runtime_endpoint, "CONTAINER_RUNTIME_ENDPOINT", kDefaultEndpoint);
  std::string image_endpoint =
      FirstSet(options.image_endpoint, "IMAGE_SERVICE_ENDPOINT", runtime_endpoint);
  absl::StatusOr<std::string> runtime_target = GrpcTarget(runtime_endpoint);
  if (!runtime_target.ok()) return runtime_target.status();
  absl::StatusOr<std::string> image_target = GrpcTarget(image_endpoint);
  if (!image_target.ok()) return image_target.status();
  absl::StatusOr<absl::Duration> timeout = ParseTimeout(options.timeout);
  if (!timeout.ok()) return timeout.status();

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 * 1024 * 1024);  // the kubelet's limit
  auto runtime_channel =
      grpc::CreateCustomChannel(*runtime_target, grpc::InsecureChannelCredentials(), args);
  auto image_channel =
      *image_target == *runtime_target
          ? runtime_channel
          : grpc::CreateCustomChannel(*image_target, grpc::InsecureChannelCredentials(), args);
  Client client;
  client.runtime_ = runtime::v1::RuntimeService::NewStub(runtime_channel);
  client.image_ = runtime::v1::ImageService::NewStub(image_channel);
  client.timeout_ = *timeout;
  client.image_socket_ = image_target->substr(5);  // after "unix:"
  return client;
}

std::unique_ptr<grpc::ClientContext> Client::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  return context;
}

int ReportFailure(const std::string& verb, const grpc::Status& status) {
  std::cerr << "crioctl: " << DescribeFailure(verb, status) << "\n";
  return 1;
}

int ReportConnectFailure(const absl::Status& status) {
  std::cerr << "crioctl: " << status.message() << "\n";
  return 1;
}

std::string DescribeFailure(const std::string& verb, const grpc::Status& status) {
  return StrCat(verb, ": ",
                absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), ": ",
                status.error_message());
}

GlobalOptions WithTimeout(const GlobalOptions& globals, const char* timeout) {
  GlobalOptions out = globals;
  if (out.timeout == "2s") out.timeout = timeout;
  return out;
}

}  // namespace crioctl
