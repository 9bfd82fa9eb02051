/* conmon: per-container monitor, command-line and protocol compatible with upstream conmon 2.x
 * as CRI-O drives it (see docs/conmon.md).
 *
 * Order of events, which the caller relies on:
 *   1. options checked and the log opened while stderr is still the caller's (errors -> exit 1)
 *   2. block until the caller writes a byte on _OCI_STARTPIPE (it first moves us to a cgroup)
 *   3. fork: the first process writes our pid to -P and exits (the caller waits for it);
 *      the second detaches (stdio to /dev/null, setsid) and becomes child subreaper
 *   4. pipes / console socket, attach socket and ctl FIFOs, then fork+exec the runtime
 *   5. runtime done: {"pid": N} on _OCI_SYNCPIPE, or {"pid": -1, "message": <its stderr>}
 *   6. pump output until the container process exits, drain, write the exit files, exit. */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

static struct {
  int sync_fd, start_fd, attach_fd, null_r, null_w;
  int sigfd, console_listen, master, stdout_r, stderr_r;
  pid_t runtime_pid, container_pid;
  int runtime_status, container_status;
  bool runtime_done, container_done, no_children, done;
  bool timed_out, pid_reported, spawned;
  char console_path[PATH_MAX];
} st = {
    .sync_fd = -1,
    .start_fd = -1,
    .attach_fd = -1,
    .null_r = -1,
    .null_w = -1,
    .sigfd = -1,
    .console_listen = -1,
    .master = -1,
    .stdout_r = -1,
    .stderr_r = -1,
    .runtime_pid = -1,
    .container_pid = -1,
};

/* Exit statuses reaped before we knew the container's pid (a fast exec may exit before the
 * runtime returns).  Reparented runtime helpers land here too; a small ring is enough. */
static struct {
  pid_t pid;
  int status;
} early[32];
static unsigned early_next;

static struct watch sig_w = {.fd = -1}, console_w = {.fd = -1};

static void reap_zombies(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

/* Fatal error.  Before the pid went out, the caller gets `report` (or the error text) on the
 * sync pipe, instead of a bare EOF; once the runtime ran, the exit command still runs. */
static void __attribute__((noreturn, format(printf, 3, 4)))
fatal_report(int code, const char* report, const char* fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  nerror("%s", text);
  if (!st.pid_reported) sync_write(&st.sync_fd, -1, report ? report : text);
  if (st.console_listen >= 0) unlink(st.console_path);
  attach_remove_socket();
  if (st.spawned) {
    int rc = exit_run_command();
    if (rc != 0) code = rc;
  }
  reap_zombies();
  exit(code);
}

#define fatal(code, ...) fatal_report(code, NULL, __VA_ARGS__)

static void handle_exit(pid_t pid, int status) {
  if (pid == st.runtime_pid && !st.runtime_done) {
    st.runtime_status = status;
    st.runtime_done = true;
    ndebug("runtime %d exited with status %d", (int)pid, exit_code_of(status));
  } else if (st.container_pid > 0 && pid == st.container_pid) {
    st.container_status = status;
    st.container_done = true;
    if (exit_code_of(status) != 0)
      ninfo("container %d exited with status %d", (int)pid, exit_code_of(status));
  } else {
    early[early_next % 32].pid = pid;
    early[early_next % 32].status = status;
    early_next++;
  }
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t p = waitpid(-1, &status, WNOHANG);
    if (p < 0 && errno == EINTR) continue;
    if (p < 0 && errno == ECHILD) st.no_children = true;
    if (p <= 0) break;
    handle_exit(p, status);
  }
  st.done = st.container_done || st.no_children;
}

static void forward_signal(int sig) {
  pid_t target = (st.container_pid > 0 && !st.container_done) ? st.container_pid
                 : (st.runtime_pid > 0 && !st.runtime_done)   ? st.runtime_pid
                                                              : -1;
  if (target > 0 && kill(target, sig) == 0) return;
  reap();
}

static void sig_cb(struct watch* w, uint32_t events) {
  (void)events;
  struct signalfd_siginfo si;
  while (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGCHLD)
      reap();
    else
      forward_signal((int)si.ssi_signo);
  }
}

static void got_console(int master) {
  struct cm_err err;
  loop_del(&console_w);
  close(st.console_listen);
  st.console_listen = -1;
  st.master = master;
  /* One fd for input (attach clients write it), a duplicate for output, so both directions
   * can be in epoll at once. */
  st.stdout_r = fcntl(master, F_DUPFD_CLOEXEC, 3);
  if (st.stdout_r < 0) fatal(1, "Failed to dup console file descriptor: %s", strerror(errno));
  attach_set_stdin(master);
  if (ctl_set_console(master, &err) < 0) nwarn("%s", err.msg);
}

