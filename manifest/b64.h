/*
 * b64.h - base64, as DSSE envelopes and root.json's keys carry bytes.
 */
#ifndef HAISHIN_B64_H
#define HAISHIN_B64_H

#include <stddef.h>
#include <stdint.h>

/*
 * Base64 (RFC 4648, with padding).  hs_b64_encode returns a malloc'ed string
 * the caller frees, or NULL on out-of-memory.  hs_b64_decode decodes into a
 * malloc'ed buffer the caller frees; returns 0, -EBADMSG or -ENOMEM.
 */
char *hs_b64_encode(const uint8_t *p, size_t n);
int hs_b64_decode(const char *s, size_t len, uint8_t **ret_p, size_t *ret_n);

#endif
