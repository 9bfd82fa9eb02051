#include "streaming/spdy_connection.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace crio::streaming {
namespace {

using spdy::HeaderBlock;

struct Pair {
  std::unique_ptr<SpdyConnection> server;
  std::unique_ptr<SpdyConnection> client;
};

Pair Connect(SpdyConnectionOptions server_options = {}, SpdyConnectionOptions client_options = {}) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  server_options.server = true;
  client_options.server = false;
  return Pair{SpdyConnection::Start(UniqueFd(fds[0]), std::move(server_options)),
              SpdyConnection::Start(UniqueFd(fds[1]), std::move(client_options))};
}

std::string ReadAll(SpdyStream& stream) {
  std::string out;
  char buf[8192];
  while (size_t n = stream.Read(buf, sizeof(buf))) out.append(buf, n);
  return out;
}

std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

TEST(SpdyConnectionTest, StreamsBothWaysWithHalfClose) {
  Pair p = Connect();
  auto opened = p.client->OpenStream({{"streamtype", "stdin"}});
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<SpdyStream> client_stream = *opened;
  EXPECT_EQ(client_stream->id() % 2, 1u);  // client-opened ids are odd

  std::shared_ptr<SpdyStream> server_stream = p.server->AcceptStream(absl::Seconds(30));
  ASSERT_NE(server_stream, nullptr);
  EXPECT_EQ(server_stream->id(), client_stream->id());
  EXPECT_EQ(server_stream->header("streamType"), "stdin");
  ASSERT_TRUE(server_stream->Reply().ok());
  ASSERT_TRUE(client_stream->WaitReply(absl::Seconds(30)).ok());

  ASSERT_TRUE(client_stream->Write("ping from client").ok());
  ASSERT_TRUE(client_stream->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*server_stream), "ping from client");
  EXPECT_TRUE(server_stream->fin_received());
  // The other direction is still open after the client's FIN.
  ASSERT_TRUE(server_stream->Write("pong").ok());
  ASSERT_TRUE(server_stream->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*client_stream), "pong");
  EXPECT_FALSE(client_stream->was_reset());
  EXPECT_FALSE(client_stream->Write("late").ok());

  // The server can open streams too, with even ids.
  auto pushed = p.server->OpenStream({{"streamtype", "data"}}, /*fin=*/false);
  ASSERT_TRUE(pushed.ok());
  EXPECT_EQ((*pushed)->id() % 2, 0u);
  std::shared_ptr<SpdyStream> accepted = p.client->AcceptStream(absl::Seconds(30));
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->header("streamtype"), "data");
  ASSERT_TRUE((*pushed)->Write("from server").ok());  // before the reply: allowed in SPDY
  ASSERT_TRUE(accepted->Reply().ok());
  ASSERT_TRUE((*pushed)->WaitReply(absl::Seconds(30)).ok());
  ASSERT_TRUE((*pushed)->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*accepted), "from server");
}

