/*
 * test_root.c - unit tests for roots: manifest/root.h, and trust.h's
 * trust_root_load, trust_root_next and trust_check_fresh.  Real roots built
 * with root_build and dsse_sign are loaded, rotated and checked for freeze,
 * and refused when a signature, the type, the version or any field is wrong.
 */
#include "trustutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dsse.h"
#include "hs_limits.h"
#include "key.h"
#include "root.h"
#include "b64.h"
#include "str.h"
#include "trust.h"

#define NOW ((int64_t)1795593600) /* 2026-11-25T08:00:00Z */
#define DAY ((int64_t)86400)

static const struct trust_prev first_prev = {0, ""};

/* trust_root_load() of n bytes; frees any root it returns. */
static int load(const char *buf, size_t n, struct hs_err *e)
{
	struct root *root = NULL;
	int r;

	hs_err_clear(e);
	r = trust_root_load(buf, n, &root, e);
	assert_true(r == 0 ? root != NULL : root == NULL);
	root_free(root);
	return r;
}

/* trust_root_next() of env after cur; frees any root it returns. */
static int next(const struct root *cur, const char *env, struct hs_err *e)
{
	struct root *root = NULL;
	int r;

	hs_err_clear(e);
	r = trust_root_next(cur, env, strlen(env), &root, e);
	assert_true(r == 0 ? root != NULL : root == NULL);
	root_free(root);
	return r;
}

/* The next root: root key n1, manifest key m2, signed by n keys as type. */
static char *root_v2_env(const struct tu_keys *f, const char *type,
			 uint64_t version, struct key *const *signers, size_t n)
{
	const struct tu_role rr = {{f->n1}, 1, 1};
	const struct tu_role mr = {{f->m2}, 1, 1};
	char *payload = tu_root_payload(version, NOW + 365 * DAY, &rr, &mr);
	char *env = tu_sign(type, payload, signers, n);

	free(payload);
	return env;
}

static void test_root_load_self_signed(void **state)
{
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	const struct root_role *rr = root_role(root, ROOT_ROLE_ROOT);
	const struct root_role *mr = root_role(root, ROOT_ROLE_MANIFEST);

	assert_int_equal(root_version(root), 1);
	assert_int_equal(root_expires(root), NOW + 365 * DAY);
	assert_int_equal(rr->n_keys, 1);
	assert_int_equal(rr->threshold, 1);
	assert_string_equal(key_id(rr->keys[0]), key_id(f->r1));
	assert_false(key_has_private(rr->keys[0]));
	assert_int_equal(mr->n_keys, 1);
	assert_string_equal(key_id(mr->keys[0]), key_id(f->m1));
	assert_string_equal(root_role_name(ROOT_ROLE_ROOT), "root");
	assert_string_equal(root_role_name(ROOT_ROLE_MANIFEST), "manifest");
	root_free(root);
	root_free(NULL);
}

/* Root v1 with root keys r1 and r2 (2 of 2), manifest keys m1 and m2 (1). */
static char *two_of_two_payload(const struct tu_keys *f)
{
	const struct tu_role rr = {{f->r1, f->r2}, 2, 2};
	const struct tu_role mr = {{f->m1, f->m2}, 2, 1};

	return tu_root_payload(1, NOW + DAY, &rr, &mr);
}

static void test_root_load_two_of_two(void **state)
{
	struct tu_keys *f = *state;
	struct key *both[] = {f->r1, f->r2};
	char *payload = two_of_two_payload(f);
	char *env = tu_sign(DSSE_TYPE_ROOT, payload, both, 2);
	struct root *root = tu_root_load(env);

	assert_int_equal(root_role(root, ROOT_ROLE_ROOT)->threshold, 2);
	assert_int_equal(root_role(root, ROOT_ROLE_MANIFEST)->n_keys, 2);
	root_free(root);
	free(env);
	free(payload);
}

