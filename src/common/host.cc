#include "crio/common/host.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>

namespace crio {

bool SystemdIsInit() {
  // systemd creates this directory early at boot when it runs as PID 1.
  struct stat st {};
  return ::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

const char* HostArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__powerpc64__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#else
  return "unknown";
#endif
}

}  // namespace crio

#include <sys/utsname.h>

#include <fstream>
#include <sstream>

namespace crio {

bool HasEffectiveCapability(int cap) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return cap >= 0 && cap < 64 && ((mask >> cap) & 1ULL) != 0;
  }
  return false;
}

int OwnOomScoreAdj() {
  std::ifstream file("/proc/self/oom_score_adj");
  int value = 0;
  file >> value;
  return file ? value : 0;
}

int EffectiveOomScoreAdj(int requested, bool* clamped) {
  constexpr int kCapSysResource = 24;
  int effective = requested;
  if (!HasEffectiveCapability(kCapSysResource)) effective = std::max(requested, OwnOomScoreAdj());
  if (clamped != nullptr) *clamped = effective != requested;
  return effective;
}

std::string NodeHostname() {
  struct utsname name {};
  if (uname(&name) != 0) return "localhost";
  return name.nodename;
}

}  // namespace crio
