/*
 * Copyright (C) ct-netsuite authors
 *
 * NetSuite account ids come in two spellings: the realm "1234567_SB1"
 * (OAuth 1.0a realm, upper case, underscore) and the host label
 * "1234567-sb1" (lower case, dash).  Operators paste either.
 */

#ifndef _CTNS_NSACCOUNT_H_INCLUDED_
#define _CTNS_NSACCOUNT_H_INCLUDED_


#include <stddef.h>


/*
 * Both forms of id into realm and host (each len bytes).  Returns 0, or -1
 * when id is empty, too long or has a character outside [A-Za-z0-9_-].
 */
int ctns_nsaccount_forms(const char *id, char *realm, char *host,
    size_t len);


#endif /* _CTNS_NSACCOUNT_H_INCLUDED_ */
