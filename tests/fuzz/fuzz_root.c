/*
 * fuzz_root.c - root_parse() on untrusted bytes: the payload of root.json,
 * the client's root of trust.
 *
 * Oracles: every failure follows hs_err.h (fuzz_check_err), and a root that
 * parses keeps its invariants (1 <= threshold <= keys per role, every role
 * key distinct) and survives root_build() and a second parse unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzzutil.h"
#include "key.h"
#include "root.h"

static void check_role(const struct root_role *role)
{
	size_t i;
	size_t j;

	fuzz_assert(role->n_keys > 0, "a role without keys");
	fuzz_assert(role->threshold >= 1 && role->threshold <= role->n_keys,
		    "a role's threshold is out of range");
	for (i = 0; i < role->n_keys; i++)
		for (j = 0; j < i; j++)
			fuzz_assert(strcmp(key_id(role->keys[i]),
					   key_id(role->keys[j])) != 0,
				    "a role lists a key twice");
}

static bool role_is_same(const struct root_role *a, const struct root_role *b)
{
	size_t i;

	if (a->n_keys != b->n_keys || a->threshold != b->threshold)
		return false;
	for (i = 0; i < a->n_keys; i++)
		if (strcmp(key_id(a->keys[i]), key_id(b->keys[i])) != 0)
			return false;
	return true;
}

/* root_build() of rt parses back into the same root. */
static void check_round_trip(const struct root *rt)
{
	struct key *const *keys[ROOT_ROLE_COUNT];
	size_t n_keys[ROOT_ROLE_COUNT];
	size_t thresholds[ROOT_ROLE_COUNT];
	struct root *again = NULL;
	struct hs_err e;
	char *json = NULL;
	size_t i;
	int r;

	for (i = 0; i < ROOT_ROLE_COUNT; i++) {
		const struct root_role *role = root_role(rt, i);

		keys[i] = role->keys;
		n_keys[i] = role->n_keys;
		thresholds[i] = role->threshold;
	}
	hs_err_clear(&e);
	r = root_build(root_version(rt), root_expires(rt), keys, n_keys,
		       thresholds, &json, &e);
	fuzz_assert(r == 0, "root_build fails on a parsed root");
	r = root_parse((const uint8_t *)json, strlen(json), &again, &e);
	fuzz_assert(r == 0, "a built root does not parse");
	fuzz_assert(root_version(again) == root_version(rt) &&
			    root_expires(again) == root_expires(rt),
		    "root version or expiry changes through build and parse");
	for (i = 0; i < ROOT_ROLE_COUNT; i++)
		fuzz_assert(role_is_same(root_role(rt, i), root_role(again, i)),
			    "a root role changes through build and parse");
	root_free(again);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct root *rt = NULL;
	struct hs_err e;
	size_t i;
	int r;

	hs_err_clear(&e);
	r = root_parse(data, size, &rt, &e);
	fuzz_check_err(r, &e);
	if (r < 0)
		return 0;
	fuzz_assert(root_version(rt) > 0, "root version 0");
	for (i = 0; i < ROOT_ROLE_COUNT; i++)
		check_role(root_role(rt, i));
	check_round_trip(rt);
	root_free(rt);
	return 0;
}
