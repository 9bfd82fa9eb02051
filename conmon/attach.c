/* The attach socket: a SOCK_SEQPACKET listener at <socket-dir-path>/<cuuid>/attach.
 *
 * Output: every read of container output is sent to each client as one packet, prefixed by a
 * byte naming the stream (2 stdout, 3 stderr): at most 1 + STDIO_BUF_SIZE bytes.
 * Input: each packet a client sends is container stdin (when -i or -t).  A client ending its
 * input (shutdown(SHUT_WR) or close) closes container stdin unless --leave-stdin-open. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Output to a client whose socket buffer is full may stall the monitor this long before that
 * client is cut off (upstream blocks without limit). */
#define SLOW_CLIENT_MS 5000

struct client {
  struct watch w;
  struct client* next;
  int fd;
  bool readable, writable;
  bool hup;        /* the client closed its socket */
  size_t off, len; /* pending stdin bytes in buf */
  char buf[CONN_SOCK_BUF_SIZE];
};

static struct client *clients, *graveyard;
static struct watch listen_w = {.fd = -1};
static int listen_fd = -1;
static struct watch stdin_w = {.fd = -1};
static int stdin_fd = -1;
static char sock_path[PATH_MAX];
static char link_path[PATH_MAX];

static void free_graveyard(void) {
  while (graveyard) {
    struct client* c = graveyard;
    graveyard = c->next;
    free(c);
  }
}

static void release(struct client* c) {
  loop_del(&c->w);
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  for (struct client** p = &clients; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  /* Freed after the current epoll batch: a queued event may still name this client. */
  c->next = graveyard;
  graveyard = c;
}

static void stdin_watch_update(void);

/* The client's input is over: container stdin sees EOF unless told to keep it open. */
static void client_input_done(struct client* c) {
  c->readable = false;
  c->len = 0;
  if (c->fd >= 0) shutdown(c->fd, SHUT_RD);
  /* Only hang-ups matter from now on (always reported by epoll). */
  loop_mod(&c->w, 0);
  if (opt.stdin_ && stdin_fd >= 0) {
    if (!opt.leave_stdin_open) {
      ndebug("attach client closed its input: closing container stdin");
      attach_set_stdin(-1);
    } else {
      ninfo("Not closing input");
    }
  }
  if (!c->writable) release(c);
}

/* Writes as much of the client's pending packet as stdin takes now. */
static void flush_client(struct client* c) {
  while (c->len > 0 && stdin_fd >= 0) {
    ssize_t w = write(stdin_fd, c->buf + c->off, c->len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w < 0) {
      /* EPIPE: nobody in the container reads stdin any more. */
      nwarn("Failed to write to container stdin: %s", strerror(errno));
      attach_set_stdin(-1);
      return;
    }
    c->off += (size_t)w;
    c->len -= (size_t)w;
  }
  c->len = 0;
}

/* Reads one packet into the client's buffer and passes it to stdin.  Returns 1 when a packet
 * was consumed completely, 0 when nothing more can be done now, -1 when the input ended. */
static int client_read(struct client* c) {
  ssize_t n;
  do n = recv(c->fd, c->buf, sizeof c->buf, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n <= 0) {
    client_input_done(c);
    return -1;
  }
  if (stdin_fd < 0) return 1; /* no stdin (-i not given, or closed): input is dropped */
  c->off = 0;
  c->len = (size_t)n;
  flush_client(c);
  if (c->len == 0) return 1;
  /* Back-pressure: stop reading this client until stdin drains.  A hung-up client is taken
   * out of epoll altogether, since its HUP cannot be masked and would spin the loop. */
  if (c->hup)
    loop_del(&c->w);
  else
    loop_mod(&c->w, 0);
  stdin_watch_update();
  return 0;
}

/* After a hang-up every queued packet is still delivered before stdin sees EOF. */
static void client_drain_after_hup(struct client* c) {
  while (c->fd >= 0 && c->readable && c->len == 0)
    if (client_read(c) == 0 && c->len == 0) {
      /* EAGAIN on a hung-up socket: nothing left, treat as the end of input. */
      client_input_done(c);
      break;
    }
  if (c->fd >= 0 && !c->readable) release(c);
}

static void client_cb(struct watch* w, uint32_t events) {
  struct client* c = w->data;
  if (events & (EPOLLHUP | EPOLLERR)) {
    /* Gone for good: no more output to it; its input is drained first. */
    c->hup = true;
    c->writable = false;
    if (c->readable && c->len == 0) {
      client_drain_after_hup(c);
    } else if (!c->readable) {
      release(c);
    } else {
      loop_del(&c->w); /* resumed by stdin_writable_cb */
    }
    return;
  }
  if ((events & EPOLLIN) && c->readable && c->len == 0) client_read(c);
}

static void stdin_writable_cb(struct watch* w, uint32_t events) {
  (void)w;
  (void)events;
  for (struct client *c = clients, *next; c; c = next) {
    next = c->next;
    if (c->len == 0) continue;
    flush_client(c);
    if (c->len > 0) continue;
    if (c->hup)
      client_drain_after_hup(c);
    else if (c->readable)
      loop_mod(&c->w, EPOLLIN);
  }
  stdin_watch_update();
}

/* Watch stdin for writability only while some client has a pending packet. */
static void stdin_watch_update(void) {
  bool pending = false;
  for (struct client* c = clients; c; c = c->next)
    if (c->len > 0) pending = true;
  if (pending && stdin_fd >= 0 && stdin_w.fd < 0) {
    struct cm_err err;
    if (loop_add(&stdin_w, stdin_fd, EPOLLOUT, stdin_writable_cb, NULL, &err) < 0)
      nwarn("%s", err.msg);
  } else if ((!pending || stdin_fd < 0) && stdin_w.fd >= 0) {
    loop_del(&stdin_w);
  }
}

void attach_set_stdin(int fd) {
  if (fd < 0) {
    loop_del(&stdin_w);
    if (stdin_fd >= 0) close(stdin_fd);
    stdin_fd = -1;
    /* Pending input has nowhere to go; resume reading the clients so their EOF is seen. */
    for (struct client *c = clients, *next; c; c = next) {
      next = c->next;
      bool had = c->len > 0;
      c->len = 0;
      if (had && c->hup)
        client_drain_after_hup(c);
      else if (had && c->readable)
        loop_mod(&c->w, EPOLLIN);
    }
    return;
  }
  stdin_fd = fd;
  set_nonblock(fd, true);
}

static void accept_cb(struct watch* w, uint32_t events) {
  (void)events;
  for (;;) {
    int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN)
        nwarn("Failed to accept client connection on attach socket: %s", strerror(errno));
      return;
    }
    struct client* c = malloc(sizeof *c);
    if (c == NULL) {
      nwarn("out of memory for an attach client");
      close(fd);
      continue;
    }
    c->fd = fd;
    c->w.fd = -1;
    c->readable = c->writable = true;
    c->hup = false;
    c->off = c->len = 0;
    struct cm_err err;
    if (loop_add(&c->w, fd, EPOLLIN, client_cb, c, &err) < 0) {
      nwarn("%s", err.msg);
      close(fd);
      free(c);
      continue;
    }
    c->next = clients;
    clients = c;
    ndebug("Accepted console connection %d", fd);
  }
}

