// Layer extraction on a real filesystem, from tar streams built here with libarchive.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <fstream>
#include <sstream>

#include "crio/storage/layer_apply.h"

namespace crio::storage {
namespace {

using ::testing::HasSubstr;

// Builds a tar stream in memory.
class TarBuilder {
 public:
  TarBuilder() : archive_(archive_write_new()) {
    archive_write_set_format_pax_restricted(archive_);
    archive_write_set_bytes_in_last_block(archive_, 1);
    archive_write_open(archive_, this, nullptr, &TarBuilder::Write, nullptr);
  }
  ~TarBuilder() { archive_write_free(archive_); }

  TarBuilder& File(const std::string& path, const std::string& content, mode_t mode = 0644,
                   uid_t uid = 0, gid_t gid = 0, time_t mtime = 1600000000) {
    archive_entry* entry = NewEntry(path, AE_IFREG, mode, uid, gid, mtime);
    archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
    for (const auto& [name, value] : pending_xattrs_) {
      archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
    }
    pending_xattrs_.clear();
    archive_write_header(archive_, entry);
    archive_write_data(archive_, content.data(), content.size());
    archive_entry_free(entry);
    return *this;
  }
  TarBuilder& Xattr(const std::string& name, const std::string& value) {
    pending_xattrs_.emplace_back(name, value);
    return *this;
  }
  TarBuilder& Dir(const std::string& path, mode_t mode = 0755, time_t mtime = 1600000000) {
    return Simple(NewEntry(path, AE_IFDIR, mode, 0, 0, mtime));
  }
  TarBuilder& Symlink(const std::string& path, const std::string& target) {
    archive_entry* entry = NewEntry(path, AE_IFLNK, 0777, 0, 0, 1600000000);
    archive_entry_set_symlink(entry, target.c_str());
    return Simple(entry);
  }
  TarBuilder& Hardlink(const std::string& path, const std::string& target) {
    archive_entry* entry = NewEntry(path, AE_IFREG, 0644, 0, 0, 1600000000);
    archive_entry_set_hardlink(entry, target.c_str());
    archive_entry_set_size(entry, 0);
    return Simple(entry);
  }
  TarBuilder& Device(const std::string& path, mode_t type, int major, int minor) {
    archive_entry* entry = NewEntry(path, type, 0600, 0, 0, 1600000000);
    archive_entry_set_rdevmajor(entry, major);
    archive_entry_set_rdevminor(entry, minor);
    return Simple(entry);
  }
  std::string Finish() {
    archive_write_close(archive_);
    return data_;
  }

 private:
  static la_ssize_t Write(struct archive*, void* self, const void* buffer, size_t size) {
    static_cast<TarBuilder*>(self)->data_.append(static_cast<const char*>(buffer), size);
    return static_cast<la_ssize_t>(size);
  }
  archive_entry* NewEntry(const std::string& path, mode_t type, mode_t mode, uid_t uid, gid_t gid,
                          time_t mtime) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, mode);
    archive_entry_set_uid(entry, uid);
    archive_entry_set_gid(entry, gid);
    archive_entry_set_mtime(entry, mtime, 0);
    return entry;
  }
  TarBuilder& Simple(archive_entry* entry) {
    archive_write_header(archive_, entry);
    archive_entry_free(entry);
    return *this;
  }

  struct archive* archive_;
  std::string data_;
  std::vector<std::pair<std::string, std::string>> pending_xattrs_;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data, size_t chunk = 7000)
      : data_(std::move(data)), chunk_(chunk) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    size_t n = std::min({size, chunk_, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string out = "sha256:";
  char hex[3];
  for (unsigned char byte : digest) {
    std::snprintf(hex, sizeof(hex), "%02x", byte);
    out += hex;
  }
  return out;
}

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

class LayerApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = "/tmp/crio-layer-XXXXXX";
    base_ = ::mkdtemp(templ.data());
    target_ = base_ / "diff";
    std::filesystem::create_directories(target_);
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  absl::StatusOr<AppliedLayer> Apply(const std::string& stream, ApplyOptions options = {}) {
    StringSource source(stream);
    return ApplyLayer(source, target_, options);
  }
  bool TargetIsEmpty() const { return std::filesystem::is_empty(target_); }
  // Everything in base_ other than the target: what an escape would have created.
  std::vector<std::string> Outside() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(base_)) {
      if (entry.path() != target_) names.push_back(entry.path().filename());
    }
    return names;
  }

  std::filesystem::path base_;
  std::filesystem::path target_;
};

