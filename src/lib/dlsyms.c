/* dlsyms.c: a library loaded on first use: dlopen, then every function it must have. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>

#include "internal.h"

int ac_dl_load(const char *soname, const char *const *names, void **const *slots, size_t n,
               char *why, size_t wn)
{
    /* RTLD_LAZY: the functions of the library and of the thirty-odd it
     * needs (libcurl: LDAP, Kerberos, GnuTLS, SSH ...) are bound when first
     * called, not all at once: binding them all cost 8 ms of CPU a process
     * for the few dozen ever called.  Every function named here is still
     * looked up now, so a library without one fails at once. */
    void *lib = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    size_t i;

    if (lib == NULL) {
        snprintf(why, wn, "cannot load %s: %s", soname, dlerror());
        return -1;
    }
    for (i = 0; i < n; i++) {
        if ((*slots[i] = dlsym(lib, names[i])) == NULL) {
            snprintf(why, wn, "%s has no %s", soname, names[i]);
            return -1;
        }
    }
    /* Never closed: the library keeps state for the process, and threads
     * it started may outlive any caller. */
    return 0;
}
