/* Control FIFOs in the bundle directory.
 *
 *   ctl:   lines "<type> <height> <width>\n"; type 1 resizes the pty, type 2 reopens the log
 *          (height and width are ignored but must be present).
 *   winsz: lines "<height> <width>\n", applied to the pty master.  ctl type 1 is relayed
 *          through it, so a resize sent before the runtime handed us the pty is kept in the
 *          FIFO and applied once the pty arrives. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define CTL_LINE_MAX 200

struct fifo {
  struct watch w;
  int rfd, wfd;
  size_t len;
  char buf[CTL_LINE_MAX];
};

static struct fifo ctl = {.w = {.fd = -1}, .rfd = -1, .wfd = -1};
static struct fifo winsz = {.w = {.fd = -1}, .rfd = -1, .wfd = -1};
static int console = -1;

static int open_fifo(const char* name, struct fifo* f, struct cm_err* err) {
  char path[PATH_MAX];
  if (path_join(path, sizeof path, opt.bundle, name, err) < 0) return -1;
  if (mkfifo(path, 0660) < 0) {
    if (errno != EEXIST) return cm_fail(err, errno, "Failed to mkfifo at %s", path);
    /* Left over from an earlier monitor of this bundle. */
    unlink(path);
    if (mkfifo(path, 0660) < 0) return cm_fail(err, errno, "Failed to mkfifo at %s", path);
  }
  f->rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (f->rfd < 0) return cm_fail(err, errno, "Failed to open %s read half", path);
  /* We hold a writer ourselves: otherwise every time the last external writer closes, the
   * read end reports EOF/HUP continuously until someone opens it again. */
  f->wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (f->wfd < 0) return cm_fail(err, errno, "Failed to open %s write half", path);
  return 0;
}

static bool parse_ints(const char* line, int want, int* out) {
  const char* p = line;
  for (int i = 0; i < want; i++) {
    char* end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || errno != 0 || v < INT_MIN || v > INT_MAX) return false;
    out[i] = (int)v;
    p = end;
  }
  return true;
}

static bool valid_size(int h, int w) {
  if (h < 0 || w < 0 || h > USHRT_MAX || w > USHRT_MAX) {
    nwarn("Invalid window size: %dx%d", h, w);
    return false;
  }
  return true;
}

static void resize(int h, int w) {
  struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
  if (console >= 0 && ioctl(console, TIOCSWINSZ, &ws) < 0)
    nwarn("Failed to set process pty terminal size: %s", strerror(errno));
}

static void ctl_line(char* line) {
  int v[3];
  if (!parse_ints(line, 3, v)) {
    nwarn("Invalid control message format: %s", line);
    return;
  }
  ndebug("Message type: %d", v[0]);
  switch (v[0]) {
    case 1: {
      if (!opt.terminal || !valid_size(v[1], v[2])) return;
      char s[32];
      int n = snprintf(s, sizeof s, "%d %d\n", v[1], v[2]);
      if (write(winsz.wfd, s, (size_t)n) < 0)
        nwarn("Failed to write to window resizing fd. A resize event may have been dropped");
      return;
    }
    case 2:
      log_reopen();
      return;
    default:
      nwarn("Invalid control message type: %d", v[0]);
  }
}

static void winsz_line(char* line) {
  int v[2];
  if (!parse_ints(line, 2, v)) {
    nwarn("Failed to parse window size: %s", line);
    return;
  }
  if (valid_size(v[0], v[1])) resize(v[0], v[1]);
}

/* Reads what is available and hands over every complete line; a partial line waits in the
 * fixed buffer for its end. */
static void fifo_read(struct fifo* f, void (*handle)(char*)) {
  for (;;) {
    ssize_t n = read(f->rfd, f->buf + f->len, sizeof f->buf - 1 - f->len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    f->len += (size_t)n;
    f->buf[f->len] = '\0';
    char *start = f->buf, *nl;
    while ((nl = memchr(start, '\n', f->len - (size_t)(start - f->buf))) != NULL) {
      *nl = '\0';
      handle(start);
      start = nl + 1;
    }
    size_t rest = f->len - (size_t)(start - f->buf);
    if (rest == sizeof f->buf - 1) {
      nwarn("Could not find newline in entire control buffer");
      rest = 0;
    }
    memmove(f->buf, start, rest);
    f->len = rest;
  }
}

static void ctl_cb(struct watch* w, uint32_t events) {
  (void)w;
  (void)events;
  fifo_read(&ctl, ctl_line);
}

static void winsz_cb(struct watch* w, uint32_t events) {
  (void)w;
  (void)events;
  fifo_read(&winsz, winsz_line);
}

int ctl_setup(struct cm_err* err) {
  if (open_fifo("ctl", &ctl, err) < 0) return -1;
  if (open_fifo("winsz", &winsz, err) < 0) return -1;
  return loop_add(&ctl.w, ctl.rfd, EPOLLIN, ctl_cb, NULL, err);
}

int ctl_set_console(int master, struct cm_err* err) {
  console = master;
  if (winsz.rfd < 0) return 0;
  if (loop_add(&winsz.w, winsz.rfd, EPOLLIN, winsz_cb, NULL, err) < 0) return -1;
  /* Apply resizes that were queued before the pty existed. */
  fifo_read(&winsz, winsz_line);
  return 0;
}
