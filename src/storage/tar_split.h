#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crio::storage {

// Writes the tar-split record of a layer (containers/storage's <layer-id>.tar-split.gz): every
// byte of the uncompressed tar that is not file content, plus name, size and CRC-64 of each
// entry's content, so that the exact original tar, and so its DiffID, can be rebuilt from the
// layer's files when the image is pushed or copied out of the store. Fed the uncompressed tar
// stream in pieces of any size.
class TarSplitWriter {
 public:
  void Feed(std::string_view bytes);
  // The gzip-compressed newline-delimited JSON entries, after the whole stream was fed.
  std::string Finish();

 private:
  void OnHeaderBlock();
  void OnMetaContent();
  void EmitRaw();
  void EmitFile();

  enum class State { kHeader, kMetaContent, kContent, kTrailer };
  State state_ = State::kHeader;
  std::string block_;       // the header block being assembled
  std::string raw_;         // non-content bytes not emitted yet
  std::string meta_;        // content of a PAX or GNU long-name header
  uint64_t remaining_ = 0;  // content bytes (or meta bytes) still to come
  uint64_t padding_ = 0;    // padding after the content still to come
  char meta_type_ = 0;
  std::string pax_path_;  // from a PAX 'x' header or a GNU 'L' header, for the next entry
  std::optional<uint64_t> pax_size_;
  std::string name_;  // the current entry
  uint64_t size_ = 0;
  uint64_t crc_ = 0;
  int64_t position_ = 0;
  std::string lines_;  // the JSON lines
};

}  // namespace crio::storage
