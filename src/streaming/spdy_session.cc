#include "spdy_session.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <thread>

#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/streaming/remotecommand.h"
#include "nlohmann/json.hpp"
#include "spdy_connection.h"
#include "spdy_io.h"

namespace crio::streaming {
namespace {

// How long the client has to open its streams (the kubelet's DefaultStreamCreationTimeout).
constexpr absl::Duration kStreamCreationTimeout = absl::Seconds(30);
// After the process exits, how long to wait for its output pipes to reach EOF before giving
// up on writers it left behind (data already in the pipes is still delivered).
constexpr std::chrono::milliseconds kDrainTimeout{2000};
constexpr size_t kPumpChunk = 32 * 1024;

enum class Version { kV1 = 1, kV2, kV3, kV4 };

Version ParseVersion(std::string_view protocol) {
  if (protocol == kRemoteCommandV4) return Version::kV4;
  if (protocol == kRemoteCommandV3) return Version::kV3;
  if (protocol == kRemoteCommandV2) return Version::kV2;
  return Version::kV1;  // channel.k8s.io, or no negotiation at all
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

bool MakePipe(Pipe* pipe) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  pipe->read.Reset(fds[0]);
  pipe->write.Reset(fds[1]);
  return true;
}

// Client -> process: stream bytes into our end of the stdin pipe; the client's FIN (or the
// connection ending) closes it, which the process reads as EOF. If the process stops reading
// stdin, the rest is drained and dropped so the connection's reader never stalls on it.
void PumpStreamToFd(SpdyStream& stream, UniqueFd fd, const StopEvent& stop) {
  BlockSigpipeInThisThread();
  std::string buf(kPumpChunk, '\0');
  bool writing = true;
  while (size_t n = stream.Read(buf.data(), buf.size())) {
    if (writing && !WriteAllOrStop(fd.get(), std::string_view(buf.data(), n), &stop)) {
      writing = false;
      fd.Reset();
    }
  }
}

// Process -> client: our end of an output pipe into the stream, FIN at EOF. Once a stop
// fires, what is already in the pipe is still sent, but an empty pipe is not waited on. With
// `drain`, a client that went away does not end the pump: the bytes are read and dropped, so
// the process never blocks on its output.
void PumpFdToStream(int fd, SpdyStream& stream, bool drain, const StopEvent& stop,
                    const StopEvent* also = nullptr) {
  std::string buf(kPumpChunk, '\0');
  bool sending = true;
  while (true) {
    ssize_t n = ReadOrStop(fd, buf.data(), buf.size(), &stop, also);
    if (n <= 0) break;
    if (sending) sending = stream.Write(std::string_view(buf.data(), static_cast<size_t>(n))).ok();
    if (!sending && !drain) break;
  }
  (void)stream.CloseWrite();
}

std::string StatusMessage(const std::string& json) {
  nlohmann::json status = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object()) return json;
  return status.value("message", json);
}

}  // namespace

const std::vector<std::string_view>& SpdyRemoteCommandProtocols() {
  static const std::vector<std::string_view> protocols = {kRemoteCommandV4, kRemoteCommandV3,
                                                          kRemoteCommandV2, kRemoteCommandV1};
  return protocols;
}

bool ResizeDecoder::Feed(std::string_view bytes, std::vector<TerminalSize>* out) {
  constexpr size_t kMaxObject = 4096;
  for (char c : bytes) {
    if (broken_) return false;
    if (depth_ == 0) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      if (c != '{') {
        broken_ = true;
        return false;
      }
    }
    pending_.push_back(c);
    if (pending_.size() > kMaxObject) {
      broken_ = true;
      return false;
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{') {
      ++depth_;
    } else if (c == '}' && --depth_ == 0) {
      nlohmann::json size = nlohmann::json::parse(pending_, nullptr, /*allow_exceptions=*/false);
      pending_.clear();
      if (!size.is_object()) {
        broken_ = true;
        return false;
      }
      // Go's JSON decoder (the kubelet's) matches field names case-insensitively.
      TerminalSize ts;
      for (const auto& [key, value] : size.items()) {
        std::string lower = key;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        if (!value.is_number_unsigned() || value.get<uint64_t>() > 0xffff) continue;
        if (lower == "width") ts.width = value.get<uint16_t>();
        if (lower == "height") ts.height = value.get<uint16_t>();
      }
      out->push_back(ts);
    }
  }
  return !broken_;
}

