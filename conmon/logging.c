/* Container log drivers.  k8s-file writes the CRI log format, one entry per line:
 *
 *   <RFC3339Nano timestamp with local offset> <stdout|stderr> <F|P> <text>\n
 *
 * F marks a full line; P a partial one (the read ended without a newline: the line was longer
 * than one read of STDIO_BUF_SIZE bytes, or the output paused/ended mid-line).  Like upstream,
 * every read is logged as it arrives: partial lines are not buffered across reads. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* strlen("1997-03-25T13:20:42.999999999+01:00 stdout ") */
#define TS_LEN 43
#define N_IOV 128
#define LOG_MODE 0640

static bool k8s, passthrough;
static const char* k8s_path;
static int log_fd = -1;
static int64_t bytes_written; /* in the current file, for --log-size-max */
static int64_t total_written; /* over the monitor's life, for --log-global-size-max */
static bool write_failing;    /* rate-limits the warning to one per failure streak */

bool log_is_passthrough(void) { return passthrough; }

static int open_log(int flags, const char* path, struct cm_err* err) {
  int fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, LOG_MODE);
  if (fd < 0) return cm_fail(err, errno, "Failed to open log file %s", path);
  return fd;
}

static int parse_driver(const char* spec, struct cm_err* err) {
  const char* colon = strchr(spec, ':');
  size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
  const char* path = colon ? colon + 1 : NULL;
  if (nlen == 0 && colon == NULL) return cm_fail(err, 0, "log-path must not be empty");
#define IS(name) (nlen == strlen(name) && strncmp(spec, name, nlen) == 0)
  if (nlen == 0) {
    /* ":path" is a k8s-file path, as upstream parses it. */
    if (*path == '\0') return cm_fail(err, 0, "log-path must not be empty");
    k8s = true;
    k8s_path = path;
    return 0;
  }
  if (IS("off") || IS("null") || IS("none")) return 0;
  if (IS("passthrough")) {
    /* The container would share our terminal and could inject input with TIOCSTI. */
    if (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO) || isatty(STDERR_FILENO))
      return cm_fail(
          err, 0, "cannot use a tty with passthrough logging mode to prevent attacks via TIOCSTI");
    passthrough = true;
    return 0;
  }
  if (IS("journald"))
    return cm_fail(err, 0, "journald log driver is not supported by this conmon; use k8s-file");
  if (IS("k8s-file")) {
    if (path == NULL || *path == '\0') return cm_fail(err, 0, "k8s-file requires a filename");
    k8s = true;
    k8s_path = path;
    return 0;
  }
  if (colon == NULL) {
    k8s = true;
    k8s_path = spec;
    return 0;
  }
#undef IS
  return cm_fail(err, 0, "No such log driver %.*s", (int)nlen, spec);
}

int log_configure(struct cm_err* err) {
  if (opt.log_paths.n == 0) return cm_fail(err, 0, "Log driver not provided. Use --log-path");
  for (size_t i = 0; i < opt.log_paths.n; i++)
    if (parse_driver(opt.log_paths.v[i], err) < 0) return -1;
  if (!k8s) return 0;
  if (opt.log_tag != NULL) return cm_fail(err, 0, "k8s-file doesn't support --log-tag");
  log_fd = open_log(O_APPEND, k8s_path, err);
  if (log_fd < 0) return -1;
  /* The size limit counts what the file already holds (the daemon may hand us an existing
   * file); upstream starts from zero. */
  struct stat st;
  if (fstat(log_fd, &st) == 0) bytes_written = st.st_size;
  /* localtime_r needs the zone loaded once; TZ comes from the caller's environment. */
  tzset();
  return 0;
}

static int format_timestamp(char* buf, size_t size, enum stream s) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) < 0) return -1;
  struct tm tm;
  if (localtime_r(&ts.tv_sec, &tm) == NULL) return -1;
  long off = tm.tm_gmtoff;
  char sign = '+';
  if (off < 0) {
    sign = '-';
    off = -off;
  }
  int n =
      snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02ld:%02ld %s ", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, sign,
               off / 3600, (off % 3600) / 60, s == STREAM_STDERR ? "stderr" : "stdout");
  return (n > 0 && (size_t)n < size) ? n : -1;
}