static void console_cb(struct watch* w, uint32_t events) {
  (void)w;
  (void)events;
  struct cm_err err;
  int master;
  if (console_socket_receive(st.console_listen, st.console_path, &master, &err) < 0) {
    if (err.errnum == EAGAIN) return;
    fatal(1, "%s", err.msg);
  }
  got_console(master);
}

static bool read_pidfile(const char* path, pid_t* pid) {
  char buf[32];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  char* end;
  long v = strtol(buf, &end, 10);
  if (end == buf || v <= 0 || v > INT_MAX) return false;
  *pid = (pid_t)v;
  return true;
}

static void kill_timed_out(pid_t pid) {
  /* The runtime makes the process a session (and group) leader: take its whole group, but
   * never our own (kill(-1) or our group would take us and more with it). */
  pid_t pg = getpgid(pid);
  if (pg > 1 && pg != getpgrp())
    kill(-pg, SIGKILL);
  else
    kill(pid, SIGKILL);
}

/* The runtime's child: stdio, signal state, then exec. */
static void __attribute__((noreturn))
runtime_child(const char** argv, int in, int out, int err, const sigset_t* oldmask) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigprocmask(SIG_SETMASK, oldmask, NULL);
  signal(SIGPIPE, SIG_DFL);
  if (!log_is_passthrough()) {
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
      _exit(127);
  }
  /* Socket activation aimed at us must now aim at the runtime's pid. */
  const char* lp = getenv("LISTEN_PID");
  if (lp != NULL) {
    char* end;
    long v = strtol(lp, &end, 10);
    if (*end != '\0' || v <= 0) _exit(127);
    if (opt.replace_listen_pid || v == getppid()) {
      char s[16];
      snprintf(s, sizeof s, "%d", (int)getpid());
      setenv("LISTEN_PID", s, 1);
    }
  }
  /* An attached exec waits until the caller has connected to the attach socket, so no
   * output is lost. */
  if (opt.exec_attach && st.start_fd >= 0) {
    char b;
    while (read(st.start_fd, &b, 1) < 0 && errno == EINTR) {
    }
  }
  oom_score_adj("0"); /* the runtime must stay killable */
  execv(argv[0], (char* const*)argv);
  _exit(127);
}

