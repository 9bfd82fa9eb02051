#include "crio/oci/cri_log.h"

namespace crio::oci {

SplitOutput SplitCriLog(std::string_view log) {
  SplitOutput output;
  while (!log.empty()) {
    size_t end = log.find('\n');
    std::string_view line = log.substr(0, end);
    log = end == std::string_view::npos ? std::string_view() : log.substr(end + 1);

    size_t first = line.find(' ');
    size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    size_t third = second == std::string_view::npos ? second : line.find(' ', second + 1);
    if (third == std::string_view::npos) continue;
    std::string_view stream = line.substr(first + 1, second - first - 1);
    std::string_view tag = line.substr(second + 1, third - second - 1);
    std::string_view content = line.substr(third + 1);
    std::string* target = stream == "stdout"   ? &output.out
                          : stream == "stderr" ? &output.err
                                               : nullptr;
    if (target == nullptr) continue;
    target->append(content);
    // A full entry ended a line of output; a partial one continues in the next entry.
    if (tag == "F") target->push_back('\n');
  }
  return output;
}

}  // namespace crio::oci
