#pragma once

// String helpers that take std::string_view. Debian 12's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so absl::StrCat and friends do not
// accept std::string_view; these do, and accept absl::string_view (Status::message()) too.

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace crio {

namespace strings_internal {
inline std::string_view Piece(std::string_view s) { return s; }
inline std::string_view Piece(const char* s) { return s; }
inline std::string_view Piece(const std::string& s) { return s; }
inline std::string_view Piece(absl::string_view s) { return {s.data(), s.size()}; }
inline std::string_view Piece(char c) = delete;  // ambiguous intent: use std::string(1, c)
template <std::integral T>
requires(!std::same_as<T, bool> && !std::same_as<T, char>) std::string Piece(T n) {
  return std::to_string(n);
}
}  // namespace strings_internal

// The view of an absl::string_view (such as absl::Status::message()) as std::string_view.
inline std::string_view View(absl::string_view s) { return {s.data(), s.size()}; }

template <class... Args>
void StrAppend(std::string* out, const Args&... args) {
  (out->append(strings_internal::Piece(args)), ...);
}

template <class... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  StrAppend(&out, args...);
  return out;
}

template <class Range>
std::string StrJoin(const Range& items, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.append(separator);
    first = false;
    out.append(strings_internal::Piece(item));
  }
  return out;
}

// Splits at every `separator`; with `skip_empty`, empty pieces are dropped.
std::vector<std::string_view> StrSplit(std::string_view text, char separator,
                                       bool skip_empty = false);

}  // namespace crio
