// The store as a whole: containers on images, image removal rules, disk usage, consistency
// checks and a writer killed halfway, with podman's storage library (containers-storage,
// skopeo) opening the same store.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <fstream>
#include <sstream>

#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"
#include "crio/storage/store.h"
#include "process.h"
#include "storage_tools.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.root = dir_.path() / "root";
    options_.runroot = dir_.path() / "runroot";
    auto store = storage::Store::Open(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void TearDown() override {
    if (store_ != nullptr) EXPECT_TRUE(store_->Shutdown().ok());
    EXPECT_EQ(UnmountAllBelow(dir_.path()), 0) << "mounts were left behind";
  }

  absl::StatusOr<CommandResult> Tool(std::vector<std::string> args) {
    return RunCommand(ContainersStorageCommand(options_.root, options_.runroot, std::move(args)),
                      {}, absl::Seconds(60));
  }

  void PullBusybox(const std::string& name) {
    absl::StatusOr<CommandResult> copied =
        RunCommand({"skopeo", "copy", "-q", "oci:" + std::string(BUSYBOX_OCI) + ":latest",
                    "containers-storage:[overlay@" + options_.root.string() + "+" +
                        options_.runroot.string() + "]" + name},
                   {}, absl::Seconds(120));
    ASSERT_EQ(copied->exit_code, 0) << copied->err;
  }

  TempDir dir_;
  storage::StoreOptions options_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(StoreTest, ContainerLifecycleOnAnImage) {
  PullBusybox("localhost/busybox:1");
  absl::StatusOr<storage::ContainerRecord> container =
      store_->CreateContainer("", {"web"}, "localhost/busybox:1", R"({"pod-name":"p"})");
  ASSERT_TRUE(container.ok()) << container.status();
  EXPECT_EQ(container->image, store_->images().Get("localhost/busybox:1")->id);
  EXPECT_THAT(Tool({"containers"})->out, HasSubstr(container->id));
  EXPECT_TRUE(absl::IsAlreadyExists(
      store_->CreateContainer("", {"web"}, "localhost/busybox:1", "").status()));

  absl::StatusOr<std::filesystem::path> rootfs = store_->MountContainer(container->id);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status();
  EXPECT_EQ(
      RunCommand({"chroot", rootfs->string(), "/bin/sh", "-c", "echo written > /tmp/f; cat /tmp/f"})
          ->out,
      "written\n");
  absl::StatusOr<std::filesystem::path> userdata = store_->containers().Directory(container->id);
  absl::StatusOr<std::filesystem::path> rundata = store_->containers().RunDirectory(container->id);
  ASSERT_TRUE(userdata.ok() && rundata.ok());
  EXPECT_TRUE(std::filesystem::is_directory(*userdata));

  ASSERT_TRUE(store_->DeleteContainer(container->id).ok());
  EXPECT_FALSE(std::filesystem::exists(*userdata));
  EXPECT_FALSE(std::filesystem::exists(*rundata));
  EXPECT_TRUE(absl::IsNotFound(store_->layers().Get(container->layer).status()));
  EXPECT_EQ(Tool({"containers"})->out, "");
  EXPECT_THAT(*store_->Check(), IsEmpty());
}

TEST_F(StoreTest, RemoveImageUntagsThenRefusesWhileUsedThenDeletes) {
  PullBusybox("localhost/busybox:1");
  std::string image_id = store_->images().Get("localhost/busybox:1")->id;
  ASSERT_TRUE(store_->images().AddName(image_id, "localhost/busybox:2").ok());
  EXPECT_EQ(*store_->RemoveImage("localhost/busybox:2"), storage::Removal::kUntagged);
  EXPECT_EQ(store_->images().Get(image_id)->names, std::vector<std::string>{"localhost/busybox:1"});

  absl::StatusOr<storage::ContainerRecord> container =
      store_->CreateContainer("", {"user"}, image_id, "");
  ASSERT_TRUE(container.ok());
  absl::StatusOr<storage::Removal> refused = store_->RemoveImage("localhost/busybox:1");
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr(container->id));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("(user)"));

  ASSERT_TRUE(store_->DeleteContainer(container->id).ok());
  EXPECT_EQ(*store_->RemoveImage("localhost/busybox:1"), storage::Removal::kDeleted);
  EXPECT_TRUE(store_->images().List()->empty());
  EXPECT_TRUE(store_->layers().List()->empty());
  EXPECT_EQ(Tool({"images"})->exit_code, 0);
  EXPECT_THAT(*store_->Check(), IsEmpty());
}

TEST_F(StoreTest, MountImageIsReadOnlySharedAndCounted) {
  PullBusybox("localhost/busybox:1");
  EXPECT_TRUE(absl::IsNotFound(store_->MountImage("localhost/nothing:1").status()));
  absl::StatusOr<storage::ImageMount> first = store_->MountImage("localhost/busybox:1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->image_id, store_->images().Get("localhost/busybox:1")->id);
  EXPECT_TRUE(std::filesystem::exists(first->path / "bin/busybox"));
  // No upper: nothing can be written through it, and the layer stays as pulled.
  std::ofstream(first->path / "written");
  EXPECT_FALSE(std::filesystem::exists(first->path / "written"));
  EXPECT_FALSE(std::filesystem::exists(store_->layers().home() / first->layer_id / "diff/written"));
  absl::StatusOr<storage::ImageMount> second = store_->MountImage(first->image_id);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->path, first->path);
  EXPECT_EQ(*store_->layers().MountCount(first->layer_id), 2);

  // A mounted image cannot go; it can once every mount is given back.
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->RemoveImage(first->image_id).status()));
  ASSERT_TRUE(store_->layers().Unmount(first->layer_id).ok());
  EXPECT_TRUE(std::filesystem::exists(first->path / "bin/busybox"));
  ASSERT_TRUE(store_->layers().Unmount(first->layer_id).ok());
  EXPECT_EQ(*store_->layers().MountCount(first->layer_id), 0);
  EXPECT_FALSE(std::filesystem::exists(first->path / "bin/busybox"));
  EXPECT_EQ(*store_->RemoveImage(first->image_id), storage::Removal::kDeleted);
  EXPECT_THAT(*store_->Check(), IsEmpty());
}

