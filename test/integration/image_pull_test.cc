// Pulling from a real registry (Debian's docker-registry on loopback) into the store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "crio/common/encoding.h"
#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/image/digest.h"
#include "crio/image/puller.h"
#include "process.h"
#include "registry.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ImagePullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = std::make_unique<LocalRegistry>();
    digest_ = registry_->PushBusybox("library/busybox", "1");
    // The second registry: TLS with a CA of its own, and htpasswd Basic authentication.
    secure_ = std::make_unique<LocalRegistry>(
        RegistryOptions{.tls = true, .user = kUser, .password = kPassword});
    secure_->PushBusybox("library/busybox", "1");
    // A three-layer image (1 MiB per layer) for parallel downloads and partial failures.
    layout_ = std::make_unique<TempDir>();
    absl::StatusOr<CommandResult> made =
        RunCommand({MAKE_LAYERED_IMAGE, (layout_->path() / "layout").string(), "3", "1"}, {},
                   absl::Seconds(120));
    ASSERT_TRUE(made.ok() && made->exit_code == 0) << (made.ok() ? made->err : "");
    registry_->PushLayout((layout_->path() / "layout").string(), "layered", "1");
  }
  static void TearDownTestSuite() {
    registry_.reset();
    secure_.reset();
    layout_.reset();
  }

  // The layer digests of the layered image, in order.
  static std::vector<std::string> LayeredBlobs() {
    std::filesystem::path layout = layout_->path() / "layout";
    auto index = nlohmann::json::parse(ReadAll(layout / "index.json"));
    std::string manifest_digest = index["manifests"][0]["digest"];
    auto manifest =
        nlohmann::json::parse(ReadAll(layout / "blobs/sha256" / manifest_digest.substr(7)));
    std::vector<std::string> blobs;
    for (const auto& layer : manifest["layers"]) blobs.push_back(layer["digest"]);
    return blobs;
  }

  void SetUp() override {
    options_.root = dir_.path() / "root";
    options_.runroot = dir_.path() / "runroot";
    store_ = std::move(*storage::Store::Open(options_));
  }
  void TearDown() override {
    EXPECT_TRUE(store_->Shutdown().ok());
    EXPECT_EQ(UnmountAllBelow(dir_.path()), 0);
  }

  std::unique_ptr<image::Puller> MakePuller(const std::string& registries_toml,
                                            const std::string& policy = kAcceptAnything,
                                            image::SystemContext context = {}) {
    image::RegistriesConf conf;
    EXPECT_TRUE(image::MergeRegistriesToml(registries_toml, "registries.conf", conf).ok());
    return std::make_unique<image::Puller>(*store_, conf,
                                           *image::Policy::Parse(policy, "policy.json"), context);
  }
  // Nothing of any image in the store.
  void ExpectEmptyStore() {
    EXPECT_TRUE(store_->images().List()->empty());
    EXPECT_TRUE(store_->layers().List()->empty());
  }
  std::string InsecureLocal() const {
    return "[[registry]]\nlocation = \"" + registry_->host() + "\"\ninsecure = true\n";
  }

  std::string InsecureAt(const std::string& host) const {
    return "[[registry]]\nlocation = \"" + host + "\"\ninsecure = true\n";
  }
  image::SystemContext TrustingSecure() const {
    image::SystemContext context;
    context.certs_dirs = {secure_->certs_dir()};
    context.temporary_dir = dir_.path();
    return context;
  }
  std::string SecureName() const { return secure_->host() + "/library/busybox:1"; }
  // A containers-auth.json with `key` -> base64(user:password).
  std::filesystem::path AuthFile(const std::string& name, const std::string& key,
                                 const std::string& password) const {
    nlohmann::json json;
    json["auths"][key]["auth"] = Base64Encode(std::string(kUser) + ":" + password);
    return dir_.Write(name, json.dump());
  }

  static constexpr const char* kAcceptAnything =
      R"({"default":[{"type":"insecureAcceptAnything"}]})";
  static constexpr const char* kUser = "crio";
  static constexpr const char* kPassword = "s3cret-Pa55";
  static std::unique_ptr<LocalRegistry> registry_;
  static std::unique_ptr<LocalRegistry> secure_;
  static std::unique_ptr<TempDir> layout_;
  static std::string digest_;
  TempDir dir_;
  storage::StoreOptions options_;
  std::unique_ptr<storage::Store> store_;
};

