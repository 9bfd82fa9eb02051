#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace crio::storage {

// Where a layer's bytes come from (compressed or not), read as extraction needs them, so a pull
// can stream from the network without a temporary copy.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to `size` bytes; 0 at the end of the stream.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;
};

// Reads a file descriptor (a file or a pipe) that the caller keeps open.
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override;

 private:
  int fd_;
};

struct ApplyOptions {
  // Largest uncompressed size accepted (a bound on decompression bombs); 0 means no bound.
  uint64_t max_uncompressed_size = 0;
  // Sees every byte of the uncompressed tar stream, in order (for the tar-split record).
  std::function<void(std::string_view)> on_tar_bytes;
};

struct AppliedLayer {
  std::string compression;        // "gzip", "zstd" or "none", detected from the stream
  std::string compressed_digest;  // "sha256:..." of the bytes read
  uint64_t compressed_size = 0;
  std::string diff_id;  // "sha256:..." of the uncompressed tar: the layer's DiffID
  uint64_t uncompressed_size = 0;
  std::vector<uint32_t> uids;  // sorted owners of the entries, whiteouts excepted
  std::vector<uint32_t> gids;
};

// Extracts an OCI/Docker layer (a tar stream, gzip- or zstd-compressed or plain) into `target`,
// an existing empty directory that becomes the layer's diff: regular files, directories,
// symlinks, hard links, devices, FIFOs with their owners, modes (setuid/setgid/sticky too),
// xattrs and times. Whiteouts become what overlayfs understands: `.wh.NAME` a 0/0 character
// device NAME, `.wh..wh..opq` the trusted.overlay.opaque=y xattr on its directory.
//
// Nothing is created or written outside `target`: an entry whose path is absolute or climbs out
// with "..", or that reaches out through a symlink or names a hard-link target outside, rejects
// the whole layer. On any error `target` is emptied again and the error names the entry.
absl::StatusOr<AppliedLayer> ApplyLayer(ByteSource& source, const std::filesystem::path& target,
                                        const ApplyOptions& options = {});

}  // namespace crio::storage
