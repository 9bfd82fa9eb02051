// crictl's container commands: create, start, ps, inspect, stop, rm, logs.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "commands.h"
#include "output.h"

namespace crioctl {
namespace {

const char* StateName(runtime::v1::ContainerState state) {
  switch (state) {
    case runtime::v1::CONTAINER_CREATED:
      return "Created";
    case runtime::v1::CONTAINER_RUNNING:
      return "Running";
    case runtime::v1::CONTAINER_EXITED:
      return "Exited";
    default:
      return "Unknown";
  }
}

// The message of a CRI log line: "<time> <stream> <P|F> <message>"; full lines end with '\n'.
void PrintLogLine(const std::string& line, bool timestamps) {
  size_t first = line.find(' ');
  size_t second = first == std::string::npos ? first : line.find(' ', first + 1);
  size_t third = second == std::string::npos ? second : line.find(' ', second + 1);
  if (third == std::string::npos) return;
  std::string stream = line.substr(first + 1, second - first - 1);
  bool partial = line.compare(second + 1, 1, "P") == 0;
  std::ostream& out = stream == "stderr" ? std::cerr : std::cout;
  if (timestamps) out << line.substr(0, first) << " ";
  out << line.substr(third + 1);
  if (!partial) out << "\n";
}

// The time at the start of a CRI log line (RFC 3339 with nanoseconds); nullopt when unreadable.
std::optional<absl::Time> LineTime(const std::string& line) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, line.substr(0, line.find(' ')), &time, &error)) {
    return std::nullopt;
  }
  return time;
}

// --since as crictl takes it: an RFC 3339 time, or a duration back from now ("42m", "1h30m").
absl::StatusOr<absl::Time> ParseSince(const std::string& text) {
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  absl::Duration ago;
  if (absl::ParseDuration(text, &ago) && ago >= absl::ZeroDuration()) return absl::Now() - ago;
  return absl::InvalidArgumentError("--since \"" + text +
                                    "\" is neither an RFC 3339 time nor a duration such as 42m");
}

// The log of the container's previous attempt, found as crictl finds it: the same directory, the
// attempt number one lower as the file name, the same extension (".../2.log" -> ".../1.log").
absl::StatusOr<std::string> PreviousLogPath(const runtime::v1::ContainerStatus& status) {
  uint32_t attempt = status.metadata().attempt();
  if (attempt == 0) {
    return absl::NotFoundError("previous terminated container " + status.metadata().name() +
                               " not found");
  }
  const std::string& path = status.log_path();
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  std::string extension = dot == std::string::npos || (slash != std::string::npos && dot < slash)
                              ? ""
                              : path.substr(dot);
  return path.substr(0, slash == std::string::npos ? 0 : slash + 1) + std::to_string(attempt - 1) +
         extension;
}

