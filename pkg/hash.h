/*
 * hash.h - SHA-256 in a stream (OpenSSL EVP), so a download is hashed as it
 * is written and a file is never read twice to learn its digest.
 */
#ifndef HAISHIN_HASH_H
#define HAISHIN_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

#define HASH_SHA256_LEN 32
#define HASH_SHA256_HEX_LEN 64

struct hash;

/* Starts a SHA-256.  The caller frees *ret_h with hash_free(). */
int hash_new(struct hash **ret_h, struct hs_err *e);

/* Feeds n bytes.  Returns 0 or -EIO. */
int hash_update(struct hash *h, const void *p, size_t n, struct hs_err *e);

/* Ends the hash; writes 64 lowercase hex digits and a NUL into hex. */
int hash_final_hex(struct hash *h, char hex[static HASH_SHA256_HEX_LEN + 1],
		   struct hs_err *e);

/* Releases h; NULL is allowed. */
void hash_free(struct hash *h);

/*
 * Hashes fd from its current offset to its end; writes the hex digest and the
 * number of bytes read.  The offset is left at the end.
 */
int hash_fd(int fd, char hex[static HASH_SHA256_HEX_LEN + 1],
	    uint64_t *ret_size, struct hs_err *e);

/* Hashes a whole buffer. */
int hash_buf(const void *p, size_t n, char hex[static HASH_SHA256_HEX_LEN + 1],
	     struct hs_err *e);

#endif
