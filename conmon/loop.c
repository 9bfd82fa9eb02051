/* The one event loop: epoll over every fd the monitor waits on.  Nothing polls on a timer;
 * the only timeout is the deadline the caller passes (the exec timeout). */
#include "conmon.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static int epfd = -1;
static void (*after_batch)(void);

void loop_set_after_batch(void (*fn)(void)) { after_batch = fn; }

uint64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int loop_init(struct cm_err* err) {
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return cm_fail(err, errno, "failed to create epoll instance");
  return 0;
}

int loop_add(struct watch* w, int fd, uint32_t events, watch_cb cb, void* data,
             struct cm_err* err) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return cm_fail(err, errno, "epoll_ctl(ADD, %d)", fd);
  w->fd = fd;
  w->events = events;
  w->cb = cb;
  w->data = data;
  return 0;
}

int loop_mod(struct watch* w, uint32_t events) {
  if (w->fd < 0 || w->events == events) return 0;
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0) return -1;
  w->events = events;
  return 0;
}

void loop_del(struct watch* w) {
  if (w->fd < 0) return;
  epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
  /* fd = -1 also tells loop_run to skip events of this watch still queued in the batch. */
  w->fd = -1;
}

int loop_run(const bool* done, uint64_t deadline_ms, struct cm_err* err) {
  struct epoll_event evs[16];
  while (!*done) {
    int timeout = -1;
    if (deadline_ms != 0) {
      uint64_t now = monotonic_ms();
      if (now >= deadline_ms) return 1;
      uint64_t left = deadline_ms - now;
      timeout = left > 0x7fffffff ? 0x7fffffff : (int)left;
    }
    int n = epoll_wait(epfd, evs, 16, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return cm_fail(err, errno, "epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct watch* w = evs[i].data.ptr;
      if (w->fd < 0) continue;
      w->cb(w, evs[i].events);
    }
    /* Objects released by callbacks are freed only here, once no queued event of this batch
     * can point at them any more. */
    if (after_batch) after_batch();
  }
  return 0;
}
