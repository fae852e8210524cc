/*
 * dsse.h - DSSE envelopes (Dead Simple Signing Envelope, v1).
 *
 *	{"payloadType": "...", "payload": "<base64>",
 *	 "signatures": [{"keyid": "<hex>", "sig": "<base64>"}, ...]}
 *
 * Each signature is Ed25519 over the pre-authentication encoding
 *	"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload
 * so the signed bytes are exactly the payload bytes, and the payload type is
 * bound to them (a root can never pass for a manifest).
 */
#ifndef HAISHIN_DSSE_H
#define HAISHIN_DSSE_H

#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "key.h"

#define DSSE_TYPE_ROOT "application/vnd.haishin.root+json"
#define DSSE_TYPE_MANIFEST "application/vnd.haishin.manifest+json"
#define DSSE_TYPE_ENTRY "application/vnd.haishin.entry+json"

struct dsse;

/*
 * Parses an envelope of len bytes (at most max_len, or -EFBIG).  Malformed
 * JSON, a missing field, bad base64 or more than HS_ENVELOPE_MAX_SIGNATURES
 * signatures give -EBADMSG naming the problem.  The caller frees *ret_d.
 */
int dsse_parse(const char *buf, size_t len, size_t max_len, struct dsse **ret_d,
	       struct hs_err *e);

const char *dsse_payload_type(const struct dsse *d);

/* The decoded payload, owned by d. */
const uint8_t *dsse_payload(const struct dsse *d, size_t *ret_n);

/*
 * Counts the distinct keys of keys[] with a valid signature over d; a key
 * signing twice counts once, signatures by other keys are ignored.  Returns
 * 0 when at least threshold keys signed, else -EKEYREJECTED with a message
 * naming what (e.g. "manifest"): "missing signature", "bad signature by key
 * …", "signed by unknown keys only", or "too few valid signatures: 1 of 2".
 * threshold 0 is a programming error.
 */
int dsse_verify(const struct dsse *d, const char *what, struct key *const *keys,
		size_t n_keys, size_t threshold, struct hs_err *e);

/*
 * Makes an envelope of payload signed by every key of keys[] (each needs its
 * private part).  *ret_json is a malloc'ed NUL-terminated string.
 */
int dsse_sign(const char *type, const void *payload, size_t n,
	      struct key *const *keys, size_t n_keys, char **ret_json,
	      struct hs_err *e);

/* Releases d; NULL is allowed. */
void dsse_free(struct dsse *d);

#endif
