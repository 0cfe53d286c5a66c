/* validate.c: HTTP-01 as a CA does it: fetch the token from the client's responder, or read it from the webroot. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "stub.h"

/* The key authorization found, whitespace at the end trimmed. */
static int same(const char *got, size_t len, const char *want)
{
    while (len > 0 && (got[len - 1] == '\n' || got[len - 1] == '\r' || got[len - 1] == ' '))
        len--;
    return len == strlen(want) && memcmp(got, want, len) == 0;
}

static const char *from_webroot(const char *token, const char *key_auth, char *why, size_t n)
{
    char path[4096], buf[1024];
    FILE *f;
    size_t len;

    snprintf(path, sizeof(path), "%s/.well-known/acme-challenge/%s", stub.http01_root, token);
    if ((f = fopen(path, "rb")) == NULL) {
        snprintf(why, n, "no challenge file in the webroot");
        return why;
    }
    len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (!same(buf, len, key_auth)) {
        snprintf(why, n, "the challenge file holds the wrong key authorization");
        return why;
    }
    return NULL;
}

static int dial(void)
{
    struct sockaddr_in sa;
    struct timeval tv = {2, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)stub.http01_port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

const char *validate_http01(const char *name, const char *token, const char *key_auth,
                            char *why, size_t n)
{
    char req[1024], buf[8192];
    size_t len = 0;
    ssize_t k;
    const char *body;
    int fd;

    if (stub.http01_root)
        return from_webroot(token, key_auth, why, n);
    if ((fd = dial()) < 0) {
        snprintf(why, n, "connection to 127.0.0.1:%d refused", stub.http01_port);
        return why;
    }
    snprintf(req, sizeof(req), "GET /.well-known/acme-challenge/%s HTTP/1.1\r\nHost: %s\r\n"
             "User-Agent: acme_stub\r\nConnection: close\r\n\r\n", token, name);
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        len = 0;
    while (len < sizeof(buf) - 1 && (k = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)k;
    close(fd);
    buf[len] = '\0';
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0 && strncmp(buf, "HTTP/1.0 200", 12) != 0) {
        snprintf(why, n, "the responder did not answer 200");
        return why;
    }
    if ((body = strstr(buf, "\r\n\r\n")) == NULL ||
        !same(body + 4, len - (size_t)(body + 4 - buf), key_auth)) {
        snprintf(why, n, "the responder served the wrong key authorization");
        return why;
    }
    return NULL;
}
