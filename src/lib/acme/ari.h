/* ari.h: private declarations of ACME Renewal Information (RFC 9773) and certificate profiles. */
#ifndef AC_ARI_H
#define AC_ARI_H

#include <stdint.h>
#include <time.h>

#include "acme/acme.h"

/* RFC 9773 section 4.3.2: the Retry-After of a renewalInfo response is
 * taken within these limits; without one the client asks again after
 * AC_ARI_RETRY_DEFAULT. */
#define AC_ARI_RETRY_MIN 60
#define AC_ARI_RETRY_MAX 86400
#define AC_ARI_RETRY_DEFAULT 21600

/* The renewal window a CA suggests for one certificate. */
typedef struct {
    time_t start, end;     /* suggestedWindow: [start, end), end > start */
    time_t retry_after;    /* when to ask again at the earliest (seconds since
                            * the epoch): the fetch time plus the server's
                            * Retry-After, within the limits above */
    char *explanation_url; /* explanationURL as sent (not escaped), or NULL */
} ac_ari_window;

/* The certificate identifier of RFC 9773 section 4.1 for the first
 * certificate of `cert_pem`: base64url(authorityKeyIdentifier keyIdentifier)
 * "." base64url(serial number DER content octets).  *id malloc'd.
 * INVALID when there is no certificate or it has no key identifier in its
 * authority key identifier extension. */
autocert_err ac_ari_cert_id(autocert_ctx *ctx, const char *cert_pem, char **id);

/* GET {directory renewalInfo}/{cert_id} through the session's transport
 * (the directory is fetched first if needed).  On success *w holds the
 * window (clear it with ac_ari_window_clear).
 * - UNSUPPORTED, with no request made, when the directory has no
 *   renewalInfo (the CA does not speak ARI);
 * - PROTOCOL when the answer is not a well-formed window (no
 *   suggestedWindow, times that are not RFC 3339, end not after start):
 *   the window is then not to be used, but w->retry_after is set;
 * - the usual request errors (network, HTTP status, problem document).
 * *w is zeroed first; retry_after is set whenever a response came. */
autocert_err ac_ari_fetch(ac_session *s, const char *cert_id, ac_ari_window *w);
void ac_ari_window_clear(ac_ari_window *w);
/* Parses the response body of a renewalInfo request into *w (start, end,
 * explanation_url); what ac_ari_fetch does after the request. */
autocert_err ac_ari_parse(autocert_ctx *ctx, const char *body, size_t len, ac_ari_window *w);

/* When to renew within `w` (RFC 9773 section 4.2): a uniformly distributed
 * time in [start, end) chosen by `random` (any 32 random bits); `now` when
 * the window has already ended (renew at once); (time_t)-1 for a window
 * that is not well formed (end <= start). */
time_t ac_ari_pick(const ac_ari_window *w, time_t now, uint32_t random);

/* An RFC 3339 date-time ("2025-01-02T04:00:00Z", fractions of a second and
 * numeric offsets allowed) into *t; -1 when it is not one. */
int ac_rfc3339_parse(const char *s, time_t *t);

/* ---- profiles (draft-ietf-acme-profiles): the directory's meta.profiles ---- */
/* The profiles the CA offers, fetching the directory if needed: *profiles
 * is a JSON object name -> description borrowed from the session (valid
 * until ac_session_cleanup), NULL when the CA offers none. */
autocert_err ac_directory_profiles(ac_session *s, json_t **profiles);
/* Whether the CA offers the profile `name`: UNSUPPORTED when it offers no
 * profiles at all, INVALID naming the offered ones when not among them;
 * both before any order is placed. */
autocert_err ac_profile_check(ac_session *s, const char *name);

#endif /* AC_ARI_H */
