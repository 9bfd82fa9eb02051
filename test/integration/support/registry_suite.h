#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "registry.h"

namespace crio::testing {

// A test suite whose tests share one local registry holding busybox and pause as
// library/busybox:1 and library/pause:1 (pushing them once per suite, not per test).
class RegistrySuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = std::make_unique<LocalRegistry>();
    registry_->PushBusybox("library/busybox", "1");
    registry_->PushPause("library/pause", "1");
  }
  static void TearDownTestSuite() { registry_.reset(); }

  static inline std::unique_ptr<LocalRegistry> registry_;
};

}  // namespace crio::testing
