// The image side of the daemon's configuration, through the real daemon and a real registry:
// registries.conf reloaded on SIGHUP and by auto_reload_registries (a broken file keeps the
// running one; a pull in flight keeps what it started with), pinned_images and pause_image
// reloaded, and per-namespace signature policies (signature_policy_dir).
#include "daemon.h"  // first: see daemon.h

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <future>
#include <thread>

#include "registry_suite.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kAcceptAnything[] = R"({"default":[{"type":"insecureAcceptAnything"}]})";

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

class ImageConfigTest : public RegistrySuite {
 protected:
  // A daemon whose registries.conf is files_/registries.conf (`registries`) and whose crio.conf
  // [crio.image] table holds `image_options` besides the global signature policy.
  void StartDaemon(const std::string& registries, const std::string& image_options = "") {
    registries_ = files_.Write("registries.conf", registries);
    policy_ = files_.Write("policy.json", kAcceptAnything);
    daemon_ = std::make_unique<Daemon>(
        CrioConf(image_options), std::vector<std::string>{},
        std::map<std::string, std::string>{{"CONTAINERS_REGISTRIES_CONF", registries_.string()}});
    daemon_->Start();
  }
  std::string CrioConf(const std::string& image_options) const {
    return "[crio.image]\nsignature_policy = \"" + policy_.string() + "\"\n" + image_options;
  }

  // The registry reached over plain HTTP, plus `extra` TOML.
  std::string Insecure(const std::string& host, const std::string& extra = "") const {
    return extra + "[[registry]]\nlocation = \"" + host + "\"\ninsecure = true\n";
  }

  // Sends SIGHUP and waits until the daemon logged `marker` once more than before.
  void Reload(const std::string& marker) {
    size_t before = Occurrences(daemon_->Log(), marker);
    daemon_->process().Signal(SIGHUP);
    ASSERT_TRUE(Eventually([&] { return Occurrences(daemon_->Log(), marker) > before; }))
        << daemon_->Log();
  }

  grpc::Status Pull(const std::string& image, const std::string& pod_namespace = "") {
    runtime::v1::PullImageRequest request;
    request.mutable_image()->set_image(image);
    if (!pod_namespace.empty()) {
      request.mutable_sandbox_config()->mutable_metadata()->set_name("pod");
      request.mutable_sandbox_config()->mutable_metadata()->set_namespace_(pod_namespace);
    }
    runtime::v1::PullImageResponse response;
    return daemon_->image().PullImage(Context(std::chrono::seconds(60)).get(), request, &response);
  }

  bool Pinned(const std::string& image) {
    runtime::v1::ImageStatusRequest request;
    request.mutable_image()->set_image(image);
    runtime::v1::ImageStatusResponse response;
    EXPECT_TRUE(daemon_->image().ImageStatus(Context().get(), request, &response).ok());
    EXPECT_TRUE(response.has_image()) << image;
    return response.image().pinned();
  }

  std::string Busybox() const { return registry_->host() + "/library/busybox:1"; }
  std::string Pause() const { return registry_->host() + "/library/pause:1"; }

  static constexpr char kReloaded[] = "Reloaded registries.conf from";
  static constexpr char kKept[] = "Reloading registries.conf failed, keeping the running";

