#include "crio/common/host.h"

#include <sys/stat.h>

namespace crio {

bool SystemdIsInit() {
  // systemd creates this directory early at boot when it runs as PID 1.
  struct stat st {};
  return ::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace crio
