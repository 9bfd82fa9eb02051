#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "crio/network/cni_plugin.h"

namespace crio::network {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

PodNetwork SamplePod() {
  PodNetwork pod;
  pod.pod_id = "0123abcd";
  pod.name = "web-0";
  pod.namespace_name = "prod";
  pod.uid = "6f1c-uid";
  pod.netns = "/var/run/netns/x";
  return pod;
}

NetworkConfigList SampleList() {
  auto list = ParseConfigList(R"({"cniVersion":"1.0.0","name":"mynet","plugins":[
      {"type":"bridge","cniVersion":"0.3.1","name":"other","runtimeConfig":{"keep":1}},
      {"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}},
      {"type":"bandwidth","capabilities":{"bandwidth":true,"io.kubernetes.cri.pod-annotations":true}},
      {"type":"everything","capabilities":{"portMappings":true,"bandwidth":true,"ipRanges":true,
        "dns":true,"cgroupPath":true,"io.kubernetes.cri.pod-annotations":true}}]})",
                              "test");
  EXPECT_TRUE(list.ok()) << list.status();
  return *list;
}

TEST(CniArgsTest, KubernetesKeysInCrioOrder) {
  PodNetwork pod = SamplePod();
  EXPECT_EQ(CniArgsString(PodCniArgs(pod)),
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web-0;"
            "K8S_POD_INFRA_CONTAINER_ID=0123abcd;K8S_POD_UID=6f1c-uid");
  EXPECT_EQ(CniArgsString({}), "");
}

TEST(CapabilityArgsTest, OnlyWhatThePodHas) {
  PodNetwork pod = SamplePod();
  EXPECT_EQ(PodCapabilityArgs(pod), nlohmann::json::object());

  pod.port_mappings = {{"tcp", 80, 8080, ""}, {"udp", 53, 5353, "127.0.0.1"}};
  pod.bandwidth = Bandwidth{1000, 2000, 3000, 4000};
  pod.ip_ranges = {"10.1.0.0/24", "fd00::/64"};
  pod.dns = DnsConfig{{"10.0.0.10"}, {"svc.cluster.local"}, {"ndots:5"}};
  pod.cgroup_path = "/kubepods/pod1";
  pod.annotations = {{"a", "b"}};
  nlohmann::json args = PodCapabilityArgs(pod);
  EXPECT_EQ(args["portMappings"], nlohmann::json::parse(R"([
      {"hostPort":8080,"containerPort":80,"protocol":"tcp"},
      {"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"127.0.0.1"}])"));
  EXPECT_EQ(args["bandwidth"], nlohmann::json::parse(
                                   R"({"ingressRate":1000,"ingressBurst":2000,
                                       "egressRate":3000,"egressBurst":4000})"));
  EXPECT_EQ(args["ipRanges"],
            nlohmann::json::parse(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]])"));
  EXPECT_EQ(args["dns"], nlohmann::json::parse(
                             R"({"servers":["10.0.0.10"],"searches":["svc.cluster.local"],
                                 "options":["ndots:5"]})"));
  EXPECT_EQ(args["cgroupPath"], "/kubepods/pod1");
  EXPECT_EQ(args["io.kubernetes.cri.pod-annotations"], nlohmann::json::parse(R"({"a":"b"})"));
}

TEST(RuntimeConfigTest, FilteredByDeclaredCapabilities) {
  NetworkConfigList list = SampleList();
  PodNetwork pod = SamplePod();
  pod.port_mappings = {{"tcp", 80, 8080, ""}};
  pod.bandwidth = Bandwidth{1000, 1, 2000, 2};
  pod.annotations = {{"k", "v"}};
  nlohmann::json args = PodCapabilityArgs(pod);

  EXPECT_TRUE(RuntimeConfigFor(list.plugins[0], args).empty());
  nlohmann::json portmap = RuntimeConfigFor(list.plugins[1], args);
  EXPECT_EQ(portmap.size(), 1u);
  EXPECT_TRUE(portmap.contains("portMappings"));  // bandwidth is declared false
  nlohmann::json bandwidth = RuntimeConfigFor(list.plugins[2], args);
  EXPECT_EQ(bandwidth.size(), 2u);
  EXPECT_TRUE(bandwidth.contains("bandwidth"));
  EXPECT_TRUE(bandwidth.contains("io.kubernetes.cri.pod-annotations"));
  // Declared but absent from the pod: not passed.
  nlohmann::json everything = RuntimeConfigFor(list.plugins[3], args);
  EXPECT_EQ(everything.size(), 3u);
  EXPECT_FALSE(everything.contains("dns"));
  EXPECT_FALSE(everything.contains("cgroupPath"));
}

