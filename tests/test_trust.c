/*
 * test_trust.c - unit tests for manifest/trust.h (with root.h and
 * manifest.h underneath): real roots and manifests built with root_build,
 * manifest_build and dsse_sign, then loaded, rotated, checked for rollback,
 * serial reuse and freeze, and refused when any field is missing or wrong.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "dsse.h"
#include "hs_limits.h"
#include "manifest.h"
#include "root.h"
#include "str.h"
#include "trust.h"

#define NOW ((int64_t)1795593600) /* 2026-11-25T08:00:00Z */
#define DAY ((int64_t)86400)

/*
 * Keys: r1 and r2 sign roots, m1 and m2 sign manifests, n1 is the root key
 * that a rotation brings in, x1 is trusted by nobody.
 */
struct fixture {
	struct key *r1;
	struct key *r2;
	struct key *m1;
	struct key *m2;
	struct key *n1;
	struct key *x1;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || key_generate(&f->r1, NULL) < 0 ||
	    key_generate(&f->r2, NULL) < 0 || key_generate(&f->m1, NULL) < 0 ||
	    key_generate(&f->m2, NULL) < 0 || key_generate(&f->n1, NULL) < 0 ||
	    key_generate(&f->x1, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	key_free(f->x1);
	key_free(f->n1);
	key_free(f->m2);
	key_free(f->m1);
	key_free(f->r2);
	key_free(f->r1);
	free(f);
	return 0;
}

/* Checks a refusal: the code, and a piece of the message. */
static void assert_refused(int r, const struct hs_err *e, int want,
			   const char *text)
{
	if (r != want || e->code != want || strstr(e->msg, text) == NULL)
		fail_msg("got %d '%s', want %d with '%s'", r, e->msg, want,
			 text);
}

/* A set of keys with a threshold: one role of a root. */
struct role_spec {
	struct key *keys[4];
	size_t n;
	size_t threshold;
};

static char *root_payload(uint64_t version, int64_t expires,
			  const struct role_spec *root_role,
			  const struct role_spec *manifest_role)
{
	struct key *const *const keys[ROOT_ROLE_COUNT] = {
		[ROOT_ROLE_ROOT] = root_role->keys,
		[ROOT_ROLE_MANIFEST] = manifest_role->keys,
	};
	const size_t n[ROOT_ROLE_COUNT] = {
		[ROOT_ROLE_ROOT] = root_role->n,
		[ROOT_ROLE_MANIFEST] = manifest_role->n,
	};
	const size_t thresholds[ROOT_ROLE_COUNT] = {
		[ROOT_ROLE_ROOT] = root_role->threshold,
		[ROOT_ROLE_MANIFEST] = manifest_role->threshold,
	};
	struct hs_err e;
	char *json = NULL;

	hs_err_clear(&e);
	if (root_build(version, expires, keys, n, thresholds, &json, &e) < 0)
		fail_msg("root_build: %s", e.msg);
	return json;
}

/* An envelope of payload signed by n keys; the caller frees it. */
static char *sign(const char *type, const char *payload,
		  struct key *const *keys, size_t n)
{
	struct hs_err e;
	char *json = NULL;

	hs_err_clear(&e);
	if (dsse_sign(type, payload, strlen(payload), keys, n, &json, &e) < 0)
		fail_msg("dsse_sign: %s", e.msg);
	return json;
}

/* Root v1: root role r1 (threshold 1), manifest role m1 (threshold 1). */
static char *root_v1_payload(const struct fixture *f, int64_t expires)
{
	const struct role_spec rr = {{f->r1}, 1, 1};
	const struct role_spec mr = {{f->m1}, 1, 1};

	return root_payload(1, expires, &rr, &mr);
}

static struct root *load_root(const char *env)
{
	struct root *root = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	if (trust_root_load(env, strlen(env), &root, &e) < 0)
		fail_msg("trust_root_load: %s", e.msg);
	return root;
}

static struct root *root_v1(const struct fixture *f)
{
	char *payload = root_v1_payload(f, NOW + 365 * DAY);
	struct key *signers[] = {f->r1};
	char *env = sign(DSSE_TYPE_ROOT, payload, signers, 1);
	struct root *root = load_root(env);