/* Envelopes signed by one key that trust_root_load must reject. */
static void test_root_load_refused(void **state)
{
	struct tu_keys *f = *state;
	char *two = two_of_two_payload(f);
	char *v1 = tu_root_v1_payload(f, NOW + DAY);
	char *manifest = tu_manifest_payload(1, NOW + DAY, "2.1.0");
	const struct {
		const char *what;
		const char *payload;
		const char *type;
		struct key *signer;
		const char *text;
	} cases[] = {
		{"one of two root keys", two, DSSE_TYPE_ROOT, f->r2,
		 "too few valid signatures: 1 of 2"},
		/* m1 is in the root's keys, but in the manifest role only. */
		{"a manifest key", v1, DSSE_TYPE_ROOT, f->m1, "unknown keys"},
		{"an outsider", v1, DSSE_TYPE_ROOT, f->x1, "unknown keys"},
		{"a root payload under the manifest type", v1,
		 DSSE_TYPE_MANIFEST, f->r1, "payload type"},
		{"a real manifest envelope", manifest, DSSE_TYPE_MANIFEST,
		 f->m1, "payload type"},
	};
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *env = tu_sign(cases[i].type, cases[i].payload,
				    &cases[i].signer, 1);
		struct hs_err e;

		tu_check_err(&bad, cases[i].what, load(env, strlen(env), &e),
			     &e, -EKEYREJECTED, cases[i].text);
		free(env);
	}
	assert_int_equal(bad, 0);
	free(manifest);
	free(v1);
	free(two);
}

static void test_root_load_too_big(void **state)
{
	const size_t n = HS_ROOT_MAX_BYTES + 1;
	char *buf = malloc(n);
	struct hs_err e;

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', n);
	buf[0] = '{';
	buf[n - 1] = '}';
	tu_assert_err(load(buf, n, &e), &e, -EFBIG, "exceeds");
	free(buf);
}

static void test_root_next_rotation(void **state)
{
	struct tu_keys *f = *state;
	struct root *v1 = tu_root_v1(f, NOW + 365 * DAY);
	struct key *signers[] = {f->r1, f->n1};
	char *env = root_v2_env(f, DSSE_TYPE_ROOT, 2, signers, 2);
	struct root *v2 = NULL;
	char *mpayload = tu_manifest_payload(1, NOW + DAY, "2.1.0");
	char *menv = tu_sign(DSSE_TYPE_MANIFEST, mpayload, &f->m2, 1);
	char sha[65];
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(trust_root_next(v1, env, strlen(env), &v2, &e), 0);
	assert_non_null(v2);
	assert_int_equal(root_version(v2), 2);
	assert_string_equal(key_id(root_role(v2, ROOT_ROLE_ROOT)->keys[0]),
			    key_id(f->n1));

	/* The new manifest key is trusted under v2, and only there. */
	assert_int_equal(tu_manifest_check(v2, menv, &first_prev, NOW, sha, &e),
			 0);
	tu_assert_err(tu_manifest_check(v1, menv, &first_prev, NOW, sha, &e),
		      &e, -EKEYREJECTED, "unknown keys");

	/* The stored v2 loads on its own (it is signed by its own key). */
	root_free(v2);
	v2 = tu_root_load(env);
	assert_int_equal(root_version(v2), 2);
	root_free(v2);
	free(menv);
	free(mpayload);
	free(env);
	root_free(v1);
}

static void test_root_next_refused(void **state)
{
	struct tu_keys *f = *state;
	struct key *old_only[] = {f->r1};
	struct key *new_only[] = {f->n1};
	struct key *both[] = {f->r1, f->n1};
	const struct {
		const char *what;
		const char *type;
		uint64_t version;
		struct key *const *signers;
		size_t n;
		int want;
		const char *text;
	} cases[] = {
		{"new keys only", DSSE_TYPE_ROOT, 2, new_only, 1, -EKEYREJECTED,
		 "unknown keys"},
		{"old keys only", DSSE_TYPE_ROOT, 2, old_only, 1, -EKEYREJECTED,
		 "by its own keys"},
		{"no signature", DSSE_TYPE_ROOT, 2, both, 0, -EKEYREJECTED,
		 "missing signature"},
		{"manifest type", DSSE_TYPE_MANIFEST, 2, both, 2, -EKEYREJECTED,
		 "payload type"},
		{"skip v1 to v3", DSSE_TYPE_ROOT, 3, both, 2, -ESTALE,
		 "rollback or skip"},
		{"v1 again", DSSE_TYPE_ROOT, 1, both, 2, -ESTALE, "rollback"},
	};
	struct root *v1 = tu_root_v1(f, NOW + 365 * DAY);
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *env = root_v2_env(f, cases[i].type, cases[i].version,
					cases[i].signers, cases[i].n);
		struct hs_err e;

		tu_check_err(&bad, cases[i].what, next(v1, env, &e), &e,
			     cases[i].want, cases[i].text);
		free(env);
	}
	assert_int_equal(bad, 0);
	root_free(v1);
}

