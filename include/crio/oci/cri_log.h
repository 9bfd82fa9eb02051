#pragma once

#include <string>
#include <string_view>

namespace crio::oci {

struct SplitOutput {
  std::string out;
  std::string err;
};

// Splits a CRI-format log ("TIMESTAMP STREAM TAG CONTENT\n" lines; TAG P means the line goes on
// in the next entry) back into the stdout and stderr bytes that produced it. Malformed lines are
// skipped.
SplitOutput SplitCriLog(std::string_view log);

}  // namespace crio::oci
