// Live pull progress: the daemon's info endpoint (<listen>.info, GET /pulls) during a pull, and
// crioctl's layer bars when its output is a terminal. The registry is reached through a proxy
// that holds each layer at a third and two thirds until the test lets it go on, so every state
// the test looks for is reached by the pull itself, not by luck of timing.
#include "daemon.h"  // first: see daemon.h

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "registry.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

// GET `target` on the unix socket `path`: the whole HTTP response.
std::string HttpGet(const std::string& path, const std::string& target) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: crio\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[8192];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  }
  ::close(fd);
  return response;
}

class ImageProgressTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = std::make_unique<LocalRegistry>();
    layout_ = std::make_unique<TempDir>();
    std::string layout = (layout_->path() / "layout").string();
    RunResult made =
        crio::testing::Run({MAKE_LAYERED_IMAGE, layout, "2", "2"}, std::chrono::seconds(120));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    registry_->PushLayout(layout, "library/layered", "1");
  }
  static void TearDownTestSuite() {
    registry_.reset();
    layout_.reset();
  }

  void SetUp() override {
    proxy_ = std::make_unique<RegistryProxy>(
        registry_->host(), [](const std::string&, const std::string& path, int) {
          return path.find("/blobs/") != std::string::npos ? RegistryProxy::Action::kGated
                                                           : RegistryProxy::Action::kPass;
        });
    std::filesystem::path policy =
        files_.Write("policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
    std::filesystem::path registries =
        files_.Write("registries.conf",
                     "[[registry]]\nlocation = \"" + proxy_->host() + "\"\ninsecure = true\n");
    daemon_ = std::make_unique<Daemon>(
        "[crio.image]\nsignature_policy = \"" + policy.string() + "\"\n",
        std::vector<std::string>{},
        std::map<std::string, std::string>{{"CONTAINERS_REGISTRIES_CONF", registries.string()}});
    daemon_->Start();
  }

  std::string InfoSocket() const { return daemon_->socket().string() + ".info"; }
  std::string Name() const { return proxy_->host() + "/library/layered:1"; }

  // The pulls the info endpoint reports.
  nlohmann::json Pulls() {
    std::string response = HttpGet(InfoSocket(), "/pulls");
    EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
    size_t body = response.find("\r\n\r\n");
    if (body == std::string::npos) return nlohmann::json::array();
    return nlohmann::json::parse(response.substr(body + 4))["pulls"];
  }

  // Bytes received per layer of our pull, once `ready` holds for them (gives up after a minute:
  // a bound on a hang, not a measure of speed).
  std::map<std::string, uint64_t> WaitForLayers(
      const std::function<bool(const std::map<std::string, uint64_t>&)>& ready) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::map<std::string, uint64_t> done;
    while (std::chrono::steady_clock::now() < give_up) {
      done.clear();
      for (const auto& pull : Pulls()) {
        if (pull["image"] != Name()) continue;
        for (const auto& layer : pull["layers"]) {
          EXPECT_GT(layer["size"].get<int64_t>(), 0);
          EXPECT_LE(layer["done"].get<int64_t>(), layer["size"].get<int64_t>());
          done[layer["digest"]] = layer["done"];
        }
      }
      if (!done.empty() && ready(done)) return done;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the pull never reached the expected state";
    return done;
  }

  static std::unique_ptr<LocalRegistry> registry_;
  static std::unique_ptr<TempDir> layout_;
  std::unique_ptr<RegistryProxy> proxy_;
  TempDir files_;
  std::unique_ptr<Daemon> daemon_;
};

std::unique_ptr<LocalRegistry> ImageProgressTest::registry_;
std::unique_ptr<TempDir> ImageProgressTest::layout_;

TEST_F(ImageProgressTest, InfoEndpointShowsLayerBytesGrowing) {
  EXPECT_EQ(Pulls().size(), 0u);
  EXPECT_THAT(HttpGet(InfoSocket(), "/nothing"), HasSubstr("HTTP/1.1 404 Not Found"));

  // crioctl with its output in a file: no bars, only the result.
  std::filesystem::path output = files_.path() / "pull.out";
  Process pull({CrioctlBinary(), "-r", daemon_->endpoint(), "pull", Name()}, output);

  // Both layers arrive (the second is fetched ahead of its turn) and stop at a third.
  auto first = WaitForLayers([](const auto& done) {
    return done.size() == 2 && std::all_of(done.begin(), done.end(),
                                           [](const auto& layer) { return layer.second > 0; });
  });
  proxy_->OpenGate();
  WaitForLayers([&](const auto& done) {
    for (const auto& [digest, bytes] : done) {
      if (bytes <= first[digest]) return false;
    }
    return true;
  });
  proxy_->OpenGate();
  ASSERT_EQ(pull.Wait(std::chrono::seconds(60)), 0) << pull.Output() << daemon_->Log();
  EXPECT_THAT(pull.Output(), ::testing::StartsWith("Image is up to date for "));
  EXPECT_EQ(pull.Output().find('['), std::string::npos) << pull.Output();
  EXPECT_EQ(Pulls().size(), 0u);
}

TEST_F(ImageProgressTest, CrioctlDrawsLayerBarsOnATerminal) {
  // script(1) gives crioctl a pseudo-terminal and copies what it shows to our file.
  std::filesystem::path output = files_.path() / "tty.out";
  std::string command = CrioctlBinary() + " -r " + daemon_->endpoint() + " pull " + Name();
  Process pull({"script", "-qfec", command, "/dev/null"}, output);
  // A bar for each layer is on the screen while the layers wait at their first third.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    std::string shown = pull.Output();
    size_t first = shown.find("sha256:");
    if (first != std::string::npos && shown.find("sha256:", first + 1) != std::string::npos &&
        shown.find(" / ") != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  proxy_->OpenGate();
  proxy_->OpenGate();
  ASSERT_EQ(pull.Wait(std::chrono::seconds(60)), 0) << pull.Output() << daemon_->Log();
  std::string shown = pull.Output();
  EXPECT_THAT(shown, HasSubstr("] "));
  // At the end every bar is full.
  EXPECT_THAT(shown, HasSubstr("[" + std::string(30, '=') + "]"));
  EXPECT_THAT(shown, HasSubstr("Image is up to date for "));
}

}  // namespace
}  // namespace crio::testing