void ServeSpdyRemoteCommand(UniqueFd conn_fd, std::string leftover, std::string_view protocol,
                            const StreamFlags& flags, absl::Duration idle_timeout,
                            const SessionRunner& run) {
  const Version version = ParseVersion(protocol);
  const bool want_stderr = flags.stderr && !flags.tty;
  const bool want_resize = flags.tty && version >= Version::kV3;

  // The backend's "client gone" signal: an eventfd written when the connection ends.
  UniqueFd gone(::eventfd(0, EFD_CLOEXEC));
  UniqueFd gone_signal(gone.valid() ? ::fcntl(gone.get(), F_DUPFD_CLOEXEC, 0) : -1);
  if (!gone_signal.valid()) {
    spdlog::error("spdy exec: eventfd: {}", std::strerror(errno));
    return;
  }
  StopEvent stop;  // outlives the connection: on_closed may fire until it is destroyed
  SpdyConnectionOptions options;
  options.server = true;
  options.leftover = std::move(leftover);
  options.idle_timeout = idle_timeout;
  options.on_closed = [fd = gone_signal.get()] {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof(one));
  };
  std::unique_ptr<SpdyConnection> conn = SpdyConnection::Start(std::move(conn_fd), options);

  // Wait for the client's streams, one per channel, named by their streamtype header.
  std::vector<std::string_view> expected = {kStreamTypeError};
  if (flags.stdin) expected.push_back(kStreamTypeStdin);
  if (flags.stdout) expected.push_back(kStreamTypeStdout);
  if (want_stderr) expected.push_back(kStreamTypeStderr);
  if (want_resize) expected.push_back(kStreamTypeResize);
  std::map<std::string, std::shared_ptr<SpdyStream>, std::less<>> streams;
  absl::Time deadline = absl::Now() + kStreamCreationTimeout;
  while (streams.size() < expected.size()) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    std::shared_ptr<SpdyStream> stream = conn->AcceptStream(left);
    if (stream == nullptr) {
      if (conn->closed() || conn->goaway_received()) break;
      continue;
    }
    std::string type(stream->header(kStreamTypeHeader));
    if (std::find(expected.begin(), expected.end(), type) == expected.end() ||
        streams.count(type) > 0) {
      spdlog::warn("spdy exec: refusing unexpected stream type '{}'", type);
      stream->Reset(spdy::kRstRefusedStream);
      continue;
    }
    (void)stream->Reply();
    streams.emplace(std::move(type), std::move(stream));
  }
  if (streams.size() < expected.size()) {
    spdlog::warn("spdy exec: client created {} of {} streams ({})", streams.size(), expected.size(),
                 conn->closed() ? "connection closed" : "timed out");
    conn->Close();
    return;
  }
  auto stream_of = [&](std::string_view type) -> std::shared_ptr<SpdyStream> {
    auto it = streams.find(type);
    return it == streams.end() ? nullptr : it->second;
  };
  std::shared_ptr<SpdyStream> error_stream = stream_of(kStreamTypeError);
  std::shared_ptr<SpdyStream> stdin_stream = stream_of(kStreamTypeStdin);
  std::shared_ptr<SpdyStream> stdout_stream = stream_of(kStreamTypeStdout);
  std::shared_ptr<SpdyStream> stderr_stream = stream_of(kStreamTypeStderr);
  std::shared_ptr<SpdyStream> resize_stream = stream_of(kStreamTypeResize);
  // The v1 kubelet closed its side of stdin at once; clients of that age expect it.
  if (version == Version::kV1 && stdin_stream) (void)stdin_stream->CloseWrite();

  Session session;
  session.tty = flags.tty;
  session.client_gone = std::move(gone);
  if (flags.tty) session.resize = std::make_shared<ResizeQueue>();
  Pipe in, out, err;
  if ((stdin_stream && !MakePipe(&in)) || (stdout_stream && !MakePipe(&out)) ||
      (stderr_stream && !MakePipe(&err))) {
    std::string message = StrCat("cannot create pipes: ", std::strerror(errno));
    spdlog::error("spdy exec: {}", message);
    (void)error_stream->Write(version == Version::kV4 ? ErrorStatusJson(message) : message);
    conn->Close();
    return;
  }
  // Our ends are non-blocking so a stop can interrupt them; the session's ends stay blocking.
  for (UniqueFd* fd : {&in.write, &out.read, &err.read}) {
    if (fd->valid()) SetNonBlocking(fd->get());
  }
  session.stdin_fd = std::move(in.read);
  session.stdout_fd = std::move(out.write);
  session.stderr_fd = std::move(err.write);

  DoneCounter outputs_done;
  int outputs = 0;
  std::vector<std::jthread> threads;
  if (stdin_stream) {
    threads.emplace_back([&, fd = std::move(in.write)]() mutable {
      PumpStreamToFd(*stdin_stream, std::move(fd), stop);
    });
  }
  for (auto [stream, fd] : {std::pair{stdout_stream.get(), out.read.get()},
                            std::pair{stderr_stream.get(), err.read.get()}}) {
    if (stream == nullptr) continue;
    ++outputs;
    threads.emplace_back([&, stream, fd] {
      PumpFdToStream(fd, *stream, /*drain=*/true, stop);
      outputs_done.Done();
    });
  }
  if (resize_stream) {
    threads.emplace_back([&] {
      ResizeDecoder decoder;
      std::vector<TerminalSize> sizes;
      std::string buf(4096, '\0');
      while (size_t n = resize_stream->Read(buf.data(), buf.size())) {
        sizes.clear();
        bool ok = decoder.Feed(std::string_view(buf.data(), n), &sizes);
        for (const TerminalSize& size : sizes) session.resize->Push(size);
        if (!ok) {
          spdlog::warn("spdy exec: malformed resize event; ignoring further resizes");
          break;
        }
      }
    });
  }

  absl::StatusOr<int> result = run(session);

  // The process is gone: close the session's ends so our pipe reads reach EOF once any
  // leftover output is drained.
  session.stdin_fd.Reset();
  session.stdout_fd.Reset();
  session.stderr_fd.Reset();
  if (!outputs_done.WaitFor(outputs, kDrainTimeout)) {
    spdlog::info("spdy exec: output pipes still open after the process ended; not waiting");
  }
  stop.Signal();
  outputs_done.WaitFor(outputs, std::chrono::hours(24 * 365));

  std::string status;
  if (!result.ok()) {
    std::string message(View(result.status().message()));
    status = version == Version::kV4 ? ErrorStatusJson(message) : message;
  } else if (version == Version::kV4) {
    status = ExitStatusJson(*result);
  } else if (*result != 0) {
    status = StatusMessage(ExitStatusJson(*result));  // older clients get the text only
  }
  if (!status.empty()) (void)error_stream->Write(status);
  (void)error_stream->CloseWrite();
  if (stdin_stream) (void)stdin_stream->CloseWrite();
  if (resize_stream) (void)resize_stream->CloseWrite();
  conn->Close();    // GOAWAY; the stream pumps see the end of their streams
  threads.clear();  // joins
  if (session.resize) session.resize->Close();
}