// Rows printed as crictl's tables are (Go's tabwriter, minimum width 20, padding 3): each column
// as wide as its widest cell plus 3, at least 20; the last one unpadded.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size() + 3);
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(std::max<size_t>(widths[i], 20) - row[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

std::string LabelOf(const runtime::v1::Container& c, const char* key) {
  auto found = c.labels().find(key);
  return found == c.labels().end() ? "" : found->second;
}

}  // namespace

void AddContainerCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  CLI::App* create = app.add_subcommand("create", "Create a container in a pod");
  auto create_args = std::make_shared<std::vector<std::string>>();
  create->add_option("args", *create_args, "POD-ID CONTAINER-CONFIG POD-CONFIG")
      ->required()
      ->expected(3);
  create->callback([&globals, &exit_code, create_args] {
    runtime::v1::CreateContainerRequest request;
    request.set_pod_sandbox_id((*create_args)[0]);
    for (auto [path, message] : {std::pair<std::string, google::protobuf::Message*>{
                                     (*create_args)[1], request.mutable_config()},
                                 {(*create_args)[2], request.mutable_sandbox_config()}}) {
      if (absl::Status loaded = LoadMessageFile(path, message); !loaded.ok()) {
        std::cerr << "crioctl: " << loaded.message() << "\n";
        exit_code = 1;
        return;
      }
    }
    exit_code = WithClient(WithTimeout(globals, "4m"), [&](Client& client) {
      runtime::v1::CreateContainerResponse response;
      grpc::Status status =
          client.runtime().CreateContainer(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("creating the container", status);
      std::cout << response.container_id() << "\n";
      return 0;
    });
  });

  CLI::App* start = app.add_subcommand("start", "Start created containers");
  auto start_ids = std::make_shared<std::vector<std::string>>();
  start->add_option("container-id", *start_ids, "Containers")->required();
  start->callback([&globals, &exit_code, start_ids] {
    exit_code = WithClient(WithTimeout(globals, "1m"), [&](Client& client) {
      for (const std::string& id : *start_ids) {
        runtime::v1::StartContainerRequest request;
        request.set_container_id(id);
        runtime::v1::StartContainerResponse response;
        grpc::Status status =
            client.runtime().StartContainer(client.NewContext().get(), request, &response);
        if (!status.ok()) return ReportFailure("starting container " + id, status);
        std::cout << id << "\n";
      }
      return 0;
    });
  });

  CLI::App* ps = app.add_subcommand("ps", "List containers");
  struct PsOptions {
    bool all = false, quiet = false, no_trunc = false;
    std::string pod, name, state, id, output;
    std::vector<std::string> labels;
  };
  auto ps_opts = std::make_shared<PsOptions>();
  ps->add_flag("-a,--all", ps_opts->all, "Show all containers, not only running ones");
  ps->add_flag("-q,--quiet", ps_opts->quiet, "Only show container IDs");
  ps->add_flag("--no-trunc", ps_opts->no_trunc, "Show full IDs");
  ps->add_option("-p,--pod", ps_opts->pod, "Only containers of this pod");
  ps->add_option("--name", ps_opts->name, "Only containers whose name contains this");
  ps->add_option("-s,--state", ps_opts->state, "Only containers in this state");
  ps->add_option("--id", ps_opts->id, "Only the container with this id (or prefix)");
  ps->add_option("--label", ps_opts->labels, "Only containers with this label (key=value)");
  ps->add_option("-o,--output", ps_opts->output, "Output format: json, yaml or table");
  ps->callback([&globals, &exit_code, ps_opts] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ListContainersRequest request;
      auto* filter = request.mutable_filter();
      filter->set_id(ps_opts->id);
      filter->set_pod_sandbox_id(ps_opts->pod);
      std::string state;
      for (char c : ps_opts->state) state += static_cast<char>(std::tolower(c));
      if (state == "created") filter->mutable_state()->set_state(runtime::v1::CONTAINER_CREATED);
      if (state == "running" || (state.empty() && !ps_opts->all)) {
        filter->mutable_state()->set_state(runtime::v1::CONTAINER_RUNNING);
      }
      if (state == "exited") filter->mutable_state()->set_state(runtime::v1::CONTAINER_EXITED);
      for (const std::string& item : ps_opts->labels) {
        size_t equals = item.find('=');
        (*filter->mutable_label_selector())[item.substr(0, equals)] =
            equals == std::string::npos ? "" : item.substr(equals + 1);
      }
      runtime::v1::ListContainersResponse response;
      grpc::Status status =
          client.runtime().ListContainers(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("listing containers", status);
      runtime::v1::ListContainersResponse shown;
      for (const auto& c : response.containers()) {
        if (!ps_opts->name.empty() &&
            c.metadata().name().find(ps_opts->name) == std::string::npos) {
          continue;
        }
        *shown.add_containers() = c;
      }
      if (!ps_opts->output.empty() && ps_opts->output != "table") {
        return PrintDocument(ToJson(shown), ps_opts->output);
      }
      if (ps_opts->quiet) {
        for (const auto& c : shown.containers()) std::cout << c.id() << "\n";
        return 0;
      }
      // crictl's columns; POD and NAMESPACE come from the labels the kubelet sets.
      std::vector<std::vector<std::string>> rows = {{"CONTAINER", "IMAGE", "CREATED", "STATE",
                                                     "NAME", "ATTEMPT", "POD ID", "POD",
                                                     "NAMESPACE"}};
      for (const auto& c : shown.containers()) {
        std::string image = c.image().image();
        // An image given by id shows as a truncated id, as in crictl.
        if (!ps_opts->no_trunc && image.rfind("sha256:", 0) == 0)
          image = TruncateId(image.substr(7));
        rows.push_back(
            {ps_opts->no_trunc ? c.id() : TruncateId(c.id()), image, Age(c.created_at()),
             StateName(c.state()), c.metadata().name(), std::to_string(c.metadata().attempt()),
             ps_opts->no_trunc ? c.pod_sandbox_id() : TruncateId(c.pod_sandbox_id()),
             LabelOf(c, "io.kubernetes.pod.name"), LabelOf(c, "io.kubernetes.pod.namespace")});
      }
      PrintTable(rows);
      return 0;
    });
  });

  CLI::App* inspect = app.add_subcommand("inspect", "Show the status of containers");
  auto inspect_ids = std::make_shared<std::vector<std::string>>();
  auto inspect_output = std::make_shared<std::string>("json");
  inspect->add_option("container-id", *inspect_ids, "Containers")->required();
  inspect->add_option("-o,--output", *inspect_output, "Output format: json or yaml");
  inspect->callback([&globals, &exit_code, inspect_ids, inspect_output] {
    exit_code = WithClient(globals, [&](Client& client) {
      for (const std::string& id : *inspect_ids) {
        runtime::v1::ContainerStatusRequest request;
        request.set_container_id(id);
        request.set_verbose(true);
        runtime::v1::ContainerStatusResponse response;
        grpc::Status status =
            client.runtime().ContainerStatus(client.NewContext().get(), request, &response);
        if (!status.ok()) return ReportFailure("getting the status of container " + id, status);
        if (int code = PrintStatus(response.status(), response.info(), *inspect_output);
            code != 0) {
          return code;
        }
      }
      return 0;
    });
  });

  CLI::App* stop = app.add_subcommand("stop", "Stop running containers");
  auto stop_ids = std::make_shared<std::vector<std::string>>();
  auto stop_timeout = std::make_shared<int64_t>(10);
  stop->add_option("container-id", *stop_ids, "Containers")->required();
  stop->add_option("-t,--timeout", *stop_timeout, "Seconds to wait before killing");
  stop->callback([&globals, &exit_code, stop_ids, stop_timeout] {
    exit_code = WithClient(WithTimeout(globals, "2m"), [&](Client& client) {
      for (const std::string& id : *stop_ids) {
        runtime::v1::StopContainerRequest request;
        request.set_container_id(id);
        request.set_timeout(*stop_timeout);
        runtime::v1::StopContainerResponse response;
        grpc::Status status =
            client.runtime().StopContainer(client.NewContext().get(), request, &response);
        if (!status.ok()) return ReportFailure("stopping container " + id, status);
        std::cout << id << "\n";
      }
      return 0;
    });
  });

  CLI::App* rm = app.add_subcommand("rm", "Remove containers");
  auto rm_ids = std::make_shared<std::vector<std::string>>();
  auto rm_all = std::make_shared<bool>(false);
  auto rm_force = std::make_shared<bool>(false);
  rm->add_option("container-id", *rm_ids, "Containers");
  rm->add_flag("-a,--all", *rm_all, "Remove every container");
  rm->add_flag("-f,--force", *rm_force, "Remove running containers too");
  rm->callback([&globals, &exit_code, rm_ids, rm_all, rm_force] {
    exit_code = WithClient(WithTimeout(globals, "2m"), [&](Client& client) {
      std::vector<std::string> ids = *rm_ids;
      if (*rm_all) {
        runtime::v1::ListContainersResponse listed;
        grpc::Status status =
            client.runtime().ListContainers(client.NewContext().get(), {}, &listed);
        if (!status.ok()) return ReportFailure("listing containers", status);
        for (const auto& c : listed.containers()) ids.push_back(c.id());
      }
      int code = 0;
      for (const std::string& id : ids) {
        if (!*rm_force) {
          runtime::v1::ContainerStatusRequest probe;
          probe.set_container_id(id);
          runtime::v1::ContainerStatusResponse state;
          if (client.runtime().ContainerStatus(client.NewContext().get(), probe, &state).ok() &&
              state.status().state() == runtime::v1::CONTAINER_RUNNING) {
            std::cerr << "crioctl: container " << id << " is running; stop it first or use -f\n";
            code = 1;
            continue;
          }
        }
        runtime::v1::RemoveContainerRequest request;
        request.set_container_id(id);
        runtime::v1::RemoveContainerResponse response;
        grpc::Status status =
            client.runtime().RemoveContainer(client.NewContext().get(), request, &response);
        if (!status.ok()) {
          code |= ReportFailure("removing container " + id, status);
          continue;
        }
        std::cout << id << "\n";
      }
      return code;
    });
  });

  CLI::App* logs = app.add_subcommand("logs", "Print a container's log");
  auto logs_id = std::make_shared<std::string>();
  auto logs_tail = std::make_shared<int64_t>(-1);
  auto logs_timestamps = std::make_shared<bool>(false);
  auto logs_follow = std::make_shared<bool>(false);
  auto logs_since = std::make_shared<std::string>();
  auto logs_previous = std::make_shared<bool>(false);
  logs->add_option("container-id", *logs_id, "Container")->required();
  logs->add_flag("-f,--follow", *logs_follow, "Keep printing new lines until the container exits");
  logs->add_option("--tail", *logs_tail, "Only the last N lines");
  logs->add_flag("-t,--timestamps", *logs_timestamps, "Show timestamps");
  logs->add_option("--since", *logs_since,
                   "Only lines since this time (RFC 3339) or this long ago (42m, 1h30m)");
  logs->add_flag("-p,--previous", *logs_previous,
                 "The log of the container's previous attempt in its pod");
  logs->callback([&globals, &exit_code, logs_id, logs_tail, logs_timestamps, logs_follow,
                  logs_since, logs_previous] {
    std::optional<absl::Time> since;
    if (!logs_since->empty()) {
      absl::StatusOr<absl::Time> parsed = ParseSince(*logs_since);
      if (!parsed.ok()) {
        std::cerr << "crioctl: " << parsed.status().message() << "\n";
        exit_code = 1;
        return;
      }
      since = *parsed;
    }
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ContainerStatusRequest request;
      request.set_container_id(*logs_id);
      runtime::v1::ContainerStatusResponse response;
      grpc::Status status =
          client.runtime().ContainerStatus(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("getting the log path", status);
      std::string log_path = response.status().log_path();
      if (*logs_previous) {
        absl::StatusOr<std::string> previous = PreviousLogPath(response.status());
        if (!previous.ok()) {
          std::cerr << "crioctl: " << previous.status().message() << "\n";
          return 1;
        }
        log_path = *previous;
      }
      // Like crictl, the log is read from the file the runtime writes (same node).
      std::ifstream file(log_path);
      if (!file) {
        std::cerr << "crioctl: cannot open " << log_path << "\n";
        return 1;
      }
      std::vector<std::string> lines;
      for (std::string line; std::getline(file, line);) {
        if (since) {
          std::optional<absl::Time> at = LineTime(line);
          if (at && *at < *since) continue;
        }
        lines.push_back(line);
      }
      // The previous attempt has ended: there is nothing to follow.
      if (*logs_previous) *logs_follow = false;
      size_t from = 0;
      if (*logs_tail >= 0 && static_cast<size_t>(*logs_tail) < lines.size()) {
        from = lines.size() - *logs_tail;
      }
      for (size_t i = from; i < lines.size(); ++i) PrintLogLine(lines[i], *logs_timestamps);
      if (!*logs_follow) return 0;
      // Follow: poll the file for new lines until the container is no longer running.
      file.clear();
      std::string partial;
      while (true) {
        std::string line;
        while (std::getline(file, line)) {
          if (file.eof()) {  // no newline yet: the writer is mid-line
            partial += line;
            break;
          }
          PrintLogLine(partial + line, *logs_timestamps);
          partial.clear();
        }
        std::cout.flush();
        file.clear();
        runtime::v1::ContainerStatusResponse now;
        if (!client.runtime().ContainerStatus(client.NewContext().get(), request, &now).ok() ||
            now.status().state() != runtime::v1::CONTAINER_RUNNING) {
          return 0;
        }
        ::usleep(200000);
      }
    });
  });
}

void AddEventsAndRunCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  CLI::App* events = app.add_subcommand("events", "Stream container and pod lifecycle events");
  auto events_output = std::make_shared<std::string>("json");
  events->add_option("-o,--output", *events_output, "Output format: json or yaml");
  events->callback([&globals, &exit_code, events_output] {
    exit_code = WithClient(globals, [&](Client& client) {
      grpc::ClientContext context;  // no deadline: until interrupted
      auto reader = client.runtime().GetContainerEvents(&context, {});
      runtime::v1::ContainerEventResponse event;
      while (reader->Read(&event)) {
        nlohmann::ordered_json document = ToJson(event);
        if (*events_output == "json") {
          std::cout << document.dump() << std::endl;
        } else if (int code = PrintDocument(document, *events_output); code != 0) {
          return code;
        }
      }
      grpc::Status status = reader->Finish();
      if (!status.ok()) return ReportFailure("streaming events", status);
      return 0;
    });
  });

  CLI::App* run = app.add_subcommand("run", "Run a pod and a container in it");
  auto run_files = std::make_shared<std::vector<std::string>>();
  auto run_runtime = std::make_shared<std::string>();
  run->add_option("files", *run_files, "CONTAINER-CONFIG POD-CONFIG")->required()->expected(2);
  run->add_option("-r,--runtime", *run_runtime, "Runtime handler for the pod");
  run->callback([&globals, &exit_code, run_files, run_runtime] {
    runtime::v1::RunPodSandboxRequest pod;
    runtime::v1::CreateContainerRequest create;
    for (auto [path, message] : {std::pair<std::string, google::protobuf::Message*>{
                                     (*run_files)[0], create.mutable_config()},
                                 {(*run_files)[1], pod.mutable_config()}}) {
      if (absl::Status loaded = LoadMessageFile(path, message); !loaded.ok()) {
        std::cerr << "crioctl: " << loaded.message() << "\n";
        exit_code = 1;
        return;
      }
    }
    pod.set_runtime_handler(*run_runtime);
    *create.mutable_sandbox_config() = pod.config();
    exit_code = WithClient(WithTimeout(globals, "4m"), [&](Client& client) {
      runtime::v1::RunPodSandboxResponse ran;
      grpc::Status status = client.runtime().RunPodSandbox(client.NewContext().get(), pod, &ran);
      if (!status.ok()) return ReportFailure("running the pod sandbox", status);
      create.set_pod_sandbox_id(ran.pod_sandbox_id());
      runtime::v1::CreateContainerResponse created;
      status = client.runtime().CreateContainer(client.NewContext().get(), create, &created);
      if (!status.ok()) return ReportFailure("creating the container", status);
      runtime::v1::StartContainerRequest start;
      start.set_container_id(created.container_id());
      runtime::v1::StartContainerResponse started;
      status = client.runtime().StartContainer(client.NewContext().get(), start, &started);
      if (!status.ok()) return ReportFailure("starting the container", status);
      std::cout << created.container_id() << "\n";
      return 0;
    });
  });
}

}  // namespace crioctl
