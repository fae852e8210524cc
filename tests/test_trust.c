/*
 * test_trust.c - unit tests for manifest verification (trust_manifest in
 * manifest/trust.h, with manifest.h underneath): real manifests built with
 * manifest_build and dsse_sign are checked against a root for signers,
 * threshold, rollback, serial reuse, freeze and size, and refused when any
 * field is missing or wrong.  Roots themselves are tested in test_root.c.
 */
#include "trustutil.h"

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

static const struct trust_prev first_prev = {0, ""};

/* Signs payload with n keys as type; checks it as the first manifest, now. */
static int check_signed(const struct root *root, const char *type,
			const char *payload, struct key *const *keys, size_t n,
			struct hs_err *e)
{
	char *env = tu_sign(type, payload, keys, n);
	char sha[65];
	const int r = tu_manifest_check(root, env, &first_prev, NOW, sha, e);

	free(env);
	return r;
}

/* check_signed() by m1, the manifest key of tu_root_v1(). */
static int check_payload(const struct tu_keys *f, const struct root *root,
			 const char *payload, struct hs_err *e)
{
	return check_signed(root, DSSE_TYPE_MANIFEST, payload, &f->m1, 1, e);
}

static void sha256_hex(const char *p, char out[65])
{
	uint8_t digest[32];

	assert_int_equal(
		EVP_Digest(p, strlen(p), digest, NULL, EVP_sha256(), NULL), 1);
	hs_hex(digest, sizeof(digest), out);
}

static void test_manifest_good(void **state)
{
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *payload = tu_manifest_payload(7, NOW + 7 * DAY, "2.1.0");
	char *env = tu_sign(DSSE_TYPE_MANIFEST, payload, &f->m1, 1);
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
	assert_int_equal(
		tu_manifest_check(root, env, &first_prev, NOW, sha, &e), 0);
	free(env);
	free(payload);
	root_free(root);
}

/* Unknown fields are ignored, so later versions can add them. */
static void test_manifest_unknown_fields(void **state)
{
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *payload = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	char *p1 = tu_json_edit(payload, "future", "\"x\"");
	char *p2 = tu_json_edit(p1, "components/cardreader/deltas", "[]");
	struct hs_err e;

	assert_int_equal(check_payload(f, root, p2, &e), 0);
	free(p2);
	free(p1);
	free(payload);
	root_free(root);
}

/* One way to sign a good manifest (by k1, k2: n of them), and the result. */
struct signing {
	const char *what;
	const char *type;
	struct key *k1;
	struct key *k2;
	size_t n;
	int want; /* 0: accepted */
	const char *text;
};

static void check_signings(const struct root *root, const struct signing *cases,
			   size_t n)
{
	char *payload = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	size_t bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct signing *c = &cases[i];
		struct key *const keys[] = {c->k1, c->k2};
		struct hs_err e;
		const int r =
			check_signed(root, c->type, payload, keys, c->n, &e);

		tu_check_err(&bad, c->what, r, &e, c->want, c->text);
	}
	assert_int_equal(bad, 0);
	free(payload);
}

static void test_manifest_wrong_signers(void **state)
{
	const char *const mt = DSSE_TYPE_MANIFEST;
	struct tu_keys *f = *state;
	const struct signing cases[] = {
		{"a root key may not sign manifests", mt, f->r1, NULL, 1,
		 -EKEYREJECTED, "manifest: signed by unknown keys"},
		{"outsider", mt, f->x1, NULL, 1, -EKEYREJECTED, "unknown keys"},
		{"no signature", mt, f->x1, NULL, 0, -EKEYREJECTED,
		 "missing signature"},
		{"the right key under the root's payload type", DSSE_TYPE_ROOT,
		 f->m1, NULL, 1, -EKEYREJECTED, "payload type"},
	};
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);

	check_signings(root, cases, TU_ARRAY_SIZE(cases));
	root_free(root);
}