/* v1 itself, again: the same version is a rollback, not a no-op. */
static void test_root_next_same_root(void **state)
{
	struct tu_keys *f = *state;
	char *payload = tu_root_v1_payload(f, NOW + 365 * DAY);
	char *env = tu_sign(DSSE_TYPE_ROOT, payload, &f->r1, 1);
	struct root *v1 = tu_root_load(env);
	struct hs_err e;

	tu_assert_err(next(v1, env, &e), &e, -ESTALE, "rollback");
	root_free(v1);
	free(env);
	free(payload);
}

/* With a 2-of-2 root role, the next root needs both old keys. */
static void test_root_next_old_threshold(void **state)
{
	struct tu_keys *f = *state;
	struct key *full[] = {f->r1, f->r2, f->n1};
	struct key *partial[] = {f->r1, f->n1};
	char *payload = two_of_two_payload(f);
	char *env = tu_sign(DSSE_TYPE_ROOT, payload, full, 2);
	struct root *v1 = tu_root_load(env);
	char *next_env;
	struct hs_err e;

	next_env = root_v2_env(f, DSSE_TYPE_ROOT, 2, partial, 2);
	tu_assert_err(next(v1, next_env, &e), &e, -EKEYREJECTED,
		      "too few valid signatures: 1 of 2");
	free(next_env);

	next_env = root_v2_env(f, DSSE_TYPE_ROOT, 2, full, 3);
	assert_int_equal(next(v1, next_env, &e), 0);
	free(next_env);
	root_free(v1);
	free(env);
	free(payload);
}

static void test_check_fresh(void **state)
{
	struct tu_keys *f = *state;
	/* An expired root still loads: it may vouch for its successor. */
	struct root *root = tu_root_v1(f, NOW);
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(trust_check_fresh(root, NOW - 1, &e), 0);
	tu_assert_err(trust_check_fresh(root, NOW, &e), &e, -ESTALE, "freeze");
	tu_assert_err(trust_check_fresh(root, NOW + DAY, &e), &e, -ESTALE,
		      "freeze");
	assert_non_null(strstr(e.msg, "2026-11-25T08:00:00Z"));
	root_free(root);
}

/*
 * Copies s into out with "{r1}" and "{m1}" replaced by those keys' ids, and
 * "{m1public}" by m1's raw public key in base64.
 */
static void expand_ids(const struct tu_keys *f, const char *s, char *out,
		       size_t n)
{
	char *m1_public = hs_b64_encode(key_raw(f->m1), KEY_RAW_LEN);
	const struct {
		const char *token;
		const char *text;
	} subs[] = {
		{"{r1}", key_id(f->r1)},
		{"{m1}", key_id(f->m1)},
		{"{m1public}", m1_public},
	};
	size_t o = 0;
	size_t i;

	assert_non_null(m1_public);
	while (*s != '\0') {
		for (i = 0; i < TU_ARRAY_SIZE(subs); i++)
			if (strncmp(s, subs[i].token, strlen(subs[i].token)) ==
			    0)
				break;
		if (i < TU_ARRAY_SIZE(subs)) {
			const size_t len = strlen(subs[i].text);

			assert_true(o + len < n);
			memcpy(out + o, subs[i].text, len);
			o += len;
			s += strlen(subs[i].token);
			continue;
		}
		assert_true(o + 1 < n);
		out[o++] = *s++;
	}
	out[o] = '\0';
	free(m1_public);
}