	free(env);
	free(payload);
	return root;
}

static void set_component(struct manifest_component *c, const char *name,
			  const char *version, const char *minimum,
			  enum manifest_restart restart, char hexdigit)
{
	assert_int_equal(hs_strlcpy(c->name, name, sizeof(c->name)), 0);
	assert_int_equal(hs_strlcpy(c->version, version, sizeof(c->version)),
			 0);
	assert_int_equal(hs_strlcpy(c->minimum, minimum, sizeof(c->minimum)),
			 0);
	c->restart = restart;
	memset(c->package.sha256, hexdigit, 64);
	c->package.sha256[64] = '\0';
	assert_int_equal(hs_snprintf(c->package.url, sizeof(c->package.url),
				     "packages/%s/%s.tar.zst", name,
				     c->package.sha256),
			 0);
	c->package.size = 123456;
}

/* A good manifest payload; its components are given out of order. */
static char *manifest_payload(uint64_t serial, int64_t expires,
			      const char *cardreader_version)
{
	struct manifest_component cs[3];
	struct manifest m;
	struct hs_err e;
	char *json = NULL;

	memset(cs, 0, sizeof(cs));
	set_component(&cs[0], "linkage", "3.2", "3.0", MANIFEST_RESTART_NONE,
		      'c');
	set_component(&cs[1], "cardreader", cardreader_version, "2.0.0",
		      MANIFEST_RESTART_APP, 'a');
	set_component(&cs[2], "face-lib_2", "1.0-rc.1", "0.9",
		      MANIFEST_RESTART_SYSTEM, 'f');
	m.serial = serial;
	m.expires = expires;
	m.components = cs;
	m.n_components = 3;
	hs_err_clear(&e);
	if (manifest_build(&m, &json, &e) < 0)
		fail_msg("manifest_build: %s", e.msg);
	return json;
}

static char *manifest_env(const struct fixture *f, const char *payload)
{
	struct key *signers[] = {f->m1};

	return sign(DSSE_TYPE_MANIFEST, payload, signers, 1);
}

static const struct trust_prev first_prev = {0, ""};

/* Runs trust_manifest on env; frees any manifest it returns. */
static int check_manifest(const struct root *root, const char *env,
			  const struct trust_prev *prev, int64_t now,
			  char sha256[65], struct hs_err *e)
{
	struct manifest *m = NULL;
	int r;

	hs_err_clear(e);
	r = trust_manifest(root, env, strlen(env), prev, now, &m, sha256, e);
	assert_true(r == 0 ? m != NULL : m == NULL);
	manifest_free(m);
	return r;
}

static void sha256_hex(const char *p, char out[65])
{
	uint8_t digest[32];

	assert_int_equal(
		EVP_Digest(p, strlen(p), digest, NULL, EVP_sha256(), NULL), 1);
	hs_hex(digest, sizeof(digest), out);
}

/* Walks '/'-separated object keys from j; NULL when one is missing. */
static json_t *json_at(json_t *j, const char *path)
{
	char buf[256];
	char *save = NULL;
	char *part;

	assert_int_equal(hs_strlcpy(buf, path, sizeof(buf)), 0);
	for (part = strtok_r(buf, "/", &save); part != NULL && j != NULL;
	     part = strtok_r(NULL, "/", &save))
		j = json_object_get(j, part);
	return j;
}

/*
 * Returns payload with the field at path set to value (stolen), or deleted
 * when value is NULL.  The caller frees the string.
 */
static char *edit_payload(const char *payload, const char *path, json_t *value)
{
	json_t *j = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	const char *slash = strrchr(path, '/');
	json_t *parent = j;
	char parent_path[256];
	char *out;

	assert_non_null(j);
	if (slash != NULL) {
		assert_true((size_t)(slash - path) < sizeof(parent_path));
		memcpy(parent_path, path, (size_t)(slash - path));
		parent_path[slash - path] = '\0';
		parent = json_at(j, parent_path);
	}
	assert_non_null(parent);
	if (value == NULL)
		assert_int_equal(
			json_object_del(parent, slash ? slash + 1 : path), 0);
	else
		assert_int_equal(json_object_set_new(parent,
						     slash ? slash + 1 : path,
						     value),
				 0);
	out = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
	assert_non_null(out);
	json_decref(j);
	return out;
}

/* Roots. */

static void test_root_load_self_signed(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
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

static void test_root_load_two_of_two(void **state)
{
	struct fixture *f = *state;
	const struct role_spec rr = {{f->r1, f->r2}, 2, 2};
	const struct role_spec mr = {{f->m1, f->m2}, 2, 1};
	char *payload = root_payload(1, NOW + DAY, &rr, &mr);
	struct key *both[] = {f->r1, f->r2};
	struct key *one[] = {f->r2};
	char *env = sign(DSSE_TYPE_ROOT, payload, both, 2);
	struct root *root = load_root(env);
	struct hs_err e;

	assert_int_equal(root_role(root, ROOT_ROLE_ROOT)->threshold, 2);
	assert_int_equal(root_role(root, ROOT_ROLE_MANIFEST)->n_keys, 2);
	root_free(root);
	root = NULL;
	free(env);

	env = sign(DSSE_TYPE_ROOT, payload, one, 1);
	hs_err_clear(&e);
	assert_refused(trust_root_load(env, strlen(env), &root, &e), &e,
		       -EKEYREJECTED, "too few valid signatures: 1 of 2");
	assert_null(root);
	free(env);
	free(payload);
}

static void test_root_load_wrong_signer(void **state)
{
	struct fixture *f = *state;
	char *payload = root_v1_payload(f, NOW + DAY);
	/* m1 is in the root's keys, but in the manifest role only. */
	struct key *manifest_key[] = {f->m1};
	struct key *outsider[] = {f->x1};
	struct key *const *signers[] = {manifest_key, outsider};
	struct root *root = NULL;
	struct hs_err e;
	size_t i;

	for (i = 0; i < 2; i++) {
		char *env = sign(DSSE_TYPE_ROOT, payload, signers[i], 1);

		hs_err_clear(&e);
		assert_refused(trust_root_load(env, strlen(env), &root, &e), &e,
			       -EKEYREJECTED, "unknown keys");
		assert_null(root);
		free(env);
	}
	free(payload);
}

static void test_root_load_wrong_type(void **state)
{
	struct fixture *f = *state;
	char *payload = root_v1_payload(f, NOW + DAY);
	struct key *signers[] = {f->r1};
	char *env = sign(DSSE_TYPE_MANIFEST, payload, signers, 1);
	char *mpayload = manifest_payload(1, NOW + DAY, "2.1.0");
	char *menv = manifest_env(f, mpayload);
	struct root *root = NULL;
	struct hs_err e;

	/* A root payload under the manifest type. */
	hs_err_clear(&e);
	assert_refused(trust_root_load(env, strlen(env), &root, &e), &e,
		       -EKEYREJECTED, "payload type");
	assert_null(root);
	/* A real manifest envelope. */
	assert_refused(trust_root_load(menv, strlen(menv), &root, &e), &e,
		       -EKEYREJECTED, "payload type");
	assert_null(root);
	free(menv);
	free(mpayload);
	free(env);
	free(payload);
}

static void test_root_load_too_big(void **state)
{
	const size_t n = HS_ROOT_MAX_BYTES + 1;
	char *buf = malloc(n);
	struct root *root = NULL;
	struct hs_err e;

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', n);
	buf[0] = '{';
	buf[n - 1] = '}';
	hs_err_clear(&e);
	assert_refused(trust_root_load(buf, n, &root, &e), &e, -EFBIG,
		       "exceeds");
	assert_null(root);
	free(buf);
}

/* The next root: v2 with n1 as its root key, signed by the given keys. */
static char *root_v2_env(const struct fixture *f, uint64_t version,
			 struct key *const *signers, size_t n)
{
	const struct role_spec rr = {{f->n1}, 1, 1};
	const struct role_spec mr = {{f->m2}, 1, 1};
	char *payload = root_payload(version, NOW + 365 * DAY, &rr, &mr);
	char *env = sign(DSSE_TYPE_ROOT, payload, signers, n);

	free(payload);
	return env;
}

static void test_root_next_rotation(void **state)
{
	struct fixture *f = *state;
	struct root *v1 = root_v1(f);
	struct key *signers[] = {f->r1, f->n1};
	char *env = root_v2_env(f, 2, signers, 2);
	struct root *v2 = NULL;
	char *mpayload = manifest_payload(1, NOW + DAY, "2.1.0");
	struct key *m2[] = {f->m2};
	char *menv = sign(DSSE_TYPE_MANIFEST, mpayload, m2, 1);
	char sha[65];
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(trust_root_next(v1, env, strlen(env), &v2, &e), 0);
	assert_non_null(v2);
	assert_int_equal(root_version(v2), 2);
	assert_string_equal(key_id(root_role(v2, ROOT_ROLE_ROOT)->keys[0]),
			    key_id(f->n1));

	/* The new manifest key is trusted under v2, and only there. */
	assert_int_equal(check_manifest(v2, menv, &first_prev, NOW, sha, &e),
			 0);
	assert_refused(check_manifest(v1, menv, &first_prev, NOW, sha, &e), &e,
		       -EKEYREJECTED, "unknown keys");

	/* The stored v2 loads on its own (it is signed by its own key). */
	root_free(v2);
	v2 = load_root(env);
	assert_int_equal(root_version(v2), 2);
	root_free(v2);
	free(menv);
	free(mpayload);
	free(env);
	root_free(v1);
}

static void test_root_next_refused(void **state)
{
	struct fixture *f = *state;
	struct key *old_only[] = {f->r1};
	struct key *new_only[] = {f->n1};
	struct key *both[] = {f->r1, f->n1};
	const struct {
		const char *what;
		uint64_t version;
		struct key *const *signers;
		size_t n;
		int want;
		const char *text;
	} cases[] = {
		{"new keys only", 2, new_only, 1, -EKEYREJECTED,
		 "unknown keys"},
		{"old keys only", 2, old_only, 1, -EKEYREJECTED,
		 "by its own keys"},
		{"no signature", 2, both, 0, -EKEYREJECTED,
		 "missing signature"},
		{"skip v1 to v3", 3, both, 2, -ESTALE, "rollback or skip"},
		{"v1 again", 1, both, 2, -ESTALE, "rollback"},
	};
	struct root *v1 = root_v1(f);
	size_t bad = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env = root_v2_env(f, cases[i].version, cases[i].signers,
					cases[i].n);
		struct root *next = NULL;
		struct hs_err e;
		int r;

		hs_err_clear(&e);
		r = trust_root_next(v1, env, strlen(env), &next, &e);
		if (r != cases[i].want || next != NULL ||
		    strstr(e.msg, cases[i].text) == NULL) {
			print_error("%s: got %d '%s', want %d with '%s'\n",
				    cases[i].what, r, e.msg, cases[i].want,
				    cases[i].text);
			bad++;
		}
		root_free(next);
		free(env);
	}
	assert_int_equal(bad, 0);
	root_free(v1);
}

/* v1 itself, re-signed: the same version is a rollback, not a no-op. */
static void test_root_next_same_root(void **state)
{
	struct fixture *f = *state;
	char *payload = root_v1_payload(f, NOW + 365 * DAY);
	struct key *signers[] = {f->r1};
	char *env = sign(DSSE_TYPE_ROOT, payload, signers, 1);
	struct root *v1 = load_root(env);
	struct root *next = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	assert_refused(trust_root_next(v1, env, strlen(env), &next, &e), &e,
		       -ESTALE, "rollback");
	assert_null(next);
	root_free(v1);
	free(env);
	free(payload);
}

/* With a 2-of-2 root role, the next root needs both old keys. */
static void test_root_next_old_threshold(void **state)
{
	struct fixture *f = *state;
	const struct role_spec rr = {{f->r1, f->r2}, 2, 2};
	const struct role_spec mr = {{f->m1}, 1, 1};
	char *payload = root_payload(1, NOW + DAY, &rr, &mr);
	struct key *r12[] = {f->r1, f->r2};
	char *env = sign(DSSE_TYPE_ROOT, payload, r12, 2);
	struct root *v1 = load_root(env);
	struct key *partial[] = {f->r1, f->n1};
	struct key *full[] = {f->r1, f->r2, f->n1};
	char *next_env;
	struct root *next = NULL;
	struct hs_err e;

	next_env = root_v2_env(f, 2, partial, 2);
	hs_err_clear(&e);
	assert_refused(
		trust_root_next(v1, next_env, strlen(next_env), &next, &e), &e,
		-EKEYREJECTED, "too few valid signatures: 1 of 2");
	assert_null(next);
	free(next_env);

	next_env = root_v2_env(f, 2, full, 3);
	assert_int_equal(
		trust_root_next(v1, next_env, strlen(next_env), &next, &e), 0);
	root_free(next);
	free(next_env);
	root_free(v1);
	free(env);
	free(payload);
}

static void test_root_next_wrong_type(void **state)
{
	struct fixture *f = *state;
	const struct role_spec rr = {{f->n1}, 1, 1};
	const struct role_spec mr = {{f->m1}, 1, 1};
	char *payload = root_payload(2, NOW + DAY, &rr, &mr);
	struct key *both[] = {f->r1, f->n1};
	char *env = sign(DSSE_TYPE_MANIFEST, payload, both, 2);
	struct root *v1 = root_v1(f);
	struct root *next = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	assert_refused(trust_root_next(v1, env, strlen(env), &next, &e), &e,
		       -EKEYREJECTED, "payload type");
	assert_null(next);
	root_free(v1);
	free(env);
	free(payload);
}

static void test_check_fresh(void **state)
{
	struct fixture *f = *state;
	char *payload = root_v1_payload(f, NOW);
	struct key *signers[] = {f->r1};
	char *env = sign(DSSE_TYPE_ROOT, payload, signers, 1);
	/* An expired root still loads: it may vouch for its successor. */
	struct root *root = load_root(env);
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(trust_check_fresh(root, NOW - 1, &e), 0);
	assert_refused(trust_check_fresh(root, NOW, &e), &e, -ESTALE, "freeze");
	assert_refused(trust_check_fresh(root, NOW + DAY, &e), &e, -ESTALE,
		       "freeze");
	assert_non_null(strstr(e.msg, "2026-11-25T08:00:00Z"));
	root_free(root);
	free(env);
	free(payload);
}

/* Manifests. */

static void test_manifest_good(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *payload = manifest_payload(7, NOW + 7 * DAY, "2.1.0");
	char *env = manifest_env(f, payload);
	const struct trust_prev prev = {6, "0000"};
	const struct manifest_component *c;
	struct manifest *m = NULL;
	char want_sha[65];
	char sha[65];
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(
		trust_manifest(root, env, strlen(env), &prev, NOW, &m, sha, &e),
		0);
	sha256_hex(payload, want_sha);
	assert_string_equal(sha, want_sha);
	assert_int_equal(m->serial, 7);
	assert_int_equal(m->expires, NOW + 7 * DAY);
	assert_int_equal(m->n_components, 3);
	/* Sorted by name. */
	assert_string_equal(m->components[0].name, "cardreader");
	assert_string_equal(m->components[1].name, "face-lib_2");
	assert_string_equal(m->components[2].name, "linkage");

	c = manifest_find(m, "cardreader");
	assert_non_null(c);
	assert_string_equal(c->version, "2.1.0");
	assert_string_equal(c->minimum, "2.0.0");
	assert_int_equal(c->restart, MANIFEST_RESTART_APP);
	assert_int_equal(c->package.size, 123456);
	assert_true(hs_is_sha256_hex(c->package.sha256));
	assert_memory_equal(c->package.url, "packages/cardreader/", 20);
	c = manifest_find(m, "face-lib_2");
	assert_non_null(c);
	assert_int_equal(c->restart, MANIFEST_RESTART_SYSTEM);
	assert_string_equal(c->version, "1.0-rc.1");
	c = manifest_find(m, "linkage");
	assert_non_null(c);
	assert_int_equal(c->restart, MANIFEST_RESTART_NONE);
	assert_null(manifest_find(m, "nope"));
	assert_null(manifest_find(m, ""));
	assert_null(manifest_find(m, "cardreade"));
	manifest_free(m);
	manifest_free(NULL);

	/* The first manifest ever (nothing accepted before). */
	assert_int_equal(check_manifest(root, env, &first_prev, NOW, sha, &e),
			 0);
	free(env);
	free(payload);
	root_free(root);
}

/* Unknown fields are ignored, so later versions can add them. */
static void test_manifest_unknown_fields(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *payload = manifest_payload(7, NOW + DAY, "2.1.0");
	char *p1 = edit_payload(payload, "future", json_string("x"));
	char *p2 =
		edit_payload(p1, "components/cardreader/deltas", json_array());
	char *env = manifest_env(f, p2);
	char sha[65];
	struct hs_err e;

	assert_int_equal(check_manifest(root, env, &first_prev, NOW, sha, &e),
			 0);
	free(env);
	free(p2);
	free(p1);
	free(payload);
	root_free(root);
}

static void test_manifest_wrong_signers(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *payload = manifest_payload(7, NOW + DAY, "2.1.0");
	struct key *root_key[] = {f->r1};
	struct key *outsider[] = {f->x1};
	char *env;
	char sha[65];
	struct hs_err e;

	/* A root key may not sign manifests. */
	env = sign(DSSE_TYPE_MANIFEST, payload, root_key, 1);
	assert_refused(check_manifest(root, env, &first_prev, NOW, sha, &e), &e,
		       -EKEYREJECTED, "manifest: signed by unknown keys");
	free(env);
	env = sign(DSSE_TYPE_MANIFEST, payload, outsider, 1);
	assert_refused(check_manifest(root, env, &first_prev, NOW, sha, &e), &e,
		       -EKEYREJECTED, "unknown keys");
	free(env);
	env = sign(DSSE_TYPE_MANIFEST, payload, outsider, 0);
	assert_refused(check_manifest(root, env, &first_prev, NOW, sha, &e), &e,
		       -EKEYREJECTED, "missing signature");
	free(env);
	/* The right key under the root's payload type. */
	env = sign(DSSE_TYPE_ROOT, payload, (struct key *[]){f->m1}, 1);
	assert_refused(check_manifest(root, env, &first_prev, NOW, sha, &e), &e,
		       -EKEYREJECTED, "payload type");
	free(env);
	free(payload);
	root_free(root);
}

static void test_manifest_threshold(void **state)
{
	struct fixture *f = *state;
	const struct role_spec rr = {{f->r1}, 1, 1};
	const struct role_spec mr = {{f->m1, f->m2}, 2, 2};
	char *rpayload = root_payload(1, NOW + DAY, &rr, &mr);
	char *renv = sign(DSSE_TYPE_ROOT, rpayload, rr.keys, 1);
	struct root *root = load_root(renv);
	char *payload = manifest_payload(7, NOW + DAY, "2.1.0");
	struct key *one[] = {f->m2};
	struct key *same_twice[] = {f->m1, f->m1};
	struct key *both[] = {f->m1, f->m2};
	char *env;
	char sha[65];
	struct hs_err e;

	env = sign(DSSE_TYPE_MANIFEST, payload, one, 1);
	assert_refused(check_manifest(root, env, &first_prev, NOW, sha, &e), &e,
		       -EKEYREJECTED, "too few valid signatures: 1 of 2");
	free(env);
	env = sign(DSSE_TYPE_MANIFEST, payload, same_twice, 2);
	assert_refused(check_manifest(root, env, &first_prev, NOW, sha, &e), &e,
		       -EKEYREJECTED, "too few");
	free(env);
	env = sign(DSSE_TYPE_MANIFEST, payload, both, 2);
	assert_int_equal(check_manifest(root, env, &first_prev, NOW, sha, &e),
			 0);
	free(env);
	free(payload);
	root_free(root);
	free(renv);
	free(rpayload);
}

static void test_manifest_serial(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *p7 = manifest_payload(7, NOW + DAY, "2.1.0");
	char *p7b = manifest_payload(7, NOW + DAY, "2.2.0");
	char *p8 = manifest_payload(8, NOW + DAY, "2.2.0");
	char *env7 = manifest_env(f, p7);
	char *env7b = manifest_env(f, p7b);
	char *env8 = manifest_env(f, p8);
	struct trust_prev prev = {0, ""};
	char sha7[65];
	char sha[65];
	struct hs_err e;

	assert_int_equal(check_manifest(root, env7, &prev, NOW, sha7, &e), 0);
	prev.serial = 7;
	memcpy(prev.sha256, sha7, sizeof(sha7));

	/* The same manifest again (a repeated check): accepted, same hash. */
	memset(sha, 0, sizeof(sha));
	assert_int_equal(check_manifest(root, env7, &prev, NOW, sha, &e), 0);
	assert_string_equal(sha, sha7);

	/* The same serial with other contents. */
	assert_refused(check_manifest(root, env7b, &prev, NOW, sha, &e), &e,
		       -ESTALE, "serial reuse");

	/* A newer serial; then the old one is a rollback. */
	assert_int_equal(check_manifest(root, env8, &prev, NOW, sha, &e), 0);
	assert_string_not_equal(sha, sha7);
	prev.serial = 8;
	memcpy(prev.sha256, sha, sizeof(sha));
	assert_refused(check_manifest(root, env7, &prev, NOW, sha, &e), &e,
		       -ESTALE, "rollback");
	assert_non_null(strstr(e.msg, "serial 7"));

	free(env8);
	free(env7b);
	free(env7);
	free(p8);
	free(p7b);
	free(p7);
	root_free(root);
}

static void test_manifest_expired(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *payload = manifest_payload(7, NOW, "2.1.0");
	char *env = manifest_env(f, payload);
	char sha[65];
	struct hs_err e;

	assert_int_equal(
		check_manifest(root, env, &first_prev, NOW - 1, sha, &e), 0);
	assert_refused(check_manifest(root, env, &first_prev, NOW, sha, &e), &e,
		       -ESTALE, "freeze");
	assert_refused(
		check_manifest(root, env, &first_prev, NOW + 30 * DAY, sha, &e),
		&e, -ESTALE, "manifest: freeze");
	free(env);
	free(payload);
	root_free(root);
}

/* A signed envelope padded with blanks to exactly n bytes. */
static char *pad_to(const char *env, size_t n)
{
	const size_t len = strlen(env);
	char *buf = malloc(n + 1);

	assert_non_null(buf);
	assert_true(len <= n);
	memcpy(buf, env, len);
	memset(buf + len, ' ', n - len);
	buf[n] = '\0';
	return buf;
}

static void test_manifest_size(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *payload = manifest_payload(7, NOW + DAY, "2.1.0");
	char *env = manifest_env(f, payload);
	char *at_max = pad_to(env, HS_MANIFEST_MAX_BYTES);
	char *over = pad_to(env, HS_MANIFEST_MAX_BYTES + 1);
	char sha[65];
	struct hs_err e;

	assert_int_equal(
		check_manifest(root, at_max, &first_prev, NOW, sha, &e), 0);
	assert_refused(check_manifest(root, over, &first_prev, NOW, sha, &e),
		       &e, -EFBIG, "manifest: ");
	free(over);
	free(at_max);
	free(env);
	free(payload);
	root_free(root);
}

static void test_manifest_malformed_payload(void **state)
{
	static const char *const payloads[] = {
		"",
		"{",
		"not json",
		"[]",
		"{\"_type\": \"manifest\", \"_type\": \"manifest\"}",
		"{\"_type\": \"manifest\"} trailing",
	};
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	size_t bad = 0;
	size_t i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *env = manifest_env(f, payloads[i]);
		char sha[65];
		struct hs_err e;
		const int r =
			check_manifest(root, env, &first_prev, NOW, sha, &e);

		if (r != -EBADMSG || strstr(e.msg, "manifest: ") == NULL) {
			print_error(
				"payload '%s': got %d '%s', want -EBADMSG\n",
				payloads[i], r, e.msg);
			bad++;
		}
		free(env);
	}
	assert_int_equal(bad, 0);
	root_free(root);
}

