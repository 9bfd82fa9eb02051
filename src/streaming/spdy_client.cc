#include "spdy_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "crio/common/strings.h"
#include "crio/streaming/remotecommand.h"
#include "spdy_connection.h"
#include "spdy_io.h"
#include "spdy_session.h"

namespace crio::streaming {
namespace {

// How long to wait for the server's SYN_REPLY to each stream (kubectl waits as long).
constexpr absl::Duration kStreamReplyTimeout = absl::Seconds(30);
constexpr size_t kMaxResponseHead = 16 * 1024;
constexpr size_t kMaxErrorText = 64 * 1024;
constexpr size_t kPumpChunk = 32 * 1024;

struct Url {
  std::string host;
  std::string port;
  std::string path;
};

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.substr(0, 8) == "https://") {
    return absl::UnimplementedError("the SPDY client does not speak TLS; use an http:// URL");
  }
  if (url.substr(0, kHttp.size()) != kHttp) {
    return absl::InvalidArgumentError(StrCat("not an http:// URL: ", url));
  }
  url.remove_prefix(kHttp.size());
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  Url out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("bad IPv6 host");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') out.port = authority.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = authority.substr(colon + 1);
  }
  if (out.port.empty()) out.port = "80";
  if (out.host.empty()) return absl::InvalidArgumentError(StrCat("no host in URL ", url));
  return out;
}

absl::StatusOr<UniqueFd> ConnectTcp(const Url& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &result);
  if (rc != 0) {
    return absl::UnavailableError(StrCat("resolve ", url.host, ": ", ::gai_strerror(rc)));
  }
  std::string last_error = "no addresses";
  UniqueFd fd;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    UniqueFd candidate(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!candidate.valid()) continue;
    int err = 0;
    do {
      err = ::connect(candidate.get(), ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    } while (err == EINTR);
    if (err == 0) {
      // Small frames both ways (stdin, window updates): no Nagle delay.
      int one = 1;
      ::setsockopt(candidate.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd = std::move(candidate);
      break;
    }
    last_error = std::strerror(err);
  }
  ::freeaddrinfo(result);
  if (!fd.valid()) {
    return absl::UnavailableError(StrCat("connect ", url.host, ":", url.port, ": ", last_error));
  }
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Reads everything of a stream until its end, keeping at most `limit` bytes.
std::string ReadAll(SpdyStream& stream, size_t limit) {
  std::string out;
  char buf[4096];
  while (size_t n = stream.Read(buf, sizeof(buf))) {
    out.append(buf, std::min(n, limit - std::min(limit, out.size())));
  }
  return out;
}

}  // namespace

absl::StatusOr<SpdyUpgrade> DialSpdy(const std::string& url,
                                     const std::vector<std::string_view>& protocols) {
  absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<UniqueFd> fd = ConnectTcp(*parsed);
  if (!fd.ok()) return fd.status();
  std::string host = parsed->host.find(':') != std::string::npos
                         ? StrCat("[", parsed->host, "]:", parsed->port)
                         : StrCat(parsed->host, ":", parsed->port);
  std::string request = StrCat("POST ", parsed->path, " HTTP/1.1\r\nHost: ", host,
                               "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n");
  for (std::string_view protocol : protocols) {
    StrAppend(&request, "X-Stream-Protocol-Version: ", protocol, "\r\n");
  }
  StrAppend(&request, "Content-Length: 0\r\n\r\n");
  if (!SendAll(fd->get(), request)) {
    return absl::UnavailableError(StrCat("send upgrade request: ", std::strerror(errno)));
  }

  std::string response;
  size_t head_end = std::string::npos;
  char buf[4096];
  while ((head_end = response.find("\r\n\r\n")) == std::string::npos) {
    if (response.size() > kMaxResponseHead) {
      return absl::UnavailableError("oversized HTTP response from the streaming server");
    }
    ssize_t n = ::recv(fd->get(), buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError("streaming server closed the connection during the upgrade");
    }
    response.append(buf, static_cast<size_t>(n));
  }
  std::string_view head(response.data(), head_end);
  std::string leftover = response.substr(head_end + 4);
  std::vector<std::string_view> lines = StrSplit(head, '\n');
  int status = 0;
  if (lines.empty() || lines[0].substr(0, 5) != "HTTP/" || lines[0].size() < 12) {
    return absl::UnavailableError("malformed HTTP response from the streaming server");
  }
  std::from_chars(lines[0].data() + 9, lines[0].data() + 12, status);
  SpdyUpgrade upgrade;
  size_t content_length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = Lower(Trim(lines[i].substr(0, colon)));
    std::string_view value = Trim(lines[i].substr(colon + 1));
    if (name == "x-stream-protocol-version") upgrade.protocol = std::string(value);
    if (name == "content-length")
      std::from_chars(value.data(), value.data() + value.size(), content_length);
  }
  if (status != 101) {
    // The body says why (e.g. an unknown token); read what fits of it.
    content_length = std::min(content_length, kMaxErrorText);
    while (leftover.size() < content_length) {
      ssize_t n = ::recv(fd->get(), buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      leftover.append(buf, static_cast<size_t>(n));
    }
    std::string message = StrCat("streaming server answered HTTP ", status, ": ",
                                 Trim(leftover.substr(0, content_length)));
    if (status == 404) return absl::NotFoundError(message);
    if (status == 401 || status == 403) return absl::PermissionDeniedError(message);
    return absl::FailedPreconditionError(message);
  }
  if (!upgrade.protocol.empty() &&
      std::find(protocols.begin(), protocols.end(), upgrade.protocol) == protocols.end()) {
    return absl::FailedPreconditionError(
        StrCat("streaming server chose protocol ", upgrade.protocol, ", which we did not offer"));
  }
  upgrade.fd = std::move(*fd);
  upgrade.leftover = std::move(leftover);
  return upgrade;
}

