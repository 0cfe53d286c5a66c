/* hook.c: runs a user's hook command (/bin/sh -c CMD) with arguments and variables, within a time limit. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/*
 * The command is the user's shell text; our values never pass through a
 * shell's parser: they are positional parameters ("$1"...) and variables.
 * The child gets /dev/null as standard input and our standard error as its
 * standard output and error (the CLI's standard output carries results).
 * It runs in a process group of its own, so that a hook that overstays is
 * stopped whole (TERM, then KILL a second later), its children included.
 * Our descriptors are all close-on-exec, and the child closes every other
 * one above standard error: nothing else is handed down.
 */

#define KILL_GRACE_S 1.0 /* from TERM to KILL */

extern char **environ;

/* Whether the "NAME=value" entry `e` names a variable that `add` sets. */
static int overridden(const char *e, const char *const *add)
{
    size_t i, n;

    for (i = 0; add && add[i]; i++) {
        n = (size_t)(strchr(add[i], '=') - add[i]);
        if (strncmp(e, add[i], n + 1) == 0)
            return 1;
    }
    return 0;
}

/* The environment of the child: ours, with the variables of `add` set.
 * Borrows every string: free only the array. */
static char **build_env(const char *const *add)
{
    size_t n = 0, m = 0, k = 0, i;
    char **v;

    while (environ && environ[n])
        n++;
    while (add && add[m])
        m++;
    if ((v = calloc(n + m + 1, sizeof(*v))) == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        if (strchr(environ[i], '=') == NULL || !overridden(environ[i], add))
            v[k++] = environ[i];
    for (i = 0; i < m; i++)
        v[k++] = (char *)(uintptr_t)add[i];
    return v;
}

/* /bin/sh -c CMD autocert-hook ARGS...; borrows the strings. */
static char **build_argv(const char *cmd, const char *const *args)
{
    size_t n = 0, i;
    char **v;

    while (args && args[n])
        n++;
    if ((v = calloc(n + 5, sizeof(*v))) == NULL)
        return NULL;
    v[0] = (char *)"/bin/sh";
    v[1] = (char *)"-c";
    v[2] = (char *)(uintptr_t)cmd;
    v[3] = (char *)"autocert-hook"; /* $0 */
    for (i = 0; i < n; i++)
        v[4 + i] = (char *)(uintptr_t)args[i];
    return v;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(int devnull, char **argv, char **envp)
{
    struct sigaction sa;
    sigset_t none;

    (void)setpgid(0, 0);
    if (dup2(devnull, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
        _exit(126);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    (void)sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    /* Nothing else is handed down, whoever opened it without close-on-exec
     * (best effort: a kernel without close_range leaves that to O_CLOEXEC). */
    (void)close_range(3, ~0U, 0);
    execve(argv[0], argv, envp);
    _exit(127);
}

/* Whether the child has ended, without reaping it (its process group id
 * stays ours until then). */
static int ended(pid_t pid)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno != EINTR;
    return si.si_pid == pid;
}

/* Waits for the child until `deadline` (monotonic): 1 when it ended. */
static int wait_until(pid_t pid, double deadline)
{
    double pause = 0.001, left;

    while (!ended(pid)) {
        if ((left = deadline - ac_now()) <= 0)
            return 0;
        ac_sleep_s(pause < left ? pause : left);
        if (pause < 0.05)
            pause *= 2;
    }
    return 1;
}

/* Stops the child's whole process group (TERM, then KILL) and reaps it. */
static void stop_group(pid_t pid)
{
    int st;

    (void)kill(-pid, SIGTERM);
    (void)wait_until(pid, ac_now() + KILL_GRACE_S);
    (void)kill(-pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

/* What ended the child, for a message; 0 when it exited with status 0. */
static int describe_status(int st, char *buf, size_t n)
{
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        snprintf(buf, n, "exit status 127 (command not found?)");
    else if (WIFEXITED(st))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(buf, n, "wait status %d", st);
    return -1;
}

/* Starts the child: its pid, or -1 with errno. */
static pid_t spawn(char **argv, char **envp)
{
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), e;
    pid_t pid;

    if (devnull < 0)
        return -1;
    if ((pid = fork()) == 0)
        child(devnull, argv, envp);
    e = errno;
    /* Also here: the group exists before we might signal it. */
    if (pid > 0)
        (void)setpgid(pid, pid);
    close(devnull);
    errno = e;
    return pid;
}

/* Waits for the started child and says how it ended into msg. */
static autocert_err reap(const ac_hook *h, const char *label, pid_t pid, double start,
                         char *msg, size_t n)
{
    char why[64];
    pid_t r;
    int st = 0;

    if (!wait_until(pid, start + (h->timeout_s > 0 ? h->timeout_s : 0))) {
        stop_group(pid);
        /* Tenths at most: a limit cut by the deadline is not a round number. */
        snprintf(msg, n, "%s for %s did not finish within %g s: stopped (command: %s)", h->what,
                 label, (double)(long)(h->timeout_s * 10 + 0.5) / 10, AC_SAFE(h->cmd));
        return AUTOCERT_ERR_HOOK;
    }
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        snprintf(msg, n, "%s for %s: cannot learn its exit status: %s (command: %s)", h->what,
                 label, AC_STRERROR(errno), AC_SAFE(h->cmd));
        return AUTOCERT_ERR_HOOK;
    }
    if (describe_status(st, why, sizeof(why)) != 0) {
        snprintf(msg, n, "%s failed for %s: %s (command: %s)", h->what, label, why,
                 AC_SAFE(h->cmd));
        return AUTOCERT_ERR_HOOK;
    }
    return AUTOCERT_OK;
}

autocert_err ac_hook_exec(autocert_ctx *ctx, const ac_hook *h, const char *label, char *msg,
                          size_t n)
{
    char **argv = build_argv(h->cmd, h->args), **envp = build_env(h->env);
    double start = ac_now();
    pid_t pid;
    autocert_err rc;

    msg[0] = '\0';
    if (argv == NULL || envp == NULL) {
        snprintf(msg, n, "out of memory");
        rc = AUTOCERT_ERR_NOMEM;
    } else {
        ac_log(ctx, AUTOCERT_LOG_DEBUG, "%s: running '%s' for %s", h->what, AC_SAFE(h->cmd),
               label);
        if ((pid = spawn(argv, envp)) < 0) {
            snprintf(msg, n, "%s for %s: cannot start /bin/sh: %s (command: %s)", h->what,
                     label, AC_STRERROR(errno), AC_SAFE(h->cmd));
            rc = AUTOCERT_ERR_HOOK;
        } else {
            rc = reap(h, label, pid, start, msg, n);
        }
    }
    free(argv);
    free(envp);
    return rc;
}

autocert_err ac_hook_run(autocert_ctx *ctx, const ac_hook *h, const char *label)
{
    char msg[1024];
    autocert_err rc = ac_hook_exec(ctx, h, label, msg, sizeof(msg));

    return rc == AUTOCERT_OK ? rc : ac_err(ctx, rc, "%s", msg);
}
