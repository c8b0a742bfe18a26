/* vforker SECS1 SECS2
 * 1. vfork(); the child _exit(0)s without exec (reaped);
 * 2. vfork(); the child execs /bin/sleep SECS1 (glibc vfork = the vfork syscall, 58);
 * 3. posix_spawn /bin/sleep SECS2 (glibc 2.36: clone3 with CLONE_VM|CLONE_VFORK,
 *    or clone if clone3 is missing);
 * then waits for both sleeps. In the audit log each child's own events (exit_group,
 * execve) come BEFORE the parent's vfork/clone3 record, which is written only when the
 * parent resumes. Build: gcc -static -O2. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: vforker SECS1 SECS2\n"); return 2; }
    pid_t a = vfork();
    if (a == 0) _exit(0);
    waitpid(a, NULL, 0);
    pid_t b = vfork();
    if (b == 0) { execl("/bin/sleep", "sleep", argv[1], (char *)NULL); _exit(127); }
    pid_t c;
    char *sargv[] = { "sleep", argv[2], NULL };
    int e = posix_spawn(&c, "/bin/sleep", NULL, NULL, sargv, environ);
    if (e != 0) { fprintf(stderr, "posix_spawn failed: %d\n", e); return 1; }
    while (wait(NULL) > 0) ;
    return 0;
}