/* Signs payload with m1 and expects -EBADMSG with text in the message. */
static bool refused_as_format(const struct fixture *f, const struct root *root,
			      const char *what, const char *payload,
			      const char *text)
{
	char *env = manifest_env(f, payload);
	char sha[65];
	struct hs_err e;
	const int r = check_manifest(root, env, &first_prev, NOW, sha, &e);

	free(env);
	if (r == -EBADMSG && strstr(e.msg, text) != NULL)
		return true;
	print_error("%s: got %d '%s', want -EBADMSG with '%s'\n", what, r,
		    e.msg, text);
	return false;
}

static void test_manifest_missing_field(void **state)
{
	static const struct {
		const char *path;
		const char *text;
	} cases[] = {
		{"_type", "'_type' is missing"},
		{"serial", "'serial' is missing"},
		{"expires", "'expires' is missing"},
		{"components", "'components' is missing"},
		{"components/cardreader/version",
		 "component 'cardreader': 'version' is missing"},
		{"components/cardreader/minimum",
		 "component 'cardreader': 'minimum' is missing"},
		{"components/cardreader/restart",
		 "component 'cardreader': 'restart' is missing"},
		{"components/cardreader/package",
		 "component 'cardreader': 'package' is missing"},
		{"components/linkage/package/url",
		 "component 'linkage': 'url' is missing"},
		{"components/linkage/package/size",
		 "component 'linkage': 'size' is missing"},
		{"components/linkage/package/sha256",
		 "component 'linkage': 'sha256' is missing"},
	};
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *good = manifest_payload(7, NOW + DAY, "2.1.0");
	size_t bad = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *payload = edit_payload(good, cases[i].path, NULL);

		if (!refused_as_format(f, root, cases[i].path, payload,
				       cases[i].text))
			bad++;
		free(payload);
	}
	assert_int_equal(bad, 0);
	free(good);
	root_free(root);
}

