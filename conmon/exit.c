/* What happens when the container is gone: exit status files and the exit command. */
#include "conmon.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  /* Shell convention, which the CRI reports: death by signal N is 128 + N. */
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void exit_write_files(int code) {
  char text[16], path[PATH_MAX];
  int n = snprintf(text, sizeof text, "%d", code);
  struct cm_err err;
  /* <persist-dir>/exit survives a daemon restart; <exit-dir>/<cid> is what a daemon watches
   * with inotify.  Both are written whole (temporary + rename), without a newline. */
  if (opt.persist_dir) {
    if (path_join(path, sizeof path, opt.persist_dir, "exit", &err) < 0 ||
        write_file_atomic(path, text, (size_t)n, &err) < 0)
      nerror("Failed to write %s to container exit file: %s", text, err.msg);
  }
  if (opt.exit_dir) {
    if (path_join(path, sizeof path, opt.exit_dir, opt.cid, &err) < 0 ||
        write_file_atomic(path, text, (size_t)n, &err) < 0)
      nerror("Failed to write %s to exit file: %s", text, err.msg);
  }
}

int exit_run_command(void) {
  if (opt.exit_command == NULL) return 0;
  /* The command's descendants must not be reparented to us: we are about to exit. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) < 0)
    nwarn(
        "Failed to disable self subreaper attribute - might wait for indirect children a long "
        "time");
  size_t n = opt.exit_args.n;
  const char** argv = calloc(n + 2, sizeof *argv);
  if (argv == NULL) return 1;
  argv[0] = opt.exit_command;
  for (size_t i = 0; i < n; i++) argv[i + 1] = opt.exit_args.v[i];

  pid_t pid = fork();
  if (pid < 0) {
    nerror("Failed to fork the exit command: %s", strerror(errno));
    free(argv);
    return 1;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    close_fds_except(-1);
    if (opt.exit_delay > 0) {
      ndebug("Sleeping for %d seconds before executing exit command", opt.exit_delay);
      sleep((unsigned)opt.exit_delay);
    }
    execv(opt.exit_command, (char* const*)argv);
    _exit(127);
  }
  free(argv);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  int code = exit_code_of(status);
  if (code != 0) nwarn("exit command %s failed with status %d", opt.exit_command, code);
  return code;
}