/* Root payloads with one thing wrong, each signed by r1: -EBADMSG. */
static void test_root_bad_payload(void **state)
{
	static const struct {
		const char *what;
		const char *path; /* '/'-separated; {r1}, {m1} stand for ids */
		const char *value; /* JSON, or NULL to delete */
		const char *text;
	} cases[] = {
		{"wrong _type", "_type", "\"manifest\"", "'_type'"},
		{"no version", "version", NULL, "'version' is missing"},
		{"version 0", "version", "0", "'version' is 0"},
		{"version string", "version", "\"1\"", "'version'"},
		{"no expires", "expires", NULL, "'expires' is missing"},
		{"bad expires", "expires", "\"2031\"", "'expires'"},
		{"no keys", "keys", NULL, "'keys' is missing"},
		{"no roles", "roles", NULL, "'roles' is missing"},
		{"missing manifest role", "roles/manifest", NULL,
		 "'manifest' is missing"},
		{"missing root role", "roles/root", NULL, "'root' is missing"},
		{"keyid not the key's", "keys/{r1}/public", "\"{m1public}\"",
		 "not the SHA-256 of its key"},
		{"keytype", "keys/{r1}/keytype", "\"rsa\"", "keytype"},
		{"no keytype", "keys/{r1}/keytype", NULL,
		 "'keytype' is missing"},
		{"no public", "keys/{r1}/public", NULL, "'public' is missing"},
		{"public not base64", "keys/{r1}/public", "\"not base64!\"",
		 "base64"},
		{"public of 31 bytes", "keys/{r1}/public",
		 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"", "key"},
		{"key not an object", "keys/{r1}", "\"x\"", "not an object"},
		{"role keyid not in keys", "roles/manifest/keyids",
		 "[\"000000000000000000000000000000000000000000000000000000000"
		 "0000000\"]",
		 "not in 'keys'"},
		{"role keyid not a string", "roles/manifest/keyids", "[1]",
		 "not in 'keys'"},
		{"role without keyids", "roles/manifest/keyids", "[]",
		 "keyids"},
		{"keyids not a list", "roles/manifest/keyids", "\"{m1}\"",
		 "keyids"},
		{"keyid listed twice", "roles/manifest/keyids",
		 "[\"{m1}\", \"{m1}\"]", "listed twice"},
		{"threshold 0", "roles/manifest/threshold", "0",
		 "'threshold' is 0"},
		{"threshold above keys", "roles/manifest/threshold", "2",
		 "'threshold'"},
		{"root threshold above keys", "roles/root/threshold", "2",
		 "'threshold'"},
		{"threshold negative", "roles/manifest/threshold", "-1",
		 "'threshold'"},
		{"no threshold", "roles/manifest/threshold", NULL,
		 "'threshold' is missing"},
	};
	struct tu_keys *f = *state;
	char *good = tu_root_v1_payload(f, NOW + DAY);
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char path[256];
		char value[512];
		struct hs_err e;
		char *payload;
		char *env;

		expand_ids(f, cases[i].path, path, sizeof(path));
		if (cases[i].value != NULL)
			expand_ids(f, cases[i].value, value, sizeof(value));
		payload = tu_json_edit(good, path,
				       cases[i].value != NULL ? value : NULL);
		env = tu_sign(DSSE_TYPE_ROOT, payload, &f->r1, 1);
		tu_check_err(&bad, cases[i].what, load(env, strlen(env), &e),
			     &e, -EBADMSG, cases[i].text);
		free(env);
		free(payload);
	}
	assert_int_equal(bad, 0);
	free(good);
}

/* root_build refuses thresholds that root_parse would refuse. */
static void test_root_build_thresholds(void **state)
{
	struct tu_keys *f = *state;
	const struct tu_role one = {{f->r1}, 1, 1};
	const struct tu_role zero = {{f->m1}, 1, 0};
	const struct tu_role above = {{f->m1}, 1, 2};
	const struct tu_role *bad_roles[] = {&zero, &above};
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(bad_roles); i++) {
		struct key *const *const keys[ROOT_ROLE_COUNT] = {
			one.keys, bad_roles[i]->keys};
		const size_t n[ROOT_ROLE_COUNT] = {1, 1};
		const size_t t[ROOT_ROLE_COUNT] = {1, bad_roles[i]->threshold};
		char *json = NULL;
		struct hs_err e;

		hs_err_clear(&e);
		assert_int_equal(root_build(1, NOW, keys, n, t, &json, &e),
				 -EINVAL);
		assert_null(json);
		assert_non_null(strstr(e.msg, "manifest"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_load_self_signed),
		cmocka_unit_test(test_root_load_two_of_two),
		cmocka_unit_test(test_root_load_refused),
		cmocka_unit_test(test_root_load_too_big),
		cmocka_unit_test(test_root_next_rotation),
		cmocka_unit_test(test_root_next_refused),
		cmocka_unit_test(test_root_next_same_root),
		cmocka_unit_test(test_root_next_old_threshold),
		cmocka_unit_test(test_check_fresh),
		cmocka_unit_test(test_root_bad_payload),
		cmocka_unit_test(test_root_build_thresholds),
	};

	return cmocka_run_group_tests(tests, tu_keys_setup, tu_keys_teardown);
}
