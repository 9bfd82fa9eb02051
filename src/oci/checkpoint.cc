// CheckpointContainer's precondition: a CRIU that works on this kernel.
#include "crio/oci/checkpoint.h"

#include "crio/common/strings.h"
#include "crio/common/subprocess.h"

namespace crio::oci {
namespace {

// CRIU reports "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds" and the like;
// the first such line says why, the rest follows from it.
std::string FirstError(const CommandResult& result) {
  for (const std::string* text : {&result.err, &result.out}) {
    for (std::string_view line : StrSplit(*text, '\n', /*skip_empty=*/true)) {
      if (line.starts_with("Error")) return std::string(line);
    }
  }
  std::string_view fallback = result.err.empty() ? result.out : result.err;
  return std::string(fallback.substr(0, fallback.find('\n')));
}

}  // namespace

absl::Status CheckpointSupport(const std::filesystem::path& criu) {
  if (criu.empty()) {
    return absl::UnimplementedError(
        "CheckpointContainer needs CRIU, and no criu binary was found in PATH; "
        "checkpoint/restore is not supported on this node");
  }
  absl::StatusOr<CommandResult> check = RunCommand({criu.string(), "check"}, {}, absl::Seconds(60));
  if (!check.ok()) {
    return absl::UnimplementedError(
        StrCat("CheckpointContainer needs a working CRIU, and `", criu.string(),
               " check` could not run: ", View(check.status().message())));
  }
  if (check->exit_code != 0) {
    return absl::UnimplementedError(StrCat("CheckpointContainer needs a working CRIU, and ",
                                           criu.string(), " fails its check on this kernel (",
                                           FirstError(*check),
                                           "); checkpoint/restore is not supported on this node"));
  }
  return absl::UnimplementedError(
      StrCat("CheckpointContainer is not supported yet (", criu.string(),
             " passes its check, but crio-cpp does not drive CRIU yet)"));
}

}  // namespace crio::oci
