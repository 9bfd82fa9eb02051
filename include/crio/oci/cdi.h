#pragma once

// Container Device Interface (CDI): devices described by spec files in `cdi_spec_dirs`, asked
// for by name (vendor.com/class=device) in a container's CRI `cdi_devices` or in its
// `cdi.k8s.io/*` annotations, and injected as edits to its OCI runtime spec: environment,
// device nodes with their cgroup rules, mounts, hooks, additional groups, Intel RDT.

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace crio::oci {

// The annotation prefix of CDI requests that predate the CRI field.
inline constexpr std::string_view kCdiAnnotationPrefix = "cdi.k8s.io/";

// Checks a fully-qualified device name ("vendor.com/class=name") by CDI's rules.
absl::Status ValidateCdiDeviceName(std::string_view name);

// One device of a loaded spec file.
struct CdiDevice {
  std::string spec_file;        // where it came from, for messages and conflicts
  int priority = 0;             // the index of its directory: later directories win
  nlohmann::json spec_edits;    // the file's containerEdits, applied once per file
  nlohmann::json device_edits;  // the device's own containerEdits
};

struct CdiCatalog {
  std::map<std::string, CdiDevice> devices;  // by fully-qualified name
  // "<file>: <reason>" for every file skipped and every name two files of the same priority
  // both define (that name is then not offered at all).
  std::vector<std::string> errors;
};

// Validates one parsed spec file and returns its devices by fully-qualified name. Unknown
// members, a cdiVersion CDI does not define, or one older than the features the file uses are
// refused, as CDI's own loader refuses them.
absl::StatusOr<std::map<std::string, CdiDevice>> ParseCdiSpec(const nlohmann::json& document,
                                                              const std::string& file);

// Reads every *.json and *.yaml file of `dirs` (missing directories are skipped).
CdiCatalog LoadCdiSpecDirectories(const std::vector<std::filesystem::path>& dirs);

// The devices a container asks for: its CRI cdi_devices, then those of its cdi.k8s.io/*
// annotations that the field does not already name, each once. InvalidArgument for an
// annotation value that is not a list of fully-qualified names.
absl::StatusOr<std::vector<std::string>> RequestedCdiDevices(
    const runtime::v1::ContainerConfig& config);

// Applies the edits of `names` to `spec`: each file's own edits once, before its first device's.
// A name the catalog does not offer fails the whole request with the spec untouched.
absl::Status InjectCdiDevices(const CdiCatalog& catalog, const std::vector<std::string>& names,
                              nlohmann::json& spec);

}  // namespace crio::oci
