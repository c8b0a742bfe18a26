/* threxec NTHREADS CHILD_SECS PROG ARGS...
 * 1. the main thread forks a child that execs /bin/sleep CHILD_SECS (it is never reaped
 *    by this program; after the exec below its parent is whatever PROG is);
 * 2. starts NTHREADS threads that sleep forever;
 * 3. starts one more thread that, after 200 ms, calls execv(PROG, ARGS): an exec from a
 *    NON-LEADER thread. The kernel kills the other threads, the exec'ing thread takes
 *    over the leader's pid (= the tgid), so the process keeps its pid and its children.
 * Build: gcc -static -O2 -pthread. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

static char **prog_argv;

static void *sleeper(void *arg) { (void)arg; for (;;) pause(); return NULL; }

static void *execer(void *arg)
{
    (void)arg;
    usleep(200000);
    fprintf(stderr, "threxec: tgid %d, exec from thread tid %ld\n", getpid(), (long)syscall(SYS_gettid));
    execv(prog_argv[0], prog_argv);
    perror("execv");
    _exit(127);
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: threxec NTHREADS CHILD_SECS PROG ARGS...\n"); return 2; }
    int n = atoi(argv[1]);
    prog_argv = argv + 3;
    pid_t c = fork();
    if (c == 0) { execl("/bin/sleep", "sleep", argv[2], (char *)NULL); perror("execl"); _exit(127); }
    pthread_t t;
    for (int i = 0; i < n; i++)
        if (pthread_create(&t, NULL, sleeper, NULL) != 0) { perror("pthread_create"); return 1; }
    if (pthread_create(&t, NULL, execer, NULL) != 0) { perror("pthread_create"); return 1; }
    for (;;) pause();
}
