#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "scratch_dir.h"

namespace crio::network::testing {

using ::crio::testing::ScratchDir;

inline std::string Slurp(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// A stand-in plugin whose behaviour is set by files beside it, so that a test controls it
// without an environment variable (plugins get only the CNI ones and PATH):
//   <name>.result          printed on ADD
//   <name>.fail-<VERB>     printed (as the CNI error) with exit 1 for that verb
//   <name>.failtimes-<VERB> how many calls fail before <name>.fail-<VERB> goes away
//   <name>.sleep           seconds to sleep first
// Each call appends "<VERB> <name>" to calls.log and saves its stdin and environment in
// <name>.<VERB>.stdin and <name>.<VERB>.env.
inline constexpr char kFakePlugin[] = R"SH(#!/bin/sh
d=$(dirname "$0"); me=$(basename "$0"); c=$CNI_COMMAND
cat > "$d/$me.$c.stdin"
env > "$d/$me.$c.env"
echo "$c $me" >> "$d/calls.log"
if [ -f "$d/$me.sleep" ]; then sleep "$(cat "$d/$me.sleep")"; fi
if [ -f "$d/$me.fail-$c" ]; then
  cat "$d/$me.fail-$c"
  if [ -f "$d/$me.failtimes-$c" ]; then
    n=$(($(cat "$d/$me.failtimes-$c") - 1))
    if [ "$n" -le 0 ]; then rm -f "$d/$me.fail-$c" "$d/$me.failtimes-$c"; else echo "$n" > "$d/$me.failtimes-$c"; fi
  fi
  exit 1
fi
if [ "$c" = ADD ] && [ -f "$d/$me.result" ]; then cat "$d/$me.result"; fi
exit 0
)SH";

}  // namespace crio::network::testing
