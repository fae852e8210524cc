/*
 * test_dsse.c - unit tests for manifest/dsse.h: envelopes made, parsed and
 * verified against trusted keys with a threshold; tampering with the payload
 * or its type, unknown keys and repeated signers; malformed envelopes.
 */
#include "trustutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dsse.h"
#include "hs_limits.h"
#include "str.h"

#define TYPE "application/vnd.haishin.test+json"
#define PAYLOAD "{\"hello\": \"world\"}"

struct fixture {
	struct key *k1;
	struct key *k2;
	struct key *k3;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->k1 = tu_key_new();
	f->k2 = tu_key_new();
	f->k3 = tu_key_new();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	key_free(f->k3);
	key_free(f->k2);
	key_free(f->k1);
	free(f);
	return 0;
}

static struct dsse *parse_ok(const char *json)
{
	struct dsse *d = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	if (dsse_parse(json, strlen(json), HS_MANIFEST_MAX_BYTES, &d, &e) < 0)
		fail_msg("dsse_parse: %s", e.msg);
	assert_non_null(d);
	return d;
}

/* Verifies json against keys; returns the code and leaves the text in e. */
static int verify(const char *json, struct key *const *keys, size_t n,
		  size_t threshold, struct hs_err *e)
{
	struct dsse *d = parse_ok(json);
	int r;

	hs_err_clear(e);
	r = dsse_verify(d, "test", keys, n, threshold, e);
	dsse_free(d);
	return r;
}

/* -EKEYREJECTED with text, in a message that names what was verified. */
#define assert_rejected(r, e, text)                             \
	do {                                                    \
		tu_assert_err((r), (e), -EKEYREJECTED, (text)); \
		assert_memory_equal((e)->msg, "test: ", 6);     \
	} while (0)

static void test_sign_parse_verify(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *json = tu_sign(TYPE, PAYLOAD, keys, 1);
	struct dsse *d = parse_ok(json);
	const uint8_t *p;
	struct hs_err e;
	size_t n = 0;

	hs_err_clear(&e);
	assert_string_equal(dsse_payload_type(d), TYPE);
	p = dsse_payload(d, &n);
	assert_int_equal(n, strlen(PAYLOAD));
	assert_memory_equal(p, PAYLOAD, n);
	assert_int_equal(dsse_verify(d, "test", keys, 1, 1, &e), 0);
	dsse_free(d);
	dsse_free(NULL);
	free(json);
}

static void test_empty_payload(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *json = tu_sign(TYPE, "", keys, 1);
	struct dsse *d = parse_ok(json);
	struct hs_err e;
	size_t n = 99;

	(void)dsse_payload(d, &n);
	assert_int_equal(n, 0);
	assert_int_equal(dsse_verify(d, "test", keys, 1, 1, &e), 0);
	dsse_free(d);
	free(json);
}

/* A table row: tu_check_err(), and a rejection names what was verified. */
static void check_row(size_t *bad, const char *what, int r,
		      const struct hs_err *e, int want, const char *text)
{
	if (tu_check_err(bad, what, r, e, want, text) && want != 0 &&
	    strncmp(e->msg, "test: ", 6) != 0)
		tu_report_bad(bad, "%s: '%s' lacks 'test: '", what, e->msg);
}

/* The keys named by digits, "312" is k3, k1, k2; returns how many. */
static size_t keys_of(const struct fixture *f, const char *digits,
		      struct key **out)
{
	struct key *const all[] = {f->k1, f->k2, f->k3};
	size_t n;

	for (n = 0; digits[n] != '\0'; n++)
		out[n] = all[digits[n] - '1'];
	return n;
}

