// The streaming server over real sockets: URLs and tokens, request dispatch, WebSocket exec,
// attach and port-forward end to end with the WebSocket client, limits and shutdown.

#include "crio/streaming/server.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "crio/streaming/remotecommand.h"
#include "server_test_util.h"
#include "streaming/spdy_client.h"
#include "streaming/websocket_client.h"

namespace crio::streaming {
namespace {

using testing::EchoServer;
using testing::InputPipe;
using testing::OutputFile;
using testing::ProcessBackend;
using testing::RawHttp;
using testing::TokenPath;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(ServerOptions{}); }

  void StartServer(ServerOptions options) {
    server_.reset();
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options, backend_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string ExecUrl(std::vector<std::string> cmd, StreamFlags flags) {
    absl::StatusOr<std::string> url = server_->ExecUrl(ExecRequest{"ctr", std::move(cmd), flags});
    EXPECT_TRUE(url.ok()) << url.status();
    return url.ok() ? *url : "";
  }

  static StreamFlags Out() { return StreamFlags{.stdout = true, .stderr = true}; }

  EchoServer echo_;
  ProcessBackend backend_{echo_.port()};
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, UrlsNameTheServerAndARandomToken) {
  EXPECT_EQ(server_->BaseUrl(), StrCat("http://127.0.0.1:", server_->port()));
  std::string a = ExecUrl({"true"}, Out());
  std::string b = ExecUrl({"true"}, Out());
  EXPECT_EQ(a.rfind(server_->BaseUrl() + "/exec/", 0), 0u) << a;
  EXPECT_NE(a, b);
  absl::StatusOr<std::string> attach = server_->AttachUrl(AttachRequest{"ctr", Out()});
  ASSERT_TRUE(attach.ok());
  EXPECT_NE(attach->find("/attach/"), std::string::npos);
  absl::StatusOr<std::string> forward = server_->PortForwardUrl(PortForwardRequest{"pod", {80}});
  ASSERT_TRUE(forward.ok());
  EXPECT_NE(forward->find("/portforward/"), std::string::npos);
}

TEST_F(ServerTest, UnknownTokenIs404) {
  std::string response =
      RawHttp(server_->port(), "GET /exec/nosuchtoken HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << response;
  response = RawHttp(server_->port(), "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << response;
}

TEST_F(ServerTest, TokenOfAnotherKindIs404) {
  std::string url = ExecUrl({"true"}, Out());
  std::string token = url.substr(url.rfind('/') + 1);
  std::string response =
      RawHttp(server_->port(), StrCat("GET /attach/", token, " HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << response;
}

TEST_F(ServerTest, TokenIsSingleUse) {
  std::string url = ExecUrl({"true"}, Out());
  OutputFile out;
  absl::StatusOr<int> first = RunRemoteCommandWebSocket(url, Out(), -1, out.fd(), out.fd(), {});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 0);
  absl::StatusOr<int> second = RunRemoteCommandWebSocket(url, Out(), -1, out.fd(), out.fd(), {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kNotFound) << second.status();
}

TEST_F(ServerTest, ExpiredTokenIs404) {
  StartServer(ServerOptions{.token_ttl = absl::Milliseconds(1)});
  std::string url = ExecUrl({"true"}, Out());
  absl::SleepFor(absl::Milliseconds(50));
  std::string response =
      RawHttp(server_->port(), StrCat("GET ", TokenPath(url), " HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << response;
  EXPECT_EQ(backend_.finished, 0);
}

TEST_F(ServerTest, RequestWithoutUpgradeIs400) {
  std::string url = ExecUrl({"true"}, Out());
  std::string response =
      RawHttp(server_->port(), StrCat("GET ", TokenPath(url), " HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0u) << response;
}

TEST_F(ServerTest, GarbageRequestIs400) {
  std::string response = RawHttp(server_->port(), "\x01\x02 nonsense\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0u) << response;
}

TEST_F(ServerTest, SpdyUpgradeNegotiatesTheClientsFirstSupportedProtocol) {
  std::string url = ExecUrl({"true"}, Out());
  UniqueFd conn;
  std::string head = RawHttp(server_->port(),
                             StrCat("POST ", TokenPath(url),
                                    " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                    "Upgrade: SPDY/3.1\r\n"
                                    "X-Stream-Protocol-Version: v9.channel.k8s.io\r\n"
                                    "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n"
                                    "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"),
                             /*head_only=*/true, &conn);
  EXPECT_EQ(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Upgrade: SPDY/3.1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Stream-Protocol-Version: v3.channel.k8s.io\r\n"), std::string::npos)
      << head;
}

TEST_F(ServerTest, SpdyUpgradeWithNoCommonProtocolIs403) {
  std::string url = ExecUrl({"true"}, Out());
  std::string response =
      RawHttp(server_->port(), StrCat("POST ", TokenPath(url),
                                      " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                      "Upgrade: SPDY/3.1\r\n"
                                      "X-Stream-Protocol-Version: v9.channel.k8s.io\r\n\r\n"));
  EXPECT_EQ(response.rfind("HTTP/1.1 403", 0), 0u) << response;
  EXPECT_NE(response.find("X-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io"),
            std::string::npos)
      << response;
}

TEST_F(ServerTest, PortForwardSpdyUpgradeUsesPortforwardProtocol) {
  absl::StatusOr<std::string> url = server_->PortForwardUrl(PortForwardRequest{"pod", {}});
  ASSERT_TRUE(url.ok());
  UniqueFd conn;
  std::string head = RawHttp(server_->port(),
                             StrCat("POST ", TokenPath(*url),
                                    " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                    "Upgrade: SPDY/3.1\r\n"
                                    "X-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n"),
                             /*head_only=*/true, &conn);
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_NE(head.find("X-Stream-Protocol-Version: portforward.k8s.io\r\n"), std::string::npos)
      << head;
}

// The server hands SPDY upgrades to the SPDY transport; its client runs a whole session.
TEST_F(ServerTest, SpdyExecEndToEnd) {
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  std::string url = ExecUrl({"/bin/sh", "-c", "cat; echo err >&2; exit 7"}, flags);
  InputPipe in;
  in.WriteAndClose("over spdy\n");
  OutputFile out, err;
  absl::StatusOr<int> result =
      RunRemoteCommandSpdy(url, flags, in.read_end.get(), out.fd(), err.fd(), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 7);
  EXPECT_EQ(out.Contents(), "over spdy\n");
  EXPECT_EQ(err.Contents(), "err\n");
}

TEST_F(ServerTest, SpdyPortForwardEndToEnd) {
  absl::StatusOr<std::string> url = server_->PortForwardUrl(PortForwardRequest{"pod", {80}});
  ASSERT_TRUE(url.ok());
  absl::StatusOr<std::unique_ptr<SpdyPortForwardClient>> client =
      SpdyPortForwardClient::Connect(*url);
  ASSERT_TRUE(client.ok()) << client.status();
  // Two connections over the one SPDY connection, one after the other.
  for (std::string text : {"first", "second"}) {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    UniqueFd test(fds[0]), local(fds[1]);
    std::promise<absl::Status> done;
    std::thread forward([&] { done.set_value((*client)->Forward(std::move(local), 80)); });
    ASSERT_EQ(write(test.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
    std::string echoed(text.size(), '\0');
    size_t got = 0;
    while (got < echoed.size()) {
      ssize_t n = read(test.get(), echoed.data() + got, echoed.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    EXPECT_EQ(echoed, text);
    shutdown(test.get(), SHUT_WR);  // the echo server then closes its side
    absl::Status status = done.get_future().get();
    forward.join();
    EXPECT_TRUE(status.ok()) << status;
  }
}

TEST_F(ServerTest, WebSocketExitCodes) {
  for (auto [script, code] : std::vector<std::pair<std::string, int>>{
           {"exit 0", 0}, {"exit 1", 1}, {"kill -9 $$", 137}}) {
    std::string url = ExecUrl({"/bin/sh", "-c", script}, Out());
    OutputFile out;
    absl::StatusOr<int> result = RunRemoteCommandWebSocket(url, Out(), -1, out.fd(), out.fd(), {});
    ASSERT_TRUE(result.ok()) << script << ": " << result.status();
    EXPECT_EQ(*result, code) << script;
  }
}

TEST_F(ServerTest, WebSocketStdoutAndStderrStaySeparate) {
  std::string url = ExecUrl({"/bin/sh", "-c", "echo out; echo err >&2; echo out2"}, Out());
  OutputFile out, err;
  absl::StatusOr<int> result = RunRemoteCommandWebSocket(url, Out(), -1, out.fd(), err.fd(), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(out.Contents(), "out\nout2\n");
  EXPECT_EQ(err.Contents(), "err\n");
}

TEST_F(ServerTest, WebSocketStdinToCatEndsWithTheV5CloseMessage) {
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  std::string url = ExecUrl({"cat"}, flags);
  // More than any pipe holds, written while the session runs: backpressure end to end.
  std::string data;
  for (int i = 0; data.size() < 512 * 1024; ++i) StrAppend(&data, "line ", i, "\n");
  InputPipe in;
  std::thread writer([&] { in.WriteAndClose(data); });
  OutputFile out, err;
  absl::StatusOr<int> result =
      RunRemoteCommandWebSocket(url, flags, in.read_end.get(), out.fd(), err.fd(), {});
  writer.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(out.Contents(), data);
  EXPECT_EQ(err.Contents(), "");
}

TEST_F(ServerTest, WebSocketResizeReachesTheQueueWithTty) {
  StreamFlags flags{.stdin = true, .stdout = true, .tty = true};
  std::string url = ExecUrl({"report-resizes"}, flags);
  auto resize = std::make_shared<ResizeQueue>();
  resize->Push({80, 24});
  resize->Push({120, 40});
  resize->Push({0, 0});  // tells the test backend to stop
  InputPipe in;          // left open: the session ends by the backend returning
  OutputFile out;
  absl::StatusOr<int> result =
      RunRemoteCommandWebSocket(url, flags, in.read_end.get(), out.fd(), -1, resize);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(out.Contents(), "80x24\n120x40\n");
}

TEST_F(ServerTest, WebSocketBase64Protocol) {
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  std::string url = ExecUrl({"/bin/sh", "-c", "head -c 5; printf '\\001\\377'; exit 3"}, flags);
  InputPipe in;
  in.WriteAndClose("hello world");
  OutputFile out;
  WebSocketClientOptions options{.protocols = {"v4.base64.channel.k8s.io"}};
  absl::StatusOr<int> result =
      RunRemoteCommandWebSocket(url, flags, in.read_end.get(), out.fd(), out.fd(), {}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 3);
  EXPECT_EQ(out.Contents(), "hello\001\377");
}

TEST_F(ServerTest, WebSocketV1ReportsOnlyFailures) {
  WebSocketClientOptions options{.protocols = {"channel.k8s.io"}};
  OutputFile out;
  std::string ok = ExecUrl({"/bin/sh", "-c", "echo hi"}, Out());
  absl::StatusOr<int> result =
      RunRemoteCommandWebSocket(ok, Out(), -1, out.fd(), out.fd(), {}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(out.Contents(), "hi\n");
  std::string failing = ExecUrl({"/bin/sh", "-c", "exit 2"}, Out());
  result = RunRemoteCommandWebSocket(failing, Out(), -1, out.fd(), out.fd(), {}, options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnknown);
  EXPECT_NE(result.status().message().find("exit status 2"), absl::string_view::npos);
}

TEST_F(ServerTest, UnsupportedWebSocketProtocolIs400) {
  std::string url = ExecUrl({"true"}, Out());
  OutputFile out;
  WebSocketClientOptions options{.protocols = {"v9.channel.k8s.io"}};
  absl::StatusOr<int> result =
      RunRemoteCommandWebSocket(url, Out(), -1, out.fd(), out.fd(), {}, options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_EQ(backend_.finished, 0);
}

TEST_F(ServerTest, BackendErrorGoesOnTheErrorChannel) {
  std::string url = ExecUrl({}, Out());  // the test backend refuses an empty command
  OutputFile out;
  absl::StatusOr<int> result = RunRemoteCommandWebSocket(url, Out(), -1, out.fd(), out.fd(), {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnknown);
  EXPECT_NE(result.status().message().find("no command"), absl::string_view::npos);
}

TEST_F(ServerTest, WebSocketAttach) {
  absl::StatusOr<std::string> url = server_->AttachUrl(AttachRequest{"ctr", Out()});
  ASSERT_TRUE(url.ok());
  OutputFile out;
  absl::StatusOr<int> result = RunRemoteCommandWebSocket(*url, Out(), -1, out.fd(), out.fd(), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(out.Contents(), "attached\n");
}

// A local connection pair: the test talks on `test`, the client forwards `local`.
struct LocalPair {
  UniqueFd test, local;
  LocalPair() {
    int fds[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    test.Reset(fds[0]);
    local.Reset(fds[1]);
  }
};

TEST_F(ServerTest, WebSocketPortForwardReachesThePod) {
  absl::StatusOr<std::string> url = server_->PortForwardUrl(PortForwardRequest{"pod", {80}});
  ASSERT_TRUE(url.ok());
  absl::StatusOr<std::unique_ptr<WebSocketPortForwardClient>> client =
      WebSocketPortForwardClient::Connect(*url);
  ASSERT_TRUE(client.ok()) << client.status();
  LocalPair pair;
  std::promise<absl::Status> done;
  std::thread forward([&] { done.set_value((*client)->Forward(std::move(pair.local), 80)); });
  std::string message(100000, 'x');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] {
    std::string_view rest = message;
    while (!rest.empty()) {
      ssize_t n = write(pair.test.get(), rest.data(), rest.size());
      if (n <= 0) return;
      rest.remove_prefix(static_cast<size_t>(n));
    }
  });
  std::string echoed;
  char buf[8192];
  while (echoed.size() < message.size()) {
    ssize_t n = read(pair.test.get(), buf, sizeof(buf));
    if (n <= 0) break;
    echoed.append(buf, static_cast<size_t>(n));
  }
  writer.join();
  EXPECT_EQ(echoed, message);
  pair.test.Reset();  // local EOF ends the session
  absl::Status status = done.get_future().get();
  forward.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ((*client)->Forward(UniqueFd(), 80).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ServerTest, WebSocketPortForwardReportsDialErrors) {
  absl::StatusOr<std::string> url = server_->PortForwardUrl(PortForwardRequest{"pod", {}});
  ASSERT_TRUE(url.ok());
  auto client = WebSocketPortForwardClient::Connect(*url);
  ASSERT_TRUE(client.ok());
  LocalPair pair;
  absl::Status status = (*client)->Forward(std::move(pair.local), 81);  // nothing listens
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("error forwarding port 81"), absl::string_view::npos) << status;
}

TEST_F(ServerTest, WebSocketPortForwardRefusesPortsNotRequested) {
  absl::StatusOr<std::string> url = server_->PortForwardUrl(PortForwardRequest{"pod", {80}});
  ASSERT_TRUE(url.ok());
  auto client = WebSocketPortForwardClient::Connect(*url);
  ASSERT_TRUE(client.ok());
  LocalPair pair;
  absl::Status status = (*client)->Forward(std::move(pair.local), 8080);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("not requested"), absl::string_view::npos) << status;
}

TEST_F(ServerTest, FiftyConcurrentSessions) {
  constexpr int kSessions = 50;
  std::vector<std::string> urls;
  for (int i = 0; i < kSessions; ++i) {
    urls.push_back(ExecUrl({"/bin/sh", "-c", StrCat("sleep 0.2; echo session-", i)}, Out()));
  }
  std::vector<std::string> outputs(kSessions);
  std::vector<absl::StatusOr<int>> results(kSessions);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      OutputFile out;
      results[i] = RunRemoteCommandWebSocket(urls[i], Out(), -1, out.fd(), out.fd(), {});
      outputs[i] = out.Contents();
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(*results[i], 0);
    EXPECT_EQ(outputs[i], StrCat("session-", i, "\n"));
  }
}

// Upgrades a raw connection to WebSocket by hand, for sending frames no client would.
UniqueFd RawWebSocket(int port, const std::string& url) {
  UniqueFd conn;
  std::string head = RawHttp(port,
                             StrCat("GET ", TokenPath(url),
                                    " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n"),
                             /*head_only=*/true, &conn);
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_NE(head.find("v5.channel.k8s.io"), std::string::npos) << head;
  return conn;
}

TEST_F(ServerTest, MalformedFrameClosesOnlyThatConnection) {
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  // A healthy session, waiting on its stdin.
  std::string good_url = ExecUrl({"cat"}, flags);
  InputPipe in;
  OutputFile out;
  std::promise<absl::StatusOr<int>> good;
  std::thread good_thread([&] {
    good.set_value(
        RunRemoteCommandWebSocket(good_url, flags, in.read_end.get(), out.fd(), out.fd(), {}));
  });
  backend_.WaitStarted(1);

  // A second session that sends an unmasked frame (clients must mask) with a reserved opcode.
  // (sleep ignores its stdin: only client_gone can end it.)
  UniqueFd bad = RawWebSocket(server_->port(), ExecUrl({"sleep", "1000"}, flags));
  backend_.WaitStarted(2);
  const char frame[] = {'\x83', '\x03', 'a', 'b', 'c'};
  ASSERT_EQ(write(bad.get(), frame, sizeof(frame)), static_cast<ssize_t>(sizeof(frame)));
  // The server drops that connection (after a close frame at most) and ends its session.
  std::string rest = testing::ReadAll(bad.get());
  EXPECT_LE(rest.size(), 64u);
  bad.Reset();
  while (backend_.finished < 1) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(backend_.client_gone_kills, 1);

  // The healthy one carries on.
  in.WriteAndClose("still here\n");
  absl::StatusOr<int> result = good.get_future().get();
  good_thread.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(out.Contents(), "still here\n");
}

TEST_F(ServerTest, MalformedCloseMessageEndsTheSession) {
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  UniqueFd conn = RawWebSocket(server_->port(), ExecUrl({"sleep", "1000"}, flags));
  backend_.WaitStarted(1);
  // A masked binary frame (mask 0) with payload {255, 0, 0}: a CLOSE with two channel bytes.
  const char frame[] = {'\x82', '\x83', 0, 0, 0, 0, '\xff', 0, 0};
  ASSERT_EQ(write(conn.get(), frame, sizeof(frame)), static_cast<ssize_t>(sizeof(frame)));
  testing::ReadAll(conn.get());
  conn.Reset();
  while (backend_.finished < 1) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(backend_.client_gone_kills, 1);
}

TEST_F(ServerTest, VanishedClientEndsTheProcess) {
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  UniqueFd conn = RawWebSocket(server_->port(), ExecUrl({"sleep", "1000"}, flags));
  backend_.WaitStarted(1);
  conn.Reset();
  while (backend_.finished < 1) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(backend_.client_gone_kills, 1);
}

TEST_F(ServerTest, IdleTimeoutClosesTheSession) {
  StartServer(ServerOptions{.idle_timeout = absl::Milliseconds(200)});
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  std::string url = ExecUrl({"sleep", "1000"}, flags);
  InputPipe in;  // never written
  OutputFile out;
  absl::StatusOr<int> result =
      RunRemoteCommandWebSocket(url, flags, in.read_end.get(), out.fd(), out.fd(), {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  while (backend_.finished < 1) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(backend_.client_gone_kills, 1);
}

TEST_F(ServerTest, DestructorEndsRunningSessions) {
  StreamFlags flags{.stdin = true, .stdout = true, .stderr = true};
  std::string url = ExecUrl({"sleep", "1000"}, flags);
  InputPipe in;
  OutputFile out;
  std::promise<absl::StatusOr<int>> result;
  std::thread client([&] {
    result.set_value(
        RunRemoteCommandWebSocket(url, flags, in.read_end.get(), out.fd(), out.fd(), {}));
  });
  backend_.WaitStarted(1);
  server_.reset();
  EXPECT_EQ(backend_.finished, 1);
  EXPECT_EQ(backend_.client_gone_kills, 1);
  EXPECT_FALSE(result.get_future().get().ok());
  client.join();
}

}  // namespace
}  // namespace crio::streaming