absl::StatusOr<int> RunRemoteCommandSpdy(const std::string& url, const StreamFlags& flags,
                                         int in_fd, int out_fd, int err_fd,
                                         std::shared_ptr<ResizeQueue> resize) {
  // Whatever happens, the caller's resize feeder must learn that nobody listens any more.
  struct CloseResize {
    std::shared_ptr<ResizeQueue> queue;
    ~CloseResize() {
      if (queue) queue->Close();
    }
  } close_resize{resize};

  absl::StatusOr<SpdyUpgrade> upgrade = DialSpdy(url, SpdyRemoteCommandProtocols());
  if (!upgrade.ok()) return upgrade.status();
  std::string protocol =
      upgrade->protocol.empty() ? std::string(kRemoteCommandV1) : upgrade->protocol;
  const bool v4 = protocol == kRemoteCommandV4;
  const bool resize_supported = v4 || protocol == kRemoteCommandV3;

  SpdyConnectionOptions options;
  options.server = false;
  options.leftover = std::move(upgrade->leftover);
  std::unique_ptr<SpdyConnection> conn =
      SpdyConnection::Start(std::move(upgrade->fd), std::move(options));

  // Streams in kubectl's order; each waits for the server's reply before the next.
  auto open = [&](std::string_view type) -> absl::StatusOr<std::shared_ptr<SpdyStream>> {
    absl::StatusOr<std::shared_ptr<SpdyStream>> stream =
        conn->OpenStream({{std::string(kStreamTypeHeader), std::string(type)}});
    if (!stream.ok()) return stream.status();
    absl::Status replied = (*stream)->WaitReply(kStreamReplyTimeout);
    if (!replied.ok()) {
      return absl::Status(replied.code(),
                          StrCat("creating the ", type, " stream: ", View(replied.message())));
    }
    return stream;
  };
  std::shared_ptr<SpdyStream> error_stream, stdin_stream, stdout_stream, stderr_stream,
      resize_stream;
  struct Wanted {
    bool want;
    std::string_view type;
    std::shared_ptr<SpdyStream>* out;
  };
  for (const Wanted& w :
       {Wanted{true, kStreamTypeError, &error_stream},
        Wanted{flags.stdin, kStreamTypeStdin, &stdin_stream},
        Wanted{flags.stdout, kStreamTypeStdout, &stdout_stream},
        Wanted{flags.stderr && !flags.tty, kStreamTypeStderr, &stderr_stream},
        Wanted{flags.tty && resize_supported, kStreamTypeResize, &resize_stream}}) {
    if (!w.want) continue;
    absl::StatusOr<std::shared_ptr<SpdyStream>> stream = open(w.type);
    if (!stream.ok()) {
      conn->Abort();
      return stream.status();
    }
    *w.out = std::move(*stream);
  }

  StopEvent stop;
  std::string error_text;
  std::vector<std::jthread> outputs;  // end when the server ends them
  outputs.emplace_back([&] { error_text = ReadAll(*error_stream, kMaxErrorText); });
  for (auto [stream, fd] :
       {std::pair{stdout_stream.get(), out_fd}, std::pair{stderr_stream.get(), err_fd}}) {
    if (stream == nullptr) continue;
    outputs.emplace_back([stream, fd, &stop] {
      BlockSigpipeInThisThread();
      std::string buf(kPumpChunk, '\0');
      bool writing = fd >= 0;
      while (size_t n = stream->Read(buf.data(), buf.size())) {
        if (writing) writing = WriteAllOrStop(fd, std::string_view(buf.data(), n), &stop);
      }
    });
  }
  std::vector<std::jthread> inputs;  // ended by us once the outputs are over
  if (stdin_stream) {
    inputs.emplace_back([&] {
      std::string buf(kPumpChunk, '\0');
      while (in_fd >= 0) {
        ssize_t n = ReadOrStop(in_fd, buf.data(), buf.size(), &stop);
        if (n <= 0) break;
        if (!stdin_stream->Write(std::string_view(buf.data(), static_cast<size_t>(n))).ok()) {
          return;
        }
      }
      // Our stdin ended (or there is none): the remote process reads EOF.
      if (!stop.signaled()) (void)stdin_stream->CloseWrite();
    });
  }
  if (resize_stream && resize) {
    inputs.emplace_back([&] {
      while (std::optional<TerminalSize> size = resize->Next()) {
        std::string event = StrCat("{\"Width\":", size->width, ",\"Height\":", size->height, "}\n");
        if (!resize_stream->Write(event).ok()) break;
      }
    });
  }

  outputs.clear();  // joins: stdout, stderr and the error stream are over
  stop.Signal();
  if (resize) resize->Close();
  conn->Close();
  inputs.clear();
  std::string conn_error = conn->error();
  conn.reset();

  if (error_text.empty()) {
    if (!conn_error.empty()) return absl::UnavailableError(conn_error);
    return 0;  // like kubectl: no status means success
  }
  if (!v4) {
    return absl::UnknownError(StrCat("error executing remote command: ", error_text));
  }
  std::string message;
  std::optional<int> code = ParseExitStatusJson(error_text, &message);
  if (code.has_value()) return *code;
  return absl::UnknownError(message);
}