TEST(SpdyConnectionTest, FlowControlBlocksTheSenderUntilTheReaderConsumes) {
  Pair p = Connect();
  auto opened = p.client->OpenStream({{"streamtype", "stdin"}});
  ASSERT_TRUE(opened.ok());
  std::shared_ptr<SpdyStream> sender = *opened;
  std::shared_ptr<SpdyStream> receiver = p.server->AcceptStream(absl::Seconds(30));
  ASSERT_NE(receiver, nullptr);
  ASSERT_TRUE(receiver->Reply().ok());
  ASSERT_TRUE(sender->WaitReply(absl::Seconds(30)).ok());
  // Both sides sent SETTINGS (the server once the client spoke): a PING round trip each way
  // makes sure they have been seen before the bulk transfer starts.
  ASSERT_TRUE(p.client->Ping(absl::Seconds(30)).ok());
  ASSERT_TRUE(p.server->Ping(absl::Seconds(30)).ok());

  const std::string payload = Pattern(4 << 20);
  std::atomic<bool> written{false};
  std::thread writer([&] {
    EXPECT_TRUE(sender->Write(payload).ok());
    EXPECT_TRUE(sender->CloseWrite().ok());
    written = true;
  });
  // Nobody reads: the sender must stop at the receiver's window (1 MiB), well short of 4 MiB.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(written.load());

  // A slow reader still gets every byte, in order.
  std::string got;
  char buf[1000];
  while (size_t n = receiver->Read(buf, sizeof(buf))) {
    got.append(buf, n);
    if (got.size() % 400000 < 1000) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  writer.join();
  EXPECT_TRUE(written.load());
  EXPECT_EQ(got.size(), payload.size());
  EXPECT_TRUE(got == payload);
}

// A peer like moby/spdystream never sends SETTINGS or WINDOW_UPDATE. We must not wait for
// window updates that never come: more than a window goes out without any.
TEST(SpdyConnectionTest, DoesNotWaitForWindowUpdatesFromPeersWithoutFlowControl) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd raw(fds[1]);
  SpdyConnectionOptions options;
  options.server = true;
  auto conn = SpdyConnection::Start(UniqueFd(fds[0]), options);

  // The raw peer opens stream 1 with a SYN_STREAM from its own compressor.
  spdy::HeaderCompressor compressor;
  std::string syn = spdy::SerializeFrame(
      spdy::SynStreamFrame{1, 0, 0, 0, 0, {{"streamtype", "stdout"}}}, compressor);
  ASSERT_EQ(::send(raw.get(), syn.data(), syn.size(), 0), static_cast<ssize_t>(syn.size()));
  std::shared_ptr<SpdyStream> stream = conn->AcceptStream(absl::Seconds(30));
  ASSERT_NE(stream, nullptr);

  const size_t total = 300 * 1024;
  std::thread writer([&] {
    EXPECT_TRUE(stream->Write(Pattern(total)).ok());
    EXPECT_TRUE(stream->CloseWrite().ok());
  });
  spdy::FrameParser parser;
  size_t data_bytes = 0;
  bool fin = false;
  char buf[65536];
  while (!fin) {
    ssize_t n = ::recv(raw.get(), buf, sizeof(buf), 0);
    ASSERT_GT(n, 0);
    parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
    spdy::Frame frame;
    while (parser.Next(&frame) == spdy::FrameParser::Result::kFrame) {
      if (auto* data = std::get_if<spdy::DataFrame>(&frame)) {
        data_bytes += data->data.size();
        fin = fin || (data->flags & spdy::kFlagFin);
      }
    }
  }
  writer.join();
  EXPECT_EQ(data_bytes, total);
  raw.Reset();  // the peer goes away first, so our Close does not wait for it
}