  TempDir files_;
  std::filesystem::path registries_;
  std::filesystem::path policy_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(ImageConfigTest, SighupAppliesANewRegistriesConf) {
  StartDaemon(Insecure(registry_->host()));
  ASSERT_TRUE(Pull(Busybox()).ok()) << daemon_->Log();
  // No alias and no search registries: the short name has nowhere to go.
  EXPECT_FALSE(Pull("aliased/box:1").ok());

  // An alias added: the short name resolves through it after the reload.
  files_.Write("registries.conf",
               Insecure(registry_->host(), "[aliases]\n\"aliased/box\" = \"" + registry_->host() +
                                               "/library/busybox\"\n"));
  Reload(kReloaded);
  grpc::Status aliased = Pull("aliased/box:1");
  EXPECT_TRUE(aliased.ok()) << aliased.error_message();

  // The registry blocked: even a stored image is not pulled from it again.
  files_.Write("registries.conf", "[[registry]]\nlocation = \"" + registry_->host() +
                                      "\"\ninsecure = true\nblocked = true\n");
  Reload(kReloaded);
  grpc::Status blocked = Pull(Busybox());
  EXPECT_EQ(blocked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(blocked.error_message(), HasSubstr("blocked"));
  EXPECT_THAT(daemon_->Log(), HasSubstr("1 registries, 0 search registries, 0 aliases"));
}

TEST_F(ImageConfigTest, ABrokenRegistriesConfOnSighupKeepsTheRunningOne) {
  StartDaemon(Insecure(registry_->host(), "[aliases]\n\"aliased/box\" = \"" + registry_->host() +
                                              "/library/busybox\"\n"));
  ASSERT_TRUE(Pull("aliased/box:1").ok()) << daemon_->Log();

  files_.Write("registries.conf", "[[registry]\nlocation = ");
  Reload(kKept);
  EXPECT_THAT(daemon_->Log(), HasSubstr(registries_.string()));
  // Still the alias, and still plain HTTP to the registry (without its entry the daemon would
  // try TLS and fail).
  grpc::Status pulled = Pull("aliased/box:1");
  EXPECT_TRUE(pulled.ok()) << pulled.error_message();
  pulled = Pull(Pause());
  EXPECT_TRUE(pulled.ok()) << pulled.error_message();
}

// A pull takes registries.conf at its start: a reload that blocks its registry while its layer
// is on the way does not stop it, and the next pull obeys the new file.
TEST_F(ImageConfigTest, APullInFlightKeepsTheRegistriesItStartedWith) {
  RegistryProxy proxy(registry_->host(), [](const std::string&, const std::string& path, int) {
    return path.find("/blobs/") != std::string::npos ? RegistryProxy::Action::kGated
                                                     : RegistryProxy::Action::kPass;
  });
  StartDaemon(Insecure(proxy.host()));
  std::future<grpc::Status> first = std::async(std::launch::async, [&] {
    runtime::v1::PullImageRequest request;
    request.mutable_image()->set_image(proxy.host() + "/library/busybox:1");
    runtime::v1::PullImageResponse response;
    return daemon_->image().PullImage(Context(std::chrono::seconds(60)).get(), request, &response);
  });
  // The config blob (small) went through; the layer is held at its first third.
  ASSERT_TRUE(Eventually([&] { return proxy.Count("GET", "/blobs/") >= 2; })) << daemon_->Log();

  files_.Write("registries.conf", "[[registry]]\nlocation = \"" + proxy.host() +
                                      "\"\ninsecure = true\nblocked = true\n");
  Reload(kReloaded);
  grpc::Status second = Pull(proxy.host() + "/library/pause:1");
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(second.error_message(), HasSubstr("blocked"));

  proxy.OpenGate();
  proxy.OpenGate();
  grpc::Status finished = first.get();
  EXPECT_TRUE(finished.ok()) << finished.error_message() << daemon_->Log();
}

TEST_F(ImageConfigTest, AutoReloadRegistriesFollowsTheFileWithoutSighup) {
  StartDaemon(Insecure(registry_->host()), "auto_reload_registries = true\n");
  ASSERT_TRUE(Pull(Busybox()).ok()) << daemon_->Log();
  EXPECT_THAT(daemon_->Log(), ::testing::Not(HasSubstr("auto_reload_registries is set but")));

  size_t before = Occurrences(daemon_->Log(), kReloaded);
  // Written beside and renamed over the file, as package managers and editors do.
  files_.Write("registries.conf.new", "[[registry]]\nlocation = \"" + registry_->host() +
                                          "\"\ninsecure = true\nblocked = true\n");
  std::filesystem::rename(files_.path() / "registries.conf.new", registries_);
  ASSERT_TRUE(Eventually([&] { return Occurrences(daemon_->Log(), kReloaded) > before; }))
      << daemon_->Log();
  EXPECT_EQ(Pull(Busybox()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Written in place, broken: the running configuration stays.
  files_.Write("registries.conf", "not toml [");
  ASSERT_TRUE(Eventually([&] { return daemon_->Log().find(kKept) != std::string::npos; }))
      << daemon_->Log();
  EXPECT_EQ(Pull(Busybox()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Fixed: pulls work again.
  before = Occurrences(daemon_->Log(), kReloaded);
  files_.Write("registries.conf", Insecure(registry_->host()));
  ASSERT_TRUE(Eventually([&] { return Occurrences(daemon_->Log(), kReloaded) > before; }))
      << daemon_->Log();
  grpc::Status pulled = Pull(Busybox());
  EXPECT_TRUE(pulled.ok()) << pulled.error_message();
}

TEST_F(ImageConfigTest, ReloadedPinnedImagesAndPauseImageAreReportedPinned) {
  StartDaemon(Insecure(registry_->host()));
  ASSERT_TRUE(Pull(Busybox()).ok()) << daemon_->Log();
  ASSERT_TRUE(Pull(Pause()).ok()) << daemon_->Log();
  EXPECT_FALSE(Pinned(Busybox()));
  EXPECT_FALSE(Pinned(Pause()));

  daemon_->dir().Write("crio.conf",
                       CrioConf("pinned_images = [\"" + registry_->host() + "/library/busy*\"]\n" +
                                "pause_image = \"" + Pause() + "\"\n"));
  // registries.conf is reloaded last: the pinned patterns are in place once it is.
  Reload(kReloaded);
  EXPECT_THAT(daemon_->Log(), HasSubstr("Reload: crio.image.pinned_images changed"));
  EXPECT_TRUE(Pinned(Busybox()));
  EXPECT_TRUE(Pinned(Pause()));
  runtime::v1::ListImagesResponse listed;
  ASSERT_TRUE(daemon_->image().ListImages(Context().get(), {}, &listed).ok());
  ASSERT_EQ(listed.images_size(), 2);
  for (const auto& image : listed.images()) EXPECT_TRUE(image.pinned()) << image.id();

  // Unpinned again.
  daemon_->dir().Write("crio.conf", CrioConf(""));
  Reload(kReloaded);
  EXPECT_FALSE(Pinned(Busybox()));
  EXPECT_FALSE(Pinned(Pause()));
}

// signature_policy_dir: <dir>/<namespace>.json replaces the global policy for that namespace's
// pulls; a namespace without a file, and a pull without a pod, use the global policy. The files
// are read at every pull.
TEST_F(ImageConfigTest, NamespacePoliciesFromSignaturePolicyDir) {
  std::filesystem::path dir = files_.path() / "policies";
  std::filesystem::create_directories(dir);
  // Global: the pause repository is rejected, anything else accepted.
  std::string reject_pause = R"({"default":[{"type":"insecureAcceptAnything"}],
      "transports":{"docker":{")" +
                             registry_->host() + R"(/library/pause":[{"type":"reject"}]}}})";
  // Namespace "locked": the whole registry is rejected.
  std::string reject_registry = R"({"default":[{"type":"insecureAcceptAnything"}],
      "transports":{"docker":{")" +
                                registry_->host() + R"(":[{"type":"reject"}]}}})";
  std::filesystem::path locked = dir / "locked.json";
  std::ofstream(locked) << reject_registry;
  std::ofstream(dir / "trusted.json") << kAcceptAnything;
  StartDaemon(Insecure(registry_->host()), "signature_policy_dir = \"" + dir.string() + "\"\n");
  EXPECT_THAT(daemon_->Log(), ::testing::Not(HasSubstr("signature_policy_dir is set but")));
  files_.Write("policy.json", reject_pause);

  grpc::Status refused = Pull(Busybox(), "locked");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("rejected by the policy for \"" +
                                                 registry_->host() + "\" in " + locked.string()));

  // A namespace without a file, and no namespace: the global policy.
  grpc::Status other = Pull(Busybox(), "other");
  EXPECT_TRUE(other.ok()) << other.error_message();
  grpc::Status global = Pull(Pause());
  EXPECT_EQ(global.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(global.error_message(), HasSubstr(policy_.string()));
  EXPECT_EQ(Pull(Pause(), "other").error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A namespace's own policy replaces the global one, also where it is more permissive.
  grpc::Status trusted = Pull(Pause(), "trusted");
  EXPECT_TRUE(trusted.ok()) << trusted.error_message();
  EXPECT_THAT(daemon_->Log(), HasSubstr("under the signature policy " +
                                        (dir / "trusted.json").string() + " of namespace trusted"));

  // Through crioctl's --pod-config, as the kubelet sends it.
  std::filesystem::path pod =
      files_.Write("pod.json", R"({"metadata":{"name":"p","namespace":"locked","uid":"u"}})");
  RunResult crioctl = crio::testing::Run(
      {CrioctlBinary(), "-r", daemon_->endpoint(), "pull", "--pod-config", pod.string(), Pause()},
      std::chrono::seconds(60));
  EXPECT_NE(crioctl.exit_code, 0);
  EXPECT_THAT(crioctl.output, HasSubstr(locked.string()));

  // The files are read at every pull: an edited namespace policy applies to the next one.
  std::ofstream(locked, std::ios::trunc) << kAcceptAnything;
  grpc::Status edited = Pull(Busybox(), "locked");
  EXPECT_TRUE(edited.ok()) << edited.error_message();

  // A policy that does not parse fails the pull rather than falling back.
  std::ofstream(locked, std::ios::trunc) << "{";
  grpc::Status broken = Pull(Busybox(), "locked");
  EXPECT_EQ(broken.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(broken.error_message(), HasSubstr("no usable signature policy"));
}

}  // namespace
}  // namespace crio::testing
