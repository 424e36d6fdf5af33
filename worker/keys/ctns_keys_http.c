/*
 * Copyright (C) ct-netsuite authors
 *
 * The few HTTP and file operations of ctns-keys: a bounded GET that never
 * follows redirects (an SSRF guard: the URL was checked, its redirect
 * target was not), and atomic file replacement, so that nginx reading the
 * file at any moment sees the old or the new content, never a mix.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "ctns_keys.h"
#include "ctns_log.h"


typedef struct {
    char    *data;
    size_t   len;
    size_t   max;
} ctns_keys_buf_t;


void
ctns_keys_log(const char *level, const char *fmt, ...)
{
    int      n;
    char     msg[1024];
    va_list  args;

    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    /* JSON lines, as the worker and the Redis client both write */
    n = ctns_log_level_parse(level);

    ctns_log(n < 0 ? CTNS_LOG_ERROR : n, msg,
             json_pack("{s:s}", "program", "ctns-keys"));
}


static size_t
ctns_keys_write_cb(char *p, size_t size, size_t n, void *data)
{
    char             *d;
    ctns_keys_buf_t  *buf;

    buf = data;
    n *= size;

    /* returning less than n makes curl fail the transfer */
    if (buf->len + n > buf->max) {
        return 0;
    }

    d = realloc(buf->data, buf->len + n + 1);
    if (d == NULL) {
        return 0;
    }

    memcpy(d + buf->len, p, n);
    buf->data = d;
    buf->len += n;
    buf->data[buf->len] = '\0';

    return n;
}


long
ctns_keys_http_get(const char *url, long timeout, size_t max, char **body,
    size_t *len, char *errbuf, size_t errlen)
{
    long              status;
    CURL             *curl;
    CURLcode          rc;
    ctns_keys_buf_t   buf;
    char              cerr[CURL_ERROR_SIZE];

    *body = NULL;
    *len = 0;

    curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(errbuf, errlen, "curl_easy_init() failed");
        return -1;
    }

    buf.data = NULL;
    buf.len = 0;
    buf.max = max;
    cerr[0] = '\0';

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ctns-keys");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ctns_keys_write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buf);

    rc = curl_easy_perform(curl);

    status = -1;

    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        *body = buf.data;
        *len = buf.len;
        buf.data = NULL;

    } else if (rc == CURLE_WRITE_ERROR) {
        snprintf(errbuf, errlen, "response larger than %zu bytes", max);

    } else {
        snprintf(errbuf, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
    }

    free(buf.data);
    curl_easy_cleanup(curl);

    return status;
}


int
ctns_keys_write_file(const char *path, const char *data, size_t len)
{
    int      fd, saved;
    char     tmp[4096];
    ssize_t  n;
    size_t   off;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int) getpid())
        >= (int) sizeof(tmp))
    {
        errno = ENAMETOOLONG;
        return -1;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        return -1;
    }

    for (off = 0; off < len; off += (size_t) n) {
        n = write(fd, data + off, len - off);
        if (n <= 0) {
            goto failed;
        }
    }

    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto failed;
    }

    if (rename(tmp, path) != 0) {
        fd = -1;
        goto failed;
    }

    return 0;

failed:

    saved = errno;
    if (fd != -1) {
        close(fd);
    }
    unlink(tmp);
    errno = saved;

    return -1;
}


char *
ctns_keys_fetch_url(const char *base, const char *url, const char *path,
    size_t path_len)
{
    char    *s;
    size_t   blen;

    if (base == NULL) {
        return strdup(url);
    }

    blen = strlen(base);
    while (blen && base[blen - 1] == '/') {
        blen--;
    }

    s = malloc(blen + path_len + 1);
    if (s != NULL) {
        memcpy(s, base, blen);
        memcpy(s + blen, path, path_len);
        s[blen + path_len] = '\0';
    }

    return s;
}
