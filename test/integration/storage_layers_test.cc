// Our layer store against the real kernel overlayfs and against Debian's containers-storage tool
// (containers/storage 1.43, the library of podman 4.3 and skopeo 1.9), in both directions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"
#include "crio/storage/layer_store.h"
#include "process.h"
#include "storage_tools.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

// A tar-split record reduced to what rebuilding a tar uses: raw bytes are concatenated, file
// entries listed with name, size and checksum.
std::string Replay(const std::string& ndjson) {
  std::string out;
  std::istringstream lines(ndjson);
  std::string line;
  while (std::getline(lines, line)) {
    nlohmann::json entry = nlohmann::json::parse(line);
    std::string payload = entry["payload"].is_string() ? entry["payload"].get<std::string>() : "";
    if (entry["type"] == 2) {
      std::string decoded(payload.size(), '\0');
      int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                              reinterpret_cast<const unsigned char*>(payload.data()),
                              static_cast<int>(payload.size()));
      decoded.resize(static_cast<size_t>(std::max(n, 0)) -
                     std::count(payload.begin(), payload.end(), '='));
      out += decoded;
    } else {
      out += "\n[file " + entry["name"].get<std::string>() + " " +
             std::to_string(entry.value("size", 0)) + " " + payload + "]\n";
    }
  }
  return out;
}

class StorageLayersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.root = dir_.path() / "root";
    options_.runroot = dir_.path() / "runroot";
    auto store = storage::LayerStore::Open(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void TearDown() override {
    if (store_ != nullptr) EXPECT_TRUE(store_->Shutdown().ok());
    // Nothing may stay mounted below the test directory.
    EXPECT_EQ(UnmountAllBelow(dir_.path()), 0) << "mounts were left behind";
  }

  absl::StatusOr<CommandResult> Tool(std::vector<std::string> args) {
    args.insert(args.begin(), {"--storage-opt", "overlay.mountopt=nodev"});
    return RunCommand(ContainersStorageCommand(options_.root, options_.runroot, std::move(args)),
                      {}, absl::Seconds(60));
  }

  // A tar of a tree made by `make` (which fills the directory), through GNU tar, maybe gzipped.
  std::filesystem::path MakeTar(const std::string& name,
                                const std::function<void(const std::filesystem::path&)>& make,
                                bool gzip = false) {
    std::filesystem::path tree = dir_.path() / "trees" / name;
    std::filesystem::create_directories(tree);
    make(tree);
    std::filesystem::path tar = dir_.path() / (name + (gzip ? ".tar.gz" : ".tar"));
    EXPECT_EQ(RunCommand({"tar", gzip ? "-czf" : "-cf", tar.string(), "-C", tree.string(), "."})
                  ->exit_code,
              0);
    return tar;
  }

  absl::StatusOr<storage::LayerRecord> Import(const std::string& id, const std::string& parent,
                                              const std::filesystem::path& tar) {
    UniqueFd fd(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
    storage::FdSource source(fd.get());
    return store_->CreateFromStream(id, parent, source);
  }

  TempDir dir_;
  storage::StoreOptions options_;
  std::unique_ptr<storage::LayerStore> store_;
};

void Write(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

TEST_F(StorageLayersTest, OurLayersAreListedAndMountedByTheTool) {
  auto base_tar = MakeTar(
      "base",
      [](const auto& t) {
        Write(t / "etc" / "a", "a\n");
        Write(t / "etc" / "keep", "keep\n");
      },
      /*gzip=*/true);
  auto top_tar = MakeTar("top", [](const auto& t) {
    Write(t / "etc" / ".wh.a", "");
    Write(t / "etc" / "b", "b\n");
  });
  std::string base_id = storage::PulledLayerId("", "sha256:" + std::string(64, '1'));
  absl::StatusOr<storage::LayerRecord> base = Import(base_id, "", base_tar);
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(base->compression, storage::Compression::kGzip);
  EXPECT_EQ(base->compressed_size, static_cast<int64_t>(std::filesystem::file_size(base_tar)));
  std::string top_id = storage::PulledLayerId(base_id, "sha256:" + std::string(64, '2'));
  absl::StatusOr<storage::LayerRecord> top = Import(top_id, base_id, top_tar);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->uncompressed_size, static_cast<int64_t>(std::filesystem::file_size(top_tar)));

  absl::StatusOr<CommandResult> layers = Tool({"layers"});
  ASSERT_EQ(layers->exit_code, 0) << layers->err;
  EXPECT_THAT(layers->out, HasSubstr(base_id));
  EXPECT_THAT(layers->out, HasSubstr(top_id));

  // The tool mounts our top layer: the whiteout hides a, b is there, keep comes from below.
  absl::StatusOr<CommandResult> mounted = Tool({"mount", top_id});
  ASSERT_EQ(mounted->exit_code, 0) << mounted->err;
  std::string point = mounted->out.substr(0, mounted->out.find('\n'));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(point) / "etc" / "a"));
  EXPECT_EQ(ReadAll(std::filesystem::path(point) / "etc" / "b"), "b\n");
  EXPECT_EQ(ReadAll(std::filesystem::path(point) / "etc" / "keep"), "keep\n");
  EXPECT_EQ(Tool({"unmount", top_id})->exit_code, 0);

  // And so do we.
  absl::StatusOr<std::filesystem::path> ours = store_->Mount(top_id);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_FALSE(std::filesystem::exists(*ours / "etc" / "a"));
  EXPECT_EQ(ReadAll(*ours / "etc" / "keep"), "keep\n");
  EXPECT_THAT(ReadAll(options_.runroot / "overlay-layers" / "mountpoints.json"),
              HasSubstr("\"count\":1"));
  ASSERT_TRUE(store_->Unmount(top_id).ok());
}

