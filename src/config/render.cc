// crio.conf text, its JSON form and the reference documentation, all from the option table.
#include "crio/config/render.h"

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"
#include "crio/config/options.h"

namespace crio::config {
namespace {

std::string Comment(std::string_view description, Support support) {
  return StrCat("# ", description, support == Support::kNotYet ? " (not supported yet)" : "", "\n");
}

// Markdown table cells end at "|".
std::string EscapePipes(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

nlohmann::json ToJson(const Value& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

}  // namespace

std::string RenderToml(const Config& config) {
  Config copy = config;  // option fields hand out mutable references
  std::string out =
      "# crio-cpp configuration (crio.conf format), as printed by `crio config`.\n"
      "# Options marked \"not supported yet\" are accepted and kept but have no effect yet.\n";
  for (std::string_view table : Tables()) {
    StrAppend(&out, "\n[", table, "]\n");
    for (const ConfigOption& spec : ConfigOptions()) {
      if (spec.table != table) continue;
      StrAppend(&out, "\n", Comment(spec.description, spec.support), spec.key, " = ",
                FormatToml(Get(spec.field(copy))), "\n");
    }
    if (table != "crio.runtime") continue;
    // Handler tables belong under [crio.runtime]; TOML allows them before the next section.
    for (auto& [name, handler] : copy.runtime.runtimes) {
      StrAppend(&out, "\n[crio.runtime.runtimes.", name, "]\n");
      for (const HandlerOption& spec : HandlerOptions()) {
        StrAppend(&out, Comment(spec.description, spec.support), spec.key, " = ",
                  FormatToml(Get(spec.field(handler))), "\n");
      }
    }
  }
  return out;
}

std::string RenderJson(const Config& config) {
  Config copy = config;
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  for (const ConfigOption& spec : ConfigOptions()) {
    nlohmann::ordered_json* node = &root;
    for (std::string_view part : StrSplit(spec.table, '.')) {
      node = &(*node)[std::string(part)];
    }
    (*node)[std::string(spec.key)] = ToJson(Get(spec.field(copy)));
  }
  auto& runtimes = root["crio"]["runtime"]["runtimes"];
  runtimes = nlohmann::ordered_json::object();
  for (auto& [name, handler] : copy.runtime.runtimes) {
    auto& node = runtimes[name];
    for (const HandlerOption& spec : HandlerOptions()) {
      node[std::string(spec.key)] = ToJson(Get(spec.field(handler)));
    }
  }
  return root.dump();
}

std::string RenderReference() {
  std::string out =
      "# crio.conf(5) — crio-cpp configuration reference\n\n"
      "<!-- Generated from src/config/options.cc by `crio config --reference`; "
      "test/unit/config/reference_doc_test.cc fails when this file and the table disagree. -->\n\n"
      "crio-cpp reads CRI-O's configuration format. Sources, lowest to highest precedence: "
      "built-in defaults, `/etc/crio/crio.conf` (or `--config`), every `*.conf` file in "
      "`/etc/crio/crio.conf.d/` (or `--config-dir`) in lexical order, then command-line flags. "
      "Each file overrides only the keys it sets: tables merge, arrays replace. `crio config` "
      "prints the effective configuration; `crio config --default` the built-in one.\n\n"
      "An unknown key is a warning naming file, line and key. A value of the wrong type, an "
      "unknown enumeration value or an unparsable file is an error naming file, line and key; "
      "the daemon then exits before touching any state.\n\n"
      "**Reload** says whether SIGHUP applies a new value (`live`) or only a restart does. "
      "**Supported** says whether the daemon acts on the option yet; an unsupported option is "
      "parsed and kept, and setting it away from its default logs a warning at startup.\n\n"
      "## Differences from CRI-O's defaults\n\n"
      "- `cgroup_manager` is `systemd` like CRI-O's on hosts whose init is systemd, and "
      "`cgroupfs` on other hosts, where the systemd driver cannot work.\n"
      "- `default_runtime` is `runc`, and the one built-in handler is "
      "`[crio.runtime.runtimes.runc]` (CRI-O: `crun`). Debian 12's crun 1.8 refuses hosts with a "
      "hybrid cgroup v1/v2 layout, which nested and older nodes have; add a `crun` handler where "
      "it works.\n"
      "- An empty `monitor_path` and `pinns_path` mean the `conmon` and `pinns` installed with "
      "crio-cpp (`/usr/local/libexec/crio/`), not a `$PATH` lookup.\n";
  for (std::string_view table : Tables()) {
    StrAppend(&out, "\n## [", table,
              "]\n\n| Option | Type | Default | Flag | Reload | "
              "Supported | Description |\n|---|---|---|---|---|---|---|\n");
    for (const ConfigOption& spec : ConfigOptions()) {
      if (spec.table != table) continue;
      StrAppend(&out, "| `", spec.key, "` | ", TypeName(spec.default_value), " | `",
                EscapePipes(FormatToml(spec.default_value)), "` | ",
                spec.flag.empty() ? "" : StrCat("`--", spec.flag, "`"), " | ",
                spec.reload == Reload::kLive ? "live" : "restart", " | ",
                spec.support == Support::kSupported ? "yes" : "not yet", " | ", spec.description,
                " |\n");
    }
    if (table != "crio.runtime") continue;
    StrAppend(&out,
              "\n## [crio.runtime.runtimes.NAME]\n\nOne table per runtime handler. A "
              "drop-in that sets some keys of an existing handler changes only those keys. "
              "The whole table is reloadable in CRI-O.\n\n| Option | Type | Default | Reload "
              "| Supported | Description |\n|---|---|---|---|---|---|\n");
    for (const HandlerOption& spec : HandlerOptions()) {
      StrAppend(&out, "| `", spec.key, "` | ", TypeName(spec.default_value), " | `",
                FormatToml(spec.default_value), "` | ",
                spec.reload == Reload::kLive ? "live" : "restart", " | ",
                spec.support == Support::kSupported ? "yes" : "not yet", " | ", spec.description,
                " |\n");
    }
  }
  return out;
}

}  // namespace crio::config
