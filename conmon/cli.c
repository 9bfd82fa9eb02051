/* Command line: the option set of upstream conmon 2.x.  Syntax follows GLib's option parser
 * (which upstream uses): "--long value", "--long=value", "-x value", "-xvalue", grouped short
 * flags ("-ti").  Anything unknown, and the options we do not implement, are refused with a
 * message and exit status 1 instead of being ignored. */
#include "conmon.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options opt = {
    .log_size_max = -1,
    .log_global_size_max = -1,
    .socket_dir = DEFAULT_SOCKET_DIR,
};

enum kind { FLAG, STR, STRV, INT, INT64, APIVER };

struct optdef {
  const char* name;
  char shortname;
  enum kind kind;
  void* dest;
  const char* help;
  const char* refused; /* non-NULL: recognised but not supported by this monitor */
};

static const struct optdef defs[] = {
    {"api-version", 0, APIVER, &opt.api_version, "Conmon API version to use", NULL},
    {"bundle", 'b', STR, &opt.bundle, "Location of the OCI Bundle path", NULL},
    {"cid", 'c', STR, &opt.cid, "Identification of Container", NULL},
    {"conmon-pidfile", 'P', STR, &opt.conmon_pidfile, "PID file for the conmon process", NULL},
    {"container-pidfile", 'p', STR, &opt.container_pidfile,
     "PID file for the initial pid inside of container", NULL},
    {"cuuid", 'u', STR, &opt.cuuid, "Container UUID", NULL},
    {"exec", 'e', FLAG, &opt.exec, "Exec a command into a running container", NULL},
    {"exec-attach", 0, FLAG, &opt.exec_attach, "Attach to an exec session", NULL},
    {"exec-process-spec", 0, STR, &opt.exec_process_spec, "Path to the process spec for execution",
     NULL},
    {"exit-command", 0, STR, &opt.exit_command,
     "Path to the program to execute when the container terminates its execution", NULL},
    {"exit-command-arg", 0, STRV, &opt.exit_args,
     "Additional arg to pass to the exit command.  Can be specified multiple times", NULL},
    {"exit-delay", 0, INT, &opt.exit_delay, "Delay before invoking the exit command (in seconds)",
     NULL},
    {"exit-dir", 0, STR, &opt.exit_dir, "Path to the directory where exit files are written", NULL},
    {"leave-stdin-open", 0, FLAG, &opt.leave_stdin_open,
     "Leave stdin open when attached client disconnects", NULL},
    {"log-level", 0, STR, &opt.log_level, "Print debug logs based on log level", NULL},
    {"log-path", 'l', STRV, &opt.log_paths, "Log file path", NULL},
    {"log-size-max", 0, INT64, &opt.log_size_max, "Maximum size of log file", NULL},
    {"log-global-size-max", 0, INT64, &opt.log_global_size_max, "Maximum size of all log files",
     NULL},
    {"log-tag", 0, STR, &opt.log_tag, "Additional tag to use for logging", NULL},
    {"name", 'n', STR, &opt.name, "Container name", NULL},
    {"no-new-keyring", 0, FLAG, &opt.no_new_keyring,
     "Do not create a new session keyring for the container", NULL},
    {"no-pivot", 0, FLAG, &opt.no_pivot, "Do not use pivot_root", NULL},
    {"no-sync-log", 0, FLAG, &opt.no_sync_log,
     "Do not manually call sync on logs after container shutdown", NULL},
    {"persist-dir", '0', STR, &opt.persist_dir,
     "Persistent directory for a container that can be used for storing container data", NULL},
    {"pidfile", 0, STR, &opt.container_pidfile, NULL /* hidden, deprecated alias of -p */, NULL},
    {"replace-listen-pid", 0, FLAG, &opt.replace_listen_pid,
     "Replace listen pid if set for oci-runtime pid", NULL},
    {"restore", 0, STR, &opt.restore, "Restore a container from a checkpoint", NULL},
    {"restore-arg", 0, STRV, &opt.runtime_opts, NULL /* hidden, deprecated alias */, NULL},
    {"runtime", 'r', STR, &opt.runtime, "Path to store runtime data for the container", NULL},
    {"runtime-arg", 0, STRV, &opt.runtime_args,
     "Additional arg to pass to the runtime. Can be specified multiple times", NULL},
    {"runtime-opt", 0, STRV, &opt.runtime_opts,
     "Additional opts to pass to the restore or exec command. Can be specified multiple times",
     NULL},
    {"sdnotify-socket", 0, STR, &opt.sdnotify_socket,
     "Path to the host's sd-notify socket to relay messages to", NULL},
    {"socket-dir-path", 0, STR, &opt.socket_dir, "Location of container attach sockets", NULL},
    {"stdin", 'i', FLAG, &opt.stdin_, "Open up a pipe to pass stdin to the container", NULL},
    {"sync", 0, FLAG, &opt.sync, "Keep the main conmon process as its child by only forking once",
     NULL},
    {"syslog", 0, FLAG, &opt.syslog, "Log to syslog (use with cgroupfs cgroup manager)", NULL},
    {"systemd-cgroup", 's', FLAG, &opt.systemd_cgroup,
     "Enable systemd cgroup manager, rather then use the cgroupfs directly", NULL},
    {"terminal", 't', FLAG, &opt.terminal, "Allocate a pseudo-TTY. The default is false", NULL},
    {"timeout", 'T', INT, &opt.timeout, "Kill container after specified timeout in seconds.", NULL},
    {"version", 0, FLAG, NULL, "Print the version and exit", NULL},
    {"full-attach", 0, FLAG, &opt.full_attach,
     "Don't truncate the path to the attach socket. This option causes conmon to ignore "
     "--socket-dir-path",
     NULL},
    {"seccomp-notify-socket", 0, STR, &opt.seccomp_notify_socket,
     "Path to the socket where the seccomp notification fd is received",
     "seccomp notification plugins are not supported by this conmon"},
    {"seccomp-notify-plugins", 0, STR, &opt.seccomp_notify_plugins,
     "Plugins to use for managing the seccomp notifications",
     "seccomp notification plugins are not supported by this conmon"},
    {"help", 'h', FLAG, NULL, "Show help options", NULL},
};
#define NDEFS (sizeof defs / sizeof defs[0])

