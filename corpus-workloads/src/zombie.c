/* zombie N
 * Forks N children that exit at once (status 7) and one child that execs
 * "/bin/true zombie-exec"; never waits for any of them, so they stay zombies
 * (state Z) for as long as this process lives. Build: gcc -static -O2. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: zombie N\n"); return 2; }
    int n = atoi(argv[1]);
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) _exit(7);
    }
    pid_t p = fork();
    if (p == 0) { execl("/bin/true", "true", "zombie-exec", (char *)NULL); _exit(127); }
    for (;;) pause();
}
