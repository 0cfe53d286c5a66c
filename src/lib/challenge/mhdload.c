/* mhdload.c: libmicrohttpd loaded on first use: a command that answers no challenge does not pay for it and its TLS library. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "challenge/mhdload.h"
#include "internal.h"

/* libmicrohttpd links GnuTLS and its eight libraries (nettle, gmp, p11-kit,
 * ...): loading them costs every process about a millisecond, and only
 * obtain and renew ever start the daemon. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static ac_mhd_api api;
static int loaded;
static char failure[256];

static void load(void)
{
    static const char *const names[] = {
        "MHD_start_daemon",   "MHD_stop_daemon",    "MHD_create_response_from_buffer",
        "MHD_add_response_header", "MHD_destroy_response", "MHD_queue_response",
        "MHD_get_connection_info", "MHD_lookup_connection_value",
    };
    void **const slots[] = {
        (void **)&api.start_daemon,        (void **)&api.stop_daemon,
        (void **)&api.create_response_from_buffer, (void **)&api.add_response_header,
        (void **)&api.destroy_response,    (void **)&api.queue_response,
        (void **)&api.get_connection_info, (void **)&api.lookup_connection_value,
    };

    loaded = ac_dl_load(MHD_SONAME, names, slots, sizeof(names) / sizeof(names[0]), failure,
                        sizeof(failure)) == 0;
}

const ac_mhd_api *ac_mhd(char *why, size_t n)
{
    pthread_once(&once, load);
    if (!loaded && why != NULL && n > 0)
        snprintf(why, n, "%s", failure);
    return loaded ? &api : NULL;
}
