/* waitall PROG ARGS...
 * Forks a child that execs PROG ARGS, reaps it with waitid(P_ALL) (a reap that names no pid in its
 * arguments), then sleeps until killed. Build: gcc -static -O2. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: waitall PROG ARGS...\n"); return 2; }
    pid_t p = fork();
    if (p == 0) { execv(argv[1], argv + 1); _exit(127); }
    siginfo_t info;
    waitid(P_ALL, 0, &info, WEXITED);
    for (;;) pause();
}
