/* threads N [PROG ARGS...]
 * Starts N threads that sleep forever (the process has N+1 tasks, one pid).
 * With PROG: one more (non-leader) thread forks a child that execs PROG ARGS,
 * then that thread exits; the child keeps running and its ppid stays the tgid.
 * The main thread never returns. Build: gcc -static -O2 -pthread. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char **child_argv;

static void *sleeper(void *arg) { (void)arg; for (;;) pause(); return NULL; }

static void *forker(void *arg)
{
    (void)arg;
    pid_t p = fork();
    if (p == 0) { execv(child_argv[0], child_argv); perror("execv"); _exit(127); }
    return NULL; /* the forking thread exits; its child is reparented within the thread group */
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: threads N [PROG ARGS...]\n"); return 2; }
    int n = atoi(argv[1]);
    pthread_t t;
    for (int i = 0; i < n; i++)
        if (pthread_create(&t, NULL, sleeper, NULL) != 0) { perror("pthread_create"); return 1; }
    if (argc > 2) {
        child_argv = argv + 2;
        if (pthread_create(&t, NULL, forker, NULL) != 0) { perror("pthread_create"); return 1; }
        pthread_join(t, NULL);
    }
    for (;;) pause();
}
