#include "daemon.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "crio/common/strings.h"

namespace crio::testing {

std::string CrioBinary() { return CRIO_BINARY; }
std::string CrioctlBinary() { return CRIOCTL_BINARY; }

Daemon::Daemon(std::string config, std::vector<std::string> extra_args,
               std::map<std::string, std::string> env)
    : extra_args_(std::move(extra_args)), env_(std::move(env)) {
  dir_.Write("crio.conf", config);
  std::filesystem::create_directories(dir_.path() / "crio.conf.d");
}

Daemon::~Daemon() {
  if (Running()) {
    process_->Signal(SIGTERM);
    process_->Wait(std::chrono::seconds(15));
  }
  process_.reset();
  // Whatever the daemon started for its containers (monitors, their containers) names its
  // runroot: anything still running once the daemon is gone is a leak a node would suffer too.
  std::vector<std::string> left = KillProcessesNaming(dir_.path());
  if (!left.empty()) {
    ADD_FAILURE() << "left running after the test (now killed):\n" << StrJoin(left, "\n");
  }
  UnmountAllBelow(dir_.path());
}

std::vector<std::string> Daemon::Command() const {
  std::vector<std::string> argv = {CrioBinary(),
                                   "--config",
                                   (dir_.path() / "crio.conf").string(),
                                   "--config-dir",
                                   (dir_.path() / "crio.conf.d").string(),
                                   "--listen",
                                   socket().string(),
                                   "--root",
                                   (dir_.path() / "storage").string(),
                                   "--runroot",
                                   (dir_.path() / "run-storage").string()};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  return argv;
}

void Daemon::Start() {
  size_t log_start = ReadAll(dir_.path() / "crio.log").size();  // a restart appends
  process_ = std::make_unique<Process>(Command(), dir_.path() / "crio.log", env_);
  // Connecting before the daemon listens would put the channel into gRPC's reconnect backoff.
  Eventually([&] {
    return Log().find("Serving CRI on", log_start) != std::string::npos ||
           process_->Wait(std::chrono::milliseconds(0));
  });
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  auto channel = grpc::CreateCustomChannel("unix:" + socket().string(),
                                           grpc::InsecureChannelCredentials(), args);
  runtime_ = runtime::v1::RuntimeService::NewStub(channel);
  image_ = runtime::v1::ImageService::NewStub(channel);
  bool up = Eventually([&] {
    if (process_->Wait(std::chrono::milliseconds(0))) return true;  // died: stop waiting
    runtime::v1::VersionResponse response;
    return runtime_->Version(Context(std::chrono::seconds(1)).get(), {}, &response).ok();
  });
  ASSERT_TRUE(up) << "crio did not answer in time; log:\n" << Log();
  ASSERT_FALSE(process_->Wait(std::chrono::milliseconds(0))) << "crio exited; log:\n" << Log();
}

RunResult Daemon::StartExpectingExit() {
  process_ = std::make_unique<Process>(Command(), dir_.path() / "crio.log", env_);
  std::optional<int> code = process_->Wait(std::chrono::seconds(20));
  return RunResult{code.value_or(-1), process_->Output()};
}

std::unique_ptr<grpc::ClientContext> Context(std::chrono::seconds timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

}  // namespace crio::testing
