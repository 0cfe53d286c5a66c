/* challenge.h: private declarations of the challenge solvers. */
#ifndef AC_CHALLENGE_H
#define AC_CHALLENGE_H

#include "internal.h"

/* ---- http01.c ---------------------------------------------------------- */
/* A live challenge: the token and its key authorization. */
typedef struct ac_http01 ac_http01;
/* Starts the responder (embedded daemon, or webroot when `webroot` set). */
autocert_err ac_http01_start(autocert_ctx *ctx, const char *bind_addr, unsigned port,
                             const char *webroot, ac_http01 **out);
/* Publishes `key_auth` at /.well-known/acme-challenge/<token>. */
autocert_err ac_http01_add(ac_http01 *h, autocert_ctx *ctx, const char *token, const char *key_auth);
/* Withdraws a token (its file in webroot mode). */
void ac_http01_remove(ac_http01 *h, const char *token);
/* Stops the daemon and removes every file it wrote; NULL is a no-op. */
void ac_http01_stop(ac_http01 *h);
/* The port the daemon listens on (useful when 0 asked an ephemeral port). */
unsigned ac_http01_port(const ac_http01 *h);
/* Nonzero when `token` contains only base64url characters. */
int ac_token_valid(const char *token);

#endif /* AC_CHALLENGE_H */