static void test_signers_and_threshold(void **state)
{
	static const struct {
		const char *signers;
		const char *trusted;
		size_t threshold;
		int want;
		const char *text;
	} cases[] = {
		{"12", "12", 2, 0, ""},
		{"12", "21", 2, 0, ""},
		{"12", "12", 1, 0, ""},
		/* Trusting a third key that did not sign does not matter. */
		{"12", "321", 2, 0, ""},
		{"12", "321", 3, -EKEYREJECTED,
		 "too few valid signatures: 2 of 3"},
		{"1", "12", 2, -EKEYREJECTED,
		 "too few valid signatures: 1 of 2"},
		/* Two signatures by one key are one signer. */
		{"11", "12", 2, -EKEYREJECTED,
		 "too few valid signatures: 1 of 2"},
		/* A key listed twice among the trusted keys is one key. */
		{"11", "11", 2, -EKEYREJECTED,
		 "too few valid signatures: 1 of 2"},
		{"11", "12", 1, 0, ""},
		{"23", "1", 1, -EKEYREJECTED, "signed by unknown keys only"},
		/* No trusted keys at all. */
		{"23", "", 1, -EKEYREJECTED, "signed by unknown keys only"},
	};
	struct fixture *f = *state;
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		struct key *signers[3];
		struct key *trusted[3];
		const size_t ns = keys_of(f, cases[i].signers, signers);
		const size_t nt = keys_of(f, cases[i].trusted, trusted);
		char *json = tu_sign(TYPE, PAYLOAD, signers, ns);
		char what[64];
		struct hs_err e;
		const int r = verify(json, trusted, nt, cases[i].threshold, &e);

		(void)hs_snprintf(what, sizeof(what),
				  "signed by %s, trusted %s, threshold %zu",
				  cases[i].signers, cases[i].trusted,
				  cases[i].threshold);
		check_row(&bad, what, r, &e, cases[i].want, cases[i].text);
		free(json);
	}
	assert_int_equal(bad, 0);
}

/* A good envelope with one field changed or deleted is rejected. */
static void test_envelope_edited(void **state)
{
	static const struct {
		const char *path;
		const char *value; /* JSON; NULL deletes the field */
		const char *text;
	} cases[] = {
		{"signatures", "[]", "missing signature"},
		/* A keyid that is missing or odd matches no trusted key. */
		{"signatures/0/keyid", "\"\"", "signed by unknown keys only"},
		{"signatures/0/keyid", "\"abc\"",
		 "signed by unknown keys only"},
		{"signatures/0/keyid", NULL, "signed by unknown keys only"},
		/* {"hello": "evil"}; then PAYLOAD and one more byte, a blank. */
		{"payload", "\"eyJoZWxsbyI6ICJldmlsIn0=\"", "bad signature"},
		{"payload", "\"eyJoZWxsbyI6ICJ3b3JsZCJ9IA==\"",
		 "bad signature"},
		{"payloadType", "\"" DSSE_TYPE_ROOT "\"", "bad signature"},
		{"payloadType", "\"" DSSE_TYPE_MANIFEST "\"", "bad signature"},
		{"payloadType", "\"\"", "bad signature"},
		{"payloadType", "\"" TYPE " \"", "bad signature"},
	};
	struct fixture *f = *state;
	char *signed_json = tu_sign(TYPE, PAYLOAD, &f->k1, 1);
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *json = tu_json_edit(signed_json, cases[i].path,
					  cases[i].value);
		char what[256];
		struct hs_err e;
		const int r = verify(json, &f->k1, 1, 1, &e);

		(void)hs_snprintf(what, sizeof(what), "%s = %s", cases[i].path,
				  cases[i].value ? cases[i].value
						 : "(deleted)");
		check_row(&bad, what, r, &e, -EKEYREJECTED, cases[i].text);
		free(json);
	}
	assert_int_equal(bad, 0);
	free(signed_json);
}

/* The signature bytes themselves are replaced, decoded fine but wrong. */
static void test_signature_replaced(void **state)
{
	struct fixture *f = *state;
	struct key *k1[] = {f->k1};
	struct key *both[] = {f->k1, f->k2};
	char *by_k1 = tu_sign(TYPE, PAYLOAD, k1, 1);
	char *other = tu_sign(TYPE, "{}", k1, 1);
	json_t *j = json_loads(by_k1, 0, NULL);
	json_t *jo = json_loads(other, 0, NULL);
	char head[17];
	json_t *other_sig;
	json_t *sig;
	char *json;
	struct hs_err e;

	assert_non_null(j);
	assert_non_null(jo);
	/* k1's signature over another payload, under k1's keyid. */
	sig = json_array_get(json_object_get(j, "signatures"), 0);
	other_sig = json_array_get(json_object_get(jo, "signatures"), 0);
	assert_int_equal(
		json_object_set(sig, "sig", json_object_get(other_sig, "sig")),
		0);
	json = json_dumps(j, 0);
	assert_non_null(json);
	assert_rejected(verify(json, k1, 1, 1, &e), &e, "bad signature by key");
	/* The key id's head is named. */
	memcpy(head, key_id(f->k1), 16);
	head[16] = '\0';
	assert_non_null(strstr(e.msg, head));
	assert_rejected(verify(json, both, 2, 1, &e), &e, "bad signature");
	free(json);

	/* A signature of the wrong length is a bad signature too. */
	assert_int_equal(json_object_set_new(sig, "sig", json_string("AAAA")),
			 0);
	json = json_dumps(j, 0);
	assert_non_null(json);
	assert_rejected(verify(json, k1, 1, 1, &e), &e, "bad signature");
	free(json);

	json_decref(jo);
	json_decref(j);
	free(other);
	free(by_k1);
}