static void test_manifest_bad_values(void **state)
{
	static const struct {
		const char *path;
		const char *value; /* JSON */
		const char *text;
	} cases[] = {
		{"_type", "\"root\"", "'_type'"},
		{"_type", "1", "'_type'"},
		{"serial", "-1", "'serial'"},
		{"serial", "\"7\"", "'serial'"},
		{"serial", "7.5", "'serial'"},
		{"expires", "\"tomorrow\"", "'expires'"},
		{"expires", "\"2026-11-25T08:00:00+01:00\"", "'expires'"},
		{"expires", "\"2026-11-25T08:00:00\"", "'expires'"},
		{"expires", "1795593600", "'expires'"},
		{"components", "[]", "'components'"},
		{"components/cardreader", "\"2.1.0\"", "cardreader"},
		{"components/cardreader/version", "\"v2\"", "version"},
		{"components/cardreader/version", "\"2.0.staging\"", "version"},
		{"components/cardreader/version", "2", "'version'"},
		{"components/cardreader/minimum", "\"3.0\"",
		 "minimum 3.0 is above version"},
		{"components/cardreader/minimum", "\"2.1.0-rc.1+b\"", ""},
		{"components/cardreader/minimum", "\"2.1.1-rc.1\"", "above"},
		{"components/cardreader/minimum", "\"x\"", "minimum"},
		{"components/cardreader/restart", "\"maybe\"", "restart"},
		{"components/cardreader/restart", "\"App\"", "restart"},
		{"components/cardreader/restart", "\"\"", "restart"},
		{"components/cardreader/package", "\"p.tar.zst\"", "'package'"},
		{"components/cardreader/package/url", "\"../x\"", "url"},
		{"components/cardreader/package/url", "\"a/../../x\"", "url"},
		{"components/cardreader/package/url", "\"/abs\"", "url"},
		{"components/cardreader/package/url", "\"http://evil/x\"",
		 "url"},
		{"components/cardreader/package/url", "\"//evil/x\"", "url"},
		{"components/cardreader/package/url", "\"a//b\"", "url"},
		{"components/cardreader/package/url", "\"a?b=1\"", "url"},
		{"components/cardreader/package/url", "\"a#b\"", "url"},
		{"components/cardreader/package/url", "\"a b\"", "url"},
		{"components/cardreader/package/url", "\"a\\\\b\"", "url"},
		{"components/cardreader/package/url", "\"\"", "url"},
		{"components/cardreader/package/size", "0", "size"},
		{"components/cardreader/package/size", "-1", "'size'"},
		{"components/cardreader/package/size", "\"12\"", "'size'"},
		{"components/cardreader/package/size", "4294967297", "'size'"},
		{"components/cardreader/package/sha256",
		 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		 "AAAA\"",
		 "sha256"},
		{"components/cardreader/package/sha256",
		 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaa\"",
		 "sha256"},
		{"components/cardreader/package/sha256",
		 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaa\"",
		 "sha256"},
		{"components/cardreader/package/sha256",
		 "\"gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaa\"",
		 "sha256"},
		{"components/cardreader/package/sha256", "\"\"", "sha256"},
	};
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *good = manifest_payload(7, NOW + DAY, "2.1.0");
	size_t bad = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
		char *payload;
		char what[512];

		assert_non_null(v);
		payload = edit_payload(good, cases[i].path, v);
		(void)hs_snprintf(what, sizeof(what), "%s = %s", cases[i].path,
				  cases[i].value);
		/* An empty text: the case must be accepted, not refused. */
		if (cases[i].text[0] == '\0') {
			char *env = manifest_env(f, payload);
			char sha[65];
			struct hs_err e;

			if (check_manifest(root, env, &first_prev, NOW, sha,
					   &e) != 0) {
				print_error("%s: refused: %s\n", what, e.msg);
				bad++;
			}
			free(env);
		} else if (!refused_as_format(f, root, what, payload,
					      cases[i].text)) {
			bad++;
		}
		free(payload);
	}
	assert_int_equal(bad, 0);
	free(good);
	root_free(root);
}

