/* test_hook.c: the hook runner: positional arguments, variables, standard streams, exit status, time limit. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

typedef struct {
    autocert_ctx *ctx;
    char dir[64];
    char out[128]; /* dir/out: what the hooks write */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->ctx = autocert_ctx_new()) == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-test-hook.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
    setenv("HOOK_OUT", f->out, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[160];

    unlink(f->out);
    snprintf(path, sizeof(path), "%s.pwned", f->out);
    unlink(path);
    /* test_streams' files, when it stopped before removing them. */
    snprintf(path, sizeof(path), "%s/stdout", f->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/stderr", f->dir);
    unlink(path);
    rmdir(f->dir);
    autocert_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* The whole of a small file, in a static buffer ("" when there is none). */
static const char *slurp(const char *path)
{
    static char buf[4096];
    FILE *fp = fopen(path, "r");
    size_t n = 0;

    if (fp != NULL) {
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
    }
    buf[n] = '\0';
    return buf;
}

static autocert_err run(fixture *f, const char *cmd, const char *const *args,
                        const char *const *env, double timeout_s)
{
    ac_hook h = {"test hook", cmd, args, env, timeout_s};

    return ac_hook_run(f->ctx, &h, "add _acme-challenge.example.com");
}

/* The values are parameters: no shell reads them. */
static void test_arguments(void **state)
{
    fixture *f = *state;
    const char *args[] = {"a b", "$(touch \"$HOOK_OUT.pwned\")", "'\"; exit 7; `x`", "", NULL};
    char pwned[160];

    assert_int_equal(run(f, "printf '%s|' \"$#\" \"$0\" \"$1\" \"$2\" \"$3\" \"$4\" >\"$HOOK_OUT\"",
                         args, NULL, 10),
                     AUTOCERT_OK);
    assert_string_equal(slurp(f->out), "4|autocert-hook|a b|$(touch \"$HOOK_OUT.pwned\")|"
                                       "'\"; exit 7; `x`||");
    snprintf(pwned, sizeof(pwned), "%s.pwned", f->out);
    assert_int_not_equal(access(pwned, F_OK), 0);
}

/* Variables are added to ours; one we have already is replaced, not doubled. */
static void test_environment(void **state)
{
    fixture *f = *state;
    const char *env[] = {"HOOK_A=one two", "HOOK_B=", "HOOK_DUP=inner", NULL};

    setenv("HOOK_DUP", "outer", 1);
    setenv("HOOK_KEPT", "kept", 1);
    assert_int_equal(run(f, "{ printf '%s|%s|%s|%s|' \"$HOOK_A\" \"${HOOK_B-unset}\" \"$HOOK_DUP\" "
                            "\"$HOOK_KEPT\"; env | grep -c '^HOOK_DUP='; } >\"$HOOK_OUT\"",
                         NULL, env, 10),
                     AUTOCERT_OK);
    assert_string_equal(slurp(f->out), "one two||inner|kept|1\n");
    /* Our own environment is untouched. */
    assert_string_equal(getenv("HOOK_DUP"), "outer");
    assert_null(getenv("HOOK_A"));
    unsetenv("HOOK_DUP");
    unsetenv("HOOK_KEPT");
}

/* Standard input is /dev/null; standard output goes to our standard error. */
static void test_streams(void **state)
{
    fixture *f = *state;
    char errfile[160], outfile[160];
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO), fd;
    autocert_err rc;

    snprintf(errfile, sizeof(errfile), "%s/stderr", f->dir);
    snprintf(outfile, sizeof(outfile), "%s/stdout", f->dir);
    fflush(stdout);
    fflush(stderr);
    fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    close(fd);
    rc = run(f, "echo to-stdout; echo to-stderr >&2; if read x; then echo read; else echo eof; fi",
             NULL, NULL, 10);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    assert_int_equal(rc, AUTOCERT_OK);
    assert_string_equal(slurp(outfile), "");
    assert_string_equal(slurp(errfile), "to-stdout\nto-stderr\neof\n");
    unlink(errfile);
    unlink(outfile);
}

/* A failure names the hook, the action and the record, and says how it ended. */
static void test_exit_status(void **state)
{
    fixture *f = *state;
    const char *msg;

    assert_int_equal(run(f, "exit 3", NULL, NULL, 10), AUTOCERT_ERR_HOOK);
    msg = autocert_last_error(f->ctx);
    assert_non_null(strstr(msg, "test hook failed for add _acme-challenge.example.com"));
    assert_non_null(strstr(msg, "exit status 3"));
    assert_non_null(strstr(msg, "(command: exit 3)"));

    assert_int_equal(run(f, "kill -9 $$", NULL, NULL, 10), AUTOCERT_ERR_HOOK);
    assert_non_null(strstr(autocert_last_error(f->ctx), "killed by signal 9"));

    assert_int_equal(run(f, "/nonexistent/hook", NULL, NULL, 10), AUTOCERT_ERR_HOOK);
    assert_non_null(strstr(autocert_last_error(f->ctx), "exit status 127"));
    assert_string_equal(autocert_strerror(AUTOCERT_ERR_HOOK), "a hook command failed");
}

/* Whether the process `pid` has ended (gone, or a zombie nobody reaps),
 * given a second to die of a signal just sent. */
static int dead(pid_t pid)
{
    char path[64];
    const char *st, *p;
    int i;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    for (i = 0; i < 100; i++) {
        st = slurp(path);
        if (*st == '\0')
            return 1;
        p = strrchr(st, ')');
        if (p != NULL && p[1] == ' ' && p[2] == 'Z')
            return 1;
        usleep(10000);
    }
    return 0;
}

/* Past its time limit the hook is stopped, its children with it. */
static void test_time_limit(void **state)
{
    fixture *f = *state;
    double t0 = ac_now(), took;
    pid_t child;

    assert_int_equal(run(f, "sleep 30 & echo $! >\"$HOOK_OUT\"; wait", NULL, NULL, 0.3),
                     AUTOCERT_ERR_HOOK);
    took = ac_now() - t0;
    assert_true(took >= 0.3 && took < 2.0);
    assert_non_null(strstr(autocert_last_error(f->ctx), "did not finish within 0.3 s: stopped"));
    child = (pid_t)atol(slurp(f->out));
    assert_true(child > 0);
    assert_true(dead(child));

    /* One that ignores TERM gets KILL a second later. */
    t0 = ac_now();
    assert_int_equal(run(f, "trap '' TERM; sleep 30 & echo $! >\"$HOOK_OUT\"; wait", NULL, NULL,
                         0.2),
                     AUTOCERT_ERR_HOOK);
    took = ac_now() - t0;
    assert_true(took >= 1.1 && took < 4.0);
    child = (pid_t)atol(slurp(f->out));
    assert_true(child > 0);
    assert_true(dead(child));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_limit, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
