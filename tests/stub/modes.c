/* modes.c: the misbehaviours of acme_stub, one a run, and what each does. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "stub.h"

static const struct {
    const char *name, *what;
} modes[] = {
    {"ok", "a CA that behaves"},
    {"dir-not-json", "the directory is HTML"},
    {"dir-array", "the directory is a JSON array"},
    {"dir-types", "directory members of the wrong types"},
    {"dir-no-nonce", "the directory has no newNonce"},
    {"dir-no-order", "the directory has no newOrder"},
    {"dir-2mib", "a 2 MiB directory"},
    {"dir-endless", "a directory body that never ends"},
    {"dir-slow", "an endless directory body, 16 bytes every 100 ms"},
    {"dir-trickle", "the directory one byte every 200 ms"},
    {"dir-stall", "half the directory, then nothing"},
    {"dir-redirect", "the directory answers 301 to a good directory"},
    {"acct-url-http", "newAccount is an http:// URL"},
    {"order-url-http", "newOrder is an http:// URL"},
    {"tos-hostile", "terms-of-service URL with control bytes"},
    {"eab-required", "externalAccountRequired"},
    {"nonce-none", "no Replay-Nonce anywhere"},
    {"nonce-bad-always", "every signed request is refused with badNonce"},
    {"nonce-bad-once", "the first signed request is refused with badNonce"},
    {"nonce-fresh-only", "nonces only from newNonce"},
    {"ra-far-seconds", "newOrder: 429, Retry-After 86400"},
    {"ra-far-date", "newOrder: 429, Retry-After an HTTP date a year ahead"},
    {"ra-negative", "newOrder: 429, Retry-After -5"},
    {"ra-garbage", "newOrder: 429, Retry-After garbage"},
    {"ra-past-date", "newOrder: 429 for ever, Retry-After a past date"},
    {"ra-503-forever", "newOrder: 503 for ever, Retry-After 1"},
    {"ra-429-once", "newOrder: 429 once with Retry-After 1 (a retry earlier is a violation)"},
    {"acct-no-location", "newAccount without Location"},
    {"acct-not-json", "newAccount body not JSON (legal)"},
    {"acct-location-hostile", "account Location with control bytes"},
    {"acct-location-long", "a 60 KiB account Location"},
    {"order-not-json", "newOrder body not JSON"},
    {"order-no-location", "newOrder without Location"},
    {"order-location-hostile", "order Location with control bytes"},
    {"order-authz-string", "order authorizations is a string"},
    {"order-finalize-number", "order finalize is a number"},
    {"order-many-authz", "the order lists 10000 authorizations"},
    {"order-hangup", "newOrder: the connection is closed without an answer"},
    {"order-redirect", "newOrder answers 302"},
    {"order-authz-valid", "the authorizations are already valid (legal)"},
    {"order-processing", "the order is processing for 1 s after finalize, Retry-After 1"},
    {"problem-hostile", "newOrder: a problem with control bytes everywhere"},
    {"problem-many", "newOrder: a problem with 5000 subproblems"},
    {"problem-not-json", "newOrder: 403 with a body that is not JSON"},
    {"problem-type-number", "newOrder: a problem whose type is a number"},
    {"problem-types", "newOrder: problem members of the wrong types"},
    {"problem-long", "newOrder: a problem with a 200 KiB detail"},
    {"authz-not-json", "authorization not JSON"},
    {"authz-no-status", "authorization without status"},
    {"authz-unordered", "an authorization for a name that was not ordered"},
    {"authz-hostile-ident", "an authorization identifier with control bytes"},
    {"authz-caps", "authorization identifier in capitals with a trailing dot (legal)"},
    {"authz-no-challenges", "an authorization without challenges"},
    {"token-long", "a 300-character token"},
    {"token-empty", "an empty token"},
    {"token-bad", "a token that is not base64url"},
    {"token-number", "a token that is a number"},
    {"token-dotdot", "the token ../../../escape"},
    {"authz-stuck", "authorizations pending for ever"},
    {"authz-stuck-ra", "authorizations pending for ever, Retry-After 86400"},
    {"authz-invalid", "authorizations invalid with hostile error text"},
    {"order-stuck", "the order processing for ever"},
    {"order-stuck-ra", "the order processing for ever, Retry-After 86400"},
    {"order-invalid", "the order invalid after finalize with hostile error text"},
    {"order-status-number", "the finalized order's status is a number"},
    {"order-cert-number", "the finalized order's certificate URL is a number"},
    {"cert-no-url", "the valid order has no certificate URL"},
    {"cert-url-http", "the certificate URL is http://"},
    {"cert-2mib", "a 2 MiB certificate download"},
    {"cert-endless", "a certificate download that never ends"},
    {"cert-trickle", "the certificate one byte every 200 ms"},
    {"cert-extra-name", "the certificate names one more name"},
    {"cert-missing-name", "the certificate lacks an ordered name"},
    {"cert-other-key", "the certificate is for another key"},
    {"cert-expired", "the certificate has expired"},
    {"cert-future", "the certificate starts in 2 days"},
    {"cert-wrong-intermediate", "the intermediate did not issue the leaf"},
    {"cert-garbage-pem", "a PEM block that is not a certificate"},
    {"cert-not-pem", "the download is not PEM"},
    {"cert-12", "12 certificates"},
    {"cert-leaf-alone", "the leaf without its chain (legal, with a warning)"},
};

int stub_mode_known(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(modes[i].name, name) == 0)
            return 1;
    return 0;
}

void stub_modes_print(void)
{
    size_t i;

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        printf("%-24s %s\n", modes[i].name, modes[i].what);
}