std::unique_ptr<LocalRegistry> ImagePullTest::registry_;
std::unique_ptr<LocalRegistry> ImagePullTest::secure_;
std::unique_ptr<TempDir> ImagePullTest::layout_;
std::string ImagePullTest::digest_;

TEST_F(ImagePullTest, PullsByTagIntoARunnableImage) {
  std::unique_ptr<image::Puller> puller = MakePuller(InsecureLocal());
  std::string name = registry_->host() + "/library/busybox:1";
  absl::StatusOr<std::string> id = puller->Pull(name);
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<storage::ImageRecord> image = store_->images().Get(name);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->id, *id);
  EXPECT_EQ(image->digest, digest_);
  absl::StatusOr<storage::ContainerRecord> container = store_->CreateContainer("", {"c"}, name, "");
  ASSERT_TRUE(container.ok()) << container.status();
  absl::StatusOr<std::filesystem::path> rootfs = store_->MountContainer(container->id);
  ASSERT_TRUE(rootfs.ok());
  EXPECT_EQ(RunCommand({"chroot", rootfs->string(), "/bin/busybox", "echo", "pulled"})->out,
            "pulled\n");
  ASSERT_TRUE(store_->DeleteContainer(container->id).ok());
  // Pulling again reuses what is stored.
  EXPECT_EQ(*puller->Pull(name), *id);
}

TEST_F(ImagePullTest, PullsByDigestAndThroughAMirror) {
  // The registry is only reachable as a mirror of a name that does not resolve.
  std::unique_ptr<image::Puller> puller = MakePuller(
      "[[registry]]\nprefix = \"unreachable.invalid\"\n"
      "[[registry.mirror]]\nlocation = \"" +
      registry_->host() + "\"\ninsecure = true\n");
  absl::StatusOr<std::string> id = puller->Pull("unreachable.invalid/library/busybox@" + digest_);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(store_->images().Get("unreachable.invalid/library/busybox@" + digest_).ok());
}

TEST_F(ImagePullTest, ErrorsSayWhatWentWrong) {
  std::unique_ptr<image::Puller> puller =
      MakePuller(InsecureLocal() + "[[registry]]\nlocation = \"blocked.test\"\nblocked = true\n");
  absl::StatusOr<std::string> missing = puller->Pull(registry_->host() + "/library/nothere:1");
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("not found"));
  EXPECT_THAT(std::string(puller->Pull("blocked.test/x:1").status().message()),
              HasSubstr("is blocked"));
  std::unique_ptr<image::Puller> rejecting =
      MakePuller(InsecureLocal(), R"({"default":[{"type":"reject"}]})");
  EXPECT_TRUE(
      absl::IsPermissionDenied(rejecting->Pull(registry_->host() + "/library/busybox:1").status()));
  ExpectEmptyStore();
}

// --- TLS and Basic authentication (the second registry) ---

TEST_F(ImagePullTest, PullsOverTlsTrustingTheCertsDirCa) {
  std::unique_ptr<image::Puller> puller = MakePuller("", kAcceptAnything, TrustingSecure());
  absl::StatusOr<std::string> id = puller->Pull(SecureName(), {kUser, kPassword});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(store_->images().Get(SecureName()).ok());
}

