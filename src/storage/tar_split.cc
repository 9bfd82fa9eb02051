#include "tar_split.h"

#include "crio/common/encoding.h"

#include <zlib.h>

#include <array>
#include <cstring>

#include <nlohmann/json.hpp>

namespace crio::storage {
namespace {

constexpr size_t kBlock = 512;

// CRC-64 with the ISO polynomial, as Go's hash/crc64 computes it (reflected, inverted).
const std::array<uint64_t, 256>& CrcTable() {
  static const std::array<uint64_t, 256> table = [] {
    std::array<uint64_t, 256> t{};
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t crc = i;
      for (int bit = 0; bit < 8; ++bit)
        crc = (crc & 1) ? (crc >> 1) ^ 0xD800000000000000ULL : crc >> 1;
      t[i] = crc;
    }
    return t;
  }();
  return table;
}

uint64_t CrcUpdate(uint64_t crc, std::string_view data) {
  const auto& table = CrcTable();
  crc = ~crc;
  for (unsigned char byte : data) crc = table[static_cast<uint8_t>(crc) ^ byte] ^ (crc >> 8);
  return ~crc;
}

// A numeric header field: octal text, or base-256 when the high bit of the first byte is set.
uint64_t ParseNumber(const char* field, size_t length) {
  if (static_cast<unsigned char>(field[0]) & 0x80) {
    uint64_t value = static_cast<unsigned char>(field[0]) & 0x7f;
    for (size_t i = 1; i < length; ++i) value = (value << 8) | static_cast<unsigned char>(field[i]);
    return value;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < length && field[i] != '\0'; ++i) {
    if (field[i] >= '0' && field[i] <= '7')
      value = value * 8 + static_cast<uint64_t>(field[i] - '0');
  }
  return value;
}

std::string CString(const char* field, size_t length) {
  return std::string(field, strnlen(field, length));
}

uint64_t RoundUp(uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

std::string Gzip(std::string_view data) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
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

}  // namespace

void TarSplitWriter::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kHeader: {
        size_t n = std::min(bytes.size(), kBlock - block_.size());
        block_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        if (block_.size() == kBlock) OnHeaderBlock();
        break;
      }
      case State::kMetaContent: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), remaining_));
        raw_.append(bytes.substr(0, n));
        meta_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) OnMetaContent();
        break;
      }
      case State::kContent: {
        if (remaining_ > 0) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), remaining_));
          crc_ = CrcUpdate(crc_, bytes.substr(0, n));
          bytes.remove_prefix(n);
          remaining_ -= n;
          if (remaining_ == 0) EmitFile();
        } else {
          // Padding to the block boundary belongs to the next raw segment.
          size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), padding_));
          raw_.append(bytes.substr(0, n));
          bytes.remove_prefix(n);
          padding_ -= n;
          if (padding_ == 0) state_ = State::kHeader;
        }
        break;
      }
      case State::kTrailer:
        raw_.append(bytes);
        bytes = {};
        break;
    }
  }
}

void TarSplitWriter::OnHeaderBlock() {
  std::string block = std::move(block_);
  block_.clear();
  raw_.append(block);
  if (block.find_first_not_of('\0') == std::string::npos) {
    state_ = State::kTrailer;  // end of archive: the rest is raw
    return;
  }
  const char* h = block.data();
  char type = h[156];
  uint64_t size = ParseNumber(h + 124, 12);
  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    meta_type_ = type;
    meta_.clear();
    // The meta content and its padding are part of the next entry's raw header bytes.
    remaining_ = RoundUp(size);
    size_ = size;
    state_ = remaining_ > 0 ? State::kMetaContent : State::kHeader;
    if (remaining_ == 0) OnMetaContent();
    return;
  }
  std::string name = CString(h, 100);
  if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0' &&
      std::memcmp(h + 257, "ustar  ", 7) != 0) {
    name = CString(h + 345, 155) + "/" + name;
  }
  if (!pax_path_.empty()) name = std::move(pax_path_);
  pax_path_.clear();
  // Like Go's archive/tar, entries of these types carry no content whatever their size field.
  bool header_only =
      type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
  if (header_only) size = 0;
  if (pax_size_ && !header_only) size = *pax_size_;
  pax_size_.reset();

  EmitRaw();
  name_ = std::move(name);
  size_ = size;
  crc_ = 0;
  remaining_ = size;
  padding_ = RoundUp(size) - size;
  state_ = State::kContent;
  if (size == 0) {
    EmitFile();
    state_ = State::kHeader;
  }
}

void TarSplitWriter::OnMetaContent() {
  std::string content = meta_.substr(0, static_cast<size_t>(size_));
  if (meta_type_ == 'L') {
    pax_path_ = std::string(content.c_str());
  } else if (meta_type_ == 'x') {
    // Records "LENGTH key=value\n".
    size_t pos = 0;
    while (pos < content.size()) {
      size_t space = content.find(' ', pos);
      if (space == std::string::npos) break;
      size_t length = std::strtoul(content.c_str() + pos, nullptr, 10);
      if (length == 0 || pos + length > content.size()) break;
      std::string record = content.substr(space + 1, pos + length - space - 2);
      size_t eq = record.find('=');
      if (eq != std::string::npos) {
        std::string key = record.substr(0, eq);
        if (key == "path") pax_path_ = record.substr(eq + 1);
        if (key == "size") pax_size_ = std::strtoull(record.c_str() + eq + 1, nullptr, 10);
      }
      pos += length;
    }
  }
  state_ = State::kHeader;
}

void TarSplitWriter::EmitRaw() {
  if (raw_.empty()) return;
  nlohmann::ordered_json entry;
  entry["type"] = 2;
  entry["payload"] = Base64Encode(raw_);
  entry["position"] = position_++;
  lines_ += entry.dump() + "\n";
  raw_.clear();
}

void TarSplitWriter::EmitFile() {
  nlohmann::ordered_json entry;
  entry["type"] = 1;
  entry["name"] = name_;
  // As Go's encoder writes tar-split's entry: size omitted when zero, payload null then.
  if (size_ > 0) {
    entry["size"] = size_;
    char crc[8];
    for (int i = 0; i < 8; ++i) crc[i] = static_cast<char>(crc_ >> (56 - 8 * i));
    entry["payload"] = Base64Encode(std::string_view(crc, 8));
  } else {
    entry["payload"] = nullptr;
  }
  entry["position"] = position_++;
  lines_ += entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string TarSplitWriter::Finish() {
  EmitRaw();
  return Gzip(lines_);
}

}  // namespace crio::storage
