/* curlload.h: the libcurl functions the transport uses, loaded on first use. */
#ifndef AC_CURLLOAD_H
#define AC_CURLLOAD_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

typedef struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *c);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    CURLHcode (*easy_header)(CURL *c, const char *name, size_t index, unsigned int origin,
                             int request, struct curl_header **hout);
    void (*easy_cleanup)(CURL *c);
    const char *(*easy_strerror)(CURLcode code);
    time_t (*getdate)(const char *p, const time_t *unused);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
    curl_version_info_data *(*version_info)(CURLversion age);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *sh, CURLSHoption option, ...);
    CURLSHcode (*share_cleanup)(CURLSH *sh);
} ac_curl_api;

/* libcurl, loaded and initialised once (threads may race here), or NULL
 * with the reason in `why` (n bytes) when it cannot be. */
const ac_curl_api *ac_curl(char *why, size_t n);

#endif