TEST_F(ImagePullTest, UntrustedCertificateIsAClearError) {
  image::SystemContext context;
  context.certs_dirs = {dir_.path() / "no-certs.d"};
  std::unique_ptr<image::Puller> puller = MakePuller("", kAcceptAnything, context);
  absl::StatusOr<std::string> id = puller->Pull(SecureName(), {kUser, kPassword});
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("TLS certificate of registry"));
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("is not trusted"));
  EXPECT_TRUE(absl::IsUnavailable(id.status())) << id.status();
  ExpectEmptyStore();
}

TEST_F(ImagePullTest, InsecureRegistrySkipsVerificationButNotAuthentication) {
  image::SystemContext context;
  context.certs_dirs = {};
  std::unique_ptr<image::Puller> puller =
      MakePuller(InsecureAt(secure_->host()), kAcceptAnything, context);
  absl::StatusOr<std::string> id = puller->Pull(SecureName(), {kUser, kPassword});
  ASSERT_TRUE(id.ok()) << id.status();
}

TEST_F(ImagePullTest, WrongOrMissingCredentialsAreClearAuthenticationErrors) {
  std::unique_ptr<image::Puller> puller = MakePuller("", kAcceptAnything, TrustingSecure());
  absl::StatusOr<std::string> wrong = puller->Pull(SecureName(), {kUser, "not-the-password"});
  ASSERT_TRUE(absl::IsUnauthenticated(wrong.status())) << wrong.status();
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("rejected the credentials"));
  EXPECT_THAT(std::string(wrong.status().message()), Not(HasSubstr("not-the-password")));
  // No credentials anywhere (an empty credentials file stands in for the default ones).
  image::SystemContext context = TrustingSecure();
  context.auth_file = dir_.Write("empty.json", "{}");
  absl::StatusOr<std::string> none = MakePuller("", kAcceptAnything, context)->Pull(SecureName());
  ASSERT_TRUE(absl::IsUnauthenticated(none.status())) << none.status();
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("no credentials"));
  ExpectEmptyStore();
}

TEST_F(ImagePullTest, ClientCertificateFromTheCertsDir) {
  LocalRegistry mutual(RegistryOptions{.tls = true, .client_certificates = true});
  mutual.PushBusybox("library/busybox", "1");
  std::string name = mutual.host() + "/library/busybox:1";
  image::SystemContext context;
  context.certs_dirs = {mutual.certs_dir()};
  absl::StatusOr<std::string> id = MakePuller("", kAcceptAnything, context)->Pull(name);
  ASSERT_TRUE(id.ok()) << id.status();

  // Without the pair (the CA alone) the registry refuses the handshake.
  ASSERT_TRUE(store_->RemoveImage(*id).ok());
  std::filesystem::path ca_only = dir_.path() / "ca-only.d";
  std::filesystem::create_directories(ca_only / mutual.host());
  std::filesystem::copy_file(mutual.ca_certificate(), ca_only / mutual.host() / "ca.crt");
  context.certs_dirs = {ca_only};
  absl::StatusOr<std::string> refused = MakePuller("", kAcceptAnything, context)->Pull(name);
  ASSERT_FALSE(refused.ok());
  // With TLS 1.3 the refusal arrives after the client's side of the handshake, as an alert
  // (named in the error) or as a dropped connection, whichever curl sees first.
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr(mutual.host()));

  // A certificate without its key is a configuration error naming the file.
  std::filesystem::copy_file(mutual.certs_dir() / mutual.host() / "client.cert",
                             ca_only / mutual.host() / "client.cert");
  absl::StatusOr<std::string> half = MakePuller("", kAcceptAnything, context)->Pull(name);
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(std::string(half.status().message()), HasSubstr("client.cert has no key"));
  ExpectEmptyStore();
}

// --- credentials files ---

