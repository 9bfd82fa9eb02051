// The ImageService through the daemon and crioctl, pulling from a real registry on loopback.
#include "daemon.h"  // first: see daemon.h

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "crio/common/encoding.h"
#include "registry_suite.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

class ImageServiceTest : public RegistrySuite {
 protected:
  void SetUp() override {
    std::filesystem::path policy =
        files_.Write("policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
    std::filesystem::path registries =
        files_.Write("registries.conf", "unqualified-search-registries = [\"" + registry_->host() +
                                            "\"]\n[[registry]]\nlocation = \"" + registry_->host() +
                                            "\"\ninsecure = true\n");
    daemon_ = std::make_unique<Daemon>(
        "[crio.image]\nsignature_policy = \"" + policy.string() + "\"\n",
        std::vector<std::string>{},
        std::map<std::string, std::string>{{"CONTAINERS_REGISTRIES_CONF", registries.string()}});
    daemon_->Start();
  }

  RunResult Crioctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", daemon_->endpoint()});
    return crio::testing::Run(args, std::chrono::seconds(120));
  }

  std::string Name() const { return registry_->host() + "/library/busybox:1"; }

  TempDir files_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(ImageServiceTest, PullListInspectRemoveWithCrioctl) {
  RunResult pulled = Crioctl({"pull", Name()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_->Log();
  EXPECT_THAT(pulled.output, HasSubstr("Image is up to date for "));

  RunResult images = Crioctl({"images"});
  ASSERT_EQ(images.exit_code, 0) << images.output;
  EXPECT_THAT(images.output, HasSubstr(registry_->host() + "/library/busybox"));
  EXPECT_THAT(images.output, HasSubstr("MB"));

  RunResult inspected = Crioctl({"inspecti", Name()});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.output;
  auto json = nlohmann::json::parse(inspected.output);
  EXPECT_EQ(json["status"]["repoTags"][0], Name());
  EXPECT_THAT(json["status"]["repoDigests"][0].get<std::string>(), HasSubstr("@sha256:"));
  EXPECT_EQ(json["info"]["info"]["imageConfig"]["os"], "linux");

  RunResult fsinfo = Crioctl({"imagefsinfo"});
  ASSERT_EQ(fsinfo.exit_code, 0) << fsinfo.output;
  auto usage = nlohmann::json::parse(fsinfo.output);
  EXPECT_GT(std::stoull(usage["imageFilesystems"][0]["usedBytes"]["value"].get<std::string>()),
            1000000u);

  RunResult removed = Crioctl({"rmi", Name()});
  ASSERT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_EQ(Crioctl({"images", "-q"}).output, "");
  // Removing what is not there is fine (the CRI wants it idempotent).
  EXPECT_EQ(Crioctl({"rmi", Name()}).exit_code, 0);
}

TEST_F(ImageServiceTest, ShortNamesStatusAndRestart) {
  // A short name resolves through the single unqualified-search registry.
  RunResult pulled = Crioctl({"pull", "library/busybox:1"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_->Log();

  runtime::v1::ImageStatusRequest request;
  request.mutable_image()->set_image("library/busybox:1");
  runtime::v1::ImageStatusResponse status;
  ASSERT_TRUE(daemon_->image().ImageStatus(Context().get(), request, &status).ok());
  ASSERT_TRUE(status.has_image());
  EXPECT_EQ(status.image().uid().value(), 0);
  EXPECT_GT(status.image().size(), 1000000u);

  // An unknown image is an empty answer, not an error.
  request.mutable_image()->set_image(registry_->host() + "/library/none:1");
  runtime::v1::ImageStatusResponse missing;
  ASSERT_TRUE(daemon_->image().ImageStatus(Context().get(), request, &missing).ok());
  EXPECT_FALSE(missing.has_image());

  // Images outlive the daemon.
  daemon_->process().Signal(SIGTERM);
  ASSERT_EQ(daemon_->process().Wait(std::chrono::seconds(15)), 0);
  daemon_->Start();
  EXPECT_THAT(Crioctl({"images"}).output, HasSubstr(registry_->host() + "/library/busybox"));

  RunResult bad = Crioctl({"pull", registry_->host() + "/library/nothere:1"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, HasSubstr("not found"));
}

// A daemon reaching the TLS + htpasswd registry (marked insecure: the daemon has no certs.d of
// ours) with credentials from global_auth_file, and the plain registry through a counting proxy.
TEST_F(ImageServiceTest, GlobalAuthFileAndConcurrentPullsThroughTheDaemon) {
  LocalRegistry secure(RegistryOptions{.tls = true, .user = "crio", .password = "Daemon-s3cret"});
  secure.PushBusybox("library/busybox", "1");
  RegistryProxy proxy(registry_->host());
  nlohmann::json auth;
  auth["auths"][secure.host()]["auth"] = Base64Encode("crio:Daemon-s3cret");
  std::filesystem::path auth_file = files_.Write("auth.json", auth.dump());
  std::filesystem::path registries =
      files_.Write("registries2.conf", "[[registry]]\nlocation = \"" + secure.host() +
                                           "\"\ninsecure = true\n[[registry]]\nlocation = \"" +
                                           proxy.host() + "\"\ninsecure = true\n");
  daemon_.reset();
  daemon_ = std::make_unique<Daemon>(
      "[crio.image]\nsignature_policy = \"" + (files_.path() / "policy.json").string() +
          "\"\nglobal_auth_file = \"" + auth_file.string() + "\"\n",
      std::vector<std::string>{"--log-level", "debug"},
      std::map<std::string, std::string>{{"CONTAINERS_REGISTRIES_CONF", registries.string()}});
  daemon_->Start();

  // Ten PullImage calls at once: every blob is fetched once.
  std::string name = proxy.host() + "/library/busybox:1";
  std::vector<grpc::Status> statuses(10);
  std::vector<std::string> refs(10);
  {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < statuses.size(); ++i) {
      threads.emplace_back([&, i] {
        runtime::v1::PullImageRequest request;
        request.mutable_image()->set_image(name);
        runtime::v1::PullImageResponse response;
        statuses[i] =
            daemon_->image().PullImage(Context(std::chrono::seconds(60)).get(), request, &response);
        refs[i] = response.image_ref();
      });
    }
    for (auto& thread : threads) thread.join();
  }
  for (size_t i = 0; i < statuses.size(); ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(refs[i], refs[0]);
  }
  EXPECT_EQ(proxy.Count("GET", "/blobs/"), 2);  // the layer and the config, once each
  EXPECT_EQ(proxy.Count("GET", "/manifests/"), 10);

  // The same image from the registry that wants credentials: they come from global_auth_file
  // (the layers are stored already; the manifest needs them).
  RunResult pulled = Crioctl({"pull", secure.host() + "/library/busybox:1"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_->Log();
  EXPECT_THAT(Crioctl({"images"}).output, HasSubstr(secure.host() + "/library/busybox"));

  // A wrong password is an authentication error; no secret reaches the log.
  files_.Write("auth.json", R"({"auths":{")" + secure.host() + R"(":{"auth":")" +
                                Base64Encode("crio:Wrong-pass") + R"("}}})");
  RunResult wrong = Crioctl({"pull", secure.host() + "/library/busybox:1"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.output, HasSubstr("rejected the credentials from " + auth_file.string()));
  std::string log = daemon_->Log();
  for (const std::string& secret : {std::string("Daemon-s3cret"), std::string("Wrong-pass"),
                                    Base64Encode("crio:Daemon-s3cret")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }
}

TEST_F(ImageServiceTest, PullProgressTimeoutFromCrioConf) {
  RegistryProxy proxy(registry_->host(), [](const std::string&, const std::string& path, int) {
    return path.find("/blobs/") != std::string::npos ? RegistryProxy::Action::kStall
                                                     : RegistryProxy::Action::kPass;
  });
  std::filesystem::path registries = files_.Write(
      "registries3.conf", "[[registry]]\nlocation = \"" + proxy.host() + "\"\ninsecure = true\n");
  daemon_.reset();
  daemon_ = std::make_unique<Daemon>(
      "[crio.image]\nsignature_policy = \"" + (files_.path() / "policy.json").string() +
          "\"\npull_progress_timeout = \"2s\"\n",
      std::vector<std::string>{},
      std::map<std::string, std::string>{{"CONTAINERS_REGISTRIES_CONF", registries.string()}});
  daemon_->Start();
  RunResult stalled = Crioctl({"pull", proxy.host() + "/library/busybox:1"});
  EXPECT_NE(stalled.exit_code, 0);
  EXPECT_THAT(stalled.output, HasSubstr("pull_progress_timeout"));
  EXPECT_EQ(Crioctl({"images", "-q"}).output, "");
}

TEST_F(ImageServiceTest, ImagesListingFormats) {
  ASSERT_EQ(Crioctl({"pull", Name()}).exit_code, 0) << daemon_->Log();
  RunResult ids = Crioctl({"images", "-q"});
  ASSERT_EQ(ids.exit_code, 0) << ids.output;
  ASSERT_EQ(ids.output.size(), 65u) << ids.output;  // one id and its newline
  std::string id = ids.output.substr(0, 64);

  RunResult verbose = Crioctl({"images", "-v"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.output;
  EXPECT_THAT(verbose.output, HasSubstr("ID: " + id + "\nRepoTags: " + Name() + "\n"));
  EXPECT_THAT(verbose.output,
              HasSubstr("RepoDigests: " + registry_->host() + "/library/busybox@sha256:"));
  EXPECT_THAT(verbose.output, HasSubstr("\nSize: "));
  EXPECT_THAT(verbose.output, HasSubstr("\nUid: 0\n"));

  RunResult digests = Crioctl({"images", "--digests"});
  ASSERT_EQ(digests.exit_code, 0) << digests.output;
  EXPECT_THAT(digests.output, HasSubstr("DIGEST"));
  EXPECT_THAT(digests.output, HasSubstr(id.substr(0, 13)));

  RunResult json = Crioctl({"images", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  auto parsed = nlohmann::json::parse(json.output);
  ASSERT_EQ(parsed["images"].size(), 1u);
  EXPECT_EQ(parsed["images"][0]["id"], id);
  EXPECT_EQ(parsed["images"][0]["repoTags"][0], Name());

  RunResult yaml = Crioctl({"images", "-o", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.output;
  EXPECT_THAT(yaml.output, HasSubstr("id: \"" + id + "\""));
  RunResult table = Crioctl({"images", "-o", "table"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output, Crioctl({"images"}).output);
  EXPECT_THAT(table.output, HasSubstr("IMAGE ID"));
}

TEST_F(ImageServiceTest, RmiAllAndPrune) {
  std::string pause = registry_->host() + "/library/pause:1";
  ASSERT_EQ(Crioctl({"pull", Name()}).exit_code, 0) << daemon_->Log();
  ASSERT_EQ(Crioctl({"pull", pause}).exit_code, 0) << daemon_->Log();
  // No container uses either image: --prune removes both. (Keeping the images containers use
  // is CrioctlPruneTest in crioctl_test.cc.)
  RunResult pruned = Crioctl({"rmi", "--prune"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.output;
  EXPECT_THAT(pruned.output, HasSubstr("Deleted: " + Name() + "\n"));
  EXPECT_THAT(pruned.output, HasSubstr("Deleted: " + pause + "\n"));
  EXPECT_EQ(Crioctl({"images", "-q"}).output, "");

  ASSERT_EQ(Crioctl({"pull", Name()}).exit_code, 0);
  ASSERT_EQ(Crioctl({"pull", pause}).exit_code, 0);
  RunResult all = Crioctl({"rmi", "-a"});
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_THAT(all.output, HasSubstr("Deleted: " + Name() + "\n"));
  EXPECT_THAT(all.output, HasSubstr("Deleted: " + pause + "\n"));
  EXPECT_EQ(Crioctl({"images", "-q"}).output, "");

  RunResult nothing = Crioctl({"rmi"});
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_THAT(nothing.output, HasSubstr("no image given"));
}

// --creds and --auth against the registry that wants Basic auth; --pod-config reaches the daemon.
TEST_F(ImageServiceTest, PullCredentialsAndPodConfig) {
  LocalRegistry secure(RegistryOptions{.tls = true, .user = "crio", .password = "Flag-s3cret"});
  secure.PushBusybox("library/busybox", "1");
  std::filesystem::path registries = files_.Write(
      "registries4.conf", "[[registry]]\nlocation = \"" + secure.host() + "\"\ninsecure = true\n");
  daemon_.reset();
  daemon_ = std::make_unique<Daemon>(
      "[crio.image]\nsignature_policy = \"" + (files_.path() / "policy.json").string() + "\"\n",
      std::vector<std::string>{},
      std::map<std::string, std::string>{{"CONTAINERS_REGISTRIES_CONF", registries.string()}});
  daemon_->Start();
  std::string name = secure.host() + "/library/busybox:1";

  RunResult anonymous = Crioctl({"pull", name});
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_THAT(anonymous.output, HasSubstr("UNAUTHENTICATED"));

  RunResult creds = Crioctl({"pull", "--creds", "crio:Flag-s3cret", name});
  ASSERT_EQ(creds.exit_code, 0) << creds.output << daemon_->Log();
  ASSERT_EQ(Crioctl({"rmi", name}).exit_code, 0);

  RunResult wrong = Crioctl({"pull", "--auth", Base64Encode("crio:Wrong-pass"), name});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.output, HasSubstr("rejected the credentials from the request's AuthConfig"));

  std::filesystem::path pod =
      files_.Write("pod.yaml", "metadata:\n  name: puller-pod\n  namespace: pull-ns\n  uid: u1\n");
  RunResult auth = Crioctl(
      {"pull", "--auth", Base64Encode("crio:Flag-s3cret"), "--pod-config", pod.string(), name});
  ASSERT_EQ(auth.exit_code, 0) << auth.output << daemon_->Log();
  EXPECT_THAT(Crioctl({"images"}).output, HasSubstr(secure.host() + "/library/busybox"));
  EXPECT_THAT(daemon_->Log(), HasSubstr("Pulling image " + name + " for pod pull-ns/puller-pod"));

  RunResult both = Crioctl({"pull", "--creds", "a:b", "--auth", "YTpi", name});
  EXPECT_NE(both.exit_code, 0);
  EXPECT_THAT(both.output, HasSubstr("excludes"));
  RunResult missing = Crioctl({"pull", "--pod-config", "/nonexistent/pod.json", name});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.output, HasSubstr("/nonexistent/pod.json"));
}

}  // namespace
}  // namespace crio::testing
