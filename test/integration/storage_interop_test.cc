// Our reading of the store format and our lock files against Debian's containers-storage tool,
// which is the containers/storage 1.43 library podman 4.3 and skopeo 1.9 use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "crio/common/subprocess.h"
#include "crio/storage/layer_record.h"
#include "crio/storage/layer_store.h"
#include "crio/storage/lock_file.h"
#include "process.h"
#include "storage_tools.h"

namespace crio::testing {
namespace {

class StorageInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "root";
    runroot_ = dir_.path() / "runroot";
  }
  void TearDown() override {
    // The tool may leave overlay mounts; none may outlive the test.
    (void)RunCommand(ContainersStorageCommand(root_, runroot_, {"shutdown", "-f"}));
  }
  absl::StatusOr<CommandResult> Tool(std::vector<std::string> args,
                                     absl::Duration timeout = absl::Seconds(60)) {
    return RunCommand(ContainersStorageCommand(root_, runroot_, std::move(args)), {}, timeout);
  }

  TempDir dir_;
  std::filesystem::path root_;
  std::filesystem::path runroot_;
};

TEST_F(StorageInteropTest, ReadsALayerTheToolImported) {
  // A layer tar made by GNU tar from a small tree.
  std::filesystem::path tree = dir_.path() / "tree";
  std::filesystem::create_directories(tree / "etc");
  std::ofstream(tree / "etc" / "hello") << "hello\n";
  std::filesystem::path tar = dir_.path() / "layer.tar";
  ASSERT_EQ(
      RunCommand({"tar", "-C", tree.string(), "--owner=0", "--group=42", "-cf", tar.string(), "."})
          ->exit_code,
      0);
  std::string tar_bytes = ReadAll(tar);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(tar_bytes.data()), tar_bytes.size(), digest);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);

  absl::StatusOr<CommandResult> imported =
      Tool({"import-layer", "-n", "crio-test-layer", "-f", tar.string()});
  ASSERT_TRUE(imported.ok());
  ASSERT_EQ(imported->exit_code, 0) << imported->out << imported->err;

  absl::StatusOr<std::vector<storage::LayerRecord>> layers =
      storage::ParseLayers(ReadAll(root_ / "overlay-layers" / "layers.json"));
  ASSERT_TRUE(layers.ok()) << layers.status();
  ASSERT_EQ(layers->size(), 1u);
  const storage::LayerRecord& layer = layers->front();
  EXPECT_EQ(layer.id.size(), 64u);
  EXPECT_EQ(layer.names, std::vector<std::string>{"crio-test-layer"});
  EXPECT_EQ(layer.uncompressed_digest, std::string("sha256:") + hex);
  EXPECT_EQ(layer.uncompressed_size, static_cast<int64_t>(tar_bytes.size()));
  EXPECT_EQ(layer.gids, std::vector<uint32_t>{42});
  EXPECT_FALSE(layer.incomplete());
  EXPECT_FALSE(layer.created.empty());
  // Everything we parse we write back unchanged.
  EXPECT_EQ(storage::SerializeLayers(*layers), ReadAll(root_ / "overlay-layers" / "layers.json"));
  // The overlay side of the layer: its diff and its short link.
  std::string link = ReadAll(root_ / "overlay" / layer.id / "link");
  EXPECT_EQ(link.size(), 26u);
  EXPECT_EQ(ReadAll(root_ / "overlay" / layer.id / "diff" / "etc" / "hello"), "hello\n");
  EXPECT_EQ(std::filesystem::read_symlink(root_ / "overlay" / "l" / link),
            std::filesystem::path("../" + layer.id + "/diff"));
}

TEST_F(StorageInteropTest, LockFilesExcludeTheToolAndSignalChanges) {
  ASSERT_EQ(Tool({"layers"})->exit_code, 0);  // creates the store and its lock files
  absl::StatusOr<std::unique_ptr<storage::LockFile>> lock =
      storage::LockFile::Open(root_ / "overlay-layers" / "layers.lock");
  ASSERT_TRUE(lock.ok()) << lock.status();

  {
    storage::ExclusiveLock held(**lock);
    EXPECT_TRUE(*(*lock)->Modified());  // the first look always counts as a change
    EXPECT_FALSE(*(*lock)->Modified());
    // While we hold the lock the tool cannot create a layer: it waits (killed here at 2 s).
    absl::StatusOr<CommandResult> blocked = Tool({"create-layer"}, absl::Seconds(2));
    EXPECT_TRUE(absl::IsDeadlineExceeded(blocked.status())) << blocked.status();
    ASSERT_TRUE((*lock)->Touch().ok());
    EXPECT_FALSE(*(*lock)->Modified());  // our own write is not someone else's change
  }
  EXPECT_EQ(ReadAll(root_ / "overlay-layers" / "layers.lock").size(), 64u);

  // Once released the tool gets in, and its write shows up as a change to us.
  absl::StatusOr<CommandResult> created = Tool({"create-layer"});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->exit_code, 0) << created->err;
  storage::SharedLock reading(**lock);
  EXPECT_TRUE(*(*lock)->Modified());
}

// Our stores keep what they parsed for as long as the lock file's token is the one they saw last:
// the tool's writes must show up in an open store all the same, and ours in the tool.
TEST_F(StorageInteropTest, AnOpenStoreSeesTheToolsWritesThroughItsCache) {
  ASSERT_EQ(Tool({"layers"})->exit_code, 0);
  absl::StatusOr<std::unique_ptr<storage::LayerStore>> store =
      storage::LayerStore::Open({.root = root_, .runroot = runroot_});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->List().ok());
  EXPECT_TRUE((*store)->List()->empty());

  absl::StatusOr<CommandResult> created = Tool({"create-layer"});
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->exit_code, 0) << created->err;
  std::string tool_layer(absl::StripAsciiWhitespace(created->out));
  absl::StatusOr<std::vector<storage::LayerRecord>> seen = (*store)->List();
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ(seen->front().id, tool_layer);

  absl::StatusOr<storage::LayerRecord> ours = (*store)->CreateEmpty(tool_layer, {"ours"});
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_THAT(Tool({"layers"})->out, ::testing::HasSubstr(ours->id));

  // The token is the contract: a change to layers.json that comes without one is not looked at
  // (nothing that follows containers/storage's protocol writes that way)...
  {
    std::ofstream rewritten(root_ / "overlay-layers" / "layers.json", std::ios::trunc);
    rewritten << "[]";
  }
  EXPECT_EQ((*store)->List()->size(), 2u);
  // ...and the next write that comes with one is read whole.
  created = Tool({"create-layer"});
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->exit_code, 0) << created->err;
  seen = (*store)->List();
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ(seen->front().id, absl::StripAsciiWhitespace(created->out));
}

}  // namespace
}  // namespace crio::testing
