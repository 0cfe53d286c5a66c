/* cli.h: shared declarations of the autocert command's subcommands. */
#ifndef AC_CLI_H
#define AC_CLI_H

#include "autocert.h"

/* Exit status of a failed command (success is 0). */
#define EXIT_FAIL 1

extern int cli_verbose; /* -v count */
extern int cli_quiet;   /* -q */

/* Prints "autocert: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a failed library call: "autocert: [what: ]<detail of the failure>", the
 * detail being the context's last error (`ctx` may be NULL) or the code's text. */
void cli_fail(const autocert_ctx *ctx, autocert_err rc, const char *what);
/* Appends the comma-separated items of `arg` to the malloc'd array *v (strings
 * malloc'd); an empty item is an error naming `what` and `arg`.  0 or -1. */
int cli_split_list(const char *arg, const char *what, char ***v, size_t *n);
/* The library logger writing to stderr. */
void cli_log(void *arg, autocert_log_level level, const char *msg);

/* Subcommands: argc/argv start at the subcommand name. */
int cmd_obtain(int argc, char **argv);
int cmd_list(int argc, char **argv);
/* Private CA toolkit (cmd_ca.c and friends). */
int cmd_ca(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
