/* The per-container monitor. Its protocol is the conmon 2.x one (see docs/conmon.md once it
 * lands); until then it refuses every invocation so that nothing mistakes it for a working
 * monitor. */
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--version") == 0) {
      printf("conmon version 0.0.0 (crio-cpp)\n");
      return 0;
    }
  }
  fprintf(stderr, "conmon: UNIMPLEMENTED: the crio-cpp container monitor is not supported yet\n");
  return 1;
}
