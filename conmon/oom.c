/* OOM-kill detection for the container's memory cgroup, found through /proc/<pid>/cgroup.
 *
 * cgroup v1: an eventfd registered for memory.oom_control through cgroup.event_control.  The
 *   eventfd also fires when the cgroup is removed, which is told apart by the cgroup being gone.
 * cgroup v2: inotify on memory.events; an increase of its "oom" or "oom_kill" counter.
 * On a hybrid host (v1 controllers plus a v2 tree at /sys/fs/cgroup/unified) the memory
 * controller is a v1 one; the v2 tree is used only if no v1 memory cgroup is found.
 *
 * On an OOM kill an empty file "oom" is created in the bundle directory (CRI-O looks there;
 * upstream uses its working directory, which CRI-O sets to the bundle) and in --persist-dir. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static struct watch oom_w = {.fd = -1};
static int oom_fd = -1; /* eventfd (v1) or inotify (v2) */
static bool v2;
static char cg_dir[PATH_MAX];        /* the memory cgroup directory */
static long last_oom, last_oom_kill; /* v2 counters already reported */

static void write_oom_files(void) {
  ninfo("OOM received");
  char path[PATH_MAX];
  struct cm_err err;
  const char* dirs[] = {opt.persist_dir, opt.bundle};
  for (size_t i = 0; i < 2; i++) {
    if (dirs[i] == NULL || path_join(path, sizeof path, dirs[i], "oom", &err) < 0) continue;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
      nwarn("Failed to write oom file %s: %s", path, strerror(errno));
    else
      close(fd);
  }
}

static bool is_cgroup2(const char* path) {
  struct statfs sfs;
  return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Finds the memory cgroup of `pid`: fills cg_dir and v2.  /proc/<pid>/cgroup lines are
 * "<id>:<controllers>:<path>". */
static bool find_cgroup(pid_t pid) {
  char file[64], buf[4096];
  snprintf(file, sizeof file, "/proc/%d/cgroup", (int)pid);
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';

  bool unified_root = is_cgroup2("/sys/fs/cgroup");
  const char* v2_path = NULL;
  for (char *line = buf, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    char* c1 = strchr(line, ':');
    char* c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL) continue;
    *c2 = '\0';
    const char *controllers = c1 + 1, *path = c2 + 1;
    if (*controllers == '\0') {
      v2_path = path;
      continue;
    }
    if (unified_root) continue;
    for (const char* p = controllers; p;) {
      const char* comma = strchr(p, ',');
      size_t len = comma ? (size_t)(comma - p) : strlen(p);
      if (len == 6 && strncmp(p, "memory", 6) == 0) {
        v2 = false;
        return snprintf(cg_dir, sizeof cg_dir, "/sys/fs/cgroup/memory%s", path) <
               (int)sizeof cg_dir;
      }
      p = comma ? comma + 1 : NULL;
    }
  }
  if (v2_path == NULL) return false;
  const char* root = unified_root ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  if (!unified_root && !is_cgroup2(root)) return false;
  v2 = true;
  return snprintf(cg_dir, sizeof cg_dir, "%s%s", root, v2_path) < (int)sizeof cg_dir;
}

static void check_v1(void) {
  uint64_t count;
  if (read(oom_fd, &count, sizeof count) != (ssize_t)sizeof count) return;
  char path[PATH_MAX];
  struct cm_err err;
  if (path_join(path, sizeof path, cg_dir, "cgroup.event_control", &err) < 0) return;
  bool removed = access(path, F_OK) < 0;
  if (removed) {
    /* The registration dies with the cgroup; stop watching. */
    loop_del(&oom_w);
  }
  /* One event with the cgroup gone is the removal notification, not an OOM. */
  if (count == 1 && removed) return;
  write_oom_files();
}

static void check_v2(void) {
  char path[PATH_MAX], buf[512];
  struct cm_err err;
  if (path_join(path, sizeof path, cg_dir, "memory.events", &err) < 0) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  long oom = 0, kill = 0;
  for (char* line = buf; line && *line;) {
    if (strncmp(line, "oom ", 4) == 0)
      oom = strtol(line + 4, NULL, 10);
    else if (strncmp(line, "oom_kill ", 9) == 0)
      kill = strtol(line + 9, NULL, 10);
    line = strchr(line, '\n');
    if (line) line++;
  }
  if ((oom > last_oom) || (kill > last_oom_kill)) {
    last_oom = oom;
    last_oom_kill = kill;
    write_oom_files();
  }
}

static void oom_cb(struct watch* w, uint32_t events) {
  (void)w;
  (void)events;
  if (v2) {
    /* Drain the inotify events; the counters tell what happened. */
    char ev[sizeof(struct inotify_event) + NAME_MAX + 1];
    while (read(oom_fd, ev, sizeof ev) > 0) {
    }
    check_v2();
  } else {
    check_v1();
  }
}

void oom_watch(pid_t pid) {
  if (!find_cgroup(pid)) {
    nwarn("Failed to get memory cgroup path. Container may have exited");
    return;
  }
  struct cm_err err;
  char path[PATH_MAX];
  if (v2) {
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) {
      nwarn("Failed to create inotify fd: %s", strerror(errno));
      return;
    }
    if (path_join(path, sizeof path, cg_dir, "memory.events", &err) < 0) {
      close(fd);
      return;
    }
    if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
      nwarn("Failed to add inotify watch for %s: %s", path, strerror(errno));
      close(fd);
      return;
    }
    oom_fd = fd;
  } else {
    if (path_join(path, sizeof path, cg_dir, "cgroup.event_control", &err) < 0) return;
    cleanup_fd int ctl = open(path, O_WRONLY | O_CLOEXEC);
    if (ctl < 0) {
      nwarn("Failed to open %s: %s", path, strerror(errno));
      return;
    }
    if (path_join(path, sizeof path, cg_dir, "memory.oom_control", &err) < 0) return;
    /* The kernel looks this fd up only while registering; it can be closed afterwards. */
    cleanup_fd int oomctl = open(path, O_RDONLY | O_CLOEXEC);
    if (oomctl < 0) {
      nwarn("Failed to open %s: %s", path, strerror(errno));
      return;
    }
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
      nwarn("Failed to create eventfd: %s", strerror(errno));
      return;
    }
    char reg[32];
    int n = snprintf(reg, sizeof reg, "%d %d", efd, oomctl);
    if (write_all(ctl, reg, (size_t)n) < 0) {
      nwarn("Failed to write to cgroup.event_control: %s", strerror(errno));
      close(efd);
      return;
    }
    oom_fd = efd;
  }
  if (loop_add(&oom_w, oom_fd, EPOLLIN, oom_cb, NULL, &err) < 0) nwarn("%s", err.msg);
  ndebug("watching %s for OOM kills (cgroup v%d)", cg_dir, v2 ? 2 : 1);
}

void oom_final_check(void) {
  if (oom_fd < 0) return;
  if (v2)
    check_v2();
  else if (oom_w.fd >= 0)
    check_v1(); /* non-blocking: only an event not yet dispatched */
}