static void test_manifest_bad_component_name(void **state)
{
	static const char *const names[] = {
		"../etc",
		"..",
		".",
		"Card",
		"-x",
		"a/b",
		"",
		"a..b",
		"a-very-long-component-name-that-goes-on-and-on-past-sixty-four-bytes",
	};
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *good = manifest_payload(7, NOW + DAY, "2.1.0");
	json_t *j = json_loads(good, 0, NULL);
	json_t *cr;
	size_t bad = 0;
	size_t i;

	assert_non_null(j);
	cr = json_at(j, "components/cardreader");
	assert_non_null(cr);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *copy = json_deep_copy(j);
		char *payload;

		assert_non_null(copy);
		assert_int_equal(
			json_object_set(json_object_get(copy, "components"),
					names[i], cr),
			0);
		payload = json_dumps(copy, JSON_SORT_KEYS);
		assert_non_null(payload);
		if (!refused_as_format(f, root, names[i], payload,
				       "invalid component name"))
			bad++;
		free(payload);
		json_decref(copy);
	}
	assert_int_equal(bad, 0);
	json_decref(j);
	free(good);
	root_free(root);
}

/* A payload with n copies of cardreader, named c000, c001, ... */
static char *payload_with_components(const char *good, size_t n)
{
	json_t *j = json_loads(good, 0, NULL);
	json_t *cs = json_object();
	json_t *cr;
	char *out;
	size_t i;

	assert_non_null(j);
	assert_non_null(cs);
	cr = json_at(j, "components/cardreader");
	assert_non_null(cr);
	for (i = 0; i < n; i++) {
		char name[16];

		assert_int_equal(hs_snprintf(name, sizeof(name), "c%03zu", i),
				 0);
		assert_int_equal(json_object_set(cs, name, cr), 0);
	}
	assert_int_equal(json_object_set_new(j, "components", cs), 0);
	out = json_dumps(j, JSON_SORT_KEYS);
	assert_non_null(out);
	json_decref(j);
	return out;
}

