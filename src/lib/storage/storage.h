/* storage.h: private declarations of the storage dispatcher and its backends. */
#ifndef AC_STORAGE_H
#define AC_STORAGE_H

#include "internal.h"

/* ---- storage.c / storage_dir.c ----------------------------------------- */
struct autocert_storage {
    const autocert_storage_ops *ops;
    void *be;
    char *root; /* directory backend only */
};

/* Loads one item (see autocert_storage_ops.load); a failure other than
 * NOT_FOUND is recorded on ctx naming the file.  NOT_FOUND is returned
 * without a message, for the caller to word. */
autocert_err ac_storage_load(autocert_ctx *ctx, autocert_storage *st, const char *set,
                             const char *item, unsigned char **data, size_t *len);

#endif /* AC_STORAGE_H */