TEST(PluginInputTest, InjectsNameVersionRuntimeConfigAndPrevResult) {
  NetworkConfigList list = SampleList();
  PodNetwork pod = SamplePod();
  pod.port_mappings = {{"tcp", 80, 8080, ""}};
  nlohmann::json args = PodCapabilityArgs(pod);

  nlohmann::json bridge = PluginInput(list, list.plugins[0], args, nullptr);
  EXPECT_EQ(bridge["name"], "mynet");  // the list's, over the plugin's own
  EXPECT_EQ(bridge["cniVersion"], "1.0.0");
  EXPECT_EQ(bridge["runtimeConfig"], nlohmann::json::parse(R"({"keep":1})"));
  EXPECT_FALSE(bridge.contains("prevResult"));

  nlohmann::json previous = {{"cniVersion", "1.0.0"}, {"ips", nlohmann::json::array()}};
  nlohmann::json portmap = PluginInput(list, list.plugins[1], args, &previous);
  EXPECT_EQ(portmap["type"], "portmap");
  EXPECT_EQ(portmap["prevResult"], previous);
  EXPECT_EQ(portmap["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  EXPECT_EQ(portmap["capabilities"]["portMappings"], true);
}

TEST(PluginEnvTest, CniVariablesAndPathOnly) {
  ::setenv("CRIO_NET_TEST_SECRET", "x", 1);
  Attachment attachment = PodAttachment(SamplePod());
  std::vector<std::string> env =
      PluginEnv(CniCommand::kAdd, &attachment, {"/opt/cni/bin", "/usr/lib/cni"});
  ASSERT_EQ(env.size(), 7u);
  EXPECT_THAT(
      env,
      ElementsAre("CNI_COMMAND=ADD", "CNI_CONTAINERID=0123abcd", "CNI_NETNS=/var/run/netns/x",
                  "CNI_IFNAME=eth0", HasSubstr("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;"),
                  "CNI_PATH=/opt/cni/bin:/usr/lib/cni", std::string("PATH=") + ::getenv("PATH")));
  EXPECT_THAT(env, Not(Contains(HasSubstr("CRIO_NET_TEST_SECRET"))));

  attachment.netns = "";
  env = PluginEnv(CniCommand::kDel, &attachment, {"/opt/cni/bin"});
  EXPECT_THAT(env, Contains("CNI_COMMAND=DEL"));
  EXPECT_THAT(env, Not(Contains(HasSubstr("CNI_NETNS"))));

  env = PluginEnv(CniCommand::kStatus, nullptr, {"/opt/cni/bin"});
  EXPECT_THAT(env, ElementsAre("CNI_COMMAND=STATUS", "CNI_PATH=/opt/cni/bin", HasSubstr("PATH=")));
}

TEST(CniErrorTest, ParsesTheErrorObject) {
  auto error = ParseCniError(
      R"({"cniVersion":"1.0.0","code":7,"msg":"invalid config","details":"no bridge name"})");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, 7);
  EXPECT_EQ(error->msg, "invalid config");
  EXPECT_EQ(error->details, "no bridge name");
  auto no_details = ParseCniError(R"({"code":11,"msg":"busy"})");
  ASSERT_TRUE(no_details.has_value());
  EXPECT_EQ(no_details->details, "");
  EXPECT_FALSE(ParseCniError("").has_value());
  EXPECT_FALSE(ParseCniError("panic: runtime error").has_value());
  EXPECT_FALSE(ParseCniError(R"({"cniVersion":"1.0.0","ips":[]})").has_value());
  EXPECT_FALSE(ParseCniError("[1]").has_value());
}

TEST(CniErrorTest, DescribesThePlugin) {
  PluginConfig bridge{"bridge", nlohmann::json::object()};
  EXPECT_EQ(DescribePluginError(bridge, "mynet", CniCommand::kAdd,
                                CniError{7, "invalid config", "no bridge name"}),
            "plugin type=\"bridge\" name=\"mynet\" failed (add): invalid config: no bridge name "
            "(CNI error code 7)");
  EXPECT_EQ(DescribePluginError(bridge, "mynet", CniCommand::kDel, CniError{3, "gone", ""}),
            "plugin type=\"bridge\" name=\"mynet\" failed (del): gone (CNI error code 3)");
}

TEST(AttachmentIdsTest, SpecRules) {
  EXPECT_TRUE(ValidateAttachmentIds("abc123", "eth0").ok());
  EXPECT_TRUE(ValidateAttachmentIds("a.b_c-d", "net1").ok());
  EXPECT_FALSE(ValidateAttachmentIds("", "eth0").ok());
  EXPECT_FALSE(ValidateAttachmentIds("-abc", "eth0").ok());
  EXPECT_FALSE(ValidateAttachmentIds("../../etc", "eth0").ok());
  EXPECT_FALSE(ValidateAttachmentIds("abc", "").ok());
  EXPECT_FALSE(ValidateAttachmentIds("abc", "..").ok());
  EXPECT_FALSE(ValidateAttachmentIds("abc", "a/b").ok());
  EXPECT_FALSE(ValidateAttachmentIds("abc", "eth 0").ok());
  EXPECT_FALSE(ValidateAttachmentIds("abc", "a234567890123456").ok());
  EXPECT_TRUE(ValidateAttachmentIds("abc", "a23456789012345").ok());
}

}  // namespace
}  // namespace crio::network