SpdyPortForwardClient::SpdyPortForwardClient(std::unique_ptr<SpdyConnection> conn)
    : conn_(std::move(conn)) {}

SpdyPortForwardClient::~SpdyPortForwardClient() = default;

absl::StatusOr<std::unique_ptr<SpdyPortForwardClient>> SpdyPortForwardClient::Connect(
    const std::string& url) {
  absl::StatusOr<SpdyUpgrade> upgrade = DialSpdy(url, {kPortForwardV1});
  if (!upgrade.ok()) return upgrade.status();
  SpdyConnectionOptions options;
  options.server = false;
  options.leftover = std::move(upgrade->leftover);
  std::unique_ptr<SpdyConnection> conn =
      SpdyConnection::Start(std::move(upgrade->fd), std::move(options));
  return std::unique_ptr<SpdyPortForwardClient>(new SpdyPortForwardClient(std::move(conn)));
}

absl::Status SpdyPortForwardClient::Forward(UniqueFd local, int32_t port) {
  std::string request_id = std::to_string(next_request_id_.fetch_add(1));
  auto open = [&](std::string_view type) -> absl::StatusOr<std::shared_ptr<SpdyStream>> {
    absl::StatusOr<std::shared_ptr<SpdyStream>> stream =
        conn_->OpenStream({{std::string(kStreamTypeHeader), std::string(type)},
                           {std::string(kPortHeader), std::to_string(port)},
                           {std::string(kRequestIdHeader), request_id}});
    if (!stream.ok()) return stream.status();
    absl::Status replied = (*stream)->WaitReply(kStreamReplyTimeout);
    if (!replied.ok()) {
      (*stream)->Reset();
      return absl::Status(replied.code(), StrCat("creating the ", type, " stream for port ", port,
                                                 ": ", View(replied.message())));
    }
    return stream;
  };
  // As kubectl: the error stream first, closed for writing at once (only the server talks).
  absl::StatusOr<std::shared_ptr<SpdyStream>> error = open(kStreamTypeError);
  if (!error.ok()) return error.status();
  (void)(*error)->CloseWrite();
  absl::StatusOr<std::shared_ptr<SpdyStream>> data = open(kStreamTypeData);
  if (!data.ok()) {
    (*error)->Reset();
    return data.status();
  }
  SetNonBlocking(local.get());

  std::string error_text;
  std::jthread error_reader([&] { error_text = ReadAll(**error, kMaxErrorText); });
  StopEvent stop;
  std::jthread upstream([&] {
    // Local -> pod; our EOF half-closes the data stream.
    std::string buf(kPumpChunk, '\0');
    while (true) {
      ssize_t n = ReadOrStop(local.get(), buf.data(), buf.size(), &stop);
      if (n <= 0) break;
      if (!(*data)->Write(std::string_view(buf.data(), static_cast<size_t>(n))).ok()) return;
    }
    if (!stop.signaled()) (void)(*data)->CloseWrite();
  });
  {
    // Pod -> local, until the remote side ends; then the whole forward is over.
    BlockSigpipeInThisThread();
    std::string buf(kPumpChunk, '\0');
    while (size_t n = (*data)->Read(buf.data(), buf.size())) {
      if (!WriteAllOrStop(local.get(), std::string_view(buf.data(), n), nullptr)) break;
    }
  }
  stop.Signal();
  upstream.join();
  // Reset (not close) both streams, as kubectl does, so neither side keeps them around.
  (*data)->Reset();
  (*error)->Reset();
  error_reader.join();
  local.Reset();
  if (!error_text.empty()) {
    return absl::UnknownError(
        StrCat("an error occurred forwarding to port ", port, ": ", error_text));
  }
  return absl::OkStatus();
}

}  // namespace crio::streaming