TEST_F(StorageLayersTest, LayersTheToolImportedAreMountedByUs) {
  auto tar = MakeTar("tool", [](const auto& t) { Write(t / "from-tool", "yes\n"); });
  absl::StatusOr<CommandResult> imported =
      Tool({"import-layer", "-n", "tool-layer", "-f", tar.string()});
  ASSERT_EQ(imported->exit_code, 0) << imported->err;
  absl::StatusOr<storage::LayerRecord> layer = store_->Get("tool-layer");
  ASSERT_TRUE(layer.ok()) << layer.status();
  EXPECT_TRUE(store_->Get(layer->id.substr(0, 10)).ok());  // a unique prefix works too
  absl::StatusOr<std::filesystem::path> point = store_->Mount(layer->id);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(ReadAll(*point / "from-tool"), "yes\n");
  // Counted: a second mount needs a second unmount.
  ASSERT_TRUE(store_->Mount(layer->id).ok());
  ASSERT_TRUE(store_->Unmount(layer->id).ok());
  EXPECT_EQ(ReadAll(*point / "from-tool"), "yes\n");
  ASSERT_TRUE(store_->Unmount(layer->id).ok());
  EXPECT_FALSE(std::filesystem::exists(*point));
}

TEST_F(StorageLayersTest, ContainerLayerTakesTheWrites) {
  auto tar = MakeTar("image", [](const auto& t) { Write(t / "etc" / "conf", "image\n"); });
  std::string image_id = std::string(64, 'c');
  ASSERT_TRUE(Import(image_id, "", tar).ok());
  absl::StatusOr<storage::LayerRecord> container = store_->CreateEmpty(image_id, {"ctr-layer"});
  ASSERT_TRUE(container.ok()) << container.status();
  EXPECT_EQ(container->parent, image_id);
  absl::StatusOr<std::filesystem::path> rootfs = store_->Mount(container->id);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status();
  Write(*rootfs / "etc" / "conf", "changed\n");
  EXPECT_EQ(ReadAll(store_->home() / container->id / "diff" / "etc" / "conf"), "changed\n");
  EXPECT_EQ(ReadAll(store_->home() / image_id / "diff" / "etc" / "conf"), "image\n");
  // The tool sees the container layer with its name.
  EXPECT_THAT(Tool({"layers"})->out, HasSubstr("ctr-layer"));
  ASSERT_TRUE(store_->Unmount(container->id).ok());
}