TEST_F(LayerApplyTest, ExtractsEveryKindOfEntryWithItsMetadata) {
  std::string tar =
      TarBuilder()
          .Dir("etc", 0755)
          .File("etc/hello", "hello\n", 0640, 1000, 2000, 1234567890)
          .File("bin/suid", "#!/bin/sh\n", 04755)
          .Dir("tmp", 01777)
          .Symlink("etc/link", "hello")
          .Hardlink("other/hard", "etc/hello")
          .Device("dev/null", AE_IFCHR, 1, 3)
          .Device("run/fifo", AE_IFIFO, 0, 0)
          .Xattr("user.note", "kept")
          .Xattr("security.capability", std::string("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00"
                                                    "\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                                                    20))
          .File("bin/ping", "ping")
          .Finish();
  absl::StatusOr<AppliedLayer> applied = Apply(tar);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->compression, "none");
  EXPECT_EQ(applied->diff_id, Sha256Hex(tar));
  EXPECT_EQ(applied->compressed_digest, applied->diff_id);
  EXPECT_EQ(applied->uncompressed_size, tar.size());

  struct stat st {};
  ASSERT_EQ(::lstat((target_ / "etc/hello").c_str(), &st), 0);
  EXPECT_EQ(ReadAll(target_ / "etc/hello"), "hello\n");
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 2000u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_nlink, 2u);  // and other/hard
  ASSERT_EQ(::lstat((target_ / "other/hard").c_str(), &st), 0);
  EXPECT_EQ(ReadAll(target_ / "other/hard"), "hello\n");

  ASSERT_EQ(::lstat((target_ / "bin/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  ASSERT_EQ(::lstat((target_ / "tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);  // set after its children were created
  EXPECT_EQ(std::filesystem::read_symlink(target_ / "etc/link"), "hello");
  ASSERT_EQ(::lstat((target_ / "dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  ASSERT_EQ(::lstat((target_ / "run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));

  char value[64] = {};
  EXPECT_EQ(::getxattr((target_ / "bin/ping").c_str(), "user.note", value, sizeof(value)), 4);
  EXPECT_STREQ(value, "kept");
  EXPECT_EQ(::getxattr((target_ / "bin/ping").c_str(), "security.capability", value, sizeof(value)),
            20);
}

TEST_F(LayerApplyTest, WhiteoutsBecomeOverlayWhiteouts) {
  std::string tar = TarBuilder()
                        .Dir("etc")
                        .File("etc/.wh.removed", "")
                        .Dir("var/cache")
                        .File("var/cache/.wh..wh..opq", "")
                        .File("var/cache/new", "x")
                        .File(".wh..wh.plnk", "")
                        .Finish();
  ASSERT_TRUE(Apply(tar).ok());
  struct stat st {};
  ASSERT_EQ(::lstat((target_ / "etc/removed").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(std::filesystem::exists(target_ / "etc/.wh.removed"));
  char value[4] = {};
  EXPECT_EQ(
      ::getxattr((target_ / "var/cache").c_str(), "trusted.overlay.opaque", value, sizeof(value)),
      1);
  EXPECT_EQ(value[0], 'y');
  EXPECT_EQ(ReadAll(target_ / "var/cache/new"), "x");
  EXPECT_FALSE(std::filesystem::exists(target_ / ".wh..wh.plnk"));
}

TEST_F(LayerApplyTest, CompressedStreamsGiveTheSameDiffId) {
  std::string tar = TarBuilder().File("a", std::string(300000, 'z')).File("b", "b").Finish();
  for (const auto& [name, stream] :
       std::vector<std::pair<std::string, std::string>>{{"gzip", Gzip(tar)}, {"zstd", Zstd(tar)}}) {
    std::filesystem::remove_all(target_);
    std::filesystem::create_directories(target_);
    absl::StatusOr<AppliedLayer> applied = Apply(stream);
    ASSERT_TRUE(applied.ok()) << name << ": " << applied.status();
    EXPECT_EQ(applied->compression, name);
    EXPECT_EQ(applied->diff_id, Sha256Hex(tar));
    EXPECT_EQ(applied->uncompressed_size, tar.size());
    EXPECT_EQ(applied->compressed_digest, Sha256Hex(stream));
    EXPECT_EQ(applied->compressed_size, stream.size());
    EXPECT_EQ(ReadAll(target_ / "a"), std::string(300000, 'z'));
  }
}

TEST_F(LayerApplyTest, LaterEntriesReplaceEarlierOnes) {
  std::string tar = TarBuilder()
                        .File("x", "first")
                        .File("x", "second")
                        .Dir("d")
                        .File("d/inner", "i")
                        .File("d", "now a file")
                        .Finish();
  absl::StatusOr<AppliedLayer> applied = Apply(tar);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(ReadAll(target_ / "x"), "second");
  EXPECT_EQ(ReadAll(target_ / "d"), "now a file");
}

TEST_F(LayerApplyTest, RejectsDotDotEscapes) {
  absl::Status status =
      Apply(TarBuilder().File("ok", "1").File("a/../../escape", "x").Finish()).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"a/../../escape\""));
  EXPECT_THAT(std::string(status.message()), HasSubstr("would leave the layer"));
  EXPECT_TRUE(TargetIsEmpty());
  EXPECT_TRUE(Outside().empty());
}

TEST_F(LayerApplyTest, RejectsAbsolutePaths) {
  absl::Status status = Apply(TarBuilder().File((base_ / "abs").string(), "x").Finish()).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("absolute paths are not allowed"));
  EXPECT_TRUE(TargetIsEmpty());
  EXPECT_TRUE(Outside().empty());
}

TEST_F(LayerApplyTest, RejectsWritingThroughASymlinkThatLeaves) {
  for (const std::string& link_target : {base_.string(), std::string("../..")}) {
    absl::Status status =
        Apply(TarBuilder().Symlink("link", link_target).File("link/escape", "x").Finish()).status();
    EXPECT_FALSE(status.ok()) << link_target;
    EXPECT_THAT(std::string(status.message()), HasSubstr("\"link/escape\"")) << link_target;
    EXPECT_TRUE(TargetIsEmpty());
    EXPECT_TRUE(Outside().empty());
  }
}

TEST_F(LayerApplyTest, RejectsHardLinksToOutsideFiles) {
  std::ofstream(base_ / "secret") << "secret";
  absl::Status status = Apply(TarBuilder().Hardlink("stolen", "../secret").Finish()).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"stolen\""));
  // Through a symlink planted earlier in the same layer.
  status =
      Apply(TarBuilder().Symlink("up", "..").Hardlink("stolen", "up/secret").Finish()).status();
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(TargetIsEmpty());
  struct stat st {};
  ASSERT_EQ(::stat((base_ / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(LayerApplyTest, StopsADecompressionBomb) {
  std::string tar = TarBuilder().File("big", std::string(1 << 20, '\0')).Finish();
  absl::Status status = Apply(Gzip(tar), {.max_uncompressed_size = 64 * 1024}).status();
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_TRUE(TargetIsEmpty());
}

TEST_F(LayerApplyTest, CorruptStreamsFailCleanly) {
  std::string gz = Gzip(TarBuilder().File("a", std::string(100000, 'q')).Finish());
  gz.resize(gz.size() / 2);
  EXPECT_FALSE(Apply(gz).ok());
  EXPECT_TRUE(TargetIsEmpty());
  EXPECT_FALSE(Apply("this is not a tar stream at all, not even close............").ok());
}

}  // namespace
}  // namespace crio::storage
