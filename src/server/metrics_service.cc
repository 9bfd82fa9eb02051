// ListMetricDescriptors and ListPodSandboxMetrics: the kubelet's cAdvisor-less metrics, named as
// cAdvisor names them, for the groups [crio.stats] included_pod_metrics enables.
#include <algorithm>
#include <string>
#include <vector>

#include "crio/container/manager.h"
#include "crio/sandbox/manager.h"
#include "grpc_status.h"
#include "runtime_service.h"

namespace crio::server {
namespace {

using runtime::v1::MetricType;

// Every metric carries these labels first: the container (or pod) id, its name and image.
const std::vector<std::string>& BaseLabels() {
  static const std::vector<std::string> kLabels = {"id", "name", "image"};
  return kLabels;
}

struct Sample {
  std::vector<std::string> extra_labels;  // values of the descriptor's extra label keys
  uint64_t value = 0;
};

// One metric: its group (an included_pod_metrics name), cAdvisor name and kind, and how its
// samples come from a container's or a pod's figures (exactly one of the two is set).
struct MetricDef {
  const char* group;
  const char* name;
  const char* help;
  MetricType type;
  std::vector<std::string> extra_label_keys;
  std::vector<Sample> (*container)(const container::ContainerStatsData&) = nullptr;
  std::vector<Sample> (*pod)(const container::PodStatsData&) = nullptr;
};

std::vector<Sample> One(uint64_t value) { return {Sample{{}, value}}; }

template <uint64_t network::InterfaceStats::*Field>
std::vector<Sample> PerInterface(const container::PodStatsData& pod) {
  std::vector<Sample> samples;
  for (const auto& interface : pod.interfaces) {
    samples.push_back({{interface.name}, interface.*Field});
  }
  return samples;
}

constexpr double kNanosPerSecond = 1e9;

// Counters in seconds are reported as whole seconds: the CRI carries unsigned integers only.
uint64_t Seconds(uint64_t nanos) { return static_cast<uint64_t>(nanos / kNanosPerSecond); }

const std::vector<MetricDef>& Metrics() {
  using Data = container::ContainerStatsData;
  static const std::vector<MetricDef> kMetrics = {
      // cpu
      {"cpu",
       "container_cpu_usage_seconds_total",
       "Cumulative cpu time consumed in seconds.",
       runtime::v1::COUNTER,
       {},
       [](const Data& d) { return One(Seconds(d.cgroup.cpu_usage_ns)); }},
      {"cpu",
       "container_cpu_user_seconds_total",
       "Cumulative user cpu time consumed in seconds.",
       runtime::v1::COUNTER,
       {},
       [](const Data& d) { return One(Seconds(d.cgroup.cpu_user_ns)); }},
      {"cpu",
       "container_cpu_system_seconds_total",
       "Cumulative system cpu time consumed in seconds.",
       runtime::v1::COUNTER,
       {},
       [](const Data& d) { return One(Seconds(d.cgroup.cpu_system_ns)); }},
      {"cpu",
       "container_cpu_cfs_periods_total",
       "Number of elapsed enforcement period intervals.",
       runtime::v1::COUNTER,
       {},
       [](const Data& d) { return One(d.cgroup.cpu_periods); }},
      {"cpu",
       "container_cpu_cfs_throttled_periods_total",
       "Number of throttled period intervals.",
       runtime::v1::COUNTER,
       {},
       [](const Data& d) { return One(d.cgroup.cpu_throttled_periods); }},
      {"cpu",
       "container_cpu_cfs_throttled_seconds_total",
       "Total time duration the container has been throttled.",
       runtime::v1::COUNTER,
       {},
       [](const Data& d) { return One(Seconds(d.cgroup.cpu_throttled_ns)); }},
      // memory
      {"memory",
       "container_memory_usage_bytes",
       "Current memory usage in bytes, including all memory regardless of when it was accessed.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.memory_usage); }},
      {"memory",
       "container_memory_working_set_bytes",
       "Current working set in bytes.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.working_set); }},
      {"memory",
       "container_memory_rss",
       "Size of RSS in bytes.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.rss); }},
      {"memory",
       "container_memory_cache",
       "Number of bytes of page cache memory.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.memory_cache); }},
      {"memory",
       "container_memory_mapped_file",
       "Size of memory mapped files in bytes.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.memory_mapped_file); }},
      {"memory",
       "container_memory_swap",
       "Container swap usage in bytes.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.memory_swap); }},
      {"memory",
       "container_memory_max_usage_bytes",
       "Maximum memory usage recorded in bytes.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.memory_max_usage); }},
      {"memory",
       "container_memory_failcnt",
       "Number of memory usage hits limits.",
       runtime::v1::COUNTER,
       {},
       [](const Data& d) { return One(d.cgroup.memory_failcnt); }},
      {"memory",
       "container_memory_failures_total",
       "Cumulative count of memory allocation failures.",
       runtime::v1::COUNTER,
       {"failure_type", "scope"},
       [](const Data& d) {
         return std::vector<Sample>{{{"pgfault", "container"}, d.cgroup.page_faults},
                                    {{"pgmajfault", "container"}, d.cgroup.major_page_faults}};
       }},
      // network: the pod's namespace, per interface
      {"network",
       "container_network_receive_bytes_total",
       "Cumulative count of bytes received.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::rx_bytes>},
      {"network",
       "container_network_receive_packets_total",
       "Cumulative count of packets received.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::rx_packets>},
      {"network",
       "container_network_receive_packets_dropped_total",
       "Cumulative count of packets dropped while receiving.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::rx_dropped>},
      {"network",
       "container_network_receive_errors_total",
       "Cumulative count of errors encountered while receiving.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::rx_errors>},
      {"network",
       "container_network_transmit_bytes_total",
       "Cumulative count of bytes transmitted.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::tx_bytes>},
      {"network",
       "container_network_transmit_packets_total",
       "Cumulative count of packets transmitted.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::tx_packets>},
      {"network",
       "container_network_transmit_packets_dropped_total",
       "Cumulative count of packets dropped while transmitting.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::tx_dropped>},
      {"network",
       "container_network_transmit_errors_total",
       "Cumulative count of errors encountered while transmitting.",
       runtime::v1::COUNTER,
       {"interface"},
       nullptr,
       PerInterface<&network::InterfaceStats::tx_errors>},
      // process
      {"process",
       "container_processes",
       "Number of processes running inside the container.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.processes.processes); }},
      {"process",
       "container_threads",
       "Number of threads running inside the container.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.pids); }},
      {"process",
       "container_threads_max",
       "Maximum number of threads allowed inside the container, 0 when unlimited.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.cgroup.pids_max); }},
      {"process",
       "container_file_descriptors",
       "Number of open file descriptors for the container.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.processes.file_descriptors); }},
      {"process",
       "container_sockets",
       "Number of open sockets for the container.",
       runtime::v1::GAUGE,
       {},
       [](const Data& d) { return One(d.processes.sockets); }},
  };
  return kMetrics;
}

bool Included(const std::vector<std::string>& groups, const char* group) {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

void AddSamples(const MetricDef& def, const std::vector<Sample>& samples, int64_t timestamp,
                const std::vector<std::string>& base_values,
                google::protobuf::RepeatedPtrField<runtime::v1::Metric>* out) {
  for (const Sample& sample : samples) {
    runtime::v1::Metric* metric = out->Add();
    metric->set_name(def.name);
    metric->set_timestamp(timestamp);
    metric->set_metric_type(def.type);
    for (const auto& value : base_values) metric->add_label_values(value);
    for (const auto& value : sample.extra_labels) metric->add_label_values(value);
    metric->mutable_value()->set_value(sample.value);
  }
}

}  // namespace

grpc::Status RuntimeServiceImpl::ListMetricDescriptors(
    grpc::ServerContext*, const runtime::v1::ListMetricDescriptorsRequest*,
    runtime::v1::ListMetricDescriptorsResponse* response) {
  const std::vector<std::string>& groups = config_->Get()->stats.included_pod_metrics;
  for (const MetricDef& def : Metrics()) {
    if (!Included(groups, def.group)) continue;
    runtime::v1::MetricDescriptor* descriptor = response->add_descriptors();
    descriptor->set_name(def.name);
    descriptor->set_help(def.help);
    for (const auto& key : BaseLabels()) descriptor->add_label_keys(key);
    for (const auto& key : def.extra_label_keys) descriptor->add_label_keys(key);
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::ListPodSandboxMetrics(
    grpc::ServerContext*, const runtime::v1::ListPodSandboxMetricsRequest*,
    runtime::v1::ListPodSandboxMetricsResponse* response) {
  std::vector<std::string> groups = config_->Get()->stats.included_pod_metrics;
  if (groups.empty()) return grpc::Status::OK;
  bool with_processes = Included(groups, "process");
  for (const sandbox::Sandbox& pod : services_.sandboxes->List({})) {
    if (pod.state != sandbox::SandboxState::kReady) continue;
    absl::StatusOr<container::PodStatsData> stats =
        services_.containers->PodStats(pod.id, with_processes);
    if (!stats.ok()) continue;  // removed meanwhile
    runtime::v1::PodSandboxMetrics* pod_metrics = response->add_pod_metrics();
    pod_metrics->set_pod_sandbox_id(pod.id);
    std::vector<std::string> pod_labels = {pod.id, pod.config.metadata().name(), ""};
    for (const MetricDef& def : Metrics()) {
      if (def.pod == nullptr || !Included(groups, def.group)) continue;
      AddSamples(def, def.pod(*stats), stats->timestamp, pod_labels,
                 pod_metrics->mutable_metrics());
    }
    for (const container::ContainerStatsData& data : stats->containers) {
      runtime::v1::ContainerMetrics* container_metrics = pod_metrics->add_container_metrics();
      container_metrics->set_container_id(data.container.id);
      std::vector<std::string> labels = {data.container.id, data.container.config.metadata().name(),
                                         data.container.config.image().image()};
      for (const MetricDef& def : Metrics()) {
        if (def.container == nullptr || !Included(groups, def.group)) continue;
        bool have = std::string_view(def.group) == "process" ? data.has_processes && data.has_cgroup
                                                             : data.has_cgroup;
        if (!have) continue;
        AddSamples(def, def.container(data), data.timestamp, labels,
                   container_metrics->mutable_metrics());
      }
    }
  }
  return grpc::Status::OK;
}

}  // namespace crio::server
