#pragma once

// The project's logging entry point: spdlog, plus formatting for absl::string_view (what
// absl::Status::message() returns with Debian's Abseil), which fmt does not know.

#include <spdlog/spdlog.h>

#include <string_view>

#include "absl/strings/string_view.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(absl::string_view text, Context& context) const {
    return fmt::formatter<std::string_view>::format(std::string_view(text.data(), text.size()),
                                                    context);
  }
};
