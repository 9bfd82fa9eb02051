/* The OCI runtime side: the command line of `create` / `restore` / `exec`, the console socket
 * through which the runtime hands over a pty master (-t), and the runtime's error text. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int runtime_argv(const char* console_socket, const char*** argv_out, struct cm_err* err) {
  /* Fixed words (at most 16) + the caller's lists; allocated once. */
  size_t cap = 16 + opt.runtime_args.n + opt.runtime_opts.n;
  const char** a = calloc(cap + 1, sizeof *a);
  if (a == NULL) return cm_fail(err, errno, "out of memory");
  size_t n = 0;
  a[n++] = opt.runtime;
  if (!opt.exec && opt.systemd_cgroup) a[n++] = "--systemd-cgroup";
  /* Global runtime options (--root ...) go before the command. */
  for (size_t i = 0; i < opt.runtime_args.n; i++) a[n++] = opt.runtime_args.v[i];
  if (opt.exec) {
    a[n++] = "exec";
    a[n++] = "--pid-file";
    a[n++] = opt.container_pidfile;
    a[n++] = "--process";
    a[n++] = opt.exec_process_spec;
    /* --detach: the runtime returns once the process runs, and the process is reparented to
     * us (child subreaper) so we collect its exit status. */
    a[n++] = "--detach";
  } else {
    a[n++] = opt.restore ? "restore" : "create";
    a[n++] = "--bundle";
    a[n++] = opt.bundle;
    a[n++] = "--pid-file";
    a[n++] = opt.container_pidfile;
    if (opt.no_pivot) a[n++] = "--no-pivot";
    if (opt.no_new_keyring) a[n++] = "--no-new-keyring";
    if (opt.restore) {
      /* Unlike create, restore leaves the container running, hence --detach. */
      a[n++] = "--detach";
      a[n++] = "--image-path";
      a[n++] = opt.restore;
      a[n++] = "--work-path";
      a[n++] = opt.bundle;
    }
  }
  for (size_t i = 0; i < opt.runtime_opts.n; i++) a[n++] = opt.runtime_opts.v[i];
  if (console_socket != NULL) {
    a[n++] = "--console-socket";
    a[n++] = console_socket;
  }
  a[n++] = opt.cid;
  a[n] = NULL;
  *argv_out = a;
  if (msg_enabled(LVL_TRACE)) {
    char line[2048];
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof line; i++)
      off += (size_t)snprintf(line + off, sizeof line - off, "%s ", a[i]);
    msg(LVL_TRACE, "calling runtime args: %s", line);
  }
  return 0;
}

int console_socket_listen(char* path, size_t size, int* fd_out, struct cm_err* err) {
  const char* tmpdir = getenv("TMPDIR");
  if (tmpdir == NULL || *tmpdir == '\0') tmpdir = "/tmp";
  cleanup_fd int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return cm_fail(err, errno, "Failed to create console socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  /* bind() creates the name exclusively (EADDRINUSE if taken), so a random name plus a retry
   * is race-free, unlike creating and unlinking a temporary file first. */
  for (int attempt = 0;; attempt++) {
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
      for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (unsigned char)(getpid() * 31 + attempt * 7 + (int)i);
    }
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char suffix[7];
    for (size_t i = 0; i < 6; i++) suffix[i] = alphabet[rnd[i] % 62];
    suffix[6] = '\0';
    int n = snprintf(path, size, "%s/conmon-term.%s", tmpdir, suffix);
    if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof addr.sun_path)
      return cm_fail(err, ENAMETOOLONG, "console socket path in %s is too long", tmpdir);
    memcpy(addr.sun_path, path, (size_t)n + 1);
    if (bind(fd, (struct sockaddr*)&addr, sizeof addr) == 0) break;
    if (errno != EADDRINUSE || attempt > 100)
      return cm_fail(err, errno, "Failed to bind console socket %s", path);
  }
  /* Only root (the runtime) needs to connect. */
  if (chmod(path, 0700) < 0 || listen(fd, 128) < 0) {
    int e = errno;
    unlink(path);
    return cm_fail(err, e, "Failed to listen on console socket %s", path);
  }
  *fd_out = fd;
  fd = -1;
  return 0;
}

int console_socket_receive(int listen_fd, const char* path, int* master, struct cm_err* err) {
  cleanup_fd int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) return cm_fail(err, errno, "Failed to accept console-socket connection");
  /* One connection only: the name is no longer needed. */
  if (unlink(path) < 0) nwarn("failed to unlink %s: %s", path, strerror(errno));
  /* The runtime sends the pty name as data with the fd as SCM_RIGHTS; we need only the fd.
   * The data must be received too, or the control message is not delivered. */
  char name[PATH_MAX];
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r;
  do r = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return cm_fail(err, errno, "Failed to receive console file descriptor");
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
  if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return cm_fail(err, 0, "console socket message carried no file descriptor");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  if (fd < 0) return cm_fail(err, 0, "console socket sent an invalid file descriptor");

  /* Kubernetes clients expect "\r\n" line ends from a tty (ONLCR), whatever the image set. */
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    t.c_oflag |= ONLCR;
    if (tcsetattr(fd, TCSANOW, &t) < 0) nwarn("Failed to set console terminal settings");
  } else {
    nwarn("Failed to get console terminal settings");
  }
  *master = fd;
  return 0;
}

size_t runtime_error_text(int fd, char* buf, size_t size) {
  /* The runtime is gone; whatever it printed is in the pipe.  Non-blocking, because the
   * container may still hold the write end. */
  size_t off = 0;
  if (fd < 0 || size == 0) return 0;
  set_nonblock(fd, true);
  while (off + 1 < size) {
    ssize_t r = read(fd, buf + off, size - 1 - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    off += (size_t)r;
  }
  buf[off] = '\0';
  return off;
}
