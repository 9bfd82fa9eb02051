#include "crio/common/logging.h"

#include <memory>
#include <mutex>
#include <regex>

#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/base_sink.h>
#include "crio/common/log.h"
#include "crio/common/strings.h"

namespace crio {
namespace {

// Passes on only the messages that match the configured filter; an empty filter passes all.
class FilterSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FilterSink(std::shared_ptr<spdlog::sinks::sink> target) : target_(std::move(target)) {}

  void SetFilter(std::shared_ptr<const std::regex> filter) {
    std::lock_guard<std::mutex> lock(mutex_);
    filter_ = std::move(filter);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (filter_ != nullptr) {
      std::string_view payload(msg.payload.data(), msg.payload.size());
      if (!std::regex_search(payload.begin(), payload.end(), *filter_)) return;
    }
    target_->log(msg);
  }
  void flush_() override { target_->flush(); }
  // The target does the formatting, so it must get the pattern.
  void set_pattern_(const std::string& pattern) override { target_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    target_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> target_;
  std::shared_ptr<const std::regex> filter_;  // guarded by base_sink's mutex_
};

std::shared_ptr<FilterSink> InstallLogger() {
  static std::shared_ptr<FilterSink> sink = [] {
    auto stderr_sink = std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>();
    auto filter_sink = std::make_shared<FilterSink>(stderr_sink);
    auto logger = std::make_shared<spdlog::logger>("crio", filter_sink);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%l%$ %v");
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    return filter_sink;
  }();
  return sink;
}

}  // namespace

absl::StatusOr<int> SpdlogLevel(std::string_view level) {
  if (level == "fatal" || level == "panic") return spdlog::level::critical;
  if (level == "error") return spdlog::level::err;
  if (level == "warn" || level == "warning") return spdlog::level::warn;
  if (level == "info") return spdlog::level::info;
  if (level == "debug") return spdlog::level::debug;
  if (level == "trace") return spdlog::level::trace;
  return absl::InvalidArgumentError(StrCat("unknown log level \"", level, "\""));
}

absl::Status ConfigureLogging(std::string_view level, std::string_view filter) {
  absl::StatusOr<int> spd_level = SpdlogLevel(level);
  if (!spd_level.ok()) return spd_level.status();
  std::shared_ptr<const std::regex> compiled;
  if (!filter.empty()) {
    try {
      compiled = std::make_shared<const std::regex>(std::string(filter));
    } catch (const std::regex_error& e) {
      return absl::InvalidArgumentError(StrCat("invalid log filter \"", filter, "\": ", e.what()));
    }
  }
  InstallLogger()->SetFilter(std::move(compiled));
  spdlog::set_level(static_cast<spdlog::level::level_enum>(*spd_level));
  return absl::OkStatus();
}

}  // namespace crio
