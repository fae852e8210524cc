/*
 * trustutil.h - helpers for the tests of the signed metadata (test_dsse,
 * test_key, test_root, test_trust): keys, envelopes, JSON edits, and roots
 * and manifests built and checked in one call.
 */
#ifndef HAISHIN_TRUSTUTIL_H
#define HAISHIN_TRUSTUTIL_H

#include "testutil.h"

struct key;
struct root;
struct trust_prev;

/* Keys, envelopes and JSON (the manifest/ tests). */

/* A new Ed25519 key with its private half; the caller frees it (key_free). */
struct key *tu_key_new(void);

/* A DSSE envelope of payload signed by n keys; the caller frees it. */
char *tu_sign(const char *type, const char *payload, struct key *const *keys,
	      size_t n);

/*
 * Returns json with the member at path ('/'-separated object keys, or array
 * indexes on the way) set to value (JSON text), or deleted when value is
 * NULL.  Keys come out sorted.  The caller frees the string.
 */
char *tu_json_edit(const char *json, const char *path, const char *value);

/* Roots and manifests (test_root, test_trust). */

/*
 * A group fixture of fresh keys (tu_keys_setup, tu_keys_teardown): r1 and r2
 * sign roots, m1 and m2 sign manifests, n1 is the root key that a rotation
 * brings in, x1 is trusted by nobody.
 */
struct tu_keys {
	struct key *r1;
	struct key *r2;
	struct key *m1;
	struct key *m2;
	struct key *n1;
	struct key *x1;
};

int tu_keys_setup(void **state);
int tu_keys_teardown(void **state);

/* A set of keys with a threshold: one role of a root. */
struct tu_role {
	struct key *keys[4];
	size_t n;
	size_t threshold;
};

/* A root payload built by root_build(); the caller frees it. */
char *tu_root_payload(uint64_t version, int64_t expires,
		      const struct tu_role *root_role,
		      const struct tu_role *manifest_role);

/* Root v1: root role r1, manifest role m1, each with threshold 1. */
char *tu_root_v1_payload(const struct tu_keys *k, int64_t expires);

/* Loads env as a first root (trust_root_load); the caller frees the root. */
struct root *tu_root_load(const char *env);

/* tu_root_v1_payload() signed by r1 and loaded. */
struct root *tu_root_v1(const struct tu_keys *k, int64_t expires);

/*
 * A good manifest payload with the components cardreader (of the given
 * version), face-lib_2 and linkage, given out of order.  The caller frees it.
 */
char *tu_manifest_payload(uint64_t serial, int64_t expires,
			  const char *cardreader_version);

/*
 * Runs trust_manifest() on env and returns its result; checks that a
 * manifest comes back exactly on success, and frees it.
 */
int tu_manifest_check(const struct root *root, const char *env,
		      const struct trust_prev *prev, int64_t now,
		      char sha256[65], struct hs_err *e);

#endif
