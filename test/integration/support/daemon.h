#pragma once

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.grpc.pb.h"

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "process.h"

namespace crio::testing {

// The real `crio` binary on a socket in a private directory, with its own config file and
// drop-in directory, and real gRPC stubs connected to it.
class Daemon {
 public:
  // `config` is the content of the main crio.conf; `extra_args` are appended to the command line.
  explicit Daemon(std::string config = "", std::vector<std::string> extra_args = {},
                  std::map<std::string, std::string> env = {});
  // Stops crio as the service manager would (SIGTERM), and undoes any mount it left.
  ~Daemon();

  // Starts crio and waits until it answers Version (fails the test if it does not).
  void Start();
  // Starts crio and returns once it has exited (for startup failures).
  RunResult StartExpectingExit();

  std::filesystem::path socket() const { return dir_.path() / "crio.sock"; }
  std::string endpoint() const { return "unix://" + socket().string(); }
  const TempDir& dir() const { return dir_; }
  Process& process() { return *process_; }
  // Started, and not exited since.
  bool Running() { return process_ != nullptr && !process_->Wait(std::chrono::milliseconds(0)); }
  std::string Log() const { return process_ ? process_->Output() : ""; }

  runtime::v1::RuntimeService::Stub& runtime() { return *runtime_; }
  runtime::v1::ImageService::Stub& image() { return *image_; }

  std::vector<std::string> Command() const;

 private:
  TempDir dir_;
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> process_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> image_;
};

// A client context with a short deadline, so a hung daemon fails the test instead of blocking it.
std::unique_ptr<grpc::ClientContext> Context(
    std::chrono::seconds timeout = std::chrono::seconds(5));

std::string CrioBinary();
std::string CrioctlBinary();

}  // namespace crio::testing
