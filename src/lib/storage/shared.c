/* shared.c: the storage dispatcher's optional operations of a fleet: live challenges in the store, and change notification. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"

/* An optional operation is there when the backend's ops reach it (the
 * dispatcher's copy leaves those beyond the backend's size NULL). */
int ac_storage_has_challenges(const autocert_storage *st)
{
    return st != NULL && st->ops.challenge_put != NULL && st->ops.challenge_del != NULL &&
           st->ops.challenge_get != NULL;
}

int ac_storage_has_changes(const autocert_storage *st)
{
    return st != NULL && st->ops.changes != NULL;
}

autocert_err ac_storage_challenge_put(autocert_ctx *ctx, autocert_storage *st, const char *type,
                                      const char *ident, const char *token,
                                      const char *key_auth, time_t expires)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    autocert_err rc;

    if (!ac_storage_has_challenges(st))
        return AUTOCERT_OK;
    rc = st->ops.challenge_put(st->be, type, ident, token, key_auth, expires, detail);
    if (rc != AUTOCERT_OK)
        return ac_err(ctx, rc, "cannot publish the %s challenge of %s to the fleet's store %s: %s",
                      AC_SAFE(type), AC_SAFE(ident), autocert_storage_describe(st),
                      detail[0] ? detail : autocert_strerror(rc));
    return AUTOCERT_OK;
}

void ac_storage_challenge_del(autocert_ctx *ctx, autocert_storage *st, const char *token)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    autocert_err rc;

    if (!ac_storage_has_challenges(st))
        return;
    /* It expires anyway: worth a warning, not a failure. */
    if ((rc = st->ops.challenge_del(st->be, token, detail)) != AUTOCERT_OK)
        ac_log(ctx, AUTOCERT_LOG_WARN, "cannot withdraw challenge %s from %s: %s", AC_SAFE(token),
               autocert_storage_describe(st), detail[0] ? detail : autocert_strerror(rc));
}

autocert_err ac_storage_challenge_get(autocert_storage *st, const char *type, const char *token,
                                      const char *ident, char **key_auth)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";

    *key_auth = NULL;
    if (!ac_storage_has_challenges(st))
        return AUTOCERT_ERR_NOT_FOUND;
    return st->ops.challenge_get(st->be, type, token, ident, key_auth, detail);
}

autocert_err ac_storage_changes(autocert_ctx *ctx, autocert_storage *st, int timeout_ms,
                                char ***keys, size_t *n)
{
    char detail[AUTOCERT_STORAGE_DETAIL] = "";
    autocert_err rc;

    *keys = NULL;
    *n = 0;
    if (!ac_storage_has_changes(st))
        return AUTOCERT_ERR_UNSUPPORTED;
    if ((rc = st->ops.changes(st->be, timeout_ms, keys, n, detail)) != AUTOCERT_OK)
        return ac_err(ctx, rc, "cannot watch %s for changes: %s", autocert_storage_describe(st),
                      detail[0] ? detail : autocert_strerror(rc));
    return AUTOCERT_OK;
}
