#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace crio {

// Lower-case hex of `size` bytes.
std::string HexEncode(const unsigned char* bytes, size_t size);
// Standard base64 with padding.
std::string Base64Encode(std::string_view data);
// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// A running SHA-256 over data that arrives in pieces.
class Sha256 {
 public:
  Sha256();
  void Update(const char* data, size_t size);
  std::string Digest();  // "sha256:<64 hex>"; call once

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace crio
