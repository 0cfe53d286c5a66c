/* curlload.c: libcurl loaded on first use: a command that never reaches a CA does not pay for it and its libraries. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "acme/curlload.h"
#include "internal.h"

/* libcurl and the thirty-odd libraries it needs (LDAP, Kerberos, SSH, RTMP
 * ...) take about 3 ms of every process to load: most commands (list, the
 * private CA, a cached certificate) never use it. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static ac_curl_api api;
static int loaded;
static char failure[256];

static void load(void)
{
    static const char *const names[] = {
        "curl_global_init", "curl_easy_init", "curl_easy_setopt", "curl_easy_perform",
        "curl_easy_getinfo", "curl_easy_header", "curl_easy_cleanup", "curl_easy_strerror",
        "curl_getdate", "curl_slist_append", "curl_slist_free_all", "curl_version_info",
        "curl_share_init", "curl_share_setopt", "curl_share_cleanup",
    };
    void **const slots[] = {
        (void **)&api.global_init, (void **)&api.easy_init, (void **)&api.easy_setopt,
        (void **)&api.easy_perform, (void **)&api.easy_getinfo, (void **)&api.easy_header,
        (void **)&api.easy_cleanup, (void **)&api.easy_strerror, (void **)&api.getdate,
        (void **)&api.slist_append, (void **)&api.slist_free_all, (void **)&api.version_info,
        (void **)&api.share_init, (void **)&api.share_setopt, (void **)&api.share_cleanup,
    };
    CURLcode rc;

    if (ac_dl_load(CURL_SONAME, names, slots, sizeof(names) / sizeof(names[0]), failure,
                   sizeof(failure)) != 0)
        return;
    if ((rc = api.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
        snprintf(failure, sizeof(failure), "cannot initialise libcurl: %s",
                 api.easy_strerror(rc));
        return;
    }
    /* libcurl keeps global state for the process. */
    loaded = 1;
}

const ac_curl_api *ac_curl(char *why, size_t n)
{
    pthread_once(&once, load);
    if (!loaded && why != NULL && n > 0)
        snprintf(why, n, "%s", failure);
    return loaded ? &api : NULL;
}