/* The manifest role of this root is m1 and m2, with threshold 2. */
static void test_manifest_threshold(void **state)
{
	const char *const mt = DSSE_TYPE_MANIFEST;
	struct tu_keys *f = *state;
	const struct signing cases[] = {
		{"one of two", mt, f->m2, NULL, 1, -EKEYREJECTED,
		 "too few valid signatures: 1 of 2"},
		{"one key twice", mt, f->m1, f->m1, 2, -EKEYREJECTED,
		 "too few"},
		{"both", mt, f->m1, f->m2, 2, 0, ""},
	};
	const struct tu_role rr = {{f->r1}, 1, 1};
	const struct tu_role mr = {{f->m1, f->m2}, 2, 2};
	char *rpayload = tu_root_payload(1, NOW + DAY, &rr, &mr);
	char *renv = tu_sign(DSSE_TYPE_ROOT, rpayload, rr.keys, 1);
	struct root *root = tu_root_load(renv);

	check_signings(root, cases, TU_ARRAY_SIZE(cases));
	root_free(root);
	free(renv);
	free(rpayload);
}

static void test_manifest_serial(void **state)
{
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *p7 = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	char *p7b = tu_manifest_payload(7, NOW + DAY, "2.2.0");
	char *p8 = tu_manifest_payload(8, NOW + DAY, "2.2.0");
	char *env7 = tu_sign(DSSE_TYPE_MANIFEST, p7, &f->m1, 1);
	char *env7b = tu_sign(DSSE_TYPE_MANIFEST, p7b, &f->m1, 1);
	char *env8 = tu_sign(DSSE_TYPE_MANIFEST, p8, &f->m1, 1);
	struct trust_prev prev = {0, ""};
	char sha7[65];
	char sha[65];
	struct hs_err e;

	assert_int_equal(tu_manifest_check(root, env7, &prev, NOW, sha7, &e),
			 0);
	prev.serial = 7;
	memcpy(prev.sha256, sha7, sizeof(sha7));

	/* The same manifest again (a repeated check): accepted, same hash. */
	memset(sha, 0, sizeof(sha));
	assert_int_equal(tu_manifest_check(root, env7, &prev, NOW, sha, &e), 0);
	assert_string_equal(sha, sha7);

	/* The same serial with other contents. */
	tu_assert_err(tu_manifest_check(root, env7b, &prev, NOW, sha, &e), &e,
		      -ESTALE, "serial reuse");

	/* A newer serial; then the old one is a rollback. */
	assert_int_equal(tu_manifest_check(root, env8, &prev, NOW, sha, &e), 0);
	assert_string_not_equal(sha, sha7);
	prev.serial = 8;
	memcpy(prev.sha256, sha, sizeof(sha));
	tu_assert_err(tu_manifest_check(root, env7, &prev, NOW, sha, &e), &e,
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
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *payload = tu_manifest_payload(7, NOW, "2.1.0");
	char *env = tu_sign(DSSE_TYPE_MANIFEST, payload, &f->m1, 1);
	const struct trust_prev *prev = &first_prev;
	char sha[65];
	struct hs_err e;

	assert_int_equal(tu_manifest_check(root, env, prev, NOW - 1, sha, &e),
			 0);
	tu_assert_err(tu_manifest_check(root, env, prev, NOW, sha, &e), &e,
		      -ESTALE, "freeze");
	tu_assert_err(
		tu_manifest_check(root, env, prev, NOW + 30 * DAY, sha, &e), &e,
		-ESTALE, "manifest: freeze");
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
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *payload = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	char *env = tu_sign(DSSE_TYPE_MANIFEST, payload, &f->m1, 1);
	char *at_max = pad_to(env, HS_MANIFEST_MAX_BYTES);
	char *over = pad_to(env, HS_MANIFEST_MAX_BYTES + 1);
	char sha[65];
	struct hs_err e;

	assert_int_equal(
		tu_manifest_check(root, at_max, &first_prev, NOW, sha, &e), 0);
	tu_assert_err(tu_manifest_check(root, over, &first_prev, NOW, sha, &e),
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
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(payloads); i++) {
		struct hs_err e;

		tu_check_err(&bad, payloads[i],
			     check_payload(f, root, payloads[i], &e), &e,
			     -EBADMSG, "manifest: ");
	}
	assert_int_equal(bad, 0);
	root_free(root);
}

/* A good payload with one field deleted or replaced: -EBADMSG with text. */
static void test_manifest_bad_fields(void **state)
{
	static const struct {
		const char *path;
		const char *value; /* JSON; NULL deletes the field */
		const char *text; /* "": the case is accepted, not refused */
	} cases[] = {
		{"_type", NULL, "'_type' is missing"},
		{"serial", NULL, "'serial' is missing"},
		{"expires", NULL, "'expires' is missing"},
		{"components", NULL, "'components' is missing"},
		{"components/cardreader/version", NULL,
		 "component 'cardreader': 'version' is missing"},
		{"components/cardreader/minimum", NULL,
		 "component 'cardreader': 'minimum' is missing"},
		{"components/cardreader/restart", NULL,
		 "component 'cardreader': 'restart' is missing"},
		{"components/cardreader/package", NULL,
		 "component 'cardreader': 'package' is missing"},
		{"components/linkage/package/url", NULL,
		 "component 'linkage': 'url' is missing"},
		{"components/linkage/package/size", NULL,
		 "component 'linkage': 'size' is missing"},
		{"components/linkage/package/sha256", NULL,
		 "component 'linkage': 'sha256' is missing"},
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
		{"components/cardreader/set", "\"till-1\"", ""},
		{"components/cardreader/set", "\"Till\"",
		 "component 'cardreader': set 'Till' is not a name"},
		{"components/cardreader/set", "\"../x\"", "set '../x'"},
		{"components/cardreader/set", "\"\"", "set '' is not a name"},
		{"components/cardreader/set", "1", "'set' is not a string"},
		{"components/cardreader/set", "null", "'set' is not a string"},
	};
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *good = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *payload =
			tu_json_edit(good, cases[i].path, cases[i].value);
		const int want = cases[i].text[0] == '\0' ? 0 : -EBADMSG;
		char what[512];
		struct hs_err e;

		(void)hs_snprintf(what, sizeof(what), "%s = %s", cases[i].path,
				  cases[i].value ? cases[i].value
						 : "(deleted)");
		tu_check_err(&bad, what, check_payload(f, root, payload, &e),
			     &e, want, cases[i].text);
		free(payload);
	}
	assert_int_equal(bad, 0);
	free(good);
	root_free(root);
}

