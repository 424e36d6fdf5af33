/*
 * Copyright (C) ct-netsuite authors
 *
 * A minimal unit test harness: CHECK records a failure and goes on, the
 * closing line "N passed, N failed" is what tools/run-unit.sh and CI read.
 * Tests run with the current directory at t/fixtures.
 */

#ifndef _CTNS_TEST_H_INCLUDED_
#define _CTNS_TEST_H_INCLUDED_


#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int  ctns_test_passed __attribute__((unused));
static int  ctns_test_failed __attribute__((unused));


#define CHECK(cond)                                                           \
    do {                                                                      \
        if (cond) {                                                           \
            ctns_test_passed++;                                               \
        } else {                                                              \
            ctns_test_failed++;                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n",                      \
                    __FILE__, __LINE__, #cond);                               \
        }                                                                     \
    } while (0)

#define CHECK_INT(a, b)                                                       \
    do {                                                                      \
        long long  ctns_a_ = (long long) (a), ctns_b_ = (long long) (b);      \
        if (ctns_a_ == ctns_b_) {                                             \
            ctns_test_passed++;                                               \
        } else {                                                              \
            ctns_test_failed++;                                               \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",             \
                    __FILE__, __LINE__, #a, ctns_a_, ctns_b_);                \
        }                                                                     \
    } while (0)

#define CHECK_STR(a, b)                                                       \
    do {                                                                      \
        const char  *ctns_a_ = (a), *ctns_b_ = (b);                           \
        if (ctns_a_ != NULL && ctns_b_ != NULL                                \
            && strcmp(ctns_a_, ctns_b_) == 0)                                 \
        {                                                                     \
            ctns_test_passed++;                                               \
        } else {                                                              \
            ctns_test_failed++;                                               \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",         \
                    __FILE__, __LINE__, #a,                                   \
                    ctns_a_ ? ctns_a_ : "(null)",                             \
                    ctns_b_ ? ctns_b_ : "(null)");                            \
        }                                                                     \
    } while (0)

#define TEST_DONE()                                                           \
    do {                                                                      \
        printf("%d passed, %d failed\n", ctns_test_passed, ctns_test_failed); \
        return ctns_test_failed ? 1 : 0;                                      \
    } while (0)


/* Reads a whole fixture file; the caller frees.  NULL when unreadable. */

static inline char *
ctns_test_read_file(const char *path, size_t *len)
{
    FILE    *f;
    char    *buf;
    long     n;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open fixture %s\n", path);
        return NULL;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc(n + 1);
    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        fclose(f);
        free(buf);
        return NULL;
    }

    buf[n] = '\0';
    fclose(f);

    if (len) {
        *len = n;
    }

    return buf;
}


#endif /* _CTNS_TEST_H_INCLUDED_ */
