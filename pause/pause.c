/* pause: the process of a pod's infra container.  It holds the pod's namespaces by doing nothing,
 * and, being PID 1 of the pod's PID namespace when that is shared, reaps the orphans the kernel
 * hands to it so they never pile up as zombies.
 *
 * PID 1 of a namespace gets no signal whose disposition is the default, so SIGINT and SIGTERM
 * need real handlers for the runtime to stop it.  The handlers only set flags; the work happens
 * in the main loop, between sigsuspend() calls, with the signals blocked so none is lost. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STRINGIFY(x) #x
#define TO_STRING(x) STRINGIFY(x)
#ifndef PAUSE_VERSION
#define PAUSE_VERSION 0.0.0
#endif

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t children_exited;

static void on_signal(int signo) {
  if (signo == SIGCHLD)
    children_exited = 1;
  else
    stop_requested = 1;
}

static void reap_children(void) {
  for (;;) {
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid > 0) continue;
    if (pid < 0 && errno == EINTR) continue;
    return; /* 0: the rest still run; ECHILD: none left */
  }
}

static int print_version(void) {
  static const char line[] = "pause (crio-cpp) " TO_STRING(PAUSE_VERSION) "\n";
  return write(STDOUT_FILENO, line, sizeof line - 1) == (ssize_t)(sizeof line - 1) ? 0 : 1;
}

int main(int argc, char** argv) {
  /* Any other argument is ignored, as the upstream pause image does: a pause_command with extra
   * arguments must not stop a pod from starting. */
  if (argc > 1 && strcmp(argv[1], "-v") == 0) return print_version();

  sigset_t handled, wait_mask;
  sigemptyset(&handled);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &handled, &wait_mask) != 0) return 1;
  sigdelset(&wait_mask, SIGINT);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGCHLD);

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  action.sa_mask = handled;
  /* Stopped children are none of our business; only exits need reaping. */
  action.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGINT, &action, NULL) != 0 || sigaction(SIGTERM, &action, NULL) != 0 ||
      sigaction(SIGCHLD, &action, NULL) != 0)
    return 1;

  /* Children that exited before the handler was in place sent their SIGCHLD to nobody. */
  reap_children();
  for (;;) {
    sigsuspend(&wait_mask);
    if (children_exited) {
      children_exited = 0;
      reap_children();
    }
    if (stop_requested) return 0;
  }
}
