/* daemonize [-s] PROG ARGS...
 * The classic daemon double fork: P forks I and waits for it; I calls setsid(), forks G
 * and exits; G chdir("/")s, points stdio at /dev/null and execs PROG ARGS. G ends up
 * orphaned (reparented to the pid namespace's init or the nearest subreaper), in its own
 * session, and keeps running after P and I are gone.
 * -s: I exits only after G has exec'd (it waits for EOF on a close-on-exec pipe), so G's
 *     execve is logged while G's parent is still alive (a common daemon(3) variant).
 * Build: gcc -static -O2. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int sync = 0, i = 1;
    if (argc > 1 && strcmp(argv[1], "-s") == 0) { sync = 1; i = 2; }
    if (argc <= i) { fprintf(stderr, "usage: daemonize [-s] PROG ARGS...\n"); return 2; }
    char **prog = argv + i;
    pid_t p = fork();
    if (p < 0) { perror("fork"); return 1; }
    if (p > 0) { int st; waitpid(p, &st, 0); return 0; }          /* P: wait for I, exit */
    if (setsid() < 0) { perror("setsid"); _exit(1); }             /* I */
    int pfd[2];
    if (sync && pipe2(pfd, O_CLOEXEC) < 0) { perror("pipe2"); _exit(1); }
    pid_t g = fork();
    if (g < 0) { perror("fork"); _exit(1); }
    if (g > 0) {                                                  /* I: exit (after G's exec with -s) */
        if (sync) { char c; close(pfd[1]); while (read(pfd[0], &c, 1) > 0) ; }
        _exit(0);
    }
    if (sync) close(pfd[0]);                                      /* G */
    if (chdir("/") != 0) _exit(1);
    umask(022);
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) { dup2(fd, 0); dup2(fd, 1); dup2(fd, 2); if (fd > 2) close(fd); }
    execv(prog[0], prog);
    _exit(127);
}