static void test_manifest_max_components(void **state)
{
	struct fixture *f = *state;
	struct root *root = root_v1(f);
	char *good = manifest_payload(7, NOW + DAY, "2.1.0");
	char *at_max =
		payload_with_components(good, HS_MANIFEST_MAX_COMPONENTS);
	char *over =
		payload_with_components(good, HS_MANIFEST_MAX_COMPONENTS + 1);
	char *env = manifest_env(f, at_max);
	struct manifest *m = NULL;
	char sha[65];
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(trust_manifest(root, env, strlen(env), &first_prev,
					NOW, &m, sha, &e),
			 0);
	assert_int_equal(m->n_components, HS_MANIFEST_MAX_COMPONENTS);
	assert_non_null(manifest_find(m, "c255"));
	assert_string_equal(m->components[0].name, "c000");
	manifest_free(m);
	free(env);
	assert_true(refused_as_format(f, root, "too many components", over,
				      "components"));
	free(over);
	free(at_max);
	free(good);
	root_free(root);
}

/* Root payloads with one thing wrong, each signed by r1. */

struct root_edit {
	const char *what;
	const char *path; /* '/'-separated; {r1}, {m1} stand for key ids */
	const char *value; /* JSON, or NULL to delete */
	int want;
	const char *text;
};

