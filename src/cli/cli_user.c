/* cli_user.c: --user: started as root, bind the challenge port, then run as an unprivileged user before any ACME traffic. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Becomes `pw` for good: groups, gid, uid, and its home as HOME (the
 * default cache).  0, or -1 after an error line. */
static int become(const cli_args *a, const struct passwd *pw)
{
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        cli_error("cannot become user '%s': %s", pw->pw_name, strerror(errno));
        return -1;
    }
    /* Never back: a process that could regain root must not talk to a CA. */
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        cli_error("could regain root after becoming '%s': refusing to go on", pw->pw_name);
        return -1;
    }
    if (setenv("HOME", pw->pw_dir, 1) != 0 || setenv("USER", pw->pw_name, 1) != 0) {
        cli_error("out of memory");
        return -1;
    }
    (void)a;
    return 0;
}

int cli_drop_to_user(cli_args *a)
{
    struct passwd *pw;
    autocert_err rc;

    if (a->user == NULL)
        return 0;
    if (geteuid() != 0)
        return cli_invalid(a, CLI_O_USER, a->user, "only root can change user (running as uid %lu)",
                           (unsigned long)geteuid());
    errno = 0;
    if ((pw = getpwnam(a->user)) == NULL)
        return cli_invalid(a, CLI_O_USER, a->user, "%s",
                           errno ? strerror(errno) : "no such user");
    /* The port is bound while still root; the daemon's thread drops with
     * the rest of the process. */
    if ((rc = autocert_responder_start(a->ctx)) != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        return -1;
    }
    return become(a, pw);
}
