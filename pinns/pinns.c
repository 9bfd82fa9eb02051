/* Creates and pins pod namespaces (see the pod sandbox work). Until that lands it refuses every
 * invocation rather than pretend that a namespace was pinned. */
#include <stdio.h>

int main(void) {
  fprintf(stderr, "pinns: UNIMPLEMENTED: namespace pinning is not supported yet\n");
  return 1;
}
