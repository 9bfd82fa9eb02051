// Conversions between option values, their TOML text and their command-line text.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "crio/common/strings.h"
#include "crio/config/options.h"

namespace crio::config {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

std::string QuoteToml(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

absl::Status CheckItems(const Value& value, Check check) {
  const auto* items = std::get_if<std::vector<std::string>>(&value);
  if (items == nullptr) return absl::OkStatus();
  for (const std::string& item : *items) {
    if (check == Check::kKeyValue) {
      auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        return absl::InvalidArgumentError(StrCat("\"", item, "\" is not of the form key=value"));
      }
    } else if (check == Check::kUlimit) {
      auto eq = item.find('=');
      std::vector<std::string_view> name_limits;
      if (eq != std::string::npos) {
        name_limits = {std::string_view(item).substr(0, eq), std::string_view(item).substr(eq + 1)};
      }
      bool ok = name_limits.size() == 2 && !name_limits[0].empty();
      if (ok) {
        std::vector<std::string_view> limits = StrSplit(name_limits[1], ':');
        ok = limits.size() == 2;
        for (std::string_view limit : limits) {
          int64_t n = 0;
          auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), n);
          ok = ok && ec == std::errc() && end == limit.data() + limit.size() && n >= -1;
        }
      }
      if (!ok) {
        return absl::InvalidArgumentError(
            StrCat("\"", item, "\" is not of the form name=soft:hard"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMapping(std::string_view text) {
  if (text.empty()) return absl::OkStatus();
  for (std::string_view range : StrSplit(text, ',')) {
    std::vector<std::string_view> parts = StrSplit(range, ':');
    bool ok = parts.size() == 3;
    for (std::string_view part : parts) {
      uint32_t n = 0;
      auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
      ok = ok && !part.empty() && ec == std::errc() && end == part.data() + part.size();
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          StrCat("\"", range, "\" is not a containerID:hostID:size range"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view TypeName(const Value& value) {
  return std::visit(Overloaded{[](const std::string&) { return std::string_view("string"); },
                               [](bool) { return std::string_view("boolean"); },
                               [](int64_t) { return std::string_view("integer"); },
                               [](const std::vector<std::string>&) {
                                 return std::string_view("array of strings");
                               }},
                    value);
}

Value Get(const FieldRef& field) {
  return std::visit([](auto* member) -> Value { return *member; }, field);
}

absl::Status Set(const FieldRef& field, const Value& value) {
  if (field.index() != value.index()) {
    return absl::InvalidArgumentError(
        StrCat("expected ", TypeName(Get(field)), ", got ", TypeName(value)));
  }
  std::visit(
      [&value](auto* member) {
        using T = std::remove_pointer_t<decltype(member)>;
        *member = std::get<T>(value);
      },
      field);
  return absl::OkStatus();
}

template <class Owner>
absl::Status CheckValue(const OptionSpec<Owner>& spec, const Value& value) {
  if (!spec.choices.empty()) {
    const auto* text = std::get_if<std::string>(&value);
    if (text != nullptr) {
      bool found = false;
      for (std::string_view choice : spec.choices) found = found || choice == *text;
      if (!found) {
        return absl::InvalidArgumentError(StrCat(
            "invalid value \"", *text, "\" (expected one of: ", StrJoin(spec.choices, ", "), ")"));
      }
    }
  }
  switch (spec.check) {
    case Check::kNone:
      return absl::OkStatus();
    case Check::kDuration: {
      const auto& text = std::get<std::string>(value);
      if (text.empty()) return absl::OkStatus();
      auto parsed = ParseDuration(text);
      if (!parsed.ok()) return parsed.status();
      return absl::OkStatus();
    }
    case Check::kPort: {
      const auto& text = std::get<std::string>(value);
      unsigned port = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port > 65535) {
        return absl::InvalidArgumentError(
            StrCat("invalid port \"", text, "\" (expected 0 to 65535)"));
      }
      return absl::OkStatus();
    }
    case Check::kPositive:
      if (std::get<int64_t>(value) <= 0) {
        return absl::InvalidArgumentError(
            StrCat("must be greater than 0, got ", std::get<int64_t>(value)));
      }
      return absl::OkStatus();
    case Check::kKeyValue:
    case Check::kUlimit:
      return CheckItems(value, spec.check);
    case Check::kRegex: {
      const auto& text = std::get<std::string>(value);
      try {
        std::regex compiled(text);
      } catch (const std::regex_error& e) {
        return absl::InvalidArgumentError(
            StrCat("invalid regular expression \"", text, "\": ", e.what()));
      }
      return absl::OkStatus();
    }
    case Check::kMapping:
      return CheckMapping(std::get<std::string>(value));
    case Check::kMemory: {
      const auto& text = std::get<std::string>(value);
      if (text.empty()) return absl::OkStatus();
      return ParseMemorySize(text).status();
    }
  }
  return absl::OkStatus();
}

template absl::Status CheckValue(const OptionSpec<Config>&, const Value&);
template absl::Status CheckValue(const OptionSpec<RuntimeHandler>&, const Value&);

absl::StatusOr<Value> ParseFlagValue(const Value& type_example,
                                     const std::vector<std::string>& text) {
  if (std::holds_alternative<std::vector<std::string>>(type_example)) {
    std::vector<std::string> items;
    for (const std::string& piece : text) {
      for (std::string_view item : StrSplit(piece, ',', /*skip_empty=*/true)) {
        items.emplace_back(item);
      }
    }
    return Value(std::move(items));
  }
  if (text.size() != 1) {
    return absl::InvalidArgumentError(StrCat("expected one value, got ", text.size()));
  }
  const std::string& single = text.front();
  if (std::holds_alternative<bool>(type_example)) {
    if (single == "true") return Value(true);
    if (single == "false") return Value(false);
    return absl::InvalidArgumentError(StrCat("expected true or false, got \"", single, "\""));
  }
  if (std::holds_alternative<int64_t>(type_example)) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(single.data(), single.data() + single.size(), n);
    if (single.empty() || ec != std::errc() || end != single.data() + single.size()) {
      return absl::InvalidArgumentError(StrCat("expected an integer, got \"", single, "\""));
    }
    return Value(n);
  }
  return Value(single);
}

std::string FormatToml(const Value& value) {
  return std::visit(Overloaded{[](const std::string& s) { return QuoteToml(s); },
                               [](bool b) { return std::string(b ? "true" : "false"); },
                               [](int64_t n) { return std::to_string(n); },
                               [](const std::vector<std::string>& items) {
                                 std::vector<std::string> quoted;
                                 for (const auto& item : items) quoted.push_back(QuoteToml(item));
                                 return StrCat("[", StrJoin(quoted, ", "), "]");
                               }},
                    value);
}

absl::StatusOr<int64_t> ParseMemorySize(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(StrCat("invalid memory size \"", text, "\""));
  };
  size_t digits_end = 0;
  while (digits_end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits_end])) != 0 ||
          text[digits_end] == '.')) {
    ++digits_end;
  }
  std::string number(text.substr(0, digits_end));
  if (number.empty() || number.front() == '.' || number.back() == '.') return invalid();
  std::string_view unit = text.substr(digits_end);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double multiplier = 1;
  if (!unit.empty()) {
    static constexpr std::string_view kUnits = "kmgtp";
    size_t power =
        kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(unit[0]))));
    if (power != std::string_view::npos) {
      multiplier = std::pow(1024.0, static_cast<double>(power + 1));
      unit.remove_prefix(1);
      if (!unit.empty() && (unit.front() == 'i' || unit.front() == 'I')) unit.remove_prefix(1);
    }
    if (!unit.empty() && (unit.front() == 'b' || unit.front() == 'B')) unit.remove_prefix(1);
    if (!unit.empty()) return invalid();
  }
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end == nullptr || *end != '\0') return invalid();
  double bytes = value * multiplier;
  if (bytes >= 9.2e18) return invalid();
  return static_cast<int64_t>(bytes);
}

