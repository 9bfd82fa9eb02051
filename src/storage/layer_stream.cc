#include "layer_stream.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crio/common/strings.h"

namespace crio::storage {
namespace {

constexpr size_t kInputChunk = size_t{64} * 1024;

}  // namespace

absl::StatusOr<size_t> FdSource::Read(char* buffer, size_t size) {
  while (true) {
    ssize_t n = ::read(fd_, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return absl::InternalError(StrCat("read layer: ", std::strerror(errno)));
  }
}

LayerStream::LayerStream(ByteSource& source, uint64_t max_uncompressed_size,
                         std::function<void(std::string_view)> on_tar_bytes)
    : source_(source),
      max_uncompressed_size_(max_uncompressed_size),
      on_tar_bytes_(std::move(on_tar_bytes)) {}

LayerStream::~LayerStream() {
  if (zlib_ready_) inflateEnd(&zlib_);
  if (zstd_ != nullptr) ZSTD_freeDCtx(zstd_);
}

absl::StatusOr<size_t> LayerStream::ReadRaw(char* buffer, size_t size) {
  absl::StatusOr<size_t> n = source_.Read(buffer, size);
  if (!n.ok()) return n;
  raw_digest_.Update(buffer, *n);
  raw_size_ += *n;
  if (*n == 0) raw_eof_ = true;
  return n;
}

absl::Status LayerStream::Detect() {
  // Enough bytes to recognise a magic number.
  input_.resize(kInputChunk);
  size_t filled = 0;
  while (filled < 4 && !raw_eof_) {
    absl::StatusOr<size_t> n = ReadRaw(input_.data() + filled, input_.size() - filled);
    if (!n.ok()) return n.status();
    filled += *n;
  }
  input_.resize(filled);
  auto starts = [&](std::initializer_list<unsigned char> magic) {
    if (filled < magic.size()) return false;
    size_t i = 0;
    for (unsigned char byte : magic) {
      if (static_cast<unsigned char>(input_[i++]) != byte) return false;
    }
    return true;
  };
  if (starts({0x1f, 0x8b})) {
    kind_ = Kind::kGzip;
    // 16 + MAX_WBITS: expect a gzip header and trailer.
    if (inflateInit2(&zlib_, 16 + MAX_WBITS) != Z_OK)
      return absl::InternalError("inflateInit2 failed");
    zlib_ready_ = true;
  } else if (starts({0x28, 0xb5, 0x2f, 0xfd})) {
    kind_ = Kind::kZstd;
    zstd_ = ZSTD_createDCtx();
    if (zstd_ == nullptr) return absl::InternalError("ZSTD_createDCtx failed");
  } else {
    kind_ = Kind::kNone;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> LayerStream::Inflate(char* buffer, size_t size) {
  while (true) {
    if (input_pos_ == input_.size() && !raw_eof_) {
      input_.resize(kInputChunk);
      absl::StatusOr<size_t> n = ReadRaw(input_.data(), input_.size());
      if (!n.ok()) return n;
      input_.resize(*n);
      input_pos_ = 0;
    }
    size_t available = input_.size() - input_pos_;
    if (kind_ == Kind::kNone) {
      size_t n = std::min(available, size);
      std::memcpy(buffer, input_.data() + input_pos_, n);
      input_pos_ += n;
      if (n > 0 || raw_eof_) return n;
      continue;
    }
    if (stream_end_) {
      // Bytes after the end of a compressed stream: a concatenated gzip member starts again;
      // anything else is ignored.
      if (available == 0) return size_t{0};
      if (kind_ == Kind::kGzip && inflateReset(&zlib_) == Z_OK) {
        stream_end_ = false;
      } else {
        input_pos_ = input_.size();
        if (raw_eof_) return size_t{0};
        continue;
      }
    }
    size_t produced = 0;
    if (kind_ == Kind::kGzip) {
      zlib_.next_in = reinterpret_cast<Bytef*>(input_.data() + input_pos_);
      zlib_.avail_in = static_cast<uInt>(available);
      zlib_.next_out = reinterpret_cast<Bytef*>(buffer);
      zlib_.avail_out = static_cast<uInt>(size);
      int rc = inflate(&zlib_, Z_NO_FLUSH);
      input_pos_ += available - zlib_.avail_in;
      produced = size - zlib_.avail_out;
      if (rc == Z_STREAM_END) {
        stream_end_ = true;
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && available == 0)) {
        return absl::DataLossError(
            StrCat("gzip stream is corrupt: ", zlib_.msg ? zlib_.msg : "error"));
      }
    } else {
      ZSTD_inBuffer in{input_.data() + input_pos_, available, 0};
      ZSTD_outBuffer out{buffer, size, 0};
      size_t rc = ZSTD_decompressStream(zstd_, &out, &in);
      if (ZSTD_isError(rc)) {
        return absl::DataLossError(StrCat("zstd stream is corrupt: ", ZSTD_getErrorName(rc)));
      }
      input_pos_ += in.pos;
      produced = out.pos;
      if (rc == 0) stream_end_ = true;
    }
    if (produced > 0) return produced;
    if (raw_eof_ && input_pos_ == input_.size()) {
      if (!stream_end_) return absl::DataLossError("compressed layer ends early");
      return size_t{0};
    }
  }
}

absl::StatusOr<size_t> LayerStream::Read(char* buffer, size_t size) {
  if (kind_ == Kind::kUnknown) {
    if (auto status = Detect(); !status.ok()) return status;
  }
  absl::StatusOr<size_t> n = Inflate(buffer, size);
  if (!n.ok()) return n;
  tar_digest_.Update(buffer, *n);
  tar_size_ += *n;
  if (on_tar_bytes_ && *n > 0) on_tar_bytes_(std::string_view(buffer, *n));
  if (max_uncompressed_size_ > 0 && tar_size_ > max_uncompressed_size_) {
    return absl::ResourceExhaustedError(StrCat("layer is larger than its declared bound of ",
                                               max_uncompressed_size_, " bytes uncompressed"));
  }
  return n;
}

absl::Status LayerStream::Drain() {
  char buffer[16384];
  while (true) {
    absl::StatusOr<size_t> n = Read(buffer, sizeof(buffer));
    if (!n.ok()) return n.status();
    if (*n == 0) return absl::OkStatus();
  }
}

AppliedLayer LayerStream::Finish() {
  AppliedLayer layer;
  layer.compression = kind_ == Kind::kGzip ? "gzip" : kind_ == Kind::kZstd ? "zstd" : "none";
  layer.compressed_digest = raw_digest_.Digest();
  layer.compressed_size = raw_size_;
  layer.diff_id = tar_digest_.Digest();
  layer.uncompressed_size = tar_size_;
  return layer;
}

}  // namespace crio::storage