/* A bad signature next to a good one: the good one still counts. */
static void test_bad_and_good_signatures(void **state)
{
	struct fixture *f = *state;
	struct key *both[] = {f->k1, f->k2};
	char *json12 = tu_sign(TYPE, PAYLOAD, both, 2);
	json_t *j = json_loads(json12, 0, NULL);
	json_t *good1;
	json_t *sig1;
	char *json;
	struct hs_err e;

	assert_non_null(j);
	sig1 = json_array_get(json_object_get(j, "signatures"), 0);
	good1 = json_deep_copy(sig1);
	assert_non_null(good1);
	assert_int_equal(json_object_set_new(
				 sig1, "sig",
				 json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
					     "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"
					     "AAAAAAAAAAAAAAAAAAAAAAAAAA==")),
			 0);
	json = json_dumps(j, 0);
	assert_non_null(json);
	assert_int_equal(verify(json, both, 2, 1, &e), 0);
	assert_rejected(verify(json, both, 2, 2, &e), &e,
			"too few valid signatures: 1 of 2");
	free(json);

	/* k1's good signature after its bad one: k1 counts after all. */
	assert_int_equal(
		json_array_append_new(json_object_get(j, "signatures"), good1),
		0);
	json = json_dumps(j, 0);
	assert_non_null(json);
	assert_int_equal(verify(json, both, 2, 2, &e), 0);
	free(json);
	json_decref(j);
	free(json12);
}

static void test_threshold_zero(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *json = tu_sign(TYPE, PAYLOAD, keys, 1);
	struct hs_err e;

	assert_int_equal(verify(json, keys, 1, 0, &e), -EINVAL);
	free(json);
}

