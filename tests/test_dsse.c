/*
 * test_dsse.c - unit tests for manifest/dsse.h: envelopes made, parsed and
 * verified against trusted keys with a threshold; tampering with the payload
 * or its type, unknown keys and repeated signers; malformed envelopes.
 */
#include "testutil.h"

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

	if (f == NULL || key_generate(&f->k1, NULL) < 0 ||
	    key_generate(&f->k2, NULL) < 0 || key_generate(&f->k3, NULL) < 0)
		return -1;
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

/* An envelope of payload (type TYPE) signed by keys; the caller frees it. */
static char *sign_env(const char *type, const char *payload,
		      struct key *const *keys, size_t n)
{
	struct hs_err e;
	char *json = NULL;

	hs_err_clear(&e);
	if (dsse_sign(type, payload, strlen(payload), keys, n, &json, &e) < 0)
		fail_msg("dsse_sign: %s", e.msg);
	assert_non_null(json);
	return json;
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

/* Parses json, sets key of the top object to value, and dumps it again. */
static char *env_set(const char *json, const char *key, json_t *value)
{
	json_t *j = json_loads(json, 0, NULL);
	char *out;

	assert_non_null(j);
	assert_int_equal(json_object_set_new(j, key, value), 0);
	out = json_dumps(j, 0);
	assert_non_null(out);
	json_decref(j);
	return out;
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

static void assert_rejected(int r, const struct hs_err *e, const char *text)
{
	assert_int_equal(r, -EKEYREJECTED);
	assert_int_equal(e->code, -EKEYREJECTED);
	if (strstr(e->msg, text) == NULL)
		fail_msg("message '%s' lacks '%s'", e->msg, text);
	/* The message names what was being verified. */
	assert_memory_equal(e->msg, "test: ", 6);
}

static void test_sign_parse_verify(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *json = sign_env(TYPE, PAYLOAD, keys, 1);
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
	char *json = sign_env(TYPE, "", keys, 1);
	struct dsse *d = parse_ok(json);
	struct hs_err e;
	size_t n = 99;

	(void)dsse_payload(d, &n);
	assert_int_equal(n, 0);
	assert_int_equal(dsse_verify(d, "test", keys, 1, 1, &e), 0);
	dsse_free(d);
	free(json);
}

static void test_two_keys_threshold_two(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1, f->k2};
	struct key *reversed[] = {f->k2, f->k1};
	struct key *with_other[] = {f->k3, f->k2, f->k1};
	char *json = sign_env(TYPE, PAYLOAD, keys, 2);
	struct hs_err e;

	assert_int_equal(verify(json, keys, 2, 2, &e), 0);
	assert_int_equal(verify(json, reversed, 2, 2, &e), 0);
	assert_int_equal(verify(json, keys, 2, 1, &e), 0);
	/* Trusting a third key that did not sign does not matter. */
	assert_int_equal(verify(json, with_other, 3, 2, &e), 0);
	assert_rejected(verify(json, with_other, 3, 3, &e), &e,
			"too few valid signatures: 2 of 3");
	free(json);
}

static void test_threshold_two_one_signature(void **state)
{
	struct fixture *f = *state;
	struct key *signer[] = {f->k1};
	struct key *trusted[] = {f->k1, f->k2};
	char *json = sign_env(TYPE, PAYLOAD, signer, 1);
	struct hs_err e;

	assert_rejected(verify(json, trusted, 2, 2, &e), &e,
			"too few valid signatures: 1 of 2");
	free(json);
}

static void test_same_key_counts_once(void **state)
{
	struct fixture *f = *state;
	struct key *twice[] = {f->k1, f->k1};
	struct key *trusted[] = {f->k1, f->k2};
	char *json = sign_env(TYPE, PAYLOAD, twice, 2);
	struct hs_err e;

	/* Two signatures by one key are one signer. */
	assert_rejected(verify(json, trusted, 2, 2, &e), &e,
			"too few valid signatures: 1 of 2");
	/* A key listed twice among the trusted keys is one key. */
	assert_rejected(verify(json, twice, 2, 2, &e), &e,
			"too few valid signatures: 1 of 2");
	assert_int_equal(verify(json, trusted, 2, 1, &e), 0);
	free(json);
}

static void test_missing_signature(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *signed_json = sign_env(TYPE, PAYLOAD, keys, 1);
	char *json = env_set(signed_json, "signatures", json_array());
	struct hs_err e;

	assert_rejected(verify(json, keys, 1, 1, &e), &e, "missing signature");
	free(json);
	free(signed_json);
}

static void test_unknown_keys_only(void **state)
{
	struct fixture *f = *state;
	struct key *signers[] = {f->k2, f->k3};
	struct key *trusted[] = {f->k1};
	char *json = sign_env(TYPE, PAYLOAD, signers, 2);
	struct hs_err e;

	assert_rejected(verify(json, trusted, 1, 1, &e), &e,
			"signed by unknown keys only");
	/* No trusted keys at all. */
	assert_rejected(verify(json, trusted, 0, 1, &e), &e,
			"signed by unknown keys only");
	free(json);
}

/* A signature whose keyid is missing or odd matches no trusted key. */
static void test_keyid_missing_or_odd(void **state)
{
	static const char *const odd[] = {"", "abc", NULL};
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *signed_json = sign_env(TYPE, PAYLOAD, keys, 1);
	struct hs_err e;
	size_t i;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		json_t *j = json_loads(signed_json, 0, NULL);
		json_t *sig;
		char *json;

		assert_non_null(j);
		sig = json_array_get(json_object_get(j, "signatures"), 0);
		if (odd[i] == NULL)
			assert_int_equal(json_object_del(sig, "keyid"), 0);
		else
			assert_int_equal(
				json_object_set_new(sig, "keyid",
						    json_string(odd[i])),
				0);
		json = json_dumps(j, 0);
		json_decref(j);
		assert_non_null(json);
		assert_rejected(verify(json, keys, 1, 1, &e), &e,
				"signed by unknown keys only");
		free(json);
	}
	free(signed_json);
}