TEST_F(ImagePullTest, GlobalAuthFileMostSpecificKeyWins) {
  image::SystemContext context = TrustingSecure();
  // The host's entry is wrong, the namespace's is right: the namespace is more specific.
  nlohmann::json json;
  json["auths"][secure_->host()]["auth"] = Base64Encode(std::string(kUser) + ":wrong");
  json["auths"][secure_->host() + "/library"]["auth"] =
      Base64Encode(std::string(kUser) + ":" + kPassword);
  context.auth_file = dir_.Write("auth.json", json.dump());
  absl::StatusOr<std::string> id = MakePuller("", kAcceptAnything, context)->Pull(SecureName());
  ASSERT_TRUE(id.ok()) << id.status();

  // Credentials in the request come first.
  ASSERT_TRUE(store_->RemoveImage(*id).ok());
  context.auth_file = AuthFile("wrong.json", secure_->host(), "wrong");
  std::unique_ptr<image::Puller> puller = MakePuller("", kAcceptAnything, context);
  absl::StatusOr<std::string> wrong = puller->Pull(SecureName());
  ASSERT_TRUE(absl::IsUnauthenticated(wrong.status())) << wrong.status();
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("wrong.json"));
  ASSERT_TRUE(puller->Pull(SecureName(), {kUser, kPassword}).ok());
}

TEST_F(ImagePullTest, PauseImageAuthFileReplacesTheGlobalOne) {
  image::SystemContext context = TrustingSecure();
  context.auth_file = AuthFile("global.json", secure_->host(), "wrong");
  std::filesystem::path pause_auth = AuthFile("pause.json", secure_->host(), kPassword);
  absl::StatusOr<std::string> id =
      MakePuller("", kAcceptAnything, context)->Pull(SecureName(), {}, pause_auth);
  ASSERT_TRUE(id.ok()) << id.status();
}

TEST_F(ImagePullTest, RegistryAuthFileAndDockerConfigFromTheEnvironment) {
  image::SystemContext context = TrustingSecure();
  {
    ScopedEnv file("REGISTRY_AUTH_FILE", AuthFile("env.json", secure_->host(), kPassword).string());
    ASSERT_TRUE(MakePuller("", kAcceptAnything, context)->Pull(SecureName()).ok());
    // global_auth_file outranks REGISTRY_AUTH_FILE.
    context.auth_file = AuthFile("global.json", secure_->host(), "wrong");
    ASSERT_TRUE(store_->RemoveImage(SecureName()).ok());
    EXPECT_TRUE(absl::IsUnauthenticated(
        MakePuller("", kAcceptAnything, context)->Pull(SecureName()).status()));
    context.auth_file.clear();
  }
  // ~/.docker/config.json, with the key written the old Docker way.
  std::filesystem::create_directories(dir_.path() / "home/.docker");
  nlohmann::json json;
  json["auths"]["https://" + secure_->host() + "/v1/"]["auth"] =
      Base64Encode(std::string(kUser) + ":" + kPassword);
  dir_.Write("home/.docker/config.json", json.dump());
  ScopedEnv home("HOME", (dir_.path() / "home").string());
  ScopedEnv config_home("XDG_CONFIG_HOME", (dir_.path() / "home/.config").string());
  absl::StatusOr<std::string> id = MakePuller("", kAcceptAnything, context)->Pull(SecureName());
  ASSERT_TRUE(id.ok()) << id.status();
}

// --- a flaky network: retries, stalls, tampering ---

