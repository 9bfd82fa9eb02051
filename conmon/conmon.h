/* Shared declarations of the crio-cpp container monitor.
 *
 * Conventions (crun style): a fallible function returns int, < 0 on failure, and fills the
 * caller's `struct cm_err`.  Every fd and heap allocation that a scope owns is declared with
 * cleanup_fd / cleanup_free so early returns cannot leak.  The monitor is single-threaded and
 * runs one epoll loop; module state lives in file-scope statics. */
#ifndef CONMON_H
#define CONMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------------ errors and cleanup */

struct cm_err {
  int errnum;    /* errno of the failure, 0 when not a system error */
  char msg[512]; /* full text, already suffixed with strerror(errnum) */
};

/* Formats `fmt` into err (appending ": strerror(errnum)" when errnum != 0); returns -1. */
int cm_fail(struct cm_err* err, int errnum, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

void cm_closep(int* fd);
void cm_freep(void* p);
#define cleanup_fd __attribute__((cleanup(cm_closep)))
#define cleanup_free __attribute__((cleanup(cm_freep)))

/* ------------------------------------------------------------------ diagnostics (util.c) */

enum cm_level { LVL_ERROR, LVL_WARN, LVL_INFO, LVL_DEBUG, LVL_TRACE };

/* Sets the level from a --log-level name; -1 for an unknown name. */
int msg_set_level(const char* name);
void msg_init(const char* cid, const char* tag, bool use_syslog);
void msg(enum cm_level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
bool msg_enabled(enum cm_level level);
#define nerror(...) msg(LVL_ERROR, __VA_ARGS__)
#define nwarn(...) msg(LVL_WARN, __VA_ARGS__)
#define ninfo(...) msg(LVL_INFO, __VA_ARGS__)
#define ndebug(...) msg(LVL_DEBUG, __VA_ARGS__)

ssize_t write_all(int fd, const void* buf, size_t len);
/* Creates `path` with `data` through a temporary in the same directory and rename(2), so a
 * reader never sees a partial file. */
int write_file_atomic(const char* path, const char* data, size_t len, struct cm_err* err);
int set_nonblock(int fd, bool on);
int set_cloexec(int fd);
/* snprintf into a fixed buffer; fails (does not truncate silently) when it does not fit. */
int path_join(char* out, size_t size, const char* dir, const char* name, struct cm_err* err);
void oom_score_adj(const char* value);
/* Closes every fd >= 3 except `keep` (may be -1). */
void close_fds_except(int keep);

/* ------------------------------------------------------------------ options (cli.c) */

struct strv {
  const char** v;
  size_t n;
};

struct options {
  bool terminal, stdin_, leave_stdin_open, syslog, systemd_cgroup, no_pivot, no_new_keyring;
  bool exec, exec_attach, sync, no_sync_log, full_attach, replace_listen_pid;
  int api_version;
  int timeout;    /* seconds, 0 = none */
  int exit_delay; /* seconds before --exit-command runs */
  int64_t log_size_max, log_global_size_max;
  const char *cid, *cuuid, *name, *runtime, *bundle, *persist_dir, *container_pidfile;
  const char *conmon_pidfile, *exec_process_spec, *exit_dir, *socket_dir, *exit_command;
  const char *log_level, *log_tag, *restore, *sdnotify_socket;
  const char *seccomp_notify_socket, *seccomp_notify_plugins;
  struct strv runtime_args, runtime_opts, exit_args, log_paths;
};

extern struct options opt;

/* Parses argv into `opt`.  Returns 1 when the process should exit 0 (--version, --help),
 * 0 to go on, < 0 on a usage error. */
int cli_parse(int argc, char** argv, struct cm_err* err);
/* Cross-option checks and defaults, mirroring upstream's process_cli(). */
int cli_validate(char* cwd_buf, size_t cwd_size, char* pidfile_buf, size_t pidfile_size,
                 struct cm_err* err);

/* ------------------------------------------------------------------ event loop (loop.c) */

struct watch;
typedef void (*watch_cb)(struct watch* w, uint32_t events);
struct watch {
  int fd; /* -1 when not registered */
  uint32_t events;
  watch_cb cb;
  void* data;
};

int loop_init(struct cm_err* err);
int loop_add(struct watch* w, int fd, uint32_t events, watch_cb cb, void* data, struct cm_err* err);
int loop_mod(struct watch* w, uint32_t events);
/* Unregisters (does not close) the watch's fd; safe during dispatch. */
void loop_del(struct watch* w);
/* Dispatches events until *done becomes true or the monotonic deadline (ms, 0 = none) passes.
 * Returns 1 on deadline, 0 when done, < 0 on error. */
int loop_run(const bool* done, uint64_t deadline_ms, struct cm_err* err);
uint64_t monotonic_ms(void);
/* Called after each dispatched batch (deferred frees). */
void loop_set_after_batch(void (*fn)(void));

/* ------------------------------------------------------------------ sync pipes (sync_pipe.c) */

/* Reads fd number from env var `name`; -1 when unset. */
int pipe_fd_from_env(const char* name, int* fd, struct cm_err* err);
/* Writes one JSON line {"<key>": value[, "message": "..."]} where key depends on the mode:
 * "data" for --api-version >= 1, "exit_code" in exec mode, "pid" otherwise.  Closes *fd on
 * EPIPE.  No-op when *fd < 0. */
void sync_write(int* fd, int value, const char* message);

/* ------------------------------------------------------------------ logging (logging.c) */

enum stream { STREAM_STDIN = 1, STREAM_STDOUT = 2, STREAM_STDERR = 3 };

int log_configure(struct cm_err* err);
bool log_is_passthrough(void);
void log_write(enum stream s, const char* buf, size_t len);
void log_reopen(void);
void log_sync(void);

/* ------------------------------------------------------------------ runtime (runtime.c) */

/* argv for `runtime create|restore|exec`, NULL terminated; console socket may be NULL. */
int runtime_argv(const char* console_socket, const char*** argv_out, struct cm_err* err);
/* Creates the --console-socket listener; fills `path`. */
int console_socket_listen(char* path, size_t size, int* fd, struct cm_err* err);
/* Accepts one connection on the console listener and receives the pty master through it. */
int console_socket_receive(int listen_fd, const char* path, int* master, struct cm_err* err);
/* Reads what the runtime wrote on its stderr (non-blocking) into buf (NUL terminated). */
size_t runtime_error_text(int fd, char* buf, size_t size);

/* ------------------------------------------------------------------ output (stdio.c) */

/* Starts pumping container output (pipe read ends, or the pty master when tty). */
int stdio_start(int out_fd, int err_fd, bool tty, struct cm_err* err);
/* Reads what is left without blocking (bounded), after the container exited. */
void stdio_drain(void);
void stdio_close(void);

/* ------------------------------------------------------------------ attach (attach.c) */

/* Sets up the SOCK_SEQPACKET attach listener; fills the socket path (for removal at exit). */
int attach_setup(struct cm_err* err);
/* Where container stdin goes: a pipe write end or the pty master; -1 closes input. */
void attach_set_stdin(int fd);
void attach_broadcast(char* pkt, size_t len);
void attach_close_all(void);
void attach_remove_socket(void);

/* ------------------------------------------------------------------ ctl fifos (ctl.c) */

int ctl_setup(struct cm_err* err);
/* Starts applying winsz requests to the pty master. */
int ctl_set_console(int master, struct cm_err* err);

/* ------------------------------------------------------------------ oom (oom.c) */

void oom_watch(pid_t pid);
/* Final check at exit: an OOM kill may race with the exit notification. */
void oom_final_check(void);

/* ------------------------------------------------------------------ exit (exit.c) */

int exit_code_of(int wait_status);
void exit_write_files(int code);
/* Runs --exit-command after --exit-delay and waits for it; returns its exit code (0 if none). */
int exit_run_command(void);

/* ------------------------------------------------------------------ sd-notify (notify.c) */

int notify_setup(struct cm_err* err);

/* ------------------------------------------------------------------ config */

#define CM_VERSION "2.1.6"
#define STDIO_BUF_SIZE 8192      /* one read of container output; one log entry at most */
#define CONN_SOCK_BUF_SIZE 32768 /* one attach packet from a client */
#define DEFAULT_SOCKET_DIR "/var/run/crio"
#define TIMED_OUT_MESSAGE "command timed out"

#endif
