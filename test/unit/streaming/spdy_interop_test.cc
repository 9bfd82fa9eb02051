// Interop with moby/spdystream, the SPDY library under the kubelet, kubectl and crictl: a Go
// program (test/interop/spdy) built from Debian's package plays kubectl against our server
// and the kubelet against our client.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/streaming/remotecommand.h"
#include "spdy_test_util.h"
#include "streaming/spdy_client.h"
#include "streaming/spdy_io.h"
#include "streaming/spdy_session.h"

namespace crio::streaming {
namespace {

using testing::OneShotUpgradeServer;

absl::StatusOr<CommandResult> Interop(std::vector<std::string> args) {
  args.insert(args.begin(), SPDY_INTEROP_BINARY);
  return RunCommand(args, {}, absl::Seconds(120));
}

TEST(SpdystreamInteropTest, KubectlStyleClientExecsThroughOurServer) {
  // Larger than a flow-control window: spdystream never sends WINDOW_UPDATE, so this only
  // passes if we do not wait for one.
  std::string input;
  for (int i = 0; i < 16000; ++i) input += StrCat(i, ",");
  ASSERT_GT(input.size(), 65536u);
  OneShotUpgradeServer server(SpdyRemoteCommandProtocols(), [](UniqueFd conn, std::string leftover,
                                                               std::string protocol) {
    ServeSpdyRemoteCommand(std::move(conn), std::move(leftover), protocol,
                           {.stdin = true, .stdout = true, .stderr = true}, absl::Minutes(5),
                           testing::ProcessRunner({"/bin/sh", "-c", "cat; echo err >&2; exit 3"}));
  });
  absl::StatusOr<CommandResult> result =
      Interop({"exec-client", server.address(), "/exec/t", input});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->err;
  const std::string& out = result->out;
  EXPECT_NE(out.find("protocol=v4.channel.k8s.io\n"), std::string::npos) << out;
  std::string summary = StrCat("stdout=", input.size(), ":", input.substr(0, 16), "...",
                               input.substr(input.size() - 16), "\n");
  EXPECT_NE(out.find(summary), std::string::npos) << out;
  EXPECT_NE(out.find("stderr=err\n"), std::string::npos) << out;
  std::string status = out.substr(out.find("status=") + 7);
  std::string message;
  EXPECT_EQ(ParseExitStatusJson(status.substr(0, status.find('\n')), &message), 3) << out;
}

TEST(SpdystreamInteropTest, KubectlStylePortForwardThroughOurServer) {
  testing::EchoListener echo;
  PodDialer dial = [&](int32_t port) -> absl::StatusOr<UniqueFd> {
    UniqueFd fd = testing::ConnectLoopback(port);
    if (!fd.valid()) return absl::UnavailableError("connect failed");
    return fd;
  };
  OneShotUpgradeServer server(
      {kPortForwardV1}, [&](UniqueFd conn, std::string leftover, std::string) {
        ServeSpdyPortForward(std::move(conn), std::move(leftover), absl::Minutes(5), dial);
      });
  absl::StatusOr<CommandResult> result = Interop(
      {"pf-client", server.address(), "/portforward/t", std::to_string(echo.port()), "hello pod"});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->err;
  EXPECT_EQ(result->out, "data=hello pod\nerror=\n");
}

TEST(SpdystreamInteropTest, OurClientExecsAgainstAKubeletStyleServer) {
  int out_pipe[2];
  ASSERT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
  UniqueFd addr_r(out_pipe[0]), addr_w(out_pipe[1]);
  SpawnOptions options;
  options.argv = {SPDY_INTEROP_BINARY, "exec-server"};
  options.stdout_fd = addr_w.get();
  absl::StatusOr<pid_t> pid = Spawn(options);
  ASSERT_TRUE(pid.ok()) << pid.status();
  addr_w.Reset();
  std::string address;
  char c;
  while (::read(addr_r.get(), &c, 1) == 1 && c != '\n') address.push_back(c);
  ASSERT_FALSE(address.empty());

  int in[2], out[2], err[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
  UniqueFd in_r(in[0]), out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
  std::string input(200 * 1024, 'q');
  std::thread feeder([fd = UniqueFd(in[1]), &input] {
    BlockSigpipeInThisThread();
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = ::write(fd.get(), input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  });
  std::string got_out, got_err;
  std::thread out_reader([&] { got_out = testing::ReadAll(out_r.get()); });
  std::thread err_reader([&] { got_err = testing::ReadAll(err_r.get()); });
  absl::StatusOr<int> code = RunRemoteCommandSpdy(StrCat("http://", address, "/exec/t"),
                                                  {.stdin = true, .stdout = true, .stderr = true},
                                                  in_r.get(), out_w.get(), err_w.get(), nullptr);
  in_r.Reset();
  out_w.Reset();
  err_w.Reset();
  feeder.join();
  out_reader.join();
  err_reader.join();
  std::optional<int> server_exit = Reaper::Get().Wait(*pid, absl::Seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(got_out.size(), input.size());
  EXPECT_TRUE(got_out == input);
  EXPECT_EQ(got_err, "from spdystream\n");
  EXPECT_EQ(server_exit, 0);
}

}  // namespace
}  // namespace crio::streaming
