/* sleepers N: forks N children that sleep until killed, then sleeps itself; killing its process group ends them
   all. Static and tiny, so N of them cost the host little memory while the agent has N more processes to hold. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) { for (;;) pause(); }
  }
  printf("%ld\n", n);
  fflush(stdout);
  for (;;) pause();
}