int main(int argc, char** argv) {
  struct cm_err err = {0};
  static char cwd[PATH_MAX], default_pidfile[PATH_MAX];

  int r = cli_parse(argc, argv, &err);
  if (r > 0) return 0;
  if (r < 0) {
    fprintf(stderr, "conmon: %s\n", err.msg);
    return 1;
  }
  if (cli_validate(cwd, sizeof cwd, default_pidfile, sizeof default_pidfile, &err) < 0 ||
      (msg_init(opt.cid, opt.log_tag, opt.syslog), log_configure(&err) < 0)) {
    fprintf(stderr, "[conmon:e]: %s\n", err.msg);
    return 1;
  }
  /* The monitor must outlive the container under memory pressure; the runtime child resets. */
  oom_score_adj("-1000");
  signal(SIGPIPE, SIG_IGN);

  if (pipe_fd_from_env("_OCI_STARTPIPE", &st.start_fd, &err) < 0) fatal(1, "%s", err.msg);
  if (st.start_fd > 0) {
    /* The caller moves us into the right cgroup before releasing us; nothing may be forked
     * before that, or it would land in the old cgroup. */
    char b;
    ssize_t n;
    do n = read(st.start_fd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) fatal(1, "start-pipe read failed: %s", strerror(errno));
    if (!opt.exec_attach) {
      close(st.start_fd);
      st.start_fd = -1;
    }
  }

  st.null_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
  st.null_w = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (st.null_r < 0 || st.null_w < 0) fatal(1, "Failed to open /dev/null: %s", strerror(errno));

  char pidtext[16];
  if (!opt.sync) {
    /* The caller waits for this first process; the monitor lives on in the child. */
    pid_t child = fork();
    if (child < 0) fatal(1, "Failed to fork: %s", strerror(errno));
    if (child > 0) {
      if (opt.conmon_pidfile) {
        int n = snprintf(pidtext, sizeof pidtext, "%d", (int)child);
        if (write_file_atomic(opt.conmon_pidfile, pidtext, (size_t)n, &err) < 0) {
          fprintf(stderr, "[conmon:e]: Failed to write conmon pidfile: %s\n", err.msg);
          kill(child, SIGKILL);
          _exit(1);
        }
      }
      _exit(0);
    }
  } else if (opt.conmon_pidfile) {
    int n = snprintf(pidtext, sizeof pidtext, "%d", (int)getpid());
    if (write_file_atomic(opt.conmon_pidfile, pidtext, (size_t)n, &err) < 0)
      fatal(1, "Failed to write conmon pidfile: %s", err.msg);
  }

  if (pipe_fd_from_env("_OCI_SYNCPIPE", &st.sync_fd, &err) < 0) fatal(1, "%s", err.msg);
  if (opt.exec_attach) {
    if (pipe_fd_from_env("_OCI_ATTACHPIPE", &st.attach_fd, &err) < 0) fatal(1, "%s", err.msg);
    if (st.attach_fd < 0) fatal(1, "--exec-attach specified but _OCI_ATTACHPIPE was not");
  }

  /* The caller may be reading our stdout/stderr until EOF (CRI-O does for -t): let go of
   * them.  In passthrough mode the runtime inherits them first. */
  if (!log_is_passthrough() &&
      (dup2(st.null_r, STDIN_FILENO) < 0 || dup2(st.null_w, STDOUT_FILENO) < 0 ||
       dup2(st.null_w, STDERR_FILENO) < 0))
    fatal(1, "Failed to dup over stdio: %s", strerror(errno));
  setsid();
  /* Orphaned container processes (the container init once `runtime create` exits, an exec'd
   * process after `runtime exec --detach`) are reparented to us, so we can wait for them. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    fatal(1, "Failed to set as subreaper: %s", strerror(errno));

  if (loop_init(&err) < 0 || notify_setup(&err) < 0) fatal(1, "%s", err.msg);

  int fds[2];
  int worker_in = -1, worker_out = -1, worker_err = -1;
  if (opt.terminal) {
    if (console_socket_listen(st.console_path, sizeof st.console_path, &st.console_listen, &err) <
        0)
      fatal(1, "%s", err.msg);
  } else if (!log_is_passthrough()) {
    /* Pipes, not a pty: the container may open /dev/stdout, which a socket would not allow. */
    if (opt.stdin_) {
      if (pipe2(fds, O_CLOEXEC) < 0) fatal(1, "Failed to create stdin pipe: %s", strerror(errno));
      worker_in = fds[0];
      attach_set_stdin(fds[1]);
    }
    if (pipe2(fds, O_CLOEXEC) < 0) fatal(1, "Failed to create stdout pipe: %s", strerror(errno));
    st.stdout_r = fds[0];
    worker_out = fds[1];
  }
  /* Always a stderr pipe: it carries the runtime's own error text before it becomes the
   * container's stderr. */
  if (pipe2(fds, O_CLOEXEC) < 0) fatal(1, "Failed to create stderr pipe: %s", strerror(errno));
  st.stderr_r = fds[0];
  worker_err = fds[1];

  const char** rargv;
  if (runtime_argv(opt.terminal ? st.console_path : NULL, &rargv, &err) < 0)
    fatal(1, "%s", err.msg);

  if (opt.bundle != NULL && !log_is_passthrough()) {
    if (attach_setup(&err) < 0 || ctl_setup(&err) < 0) fatal(1, "%s", err.msg);
    if (opt.exec_attach) sync_write(&st.attach_fd, 0, NULL);
  }

  /* Signals become events before the fork, so no SIGCHLD can be missed. */
  sigset_t mask, oldmask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGQUIT);
  if (sigprocmask(SIG_BLOCK, &mask, &oldmask) < 0)
    fatal(1, "Failed to block signals: %s", strerror(errno));
  st.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (st.sigfd < 0) fatal(1, "Failed to create signalfd: %s", strerror(errno));

  st.runtime_pid = fork();
  if (st.runtime_pid < 0) fatal(1, "Failed to fork the runtime: %s", strerror(errno));
  if (st.runtime_pid == 0)
    runtime_child(rargv, worker_in >= 0 ? worker_in : st.null_r,
                  worker_out >= 0 ? worker_out : st.null_w, worker_err, &oldmask);
  st.spawned = true;
  free(rargv);
  /* The runtime holds the worker ends now; ours would keep EOF from ever arriving. */
  if (worker_in >= 0) close(worker_in);
  if (worker_out >= 0) close(worker_out);
  close(worker_err);
  if (st.start_fd >= 0) close(st.start_fd);
  st.start_fd = -1;
  if (log_is_passthrough() &&
      (dup2(st.null_r, STDIN_FILENO) < 0 || dup2(st.null_w, STDOUT_FILENO) < 0 ||
       dup2(st.null_w, STDERR_FILENO) < 0))
    fatal(1, "Failed to dup over stdio: %s", strerror(errno));
  close(st.null_r);
  close(st.null_w);

  if (loop_add(&sig_w, st.sigfd, EPOLLIN, sig_cb, NULL, &err) < 0) fatal(1, "%s", err.msg);
  if (st.console_listen >= 0 &&
      loop_add(&console_w, st.console_listen, EPOLLIN, console_cb, NULL, &err) < 0)
    fatal(1, "%s", err.msg);
  reap(); /* a SIGCHLD may be pending from before the signalfd was in epoll */

  uint64_t deadline = opt.timeout > 0 ? monotonic_ms() + (uint64_t)opt.timeout * 1000u : 0;

  /* ---- phase 1: the runtime runs (hands over the pty with -t) */
  while (!st.runtime_done) {
    r = loop_run(&st.runtime_done, st.timed_out ? 0 : deadline, &err);
    if (r < 0) fatal(1, "%s", err.msg);
    if (r == 1) {
      /* -T covers a runtime that hangs, too. */
      st.timed_out = true;
      kill(st.runtime_pid, SIGKILL);
    }
  }
  if (st.timed_out) {
    pid_t pid;
    if (read_pidfile(opt.container_pidfile, &pid)) kill_timed_out(pid);
    reap();
    fatal(-1, TIMED_OUT_MESSAGE);
  }
  if (opt.terminal && st.master < 0 && st.console_listen >= 0) {
    /* The runtime may have handed the pty over in the same batch as its exit. */
    int master;
    if (console_socket_receive(st.console_listen, st.console_path, &master, &err) == 0)
      got_console(master);
  }
  if (!WIFEXITED(st.runtime_status) || WEXITSTATUS(st.runtime_status) != 0) {
    char text[STDIO_BUF_SIZE];
    bool have_text = runtime_error_text(st.stderr_r, text, sizeof text) > 0;
    if (have_text) nwarn("runtime stderr: %s", text);
    fatal_report(1, have_text ? text : NULL, "Failed to %s container: exit status %d",
                 opt.exec ? "exec in" : "create", exit_code_of(st.runtime_status));
  }
  if (opt.terminal && st.master < 0) {
    if (st.console_listen >= 0) unlink(st.console_path);
    fatal(1, "Runtime did not set up terminal");
  }

  pid_t cpid;
  if (!read_pidfile(opt.container_pidfile, &cpid))
    fatal(1, "Failed to read pidfile %s", opt.container_pidfile);
  st.container_pid = cpid;
  ndebug("container PID: %d", (int)cpid);
  for (unsigned i = 0; i < 32 && i < early_next; i++)
    if (early[i].pid == cpid) {
      st.container_status = early[i].status;
      st.container_done = true;
    }

  /* The legacy exec API (no --api-version) expects a single message: the exit code. */
  if (opt.api_version >= 1 || !opt.exec) {
    sync_write(&st.sync_fd, cpid, NULL);
    st.pid_reported = true;
  }
  if (!opt.exec) oom_watch(cpid);
  if (stdio_start(st.stdout_r, st.stderr_r, opt.terminal, &err) < 0) fatal(1, "%s", err.msg);

  /* ---- phase 2: the container runs */
  st.no_children = false;
  reap(); /* also learns whether any child is left to wait for */
  while (!st.container_done && !st.no_children) {
    r = loop_run(&st.done, deadline, &err);
    if (r < 0) fatal(1, "%s", err.msg);
    if (r == 1) {
      st.timed_out = true;
      break;
    }
  }
  if (st.timed_out && !st.container_done) {
    kill_timed_out(cpid);
    /* Bounded wait, so no zombie is left behind. */
    uint64_t give_up = monotonic_ms() + 5000;
    while (!st.container_done && !st.no_children && monotonic_ms() < give_up)
      if (loop_run(&st.done, give_up, &err) != 0) break;
  } else {
    st.timed_out = false;
  }

  if (!opt.exec) oom_final_check();
  stdio_drain();
  if (!opt.no_sync_log) log_sync();

  int code = (st.timed_out || !st.container_done) ? -1 : exit_code_of(st.container_status);
  stdio_close();
  attach_close_all();
  attach_set_stdin(-1);
  /* Drop every other fd before reporting (upstream does too): fds the caller handed us to
   * keep busy while the container runs (e.g. reserved ports) are free once it is gone. */
  closelog();
  close_fds_except(st.sync_fd);

  exit_write_files(code);
  if (opt.exec) sync_write(&st.sync_fd, code, st.timed_out ? TIMED_OUT_MESSAGE : NULL);
  attach_remove_socket();
  int rc = exit_run_command();
  reap_zombies();
  return rc != 0 ? rc : code;
}
