/*
 * root.h - the root of trust: the payload of root.json.
 *
 *	{"_type": "root", "version": 1, "expires": "2031-01-01T00:00:00Z",
 *	 "keys": {"<keyid>": {"keytype": "ed25519", "public": "<base64>"}},
 *	 "roles": {"root": {"keyids": [...], "threshold": 1},
 *		   "manifest": {"keyids": [...], "threshold": 1}}}
 *
 * Every keyid must be the SHA-256 of its key; every role's keyids must be
 * listed in "keys"; 1 <= threshold <= number of the role's keys.  Parsing
 * checks structure only; signatures and expiry are trust.h's job.
 */
#ifndef HAISHIN_ROOT_H
#define HAISHIN_ROOT_H

#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "key.h"

enum root_role_id { ROOT_ROLE_ROOT, ROOT_ROLE_MANIFEST, ROOT_ROLE_COUNT };

struct root_role {
	struct key **keys; /* point into the root's keys; not owned */
	size_t n_keys;
	size_t threshold;
};

struct root;

/* Parses a root payload.  The caller frees *ret_r with root_free(). */
int root_parse(const uint8_t *payload, size_t n, struct root **ret_r,
	       struct hs_err *e);

uint64_t root_version(const struct root *r);
int64_t root_expires(const struct root *r);
const struct root_role *root_role(const struct root *r, enum root_role_id id);

/* The role's name as in root.json ("root", "manifest"). */
const char *root_role_name(enum root_role_id id);

/*
 * Builds a root payload (compact JSON, malloc'ed into *ret_json).  keys[id]
 * and n_keys[id] list each role's keys, thresholds[id] its threshold.
 */
int root_build(uint64_t version, int64_t expires,
	       struct key *const *const keys[ROOT_ROLE_COUNT],
	       const size_t n_keys[ROOT_ROLE_COUNT],
	       const size_t thresholds[ROOT_ROLE_COUNT], char **ret_json,
	       struct hs_err *e);

/* Releases r; NULL is allowed. */
void root_free(struct root *r);

#endif
