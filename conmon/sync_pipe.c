/* The caller's pipes: _OCI_SYNCPIPE (our reports, one JSON document per line) and
 * _OCI_STARTPIPE (one byte from the caller releases us), both inherited fds named by env. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pipe_fd_from_env(const char* name, int* fd, struct cm_err* err) {
  *fd = -1;
  const char* s = getenv(name);
  if (s == NULL) return 0;
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 0x7fffffff)
    return cm_fail(err, 0, "unable to parse %s", name);
  /* The runtime and the exit command must not inherit the caller's pipes: the caller detects
   * our death by EOF on them. */
  if (fcntl((int)v, F_SETFD, FD_CLOEXEC) < 0)
    return cm_fail(err, errno, "unable to make %s CLOEXEC", name);
  *fd = (int)v;
  return 0;
}

/* Small output buffer so a long message is escaped in pieces, without an allocation sized by
 * the message. */
struct jbuf {
  int fd;
  size_t len;
  bool failed;
  char data[1024];
};

static void jflush(struct jbuf* b) {
  if (b->len > 0 && !b->failed && write_all(b->fd, b->data, b->len) < 0) b->failed = true;
  b->len = 0;
}

static void jput(struct jbuf* b, const char* s, size_t n) {
  while (n > 0) {
    if (b->len == sizeof b->data) jflush(b);
    size_t room = sizeof b->data - b->len;
    size_t k = n < room ? n : room;
    memcpy(b->data + b->len, s, k);
    b->len += k;
    s += k;
    n -= k;
  }
}

/* JSON string escaping (RFC 8259): quote, backslash and control characters; bytes >= 0x80
 * pass through so UTF-8 text stays readable. */
static void jput_escaped(struct jbuf* b, const char* s) {
  for (const unsigned char* p = (const unsigned char*)s; *p; p++) {
    char tmp[8];
    switch (*p) {
      case '"':
        jput(b, "\\\"", 2);
        break;
      case '\\':
        jput(b, "\\\\", 2);
        break;
      case '\n':
        jput(b, "\\n", 2);
        break;
      case '\r':
        jput(b, "\\r", 2);
        break;
      case '\t':
        jput(b, "\\t", 2);
        break;
      case '\b':
        jput(b, "\\b", 2);
        break;
      case '\f':
        jput(b, "\\f", 2);
        break;
      default:
        if (*p < 0x20 || *p == 0x7f) {
          snprintf(tmp, sizeof tmp, "\\u%04x", *p);
          jput(b, tmp, 6);
        } else {
          jput(b, (const char*)p, 1);
        }
    }
  }
}

void sync_write(int* fd, int value, const char* message) {
  if (*fd < 0) return;
  const char* key = opt.api_version >= 1 ? "data" : opt.exec ? "exit_code" : "pid";
  struct jbuf b = {.fd = *fd};
  char head[64];
  int n = snprintf(head, sizeof head, "{\"%s\": %d", key, value);
  jput(&b, head, (size_t)n);
  if (message != NULL && message[0] != '\0') {
    jput(&b, ", \"message\": \"", 14);
    jput_escaped(&b, message);
    jput(&b, "\"", 1);
  }
  jput(&b, "}\n", 2);
  jflush(&b);
  if (b.failed) {
    /* The caller went away (EPIPE): stop reporting rather than die. */
    nwarn("failed to write to the sync pipe: %s", strerror(errno));
    if (errno == EPIPE) {
      close(*fd);
      *fd = -1;
    }
  }
}
