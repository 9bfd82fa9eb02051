#include "registry.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "crio/common/subprocess.h"

namespace crio::testing {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t length = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

LocalRegistry::LocalRegistry() {
  int port = FreePort();
  host_ = "127.0.0.1:" + std::to_string(port);
  std::filesystem::path config =
      dir_.Write("config.yml",
                 "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " +
                     (dir_.path() / "data").string() + "\nhttp:\n  addr: " + host_ + "\n");
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/docker-registry", "serve", config.string()},
      dir_.path() / "registry.log");
  EXPECT_TRUE(Eventually([&] { return Accepts(port); })) << process_->Output();
}

std::string LocalRegistry::PushBusybox(const std::string& repository, const std::string& tag) {
  return PushLayout(BUSYBOX_OCI, repository, tag);
}

std::string LocalRegistry::PushPause(const std::string& repository, const std::string& tag) {
  return PushLayout(PAUSE_OCI, repository, tag);
}

std::string LocalRegistry::PushLayout(const std::string& layout, const std::string& repository,
                                      const std::string& tag) {
  absl::StatusOr<CommandResult> pushed =
      RunCommand({"skopeo", "copy", "-q", "--dest-tls-verify=false", "--digestfile",
                  (dir_.path() / "digest").string(), "oci:" + layout + ":latest",
                  "docker://" + host_ + "/" + repository + ":" + tag},
                 {}, absl::Seconds(120));
  EXPECT_TRUE(pushed.ok() && pushed->exit_code == 0) << (pushed.ok() ? pushed->err : "");
  return ReadAll(dir_.path() / "digest");
}

}  // namespace crio::testing
