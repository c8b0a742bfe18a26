/* crash segv|abort [SECONDS]
 * Sleeps SECONDS (default 0), then dies of SIGSEGV (a write through a null pointer) or SIGABRT (abort()):
 * a death without an exit syscall, which only the process events connector (or ANOM_ABEND) reports.
 * Build: gcc -static -O2. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: crash segv|abort [SECONDS]\n"); return 2; }
    if (argc > 2) sleep((unsigned)atoi(argv[2]));
    if (strcmp(argv[1], "abort") == 0) abort();
    volatile int *p = NULL;
    *p = 1;
    return 1;
}
