/* mhdload.h: the libmicrohttpd functions the HTTP-01 daemon uses, loaded on first use. */
#ifndef AC_MHDLOAD_H
#define AC_MHDLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

typedef struct {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
                                           const char *content);
    void (*destroy_response)(struct MHD_Response *r);
    enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status_code,
                                      struct MHD_Response *r);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c,
                                                           enum MHD_ConnectionInfoType info,
                                                           ...);
    const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                           const char *key);
} ac_mhd_api;

/* libmicrohttpd, loaded once (threads may race here), or NULL with the
 * reason in `why` (n bytes) when it cannot be. */
const ac_mhd_api *ac_mhd(char *why, size_t n);

#endif /* AC_MHDLOAD_H */