absl::StatusOr<int64_t> ContainerMinMemory(const RuntimeHandler& handler, std::string_view name) {
  if (!handler.container_min_memory.empty()) return ParseMemorySize(handler.container_min_memory);
  std::string binary = handler.runtime_path.empty()
                           ? std::string(name)
                           : std::filesystem::path(handler.runtime_path).filename().string();
  return binary == "crun" ? int64_t{500} * 1024 : int64_t{12} * 1024 * 1024;
}

absl::StatusOr<int64_t> ParseDuration(std::string_view text) {
  // Go's time.ParseDuration grammar: an optional sign, then one or more decimal numbers (with an
  // optional fraction) each followed by a unit; "0" alone is allowed.
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        StrCat("invalid duration \"", text, "\" (expected e.g. \"300ms\", \"1m30s\", \"2h\")"));
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return 0;
  if (rest.empty()) return invalid();
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"ns", 1},       {"us", 1000},      {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
      {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000},  {"h", 3600000000000}};
  long double total = 0;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return invalid();
    std::string number(rest.substr(0, digits));
    if (number == "." || std::count(number.begin(), number.end(), '.') > 1) return invalid();
    rest.remove_prefix(digits);
    int64_t scale = 0;
    for (const auto& [unit, ns] : kUnits) {
      // kUnits lists "ms" before "m" and "s", so the first prefix match is the right unit.
      if (rest.substr(0, unit.size()) == unit) {
        scale = ns;
        rest.remove_prefix(unit.size());
        break;
      }
    }
    if (scale == 0) return invalid();
    total += std::stold(number) * scale;
    if (total > static_cast<long double>(INT64_MAX)) return invalid();
  }
  auto ns = static_cast<int64_t>(total);
  return negative ? -ns : ns;
}

}  // namespace crio::config
