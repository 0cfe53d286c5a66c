/* cli_ca_util.h: helpers shared by the private CA commands. */
#ifndef AC_CLI_CA_UTIL_H
#define AC_CLI_CA_UTIL_H

#include <stddef.h>

#include "autocert.h"

/* A context with the stderr logger; NULL (after an error line) when out of memory. */
autocert_ctx *cli_ca_ctx(void);
/* A number of days in [1, 36500]; -1 after an error line. */
int cli_ca_days(const char *s, int *out);
/* The files of the cached ACME certificate `name` in the cache `cache_dir`
 * (NULL: the default): *cert and *key malloc'd; -1 after an error line. */
int cli_ca_cached(autocert_ctx *ctx, const char *cache_dir, const char *name, char **cert,
                  char **key);

#endif
