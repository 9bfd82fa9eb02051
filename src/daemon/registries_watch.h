#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "crio/common/unique_fd.h"
#include "image_setup.h"

namespace crio::daemon {

// auto_reload_registries: calls `on_change` after registries.conf or a drop-in (*.conf) in
// registries.conf.d is written, renamed into place or removed. A burst of events (an editor's
// save, a package update) gives one call, a moment after the last event.
class RegistriesWatch {
 public:
  static absl::StatusOr<std::unique_ptr<RegistriesWatch>> Start(const RegistriesFiles& files,
                                                                std::function<void()> on_change);
  ~RegistriesWatch();  // stops the watch thread
  RegistriesWatch(const RegistriesWatch&) = delete;
  RegistriesWatch& operator=(const RegistriesWatch&) = delete;

 private:
  RegistriesWatch(UniqueFd inotify, UniqueFd stop, int file_dir_watch, int dropin_watch,
                  std::string file_name, std::function<void()> on_change);
  void Loop();
  // Whether the events read from the inotify descriptor concern the registries configuration.
  bool Relevant(const char* buffer, size_t size) const;

  UniqueFd inotify_;
  UniqueFd stop_;  // an eventfd, written by the destructor
  int file_dir_watch_;
  int dropin_watch_;  // -1: no drop-in directory
  std::string file_name_;
  std::function<void()> on_change_;
  std::thread thread_;
};

}  // namespace crio::daemon
