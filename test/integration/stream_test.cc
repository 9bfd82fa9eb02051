// Exec, attach and port-forward end to end: the Exec/Attach/PortForward RPCs of the real daemon,
// its streaming server, our SPDY and WebSocket clients, conmon and runc, the busybox image.
#include "runtime/v1/api.pb.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"
#include "pod_fixture.h"
#include "spdy_client.h"
#include "websocket_client.h"

namespace crio::testing {
namespace {

using streaming::ResizeQueue;
using streaming::StreamFlags;
using streaming::TerminalSize;
using ::testing::HasSubstr;

struct Pipe {
  UniqueFd read;
  UniqueFd write;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read.Reset(fds[0]);
    write.Reset(fds[1]);
  }
};

// Collects everything written to a pipe on a thread of its own, so a chatty command never
// blocks on a full pipe while the test waits for it.
class Collector {
 public:
  Collector() {
    thread_ = std::thread([this] {
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(pipe_.read.get(), buffer, sizeof buffer)) > 0) {
        std::lock_guard lock(mu_);
        text_.append(buffer, static_cast<size_t>(n));
      }
    });
  }
  ~Collector() {
    pipe_.write.Reset();
    if (thread_.joinable()) thread_.join();
  }
  int fd() const { return pipe_.write.get(); }
  // Ends the write side (after the session) and returns all that was written.
  std::string Finish() {
    pipe_.write.Reset();
    if (thread_.joinable()) thread_.join();
    return Text();
  }
  std::string Text() {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  Pipe pipe_;
  std::mutex mu_;
  std::string text_;
  std::thread thread_;
};

enum class Transport { kSpdy, kWebSocket };

std::string Name(const ::testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::kSpdy ? "Spdy" : "WebSocket";
}

