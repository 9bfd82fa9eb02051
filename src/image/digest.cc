#include "crio/image/digest.h"

#include "crio/common/encoding.h"
#include "crio/common/strings.h"

namespace crio::image {

absl::StatusOr<DigestVerifier> DigestVerifier::Create(std::string_view digest, int64_t size) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat("malformed digest \"", digest, "\""));
  }
  std::string_view algorithm = digest.substr(0, colon), hex = digest.substr(colon + 1);
  const EVP_MD* md = nullptr;
  size_t length = 0;
  if (algorithm == "sha256") {
    md = EVP_sha256();
    length = 64;
  } else if (algorithm == "sha512") {
    md = EVP_sha512();
    length = 128;
  } else {
    return absl::UnimplementedError(
        StrCat("digest algorithm ", algorithm, " is not supported yet (", digest, ")"));
  }
  if (hex.size() != length || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat("malformed digest \"", digest, "\""));
  }
  return DigestVerifier(std::string(digest), md, size);
}

DigestVerifier::DigestVerifier(std::string expected, const EVP_MD* md, int64_t size)
    : expected_(std::move(expected)),
      algorithm_(expected_.substr(0, expected_.find(':'))),
      size_(size),
      ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  EVP_DigestInit_ex(ctx_.get(), md, nullptr);
}

bool DigestVerifier::Update(std::string_view chunk) {
  received_ += chunk.size();
  EVP_DigestUpdate(ctx_.get(), chunk.data(), chunk.size());
  return size_ < 0 || received_ <= static_cast<uint64_t>(size_);
}

absl::Status DigestVerifier::Finish() {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_.get(), hash, &length);
  std::string actual = StrCat(algorithm_, ":", HexEncode(hash, length));
  if (size_ >= 0 && received_ != static_cast<uint64_t>(size_)) {
    return absl::DataLossError(
        StrCat("blob ", expected_, ": received ", received_, " bytes, the manifest says ", size_));
  }
  if (actual != expected_) {
    return absl::DataLossError(
        StrCat("blob ", expected_, " does not match its digest: received content has ", actual));
  }
  return absl::OkStatus();
}

std::string DigestLike(std::string_view like, std::string_view data) {
  if (!like.starts_with("sha512:")) return Sha256Digest(data);
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), hash, &length, EVP_sha512(), nullptr);
  return StrCat("sha512:", HexEncode(hash, length));
}

}  // namespace crio::image
