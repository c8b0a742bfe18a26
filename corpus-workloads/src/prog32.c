/* prog32 SECS       (i386 binary: gcc -m32 -static -O2 -pthread)
 * A 32-bit process (audit arch=40000003, i386 syscall numbers):
 * 1. the raw fork syscall (i386 nr 2); the child execs the 64-bit /bin/sleep SECS
 *    (its execve record is i386 nr 11, the following records are x86_64);
 * 2. vfork (i386 nr 190); the child _exit(0)s (reaped);
 * 3. glibc fork (clone, i386 nr 120); the child execs itself ("prog32 -c", by the path
 *    /proc/self/exe points to): a 32-bit
 *    program exec'd by a 32-bit process, which then pauses;
 * 4. one thread that sleeps forever;
 * 5. posix_spawn of /bin/sleep SECS+1 (clone or clone3, whichever this glibc uses on i386;
 *    the capture rules for b32 do not include clone3);
 * then pauses without reaping. "prog32 -c" just pauses. */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *sleeper(void *arg) { (void)arg; for (;;) pause(); return NULL; }

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: prog32 SECS | prog32 -c\n"); return 2; }
    if (strcmp(argv[1], "-c") == 0) { for (;;) pause(); }
    pid_t a = (pid_t)syscall(SYS_fork);
    if (a == 0) { execl("/bin/sleep", "sleep", argv[1], (char *)NULL); _exit(127); }
    pid_t b = vfork();
    if (b == 0) _exit(0);
    waitpid(b, NULL, 0);
    pid_t c = fork();
    if (c == 0) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) _exit(126);
        self[n] = 0;
        execl(self, "prog32", "-c", (char *)NULL);
        _exit(127);
    }
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    char secs2[32];
    snprintf(secs2, sizeof secs2, "%ld", atol(argv[1]) + 1);
    char *sargv[] = { "sleep", secs2, NULL };
    pid_t d;
    int e = posix_spawn(&d, "/bin/sleep", NULL, NULL, sargv, environ);
    if (e != 0) fprintf(stderr, "posix_spawn failed: %d\n", e);
    for (;;) pause();
}
