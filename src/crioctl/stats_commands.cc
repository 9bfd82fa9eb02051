// crictl's stats, statsp and update commands.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "commands.h"
#include "output.h"

namespace crioctl {
namespace {

// CPU % between two cumulative samples (nanoseconds of CPU over nanoseconds of wall time).
double CpuPercent(uint64_t cpu_before, int64_t at_before, uint64_t cpu_after, int64_t at_after) {
  if (at_after <= at_before || cpu_after < cpu_before) return 0;
  return 100.0 * static_cast<double>(cpu_after - cpu_before) /
         static_cast<double>(at_after - at_before);
}

}  // namespace

void AddStatsCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  CLI::App* stats = app.add_subcommand("stats", "Show container resource usage");
  struct StatsOptions {
    std::string id, pod, output;
    std::vector<std::string> labels;
    int seconds = 1;
    bool all = false;
    bool watch = false;
  };
  auto opts = std::make_shared<StatsOptions>();
  stats->add_option("id", opts->id, "Only this container (or id prefix)");
  stats->add_option("-p,--pod", opts->pod, "Only containers of this pod");
  stats->add_option("--label", opts->labels, "Only containers with this label (key=value)");
  stats->add_option("-o,--output", opts->output, "Output format: json, yaml or table");
  stats->add_option("-s,--seconds", opts->seconds, "Sample interval for CPU %");
  stats->add_flag("-a,--all", opts->all, "Show all containers (default: only running ones)");
  stats->add_flag("-w,--watch", opts->watch, "Show the figures again every interval");
  stats->callback([&globals, &exit_code, opts] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ListContainerStatsRequest request;
      request.mutable_filter()->set_id(opts->id);
      request.mutable_filter()->set_pod_sandbox_id(opts->pod);
      for (const std::string& item : opts->labels) {
        size_t equals = item.find('=');
        (*request.mutable_filter()->mutable_label_selector())[item.substr(0, equals)] =
            equals == std::string::npos ? "" : item.substr(equals + 1);
      }
      // The stats filter has no state: as crictl does, running containers are asked for apart.
      auto sample = [&](runtime::v1::ListContainerStatsResponse* out) {
        grpc::Status status =
            client.runtime().ListContainerStats(client.NewContext().get(), request, out);
        if (!status.ok() || opts->all) return status;
        runtime::v1::ListContainersRequest list;
        list.mutable_filter()->mutable_state()->set_state(runtime::v1::CONTAINER_RUNNING);
        runtime::v1::ListContainersResponse running;
        status = client.runtime().ListContainers(client.NewContext().get(), list, &running);
        if (!status.ok()) return status;
        std::set<std::string> ids;
        for (const auto& c : running.containers()) ids.insert(c.id());
        auto* items = out->mutable_stats();
        items->erase(std::remove_if(items->begin(), items->end(),
                                    [&](const runtime::v1::ContainerStats& s) {
                                      return !ids.contains(s.attributes().id());
                                    }),
                     items->end());
        return status;
      };
      auto interval = [&] { ::sleep(static_cast<unsigned>(std::max(1, opts->seconds))); };
      bool document = !opts->output.empty() && opts->output != "table";
      runtime::v1::ListContainerStatsResponse before;
      if (grpc::Status status = sample(&before); !status.ok()) {
        return ReportFailure("listing container stats", status);
      }
      while (true) {
        if (document) {
          if (int printed = PrintDocument(ToJson(before), opts->output); printed != 0) {
            return printed;
          }
          if (!opts->watch) return 0;
          interval();
          if (grpc::Status status = sample(&before); !status.ok()) {
            return ReportFailure("listing container stats", status);
          }
          continue;
        }
        interval();
        runtime::v1::ListContainerStatsResponse after;
        if (grpc::Status status = sample(&after); !status.ok()) {
          return ReportFailure("listing container stats", status);
        }
        std::map<std::string, const runtime::v1::ContainerStats*> earlier;
        for (const auto& s : before.stats()) earlier[s.attributes().id()] = &s;
        std::printf("%-13s   %-20s   %-8s   %-10s   %-10s   %s\n", "CONTAINER", "NAME", "CPU %",
                    "MEM", "DISK", "INODES");
        for (const auto& s : after.stats()) {
          double cpu = 0;
          if (auto found = earlier.find(s.attributes().id()); found != earlier.end()) {
            cpu = CpuPercent(found->second->cpu().usage_core_nano_seconds().value(),
                             found->second->cpu().timestamp(),
                             s.cpu().usage_core_nano_seconds().value(), s.cpu().timestamp());
          }
          std::printf("%-13s   %-20s   %-8.2f   %-10s   %-10s   %llu\n",
                      TruncateId(s.attributes().id()).c_str(),
                      s.attributes().metadata().name().c_str(), cpu,
                      HumanSize(s.memory().working_set_bytes().value()).c_str(),
                      HumanSize(s.writable_layer().used_bytes().value()).c_str(),
                      static_cast<unsigned long long>(s.writable_layer().inodes_used().value()));
        }
        // A reader that went away (`| head`) ends the watch.
        if (!opts->watch || std::fflush(stdout) != 0 || std::ferror(stdout)) return 0;
        std::printf("\n");
        before = std::move(after);
      }
    });
  });

  CLI::App* statsp = app.add_subcommand("statsp", "Show pod resource usage");
  auto pod_id = std::make_shared<std::string>();
  auto pod_output = std::make_shared<std::string>();
  statsp->add_option("id", *pod_id, "Only this pod (or id prefix)");
  statsp->add_option("-o,--output", *pod_output, "Output format: json, yaml or table");
  statsp->callback([&globals, &exit_code, pod_id, pod_output] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ListPodSandboxStatsRequest request;
      request.mutable_filter()->set_id(*pod_id);
      runtime::v1::ListPodSandboxStatsResponse response;
      grpc::Status status =
          client.runtime().ListPodSandboxStats(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("listing pod stats", status);
      if (!pod_output->empty() && *pod_output != "table") {
        return PrintDocument(ToJson(response), *pod_output);
      }
      std::printf("%-13s   %-30s   %-10s   %-10s   %-10s   %s\n", "POD", "NAME", "MEM", "RX", "TX",
                  "PROCS");
      for (const auto& s : response.stats()) {
        const auto& linux = s.linux();
        std::printf("%-13s   %-30s   %-10s   %-10s   %-10s   %llu\n",
                    TruncateId(s.attributes().id()).c_str(),
                    s.attributes().metadata().name().c_str(),
                    HumanSize(linux.memory().working_set_bytes().value()).c_str(),
                    HumanSize(linux.network().default_interface().rx_bytes().value()).c_str(),
                    HumanSize(linux.network().default_interface().tx_bytes().value()).c_str(),
                    static_cast<unsigned long long>(linux.process().process_count().value()));
      }
      return 0;
    });
  });

  CLI::App* update = app.add_subcommand("update", "Update container resources");
  struct UpdateOptions {
    std::vector<std::string> ids;
    int64_t memory = 0, cpu_quota = 0, cpu_period = 0, cpu_share = 0;
    std::string cpuset_cpus, cpuset_mems;
  };
  auto update_opts = std::make_shared<UpdateOptions>();
  update->add_option("container-id", update_opts->ids, "Containers")->required();
  update->add_option("--memory", update_opts->memory, "Memory limit in bytes");
  update->add_option("--cpu-quota", update_opts->cpu_quota, "CPU CFS quota (microseconds)");
  update->add_option("--cpu-period", update_opts->cpu_period, "CPU CFS period (microseconds)");
  update->add_option("--cpu-share", update_opts->cpu_share, "CPU shares");
  update->add_option("--cpuset-cpus", update_opts->cpuset_cpus, "CPUs allowed (0-3, 0,1)");
  update->add_option("--cpuset-mems", update_opts->cpuset_mems, "Memory nodes allowed");
  update->callback([&globals, &exit_code, update_opts] {
    exit_code = WithClient(globals, [&](Client& client) {
      for (const std::string& id : update_opts->ids) {
        runtime::v1::UpdateContainerResourcesRequest request;
        request.set_container_id(id);
        auto* linux = request.mutable_linux();
        linux->set_memory_limit_in_bytes(update_opts->memory);
        linux->set_cpu_quota(update_opts->cpu_quota);
        linux->set_cpu_period(update_opts->cpu_period);
        linux->set_cpu_shares(update_opts->cpu_share);
        linux->set_cpuset_cpus(update_opts->cpuset_cpus);
        linux->set_cpuset_mems(update_opts->cpuset_mems);
        runtime::v1::UpdateContainerResourcesResponse response;
        grpc::Status status = client.runtime().UpdateContainerResources(client.NewContext().get(),
                                                                        request, &response);
        if (!status.ok()) return ReportFailure("updating container " + id, status);
        std::cout << id << "\n";
      }
      return 0;
    });
  });
}

}  // namespace crioctl