class StreamTest : public PodFixture, public ::testing::WithParamInterface<Transport> {
 protected:
  std::string ExecUrl(const std::string& id, std::vector<std::string> command,
                      const StreamFlags& flags) {
    runtime::v1::ExecRequest request;
    request.set_container_id(id);
    for (const auto& arg : command) request.add_cmd(arg);
    request.set_stdin(flags.stdin);
    request.set_stdout(flags.stdout);
    request.set_stderr(flags.stderr);
    request.set_tty(flags.tty);
    runtime::v1::ExecResponse response;
    grpc::Status status = node_.daemon().runtime().Exec(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.url();
  }

  absl::StatusOr<int> Run(const std::string& url, const StreamFlags& flags, int in, int out,
                          int err, std::shared_ptr<ResizeQueue> resize = nullptr) {
    return GetParam() == Transport::kSpdy
               ? streaming::RunRemoteCommandSpdy(url, flags, in, out, err, std::move(resize))
               : streaming::RunRemoteCommandWebSocket(url, flags, in, out, err, std::move(resize));
  }

  // Runs `command` with stdout and stderr captured; returns the exit code.
  int Exec(const std::string& id, std::vector<std::string> command, std::string* out,
           std::string* err = nullptr) {
    StreamFlags flags{false, true, true, false};
    std::string url = ExecUrl(id, std::move(command), flags);
    Collector stdout_collector;
    Collector stderr_collector;
    absl::StatusOr<int> code = Run(url, flags, -1, stdout_collector.fd(), stderr_collector.fd());
    *out = stdout_collector.Finish();
    if (err) *err = stderr_collector.Finish();
    EXPECT_TRUE(code.ok()) << code.status();
    return code.ok() ? *code : -1;
  }

  std::string Sleeper() {
    return CreateAndStart(Config("sleeper", {"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}));
  }
};

TEST_P(StreamTest, ExecReportsOutputAndExitCodes) {
  std::string id = Sleeper();
  std::string out;
  std::string err;
  EXPECT_EQ(Exec(id, {"sh", "-c", "echo out; echo err >&2"}, &out, &err), 0);
  EXPECT_EQ(out, "out\n");
  EXPECT_EQ(err, "err\n");
  EXPECT_EQ(Exec(id, {"sh", "-c", "exit 1"}, &out), 1);
  EXPECT_EQ(Exec(id, {"sh", "-c", "kill -9 $$"}, &out), 137);
  EXPECT_EQ(Exec(id, {"id", "-u"}, &out), 0);
  EXPECT_EQ(out, "0\n");
}

TEST_P(StreamTest, ExecForwardsStdinUntilClosed) {
  std::string id = Sleeper();
  StreamFlags flags{true, true, true, false};
  std::string url = ExecUrl(id, {"sh", "-c", "cat; echo done"}, flags);
  Pipe input;
  Collector output;
  std::thread writer([&] {
    std::string text = "line one\nline two\n";
    EXPECT_EQ(::write(input.write.get(), text.data(), text.size()),
              static_cast<ssize_t>(text.size()));
    input.write.Reset();  // EOF for cat
  });
  absl::StatusOr<int> code = Run(url, flags, input.read.get(), output.fd(), -1);
  writer.join();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(output.Finish(), "line one\nline two\ndone\n");
}

TEST_P(StreamTest, ExecWithTerminalSeesResizes) {
  std::string id = Sleeper();
  StreamFlags flags{true, true, false, true};
  // Prints the terminal size for every line it reads, until "quit".
  std::string url = ExecUrl(
      id, {"sh", "-c", "while read line; do [ \"$line\" = quit ] && exit 7; stty size; done"},
      flags);
  Pipe input;
  Collector output;
  auto resize = std::make_shared<ResizeQueue>();
  absl::StatusOr<int> code = absl::UnknownError("not run");
  std::thread session([&] { code = Run(url, flags, input.read.get(), output.fd(), -1, resize); });
  resize->Push(TerminalSize{123, 45});
  bool seen = Eventually(
      [&] {
        (void)!::write(input.write.get(), "x\r", 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return output.Text().find("45 123") != std::string::npos;
      },
      std::chrono::seconds(15));
  EXPECT_TRUE(seen) << output.Text();
  (void)!::write(input.write.get(), "quit\r", 5);
  session.join();
  resize->Close();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 7);
}

TEST_P(StreamTest, AttachFollowsTheContainerOutputAndFeedsItsStdin) {
  runtime::v1::ContainerConfig config =
      Config("echoer", {"sh", "-c", "while read line; do echo got:$line; done"});
  config.set_stdin(true);
  std::string id = CreateAndStart(config);
  runtime::v1::AttachRequest request;
  request.set_container_id(id);
  request.set_stdin(true);
  request.set_stdout(true);
  request.set_stderr(true);
  runtime::v1::AttachResponse response;
  grpc::Status status = node_.daemon().runtime().Attach(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Pipe input;
  Collector output;
  absl::StatusOr<int> code = absl::UnknownError("not run");
  std::thread session([&] {
    code = Run(response.url(), {true, true, true, false}, input.read.get(), output.fd(), -1);
  });
  bool seen = Eventually(
      [&] {
        (void)!::write(input.write.get(), "hello\n", 6);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return output.Text().find("got:hello") != std::string::npos;
      },
      std::chrono::seconds(15));
  EXPECT_TRUE(seen) << output.Text() << "\ncontainer log:\n" << ReadAll(Status(id).log_path());
  // The container ends (stdin closed by stopping it): the attach session ends with it.
  ASSERT_TRUE(Stop(id, 1).ok());
  input.write.Reset();
  session.join();
  EXPECT_TRUE(code.ok()) << code.status();
}

// An HTTP/1.0 GET written into `connection`; returns the whole response.
std::string HttpExchange(int connection, const std::string& path) {
  std::string request = StrCat("GET ", path, " HTTP/1.0\r\n\r\n");
  EXPECT_EQ(::write(connection, request.data(), request.size()),
            static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  pollfd fd{connection, POLLIN, 0};
  while (::poll(&fd, 1, 10000) > 0) {
    ssize_t n = ::read(connection, buffer, sizeof buffer);
    if (n <= 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  return response;
}

TEST_P(StreamTest, PortForwardReachesAServerInsideThePod) {
  std::string web =
      CreateAndStart(Config("web", {"sh", "-c",
                                    "mkdir -p /www && echo served-from-pod > /www/index.html && "
                                    "exec httpd -f -p 127.0.0.1:8080 -h /www"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(Status(web).state(), runtime::v1::CONTAINER_RUNNING)
      << Status(web).exit_code() << " " << ReadAll(Status(web).log_path());
  runtime::v1::PortForwardRequest request;
  request.set_pod_sandbox_id(pod_id_);
  request.add_port(8080);
  runtime::v1::PortForwardResponse response;
  grpc::Status status = node_.daemon().runtime().PortForward(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  auto exchange = [&](auto& client) {
    std::string body;
    // httpd may still be starting: a refused connection is retried on a new stream.
    EXPECT_TRUE(Eventually(
        [&] {
          int pair[2];
          EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
          UniqueFd ours(pair[0]);
          std::thread forward(
              [&, theirs = pair[1]] { (void)client.Forward(UniqueFd(theirs), 8080); });
          body = HttpExchange(ours.get(), "/index.html");
          ours.Reset();
          forward.join();
          return body.find("served-from-pod") != std::string::npos;
        },
        std::chrono::seconds(15)))
        << body;
    EXPECT_THAT(body, HasSubstr("200 OK"));
  };
  if (GetParam() == Transport::kSpdy) {
    auto client = streaming::SpdyPortForwardClient::Connect(response.url());
    ASSERT_TRUE(client.ok()) << client.status();
    exchange(**client);
    exchange(**client);  // many connections over one session
  } else {
    auto client = streaming::WebSocketPortForwardClient::Connect(response.url());
    ASSERT_TRUE(client.ok()) << client.status();
    exchange(**client);
  }
}

TEST_P(StreamTest, AUrlWorksOnceOnly) {
  std::string id = Sleeper();
  StreamFlags flags{false, true, true, false};
  std::string url = ExecUrl(id, {"true"}, flags);
  Collector out;
  absl::StatusOr<int> first = Run(url, flags, -1, out.fd(), -1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 0);
  absl::StatusOr<int> second = Run(url, flags, -1, out.fd(), -1);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("404"));
}

TEST_P(StreamTest, HundredConcurrentExecs) {
  std::string id = Sleeper();
  constexpr int kSessions = 100;
  std::vector<std::string> outputs(kSessions);
  std::vector<int> codes(kSessions, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      codes[i] = Exec(id, {"sh", "-c", StrCat("echo session-", i, "; exit ", i % 3)}, &outputs[i]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kSessions; ++i) {
    EXPECT_EQ(outputs[i], StrCat("session-", i, "\n"));
    EXPECT_EQ(codes[i], i % 3);
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, StreamTest,
                         ::testing::Values(Transport::kSpdy, Transport::kWebSocket), Name);

using StreamRpcTest = PodFixture;

TEST_F(StreamRpcTest, RequestsAreValidated) {
  std::string id = CreateAndStart(Config("idle", {"sleep", "3600"}));
  runtime::v1::ExecRequest exec;
  exec.set_container_id(id);
  exec.add_cmd("true");
  runtime::v1::ExecResponse response;
  // Nothing asked for.
  EXPECT_EQ(node_.daemon().runtime().Exec(Context().get(), exec, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  exec.set_stdout(true);
  exec.set_stderr(true);
  exec.set_tty(true);
  EXPECT_EQ(node_.daemon().runtime().Exec(Context().get(), exec, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  exec.set_tty(false);
  exec.set_container_id("no-such-container");
  EXPECT_EQ(node_.daemon().runtime().Exec(Context().get(), exec, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  runtime::v1::PortForwardRequest forward;
  forward.set_pod_sandbox_id("no-such-pod");
  runtime::v1::PortForwardResponse forwarded;
  EXPECT_EQ(node_.daemon().runtime().PortForward(Context().get(), forward, &forwarded).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// The Stream* list RPCs give what their unary List RPC gives.
TEST_F(StreamRpcTest, ListStreamsMatchTheirUnaryLists) {
  std::string first = CreateAndStart(Config("listed-a", {"sleep", "3600"}));
  std::string second = CreateAndStart(Config("listed-b", {"sleep", "3600"}));
  auto ids_of_containers = [](const auto& items) {
    std::vector<std::string> ids;
    for (const auto& item : items) ids.push_back(item.id());
    std::sort(ids.begin(), ids.end());
    return ids;
  };

  runtime::v1::StreamContainersRequest stream_request;
  auto context = Context();
  auto reader = node_.daemon().runtime().StreamContainers(context.get(), stream_request);
  runtime::v1::StreamContainersResponse chunk;
  std::vector<runtime::v1::Container> streamed;
  while (reader->Read(&chunk)) {
    for (const auto& container : chunk.containers()) streamed.push_back(container);
  }
  ASSERT_TRUE(reader->Finish().ok());
  runtime::v1::ListContainersRequest list_request;
  runtime::v1::ListContainersResponse listed;
  ASSERT_TRUE(node_.daemon().runtime().ListContainers(Context().get(), list_request, &listed).ok());
  EXPECT_EQ(ids_of_containers(streamed), ids_of_containers(listed.containers()));
  EXPECT_EQ(streamed.size(), 2u);

  // The filter is honoured.
  runtime::v1::StreamContainersRequest filtered;
  filtered.mutable_filter()->set_id(first);
  auto filtered_context = Context();
  auto filtered_reader =
      node_.daemon().runtime().StreamContainers(filtered_context.get(), filtered);
  std::vector<std::string> filtered_ids;
  while (filtered_reader->Read(&chunk)) {
    for (const auto& container : chunk.containers()) filtered_ids.push_back(container.id());
  }
  ASSERT_TRUE(filtered_reader->Finish().ok());
  EXPECT_EQ(filtered_ids, std::vector<std::string>{first});

  auto pods_context = Context();
  auto pods = node_.daemon().runtime().StreamPodSandboxes(pods_context.get(), {});
  runtime::v1::StreamPodSandboxesResponse pod_chunk;
  std::vector<std::string> pod_ids;
  while (pods->Read(&pod_chunk)) {
    for (const auto& pod : pod_chunk.pod_sandboxes()) pod_ids.push_back(pod.id());
  }
  ASSERT_TRUE(pods->Finish().ok());
  EXPECT_EQ(pod_ids, std::vector<std::string>{pod_id_});

  auto images_context = Context();
  auto images = node_.daemon().image().StreamImages(images_context.get(), {});
  runtime::v1::StreamImagesResponse image_chunk;
  size_t image_count = 0;
  while (images->Read(&image_chunk)) image_count += image_chunk.images_size();
  ASSERT_TRUE(images->Finish().ok());
  runtime::v1::ListImagesResponse image_list;
  ASSERT_TRUE(node_.daemon().image().ListImages(Context().get(), {}, &image_list).ok());
  EXPECT_EQ(image_count, static_cast<size_t>(image_list.images_size()));
  EXPECT_GE(image_count, 1u);

  auto stats_context = Context();
  auto stats = node_.daemon().runtime().StreamContainerStats(stats_context.get(), {});
  runtime::v1::StreamContainerStatsResponse stats_chunk;
  std::vector<std::string> stats_ids;
  while (stats->Read(&stats_chunk)) {
    for (const auto& stat : stats_chunk.container_stats())
      stats_ids.push_back(stat.attributes().id());
  }
  ASSERT_TRUE(stats->Finish().ok());
  std::sort(stats_ids.begin(), stats_ids.end());
  std::vector<std::string> both = {first, second};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(stats_ids, both);
}

TEST_F(StreamRpcTest, CrioctlExecAndPortForward) {
  std::string id =
      CreateAndStart(Config("cli-web", {"sh", "-c",
                                        "mkdir -p /www && echo via-crioctl > /www/index.html && "
                                        "exec httpd -f -p 127.0.0.1:8081 -h /www"}));
  auto crioctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", node_.daemon().endpoint()});
    return crio::testing::Run(args);
  };
  RunResult exec = crioctl({"exec", id, "sh", "-c", "echo streamed; exit 4"});
  EXPECT_EQ(exec.exit_code, 4);
  EXPECT_EQ(exec.output, "streamed\n");
  RunResult sync = crioctl({"exec", "-s", id, "sh", "-c", "echo synced; exit 2"});
  EXPECT_EQ(sync.exit_code, 2);
  EXPECT_EQ(sync.output, "synced\n");
  RunResult ws = crioctl({"exec", "--transport", "websocket", id, "sh", "-c", "echo ws"});
  EXPECT_EQ(ws.exit_code, 0);
  EXPECT_EQ(ws.output, "ws\n");

  std::filesystem::path log = node_.dir().path() / "port-forward.out";
  Process forward(
      {CrioctlBinary(), "-r", node_.daemon().endpoint(), "port-forward", pod_id_, ":8081"}, log);
  int local_port = 0;
  ASSERT_TRUE(Eventually([&] {
    std::string text = forward.Output();
    size_t at = text.find("Forwarding from 127.0.0.1:");
    if (at == std::string::npos) return false;
    local_port = std::atoi(text.c_str() + at + std::strlen("Forwarding from 127.0.0.1:"));
    return local_port > 0;
  })) << forward.Output();
  std::string body;
  EXPECT_TRUE(Eventually(
      [&] {
        UniqueFd connection(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(local_port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(connection.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) !=
            0) {
          return false;
        }
        body = HttpExchange(connection.get(), "/index.html");
        return body.find("via-crioctl") != std::string::npos;
      },
      std::chrono::seconds(15)))
      << body << forward.Output();
  forward.Signal(SIGINT);
  EXPECT_EQ(forward.Wait(std::chrono::seconds(10)), std::optional<int>(0));
}

}  // namespace
}  // namespace crio::testing
