#pragma once

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace crio {

// Sends a state string ("READY=1", "WATCHDOG=1", "STOPPING=1") to the service manager over
// $NOTIFY_SOCKET (sd_notify(3)); a no-op when the variable is unset.
absl::Status NotifyServiceManager(std::string_view state);

// How often to send WATCHDOG=1: half of $WATCHDOG_USEC when the watchdog is enabled for this
// process, nothing otherwise.
std::optional<absl::Duration> WatchdogInterval();

}  // namespace crio