static void test_payload_tampered(void **state)
{
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *signed_json = sign_env(TYPE, PAYLOAD, keys, 1);
	char *b64 = hs_b64_encode((const uint8_t *)"{\"hello\": \"evil\"}", 17);
	char *json;
	struct hs_err e;

	assert_non_null(b64);
	json = env_set(signed_json, "payload", json_string(b64));
	assert_rejected(verify(json, keys, 1, 1, &e), &e, "bad signature");
	free(json);
	free(b64);

	/* One extra byte (a trailing blank) is a different payload too. */
	b64 = hs_b64_encode((const uint8_t *)PAYLOAD " ", strlen(PAYLOAD) + 1);
	assert_non_null(b64);
	json = env_set(signed_json, "payload", json_string(b64));
	assert_rejected(verify(json, keys, 1, 1, &e), &e, "bad signature");
	free(json);
	free(b64);
	free(signed_json);
}

static void test_payload_type_changed(void **state)
{
	static const char *const types[] = {
		DSSE_TYPE_ROOT,
		DSSE_TYPE_MANIFEST,
		"",
		TYPE " ",
	};
	struct fixture *f = *state;
	struct key *keys[] = {f->k1};
	char *signed_json = sign_env(TYPE, PAYLOAD, keys, 1);
	struct hs_err e;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char *json = env_set(signed_json, "payloadType",
				     json_string(types[i]));

		assert_rejected(verify(json, keys, 1, 1, &e), &e,
				"bad signature");
		free(json);
	}
	free(signed_json);
}

/* The signature bytes themselves are replaced, decoded fine but wrong. */
static void test_signature_replaced(void **state)
{
	struct fixture *f = *state;
	struct key *k1[] = {f->k1};
	struct key *both[] = {f->k1, f->k2};
	char *by_k1 = sign_env(TYPE, PAYLOAD, k1, 1);
	char *other = sign_env(TYPE, "{}", k1, 1);
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
	char *json12 = sign_env(TYPE, PAYLOAD, both, 2);
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
	char *json = sign_env(TYPE, PAYLOAD, keys, 1);
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
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dsse *d = NULL;
		struct hs_err e;
		int r;

		hs_err_clear(&e);
		r = dsse_parse(cases[i].json, strlen(cases[i].json), 4096, &d,
			       &e);
		if (r != -EBADMSG || d != NULL ||
		    strstr(e.msg, cases[i].text) == NULL) {
			print_error("%s: got %d '%s', want -EBADMSG '%s'\n",
				    cases[i].what, r, e.msg, cases[i].text);
			bad++;
		}
		dsse_free(d);
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
	char *signed_json = sign_env(TYPE, PAYLOAD, keys, 1);
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
	char *json = sign_env(TYPE, PAYLOAD, keys, 1);
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
		cmocka_unit_test(test_two_keys_threshold_two),
		cmocka_unit_test(test_threshold_two_one_signature),
		cmocka_unit_test(test_same_key_counts_once),
		cmocka_unit_test(test_missing_signature),
		cmocka_unit_test(test_unknown_keys_only),
		cmocka_unit_test(test_keyid_missing_or_odd),
		cmocka_unit_test(test_payload_tampered),
		cmocka_unit_test(test_payload_type_changed),
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
