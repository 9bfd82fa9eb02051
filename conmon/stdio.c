/* Container output: the read ends of the stdout/stderr pipes, or the pty master.  Each read
 * (at most STDIO_BUF_SIZE bytes, one static buffer) goes to the log and, as one packet, to
 * the attach clients. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

struct pump {
  struct watch w;
  int fd;
  enum stream stream;
};

static struct pump pumps[2] = {{.w = {.fd = -1}, .fd = -1, .stream = STREAM_STDOUT},
                               {.w = {.fd = -1}, .fd = -1, .stream = STREAM_STDERR}};
static int pty_peer = -1;
/* Byte 0 is the attach stream prefix, so a read is sent to clients without copying. */
static char pkt[1 + STDIO_BUF_SIZE];

/* One read; returns > 0 when data was passed on, 0 at EOF, < 0 when nothing is available. */
static ssize_t pump_once(struct pump* p) {
  ssize_t n;
  do n = read(p->fd, pkt + 1, STDIO_BUF_SIZE);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    /* A pty master reads EIO once no slave is open: the same as EOF for us. */
    if (errno == EIO) return 0;
    if (errno != EAGAIN) nwarn("stdio_input read failed %s", strerror(errno));
    return errno == EAGAIN ? -1 : 0;
  }
  if (n == 0) return 0;
  log_write(p->stream, pkt + 1, (size_t)n);
  pkt[0] = (char)p->stream;
  attach_broadcast(pkt, (size_t)n + 1);
  return n;
}

static void pump_close(struct pump* p) {
  loop_del(&p->w);
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
}

static void pump_cb(struct watch* w, uint32_t events) {
  struct pump* p = w->data;
  ssize_t n = -1;
  if (events & EPOLLIN) n = pump_once(p);
  if (n == 0) {
    pump_close(p);
    return;
  }
  /* HUP with nothing left to read: the writers are gone (a pty without our held slave would
   * report this until someone reopens it, so we stop watching instead of spinning). */
  if ((events & (EPOLLHUP | EPOLLERR)) && n < 0) pump_close(p);
}

int stdio_start(int out_fd, int err_fd, bool tty, struct cm_err* err) {
  if (tty && out_fd >= 0) {
    /* Hold a slave of our own: the master then never reports HUP while the container has no
     * slave open (which would otherwise need polling to notice a reopen).  Released before
     * the final drain so that pending pty data is flushed and reads end with EIO. */
    pty_peer = ioctl(out_fd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (pty_peer < 0) ndebug("TIOCGPTPEER: %s", strerror(errno));
  }
  int fds[2] = {out_fd, err_fd};
  for (int i = 0; i < 2; i++) {
    if (fds[i] < 0) continue;
    set_nonblock(fds[i], true);
    pumps[i].fd = fds[i];
    if (loop_add(&pumps[i].w, fds[i], EPOLLIN, pump_cb, &pumps[i], err) < 0) return -1;
  }
  return 0;
}

void stdio_drain(void) {
  if (pty_peer >= 0) close(pty_peer);
  pty_peer = -1;
  for (int i = 0; i < 2; i++) {
    struct pump* p = &pumps[i];
    if (p->fd < 0) continue;
    set_nonblock(p->fd, true);
    /* Bounded: a leftover process that keeps writing cannot hold the exit back. */
    for (int k = 0; k < 1024; k++)
      if (pump_once(p) <= 0) break;
  }
}

void stdio_close(void) {
  for (int i = 0; i < 2; i++) pump_close(&pumps[i]);
}
