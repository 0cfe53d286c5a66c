/* http.c: the example server's HTTP/1.x: one bounded request a connection, GET and HEAD of static files under --root, no path leaving it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "server.h"

#define HEAD_MAX 8192     /* request line and headers */
#define HEAD_DEADLINE_S 15 /* all of them must arrive within this */

/* Writes all of buf; 0 or -1. */
static int send_all(SSL *ssl, const void *buf, size_t len)
{
    const char *p = buf;
    int n;

    while (len > 0) {
        if ((n = SSL_write(ssl, p, len > 16384 ? 16384 : (int)len)) <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A short text answer (its body left out for HEAD). */
static void respond(SSL *ssl, int head_only, int status, const char *reason, const char *extra)
{
    char buf[512];
    int n;

    n = snprintf(buf, sizeof(buf),
                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                 "%sConnection: close\r\n\r\n%s%s",
                 status, reason, strlen(reason) + 1, extra ? extra : "", head_only ? "" : reason,
                 head_only ? "" : "\n");
    if (n > 0 && (size_t)n < sizeof(buf))
        send_all(ssl, buf, (size_t)n);
}

/* Reads the request head into buf (NUL-terminated, without the blank
 * line).  0, or the status to answer (-1: nothing, the client is gone). */
static int read_head(SSL *ssl, char *buf, size_t size)
{
    time_t deadline = time(NULL) + HEAD_DEADLINE_S;
    size_t used = 0;
    char *end;
    int n;

    for (;;) {
        if (used == size - 1)
            return 431;
        if (time(NULL) > deadline || (n = SSL_read(ssl, buf + used, (int)(size - 1 - used))) <= 0)
            return -1;
        used += (size_t)n;
        buf[used] = '\0';
        if (memchr(buf, '\0', used) != NULL)
            return 400;
        if ((end = strstr(buf, "\r\n\r\n")) != NULL || (end = strstr(buf, "\n\n")) != NULL) {
            *end = '\0';
            return 0;
        }
    }
}

/* Decodes %XX in place, stopping at '?' or '#'; -1 on a bad escape or %00. */
static int decode_path(char *p)
{
    char *out = p;
    int hi, lo;

    for (; *p && *p != '?' && *p != '#'; p++) {
        if (*p != '%') {
            *out++ = *p;
            continue;
        }
        if ((hi = OPENSSL_hexchar2int((unsigned char)p[1])) < 0 ||
            (lo = OPENSSL_hexchar2int((unsigned char)p[2])) < 0 || (hi == 0 && lo == 0))
            return -1;
        *out++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *out = '\0';
    return 0;
}

/* Opens the file at `path` under the root, one component at a time and
 * following no symbolic link, so that nothing outside the root (and no
 * hidden file: ".", "..", ".git") is ever reached.  A directory gives its
 * index.html (*index set).  The descriptor, or -1. */
static int open_beneath(int rootfd, char *path, int *index)
{
    char *seg, *next;
    int dirfd = dup(rootfd), fd;
    struct stat st;

    for (seg = path; dirfd >= 0; seg = next) {
        while (*seg == '/')
            seg++;
        if (*seg == '\0')
            break;
        if ((next = strchr(seg, '/')) != NULL)
            *next = '\0';
        if (seg[0] == '.' || strchr(seg, '\\') != NULL)
            fd = -1;
        else
            fd = openat(dirfd, seg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        close(dirfd);
        dirfd = fd;
        if (next == NULL)
            break;
        next++;
    }
    if (dirfd < 0 || fstat(dirfd, &st) != 0)
        goto fail;
    if ((*index = S_ISDIR(st.st_mode)) != 0) {
        fd = openat(dirfd, "index.html", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        close(dirfd);
        if ((dirfd = fd) < 0 || fstat(dirfd, &st) != 0)
            goto fail;
    }
    if (S_ISREG(st.st_mode))
        return dirfd;
fail:
    if (dirfd >= 0)
        close(dirfd);
    return -1;
}

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"}, {".txt", "text/plain; charset=utf-8"},
        {".css", "text/css"}, {".js", "text/javascript"}, {".json", "application/json"},
        {".png", "image/png"}, {".svg", "image/svg+xml"}, {".pem", "application/x-pem-file"},
    };
    const char *dot = strrchr(path, '.');
    size_t i;

    for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

/* Sends the file: headers, then (unless HEAD) its bytes. */
static void send_file(SSL *ssl, int fd, const char *type, int head)
{
    char buf[16384];
    struct stat st;
    ssize_t n;
    int len;

    if (fstat(fd, &st) != 0) {
        respond(ssl, head, 500, "Internal Server Error", NULL);
        return;
    }
    len = snprintf(buf, sizeof(buf),
                   "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
                   "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
                   type, (long long)st.st_size);
    if (send_all(ssl, buf, (size_t)len) != 0 || head)
        return;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (send_all(ssl, buf, (size_t)n) != 0)
            return;
}

/* The status of a bad request, or 0 with the file open in *fd. */
static int parse(SSL *ssl, int rootfd, char *head, int *head_only, int *fd, const char **type)
{
    char method[8], target[HEAD_MAX], version[16], path[HEAD_MAX];
    int status, index;

    if ((status = read_head(ssl, head, HEAD_MAX)) != 0)
        return status;
    if (sscanf(head, "%7s %8191s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/')
        return 400;
    *head_only = strcmp(method, "HEAD") == 0;
    if (strcmp(method, "GET") != 0 && !*head_only)
        return 405;
    if (decode_path(target) != 0)
        return 400;
    memcpy(path, target, strlen(target) + 1); /* open_beneath cuts its copy */
    if ((*fd = open_beneath(rootfd, path, &index)) < 0)
        return 404;
    *type = content_type(index ? "index.html" : target);
    return 0;
}

void http_serve(SSL *ssl, int rootfd)
{
    char head[HEAD_MAX];
    const char *type = NULL;
    int head_only = 0, fd = -1;

    switch (parse(ssl, rootfd, head, &head_only, &fd, &type)) {
    case 0:
        send_file(ssl, fd, type, head_only);
        close(fd);
        break;
    case -1: break; /* the client is gone, or too slow */
    case 400: respond(ssl, head_only, 400, "Bad Request", NULL); break;
    case 404: respond(ssl, head_only, 404, "Not Found", NULL); break;
    case 405: respond(ssl, 0, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n"); break;
    default: respond(ssl, 0, 431, "Request Header Fields Too Large", NULL); break;
    }
}
