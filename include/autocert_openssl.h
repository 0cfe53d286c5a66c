/* autocert_openssl.h: binds a libautocert server manager to an OpenSSL 3 SSL_CTX (certificates by SNI, TLS-ALPN-01). */
#ifndef AUTOCERT_OPENSSL_H
#define AUTOCERT_OPENSSL_H

#include <openssl/ssl.h>

#include "autocert.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Installs callbacks on `sctx` so that every handshake gets, from memory,
 * the certificate the manager serves for its SNI name (a handshake without
 * SNI: the first host's), replaced atomically when it is renewed: safe with
 * any number of threads handshaking at once, a hash lookup each.  A name
 * without a certificate fails the handshake with unrecognized_name and
 * orders nothing unless it is a host of the policy (whose certificate the
 * background thread is obtaining).  It also answers TLS-ALPN-01 (RFC 8737):
 * a ClientHello offering ALPN "acme-tls/1" for a name with a live challenge
 * gets the challenge certificate, and "acme-tls/1" is negotiated; such a
 * handshake asks for no client certificate, also where `sctx` requires
 * them (mutual TLS).
 * Otherwise ALPN picks the first protocol of `alpn` (wire format, e.g.
 * "\x02h2\x08http/1.1"; may be NULL) the client offers, and none when it
 * offers none of them.  It replaces the servername and ALPN callbacks of
 * `sctx`; the manager must outlive every SSL made from it.  Call before
 * autocert_manager_start().  `alpn` is copied. */
autocert_err autocert_openssl_attach(autocert_manager *m, SSL_CTX *sctx, const unsigned char *alpn,
                                     size_t alpn_len);
/* Nonzero when the handshake of `ssl` answered a TLS-ALPN-01 validation:
 * the server then closes the connection without reading or writing
 * application data (RFC 8737 section 3). */
int autocert_openssl_is_challenge(const SSL *ssl);

#ifdef __cplusplus
}
#endif
#endif /* AUTOCERT_OPENSSL_H */