/* "set": parsed, absent as "", and built again unchanged. */
static void test_manifest_set(void **state)
{
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *good = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	char *a = tu_json_edit(good, "components/cardreader/set", "\"till\"");
	char *payload = tu_json_edit(a, "components/linkage/set", "\"till\"");
	char *env = tu_sign(DSSE_TYPE_MANIFEST, payload, &f->m1, 1);
	struct manifest *m = NULL;
	struct manifest *again = NULL;
	char *built = NULL;
	const char *p;
	size_t n_sets = 0;
	char sha[65];
	struct hs_err e;

	assert_int_equal(trust_manifest(root, env, strlen(env), &first_prev,
					NOW, &m, sha, &e),
			 0);
	assert_string_equal(manifest_find(m, "cardreader")->set, "till");
	assert_string_equal(manifest_find(m, "linkage")->set, "till");
	assert_string_equal(manifest_find(m, "face-lib_2")->set, "");
	assert_int_equal(manifest_build(m, &built, &e), 0);
	assert_int_equal(manifest_parse((const uint8_t *)built, strlen(built),
					&again, &e),
			 0);
	assert_string_equal(manifest_find(again, "cardreader")->set, "till");
	assert_string_equal(manifest_find(again, "face-lib_2")->set, "");
	/* "set" is written twice: not for a component in none */
	for (p = strstr(built, "\"set\""); p != NULL;
	     p = strstr(p + 1, "\"set\""))
		n_sets++;
	assert_int_equal(n_sets, 2);
	free(built);
	manifest_free(again);
	manifest_free(m);
	free(env);
	free(payload);
	free(a);
	free(good);
	root_free(root);
}

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define GOOD_DELTA                                                         \
	"{\"from\": \"2.0.0\", \"method\": \"sufdiff\", \"base_sha256\": " \
	"\"" HEX_A "\", \"url\": \"packages/cardreader/d.delta\", "        \
	"\"size\": 4567, \"sha256\": \"" HEX_B "\"}"