static void client_stop_output(struct client* c) {
  c->writable = false;
  shutdown(c->fd, SHUT_WR);
  if (!c->readable) release(c);
}

void attach_broadcast(char* pkt, size_t len) {
  for (struct client *c = clients, *next; c; c = next) {
    next = c->next;
    if (!c->writable) continue;
    uint64_t deadline = 0;
    for (;;) {
      ssize_t w = send(c->fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w >= 0) break;
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        /* Socket buffer full: give the client a bounded chance to catch up. */
        uint64_t now = monotonic_ms();
        if (deadline == 0) deadline = now + SLOW_CLIENT_MS;
        struct pollfd p = {.fd = c->fd, .events = POLLOUT};
        if (now < deadline && poll(&p, 1, (int)(deadline - now)) > 0 &&
            !(p.revents & (POLLERR | POLLHUP)))
          continue;
        nwarn("attach client %d too slow, dropping its output", c->fd);
      } else if (errno != EPIPE && errno != ECONNRESET) {
        nwarn("Failed to write to remote console socket: %s", strerror(errno));
      }
      client_stop_output(c);
      break;
    }
  }
}

int attach_setup(struct cm_err* err) {
  const char* parent = opt.bundle;
  if (!opt.full_attach) {
    /* The bundle path can exceed sun_path (108 bytes); upstream publishes it through a symlink
     * <socket-dir-path>/<cuuid> -> bundle and binds through /proc/self/fd, and so do we. */
    if (path_join(link_path, sizeof link_path, opt.socket_dir, opt.cuuid, err) < 0) return -1;
    /* A symlink exactly as long as the socket path limit would collide with it (upstream's
     * corner case); shorten it by one character, as upstream does. */
    size_t l = strlen(link_path);
    if (l == sizeof(((struct sockaddr_un*)0)->sun_path) - 1) link_path[l - 1] = '\0';
    if (unlink(link_path) < 0 && errno != ENOENT)
      return cm_fail(err, errno, "Failed to remove existing symlink for socket directory %s",
                     link_path);
    if (symlink(opt.bundle, link_path) < 0)
      return cm_fail(err, errno, "Failed to create symlink %s for the attach socket", link_path);
    parent = link_path;
  }
  cleanup_fd int dirfd = open(parent, O_PATH | O_CLOEXEC | O_DIRECTORY);
  if (dirfd < 0) return cm_fail(err, errno, "failed to open socket path parent dir %s", parent);
  if (path_join(sock_path, sizeof sock_path, parent, "attach", err) < 0) return -1;

  /* Non-blocking: a client that gives up between poll and accept must not block us. */
  cleanup_fd int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return cm_fail(err, errno, "Failed to create socket %s", sock_path);
  if (unlink(sock_path) < 0 && errno != ENOENT)
    return cm_fail(err, errno, "Failed to remove existing socket: %s", sock_path);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", dirfd);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0)
    return cm_fail(err, errno, "Failed to bind attach socket %s", sock_path);
  if (chmod(sock_path, 0700) < 0)
    return cm_fail(err, errno, "Failed to change socket permissions %s", sock_path);
  if (listen(fd, 10) < 0)
    return cm_fail(err, errno, "Failed to listen on attach socket: %s", sock_path);
  if (loop_add(&listen_w, fd, EPOLLIN, accept_cb, NULL, err) < 0) return -1;
  loop_set_after_batch(free_graveyard);
  listen_fd = fd;
  fd = -1;
  return 0;
}

void attach_close_all(void) {
  while (clients) release(clients);
  free_graveyard();
  loop_del(&listen_w);
  if (listen_fd >= 0) close(listen_fd);
  listen_fd = -1;
}

void attach_remove_socket(void) {
  if (sock_path[0] && unlink(sock_path) < 0 && errno != ENOENT)
    nwarn("Failed to remove attach socket %s: %s", sock_path, strerror(errno));
  /* Drop our symlink too, unless a newer monitor already replaced it. */
  if (link_path[0]) {
    char target[PATH_MAX];
    ssize_t n = readlink(link_path, target, sizeof target - 1);
    if (n >= 0) {
      target[n] = '\0';
      if (strcmp(target, opt.bundle) == 0) unlink(link_path);
    }
  }
}
