// Pulling from a real registry (Debian's docker-registry on loopback) into the store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/image/puller.h"
#include "process.h"
#include "registry.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

class ImagePullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = std::make_unique<LocalRegistry>();
    digest_ = registry_->PushBusybox("library/busybox", "1");
  }
  static void TearDownTestSuite() { registry_.reset(); }

  void SetUp() override {
    options_.root = dir_.path() / "root";
    options_.runroot = dir_.path() / "runroot";
    store_ = std::move(*storage::Store::Open(options_));
  }
  void TearDown() override {
    EXPECT_TRUE(store_->Shutdown().ok());
    EXPECT_EQ(UnmountAllBelow(dir_.path()), 0);
  }

  image::Puller MakePuller(
      const std::string& registries_toml,
      const std::string& policy = R"({"default":[{"type":"insecureAcceptAnything"}]})") {
    image::RegistriesConf conf;
    EXPECT_TRUE(image::MergeRegistriesToml(registries_toml, "registries.conf", conf).ok());
    return image::Puller(*store_, conf, *image::Policy::Parse(policy, "policy.json"));
  }
  std::string InsecureLocal() const {
    return "[[registry]]\nlocation = \"" + registry_->host() + "\"\ninsecure = true\n";
  }

  static std::unique_ptr<LocalRegistry> registry_;
  static std::string digest_;
  TempDir dir_;
  storage::StoreOptions options_;
  std::unique_ptr<storage::Store> store_;
};

std::unique_ptr<LocalRegistry> ImagePullTest::registry_;
std::string ImagePullTest::digest_;

TEST_F(ImagePullTest, PullsByTagIntoARunnableImage) {
  image::Puller puller = MakePuller(InsecureLocal());
  std::string name = registry_->host() + "/library/busybox:1";
  absl::StatusOr<std::string> id = puller.Pull(name);
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
  EXPECT_EQ(*puller.Pull(name), *id);
}

TEST_F(ImagePullTest, PullsByDigestAndThroughAMirror) {
  // The registry is only reachable as a mirror of a name that does not resolve.
  image::Puller puller = MakePuller(
      "[[registry]]\nprefix = \"unreachable.invalid\"\n"
      "[[registry.mirror]]\nlocation = \"" +
      registry_->host() + "\"\ninsecure = true\n");
  absl::StatusOr<std::string> id = puller.Pull("unreachable.invalid/library/busybox@" + digest_);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(store_->images().Get("unreachable.invalid/library/busybox@" + digest_).ok());
}

TEST_F(ImagePullTest, ErrorsSayWhatWentWrong) {
  image::Puller puller =
      MakePuller(InsecureLocal() + "[[registry]]\nlocation = \"blocked.test\"\nblocked = true\n");
  absl::StatusOr<std::string> missing = puller.Pull(registry_->host() + "/library/nothere:1");
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("not found"));
  EXPECT_THAT(std::string(puller.Pull("blocked.test/x:1").status().message()),
              HasSubstr("is blocked"));
  image::Puller rejecting = MakePuller(InsecureLocal(), R"({"default":[{"type":"reject"}]})");
  EXPECT_TRUE(
      absl::IsPermissionDenied(rejecting.Pull(registry_->host() + "/library/busybox:1").status()));
  EXPECT_TRUE(store_->images().List()->empty());
  EXPECT_TRUE(store_->layers().List()->empty());
}

}  // namespace
}  // namespace crio::testing