namespace {

// One forwarded connection: pod socket <-> data stream, until both directions end.
void ForwardPair(const std::shared_ptr<SpdyStream>& data, const std::shared_ptr<SpdyStream>& error,
                 int32_t port, const PodDialer& dial, const StopEvent& stop) {
  BlockSigpipeInThisThread();
  absl::StatusOr<UniqueFd> socket = dial(port);
  if (!socket.ok()) {
    (void)error->Write(
        StrCat("error forwarding port ", port, " to pod: ", View(socket.status().message())));
    (void)error->CloseWrite();
    (void)data->CloseWrite();
    return;
  }
  UniqueFd sock = std::move(*socket);
  SetNonBlocking(sock.get());
  StopEvent reset;  // the client reset the data stream: end both directions now
  std::jthread upstream([&] {
    // Client -> pod. The client's FIN becomes a TCP half-close toward the pod.
    BlockSigpipeInThisThread();
    std::string buf(kPumpChunk, '\0');
    bool writing = true;
    while (size_t n = data->Read(buf.data(), buf.size())) {
      if (writing && !WriteAllOrStop(sock.get(), std::string_view(buf.data(), n), &stop)) {
        writing = false;  // the pod closed: keep draining so the connection never stalls
      }
    }
    if (!data->fin_received()) reset.Signal();
    ::shutdown(sock.get(), SHUT_WR);
  });
  // Pod -> client, FIN at the pod's EOF.
  PumpFdToStream(sock.get(), *data, /*drain=*/false, stop, &reset);
  upstream.join();
  (void)error->CloseWrite();
}

}  // namespace

