/* json.c: JSON text of jansson documents, checked: a write that fails fails the whole text. */
#include "config.h"

#include <stdlib.h>

#include "internal.h"

/* jansson 2.14 ignores a failure to write an object's key and carries on
 * (akheron/jansson#655): out of memory, json_dumps can return a document
 * with a member missing its key.  Here the first failed write sticks. */
typedef struct {
    ac_buf b;
    int failed;
} sink;

static int put(const char *p, size_t n, void *arg)
{
    sink *s = arg;

    if (s->failed || ac_buf_append(&s->b, p, n) != 0) {
        s->failed = 1;
        return -1;
    }
    return 0;
}

char *ac_json_dump_max(const json_t *j, size_t flags, size_t max)
{
    sink s;

    ac_buf_init(&s.b, max);
    s.failed = 0;
    if (j == NULL || json_dump_callback(j, put, &s, flags) != 0 || s.failed ||
        put("", 0, &s) != 0) {
        ac_buf_free(&s.b);
        return NULL;
    }
    return ac_buf_steal(&s.b);
}

char *ac_json_dump(const json_t *j, size_t flags)
{
    return ac_json_dump_max(j, flags, AC_JSON_MAX);
}