static void usage(void) {
  printf("Usage:\n  conmon [OPTION...] - conmon utility\n\nApplication Options:\n");
  for (size_t i = 0; i < NDEFS; i++) {
    if (defs[i].help == NULL) continue;
    char left[64];
    if (defs[i].shortname)
      snprintf(left, sizeof left, "-%c, --%s", defs[i].shortname, defs[i].name);
    else
      snprintf(left, sizeof left, "--%s", defs[i].name);
    printf("  %-28s %s%s\n", left, defs[i].help, defs[i].refused ? " (not supported)" : "");
  }
}

static int parse_int64(const char* name, const char* s, int64_t min, int64_t max, int64_t* out,
                       struct cm_err* err) {
  char* end = NULL;
  errno = 0;
  /* Base 0 like GLib: decimal, 0x hex and 0 octal are accepted. */
  long long v = strtoll(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return cm_fail(err, 0, "option parsing failed: Cannot parse integer value \"%s\" for --%s", s,
                   name);
  *out = v;
  return 0;
}

static int store(const struct optdef* d, const char* value, int argc, struct cm_err* err) {
  if (d->refused != NULL) return cm_fail(err, 0, "--%s: %s", d->name, d->refused);
  switch (d->kind) {
    case FLAG:
      if (d->dest) *(bool*)d->dest = true;
      return 0;
    case APIVER:
      *(int*)d->dest = 1;
      if (value != NULL) {
        int64_t v;
        if (parse_int64(d->name, value, 0, INT_MAX, &v, err) < 0) return -1;
        *(int*)d->dest = (int)v;
      }
      return 0;
    case STR:
      *(const char**)d->dest = value;
      return 0;
    case STRV: {
      struct strv* sv = d->dest;
      if (sv->v == NULL) {
        /* One allocation for the process lifetime: argc bounds the number of values. */
        sv->v = calloc((size_t)argc + 1, sizeof *sv->v);
        if (sv->v == NULL) return cm_fail(err, errno, "out of memory");
      }
      sv->v[sv->n++] = value;
      return 0;
    }
    case INT: {
      int64_t v;
      if (parse_int64(d->name, value, INT_MIN, INT_MAX, &v, err) < 0) return -1;
      *(int*)d->dest = (int)v;
      return 0;
    }
    case INT64:
      return parse_int64(d->name, value, INT64_MIN, INT64_MAX, (int64_t*)d->dest, err);
  }
  return 0;
}

static bool is_number(const char* s) {
  if (*s == '\0') return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

int cli_parse(int argc, char** argv, struct cm_err* err) {
  bool want_version = false, want_help = false;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (strcmp(a, "--") == 0) {
      if (i + 1 < argc) return cm_fail(err, 0, "unexpected argument \"%s\"", argv[i + 1]);
      break;
    }
    if (a[0] != '-' || a[1] == '\0') return cm_fail(err, 0, "unexpected argument \"%s\"", a);

    if (a[1] == '-') {
      const char* name = a + 2;
      const char* eq = strchr(name, '=');
      size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
      const struct optdef* d = NULL;
      for (size_t k = 0; k < NDEFS; k++)
        if (strlen(defs[k].name) == nlen && strncmp(defs[k].name, name, nlen) == 0) d = &defs[k];
      if (d == NULL)
        return cm_fail(err, 0, "option parsing failed: Unknown option %.*s", (int)(nlen + 2), a);
      const char* value = NULL;
      if (d->kind == FLAG) {
        if (eq) return cm_fail(err, 0, "option parsing failed: --%s takes no value", d->name);
      } else if (d->kind == APIVER) {
        /* A flag upstream; callers pass "--api-version 1", whose "1" GLib leaves as an ignored
         * positional argument.  Take the number as the version. */
        if (eq)
          value = eq + 1;
        else if (i + 1 < argc && is_number(argv[i + 1]))
          value = argv[++i];
      } else if (eq) {
        value = eq + 1;
      } else {
        if (i + 1 >= argc)
          return cm_fail(err, 0, "option parsing failed: Missing argument for --%s", d->name);
        value = argv[++i];
      }
      if (strcmp(d->name, "help") == 0) want_help = true;
      if (strcmp(d->name, "version") == 0) want_version = true;
      if (store(d, value, argc, err) < 0) return -1;
      continue;
    }

    /* One or more short options in one word. */
    for (const char* p = a + 1; *p; p++) {
      const struct optdef* d = NULL;
      for (size_t k = 0; k < NDEFS; k++)
        if (defs[k].shortname == *p) d = &defs[k];
      if (*p == '?') want_help = true;
      if (d == NULL && *p == '?') continue;
      if (d == NULL) return cm_fail(err, 0, "option parsing failed: Unknown option -%c", *p);
      if (d->kind == FLAG) {
        if (*p == 'h') want_help = true;
        if (store(d, NULL, argc, err) < 0) return -1;
        continue;
      }
      const char* value;
      if (p[1] != '\0') {
        value = p + 1;
      } else {
        if (i + 1 >= argc)
          return cm_fail(err, 0, "option parsing failed: Missing argument for -%c", *p);
        value = argv[++i];
      }
      if (store(d, value, argc, err) < 0) return -1;
      break;
    }
  }
  if (want_help) {
    usage();
    return 1;
  }
  if (want_version) {
    /* The first line's third word is what CRI-O parses (as semver) to detect features. */
    printf("conmon version " CM_VERSION "\ncommit: crio-cpp\n");
    return 1;
  }
  if (opt.cid == NULL) return cm_fail(err, 0, "Container ID not provided. Use --cid");
  return 0;
}

int cli_validate(char* cwd, size_t cwd_size, char* pidfile, size_t pidfile_size,
                 struct cm_err* err) {
  if (opt.restore && opt.exec)
    return cm_fail(err, 0, "Cannot use 'exec' and 'restore' at the same time");
  if (!opt.exec && opt.exec_attach)
    return cm_fail(err, 0, "Attach can only be specified with exec");
  if (opt.api_version < 1 && opt.exec_attach)
    return cm_fail(err, 0, "Attach can only be specified for a non-legacy exec session");
  /* The legacy exec API (CRI-O's exec-sync) does not pass a UUID. */
  if (opt.cuuid == NULL && (!opt.exec || opt.api_version >= 1))
    return cm_fail(err, 0, "Container UUID not provided. Use --cuuid");
  if (opt.runtime == NULL) return cm_fail(err, 0, "Runtime path not provided. Use --runtime");
  if (access(opt.runtime, X_OK) < 0)
    return cm_fail(err, errno, "Runtime path %s is not valid", opt.runtime);
  if (opt.exec && opt.exec_process_spec == NULL)
    return cm_fail(err, 0, "Exec process spec path not provided. Use --exec-process-spec");
  if (getcwd(cwd, cwd_size) == NULL) return cm_fail(err, errno, "Failed to get working directory");
  /* In exec mode a bundle means "set up an attach socket for the exec session"; only create
   * and restore default it to the working directory. */
  if (opt.bundle == NULL && !opt.exec) opt.bundle = cwd;
  if (opt.exit_delay < 0)
    return cm_fail(err, 0, "Delay before invoking exit command must be greater than or equal to 0");
  if (opt.timeout < 0) return cm_fail(err, 0, "Timeout must be greater than or equal to 0");
  if (opt.container_pidfile == NULL) {
    int n = snprintf(pidfile, pidfile_size, "%s/pidfile-%s", cwd, opt.cid);
    if (n < 0 || (size_t)n >= pidfile_size) return cm_fail(err, ENAMETOOLONG, "pidfile path");
    opt.container_pidfile = pidfile;
  }
  if (msg_set_level(opt.log_level) < 0)
    return cm_fail(err, 0, "No such log level %s", opt.log_level);
  return 0;
}