// The other half of the same story: a peer that ignores our window is held back by TCP once
// the stream's bounded buffer is full, and nothing is lost.
TEST(SpdyConnectionTest, BoundedReceiveBufferAgainstPeersIgnoringTheWindow) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd raw(fds[1]);
  SpdyConnectionOptions options;
  options.server = true;
  options.receive_buffer = 128 * 1024;
  auto conn = SpdyConnection::Start(UniqueFd(fds[0]), options);

  const std::string payload = Pattern(2 << 20);
  std::thread peer([&] {
    spdy::HeaderCompressor compressor;
    std::string wire = spdy::SerializeFrame(
        spdy::SynStreamFrame{1, 0, 0, 0, 0, {{"streamtype", "stdin"}}}, compressor);
    for (size_t off = 0; off < payload.size(); off += 32768) {
      bool last = off + 32768 >= payload.size();
      wire += spdy::SerializeData(1, last ? spdy::kFlagFin : 0, payload.substr(off, 32768));
    }
    size_t sent = 0;
    while (sent < wire.size()) {
      ssize_t n = ::send(raw.get(), wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  });
  std::shared_ptr<SpdyStream> stream = conn->AcceptStream(absl::Seconds(30));
  ASSERT_NE(stream, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(ReadAll(*stream), payload);
  peer.join();
  raw.Reset();
}

TEST(SpdyConnectionTest, ResetEndsBothDirections) {
  Pair p = Connect();
  auto opened = p.client->OpenStream({{"streamtype", "error"}});
  ASSERT_TRUE(opened.ok());
  std::shared_ptr<SpdyStream> refused = p.server->AcceptStream(absl::Seconds(30));
  ASSERT_NE(refused, nullptr);
  refused->Reset(spdy::kRstRefusedStream);
  absl::Status reply = (*opened)->WaitReply(absl::Seconds(30));
  EXPECT_EQ(reply.code(), absl::StatusCode::kAborted) << reply;
  EXPECT_TRUE((*opened)->was_reset());
  char c;
  EXPECT_EQ((*opened)->Read(&c, 1), 0u);
  EXPECT_EQ((*opened)->Write("x").code(), absl::StatusCode::kAborted);

  // Data buffered before a reset is still delivered; then the stream ends.
  auto second = p.client->OpenStream({{"streamtype", "stdout"}});
  ASSERT_TRUE(second.ok());
  std::shared_ptr<SpdyStream> accepted = p.server->AcceptStream(absl::Seconds(30));
  ASSERT_NE(accepted, nullptr);
  ASSERT_TRUE(accepted->Write("last words").ok());
  accepted->Reset();
  EXPECT_EQ(ReadAll(**second), "last words");
  EXPECT_TRUE((*second)->was_reset());
  EXPECT_FALSE((*second)->fin_received());
}

TEST(SpdyConnectionTest, GoAwayStopsNewStreamsButNotOpenOnes) {
  Pair p = Connect();
  auto opened = p.client->OpenStream({{"streamtype", "stdin"}});
  ASSERT_TRUE(opened.ok());
  std::shared_ptr<SpdyStream> accepted = p.server->AcceptStream(absl::Seconds(30));
  ASSERT_NE(accepted, nullptr);
  ASSERT_TRUE(accepted->Reply().ok());
  p.server->GoAway();
  // AcceptStream on the client returns at once once GOAWAY is in: nothing more will come.
  EXPECT_EQ(p.client->AcceptStream(absl::Seconds(30)), nullptr);
  EXPECT_TRUE(p.client->goaway_received());
  EXPECT_FALSE(p.client->OpenStream({{"streamtype", "late"}}).ok());
  ASSERT_TRUE((*opened)->Write("still flowing").ok());
  ASSERT_TRUE((*opened)->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*accepted), "still flowing");
}

TEST(SpdyConnectionTest, PingsAreAnsweredBothWays) {
  Pair p = Connect();
  absl::StatusOr<absl::Duration> rtt = p.client->Ping(absl::Seconds(30));
  ASSERT_TRUE(rtt.ok()) << rtt.status();
  EXPECT_GE(*rtt, absl::ZeroDuration());
  EXPECT_TRUE(p.server->Ping(absl::Seconds(30)).ok());
  EXPECT_TRUE(p.client->Ping(absl::Seconds(30)).ok());
}

TEST(SpdyConnectionTest, MalformedInputClosesOnlyThatConnection) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd raw(fds[1]);
  std::atomic<int> closed_calls{0};
  SpdyConnectionOptions options;
  options.on_closed = [&] { ++closed_calls; };
  auto broken = SpdyConnection::Start(UniqueFd(fds[0]), options);
  Pair healthy = Connect();

  std::string garbage = "GET / HTTP/1.1\r\n\r\n";  // not SPDY: a control bit and version 0x4745
  ASSERT_EQ(::send(raw.get(), garbage.data(), garbage.size(), 0),
            static_cast<ssize_t>(garbage.size()));
  ASSERT_TRUE(broken->WaitClosed(absl::Seconds(30)));
  EXPECT_NE(broken->error().find("protocol error"), std::string::npos) << broken->error();
  EXPECT_EQ(closed_calls.load(), 1);
  // The socket was shut down: the peer reads EOF.
  char c;
  EXPECT_EQ(::recv(raw.get(), &c, 1, 0), 0);
  EXPECT_TRUE(healthy.client->Ping(absl::Seconds(30)).ok());
}

TEST(SpdyConnectionTest, IdleTimeoutClosesTheConnection) {
  SpdyConnectionOptions server;
  server.idle_timeout = absl::Milliseconds(200);
  Pair p = Connect(server);
  ASSERT_TRUE(p.server->WaitClosed(absl::Seconds(30)));
  EXPECT_EQ(p.server->error(), "idle timeout");
  EXPECT_TRUE(p.client->WaitClosed(absl::Seconds(30)));
}

TEST(SpdyConnectionTest, CloseIsGracefulAndDeliversQueuedData) {
  Pair p = Connect();
  auto opened = p.server->OpenStream({{"streamtype", "stdout"}});
  ASSERT_TRUE(opened.ok());
  const std::string payload = Pattern(200 * 1024);
  std::string got;
  std::thread reader([&] {
    std::shared_ptr<SpdyStream> s = p.client->AcceptStream(absl::Seconds(30));
    ASSERT_NE(s, nullptr);
    // The server may already be gone (it need not wait for our reply): the data it sent is
    // still ours to read.
    (void)s->Reply();
    got = ReadAll(*s);
  });
  ASSERT_TRUE((*opened)->Write(payload).ok());
  ASSERT_TRUE((*opened)->CloseWrite().ok());
  std::thread closer([&] {
    p.client->WaitClosed(absl::Seconds(30));
    p.client->Close();
  });
  p.server->Close();
  reader.join();
  closer.join();
  EXPECT_TRUE(p.server->closed());
  EXPECT_EQ(p.server->error(), "");
  EXPECT_TRUE(got == payload);
}

}  // namespace
}  // namespace crio::streaming
