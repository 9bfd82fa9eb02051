// ServeSpdyRemoteCommand/ServeSpdyPortForward against RunRemoteCommandSpdy and
// SpdyPortForwardClient, over real loopback TCP, with real processes and sockets.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "crio/common/strings.h"
#include "crio/streaming/remotecommand.h"
#include "spdy_test_util.h"
#include "streaming/spdy_client.h"
#include "streaming/spdy_connection.h"
#include "streaming/spdy_io.h"
#include "streaming/spdy_session.h"

namespace crio::streaming {
namespace {

using testing::EchoListener;
using testing::OneShotUpgradeServer;
using testing::ProcessRunner;

struct Outcome {
  absl::StatusOr<int> code;
  std::string out;
  std::string err;
};

// Runs one exec session end to end: our server with `run`, our client with `input` on stdin
// (nullopt: no stdin stream).
Outcome Exec(const StreamFlags& flags, const SessionRunner& run,
             std::optional<std::string> input = std::nullopt,
             std::shared_ptr<ResizeQueue> resize = nullptr) {
  OneShotUpgradeServer server(SpdyRemoteCommandProtocols(),
                              [&](UniqueFd conn, std::string leftover, std::string protocol) {
                                ServeSpdyRemoteCommand(std::move(conn), std::move(leftover),
                                                       protocol, flags, absl::Minutes(5), run);
                              });
  int in[2], out[2], err[2];
  EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
  UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
  std::thread feeder([&, data = input.value_or("")] {
    BlockSigpipeInThisThread();  // the client may stop reading before the end (EPIPE)
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(in_w.get(), data.data() + off, data.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    in_w.Reset();
  });
  Outcome outcome;
  std::thread out_reader([&] { outcome.out = testing::ReadAll(out_r.get()); });
  std::thread err_reader([&] { outcome.err = testing::ReadAll(err_r.get()); });
  StreamFlags client_flags = flags;
  client_flags.stdin = input.has_value();
  outcome.code = RunRemoteCommandSpdy(server.url("/exec/token"), client_flags, in_r.get(),
                                      out_w.get(), err_w.get(), std::move(resize));
  in_r.Reset();  // the client is done with its stdin: a feeder still writing gets EPIPE
  out_w.Reset();
  err_w.Reset();
  feeder.join();
  out_reader.join();
  err_reader.join();
  return outcome;
}

SessionRunner Shell(std::string script) { return ProcessRunner({"/bin/sh", "-c", script}); }

TEST(SpdyRemoteCommandTest, ExitZeroWithStdoutAndStderr) {
  Outcome o = Exec({.stdout = true, .stderr = true}, Shell("echo hello; echo oops >&2"));
  ASSERT_TRUE(o.code.ok()) << o.code.status();
  EXPECT_EQ(*o.code, 0);
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_EQ(o.err, "oops\n");
}

TEST(SpdyRemoteCommandTest, NonZeroExitCodes) {
  Outcome one = Exec({.stdout = true, .stderr = true}, Shell("echo partial; exit 1"));
  ASSERT_TRUE(one.code.ok()) << one.code.status();
  EXPECT_EQ(*one.code, 1);
  EXPECT_EQ(one.out, "partial\n");

  Outcome killed = Exec({.stdout = true}, Shell("kill -9 $$"));
  ASSERT_TRUE(killed.code.ok()) << killed.code.status();
  EXPECT_EQ(*killed.code, 137);
}

TEST(SpdyRemoteCommandTest, StdinToCatAndEof) {
  Outcome o = Exec({.stdin = true, .stdout = true, .stderr = true}, ProcessRunner({"cat"}),
                   std::string("line one\nline two\n"));
  ASSERT_TRUE(o.code.ok()) << o.code.status();
  EXPECT_EQ(*o.code, 0);  // cat saw EOF when our stdin ended, so it exited
  EXPECT_EQ(o.out, "line one\nline two\n");
}

TEST(SpdyRemoteCommandTest, LargeTransferBothWays) {
  std::string input;
  for (int i = 0; i < 200000; ++i) input += StrCat(i, "\n");  // ~1.2 MiB
  Outcome o =
      Exec({.stdin = true, .stdout = true, .stderr = true}, Shell("cat; echo done >&2"), input);
  ASSERT_TRUE(o.code.ok()) << o.code.status();
  EXPECT_EQ(o.out.size(), input.size());
  EXPECT_TRUE(o.out == input);
  EXPECT_EQ(o.err, "done\n");
}

TEST(SpdyRemoteCommandTest, ProcessThatIgnoresStdinStillEnds) {
  Outcome o = Exec({.stdin = true, .stdout = true}, Shell("echo bye; exit 4"),
                   std::string(300 * 1024, 'z'));
  ASSERT_TRUE(o.code.ok()) << o.code.status();
  EXPECT_EQ(*o.code, 4);
  EXPECT_EQ(o.out, "bye\n");
}

TEST(SpdyRemoteCommandTest, TtyResizeReachesTheQueue) {
  auto resize = std::make_shared<ResizeQueue>();
  resize->Push({80, 24});
  resize->Push({132, 50});
  SessionRunner run = [](Session& session) -> absl::StatusOr<int> {
    EXPECT_TRUE(session.tty);
    EXPECT_FALSE(session.stderr_fd.valid());
    if (!session.resize) return absl::InternalError("no resize queue with a tty");
    std::string seen;
    for (int i = 0; i < 2; ++i) {
      std::optional<TerminalSize> size = session.resize->Next();
      if (!size) return absl::InternalError("resize queue closed early");
      seen += StrCat(size->width, "x", size->height, "\n");
    }
    if (::write(session.stdout_fd.get(), seen.data(), seen.size()) < 0) return 1;
    return 0;
  };
  Outcome o = Exec({.stdout = true, .stderr = true, .tty = true}, run, std::nullopt, resize);
  ASSERT_TRUE(o.code.ok()) << o.code.status();
  EXPECT_EQ(o.out, "80x24\n132x50\n");
  EXPECT_EQ(o.err, "");
  // The client closed the caller's queue when it returned.
  EXPECT_EQ(resize->Next(), std::nullopt);
}

TEST(SpdyRemoteCommandTest, RunnerErrorReachesTheClient) {
  SessionRunner run = [](Session&) -> absl::StatusOr<int> {
    return absl::NotFoundError("container is not running");
  };
  Outcome o = Exec({.stdout = true}, run);
  ASSERT_FALSE(o.code.ok());
  EXPECT_NE(std::string(o.code.status().message()).find("container is not running"),
            std::string::npos)
      << o.code.status();
}

TEST(SpdyRemoteCommandTest, ClientGoneIsSignalled) {
  // The client's stdout stays full (nobody reads our end), it is killed mid-session by
  // closing its connection; the backend sees client_gone and ends the session.
  std::promise<bool> saw_gone;
  SessionRunner run = [&](Session& session) -> absl::StatusOr<int> {
    pollfd pfd{session.client_gone.get(), POLLIN, 0};
    bool gone = ::poll(&pfd, 1, 60000) == 1;
    saw_gone.set_value(gone);
    return gone ? 130 : 0;
  };
  OneShotUpgradeServer server(
      SpdyRemoteCommandProtocols(), [&](UniqueFd conn, std::string leftover, std::string protocol) {
        ServeSpdyRemoteCommand(std::move(conn), std::move(leftover), protocol, {.stdout = true},
                               absl::Minutes(5), run);
      });
  absl::StatusOr<SpdyUpgrade> up = DialSpdy(server.url("/exec/x"), SpdyRemoteCommandProtocols());
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->protocol, kRemoteCommandV4);
  {
    SpdyConnectionOptions options;
    options.server = false;
    auto conn = SpdyConnection::Start(std::move(up->fd), options);
    for (std::string type : {"error", "stdout"}) {
      auto s = conn->OpenStream({{"streamtype", type}});
      ASSERT_TRUE(s.ok());
      ASSERT_TRUE((*s)->WaitReply(absl::Seconds(30)).ok());
    }
    conn->Abort();
  }
  std::future<bool> gone = saw_gone.get_future();
  ASSERT_EQ(gone.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_TRUE(gone.get());
}

TEST(SpdyRemoteCommandTest, UnknownTokenIsAnHttpError) {
  // A plain HTTP server answering 404, as the streaming server does for a bad token.
  int port = 0;
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  std::thread answer([&] {
    UniqueFd conn(::accept(listener.get(), nullptr, nullptr));
    char buf[4096];
    [[maybe_unused]] ssize_t n = ::recv(conn.get(), buf, sizeof(buf), 0);
    std::string reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 14\r\n\r\nunknown token\n";
    [[maybe_unused]] ssize_t m = ::send(conn.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  });
  absl::StatusOr<int> code = RunRemoteCommandSpdy(StrCat("http://127.0.0.1:", port, "/exec/nope"),
                                                  {.stdout = true}, -1, -1, -1, nullptr);
  answer.join();
  EXPECT_EQ(code.status().code(), absl::StatusCode::kNotFound) << code.status();
  EXPECT_NE(std::string(code.status().message()).find("unknown token"), std::string::npos);
}

TEST(SpdyResizeDecoderTest, SplitsConcatenatedObjects) {
  ResizeDecoder decoder;
  std::vector<TerminalSize> sizes;
  EXPECT_TRUE(decoder.Feed("{\"Width\":80,\"Height\":24}\n{\"width\":1", &sizes));
  EXPECT_TRUE(decoder.Feed("0,\"height\":5}{\"Width\":7,\"Height\":8,\"x\":\"}{\"}", &sizes));
  EXPECT_EQ(sizes, (std::vector<TerminalSize>{{80, 24}, {10, 5}, {7, 8}}));
  EXPECT_FALSE(decoder.Feed("not json", &sizes));
  EXPECT_FALSE(decoder.Feed("{\"Width\":1,\"Height\":1}", &sizes));
  EXPECT_EQ(sizes.size(), 3u);
}

// Port forwarding: several concurrent connections through one SPDY connection to a real
// local echo server standing in for the pod.
TEST(SpdyPortForwardTest, ConcurrentForwardsToAnEchoServer) {
  EchoListener echo;
  std::atomic<int> dials{0};
  PodDialer dial = [&](int32_t port) -> absl::StatusOr<UniqueFd> {
    ++dials;
    if (port != echo.port()) return absl::UnavailableError(StrCat("nothing on port ", port));
    UniqueFd fd = testing::ConnectLoopback(port);
    if (!fd.valid()) return absl::UnavailableError("connect failed");
    return fd;
  };
  OneShotUpgradeServer server(
      {kPortForwardV1}, [&](UniqueFd conn, std::string leftover, std::string protocol) {
        EXPECT_EQ(protocol, kPortForwardV1);
        ServeSpdyPortForward(std::move(conn), std::move(leftover), absl::Minutes(5), dial);
      });
  auto client = SpdyPortForwardClient::Connect(server.url("/portforward/token"));
  ASSERT_TRUE(client.ok()) << client.status();

  constexpr int kConnections = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> echoed(kConnections);
  std::vector<absl::Status> results(kConnections);
  std::vector<std::string> payloads;
  for (int i = 0; i < kConnections; ++i) {
    payloads.push_back(std::string(100000 + i * 7919, static_cast<char>('A' + i)));
  }
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      int fds[2];
      ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
      UniqueFd user(fds[0]);
      std::thread forward([&, local = UniqueFd(fds[1])]() mutable {
        results[i] = (*client)->Forward(std::move(local), echo.port());
      });
      std::thread writer([&] {
        size_t off = 0;
        while (off < payloads[i].size()) {
          ssize_t n =
              ::send(user.get(), payloads[i].data() + off, payloads[i].size() - off, MSG_NOSIGNAL);
          if (n <= 0) break;
          off += static_cast<size_t>(n);
        }
        ::shutdown(user.get(), SHUT_WR);  // the echo server sees EOF and closes
      });
      echoed[i] = testing::ReadAll(user.get());
      writer.join();
      forward.join();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i];
    EXPECT_EQ(echoed[i].size(), payloads[i].size());
    EXPECT_TRUE(echoed[i] == payloads[i]) << "connection " << i;
  }
  EXPECT_EQ(dials.load(), kConnections);

  // A failing dial comes back as the forward's error, from the error stream.
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd user(fds[0]);
  absl::Status failed = (*client)->Forward(UniqueFd(fds[1]), 1);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(std::string(failed.message()).find("nothing on port 1"), std::string::npos) << failed;
  client->reset();  // closes the connection; the server returns
}

}  // namespace
}  // namespace crio::streaming
