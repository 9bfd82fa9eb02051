#include "crio/streaming/remotecommand.h"

#include <charconv>

#include "crio/common/strings.h"
#include "nlohmann/json.hpp"

namespace crio::streaming {
namespace {

constexpr std::string_view kNonZeroExitCode = "NonZeroExitCode";
constexpr std::string_view kExitCodeCause = "ExitCode";

}  // namespace

std::string ExitStatusJson(int exit_code) {
  nlohmann::json status = {{"metadata", nlohmann::json::object()}};
  if (exit_code == 0) {
    status["status"] = "Success";
    return status.dump();
  }
  status["status"] = "Failure";
  status["message"] = StrCat("command terminated with non-zero exit code: exit status ", exit_code);
  status["reason"] = kNonZeroExitCode;
  status["details"] = {
      {"causes", nlohmann::json::array(
                     {{{"reason", kExitCodeCause}, {"message", std::to_string(exit_code)}}})}};
  return status.dump();
}

std::string ErrorStatusJson(std::string_view message) {
  nlohmann::json status = {{"metadata", nlohmann::json::object()},
                           {"status", "Failure"},
                           {"message", message},
                           {"reason", "InternalError"},
                           {"code", 500}};
  return status.dump();
}

std::optional<int> ParseExitStatusJson(std::string_view json, std::string* message) {
  nlohmann::json status = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object()) {
    if (message) *message = StrCat("malformed status: ", json);
    return std::nullopt;
  }
  if (status.value("status", "") == "Success") return 0;
  std::string text = status.value("message", "");
  if (status.value("reason", "") == kNonZeroExitCode && status.contains("details")) {
    for (const auto& cause : status["details"].value("causes", nlohmann::json::array())) {
      if (cause.value("reason", "") != kExitCodeCause) continue;
      std::string code = cause.value("message", "");
      int value = 0;
      auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
      if (ec == std::errc() && end == code.data() + code.size()) return value;
    }
  }
  if (message) *message = text.empty() ? std::string(json) : text;
  return std::nullopt;
}

}  // namespace crio::streaming
