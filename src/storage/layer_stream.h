#pragma once

#include <zlib.h>
#include <zstd.h>

#include <memory>
#include <string>
#include <vector>

#include "crio/common/encoding.h"
#include "crio/storage/layer_apply.h"

namespace crio::storage {

// Turns a layer's raw bytes into its uncompressed tar stream: detects gzip, zstd or none from the
// first bytes, digests and counts both sides, and enforces the size bound.
class LayerStream {
 public:
  LayerStream(ByteSource& source, uint64_t max_uncompressed_size,
              std::function<void(std::string_view)> on_tar_bytes = {});
  ~LayerStream();
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  // Up to `size` uncompressed bytes; 0 at the end.
  absl::StatusOr<size_t> Read(char* buffer, size_t size);
  // Reads and digests whatever the tar reader left after the end-of-archive blocks, so the
  // digests cover the whole stream.
  absl::Status Drain();
  AppliedLayer Finish();

 private:
  absl::StatusOr<size_t> ReadRaw(char* buffer, size_t size);
  absl::Status Detect();
  absl::StatusOr<size_t> Inflate(char* buffer, size_t size);

  enum class Kind { kUnknown, kNone, kGzip, kZstd };
  ByteSource& source_;
  uint64_t max_uncompressed_size_;
  std::function<void(std::string_view)> on_tar_bytes_;
  Kind kind_ = Kind::kUnknown;
  Sha256 raw_digest_;
  Sha256 tar_digest_;
  uint64_t raw_size_ = 0;
  uint64_t tar_size_ = 0;
  std::vector<char> input_;  // raw bytes read but not consumed yet
  size_t input_pos_ = 0;
  bool raw_eof_ = false;
  bool stream_end_ = false;  // the compressed stream said it is complete
  z_stream zlib_{};
  bool zlib_ready_ = false;
  ZSTD_DCtx* zstd_ = nullptr;
};

}  // namespace crio::storage