TEST_F(StoreTest, DiskUsageSplitsImagesAndContainers) {
  storage::StoreUsage empty = *store_->DiskUsage();
  EXPECT_EQ(empty.images.bytes, 0u);
  PullBusybox("localhost/busybox:1");
  storage::StoreUsage pulled = *store_->DiskUsage();
  EXPECT_GT(pulled.images.bytes, 1000000u);  // busybox alone is over 1 MB
  EXPECT_GT(pulled.images.inodes, 100u);     // and hundreds of applet links
  absl::StatusOr<storage::ContainerRecord> container =
      store_->CreateContainer("", {"big"}, "localhost/busybox:1", "");
  ASSERT_TRUE(container.ok());
  absl::StatusOr<std::filesystem::path> rootfs = store_->MountContainer(container->id);
  ASSERT_TRUE(rootfs.ok());
  std::ofstream(*rootfs / "blob") << std::string(1 << 20, 'x');
  storage::StoreUsage written = *store_->DiskUsage();
  EXPECT_GE(written.containers.bytes, 1u << 20);
  EXPECT_EQ(written.images.bytes, pulled.images.bytes);
  ASSERT_TRUE(store_->DeleteContainer(container->id).ok());
}

TEST_F(StoreTest, CheckReportsRecordsAndFilesThatDisagree) {
  PullBusybox("localhost/busybox:1");
  EXPECT_THAT(*store_->Check(), IsEmpty());
  std::string top = store_->images().Get("localhost/busybox:1")->top_layer;
  std::filesystem::create_directories(store_->layers().home() / std::string(64, '9') / "diff");
  std::filesystem::rename(store_->layers().home() / top, store_->layers().home() / "moved-away");
  std::vector<std::string> problems = *store_->Check();
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("layer directory " + std::string(64, '9') +
                                                      " has no record")));
  EXPECT_THAT(
      problems,
      ::testing::Contains(HasSubstr("layer " + top + " is recorded but its directory is missing")));
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("points to no layer")));
  std::filesystem::rename(store_->layers().home() / "moved-away", store_->layers().home() / top);
}

TEST_F(StoreTest, RefusesAStoreWithVolatileRecordsItCannotRead) {
  store_->Shutdown().IgnoreError();
  store_.reset();
  std::ofstream(options_.root / "overlay-layers" / "volatile-layers.json") << "[]";
  absl::Status status = storage::Store::Open(options_).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("volatile records"));
}

TEST_F(StoreTest, AWriterKilledHalfwayLeavesAStoreEveryoneOpens) {
  ASSERT_TRUE(Reaper::Get().BecomeSubreaper().ok());
  nlohmann::json index =
      nlohmann::json::parse(ReadAll(std::filesystem::path(BUSYBOX_OCI) / "index.json"));
  std::string manifest_digest = index["manifests"][0]["digest"];
  nlohmann::json manifest = nlohmann::json::parse(
      ReadAll(std::filesystem::path(BUSYBOX_OCI) / "blobs" / "sha256" / manifest_digest.substr(7)));
  std::string blob = ReadAll(std::filesystem::path(BUSYBOX_OCI) / "blobs" / "sha256" /
                             manifest["layers"][0]["digest"].get<std::string>().substr(7));
  store_->layers().Shutdown().IgnoreError();
  store_.reset();

  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::string id(64, 'a');
  SpawnOptions spawn;
  spawn.argv = {STORAGE_WRITER, options_.root.string(), options_.runroot.string(), id};
  spawn.stdin_fd = read_end.get();
  absl::StatusOr<pid_t> writer = Spawn(spawn);
  ASSERT_TRUE(writer.ok()) << writer.status();
  read_end.Reset();
  // Half the layer, then the writer dies while the layer is flagged incomplete.
  ASSERT_EQ(::write(write_end.get(), blob.data(), blob.size() / 2),
            static_cast<ssize_t>(blob.size() / 2));
  ASSERT_TRUE(Eventually([&] {
    return ReadAll(options_.root / "overlay-layers" / "layers.json").find("incomplete") !=
           std::string::npos;
  }));
  ::kill(*writer, SIGKILL);
  EXPECT_EQ(Reaper::Get().Wait(*writer, absl::Seconds(10)), 128 + SIGKILL);
  write_end.Reset();

  // podman's library opens it (and, holding the write lock, drops the half-written layer)...
  absl::StatusOr<CommandResult> tool = Tool({"create-layer"});
  EXPECT_EQ(tool->exit_code, 0) << tool->err;
  absl::StatusOr<CommandResult> podman = RunCommand(
      PodmanCommand(options_.root, options_.runroot, dir_.path() / "podman-tmp", {"images"}), {},
      absl::Seconds(60));
  EXPECT_EQ(podman->exit_code, 0) << podman->err;
  // ...and so do we, with nothing inconsistent left.
  auto reopened = storage::Store::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  EXPECT_TRUE(absl::IsNotFound(store_->layers().Get(id).status()));
  EXPECT_FALSE(std::filesystem::exists(store_->layers().home() / id));
  EXPECT_THAT(*store_->Check(), IsEmpty());
}

}  // namespace
}  // namespace crio::testing
