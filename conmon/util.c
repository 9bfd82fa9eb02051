/* Error values, diagnostics and small fd/file helpers. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

int cm_fail(struct cm_err* err, int errnum, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (errnum != 0 && (size_t)n < sizeof err->msg)
    snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
  err->errnum = errnum;
  return -1;
}

void cm_closep(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

void cm_freep(void* p) {
  free(*(void**)p);
  *(void**)p = NULL;
}

/* ------------------------------------------------------------------ diagnostics */

static enum cm_level level = LVL_WARN;
static bool to_syslog;
static char ident[96];

int msg_set_level(const char* name) {
  static const struct {
    const char* name;
    enum cm_level level;
  } names[] = {{"error", LVL_ERROR}, {"fatal", LVL_ERROR},  {"panic", LVL_ERROR},
               {"warn", LVL_WARN},   {"warning", LVL_WARN}, {"info", LVL_INFO},
               {"debug", LVL_DEBUG}, {"trace", LVL_TRACE}};
  if (name == NULL) return 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i].name) == 0) {
      level = names[i].level;
      return 0;
    }
  return -1;
}

void msg_init(const char* cid, const char* tag, bool use_syslog) {
  to_syslog = use_syslog;
  /* Upstream prefixes syslog lines with the first 20 characters of the container id. */
  if (tag != NULL)
    snprintf(ident, sizeof ident, "%.20s: %s", cid ? cid : "", tag);
  else
    snprintf(ident, sizeof ident, "%.20s", cid ? cid : "");
}

bool msg_enabled(enum cm_level l) { return l <= level; }

void msg(enum cm_level l, const char* fmt, ...) {
  static const char tags[] = {'e', 'w', 'i', 'd', 'd'};
  static const int prio[] = {LOG_ERR, LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO};
  /* Errors are always reported, like upstream's nexit/pexit. */
  if (l != LVL_ERROR && l > level) return;
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  /* After daemonizing stderr is /dev/null; before, it is the caller's. */
  dprintf(STDERR_FILENO, "[conmon:%c]: %s\n", tags[l], text);
  if (to_syslog)
    syslog(prio[l], "conmon %s <%s>: %s", ident,
           l == LVL_ERROR  ? "error"
           : l == LVL_WARN ? "nwarn"
           : l == LVL_INFO ? "ninfo"
                           : "ndebug",
           text);
}

/* ------------------------------------------------------------------ fds and files */

ssize_t write_all(int fd, const void* buf, size_t len) {
  const char* p = buf;
  size_t left = len;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    left -= (size_t)w;
  }
  return (ssize_t)len;
}

int write_file_atomic(const char* path, const char* data, size_t len, struct cm_err* err) {
  /* The temporary lives in the same directory (rename cannot cross filesystems).  A dot
   * prefix keeps it out of the way of a daemon that lists the exit directory. */
  char tmp[PATH_MAX];
  const char* slash = strrchr(path, '/');
  int dirlen = slash ? (int)(slash - path) : 0;
  const char* base = slash ? slash + 1 : path;
  int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.%d.tmp", dirlen, path, base, (int)getpid())
                : snprintf(tmp, sizeof tmp, ".%s.%d.tmp", base, (int)getpid());
  if (n < 0 || (size_t)n >= sizeof tmp) return cm_fail(err, ENAMETOOLONG, "%s", path);
  /* 0666 and the umask, as g_file_set_contents does for upstream. */
  cleanup_fd int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return cm_fail(err, errno, "failed to create %s", tmp);
  if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
    int e = errno;
    unlink(tmp);
    return cm_fail(err, e, "failed to write %s", tmp);
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return cm_fail(err, e, "failed to rename %s to %s", tmp, path);
  }
  return 0;
}

int set_nonblock(int fd, bool on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -1;
  fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  return fcntl(fd, F_SETFL, fl);
}

int set_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFD);
  if (fl < 0) return -1;
  return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int path_join(char* out, size_t size, const char* dir, const char* name, struct cm_err* err) {
  int n = snprintf(out, size, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= size)
    return cm_fail(err, ENAMETOOLONG, "path too long: %s/%s", dir, name);
  return 0;
}

void oom_score_adj(const char* value) {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    ndebug("failed to open /proc/self/oom_score_adj: %s", strerror(errno));
    return;
  }
  if (write(fd, value, strlen(value)) < 0)
    ndebug("failed to write to /proc/self/oom_score_adj: %s", strerror(errno));
  close(fd);
}

void close_fds_except(int keep) {
#ifdef SYS_close_range
  /* close_range(2) (Linux 5.9) does it in one call; fall back to a loop on ENOSYS. */
  bool ok;
  if (keep < 3) {
    ok = syscall(SYS_close_range, 3U, ~0U, 0U) == 0;
  } else {
    ok = (keep == 3 || syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0) &&
         syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0;
  }
  if (ok) return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; fd++)
    if (fd != keep) close(fd);
}
