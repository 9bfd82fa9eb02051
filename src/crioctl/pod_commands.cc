// crictl's pod commands: runp, pods, inspectp, stopp, rmp.
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"

namespace crioctl {
namespace {

const char* StateName(runtime::v1::PodSandboxState state) {
  return state == runtime::v1::SANDBOX_READY ? "Ready" : "NotReady";
}

// "k=v" items of --label.
std::map<std::string, std::string> ParseLabels(const std::vector<std::string>& items) {
  std::map<std::string, std::string> labels;
  for (const std::string& item : items) {
    size_t equals = item.find('=');
    labels[item.substr(0, equals)] = equals == std::string::npos ? "" : item.substr(equals + 1);
  }
  return labels;
}

// Stops (when asked) and removes one pod; prints what crictl prints.
int RemovePod(Client& client, const std::string& id, bool force) {
  if (force) {
    runtime::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    runtime::v1::StopPodSandboxResponse stopped;
    grpc::Status status =
        client.runtime().StopPodSandbox(client.NewContext().get(), stop, &stopped);
    if (!status.ok()) return ReportFailure("stopping the pod sandbox " + id, status);
  }
  runtime::v1::RemovePodSandboxRequest request;
  request.set_pod_sandbox_id(id);
  runtime::v1::RemovePodSandboxResponse response;
  grpc::Status status =
      client.runtime().RemovePodSandbox(client.NewContext().get(), request, &response);
  if (!status.ok()) return ReportFailure("removing the pod sandbox " + id, status);
  std::cout << "Removed sandbox " << id << "\n";
  return 0;
}

}  // namespace

void AddPodCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  CLI::App* runp = app.add_subcommand("runp", "Run a new pod");
  auto runp_config = std::make_shared<std::string>();
  auto runp_runtime = std::make_shared<std::string>();
  runp->add_option("pod-config", *runp_config, "Pod config file (JSON or YAML)")->required();
  runp->add_option("-r,--runtime", *runp_runtime, "Runtime handler to use");
  runp->callback([&globals, &exit_code, runp_config, runp_runtime] {
    runtime::v1::RunPodSandboxRequest request;
    if (absl::Status loaded = LoadMessageFile(*runp_config, request.mutable_config());
        !loaded.ok()) {
      std::cerr << "crioctl: " << loaded.message() << "\n";
      exit_code = 1;
      return;
    }
    request.set_runtime_handler(*runp_runtime);
    GlobalOptions long_timeout = globals;
    if (long_timeout.timeout == "2s") long_timeout.timeout = "4m";  // the pause image may be pulled
    exit_code = WithClient(long_timeout, [&](Client& client) {
      runtime::v1::RunPodSandboxResponse response;
      grpc::Status status =
          client.runtime().RunPodSandbox(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("running the pod sandbox", status);
      std::cout << response.pod_sandbox_id() << "\n";
      return 0;
    });
  });

  CLI::App* pods = app.add_subcommand("pods", "List pods");
  struct PodsOptions {
    std::string id, name, namespace_name, state, output;
    std::vector<std::string> labels;
    bool quiet = false, no_trunc = false;
  };
  auto opts = std::make_shared<PodsOptions>();
  pods->add_option("--id", opts->id, "Only the pod with this id (or id prefix)");
  pods->add_option("--name", opts->name, "Only pods whose name contains this");
  pods->add_option("--namespace", opts->namespace_name, "Only pods in this namespace");
  pods->add_option("-s,--state", opts->state, "Only pods in this state (ready, notready)");
  pods->add_option("--label", opts->labels, "Only pods with this label (key=value)");
  pods->add_flag("-q,--quiet", opts->quiet, "Only show pod IDs");
  pods->add_flag("--no-trunc", opts->no_trunc, "Show full IDs");
  pods->add_option("-o,--output", opts->output, "Output format: json, yaml or table");
  pods->callback([&globals, &exit_code, opts] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ListPodSandboxRequest request;
      auto* filter = request.mutable_filter();
      filter->set_id(opts->id);
      if (!opts->state.empty()) {
        std::string state;
        for (char c : opts->state) state += static_cast<char>(std::tolower(c));
        if (state == "ready" || state == "sandbox_ready") {
          filter->mutable_state()->set_state(runtime::v1::SANDBOX_READY);
        } else if (state == "notready" || state == "sandbox_notready") {
          filter->mutable_state()->set_state(runtime::v1::SANDBOX_NOTREADY);
        } else {
          std::cerr << "crioctl: unknown state \"" << opts->state << "\"\n";
          return 1;
        }
      }
      for (const auto& [key, value] : ParseLabels(opts->labels)) {
        (*filter->mutable_label_selector())[key] = value;
      }
      runtime::v1::ListPodSandboxResponse response;
      grpc::Status status =
          client.runtime().ListPodSandbox(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("listing pod sandboxes", status);
      // Name and namespace are client-side filters in crictl too.
      runtime::v1::ListPodSandboxResponse shown;
      for (const auto& pod : response.items()) {
        if (!opts->name.empty() && pod.metadata().name().find(opts->name) == std::string::npos) {
          continue;
        }
        if (!opts->namespace_name.empty() && pod.metadata().namespace_() != opts->namespace_name) {
          continue;
        }
        *shown.add_items() = pod;
      }
      if (!opts->output.empty() && opts->output != "table") {
        return PrintDocument(ToJson(shown), opts->output);
      }
      if (opts->quiet) {
        for (const auto& pod : shown.items()) std::cout << pod.id() << "\n";
        return 0;
      }
      std::printf("%-13s   %-22s   %-8s   %-30s   %-20s   %-7s   %s\n", "POD ID", "CREATED",
                  "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME");
      for (const auto& pod : shown.items()) {
        std::string id = opts->no_trunc ? pod.id() : TruncateId(pod.id());
        std::string handler = pod.runtime_handler().empty() ? "(default)" : pod.runtime_handler();
        std::printf("%-13s   %-22s   %-8s   %-30s   %-20s   %-7u   %s\n", id.c_str(),
                    Age(pod.created_at()).c_str(), StateName(pod.state()),
                    pod.metadata().name().c_str(), pod.metadata().namespace_().c_str(),
                    pod.metadata().attempt(), handler.c_str());
      }
      return 0;
    });
  });

  CLI::App* inspectp = app.add_subcommand("inspectp", "Show the status of pods");
  auto inspect_ids = std::make_shared<std::vector<std::string>>();
  auto inspect_output = std::make_shared<std::string>("json");
  inspectp->add_option("pod-id", *inspect_ids, "Pods to inspect")->required();
  inspectp->add_option("-o,--output", *inspect_output, "Output format: json or yaml");
  inspectp->callback([&globals, &exit_code, inspect_ids, inspect_output] {
    exit_code = WithClient(globals, [&](Client& client) {
      for (const std::string& id : *inspect_ids) {
        runtime::v1::PodSandboxStatusRequest request;
        request.set_pod_sandbox_id(id);
        request.set_verbose(true);
        runtime::v1::PodSandboxStatusResponse response;
        grpc::Status status =
            client.runtime().PodSandboxStatus(client.NewContext().get(), request, &response);
        if (!status.ok()) return ReportFailure("getting the status of pod " + id, status);
        if (int code = PrintStatus(response.status(), response.info(), *inspect_output);
            code != 0) {
          return code;
        }
      }
      return 0;
    });
  });

  CLI::App* stopp = app.add_subcommand("stopp", "Stop pods");
  auto stop_ids = std::make_shared<std::vector<std::string>>();
  stopp->add_option("pod-id", *stop_ids, "Pods to stop")->required();
  stopp->callback([&globals, &exit_code, stop_ids] {
    GlobalOptions long_timeout = globals;
    if (long_timeout.timeout == "2s") long_timeout.timeout = "2m";
    exit_code = WithClient(long_timeout, [&](Client& client) {
      for (const std::string& id : *stop_ids) {
        runtime::v1::StopPodSandboxRequest request;
        request.set_pod_sandbox_id(id);
        runtime::v1::StopPodSandboxResponse response;
        grpc::Status status =
            client.runtime().StopPodSandbox(client.NewContext().get(), request, &response);
        if (!status.ok()) return ReportFailure("stopping the pod sandbox " + id, status);
        std::cout << "Stopped sandbox " << id << "\n";
      }
      return 0;
    });
  });

  CLI::App* rmp = app.add_subcommand("rmp", "Remove pods");
  auto remove_ids = std::make_shared<std::vector<std::string>>();
  auto remove_all = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  rmp->add_option("pod-id", *remove_ids, "Pods to remove");
  rmp->add_flag("-a,--all", *remove_all, "Remove every pod");
  rmp->add_flag("-f,--force", *force, "Stop running pods first");
  rmp->callback([&globals, &exit_code, remove_ids, remove_all, force] {
    GlobalOptions long_timeout = globals;
    if (long_timeout.timeout == "2s") long_timeout.timeout = "2m";
    exit_code = WithClient(long_timeout, [&](Client& client) {
      std::vector<std::string> ids = *remove_ids;
      if (*remove_all) {
        runtime::v1::ListPodSandboxResponse listed;
        grpc::Status status =
            client.runtime().ListPodSandbox(client.NewContext().get(), {}, &listed);
        if (!status.ok()) return ReportFailure("listing pod sandboxes", status);
        for (const auto& pod : listed.items()) ids.push_back(pod.id());
      } else if (ids.empty()) {
        std::cerr << "crioctl: rmp needs pod IDs or --all\n";
        return 1;
      }
      int code = 0;
      for (const std::string& id : ids) code |= RemovePod(client, id, *force);
      return code;
    });
  });
}

}  // namespace crioctl
