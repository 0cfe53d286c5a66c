/* user.c: --user: the example server binds its ports as root, then becomes an unprivileged user for good. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

int user_drop(const char *name)
{
    struct passwd *pw;

    if (geteuid() != 0) {
        srv_log("--user '%s': only root can change user (running as uid %lu)", name,
                (unsigned long)geteuid());
        return -1;
    }
    errno = 0;
    if ((pw = getpwnam(name)) == NULL) {
        srv_log("--user '%s': %s", name, errno ? strerror(errno) : "no such user");
        return -1;
    }
    if (pw->pw_uid == 0) {
        srv_log("--user '%s': that is root; name an unprivileged user", name);
        return -1;
    }
    /* Groups first: after setuid() they could no longer be dropped. */
    if (setgroups(0, NULL) != 0 || initgroups(pw->pw_name, pw->pw_gid) != 0 ||
        setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        srv_log("--user '%s': cannot become that user: %s", name, strerror(errno));
        return -1;
    }
    /* A server that could become root again must not serve. */
    if (setuid(0) == 0 || seteuid(0) == 0) {
        srv_log("--user '%s': root could be regained after dropping it: refusing to run", name);
        return -1;
    }
    srv_log("running as user %s (uid %lu)", pw->pw_name, (unsigned long)pw->pw_uid);
    return 0;
}