/* cardreader with its tar's hash and one delta (or deltas, as JSON). */
static char *with_deltas(const char *good, const char *deltas)
{
	char *a = tu_json_edit(good, "components/cardreader/package/tar_size",
			       "10240");
	char *b = tu_json_edit(a, "components/cardreader/package/tar_sha256",
			       "\"" HEX_B "\"");
	char *c = tu_json_edit(b, "components/cardreader/deltas", deltas);

	free(a);
	free(b);
	return c;
}

/* "deltas" and the package's tar: parsed, rebuilt unchanged, checked. */
static void test_manifest_deltas(void **state)
{
	static const struct {
		const char *path; /* within the first delta, or "" */
		const char *value;
		const char *text;
	} cases[] = {
		{"from", "\"v2\"", "delta 0: invalid version"},
		{"from", NULL, "delta 0: 'from' is missing"},
		{"base_sha256", "\"x\"", "base_sha256"},
		{"url", "\"../x\"", "url"},
		{"size", "0", "size is 0"},
		{"sha256", "1", "'sha256'"},
		{"method", "\"bsdiff4\"", ""}, /* unknown: skipped */
	};
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *good = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	char *payload = with_deltas(good, "[" GOOD_DELTA "]");
	char *env = tu_sign(DSSE_TYPE_MANIFEST, payload, &f->m1, 1);
	const struct trust_prev prev = {0, ""};
	const struct manifest_component *c;
	struct manifest *m = NULL;
	struct manifest *again = NULL;
	char sha[65];
	char *built = NULL;
	size_t bad = 0;
	struct hs_err e;
	size_t i;

	assert_int_equal(
		trust_manifest(root, env, strlen(env), &prev, NOW, &m, sha, &e),
		0);
	c = manifest_find(m, "cardreader");
	assert_non_null(c);
	assert_int_equal(c->package.tar_size, 10240);
	assert_string_equal(c->package.tar_sha256, HEX_B);
	assert_int_equal(c->n_deltas, 1);
	assert_string_equal(c->deltas[0].from, "2.0.0");
	assert_string_equal(c->deltas[0].method, "sufdiff");
	assert_string_equal(c->deltas[0].base_sha256, HEX_A);
	assert_string_equal(c->deltas[0].url, "packages/cardreader/d.delta");
	assert_int_equal(c->deltas[0].size, 4567);
	assert_int_equal(manifest_find(m, "linkage")->n_deltas, 0);
	/* Built and parsed again: the same deltas. */
	assert_int_equal(manifest_build(m, &built, &e), 0);
	assert_int_equal(manifest_parse((const uint8_t *)built, strlen(built),
					&again, &e),
			 0);
	c = manifest_find(again, "cardreader");
	assert_int_equal(c->n_deltas, 1);
	assert_string_equal(c->deltas[0].sha256, HEX_B);
	assert_string_equal(c->package.tar_sha256, HEX_B);

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char path[64];
		char *edited;
		const int want = cases[i].text[0] == '\0' ? 0 : -EBADMSG;

		(void)hs_snprintf(path, sizeof(path),
				  "components/cardreader/deltas/0/%s",
				  cases[i].path);
		edited = tu_json_edit(payload, path, cases[i].value);
		tu_check_err(&bad, path, check_payload(f, root, edited, &e), &e,
			     want, cases[i].text);
		free(edited);
	}
	/* Deltas need the tar they rebuild; a list, and not too long. */
	{
		char *no_tar = tu_json_edit(
			payload, "components/cardreader/package/tar_sha256",
			NULL);
		char *nine = with_deltas(
			good, "[" GOOD_DELTA "," GOOD_DELTA "," GOOD_DELTA
			      "," GOOD_DELTA "," GOOD_DELTA "," GOOD_DELTA
			      "," GOOD_DELTA "," GOOD_DELTA "," GOOD_DELTA "]");
		char *obj = with_deltas(good, GOOD_DELTA);

		tu_check_err(&bad, "no tar_sha256",
			     check_payload(f, root, no_tar, &e), &e, -EBADMSG,
			     "deltas without the package's tar_sha256");
		tu_check_err(&bad, "nine deltas",
			     check_payload(f, root, nine, &e), &e, -EBADMSG,
			     "'deltas' is not a list of at most 8");
		tu_check_err(&bad, "an object", check_payload(f, root, obj, &e),
			     &e, -EBADMSG, "'deltas'");
		free(no_tar);
		free(nine);
		free(obj);
	}
	assert_int_equal(bad, 0);
	manifest_free(again);
	manifest_free(m);
	free(built);
	free(env);
	free(payload);
	free(good);
	root_free(root);
}

