#include "crio/network/bandwidth.h"

#include <cctype>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "crio/common/strings.h"

namespace crio::network {
namespace {

using u128 = unsigned __int128;

constexpr std::string_view kIngressAnnotation = "kubernetes.io/ingress-bandwidth";
constexpr std::string_view kEgressAnnotation = "kubernetes.io/egress-bandwidth";
// The kubelet's sanity bounds on a pod's rate.
constexpr uint64_t kMinRate = 1000;                 // 1k
constexpr uint64_t kMaxRate = 1000000000000000ULL;  // 1P
// What CRI-O and containerd pass as the burst: the plugin's largest accepted value.
constexpr uint64_t kUnlimitedBurst = std::numeric_limits<uint32_t>::max();

bool MultiplyInto(u128* value, u128 factor) {
  return !__builtin_mul_overflow(*value, factor, value);
}

bool Power(u128 base, int exponent, u128* out) {
  *out = 1;
  for (int i = 0; i < exponent; ++i) {
    if (!MultiplyInto(out, base)) return false;
  }
  return true;
}

struct Suffix {
  int base = 10;  // 10 or 2
  int exponent = 0;
};

bool ParseSuffix(std::string_view suffix, Suffix* out) {
  static constexpr std::pair<std::string_view, Suffix> kTable[] = {
      {"", {10, 0}},   {"n", {10, -9}}, {"u", {10, -6}}, {"m", {10, -3}},
      {"k", {10, 3}},  {"M", {10, 6}},  {"G", {10, 9}},  {"T", {10, 12}},
      {"P", {10, 15}}, {"E", {10, 18}}, {"Ki", {2, 10}}, {"Mi", {2, 20}},
      {"Gi", {2, 30}}, {"Ti", {2, 40}}, {"Pi", {2, 50}}, {"Ei", {2, 60}},
  };
  for (const auto& [text, value] : kTable) {
    if (suffix == text) {
      *out = value;
      return true;
    }
  }
  // A decimal exponent: e3, E-2.
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view digits = suffix.substr(1);
    bool negative = false;
    if (digits[0] == '+' || digits[0] == '-') {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 3) return false;
    int exponent = 0;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      exponent = exponent * 10 + (c - '0');
    }
    *out = {10, negative ? -exponent : exponent};
    return true;
  }
  return false;
}

absl::StatusOr<uint64_t> RateFromAnnotation(const std::map<std::string, std::string>& annotations,
                                            std::string_view key) {
  const std::string& text = annotations.at(std::string(key));
  absl::StatusOr<uint64_t> rate = ParseQuantity(text);
  if (!rate.ok()) {
    return absl::InvalidArgumentError(StrCat("annotation ", key, ": ", rate.status().message()));
  }
  if (*rate < kMinRate) {
    return absl::InvalidArgumentError(
        StrCat("annotation ", key, ": \"", text, "\" is unreasonably small (< 1kbit)"));
  }
  if (*rate > kMaxRate) {
    return absl::InvalidArgumentError(
        StrCat("annotation ", key, ": \"", text, "\" is unreasonably large (> 1Pbit)"));
  }
  return rate;
}

}  // namespace

absl::StatusOr<uint64_t> ParseQuantity(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is not a quantity"));
  };
  std::string_view rest = text;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    if (rest[0] == '-') {
      return absl::InvalidArgumentError(StrCat("\"", text, "\" is negative"));
    }
    rest.remove_prefix(1);
  }
  // The mantissa as an integer over 10^fraction_digits, so that the result is exact.
  u128 mantissa = 0;
  int digits = 0;
  int fraction_digits = 0;
  bool in_fraction = false;
  while (!rest.empty() &&
         (std::isdigit(static_cast<unsigned char>(rest[0])) || (rest[0] == '.' && !in_fraction))) {
    if (rest[0] == '.') {
      in_fraction = true;
    } else {
      if (++digits > 30) return invalid();
      mantissa = mantissa * 10 + static_cast<unsigned>(rest[0] - '0');
      if (in_fraction) ++fraction_digits;
    }
    rest.remove_prefix(1);
  }
  if (digits == 0) return invalid();
  Suffix suffix;
  if (!ParseSuffix(rest, &suffix)) return invalid();

  u128 numerator = mantissa;
  u128 denominator = 1;
  if (!Power(10, fraction_digits, &denominator)) return invalid();
  u128 factor = 1;
  bool ok = suffix.exponent >= 0 ? Power(suffix.base, suffix.exponent, &factor)
                                 : Power(10, -suffix.exponent, &factor);
  if (!ok) return invalid();
  if (suffix.exponent >= 0) {
    if (!MultiplyInto(&numerator, factor)) {
      return absl::InvalidArgumentError(StrCat("\"", text, "\" is too large"));
    }
  } else if (!MultiplyInto(&denominator, factor)) {
    return invalid();
  }
  u128 value = numerator / denominator + (numerator % denominator != 0 ? 1 : 0);
  if (value > std::numeric_limits<uint64_t>::max()) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is too large"));
  }
  return static_cast<uint64_t>(value);
}

absl::StatusOr<std::optional<Bandwidth>> BandwidthFromAnnotations(
    const std::map<std::string, std::string>& annotations) {
  bool ingress = annotations.count(std::string(kIngressAnnotation)) > 0;
  bool egress = annotations.count(std::string(kEgressAnnotation)) > 0;
  if (!ingress && !egress) return std::optional<Bandwidth>();
  Bandwidth bandwidth;
  if (ingress) {
    absl::StatusOr<uint64_t> rate = RateFromAnnotation(annotations, kIngressAnnotation);
    if (!rate.ok()) return rate.status();
    bandwidth.ingress_rate = *rate;
    bandwidth.ingress_burst = kUnlimitedBurst;
  }
  if (egress) {
    absl::StatusOr<uint64_t> rate = RateFromAnnotation(annotations, kEgressAnnotation);
    if (!rate.ok()) return rate.status();
    bandwidth.egress_rate = *rate;
    bandwidth.egress_burst = kUnlimitedBurst;
  }
  return std::optional<Bandwidth>(bandwidth);
}

}  // namespace crio::network
