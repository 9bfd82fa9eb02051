#pragma once

// A gtest fixture for tests of containers: a TestNode with the busybox image pulled and one ready
// pod, and short-hands for the container RPCs.

#include "node.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crio::testing {

class PodFixture : public ::testing::Test {
 protected:
  explicit PodFixture(NodeOptions options = {}) : node_(std::move(options)) {}

  void SetUp() override {
    runtime::v1::PullImageRequest pull;
    pull.mutable_image()->set_image(node_.busybox_image());
    runtime::v1::PullImageResponse pulled;
    ASSERT_TRUE(node_.daemon()
                    .image()
                    .PullImage(Context(std::chrono::seconds(60)).get(), pull, &pulled)
                    .ok());
    pod_config_ = node_.PodConfig("ctr-pod");
    pod_id_ = node_.RunPod(pod_config_);
    ASSERT_FALSE(pod_id_.empty());
  }

  runtime::v1::ContainerConfig Config(const std::string& name, std::vector<std::string> command) {
    runtime::v1::ContainerConfig config;
    config.mutable_metadata()->set_name(name);
    config.mutable_image()->set_image(node_.busybox_image());
    for (const auto& arg : command) config.add_command(arg);
    config.set_log_path(name + ".log");
    // As the kubelet does: the container's namespace modes are the pod's.
    *config.mutable_linux()->mutable_security_context()->mutable_namespace_options() =
        pod_config_.linux().security_context().namespace_options();
    return config;
  }

  grpc::Status TryCreate(const runtime::v1::ContainerConfig& config, std::string* id) {
    runtime::v1::CreateContainerRequest request;
    request.set_pod_sandbox_id(pod_id_);
    *request.mutable_config() = config;
    *request.mutable_sandbox_config() = pod_config_;
    runtime::v1::CreateContainerResponse response;
    grpc::Status status = node_.daemon().runtime().CreateContainer(
        Context(std::chrono::seconds(60)).get(), request, &response);
    *id = response.container_id();
    return status;
  }

  std::string CreateAndStart(const runtime::v1::ContainerConfig& config) {
    std::string id;
    grpc::Status created = TryCreate(config, &id);
    EXPECT_TRUE(created.ok()) << created.error_message() << "\n" << node_.daemon().Log();
    runtime::v1::StartContainerRequest start;
    start.set_container_id(id);
    runtime::v1::StartContainerResponse started;
    grpc::Status status = node_.daemon().runtime().StartContainer(
        Context(std::chrono::seconds(30)).get(), start, &started);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return id;
  }

  grpc::Status Stop(const std::string& id, int64_t timeout_seconds) {
    runtime::v1::StopContainerRequest stop;
    stop.set_container_id(id);
    stop.set_timeout(timeout_seconds);
    runtime::v1::StopContainerResponse stopped;
    return node_.daemon().runtime().StopContainer(Context(std::chrono::seconds(30)).get(), stop,
                                                  &stopped);
  }

  grpc::Status Remove(const std::string& id) {
    runtime::v1::RemoveContainerRequest request;
    request.set_container_id(id);
    runtime::v1::RemoveContainerResponse response;
    return node_.daemon().runtime().RemoveContainer(Context(std::chrono::seconds(60)).get(),
                                                    request, &response);
  }

  runtime::v1::ContainerStatus Status(const std::string& id) {
    runtime::v1::ContainerStatusRequest request;
    request.set_container_id(id);
    runtime::v1::ContainerStatusResponse response;
    grpc::Status status =
        node_.daemon().runtime().ContainerStatus(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  runtime::v1::ExecSyncResponse Exec(const std::string& id, std::vector<std::string> command) {
    runtime::v1::ExecSyncRequest request;
    request.set_container_id(id);
    for (const auto& arg : command) request.add_cmd(arg);
    request.set_timeout(10);
    runtime::v1::ExecSyncResponse response;
    grpc::Status status = node_.daemon().runtime().ExecSync(Context(std::chrono::seconds(20)).get(),
                                                            request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  TestNode node_;
  runtime::v1::PodSandboxConfig pod_config_;
  std::string pod_id_;
};

}  // namespace crio::testing