TEST_F(ImagePullTest, RetriesUnavailableAndResetAnswers) {
  std::vector<std::string> blobs = LayeredBlobs();
  RegistryProxy proxy(registry_->host(),
                      [&](const std::string&, const std::string& path, int seen) {
                        if (path.find(blobs[0]) != std::string::npos && seen < 2)
                          return RegistryProxy::Action::kUnavailable;
                        if (path.find(blobs[1]) != std::string::npos && seen == 0)
                          return RegistryProxy::Action::kReset;
                        if (path.find("/manifests/") != std::string::npos && seen == 0)
                          return RegistryProxy::Action::kTooMany;
                        return RegistryProxy::Action::kPass;
                      });
  image::SystemContext context;
  context.temporary_dir = dir_.path();
  context.retry_delay = absl::Milliseconds(50);
  std::unique_ptr<image::Puller> puller =
      MakePuller(InsecureAt(proxy.host()), kAcceptAnything, context);
  absl::StatusOr<std::string> id = puller->Pull(proxy.host() + "/layered:1");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(proxy.Count("GET", blobs[0]), 3);  // two 503s, then the blob
  EXPECT_EQ(proxy.Count("GET", blobs[1]), 2);  // reset half way, then the rest
  EXPECT_EQ(store_->layers().List()->size(), 3u);
}

TEST_F(ImagePullTest, StalledPullIsCancelledAfterTheProgressTimeout) {
  RegistryProxy proxy(registry_->host(), [](const std::string&, const std::string& path, int) {
    return path.find("/blobs/") != std::string::npos ? RegistryProxy::Action::kStall
                                                     : RegistryProxy::Action::kPass;
  });
  image::SystemContext context;
  context.temporary_dir = dir_.path();
  context.progress_timeout = absl::Seconds(2);
  std::unique_ptr<image::Puller> puller =
      MakePuller(InsecureAt(proxy.host()), kAcceptAnything, context);
  absl::StatusOr<std::string> id = puller->Pull(proxy.host() + "/layered:1");
  ASSERT_TRUE(absl::IsDeadlineExceeded(id.status())) << id.status();
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("pull_progress_timeout"));
  ExpectEmptyStore();
}

TEST_F(ImagePullTest, TamperedBlobFailsThePullAndLeavesNothing) {
  std::vector<std::string> blobs = LayeredBlobs();
  // The last layer is changed on the way: the first two are stored by then and must go again.
  RegistryProxy proxy(registry_->host(), [&](const std::string&, const std::string& path, int) {
    return path.find(blobs.back()) != std::string::npos ? RegistryProxy::Action::kCorrupt
                                                        : RegistryProxy::Action::kPass;
  });
  image::SystemContext context;
  context.temporary_dir = dir_.path();
  std::unique_ptr<image::Puller> puller =
      MakePuller(InsecureAt(proxy.host()), kAcceptAnything, context);
  absl::StatusOr<std::string> id = puller->Pull(proxy.host() + "/layered:1");
  ASSERT_TRUE(absl::IsDataLoss(id.status())) << id.status();
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("does not match its digest"));
  ExpectEmptyStore();
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "root/overlay-layers") ||
              !std::filesystem::exists(dir_.path() / "root/overlay-layers/layers.json") ||
              store_->layers().List()->empty());
}

// --- digests ---

// Uploads `data` to the plain registry as a blob of `repository` under its sha512 digest (the
// registry keeps blobs under sha256 and links other digests to them).
std::string PushSha512Blob(const std::string& host, const std::string& repository,
                           const std::string& data, const std::filesystem::path& scratch) {
  std::string digest = image::DigestLike("sha512:", data);
  std::filesystem::path file = scratch / "upload";
  { std::ofstream(file, std::ios::binary) << data; }
  absl::StatusOr<CommandResult> started =
      RunCommand({"curl", "-sS", "-o", "/dev/null", "-D", "-", "-X", "POST",
                  "http://" + host + "/v2/" + repository + "/blobs/uploads/"});
  EXPECT_TRUE(started.ok() && started->exit_code == 0);
  std::string location;
  for (std::string_view line : StrSplit(started->out, '\n')) {
    if (line.size() > 10 && (line.starts_with("Location:") || line.starts_with("location:"))) {
      location = std::string(line.substr(10));
      while (!location.empty() && (location.back() == '\r' || location.back() == ' '))
        location.pop_back();
    }
  }
  EXPECT_FALSE(location.empty()) << started->out;
  absl::StatusOr<CommandResult> put =
      RunCommand({"curl", "-sS", "-f", "-X", "PUT", "-H", "Content-Type: application/octet-stream",
                  "--data-binary", "@" + file.string(), location + "&digest=" + digest});
  EXPECT_TRUE(put.ok() && put->exit_code == 0) << (put.ok() ? put->err : "");
  return digest;
}

