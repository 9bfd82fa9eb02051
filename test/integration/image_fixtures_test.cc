// Every image fixture of test/fixtures/ pushed to a real docker-registry, pulled by the daemon and
// run as a container's root filesystem: layers with whiteouts, multi-platform indexes (OCI and
// Docker), zstd layers, Docker schema 2 media types, and a Docker schema 1 manifest refused.
#include "pod_fixture.h"  // first: see daemon.h

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "crio/common/host.h"
#include "crio/common/strings.h"
#include "loopback.h"

namespace crio::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

const std::filesystem::path kFixtures = IMAGE_FIXTURES_DIR;

class ImageFixturesTest : public PodFixture {
 protected:
  // Copies `source` (a skopeo transport reference) to `repository:tag` on the node's registry (or
  // on `host`), with skopeo's `options` ("--all": every image of an index); returns the digest of
  // what was pushed.
  std::string Push(const std::string& source, const std::string& repository, const std::string& tag,
                   const std::vector<std::string>& options = {}, const std::string& host = "") {
    std::filesystem::path digest_file = files_.path() / "digest";
    std::vector<std::string> argv = {
        "skopeo", "copy", "-q", "--dest-tls-verify=false", "--digestfile", digest_file.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(source);
    argv.push_back(StrCat("docker://", host.empty() ? Host() : host, "/", repository, ":", tag));
    RunResult pushed = crio::testing::Run(argv, std::chrono::seconds(120));
    EXPECT_EQ(pushed.exit_code, 0) << pushed.output;
    return ReadAll(digest_file);
  }

  // The manifest as the registry serves it for `name` (host/repository:tag).
  std::string Served(const std::string& name) {
    RunResult raw = crio::testing::Run(
        {"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + name});
    EXPECT_EQ(raw.exit_code, 0) << raw.output;
    return raw.output;
  }

  std::string Host() { return node_.registry().host(); }

  grpc::Status Pull(const std::string& image, std::string* image_ref = nullptr) {
    runtime::v1::PullImageRequest request;
    request.mutable_image()->set_image(image);
    runtime::v1::PullImageResponse response;
    grpc::Status status = node_.daemon().image().PullImage(Context(std::chrono::seconds(60)).get(),
                                                           request, &response);
    if (image_ref != nullptr) *image_ref = response.image_ref();
    return status;
  }

  // ImageStatus with the verbose config ("imageConfig" of info["info"]).
  runtime::v1::ImageStatusResponse ImageStatus(const std::string& image) {
    runtime::v1::ImageStatusRequest request;
    request.mutable_image()->set_image(image);
    request.set_verbose(true);
    runtime::v1::ImageStatusResponse response;
    grpc::Status status = node_.daemon().image().ImageStatus(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // A running container of `image` to look into with Exec.
  std::string Start(const std::string& name, const std::string& image) {
    runtime::v1::ContainerConfig config = Config(name, {"sleep", "1000"});
    config.mutable_image()->set_image(image);
    return CreateAndStart(config);
  }

  std::string Sha256Of(const std::filesystem::path& file) {
    RunResult sum = crio::testing::Run({"sha256sum", file.string()});
    EXPECT_EQ(sum.exit_code, 0) << sum.output;
    return "sha256:" + sum.output.substr(0, 64);
  }

  TempDir files_;
};

// Three layers: a whiteout removes a file and another a whole directory of a lower layer, an
// opaque directory keeps only its own layer's content (its marker comes after that content in
// the tar), a file changed twice shows the last change, one deleted and then added back is there.
TEST_F(ImageFixturesTest, WhiteoutsDeleteReplaceAndChangeLowerLayers) {
  Push("oci:" + (kFixtures / "whiteouts-oci").string() + ":latest", "whiteouts", "1");
  std::string image = Host() + "/whiteouts:1";
  grpc::Status pulled = Pull(image);
  ASSERT_TRUE(pulled.ok()) << pulled.error_message() << node_.daemon().Log();

  std::string id = Start("whiteouts", image);
  EXPECT_EQ(Exec(id, {"ls", "-A", "/data"}).stdout(), "changed.txt\nkept.txt\nrevived.txt\n");
  EXPECT_EQ(Exec(id, {"cat", "/data/kept.txt", "/data/changed.txt", "/data/revived.txt"}).stdout(),
            "1\n3\n3\n");
  EXPECT_EQ(Exec(id, {"ls", "-A", "/opaque"}).stdout(), "new.txt\n");
  EXPECT_EQ(Exec(id, {"cat", "/opaque/new.txt"}).stdout(), "2\n");
  EXPECT_EQ(Exec(id, {"test", "-e", "/data/deleted.txt"}).exit_code(), 1);
  EXPECT_EQ(Exec(id, {"test", "-e", "/gone"}).exit_code(), 1);
  // Whiteouts are overlay's business: none shows as a file, and the image's files are intact.
  EXPECT_EQ(Exec(id, {"find", "/", "-xdev", "-name", ".wh.*"}).stdout(), "");
  EXPECT_EQ(Exec(id, {"sh", "-c", "echo busybox works"}).stdout(), "busybox works\n");
}

// The pull picks this machine's linux entry of an index that also offers other architectures, a
// variant and a windows image of this very architecture (listed before the linux one).
TEST_F(ImageFixturesTest, MultiPlatformIndexesPickThisMachine) {
  struct Case {
    std::string source;
    std::string repository;
    std::string index_type;
    std::string format;  // the content of /format in the image
  };
  const std::vector<Case> cases = {
      {"oci:" + (kFixtures / "multiarch-oci").string() + ":latest", "multiarch-oci",
       "application/vnd.oci.image.index.v1+json", "oci"},
      {"dir:" + (kFixtures / "multiarch-docker").string(), "multiarch-docker",
       "application/vnd.docker.distribution.manifest.list.v2+json", "docker"},
  };
  const std::string platform = StrCat("linux/", HostArchitecture());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.repository);
    std::string index_digest = Push(c.source, c.repository, "1", {"--all"});
    std::string image = StrCat(Host(), "/", c.repository, ":1");
    auto served = nlohmann::json::parse(Served(image));
    ASSERT_EQ(served.value("mediaType", ""), c.index_type);
    ASSERT_GE(served["manifests"].size(), 4u);

    std::string image_ref;
    grpc::Status pulled = Pull(image, &image_ref);
    ASSERT_TRUE(pulled.ok()) << pulled.error_message() << node_.daemon().Log();
    runtime::v1::ImageStatusResponse status = ImageStatus(image);
    ASSERT_TRUE(status.has_image());
    EXPECT_EQ(status.image().id(), image_ref);
    auto config = nlohmann::json::parse(status.info().at("info"))["imageConfig"];
    EXPECT_EQ(config["os"], "linux");
    EXPECT_EQ(config["architecture"], HostArchitecture());
    // The digest the name was pulled by: the index's, as the kubelet sees it.
    EXPECT_THAT(status.image().repo_digests(),
                Contains(StrCat(Host(), "/", c.repository, "@", index_digest)));

    EXPECT_THAT(config["config"]["Env"], Contains(StrCat("FORMAT=", c.format)));

    std::string id = Start(c.repository, image);
    EXPECT_EQ(Exec(id, {"cat", "/platform", "/format"}).stdout(),
              StrCat(platform, "\n", c.format, "\n"));
  }
}

// An index without this machine's linux entry: the pull fails naming what is offered, and stores
// nothing.
TEST_F(ImageFixturesTest, IndexWithoutThisPlatformFailsListingTheOffered) {
  Push("oci:" + (kFixtures / "multiarch-oci").string() + ":foreign", "foreign", "1", {"--all"});
  std::string image = Host() + "/foreign:1";
  grpc::Status pulled = Pull(image);
  ASSERT_FALSE(pulled.ok());
  EXPECT_THAT(pulled.error_message(), HasSubstr(StrCat("linux/", HostArchitecture())));
  for (const std::string& offered :
       {std::string("linux/arm/v7"), StrCat("windows/", HostArchitecture())}) {
    EXPECT_THAT(pulled.error_message(), HasSubstr(offered));
  }
  for (const std::string& other : {"amd64", "arm64"}) {
    if (other != std::string(HostArchitecture())) {
      EXPECT_THAT(pulled.error_message(), HasSubstr(StrCat("linux/", other)));
    }
  }
  EXPECT_FALSE(ImageStatus(image).has_image());
}

// Layers of media type tar+zstd, served as such.
TEST_F(ImageFixturesTest, ZstdLayersPullAndRun) {
  Push("oci:" + (kFixtures / "zstd-oci").string() + ":latest", "zstd", "1");
  std::string image = Host() + "/zstd:1";
  auto served = nlohmann::json::parse(Served(image));
  ASSERT_EQ(served["layers"].size(), 2u);
  for (const auto& layer : served["layers"]) {
    EXPECT_EQ(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
  }
  grpc::Status pulled = Pull(image);
  ASSERT_TRUE(pulled.ok()) << pulled.error_message() << node_.daemon().Log();
  std::string id = Start("zstd", image);
  EXPECT_EQ(Exec(id, {"cat", "/marker", "/layer2"}).stdout(), "oci zstd\n2\n");
  EXPECT_EQ(Exec(id, {"sh", "-c", "echo busybox works"}).stdout(), "busybox works\n");
}

// A Docker schema 2 manifest with Docker config and layer types, served byte for byte as built:
// the image's repo digest is that manifest's digest.
TEST_F(ImageFixturesTest, DockerSchema2PullsRunsAndKeepsItsDigest) {
  std::filesystem::path fixture = kFixtures / "schema2-docker";
  std::string manifest_digest = Sha256Of(fixture / "manifest.json");
  EXPECT_EQ(Push("dir:" + fixture.string(), "schema2", "1"), manifest_digest);
  std::string image = Host() + "/schema2:1";
  std::string served = Served(image);
  ASSERT_EQ(served, ReadAll(fixture / "manifest.json"));
  auto manifest = nlohmann::json::parse(served);
  ASSERT_EQ(manifest["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
  ASSERT_EQ(manifest["config"]["mediaType"], "application/vnd.docker.container.image.v1+json");
  ASSERT_EQ(manifest["layers"][0]["mediaType"],
            "application/vnd.docker.image.rootfs.diff.tar.gzip");

  std::string image_ref;
  grpc::Status pulled = Pull(image, &image_ref);
  ASSERT_TRUE(pulled.ok()) << pulled.error_message() << node_.daemon().Log();
  runtime::v1::ImageStatusResponse status = ImageStatus(image);
  ASSERT_TRUE(status.has_image());
  EXPECT_THAT(status.image().repo_digests(),
              Contains(StrCat(Host(), "/schema2@", manifest_digest)));
  EXPECT_EQ(image_ref, manifest["config"]["digest"].get<std::string>().substr(7));
  std::string id = Start("schema2", image);
  EXPECT_EQ(Exec(id, {"cat", "/marker", "/layer2"}).stdout(), "docker gzip\n2\n");
}

// Docker schema 1 (signed, as docker-registry serves it with its schema1 compatibility on):
// refused with a clear error, nothing stored.
TEST_F(ImageFixturesTest, DockerSchema1IsRefused) {
  // The node's registry refuses schema 1 pushes; this one accepts them.
  int port = FreeLoopbackPort();
  std::string host = StrCat("127.0.0.1:", port);
  std::filesystem::path config = files_.Write(
      "schema1.yml", StrCat("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                            "    rootdirectory: ",
                            (files_.path() / "schema1-data").string(), "\nhttp:\n  addr: ", host,
                            "\ncompatibility:\n  schema1:\n    enabled: true\n"));
  Process registry({"/usr/bin/docker-registry", "serve", config.string()},
                   files_.path() / "schema1.log");
  ASSERT_TRUE(Eventually([&] { return LoopbackAccepts(port); })) << registry.Output();

  // skopeo converts to schema 1 as it pushes (and signs with a throwaway key).
  Push(StrCat("oci:", BUSYBOX_OCI, ":latest"), "old", "1", {"--format", "v2s1"}, host);
  auto served = nlohmann::json::parse(Served(host + "/old:1"));
  ASSERT_EQ(served.value("schemaVersion", 0), 1);

  // The daemon is told (registries.conf and SIGHUP) to reach this registry over plain HTTP too.
  node_.dir().Write("registries.conf", StrCat("[[registry]]\nlocation = \"", Host(),
                                              "\"\ninsecure = true\n[[registry]]\nlocation = \"",
                                              host, "\"\ninsecure = true\n"));
  node_.daemon().process().Signal(SIGHUP);
  grpc::Status pulled;
  // Until the reload, the pull fails on TLS instead.
  EXPECT_TRUE(Eventually(
      [&] {
        pulled = Pull(host + "/old:1");
        return pulled.error_message().find("schema 1") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << pulled.error_message();
  ASSERT_FALSE(pulled.ok());
  EXPECT_THAT(pulled.error_message(), HasSubstr("schema 1"));
  EXPECT_THAT(pulled.error_message(), HasSubstr("not supported"));
  EXPECT_FALSE(ImageStatus(host + "/old:1").has_image());
}

}  // namespace
}  // namespace crio::testing