/*
 * good with its components replaced by n copies of cardreader, named name
 * when it is given (n = 1), else c000, c001, ...  The caller frees it.
 */
static char *with_components(const char *good, const char *name, size_t n)
{
	json_t *j = json_loads(good, 0, NULL);
	json_t *cs = json_object();
	json_t *cr;
	char *out;
	size_t i;

	assert_non_null(j);
	assert_non_null(cs);
	cr = json_object_get(json_object_get(j, "components"), "cardreader");
	assert_non_null(cr);
	for (i = 0; i < n; i++) {
		char buf[16];

		assert_int_equal(hs_snprintf(buf, sizeof(buf), "c%03zu", i), 0);
		assert_int_equal(json_object_set(cs, name ? name : buf, cr), 0);
	}
	assert_int_equal(json_object_set_new(j, "components", cs), 0);
	out = json_dumps(j, JSON_SORT_KEYS);
	assert_non_null(out);
	json_decref(j);
	return out;
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
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *good = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(names); i++) {
		char *payload = with_components(good, names[i], 1);
		struct hs_err e;

		tu_check_err(&bad, names[i],
			     check_payload(f, root, payload, &e), &e, -EBADMSG,
			     "invalid component name");
		free(payload);
	}
	assert_int_equal(bad, 0);
	free(good);
	root_free(root);
}

static void test_manifest_max_components(void **state)
{
	struct tu_keys *f = *state;
	struct root *root = tu_root_v1(f, NOW + 365 * DAY);
	char *good = tu_manifest_payload(7, NOW + DAY, "2.1.0");
	char *at_max = with_components(good, NULL, HS_MANIFEST_MAX_COMPONENTS);
	char *over =
		with_components(good, NULL, HS_MANIFEST_MAX_COMPONENTS + 1);
	char *env = tu_sign(DSSE_TYPE_MANIFEST, at_max, &f->m1, 1);
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
	tu_assert_err(check_payload(f, root, over, &e), &e, -EBADMSG,
		      "components");
	free(over);
	free(at_max);
	free(good);
	root_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_good),
		cmocka_unit_test(test_manifest_unknown_fields),
		cmocka_unit_test(test_manifest_wrong_signers),
		cmocka_unit_test(test_manifest_threshold),
		cmocka_unit_test(test_manifest_serial),
		cmocka_unit_test(test_manifest_expired),
		cmocka_unit_test(test_manifest_size),
		cmocka_unit_test(test_manifest_malformed_payload),
		cmocka_unit_test(test_manifest_bad_fields),
		cmocka_unit_test(test_manifest_deltas),
		cmocka_unit_test(test_manifest_set),
		cmocka_unit_test(test_manifest_bad_component_name),
		cmocka_unit_test(test_manifest_max_components),
	};

	return cmocka_run_group_tests(tests, tu_keys_setup, tu_keys_teardown);
}