TEST_F(StorageLayersTest, DeleteOnlyWhatNothingUses) {
  auto tar = MakeTar("d", [](const auto& t) { Write(t / "x", "x"); });
  std::string base_id = std::string(64, 'd');
  ASSERT_TRUE(Import(base_id, "", tar).ok());
  absl::StatusOr<storage::LayerRecord> child = store_->CreateEmpty(base_id, {});
  ASSERT_TRUE(child.ok());
  absl::Status status = store_->Delete(base_id);
  EXPECT_TRUE(absl::IsFailedPrecondition(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr(child->id));
  ASSERT_TRUE(store_->Mount(child->id).ok());
  EXPECT_THAT(std::string(store_->Delete(child->id).message()), HasSubstr("is mounted"));
  ASSERT_TRUE(store_->Unmount(child->id).ok());
  std::string link = ReadAll(store_->home() / base_id / "link");
  ASSERT_TRUE(store_->Delete(child->id).ok());
  ASSERT_TRUE(store_->Delete(base_id).ok());
  EXPECT_FALSE(std::filesystem::exists(store_->home() / base_id));
  EXPECT_FALSE(std::filesystem::exists(store_->home() / "l" / link));
  EXPECT_TRUE(store_->List()->empty());
  EXPECT_EQ(Tool({"layers"})->exit_code, 0);
}

TEST_F(StorageLayersTest, IncompleteLayersAreRemovedWhenTheStoreOpens) {
  auto tar = MakeTar("i", [](const auto& t) { Write(t / "i", "i"); });
  std::string id = std::string(64, 'e');
  ASSERT_TRUE(Import(id, "", tar).ok());
  // What a writer killed halfway leaves: the record flagged, the files partly there.
  std::string json = ReadAll(options_.root / "overlay-layers" / "layers.json");
  std::string flagged = json.substr(0, json.size() - 2) + R"(,"flags":{"incomplete":true}}])";
  std::ofstream(options_.root / "overlay-layers" / "layers.json") << flagged;
  store_.reset();
  auto reopened = storage::LayerStore::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  EXPECT_TRUE(store_->List()->empty());
  EXPECT_FALSE(std::filesystem::exists(options_.root / "overlay" / id));
  EXPECT_EQ(Tool({"layers"})->exit_code, 0);
}

TEST_F(StorageLayersTest, OpeningKeepsAHomeThatWasMadeSearchable) {
  auto mode = [&] {
    struct stat st {};
    EXPECT_EQ(::stat(store_->home().c_str(), &st), 0);
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(), 0700u);
  // What the first user-namespaced pod does to it; a restart keeps it, nothing more.
  ASSERT_EQ(::chmod(store_->home().c_str(), 0711), 0);
  EXPECT_TRUE(store_->Shutdown().ok());
  store_.reset();
  auto reopened = storage::LayerStore::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  EXPECT_EQ(mode(), 0711u);
  ASSERT_EQ(::chmod(store_->home().c_str(), 0755), 0);  // read bits are not ours to keep
  EXPECT_TRUE(store_->Shutdown().ok());
  store_.reset();
  reopened = storage::LayerStore::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  EXPECT_EQ(mode(), 0711u);
}

TEST_F(StorageLayersTest, TarSplitRecordIsTheOneContainersStorageWrites) {
  for (const std::string format : {"gnu", "pax"}) {
    std::filesystem::path tree = dir_.path() / ("ts-" + format);
    Write(tree / std::string(120, 'n') / "long-name-file", "long\n");
    Write(tree / "dir" / "empty", "");
    Write(tree / "odd-size", std::string(1000, 'o'));
    std::filesystem::create_symlink("odd-size", tree / "link");
    std::filesystem::path tar = dir_.path() / ("ts-" + format + ".tar");
    ASSERT_EQ(
        RunCommand({"tar", "--format=" + format, "-cf", tar.string(), "-C", tree.string(), "."})
            ->exit_code,
        0);

    absl::StatusOr<CommandResult> imported = Tool({"import-layer", "-f", tar.string()});
    ASSERT_EQ(imported->exit_code, 0) << imported->err;
    std::string theirs_id = imported->out.substr(0, 64);
    std::string ours_id = std::string(63, '0') + (format == "gnu" ? "1" : "2");
    ASSERT_TRUE(Import(ours_id, "", tar).ok());
    auto unzip = [&](const std::string& id) {
      return RunCommand({"gzip", "-dc",
                         (options_.root / "overlay-layers" / (id + ".tar-split.gz")).string()})
          ->out;
    };
    std::string theirs = unzip(theirs_id);
    ASSERT_FALSE(theirs.empty());
    // The same file entries, and the same raw bytes between them. (How the bytes after the end of
    // the archive are cut into segments depends on Go's read sizes and does not matter: they are
    // replayed in order.)
    EXPECT_EQ(Replay(unzip(ours_id)), Replay(theirs)) << format;
  }
}

TEST_F(StorageLayersTest, A128LayerChainMountsThroughShortLinks) {
  std::string parent;
  for (int i = 0; i < 127; ++i) {
    auto tar = MakeTar("l" + std::to_string(i), [i](const auto& t) {
      Write(t / "layers" / std::to_string(i), std::to_string(i));
    });
    std::string id =
        storage::PulledLayerId(parent, "sha256:" + std::string(63, 'f') + std::to_string(i % 10));
    absl::StatusOr<storage::LayerRecord> layer = Import(id, parent, tar);
    ASSERT_TRUE(layer.ok()) << i << ": " << layer.status();
    parent = id;
  }
  // The 128th layer, on top of 127 lowers: the option string no longer fits a page with absolute
  // paths.
  absl::StatusOr<storage::LayerRecord> top = store_->CreateEmpty(parent, {});
  ASSERT_TRUE(top.ok()) << top.status();
  absl::StatusOr<std::filesystem::path> point = store_->Mount(top->id);
  ASSERT_TRUE(point.ok()) << point.status();
  for (int i = 0; i < 127; ++i) {
    EXPECT_EQ(ReadAll(*point / "layers" / std::to_string(i)), std::to_string(i)) << i;
  }
  ASSERT_TRUE(store_->Unmount(top->id).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->CreateEmpty(top->id, {}).status()));
}

}  // namespace
}  // namespace crio::testing
