// Images shared with skopeo 1.9 (containers/image 5.23 on containers/storage 1.43), both ways.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"
#include "crio/storage/image_store.h"
#include "crio/storage/layer_store.h"
#include "process.h"
#include "storage_tools.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

std::filesystem::path Blob(const std::string& digest) {
  return std::filesystem::path(BUSYBOX_OCI) / "blobs" / "sha256" / digest.substr(7);
}

class StorageImagesTest : public ::testing::Test {
 protected:
  // podman's monitor daemonizes; as subreaper this process collects it instead of a late PID 1.
  static void SetUpTestSuite() { ASSERT_TRUE(Reaper::Get().BecomeSubreaper().ok()); }

  void SetUp() override {
    options_.root = dir_.path() / "root";
    options_.runroot = dir_.path() / "runroot";
    layers_ = std::move(*storage::LayerStore::Open(options_));
    images_ = std::move(*storage::ImageStore::Open(options_.root));
    nlohmann::json index =
        nlohmann::json::parse(ReadAll(std::filesystem::path(BUSYBOX_OCI) / "index.json"));
    manifest_digest_ = index["manifests"][0]["digest"];
    manifest_ = ReadAll(Blob(manifest_digest_));
    nlohmann::json manifest = nlohmann::json::parse(manifest_);
    config_digest_ = manifest["config"]["digest"];
    layer_digest_ = manifest["layers"][0]["digest"];
    config_ = ReadAll(Blob(config_digest_));
    diff_id_ = nlohmann::json::parse(config_)["rootfs"]["diff_ids"][0];
  }

  void TearDown() override {
    if (layers_ != nullptr) EXPECT_TRUE(layers_->Shutdown().ok());
    EXPECT_EQ(UnmountAllBelow(dir_.path()), 0) << "mounts were left behind";
  }

  // What a pull does, in containers/image's order: the layer from its blob, the image record,
  // its config and manifests as big data, then its name. Returns the image id.
  std::string StoreImageLikeAPull(const std::string& name) {
    UniqueFd blob(::open(Blob(layer_digest_).c_str(), O_RDONLY | O_CLOEXEC));
    storage::FdSource source(blob.get());
    absl::StatusOr<storage::LayerRecord> layer =
        layers_->CreateFromStream(storage::PulledLayerId("", diff_id_), "", source);
    EXPECT_TRUE(layer.ok()) << layer.status();
    if (!layer.ok()) return "";
    EXPECT_EQ(layer->uncompressed_digest, diff_id_);
    EXPECT_EQ(layer->compressed_digest, layer_digest_);
    std::string image_id = config_digest_.substr(7);
    EXPECT_TRUE(images_->Create(image_id, layer->id, "2020-09-13T12:26:40Z").ok());
    EXPECT_TRUE(images_->SetBigData(image_id, config_digest_, config_).ok());
    EXPECT_TRUE(images_->SetBigData(image_id, "manifest-" + manifest_digest_, manifest_).ok());
    EXPECT_TRUE(images_->SetBigData(image_id, "manifest", manifest_).ok());
    EXPECT_TRUE(images_->AddName(image_id, name).ok());
    return image_id;
  }

  std::string StoreRef(const std::string& name) const {
    return "containers-storage:[overlay@" + options_.root.string() + "+" +
           options_.runroot.string() + "]" + name;
  }

  TempDir dir_;
  storage::StoreOptions options_;
  std::unique_ptr<storage::LayerStore> layers_;
  std::unique_ptr<storage::ImageStore> images_;
  std::string manifest_digest_, manifest_, config_digest_, config_, layer_digest_, diff_id_;
};

TEST_F(StorageImagesTest, AnImageSkopeoStoredIsFoundAndRunnable) {
  absl::StatusOr<CommandResult> copied =
      RunCommand({"skopeo", "copy", "-q", "oci:" + std::string(BUSYBOX_OCI) + ":latest",
                  StoreRef("localhost/busybox:test")},
                 {}, absl::Seconds(120));
  ASSERT_EQ(copied->exit_code, 0) << copied->err;

  absl::StatusOr<storage::ImageRecord> image = images_->Get("localhost/busybox:test");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ("sha256:" + image->id, config_digest_);
  EXPECT_EQ(image->digest, manifest_digest_);
  EXPECT_EQ(images_->Get(manifest_digest_)->id, image->id);
  EXPECT_EQ(*images_->GetBigData(image->id, "manifest"), manifest_);
  EXPECT_EQ(*images_->GetBigData(image->id, config_digest_), config_);

  // The layer id is the one containers/image derives, and it carries the digests.
  absl::StatusOr<storage::LayerRecord> top = layers_->Get(image->top_layer);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->id, storage::PulledLayerId("", diff_id_));
  EXPECT_EQ(top->uncompressed_digest, diff_id_);
  EXPECT_EQ(top->compressed_digest, layer_digest_);

  // A container layer on it, mounted: busybox runs from it.
  absl::StatusOr<storage::LayerRecord> rw = layers_->CreateEmpty(top->id, {"test-ctr-layer"});
  ASSERT_TRUE(rw.ok()) << rw.status();
  absl::StatusOr<std::filesystem::path> rootfs = layers_->Mount(rw->id);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status();
  absl::StatusOr<CommandResult> ran =
      RunCommand({"chroot", rootfs->string(), "/bin/busybox", "echo", "from the image"});
  EXPECT_EQ(ran->out, "from the image\n");
  ASSERT_TRUE(layers_->Unmount(rw->id).ok());
  ASSERT_TRUE(layers_->Delete(rw->id).ok());
}

