/*
 * Copyright (C) ct-netsuite authors
 */


#include <ctype.h>
#include <string.h>

#include "ctns_nsaccount.h"


int
ctns_nsaccount_forms(const char *id, char *realm, char *host, size_t len)
{
    size_t         i, n;
    unsigned char  c;

    n = strlen(id);

    if (n == 0 || n >= len) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        c = (unsigned char) id[i];

        if (!isalnum(c) && c != '_' && c != '-') {
            return -1;
        }

        realm[i] = (char) (c == '-' ? '_' : toupper(c));
        host[i] = (char) (c == '_' ? '-' : tolower(c));
    }

    realm[n] = '\0';
    host[n] = '\0';

    return 0;
}
