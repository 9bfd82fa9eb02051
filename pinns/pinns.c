/* pinns: creates a pod's namespaces and pins each one by bind-mounting its nsfs file, so that the
 * namespaces outlive every process in them and the daemon can join them by path later.
 *
 * A forked child does the unsharing, because a namespace only exists while something holds it:
 * the child holds them until the parent has bind-mounted /proc/<child>/ns/<type>, and then exits.
 * Sysctls are applied by the child after unsharing, which is the only way to reach the new
 * namespaces' copies of them.  Every file, directory and mount this run creates is recorded and
 * undone if any later step fails, so a caller never has to clean up after a failed run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define USAGE                                                                             \
  "pinns -d DIR -f FILENAME [-n|--net] [-i|--ipc] [-u|--uts] [-U|--user] [-c|--cgroup] "  \
  "[-s|--sysctl KEY=VALUE[+KEY=VALUE...]]... [--uid-mapping CONTAINERID:HOSTID:SIZE]... " \
  "[--gid-mapping CONTAINERID:HOSTID:SIZE]... [--log-level LEVEL]"

/* The kernel accepts at most 340 lines per id map, written in one write of less than a page. */
#define MAX_MAPPINGS 340
#define MAP_TEXT_SIZE 4096
#define MAX_SYSCTLS 256
#define MAX_UNDO 128

enum ns_type { NS_NET, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_COUNT };

static const struct {
  const char* name; /* as in /proc/<pid>/ns/<name> and <DIR>/<name>ns */
  int clone_flag;
  const char* flag; /* the option that requests it, for messages */
} ns_info[NS_COUNT] = {
    [NS_NET] = {"net", CLONE_NEWNET, "-n/--net"},
    [NS_IPC] = {"ipc", CLONE_NEWIPC, "-i/--ipc"},
    [NS_UTS] = {"uts", CLONE_NEWUTS, "-u/--uts"},
    [NS_USER] = {"user", CLONE_NEWUSER, "-U/--user"},
    [NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP, "-c/--cgroup"},
};

enum sysctl_kind { SYSCTL_FILE, SYSCTL_HOSTNAME, SYSCTL_DOMAINNAME };

struct sysctl {
  const char* key; /* as given, for messages */
  const char* value;
  enum sysctl_kind kind;
  char path[PATH_MAX]; /* under /proc/sys */
};

struct id_map {
  const char* file; /* "uid_map" or "gid_map" */
  const char* option;
  int count;
  bool maps_root; /* container id 0 is covered */
  char text[MAP_TEXT_SIZE];
  size_t len;
};

struct options {
  const char* dir;
  const char* filename;
  bool want[NS_COUNT];
  bool debug;
  int nsysctls;
  struct sysctl sysctls[MAX_SYSCTLS];
  struct id_map uid_map;
  struct id_map gid_map;
};

/* ------------------------------------------------------------------ errors */

/* The first failure wins: later ones are usually consequences of it. */
static char error_text[1024];

static int fail(int errnum, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int errnum, const char* fmt, ...) {
  if (error_text[0] != '\0') return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(error_text, sizeof error_text, fmt, ap);
  va_end(ap);
  if (n >= 0 && errnum != 0 && (size_t)n < sizeof error_text)
    snprintf(error_text + n, sizeof error_text - (size_t)n, ": %s", strerror(errnum));
  return -1;
}