TEST_F(StorageImagesTest, AnImageWeStoreIsInspectedAndCopiedBySkopeo) {
  std::string image_id = StoreImageLikeAPull("localhost/ours:1");
  ASSERT_FALSE(HasFailure());
  EXPECT_TRUE(std::filesystem::exists(options_.root / "overlay-images" / image_id / "manifest"));

  absl::StatusOr<CommandResult> listed =
      RunCommand(ContainersStorageCommand(options_.root, options_.runroot, {"images"}));
  EXPECT_THAT(listed->out, HasSubstr("localhost/ours:1"));
  absl::StatusOr<CommandResult> inspected =
      RunCommand({"skopeo", "inspect", StoreRef("localhost/ours:1")}, {}, absl::Seconds(60));
  ASSERT_EQ(inspected->exit_code, 0) << inspected->err;
  nlohmann::json inspect = nlohmann::json::parse(inspected->out);
  EXPECT_EQ(inspect["Digest"], manifest_digest_);
  EXPECT_EQ(inspect["Layers"][0], layer_digest_);
  EXPECT_EQ(inspect["Os"], "linux");

  // skopeo reads the layer back out of our store, and gets the very same blob digests: our
  // tar-split record rebuilds the original tar from the layer's files.
  std::filesystem::path out = dir_.path() / "out";
  absl::StatusOr<CommandResult> exported = RunCommand(
      {"skopeo", "copy", "-q", StoreRef("localhost/ours:1"), "oci:" + out.string() + ":x"}, {},
      absl::Seconds(120));
  ASSERT_EQ(exported->exit_code, 0) << exported->err;
  nlohmann::json out_index = nlohmann::json::parse(ReadAll(out / "index.json"));
  nlohmann::json out_manifest = nlohmann::json::parse(ReadAll(
      out / "blobs" / "sha256" / out_index["manifests"][0]["digest"].get<std::string>().substr(7)));
  nlohmann::json out_config = nlohmann::json::parse(ReadAll(
      out / "blobs" / "sha256" / out_manifest["config"]["digest"].get<std::string>().substr(7)));
  EXPECT_EQ(out_config["rootfs"]["diff_ids"][0], diff_id_);
  (void)RunCommand(ContainersStorageCommand(options_.root, options_.runroot, {"shutdown", "-f"}));
}

TEST_F(StorageImagesTest, AnImageWeStoreRunsUnderPodman) {
  std::string image_id = StoreImageLikeAPull("localhost/ours:1");
  ASSERT_FALSE(HasFailure());

  std::vector<std::string> podman = PodmanCommand(
      options_.root, options_.runroot, dir_.path() / "podman-tmp",
      {"--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc"});
  std::vector<std::string> images = podman;
  images.insert(images.end(), {"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"});
  absl::StatusOr<CommandResult> listed = RunCommand(images, {}, absl::Seconds(60));
  ASSERT_EQ(listed->exit_code, 0) << listed->err;
  EXPECT_THAT(listed->out, HasSubstr("localhost/ours:1 " + image_id.substr(0, 12)));
  // Explicit limits: this host lacks CAP_SYS_RESOURCE, so podman's default (raise NOFILE to the
  // maximum) cannot be applied here, whatever the store.
  std::vector<std::string> run = podman;
  run.insert(run.end(),
             {"run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit",
              "nproc=1024:1024", "localhost/ours:1", "echo", "hello from our store"});
  absl::StatusOr<CommandResult> ran = RunCommand(run, {}, absl::Seconds(120));
  ASSERT_EQ(ran->exit_code, 0) << ran->err;
  EXPECT_EQ(ran->out, "hello from our store\n");
}

TEST_F(StorageImagesTest, NamesMoveBetweenImagesAndBigDataFileNames) {
  EXPECT_EQ(storage::BigDataFileName("manifest"), "manifest");
  EXPECT_EQ(storage::BigDataFileName("sha256:ab"), "=c2hhMjU2OmFi");
  ASSERT_TRUE(images_->Create(std::string(64, 'a'), "", "").ok());
  ASSERT_TRUE(images_->Create(std::string(64, 'b'), "", "").ok());
  ASSERT_TRUE(images_->AddName(std::string(64, 'a'), "example/x:1").ok());
  ASSERT_TRUE(images_->AddName(std::string(64, 'b'), "example/x:1").ok());
  EXPECT_TRUE(images_->Get(std::string(64, 'a'))->names.empty());
  EXPECT_EQ(images_->Get("example/x:1")->id, std::string(64, 'b'));
  EXPECT_EQ(images_->Get(std::string(64, 'a'))->names_history,
            std::vector<std::string>{"example/x:1"});
  ASSERT_TRUE(images_->Delete(std::string(64, 'a')).ok());
  EXPECT_TRUE(absl::IsNotFound(images_->Get(std::string(64, 'a')).status()));
}

}  // namespace
}  // namespace crio::testing