TEST_F(ImagePullTest, Sha512BlobsAreVerified) {
  // The busybox fixture, its config and layer re-pushed under sha512 digests.
  std::filesystem::path layout = BUSYBOX_OCI;
  auto index = nlohmann::json::parse(ReadAll(layout / "index.json"));
  std::string manifest_digest = index["manifests"][0]["digest"];
  auto manifest =
      nlohmann::json::parse(ReadAll(layout / "blobs/sha256" / manifest_digest.substr(7)));
  for (auto* descriptor : {&manifest["config"], &manifest["layers"][0]}) {
    std::string digest = (*descriptor)["digest"];
    std::string data = ReadAll(layout / "blobs/sha256" / digest.substr(7));
    (*descriptor)["digest"] =
        PushSha512Blob(registry_->host(), "sha512/busybox", data, dir_.path());
  }
  std::filesystem::path manifest_file = dir_.Write("manifest.json", manifest.dump());
  absl::StatusOr<CommandResult> put =
      RunCommand({"curl", "-sS", "-f", "-X", "PUT", "-H",
                  "Content-Type: application/vnd.oci.image.manifest.v1+json", "--data-binary",
                  "@" + manifest_file.string(),
                  "http://" + registry_->host() + "/v2/sha512/busybox/manifests/1"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0) << (put.ok() ? put->err : "");

  std::string name = registry_->host() + "/sha512/busybox:1";
  absl::StatusOr<std::string> id = MakePuller(InsecureLocal())->Pull(name);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, manifest["config"]["digest"].get<std::string>().substr(7));
  EXPECT_TRUE(store_->images().Get(name).ok());

  // The same blobs changed on the way fail their sha512 check.
  ASSERT_TRUE(store_->RemoveImage(*id).ok());
  ExpectEmptyStore();
  RegistryProxy proxy(registry_->host(), [](const std::string&, const std::string&, int) {
    return RegistryProxy::Action::kCorrupt;
  });
  absl::StatusOr<std::string> tampered =
      MakePuller(InsecureAt(proxy.host()))->Pull(proxy.host() + "/sha512/busybox:1");
  ASSERT_TRUE(absl::IsDataLoss(tampered.status())) << tampered.status();
  EXPECT_THAT(std::string(tampered.status().message()), HasSubstr("sha512:"));
  ExpectEmptyStore();
}

// --- parallel downloads and sharing ---

TEST_F(ImagePullTest, ConcurrentPullsFetchEachBlobOnce) {
  RegistryProxy proxy(registry_->host());
  image::SystemContext context;
  context.temporary_dir = dir_.path();
  std::unique_ptr<image::Puller> puller =
      MakePuller(InsecureAt(proxy.host()), kAcceptAnything, context);
  std::string name = proxy.host() + "/layered:1";
  std::vector<absl::StatusOr<std::string>> ids(10, absl::UnknownError("not run"));
  {
    std::vector<std::thread> threads;
    for (auto& id : ids) threads.emplace_back([&] { id = puller->Pull(name); });
    for (auto& thread : threads) thread.join();
  }
  for (const auto& id : ids) {
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, *ids[0]);
  }
  for (const std::string& blob : LayeredBlobs()) EXPECT_EQ(proxy.Count("GET", blob), 1) << blob;
  EXPECT_EQ(proxy.Count("GET", "/blobs/"), 4);  // three layers and the config
  EXPECT_EQ(store_->layers().List()->size(), 3u);
  EXPECT_EQ(store_->images().List()->size(), 1u);
}

}  // namespace
}  // namespace crio::testing