static struct iovec iov[N_IOV];
static int iovcnt;

static void flush_iov(void) {
  struct iovec* v = iov;
  int cnt = iovcnt;
  iovcnt = 0;
  while (cnt > 0) {
    ssize_t w = writev(log_fd, v, cnt);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (!write_failing) nwarn("failed to write to log file %s: %s", k8s_path, strerror(errno));
      write_failing = true;
      return;
    }
    while (w > 0) {
      size_t k = (size_t)w < v->iov_len ? (size_t)w : v->iov_len;
      v->iov_base = (char*)v->iov_base + k;
      v->iov_len -= k;
      w -= (ssize_t)k;
      if (v->iov_len == 0) {
        v++;
        cnt--;
      }
    }
  }
  write_failing = false;
}

static void push(const void* p, size_t n) {
  if (iovcnt == N_IOV) flush_iov();
  iov[iovcnt].iov_base = (void*)p;
  iov[iovcnt].iov_len = n;
  iovcnt++;
}

/* --log-size-max reached: start the file over.  A new file is created beside it and renamed
 * over it, so a reader holding the old file keeps a consistent view (upstream's scheme). */
static void truncate_log(void) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", k8s_path) >= (int)sizeof tmp) return;
  flush_iov();
  if (!opt.no_sync_log && fsync(log_fd) < 0) nwarn("failed to sync log file: %s", strerror(errno));
  struct cm_err err;
  int fd = open_log(O_APPEND | O_TRUNC, tmp, &err);
  if (fd < 0) {
    nwarn("%s", err.msg);
    return;
  }
  if (rename(tmp, k8s_path) < 0) {
    nwarn("failed to rename %s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    return;
  }
  close(log_fd);
  log_fd = fd;
  bytes_written = 0;
}

void log_write(enum stream s, const char* buf, size_t len) {
  if (!k8s || log_fd < 0 || len == 0) return;
  /* One timestamp per read: every line of the chunk arrived at the same time. */
  char ts[TS_LEN + 8];
  if (format_timestamp(ts, sizeof ts, s) != TS_LEN) return;
  while (len > 0) {
    const char* nl = memchr(buf, '\n', len);
    bool partial = nl == NULL;
    size_t line = partial ? len : (size_t)(nl - buf) + 1;
    /* timestamp + stream + tag + text (+ the newline added to a partial line) */
    int64_t entry = TS_LEN + 2 + (int64_t)line + (partial ? 1 : 0);
    if (opt.log_global_size_max > 0 && total_written >= opt.log_global_size_max) break;
    if (opt.log_size_max > 0 && bytes_written + entry > opt.log_size_max) truncate_log();
    push(ts, TS_LEN);
    push(partial ? "P " : "F ", 2);
    push(buf, line);
    if (partial) push("\n", 1);
    bytes_written += entry;
    total_written += entry;
    buf += line;
    len -= line;
  }
  flush_iov();
}

void log_reopen(void) {
  /* The daemon renames the file away (rotation), then asks for a reopen: create a fresh file
   * at the path.  O_APPEND without O_TRUNC so a reopen without rotation loses nothing. */
  if (!k8s) return;
  if (!opt.no_sync_log && log_fd >= 0 && fsync(log_fd) < 0)
    nwarn("failed to sync log file on reopen: %s", strerror(errno));
  struct cm_err err;
  int fd = open_log(O_APPEND, k8s_path, &err);
  if (fd < 0) {
    nwarn("%s", err.msg);
    return;
  }
  if (log_fd >= 0) close(log_fd);
  log_fd = fd;
  struct stat st;
  bytes_written = fstat(fd, &st) == 0 ? st.st_size : 0;
}

void log_sync(void) {
  if (log_fd >= 0 && fsync(log_fd) < 0)
    nwarn("failed to sync log file before exit: %s", strerror(errno));
}
