/* cli_hook.c: running an operator's hook command with a time limit, its output kept off standard output. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* The environment of the hook: ours, the variables of `env` replacing
 * those of the same name.  Made before fork: the child may only call what
 * is safe after a fork in a program with threads.  NULL: out of memory. */
static char **hook_environ(char *const *env)
{
    size_t n = 0, k = 0, i, j;
    char **out;

    while (environ && environ[n])
        n++;
    while (env && env[k])
        k++;
    if ((out = calloc(n + k + 1, sizeof(char *))) == NULL)
        return NULL;
    for (i = 0, n = 0; environ && environ[i]; i++) {
        size_t len = strcspn(environ[i], "=");

        for (j = 0; j < k; j++)
            if (strncmp(env[j], environ[i], len) == 0 && env[j][len] == '=')
                break;
        if (j == k)
            out[n++] = environ[i];
    }
    for (j = 0; j < k; j++)
        out[n++] = env[j];
    return out;
}

/* In the child: its own process group (so a timeout kills what it
 * started), stdout to stderr, then sh -c. */
static void child(const char *cmd, char **envp)
{
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};

    setpgid(0, 0);
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
        _exit(126);
    /* No descriptor of ours beyond standard error: a connection or a cache
     * lock must not outlive us in what the hook leaves running. */
    (void)close_range(3, ~0U, 0);
    execve("/bin/sh", argv, envp);
    _exit(127);
}

/* Waits for `pid` for at most `timeout_s`: its wait status, or -1 on timeout. */
static int wait_for(pid_t pid, unsigned timeout_s, int *status)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    unsigned long waited_ms;
    pid_t r;

    for (waited_ms = 0; waited_ms <= (unsigned long)timeout_s * 1000; waited_ms += 10) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -2;
        nanosleep(&tick, NULL);
    }
    return -1;
}

/* Ends the hook's process group: TERM, a grace second, then KILL. */
static void stop_group(pid_t pid)
{
    int status;

    kill(-pid, SIGTERM);
    if (wait_for(pid, 1, &status) != 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
}

int cli_hook_run(const char *what, const char *cmd, char *const *env, unsigned timeout_s)
{
    char **envp = hook_environ(env);
    int status = 0, w;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    if (envp == NULL || (pid = fork()) < 0) {
        cli_error("%s: cannot start '%s': %s", what, cmd, strerror(envp ? errno : ENOMEM));
        free(envp);
        return -1;
    }
    if (pid == 0)
        child(cmd, envp);
    free(envp);
    setpgid(pid, pid); /* also here: no race with the kill below */
    if ((w = wait_for(pid, timeout_s, &status)) == -1) {
        stop_group(pid);
        cli_error("%s '%s' did not finish in %u s: stopped", what, cmd, timeout_s);
        return -1;
    }
    if (w != 0) {
        cli_error("%s '%s': cannot wait for it: %s", what, cmd, strerror(errno));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        cli_error("%s '%s' exited %d", what, cmd, WEXITSTATUS(status));
    else
        cli_error("%s '%s' was killed by signal %d", what, cmd,
                  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return -1;
}
