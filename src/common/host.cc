#include "crio/common/host.h"

#include <sys/stat.h>

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