void ServeSpdyPortForward(UniqueFd conn_fd, std::string leftover, absl::Duration idle_timeout,
                          const PodDialer& dial) {
  StopEvent stop;  // ends every forward once the connection is gone
  SpdyConnectionOptions options;
  options.server = true;
  options.leftover = std::move(leftover);
  options.idle_timeout = idle_timeout;
  options.on_closed = [&stop] { stop.Signal(); };
  std::unique_ptr<SpdyConnection> conn = SpdyConnection::Start(std::move(conn_fd), options);

  struct Pair {
    std::shared_ptr<SpdyStream> data;
    std::shared_ptr<SpdyStream> error;
    absl::Time created;
  };
  struct Forward {
    std::shared_ptr<std::atomic<bool>> done;
    std::jthread thread;
  };
  std::map<std::string, Pair> pairs;
  std::list<Forward> forwards;
  while (true) {
    std::shared_ptr<SpdyStream> stream = conn->AcceptStream(absl::Seconds(1));
    forwards.remove_if([](const Forward& f) { return f.done->load(); });  // joins finished
    absl::Time now = absl::Now();
    for (auto it = pairs.begin(); it != pairs.end();) {
      if (now - it->second.created < kStreamCreationTimeout) {
        ++it;
        continue;
      }
      spdlog::warn("spdy port-forward: request {} timed out waiting for its streams", it->first);
      if (it->second.error) {
        (void)it->second.error->Write(
            StrCat("timed out waiting for the streams of request ", it->first));
        (void)it->second.error->CloseWrite();
      }
      if (it->second.data) it->second.data->Reset();
      it = pairs.erase(it);
    }
    if (stream == nullptr) {
      if (conn->closed() || conn->goaway_received()) break;
      continue;
    }
    std::string type(stream->header(kStreamTypeHeader));
    std::string_view port_text = stream->header(kPortHeader);
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535 || (type != kStreamTypeData && type != kStreamTypeError)) {
      spdlog::warn("spdy port-forward: rejecting stream (type '{}', port '{}')", type, port_text);
      stream->Reset();
      continue;
    }
    std::string request_id(stream->header(kRequestIdHeader));
    if (request_id.empty()) {
      // Old clients send no requestID; like the kubelet, pair by consecutive stream ids.
      request_id = std::to_string(type == kStreamTypeError ? stream->id() : stream->id() - 2);
    }
    Pair& pair = pairs.try_emplace(request_id, Pair{nullptr, nullptr, now}).first->second;
    std::shared_ptr<SpdyStream>& slot = type == kStreamTypeData ? pair.data : pair.error;
    if (slot != nullptr) {
      spdlog::warn("spdy port-forward: request {} has two {} streams", request_id, type);
      stream->Reset();
      continue;
    }
    (void)stream->Reply();
    slot = std::move(stream);
    if (pair.data == nullptr || pair.error == nullptr) continue;
    auto done = std::make_shared<std::atomic<bool>>(false);
    forwards.push_back(Forward{
        done, std::jthread([data = pair.data, error = pair.error, port, &dial, &stop, done] {
          ForwardPair(data, error, port, dial, stop);
          done->store(true);
        })});
    pairs.erase(request_id);
  }
  forwards.clear();  // each ends with its streams or, at the latest, with the connection
  for (auto& [id, pair] : pairs) {
    if (pair.data) pair.data->Reset();
    if (pair.error) pair.error->Reset();
  }
  conn->Close();
}

}  // namespace crio::streaming
