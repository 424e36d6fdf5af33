/*
 * Copyright (C) ct-netsuite authors
 *
 * Base64 (RFC 4648 section 4) and base64url (section 5) without OpenSSL's
 * BIO machinery, strict about the alphabet.
 */

#ifndef _CTNS_BASE64_H_INCLUDED_
#define _CTNS_BASE64_H_INCLUDED_


#include <stddef.h>


#define ctns_base64_encoded_len(n)  ((((n) + 2) / 3) * 4)
#define ctns_base64_decoded_len(n)  ((((n) + 3) / 4) * 3)


/* Writes ctns_base64_encoded_len(len) bytes, padded, no NUL. */
size_t ctns_base64_encode(unsigned char *dst, const unsigned char *src,
    size_t len);

/* base64url, unpadded (JWT); returns the length written. */
size_t ctns_base64url_encode(unsigned char *dst, const unsigned char *src,
    size_t len);

/*
 * Decode into dst (room for ctns_base64_decoded_len(len) bytes).  Standard
 * alphabet; padding optional but, when present, correct.  Returns the
 * decoded length, or -1 on any character outside the alphabet.
 */
long ctns_base64_decode(unsigned char *dst, const unsigned char *src,
    size_t len);

/* The same for base64url ('-', '_'), padding optional. */
long ctns_base64url_decode(unsigned char *dst, const unsigned char *src,
    size_t len);


#endif /* _CTNS_BASE64_H_INCLUDED_ */
