/* subreaper PROG ARGS...
 * Marks itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), forks and execs PROG ARGS,
 * then reaps whatever children it gets, forever (it stays when it has none). Orphans
 * below it are reparented to it, not to the pid namespace's init. Build: gcc -static -O2. */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_chld(int s) { (void)s; }

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: subreaper PROG ARGS...\n"); return 2; }
    signal(SIGCHLD, on_chld); /* so that pause() returns when a new orphan dies */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) { perror("prctl"); return 1; }
    pid_t p = fork();
    if (p == 0) { execv(argv[1], argv + 1); perror("execv"); _exit(127); }
    for (;;) {
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD) pause();
    }
}
