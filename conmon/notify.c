/* --sdnotify-socket: a datagram socket at <bundle>/notify/notify.sock for the container (the
 * caller mounts it and sets NOTIFY_SOCKET); READY=1 and WATCHDOG=1 are relayed to the host's
 * socket, anything else is dropped, as OCI runtimes do. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct watch notify_w = {.fd = -1};
static int host_fd = -1;
static struct sockaddr_un host_addr = {.sun_family = AF_UNIX};

static void notify_cb(struct watch* w, uint32_t events) {
  (void)events;
  static char buf[4096];
  for (;;) {
    ssize_t n = recv(w->fd, buf, sizeof buf - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buf[n] = '\0';
    const char* relay = strstr(buf, "READY=1")      ? "READY=1"
                        : strstr(buf, "WATCHDOG=1") ? "WATCHDOG=1"
                                                    : NULL;
    if (relay == NULL) continue;
    if (sendto(host_fd, relay, strlen(relay), MSG_DONTWAIT | MSG_NOSIGNAL,
               (struct sockaddr*)&host_addr, sizeof host_addr) < 0)
      nwarn("Failed to write host notify socket: %s", strerror(errno));
  }
}

int notify_setup(struct cm_err* err) {
  if (opt.sdnotify_socket == NULL) return 0;
  if (strlen(opt.sdnotify_socket) >= sizeof host_addr.sun_path)
    return cm_fail(err, ENAMETOOLONG, "sd-notify socket path %s", opt.sdnotify_socket);
  strcpy(host_addr.sun_path, opt.sdnotify_socket);
  host_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (host_fd < 0) return cm_fail(err, errno, "Failed to create notify socket");

  char dir[PATH_MAX], path[PATH_MAX];
  if (path_join(dir, sizeof dir, opt.bundle, "notify", err) < 0) return -1;
  if (mkdir(dir, 0755) < 0 && errno != EEXIST)
    return cm_fail(err, errno, "Failed to create %s", dir);
  if (path_join(path, sizeof path, dir, "notify.sock", err) < 0) return -1;
  /* Bind through /proc/self/fd so a long bundle path does not overflow sun_path. */
  cleanup_fd int dfd = open(dir, O_PATH | O_CLOEXEC | O_DIRECTORY);
  if (dfd < 0) return cm_fail(err, errno, "Failed to open %s", dir);
  cleanup_fd int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return cm_fail(err, errno, "Failed to create notify socket");
  if (unlink(path) < 0 && errno != ENOENT) return cm_fail(err, errno, "Failed to remove %s", path);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/notify.sock", dfd);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0)
    return cm_fail(err, errno, "Failed to bind %s", path);
  /* Any user in the container may notify. */
  if (chmod(path, 0777) < 0)
    return cm_fail(err, errno, "Failed to change socket permissions %s", path);
  if (loop_add(&notify_w, fd, EPOLLIN, notify_cb, NULL, err) < 0) return -1;
  fd = -1;
  return 0;
}