/* Replaces "{r1}" and "{m1}" in s with those keys' ids. */
static void expand_ids(const struct fixture *f, const char *s, char *out,
		       size_t n)
{
	size_t o = 0;

	while (*s != '\0') {
		const char *id = NULL;

		if (strncmp(s, "{r1}", 4) == 0)
			id = key_id(f->r1);
		else if (strncmp(s, "{m1}", 4) == 0)
			id = key_id(f->m1);
		if (id != NULL) {
			assert_true(o + KEY_ID_LEN < n);
			memcpy(out + o, id, KEY_ID_LEN);
			o += KEY_ID_LEN;
			s += 4;
			continue;
		}
		assert_true(o + 1 < n);
		out[o++] = *s++;
	}
	out[o] = '\0';
}

static void test_root_bad_payload(void **state)
{
	static const struct root_edit cases[] = {
		{"wrong _type", "_type", "\"manifest\"", -EBADMSG, "'_type'"},
		{"no version", "version", NULL, -EBADMSG,
		 "'version' is missing"},
		{"version 0", "version", "0", -EBADMSG, "'version' is 0"},
		{"version string", "version", "\"1\"", -EBADMSG, "'version'"},
		{"no expires", "expires", NULL, -EBADMSG,
		 "'expires' is missing"},
		{"bad expires", "expires", "\"2031\"", -EBADMSG, "'expires'"},
		{"no keys", "keys", NULL, -EBADMSG, "'keys' is missing"},
		{"no roles", "roles", NULL, -EBADMSG, "'roles' is missing"},
		{"missing manifest role", "roles/manifest", NULL, -EBADMSG,
		 "'manifest' is missing"},
		{"missing root role", "roles/root", NULL, -EBADMSG,
		 "'root' is missing"},
		{"keyid not the key's", "keys/{r1}/public", "\"{m1public}\"",
		 -EBADMSG, "not the SHA-256 of its key"},
		{"keytype", "keys/{r1}/keytype", "\"rsa\"", -EBADMSG,
		 "keytype"},
		{"no keytype", "keys/{r1}/keytype", NULL, -EBADMSG,
		 "'keytype' is missing"},
		{"no public", "keys/{r1}/public", NULL, -EBADMSG,
		 "'public' is missing"},
		{"public not base64", "keys/{r1}/public", "\"not base64!\"",
		 -EBADMSG, "base64"},
		{"public of 31 bytes", "keys/{r1}/public",
		 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"", -EBADMSG,
		 "key"},
		{"key not an object", "keys/{r1}", "\"x\"", -EBADMSG,
		 "not an object"},
		{"role keyid not in keys", "roles/manifest/keyids",
		 "[\"000000000000000000000000000000000000000000000000000000000"
		 "0000000\"]",
		 -EBADMSG, "not in 'keys'"},
		{"role keyid not a string", "roles/manifest/keyids", "[1]",
		 -EBADMSG, "not in 'keys'"},
		{"role without keyids", "roles/manifest/keyids", "[]", -EBADMSG,
		 "keyids"},
		{"keyids not a list", "roles/manifest/keyids", "\"{m1}\"",
		 -EBADMSG, "keyids"},
		{"threshold 0", "roles/manifest/threshold", "0", -EBADMSG,
		 "'threshold' is 0"},
		{"threshold above keys", "roles/manifest/threshold", "2",
		 -EBADMSG, "'threshold'"},
		{"root threshold above keys", "roles/root/threshold", "2",
		 -EBADMSG, "'threshold'"},
		{"threshold negative", "roles/manifest/threshold", "-1",
		 -EBADMSG, "'threshold'"},
		{"no threshold", "roles/manifest/threshold", NULL, -EBADMSG,
		 "'threshold' is missing"},
	};
	struct fixture *f = *state;
	char *good = root_v1_payload(f, NOW + DAY);
	struct key *signers[] = {f->r1};
	char m1_public[64];
	size_t bad = 0;
	size_t i;

	{
		char *b64 = hs_b64_encode(key_raw(f->m1), KEY_RAW_LEN);

		assert_non_null(b64);
		assert_int_equal(hs_strlcpy(m1_public, b64, sizeof(m1_public)),
				 0);
		free(b64);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		char value[512];
		json_t *v = NULL;
		struct root *root = NULL;
		struct hs_err e;
		char *payload;
		char *env;
		int r;

		expand_ids(f, cases[i].path, path, sizeof(path));
		if (cases[i].value != NULL &&
		    strcmp(cases[i].value, "\"{m1public}\"") == 0)
			v = json_string(m1_public);
		else if (cases[i].value != NULL) {
			expand_ids(f, cases[i].value, value, sizeof(value));
			v = json_loads(value, JSON_DECODE_ANY, NULL);
			assert_non_null(v);
		}
		payload = edit_payload(good, path, v);
		env = sign(DSSE_TYPE_ROOT, payload, signers, 1);
		hs_err_clear(&e);
		r = trust_root_load(env, strlen(env), &root, &e);
		if (r != cases[i].want || root != NULL ||
		    strstr(e.msg, cases[i].text) == NULL) {
			print_error("%s: got %d '%s', want %d with '%s'\n",
				    cases[i].what, r, e.msg, cases[i].want,
				    cases[i].text);
			bad++;
		}
		root_free(root);
		free(env);
		free(payload);
	}
	assert_int_equal(bad, 0);
	free(good);
}

