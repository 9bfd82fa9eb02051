// The reference grammar of distribution/reference, written out by hand:
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path-component ( "/" path-component )*
//   domain     := host [ ":" port ]      host := domain-component ( "." domain-component )* | "["
//   ipv6 "]" path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* tag        :=
//   [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} digest     := algorithm ":" [A-Fa-f0-9]{32,}    algorithm :=
//   [a-z0-9]+ ( [+._-] [a-z0-9]+ )*
#include "crio/image/reference.h"

#include <cctype>

#include "crio/common/strings.h"

namespace crio::image {
namespace {

constexpr size_t kMaxNameLength = 255;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool ValidPathComponent(std::string_view part) {
  if (part.empty() || !IsLowerAlnum(part.front()) || !IsLowerAlnum(part.back())) return false;
  size_t i = 0;
  while (i < part.size()) {
    if (IsLowerAlnum(part[i])) {
      ++i;
      continue;
    }
    // A separator: ".", "_", "__" or a run of "-", always between alphanumerics.
    size_t start = i;
    if (part[i] == '.') {
      ++i;
    } else if (part[i] == '_') {
      ++i;
      if (i < part.size() && part[i] == '_') ++i;
    } else if (part[i] == '-') {
      while (i < part.size() && part[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == start || i >= part.size() || !IsLowerAlnum(part[i])) return false;
  }
  return true;
}

bool ValidDomainComponent(std::string_view part) {
  if (part.empty() || !IsAlnum(part.front()) || !IsAlnum(part.back())) return false;
  for (char c : part) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

bool ValidDomain(std::string_view domain) {
  std::string_view host = domain;
  if (!domain.empty() && domain.front() == '[') {
    size_t close = domain.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view ipv6 = domain.substr(1, close - 1);
    if (ipv6.empty() ||
        ipv6.find_first_not_of("0123456789abcdefABCDEF:") != std::string_view::npos) {
      return false;
    }
    host = {};
    domain.remove_prefix(close + 1);
  } else {
    size_t colon = domain.find(':');
    host = domain.substr(0, colon);
    domain = colon == std::string_view::npos ? std::string_view() : domain.substr(colon);
    for (std::string_view part : StrSplit(host, '.')) {
      if (!ValidDomainComponent(part)) return false;
    }
  }
  if (domain.empty()) return true;
  if (domain.front() != ':' || domain.size() < 2) return false;
  return domain.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
}

bool ValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  if (!IsAlnum(tag.front()) && tag.front() != '_') return false;
  for (char c : tag) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

bool ValidDigest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  if (algorithm.empty() || !IsLowerAlnum(algorithm.front()) || !IsLowerAlnum(algorithm.back())) {
    return false;
  }
  for (size_t i = 0; i < algorithm.size(); ++i) {
    char c = algorithm[i];
    bool separator = c == '+' || c == '.' || c == '_' || c == '-';
    if (!IsLowerAlnum(c) && !separator) return false;
    if (separator && i + 1 < algorithm.size() && !IsLowerAlnum(algorithm[i + 1])) return false;
  }
  if (hex.size() < 32 ||
      hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return false;
  }
  // The registered algorithms fix their lengths.
  if (algorithm == "sha256" && hex.size() != 64) return false;
  if (algorithm == "sha512" && hex.size() != 128) return false;
  return true;
}

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(StrCat("invalid image reference \"", text, "\": ", why));
}

}  // namespace

std::string Reference::Name() const { return domain.empty() ? path : StrCat(domain, "/", path); }

std::string Reference::String() const {
  std::string out = Name();
  if (!tag.empty()) StrAppend(&out, ":", tag);
  if (!digest.empty()) StrAppend(&out, "@", digest);
  return out;
}

absl::StatusOr<Reference> ParseReference(std::string_view text) {
  if (text.empty()) return Invalid(text, "it is empty");
  Reference reference;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    reference.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!ValidDigest(reference.digest)) {
      return Invalid(text, StrCat("\"", reference.digest, "\" is not a valid digest"));
    }
  }
  // A tag follows the last ':' after the last '/' (a ':' before it belongs to a port).
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    reference.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!ValidTag(reference.tag)) {
      return Invalid(text, StrCat("\"", reference.tag, "\" is not a valid tag"));
    }
  }
  if (rest.size() > kMaxNameLength) {
    return Invalid(text,
                   StrCat("the repository name is longer than ", kMaxNameLength, " characters"));
  }
  std::vector<std::string_view> parts = StrSplit(rest, '/');
  size_t first_path = 0;
  std::string_view head = parts.front();
  if (parts.size() > 1 &&
      (head.find('.') != std::string_view::npos || head.find(':') != std::string_view::npos ||
       head == "localhost" || head.front() == '[')) {
    if (!ValidDomain(head))
      return Invalid(text, StrCat("\"", head, "\" is not a valid registry host"));
    reference.domain = std::string(head);
    first_path = 1;
  }
  for (size_t i = first_path; i < parts.size(); ++i) {
    if (!ValidPathComponent(parts[i])) {
      bool upper = std::any_of(parts[i].begin(), parts[i].end(),
                               [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
      return Invalid(text,
                     upper ? "the repository name must be lowercase"
                           : StrCat("\"", parts[i], "\" is not a valid repository path component"));
    }
    if (i > first_path) reference.path += '/';
    reference.path += parts[i];
  }
  return reference;
}

absl::StatusOr<Reference> ParseNormalizedReference(std::string_view text) {
  absl::StatusOr<Reference> reference = ParseReference(text);
  if (!reference.ok()) return reference;
  if (reference->domain.empty() || reference->domain == "index.docker.io") {
    reference->domain = "docker.io";
  }
  if (reference->domain == "docker.io" && reference->path.find('/') == std::string::npos) {
    reference->path = "library/" + reference->path;
  }
  if (reference->tag.empty() && reference->digest.empty()) reference->tag = "latest";
  return reference;
}

}  // namespace crio::image