static void test_sign_without_private(void **state)
{
	struct fixture *f = *state;
	struct key *pub = NULL;
	struct key *keys[1];
	struct hs_err e;
	char *json = NULL;

	hs_err_clear(&e);
	assert_int_equal(key_from_raw(key_raw(f->k1), KEY_RAW_LEN, &pub, &e),
			 0);
	keys[0] = pub;
	assert_int_equal(dsse_sign(TYPE, "x", 1, keys, 1, &json, &e), -EINVAL);
	assert_null(json);
	key_free(pub);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *what;
		const char *json;
		const char *text;
	} cases[] = {
		{"empty", "", "malformed JSON"},
		{"not JSON", "hello", "malformed JSON"},
		{"truncated", "{\"payloadType\": \"t\"", "malformed JSON"},
		{"trailing bytes",
		 "{\"payloadType\":\"t\",\"payload\":\"\",\"signatures\":[]} x",
		 "malformed JSON"},
		{"NUL escape",
		 "{\"payloadType\":\"t\\u0000\",\"payload\":\"\","
		 "\"signatures\":[]}",
		 "malformed JSON"},
		{"array", "[]", "not a JSON object"},
		{"string", "\"x\"", "malformed JSON"},
		{"no payloadType", "{\"payload\":\"aGk=\",\"signatures\":[]}",
		 "payloadType"},
		{"no payload", "{\"payloadType\":\"t\",\"signatures\":[]}",
		 "payload"},
		{"no signatures",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\"}", "signatures"},
		{"payloadType not a string",
		 "{\"payloadType\":1,\"payload\":\"aGk=\",\"signatures\":[]}",
		 "payloadType"},
		{"payload not a string",
		 "{\"payloadType\":\"t\",\"payload\":null,\"signatures\":[]}",
		 "payload"},
		{"signatures not an array",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\",\"signatures\":{}}",
		 "signatures"},
		{"payload bad base64 char",
		 "{\"payloadType\":\"t\",\"payload\":\"aG!=\",\"signatures\":[]}",
		 "base64"},
		{"payload bad base64 length",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk\",\"signatures\":[]}",
		 "base64"},
		{"payload '=' in the middle",
		 "{\"payloadType\":\"t\",\"payload\":\"aG==aGk=\","
		 "\"signatures\":[]}",
		 "base64"},
		{"signature not an object",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\","
		 "\"signatures\":[\"x\"]}",
		 "signature 0"},
		{"signature without sig",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\","
		 "\"signatures\":[{\"keyid\":\"ab\"}]}",
		 "signature 0"},
		{"sig not a string",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\","
		 "\"signatures\":[{\"keyid\":\"ab\",\"sig\":5}]}",
		 "signature 0"},
		{"sig bad base64",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\","
		 "\"signatures\":[{\"keyid\":\"ab\",\"sig\":\"AAAA\"},"
		 "{\"keyid\":\"ab\",\"sig\":\"**==\"}]}",
		 "signature 1: bad base64"},
		{"duplicate top-level key",
		 "{\"payloadType\":\"t\",\"payloadType\":\"u\","
		 "\"payload\":\"aGk=\",\"signatures\":[]}",
		 "malformed JSON"},
		{"duplicate payload",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\","
		 "\"payload\":\"aGo=\",\"signatures\":[]}",
		 "malformed JSON"},
		{"duplicate key in a signature",
		 "{\"payloadType\":\"t\",\"payload\":\"aGk=\","
		 "\"signatures\":[{\"sig\":\"AAAA\",\"sig\":\"AAAB\"}]}",
		 "malformed JSON"},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		struct dsse *d = NULL;
		struct hs_err e;
		int r;

		hs_err_clear(&e);
		r = dsse_parse(cases[i].json, strlen(cases[i].json), 4096, &d,
			       &e);
		tu_check_err(&bad, cases[i].what, r, &e, -EBADMSG,
			     cases[i].text);
		assert_null(d);
	}
	assert_int_equal(bad, 0);
}

/* An envelope with n copies of one signature. */
static char *env_with_sigs(const char *signed_json, size_t n)
{
	json_t *j = json_loads(signed_json, 0, NULL);
	json_t *sigs;
	json_t *one;
	char *out;
	size_t i;

	assert_non_null(j);
	sigs = json_object_get(j, "signatures");
	one = json_incref(json_array_get(sigs, 0));
	assert_int_equal(json_array_clear(sigs), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(json_array_append(sigs, one), 0);
	json_decref(one);
	out = json_dumps(j, 0);
	assert_non_null(out);
	json_decref(j);
	return out;
}

static void test_too_many_signatures(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *signed_json = tu_sign(TYPE, PAYLOAD, keys, 1);
	char *at_max = env_with_sigs(signed_json, HS_ENVELOPE_MAX_SIGNATURES);
	char *over = env_with_sigs(signed_json, HS_ENVELOPE_MAX_SIGNATURES + 1);
	struct dsse *d = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(verify(at_max, keys, 1, 1, &e), 0);
	assert_int_equal(
		dsse_parse(over, strlen(over), HS_MANIFEST_MAX_BYTES, &d, &e),
		-EBADMSG);
	assert_null(d);
	assert_non_null(strstr(e.msg, "signatures"));
	free(over);
	free(at_max);
	free(signed_json);
}

static void test_over_max_len(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *json = tu_sign(TYPE, PAYLOAD, keys, 1);
	const size_t n = strlen(json);
	struct dsse *d = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(dsse_parse(json, n, n, &d, &e), 0);
	dsse_free(d);
	d = NULL;
	assert_int_equal(dsse_parse(json, n, n - 1, &d, &e), -EFBIG);
	assert_int_equal(e.code, -EFBIG);
	assert_null(d);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_parse_verify),
		cmocka_unit_test(test_empty_payload),
		cmocka_unit_test(test_signers_and_threshold),
		cmocka_unit_test(test_envelope_edited),
		cmocka_unit_test(test_signature_replaced),
		cmocka_unit_test(test_bad_and_good_signatures),
		cmocka_unit_test(test_threshold_zero),
		cmocka_unit_test(test_sign_without_private),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_signatures),
		cmocka_unit_test(test_over_max_len),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
