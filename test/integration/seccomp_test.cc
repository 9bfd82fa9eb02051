// Seccomp filters end to end: the real daemon, conmon, runc and the busybox image (see
// support/node.h). Each check that a filter refuses something is paired with a container without
// the filter where the same command works, so the filter is shown to be what decides.
#include "pod_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

class SeccompTest : public PodFixture {
 protected:
  // `sleep 1000` under the given seccomp profile.
  runtime::v1::ContainerConfig Config(const std::string& name,
                                      runtime::v1::SecurityProfile::ProfileType type,
                                      const std::string& localhost_ref = "") {
    runtime::v1::ContainerConfig config = PodFixture::Config(name, {"sleep", "1000"});
    auto* seccomp = config.mutable_linux()->mutable_security_context()->mutable_seccomp();
    seccomp->set_profile_type(type);
    seccomp->set_localhost_ref(localhost_ref);
    return config;
  }
};

TEST_F(SeccompTest, RuntimeDefaultFiltersAndUnconfinedDoesNot) {
  std::string filtered =
      CreateAndStart(Config("filtered", runtime::v1::SecurityProfile::RuntimeDefault));
  std::string open = CreateAndStart(Config("open", runtime::v1::SecurityProfile::Unconfined));

  // 2 is SECCOMP_MODE_FILTER.
  EXPECT_EQ(Exec(filtered, {"grep", "Seccomp:", "/proc/self/status"}).stdout(), "Seccomp:\t2\n");
  EXPECT_EQ(Exec(open, {"grep", "Seccomp:", "/proc/self/status"}).stdout(), "Seccomp:\t0\n");

  // A user namespace needs no capability, so only the filter stands in the way.
  runtime::v1::ExecSyncResponse refused = Exec(filtered, {"unshare", "-U", "true"});
  EXPECT_NE(refused.exit_code(), 0);
  EXPECT_THAT(refused.stderr(), HasSubstr("Operation not permitted"));
  runtime::v1::ExecSyncResponse allowed = Exec(open, {"unshare", "-U", "true"});
  EXPECT_EQ(allowed.exit_code(), 0) << allowed.stderr();

  // Ordinary work is untouched by the filter.
  runtime::v1::ExecSyncResponse work = Exec(
      filtered, {"sh", "-c", "mkdir -p /tmp/d && echo hi > /tmp/d/f && cat /tmp/d/f && ls /tmp/d"});
  EXPECT_EQ(work.exit_code(), 0) << work.stderr();
  EXPECT_EQ(work.stdout(), "hi\nf\n");
}

TEST_F(SeccompTest, CapabilitiesUnlockTheirSyscalls) {
  runtime::v1::ContainerConfig config =
      Config("admin", runtime::v1::SecurityProfile::RuntimeDefault);
  config.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_add_capabilities(
      "SYS_ADMIN");
  std::string admin = CreateAndStart(config);
  EXPECT_EQ(Exec(admin, {"grep", "Seccomp:", "/proc/self/status"}).stdout(), "Seccomp:\t2\n");
  runtime::v1::ExecSyncResponse allowed = Exec(admin, {"unshare", "-U", "true"});
  EXPECT_EQ(allowed.exit_code(), 0) << allowed.stderr();
}

TEST_F(SeccompTest, LocalhostProfileFromAFile) {
  std::filesystem::path profile = node_.dir().Write("no-mkdir.json", R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  std::string id =
      CreateAndStart(Config("no-mkdir", runtime::v1::SecurityProfile::Localhost, profile.string()));
  runtime::v1::ExecSyncResponse refused = Exec(id, {"mkdir", "/tmp/x"});
  EXPECT_NE(refused.exit_code(), 0);
  EXPECT_THAT(refused.stderr(), HasSubstr("Operation not permitted"));
  EXPECT_EQ(Exec(id, {"touch", "/tmp/file"}).exit_code(), 0);

  std::string open = CreateAndStart(Config("may-mkdir", runtime::v1::SecurityProfile::Unconfined));
  EXPECT_EQ(Exec(open, {"mkdir", "/tmp/x"}).exit_code(), 0);
}

TEST_F(SeccompTest, MissingLocalhostProfileIsRefusedNamingTheFile) {
  std::string missing = (node_.dir().path() / "missing.json").string();
  std::string id;
  grpc::Status status =
      TryCreate(Config("missing", runtime::v1::SecurityProfile::Localhost, missing), &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(missing));
}

}  // namespace
}  // namespace crio::testing