/* root_build refuses thresholds that root_parse would refuse. */
static void test_root_build_thresholds(void **state)
{
	struct fixture *f = *state;
	const struct role_spec one = {{f->r1}, 1, 1};
	const struct role_spec zero = {{f->m1}, 1, 0};
	const struct role_spec above = {{f->m1}, 1, 2};
	const struct role_spec *bad_roles[] = {&zero, &above};
	size_t i;

	for (i = 0; i < 2; i++) {
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
		cmocka_unit_test(test_root_load_wrong_signer),
		cmocka_unit_test(test_root_load_wrong_type),
		cmocka_unit_test(test_root_load_too_big),
		cmocka_unit_test(test_root_next_rotation),
		cmocka_unit_test(test_root_next_refused),
		cmocka_unit_test(test_root_next_same_root),
		cmocka_unit_test(test_root_next_old_threshold),
		cmocka_unit_test(test_root_next_wrong_type),
		cmocka_unit_test(test_check_fresh),
		cmocka_unit_test(test_manifest_good),
		cmocka_unit_test(test_manifest_unknown_fields),
		cmocka_unit_test(test_manifest_wrong_signers),
		cmocka_unit_test(test_manifest_threshold),
		cmocka_unit_test(test_manifest_serial),
		cmocka_unit_test(test_manifest_expired),
		cmocka_unit_test(test_manifest_size),
		cmocka_unit_test(test_manifest_malformed_payload),
		cmocka_unit_test(test_manifest_missing_field),
		cmocka_unit_test(test_manifest_bad_values),
		cmocka_unit_test(test_manifest_bad_component_name),
		cmocka_unit_test(test_manifest_max_components),
		cmocka_unit_test(test_root_bad_payload),
		cmocka_unit_test(test_root_build_thresholds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
