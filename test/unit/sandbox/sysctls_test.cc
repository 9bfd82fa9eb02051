#include "crio/sandbox/sysctls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crio::sandbox {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(Sysctls, NamespaceOfEachKind) {
  EXPECT_EQ(NamespaceOfSysctl("net.ipv4.ip_unprivileged_port_start"), SysctlNamespace::kNet);
  EXPECT_EQ(NamespaceOfSysctl("net.core.somaxconn"), SysctlNamespace::kNet);
  EXPECT_EQ(NamespaceOfSysctl("kernel.shmmax"), SysctlNamespace::kIpc);
  EXPECT_EQ(NamespaceOfSysctl("kernel.msgmnb"), SysctlNamespace::kIpc);
  EXPECT_EQ(NamespaceOfSysctl("kernel.sem"), SysctlNamespace::kIpc);
  EXPECT_EQ(NamespaceOfSysctl("fs.mqueue.msg_max"), SysctlNamespace::kIpc);
  EXPECT_EQ(NamespaceOfSysctl("kernel.domainname"), SysctlNamespace::kUts);
  EXPECT_EQ(NamespaceOfSysctl("kernel.panic"), SysctlNamespace::kNone);
  EXPECT_EQ(NamespaceOfSysctl("vm.swappiness"), SysctlNamespace::kNone);
  EXPECT_EQ(NamespaceOfSysctl("kernel.shm_next_id"), SysctlNamespace::kNone);
  EXPECT_EQ(NamespaceOfSysctl("network.foo"), SysctlNamespace::kNone);
}

TEST(Sysctls, SlashNamesSwapSeparators) {
  EXPECT_EQ(NormalizeSysctlName("net/ipv4/ip_forward"), "net.ipv4.ip_forward");
  EXPECT_EQ(NormalizeSysctlName("net/ipv4/conf/eth0.100/forwarding"),
            "net.ipv4.conf.eth0/100.forwarding");
  EXPECT_EQ(NormalizeSysctlName("net.ipv4.ip_forward"), "net.ipv4.ip_forward");
}

TEST(Sysctls, PodValuesOverrideDefaults) {
  auto sysctls = PodSysctls({{"net.ipv4.ip_unprivileged_port_start", "0"}},
                            {"net.ipv4.ip_unprivileged_port_start=1024", "kernel.msgmax=9000"}, {});
  ASSERT_TRUE(sysctls.ok()) << sysctls.status();
  EXPECT_THAT(*sysctls, UnorderedElementsAre(Pair("net.ipv4.ip_unprivileged_port_start", "0"),
                                             Pair("kernel.msgmax", "9000")));
}

TEST(Sysctls, NodeWideSysctlIsRefusedByName) {
  auto sysctls = PodSysctls({{"kernel.panic", "1"}}, {}, {});
  ASSERT_FALSE(sysctls.ok());
  EXPECT_EQ(sysctls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sysctls.status().message()), HasSubstr("\"kernel.panic\""));
  EXPECT_THAT(std::string(sysctls.status().message()), HasSubstr("not namespaced"));
}

TEST(Sysctls, HostNamespacesRefuseTheirSysctls) {
  auto net = PodSysctls({{"net.core.somaxconn", "1024"}}, {}, {.host_network = true});
  ASSERT_FALSE(net.ok());
  EXPECT_THAT(std::string(net.status().message()), HasSubstr("host's network namespace"));
  auto ipc = PodSysctls({{"kernel.shmmax", "1024"}}, {}, {.host_ipc = true});
  ASSERT_FALSE(ipc.ok());
  EXPECT_THAT(std::string(ipc.status().message()), HasSubstr("host's IPC namespace"));
  // The other kind still works for the same pod.
  EXPECT_TRUE(PodSysctls({{"kernel.shmmax", "1024"}}, {}, {.host_network = true}).ok());
}

TEST(Sysctls, DefaultsThatCannotApplyAreDroppedNotFatal) {
  auto sysctls = PodSysctls({}, {"net.ipv4.ping_group_range=0 2147483647", "kernel.shmmni=8192"},
                            {.host_network = true});
  ASSERT_TRUE(sysctls.ok());
  EXPECT_THAT(*sysctls, UnorderedElementsAre(Pair("kernel.shmmni", "8192")));
}

TEST(Sysctls, MalformedDefaultIsAnError) {
  EXPECT_FALSE(PodSysctls({}, {"net.ipv4.ip_forward"}, {}).ok());
}

TEST(Sysctls, HostnameIsNotASysctlForPods) {
  EXPECT_FALSE(PodSysctls({{"kernel.hostname", "x"}}, {}, {}).ok());
}

TEST(Sysctls, ValuesCannotSmuggleSeparators) {
  EXPECT_FALSE(PodSysctls({{"net.core.somaxconn", "1+kernel.panic=1"}}, {}, {}).ok());
}

}  // namespace
}  // namespace crio::sandbox
