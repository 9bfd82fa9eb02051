// crictl's `version` and `info`.
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"

namespace crioctl {
namespace {}  // namespace

void AddVersionCommand(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("version", "Display runtime version information");
  auto output = std::make_shared<std::string>();
  cmd->add_option("-o,--output", *output, "Output format: json or yaml (default: text)");
  cmd->callback([&globals, &exit_code, output] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::VersionRequest request;
      request.set_version("v1");
      runtime::v1::VersionResponse response;
      grpc::Status status = client.runtime().Version(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("getting the runtime version", status);
      if (!output->empty()) return PrintDocument(ToJson(response), *output);
      std::cout << "Version:  " << response.version() << "\n"
                << "RuntimeName:  " << response.runtime_name() << "\n"
                << "RuntimeVersion:  " << response.runtime_version() << "\n"
                << "RuntimeApiVersion:  " << response.runtime_api_version() << "\n";
      return 0;
    });
  });
}

void AddInfoCommand(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("info", "Display information of the container runtime");
  auto output = std::make_shared<std::string>("json");
  cmd->add_option("-o,--output", *output, "Output format: json or yaml")->capture_default_str();
  cmd->callback([&globals, &exit_code, output] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::StatusRequest request;
      request.set_verbose(true);
      runtime::v1::StatusResponse response;
      grpc::Status status = client.runtime().Status(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("getting the runtime status", status);
      // Like crictl: the status, handlers and features, then each verbose info entry decoded
      // from its JSON string (kept as a string when it is not JSON).
      nlohmann::ordered_json document;
      document["status"] = ToJson(response.status());
      nlohmann::ordered_json handlers = nlohmann::ordered_json::array();
      for (const auto& handler : response.runtime_handlers()) handlers.push_back(ToJson(handler));
      document["runtimeHandlers"] = handlers;
      document["features"] = ToJson(response.features());
      std::map<std::string, std::string> info(response.info().begin(), response.info().end());
      for (const auto& [key, value] : info) {
        auto parsed = nlohmann::ordered_json::parse(value, nullptr, false);
        document[key] = parsed.is_discarded() ? nlohmann::ordered_json(value) : parsed;
      }
      return PrintDocument(document, *output);
    });
  });
}

}  // namespace crioctl
