#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace crio::image {

// Checks content against an OCI digest ("sha256:<64 hex>" or "sha512:<128 hex>") and an
// expected size while it arrives in pieces.
class DigestVerifier {
 public:
  // InvalidArgument for a malformed digest, Unimplemented for another algorithm.
  static absl::StatusOr<DigestVerifier> Create(std::string_view digest, int64_t size = -1);

  // False once more bytes arrived than the expected size.
  bool Update(std::string_view chunk);
  uint64_t received() const { return received_; }
  bool complete() const { return size_ >= 0 && received_ == static_cast<uint64_t>(size_); }
  // OK when the content seen so far has the digest (and size); DataLoss otherwise. Call once.
  absl::Status Finish();

 private:
  DigestVerifier(std::string expected, const EVP_MD* md, int64_t size);
  std::string expected_;
  std::string algorithm_;
  int64_t size_;
  uint64_t received_ = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// "<algorithm>:<hex>" of `data` with the algorithm of `like` (sha256 unless it is sha512).
std::string DigestLike(std::string_view like, std::string_view data);

}  // namespace crio::image
