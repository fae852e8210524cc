/*
 * root.h - the root of trust: the payload of root.json.
 *
 *	{"_type": "root", "version": 1, "expires": "2031-01-01T00:00:00Z",
 *	 "keys": {"<keyid>": {"keytype": "ed25519", "public": "<base64>"}},
 *	 "roles": {"root": {"keyids": [...], "threshold": 1},
 *		   "manifest": {"keyids": [...], "threshold": 1}},
 *	 "vendors": {"acme": {"keyids": [...], "threshold": 1,
 *			      "components": ["cardreader", "card-*"]}}}
 *
 * Every keyid must be the SHA-256 of its key; every role's keyids must be
 * listed in "keys"; 1 <= threshold <= number of the role's keys.  Parsing
 * checks structure only; signatures and expiry are trust.h's job.
 *
 * "vendors" is optional.  A vendor role owns the components whose names
 * match one of its patterns (a component name in which '*' stands for any
 * run of characters); the entry of an owned component must be signed by a
 * threshold of that vendor's keys (trust.h), so the manifest's signers
 * cannot change it alone, and no vendor can change another's.
 */
#ifndef HAISHIN_ROOT_H
#define HAISHIN_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "hs_limits.h"
#include "key.h"

enum root_role_id { ROOT_ROLE_ROOT, ROOT_ROLE_MANIFEST, ROOT_ROLE_COUNT };

struct root_role {
	struct key **keys; /* point into the root's keys; not owned */
	size_t n_keys;
	size_t threshold;
};

struct root;

#define ROOT_PATTERN_MAX HS_NAME_MAX

struct root_vendor {
	char name[HS_NAME_MAX + 1];
	struct root_role role;
	char (*patterns)[ROOT_PATTERN_MAX + 1];
	size_t n_patterns;
};

/* Parses a root payload.  The caller frees *ret_r with root_free(). */
int root_parse(const uint8_t *payload, size_t n, struct root **ret_r,
	       struct hs_err *e);

uint64_t root_version(const struct root *r);
int64_t root_expires(const struct root *r);
const struct root_role *root_role(const struct root *r, enum root_role_id id);

size_t root_n_vendors(const struct root *r);
const struct root_vendor *root_vendor_at(const struct root *r, size_t i);

/*
 * The vendor that owns component name: 0 with *ret_v NULL when none does,
 * 0 with *ret_v set, or -EKEYREJECTED when two vendors' patterns both match
 * (ownership must be unambiguous).
 */
int root_owner(const struct root *r, const char *name,
	       const struct root_vendor **ret_v, struct hs_err *e);

/* True when pattern (with '*' wildcards) matches the whole of name. */
bool root_pattern_match(const char *pattern, const char *name);

/* True when role id has the same keys and threshold in a and b. */
bool root_role_equal(const struct root *a, const struct root *b,
		     enum root_role_id id);

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

/* A role to build: its keys (public parts suffice) and threshold. */
struct root_spec_role {
	struct key *const *keys;
	size_t n_keys;
	size_t threshold;
};

struct root_spec_vendor {
	const char *name;
	struct root_spec_role role;
	const char *const *patterns;
	size_t n_patterns;
};

/* Everything a root payload says. */
struct root_spec {
	uint64_t version;
	int64_t expires;
	struct root_spec_role roles[ROOT_ROLE_COUNT];
	const struct root_spec_vendor *vendors;
	size_t n_vendors;
};

/* Builds a root payload from spec; refuses what root_parse would refuse. */
int root_build_spec(const struct root_spec *spec, char **ret_json,
		    struct hs_err *e);

/*
 * Fills spec (and vendors, an array of root_n_vendors(r) entries, and
 * patterns, of the sum of their patterns' count) from r, so a new version
 * can be built with a few changes.  Everything points into r.
 */
void root_to_spec(const struct root *r, struct root_spec *spec,
		  struct root_spec_vendor *vendors, const char **patterns);

/* Releases r; NULL is allowed. */
void root_free(struct root *r);

#endif