static int usage_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char* fmt, ...) {
  char problem[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(problem, sizeof problem, fmt, ap);
  va_end(ap);
  return fail(0, "%s (usage: %s)", problem, USAGE);
}

static void debug(const struct options* o, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void debug(const struct options* o, const char* fmt, ...) {
  if (!o->debug) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("pinns: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ------------------------------------------------------------------ small io helpers */

static int write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

static ssize_t read_retry(int fd, void* buf, size_t len) {
  ssize_t n;
  do n = read(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

/* ------------------------------------------------------------------ sysctls */

/* Which new namespace a sysctl belongs to, or -1 when it has no per-namespace copy: writing such
 * a sysctl would change the host, which a pod must never do. */
static int sysctl_owner(const char* path) {
  static const struct {
    const char* prefix;
    bool exact;
    enum ns_type owner;
  } table[] = {
      {"net/", false, NS_NET},
      {"kernel/shm", false, NS_IPC},
      {"kernel/msg", false, NS_IPC},
      {"kernel/sem", false, NS_IPC},
      {"fs/mqueue/", false, NS_IPC},
      {"kernel/hostname", true, NS_UTS},
      {"kernel/domainname", true, NS_UTS},
      {"user/", false, NS_USER},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    size_t len = strlen(table[i].prefix);
    if (table[i].exact ? strcmp(path, table[i].prefix) == 0
                       : strncmp(path, table[i].prefix, len) == 0)
      return (int)table[i].owner;
  }
  return -1;
}

/* sysctl(8)'s convention: the first separator tells the form.  In the slash form dots are literal
 * (an interface named "eth0.100"); in the dotted form a '/' stands for such a literal dot
 * ("net.ipv4.conf.eth0/100.forwarding"), so the two characters swap. */
static int sysctl_path(const char* key, char* out, size_t size) {
  size_t len = strlen(key);
  if (len == 0 || len + 1 > size) return -1;
  bool dotted = key[strcspn(key, "./")] == '.';
  for (size_t i = 0; i <= len; i++) {
    char c = key[i];
    out[i] = !dotted ? c : c == '.' ? '/' : c == '/' ? '.' : c;
  }
  /* No empty, "." or ".." component: the key must name a file below /proc/sys. */
  const char* component = out;
  for (;;) {
    const char* end = strchr(component, '/');
    size_t clen = end ? (size_t)(end - component) : strlen(component);
    if (clen == 0 || (clen == 1 && component[0] == '.') ||
        (clen == 2 && component[0] == '.' && component[1] == '.'))
      return -1;
    if (end == NULL) return 0;
    component = end + 1;
  }
}

static int add_sysctl(struct options* o, char* pair) {
  char* eq = strchr(pair, '=');
  if (eq == NULL) return usage_error("sysctl '%s' is not KEY=VALUE", pair);
  *eq = '\0';
  if (o->nsysctls == MAX_SYSCTLS) return fail(0, "more than %d sysctls", MAX_SYSCTLS);
  struct sysctl* s = &o->sysctls[o->nsysctls];
  char relative[PATH_MAX - 16];
  if (sysctl_path(pair, relative, sizeof relative) != 0)
    return fail(0, "sysctl '%s': not a valid sysctl name", pair);
  int owner = sysctl_owner(relative);
  if (owner < 0)
    return fail(0, "sysctl %s is not namespaced: setting it would change the host", pair);
  if (!o->want[owner])
    return fail(0, "sysctl %s belongs to the %s namespace, which needs %s", pair,
                ns_info[owner].name, ns_info[owner].flag);
  s->key = pair;
  s->value = eq + 1;
  s->kind = strcmp(relative, "kernel/hostname") == 0     ? SYSCTL_HOSTNAME
            : strcmp(relative, "kernel/domainname") == 0 ? SYSCTL_DOMAINNAME
                                                         : SYSCTL_FILE;
  snprintf(s->path, sizeof s->path, "/proc/sys/%s", relative);
  o->nsysctls++;
  return 0;
}

/* One -s argument: pairs joined by '+'.  Checked only once every namespace flag is known. */
static int add_sysctls(struct options* o, char* arg) {
  for (char *save = NULL, *pair = strtok_r(arg, "+", &save); pair != NULL;
       pair = strtok_r(NULL, "+", &save))
    if (add_sysctl(o, pair) != 0) return -1;
  return 0;
}

/* The UTS names go through their system calls rather than /proc/sys: those check the capability
 * in the namespace's owning user namespace, while /proc/sys/kernel/hostname only admits the
 * host's root uid, which a process in a pod user namespace no longer has. */
static int apply_sysctl(const struct sysctl* s) {
  size_t len = strlen(s->value);
  if (s->kind == SYSCTL_HOSTNAME) {
    if (sethostname(s->value, len) != 0)
      return fail(errno, "sysctl %s=%s: setting the hostname", s->key, s->value);
    return 0;
  }
  if (s->kind == SYSCTL_DOMAINNAME) {
    if (setdomainname(s->value, len) != 0)
      return fail(errno, "sysctl %s=%s: setting the domain name", s->key, s->value);
    return 0;
  }
  int fd = open(s->path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "sysctl %s: opening %s", s->key, s->path);
  /* One write: a sysctl parses only what the first write at offset 0 carries. */
  int rc = write_all(fd, s->value, len);
  int saved = errno;
  if (close(fd) != 0 && rc == 0) {
    rc = -1;
    saved = errno;
  }
  if (rc != 0) return fail(saved, "sysctl %s=%s: writing %s", s->key, s->value, s->path);
  return 0;
}

/* ------------------------------------------------------------------ id mappings */

static int parse_u32(const char* text, const char* end, uint32_t* out) {
  if (text == end || *text < '0' || *text > '9') return -1;
  uint64_t value = 0;
  for (const char* p = text; p < end; p++) {
    if (*p < '0' || *p > '9') return -1;
    value = value * 10 + (uint64_t)(*p - '0');
    if (value > UINT32_MAX) return -1;
  }
  *out = (uint32_t)value;
  return 0;
}

static int add_mapping(struct id_map* map, const char* arg) {
  const char* first = strchr(arg, ':');
  const char* second = first ? strchr(first + 1, ':') : NULL;
  uint32_t container, host, size;
  if (second == NULL || parse_u32(arg, first, &container) != 0 ||
      parse_u32(first + 1, second, &host) != 0 ||
      parse_u32(second + 1, second + 1 + strlen(second + 1), &size) != 0)
    return usage_error("%s '%s' is not CONTAINERID:HOSTID:SIZE", map->option, arg);
  if (size == 0 || (uint64_t)container + size > (uint64_t)UINT32_MAX + 1 ||
      (uint64_t)host + size > (uint64_t)UINT32_MAX + 1)
    return fail(0, "%s '%s': the range is empty or runs past the largest id", map->option, arg);
  if (map->count == MAX_MAPPINGS)
    return fail(0, "%s: more than %d mappings", map->option, MAX_MAPPINGS);
  int n = snprintf(map->text + map->len, sizeof map->text - map->len, "%u %u %u\n", container, host,
                   size);
  if (n < 0 || (size_t)n >= sizeof map->text - map->len)
    return fail(0, "%s: the mappings are too long for one id map", map->option);
  map->len += (size_t)n;
  map->count++;
  if (container == 0) map->maps_root = true;
  return 0;
}

/* The kernel takes a whole map in a single write and only once. */
static int write_id_map(pid_t pid, const struct id_map* map) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, map->file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "opening %s", path);
  ssize_t n = write(fd, map->text, map->len);
  int saved = errno;
  close(fd);
  if (n < 0) return fail(saved, "writing the %s of the user namespace", map->file);
  if ((size_t)n != map->len) return fail(0, "writing the %s: short write", map->file);
  return 0;
}

/* ------------------------------------------------------------------ command line */

static int set_log_level(struct options* o, const char* level) {
  static const char* const quiet[] = {"info", "warn", "warning", "error", "fatal", "panic"};
  if (strcasecmp(level, "debug") == 0 || strcasecmp(level, "trace") == 0) {
    o->debug = true;
    return 0;
  }
  for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
    if (strcasecmp(level, quiet[i]) == 0) return 0;
  return usage_error("unknown log level '%s'", level);
}

static int check_filename(const char* name) {
  if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
      strcmp(name, "..") == 0)
    return usage_error("-f/--filename '%s' must be a plain file name", name);
  return 0;
}

static int check_options(struct options* o, char** sysctl_args, int nsysctl_args) {
  if (o->dir == NULL || o->dir[0] == '\0') return usage_error("-d/--dir is required");
  if (o->filename == NULL) return usage_error("-f/--filename is required");
  if (check_filename(o->filename) != 0) return -1;
  bool any = false;
  for (int t = 0; t < NS_COUNT; t++) any |= o->want[t];
  if (!any) return usage_error("no namespace requested");
  if (o->want[NS_USER]) {
    if (o->uid_map.count == 0 || o->gid_map.count == 0)
      return usage_error("-U/--user needs --uid-mapping and --gid-mapping");
    /* The child acts as the namespace's root to write its sysctls, so root must exist there. */
    if (!o->uid_map.maps_root || !o->gid_map.maps_root)
      return fail(0, "the user namespace mappings must map container id 0");
  } else if (o->uid_map.count > 0 || o->gid_map.count > 0) {
    return usage_error("--uid-mapping and --gid-mapping need -U/--user");
  }
  for (int i = 0; i < nsysctl_args; i++)
    if (add_sysctls(o, sysctl_args[i]) != 0) return -1;
  return 0;
}

static int parse_args(int argc, char** argv, struct options* o) {
  enum { OPT_UID_MAPPING = 256, OPT_GID_MAPPING, OPT_LOG_LEVEL };
  static const struct option longopts[] = {
      {"dir", required_argument, NULL, 'd'},
      {"filename", required_argument, NULL, 'f'},
      {"net", no_argument, NULL, 'n'},
      {"ipc", no_argument, NULL, 'i'},
      {"uts", no_argument, NULL, 'u'},
      {"user", no_argument, NULL, 'U'},
      {"cgroup", no_argument, NULL, 'c'},
      {"sysctl", required_argument, NULL, 's'},
      {"uid-mapping", required_argument, NULL, OPT_UID_MAPPING},
      {"gid-mapping", required_argument, NULL, OPT_GID_MAPPING},
      {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  /* Sysctls are kept until every flag is read: -s may come before -n. */
  char** sysctl_args = calloc((size_t)argc, sizeof *sysctl_args);
  if (sysctl_args == NULL) return fail(errno, "allocating");
  int nsysctl_args = 0;
  int rc = 0;
  opterr = 0; /* our own messages, one line each */
  for (int c; rc == 0 && (c = getopt_long(argc, argv, ":d:f:niuUcs:h", longopts, NULL)) != -1;) {
    switch (c) {
      case 'd':
        o->dir = optarg;
        break;
      case 'f':
        o->filename = optarg;
        break;
      case 'n':
        o->want[NS_NET] = true;
        break;
      case 'i':
        o->want[NS_IPC] = true;
        break;
      case 'u':
        o->want[NS_UTS] = true;
        break;
      case 'U':
        o->want[NS_USER] = true;
        break;
      case 'c':
        o->want[NS_CGROUP] = true;
        break;
      case 's':
        sysctl_args[nsysctl_args++] = optarg;
        break;
      case OPT_UID_MAPPING:
        rc = add_mapping(&o->uid_map, optarg);
        break;
      case OPT_GID_MAPPING:
        rc = add_mapping(&o->gid_map, optarg);
        break;
      case OPT_LOG_LEVEL:
        rc = set_log_level(o, optarg);
        break;
      case 'h':
        printf("usage: %s\n", USAGE);
        free(sysctl_args);
        exit(0);
      case ':':
        rc = usage_error("option %s needs a value", argv[optind - 1]);
        break;
      default:
        if (optopt != 0)
          rc = usage_error("unknown option -%c", optopt);
        else
          rc = usage_error("unknown option %s", argv[optind - 1]);
        break;
    }
  }
  if (rc == 0 && optind < argc) rc = usage_error("unexpected argument '%s'", argv[optind]);
  if (rc == 0) rc = check_options(o, sysctl_args, nsysctl_args);
  free(sysctl_args);
  return rc;
}

/* ------------------------------------------------------------------ the namespace child */

/* Child -> parent reports: one write of a kind byte and, for an error, its text.  Only one report
 * is ever outstanding (the child then waits for the parent), so one read gets it whole. */
#define REPORT_USERNS 'U' /* user namespace created: write the id maps */
#define REPORT_READY 'R'  /* every namespace created and its sysctls applied */
#define REPORT_ERROR 'E'

static void child_report(int fd, char kind) {
  char message[1 + sizeof error_text];
  message[0] = kind;
  size_t len = 1;
  if (kind == REPORT_ERROR) {
    len += strlen(error_text);
    memcpy(message + 1, error_text, len - 1);
  }
  (void)write_all(fd, message, len);
}

_Noreturn static void child_die(int report_fd) {
  child_report(report_fd, REPORT_ERROR);
  _exit(1);
}

/* Ids 0 inside: until then the child runs as an unmapped id there, which owns nothing in the
 * namespaces it is about to create (their sysctl files belong to the namespace's root). */
static int become_namespace_root(void) {
  if (setgroups(0, NULL) != 0)
    return fail(errno, "dropping supplementary groups in the user namespace");
  if (setresgid(0, 0, 0) != 0) return fail(errno, "becoming gid 0 in the user namespace");
  if (setresuid(0, 0, 0) != 0) return fail(errno, "becoming uid 0 in the user namespace");
  /* A credential change makes the process non-dumpable, which would hide /proc/<pid>/ns from a
   * parent without CAP_SYS_PTRACE. */
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) return fail(errno, "making the child dumpable");
  return 0;
}

_Noreturn static void child_main(const struct options* o, int report_fd, int go_fd) {
  char go;
  if (o->want[NS_USER]) {
    /* First, so that it owns every namespace created after it. */
    if (unshare(CLONE_NEWUSER) != 0) {
      fail(errno, "creating the user namespace");
      child_die(report_fd);
    }
    child_report(report_fd, REPORT_USERNS);
    if (read_retry(go_fd, &go, 1) != 1) _exit(1); /* the parent gave up */
    if (become_namespace_root() != 0) child_die(report_fd);
  }
  for (int t = 0; t < NS_COUNT; t++) {
    if (t == NS_USER || !o->want[t]) continue;
    if (unshare(ns_info[t].clone_flag) != 0) {
      fail(errno, "creating the %s namespace", ns_info[t].name);
      child_die(report_fd);
    }
  }
  for (int i = 0; i < o->nsysctls; i++)
    if (apply_sysctl(&o->sysctls[i]) != 0) child_die(report_fd);
  child_report(report_fd, REPORT_READY);
  /* Hold the namespaces until the parent has pinned them and closes its end. */
  while (read_retry(go_fd, &go, 1) > 0) {
  }
  _exit(0);
}

struct child {
  pid_t pid;
  int report_fd; /* read end */
  int go_fd;     /* write end */
};

static int child_start(const struct options* o, struct child* c) {
  int report[2], go[2];
  if (pipe2(report, O_CLOEXEC) != 0) return fail(errno, "creating a pipe");
  if (pipe2(go, O_CLOEXEC) != 0) {
    int saved = errno;
    close(report[0]);
    close(report[1]);
    return fail(saved, "creating a pipe");
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(report[0]), close(report[1]), close(go[0]), close(go[1]);
    return fail(saved, "forking the namespace child");
  }
  if (pid == 0) {
    close(report[0]);
    close(go[1]);
    child_main(o, report[1], go[0]);
  }
  close(report[1]);
  close(go[0]);
  c->pid = pid;
  c->report_fd = report[0];
  c->go_fd = go[1];
  return 0;
}

/* Waits for the next report; `expected` is the kind that means progress. */
static int child_await(const struct child* c, char expected) {
  char message[1 + sizeof error_text + 1];
  ssize_t n = read_retry(c->report_fd, message, sizeof message - 1);
  if (n < 0) return fail(errno, "reading from the namespace child");
  if (n == 0) return fail(0, "the namespace child exited before it was ready");
  message[n] = '\0';
  if (message[0] == REPORT_ERROR) return fail(0, "%s", message + 1);
  if (message[0] != expected)
    return fail(0, "unexpected report '%c' from the namespace child", message[0]);
  return 0;
}

static int child_ready(const struct options* o, const struct child* c) {
  if (o->want[NS_USER]) {
    if (child_await(c, REPORT_USERNS) != 0) return -1;
    /* setgroups stays "allow": as a privileged writer we need no "deny" to write the gid map,
     * and the pod's processes must still be able to call setgroups(2). */
    if (write_id_map(c->pid, &o->uid_map) != 0 || write_id_map(c->pid, &o->gid_map) != 0) return -1;
    if (write_all(c->go_fd, "1", 1) != 0) return fail(errno, "resuming the namespace child");
  }
  return child_await(c, REPORT_READY);
}

/* Lets the child go and reaps it; after a failure it is killed rather than trusted to exit. */
static int child_finish(struct child* c, bool failed) {
  close(c->go_fd);
  close(c->report_fd);
  if (failed) kill(c->pid, SIGKILL);
  int status;
  while (waitpid(c->pid, &status, 0) < 0) {
    if (errno != EINTR) return fail(errno, "waiting for the namespace child");
  }
  if (!failed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    return fail(0, "the namespace child failed (status 0x%x)", (unsigned)status);
  return 0;
}

/* ------------------------------------------------------------------ pinning and undo */

enum undo_kind { UNDO_RMDIR, UNDO_UNLINK, UNDO_UMOUNT };

struct undo {
  int count;
  struct {
    enum undo_kind kind;
    char* path;
  } steps[MAX_UNDO];
};

static int undo_push(struct undo* u, enum undo_kind kind, const char* path) {
  char* copy = strdup(path);
  if (copy == NULL || u->count == MAX_UNDO) {
    free(copy);
    /* Cannot be recorded, so it is undone at once and the run fails. */
    if (kind == UNDO_UMOUNT) umount2(path, MNT_DETACH);
    if (kind == UNDO_UNLINK) unlink(path);
    if (kind == UNDO_RMDIR) rmdir(path);
    return fail(copy == NULL ? ENOMEM : 0, "recording %s for cleanup", path);
  }
  u->steps[u->count].kind = kind;
  u->steps[u->count].path = copy;
  u->count++;
  return 0;
}

/* Best effort by nature: the run has already failed and says why. */
static void undo_all(struct undo* u) {
  for (int i = u->count - 1; i >= 0; i--) {
    const char* path = u->steps[i].path;
    switch (u->steps[i].kind) {
      case UNDO_UMOUNT:
        umount2(path, MNT_DETACH);
        break;
      case UNDO_UNLINK:
        unlink(path);
        break;
      case UNDO_RMDIR:
        rmdir(path);
        break;
    }
  }
}

static void undo_free(struct undo* u) {
  for (int i = 0; i < u->count; i++) free(u->steps[i].path);
  u->count = 0;
}

/* mkdir -p, recording each directory it creates. */
static int make_dirs(const char* path, struct undo* u) {
  char prefix[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof prefix) return fail(ENAMETOOLONG, "%s", path);
  memcpy(prefix, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (prefix[i] != '/' && prefix[i] != '\0') continue;
    if (prefix[i - 1] == '/') continue; /* "//" or a trailing slash */
    char saved = prefix[i];
    prefix[i] = '\0';
    if (mkdir(prefix, 0755) == 0) {
      if (undo_push(u, UNDO_RMDIR, prefix) != 0) return -1;
    } else if (errno == EEXIST) {
      struct stat st;
      if (stat(prefix, &st) != 0) return fail(errno, "creating the directory %s", prefix);
      if (!S_ISDIR(st.st_mode)) return fail(ENOTDIR, "creating the directory %s", prefix);
    } else {
      return fail(errno, "creating the directory %s", prefix);
    }
    prefix[i] = saved;
  }
  return 0;
}

static int pin_one(const struct options* o, pid_t pid, enum ns_type t, struct undo* u) {
  char dir[PATH_MAX], target[PATH_MAX], source[64];
  const char* name = ns_info[t].name;
  if (snprintf(dir, sizeof dir, "%s/%sns", o->dir, name) >= (int)sizeof dir ||
      snprintf(target, sizeof target, "%s/%s", dir, o->filename) >= (int)sizeof target)
    return fail(ENAMETOOLONG, "%s/%sns/%s", o->dir, name, o->filename);
  snprintf(source, sizeof source, "/proc/%d/ns/%s", (int)pid, name);
  if (make_dirs(dir, u) != 0) return -1;
  /* O_EXCL: an existing file may be another pod's pin, which must never be covered. */
  int fd = open(target, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return fail(errno, "creating %s", target);
  close(fd);
  if (undo_push(u, UNDO_UNLINK, target) != 0) return -1;
  if (mount(source, target, NULL, MS_BIND, NULL) != 0)
    return fail(errno, "bind-mounting the %s namespace on %s", name, target);
  if (undo_push(u, UNDO_UMOUNT, target) != 0) return -1;
  debug(o, "pinned the %s namespace at %s", name, target);
  return 0;
}

static int pin_all(const struct options* o) {
  struct child c = {.pid = -1, .report_fd = -1, .go_fd = -1};
  if (child_start(o, &c) != 0) return -1;
  struct undo u = {0};
  int rc = child_ready(o, &c);
  for (int t = 0; rc == 0 && t < NS_COUNT; t++)
    if (o->want[t]) rc = pin_one(o, c.pid, (enum ns_type)t, &u);
  if (child_finish(&c, rc != 0) != 0) rc = -1;
  if (rc != 0) undo_all(&u);
  undo_free(&u);
  return rc;
}

int main(int argc, char** argv) {
  /* Options are large (sysctl paths, id maps): keep them off the stack. */
  static struct options o = {
      .uid_map = {.file = "uid_map", .option = "--uid-mapping"},
      .gid_map = {.file = "gid_map", .option = "--gid-mapping"},
  };
  int rc = parse_args(argc, argv, &o);
  if (rc == 0) {
    /* A child that dies early must turn into an error, not kill us before we clean up. */
    signal(SIGPIPE, SIG_IGN);
    /* The modes of what we create are part of the contract (0755 dirs, 0444 files). */
    umask(0);
    rc = pin_all(&o);
  }
  if (rc != 0) {
    fprintf(stderr, "pinns: %s\n", error_text);
    return 1;
  }
  return 0;
}
