/*
 * dsse.c - parse, verify and make DSSE envelopes.  Verification never trusts
 * a keyid to pick the algorithm or the key: it only narrows which of the
 * caller's trusted keys to try.
 */
#include "dsse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hs_limits.h"
#include "b64.h"
#include "str.h"

struct dsse_sig {
	char keyid[KEY_ID_LEN + 1];
	uint8_t *sig;
	size_t sig_len;
};

struct dsse {
	char *type;
	uint8_t *payload;
	size_t payload_len;
	struct dsse_sig *sigs;
	size_t n_sigs;
};

void dsse_free(struct dsse *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_sigs; i++)
		free(d->sigs[i].sig);
	free(d->sigs);
	free(d->payload);
	free(d->type);
	free(d);
}

static int dsse_parse_sig(json_t *js, size_t i, struct dsse_sig *s,
			  struct hs_err *e)
{
	const char *keyid = json_string_value(json_object_get(js, "keyid"));
	json_t *jsig = json_object_get(js, "sig");

	if (!json_is_object(js) || !json_is_string(jsig))
		return hs_err_set(e, -EBADMSG,
				  "signature %zu: not an object with a 'sig'",
				  i);
	/* An unknown or odd keyid is kept empty: it matches no trusted key. */
	if (keyid != NULL && strlen(keyid) == KEY_ID_LEN)
		(void)hs_strlcpy(s->keyid, keyid, sizeof(s->keyid));
	if (hs_b64_decode(json_string_value(jsig), json_string_length(jsig),
			  &s->sig, &s->sig_len) < 0)
		return hs_err_set(e, -EBADMSG, "signature %zu: bad base64", i);
	return 0;
}

static int dsse_from_json(json_t *root, struct dsse *d, struct hs_err *e)
{
	json_t *jtype = json_object_get(root, "payloadType");
	json_t *jpayload = json_object_get(root, "payload");
	json_t *jsigs = json_object_get(root, "signatures");
	size_t i;
	int r;

	if (!json_is_object(root))
		return hs_err_set(e, -EBADMSG, "envelope is not a JSON object");
	if (!json_is_string(jtype) || !json_is_string(jpayload))
		return hs_err_set(e, -EBADMSG,
				  "envelope lacks 'payloadType' or 'payload'");
	if (!json_is_array(jsigs))
		return hs_err_set(e, -EBADMSG,
				  "envelope lacks a 'signatures' array");
	if (json_array_size(jsigs) > HS_ENVELOPE_MAX_SIGNATURES)
		return hs_err_set(
			e, -EBADMSG, "envelope has %zu signatures (at most %d)",
			json_array_size(jsigs), HS_ENVELOPE_MAX_SIGNATURES);
	d->type = strdup(json_string_value(jtype));
	if (d->type == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (hs_b64_decode(json_string_value(jpayload),
			  json_string_length(jpayload), &d->payload,
			  &d->payload_len) < 0)
		return hs_err_set(e, -EBADMSG, "payload is not valid base64");
	d->sigs = calloc(json_array_size(jsigs) + 1, sizeof(*d->sigs));
	if (d->sigs == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(jsigs); i++) {
		r = dsse_parse_sig(json_array_get(jsigs, i), i, &d->sigs[i], e);
		d->n_sigs = i + 1;
		if (r < 0)
			return r;
	}
	return 0;
}

int dsse_parse(const char *buf, size_t len, size_t max_len, struct dsse **ret_d,
	       struct hs_err *e)
{
	json_error_t jerr;
	struct dsse *d;
	json_t *root;
	int r;

	if (len > max_len)
		return hs_err_set(e, -EFBIG,
				  "envelope of %zu bytes exceeds %zu", len,
				  max_len);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return hs_err_set(e, -EBADMSG,
				  "malformed JSON at line %d column %d: %s",
				  jerr.line, jerr.column, jerr.text);
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		r = hs_err_set(e, -ENOMEM, "out of memory");
		goto out_json;
	}
	r = dsse_from_json(root, d, e);
	if (r < 0)
		goto out_free;
	*ret_d = d;
	d = NULL;
out_free:
	dsse_free(d);
out_json:
	json_decref(root);
	return r;
}

const char *dsse_payload_type(const struct dsse *d)
{
	return d->type;
}

const uint8_t *dsse_payload(const struct dsse *d, size_t *ret_n)
{
	*ret_n = d->payload_len;
	return d->payload;
}

/* The pre-authentication encoding, malloc'ed. */
static int dsse_pae(const char *type, const void *payload, size_t n,
		    uint8_t **ret_p, size_t *ret_n)
{
	char head[HS_URL_MAX + 64];
	size_t head_len;
	uint8_t *p;

	if (hs_snprintf(head, sizeof(head), "DSSEv1 %zu %s %zu ", strlen(type),
			type, n) < 0)
		return -ENAMETOOLONG;
	head_len = strlen(head);
	p = malloc(head_len + n + 1);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p, head, head_len);
	if (n > 0)
		memcpy(p + head_len, payload, n);
	*ret_p = p;
	*ret_n = head_len + n;
	return 0;
}

/* Does key k have a valid signature among d's?  Sets *saw_bad if it tried. */
static bool dsse_key_signed(const struct dsse *d, const struct key *k,
			    const uint8_t *pae, size_t pae_len, bool *saw_bad)
{
	size_t i;

	for (i = 0; i < d->n_sigs; i++) {
		if (strcmp(d->sigs[i].keyid, key_id(k)) != 0)
			continue;
		if (key_verify(k, pae, pae_len, d->sigs[i].sig,
			       d->sigs[i].sig_len, NULL) == 0)
			return true;
		*saw_bad = true;
	}
	return false;
}

/* Counts the distinct trusted keys whose signature verifies. */
static size_t dsse_count_valid(const struct dsse *d, struct key *const *keys,
			       size_t n_keys, const uint8_t *pae,
			       size_t pae_len, const struct key **bad_key)
{
	size_t valid = 0;
	size_t i;
	size_t j;

	for (i = 0; i < n_keys; i++) {
		bool saw_bad = false;
		bool seen = false;

		for (j = 0; j < i; j++)
			seen = seen ||
			       strcmp(key_id(keys[j]), key_id(keys[i])) == 0;
		if (seen)
			continue;
		if (dsse_key_signed(d, keys[i], pae, pae_len, &saw_bad))
			valid++;
		else if (saw_bad && *bad_key == NULL)
			*bad_key = keys[i];
	}
	return valid;
}

int dsse_verify(const struct dsse *d, const char *what, struct key *const *keys,
		size_t n_keys, size_t threshold, struct hs_err *e)
{
	const struct key *bad_key = NULL;
	uint8_t *pae = NULL;
	size_t pae_len = 0;
	size_t valid;
	int r;

	if (threshold == 0)
		return hs_err_set(e, -EINVAL, "%s: threshold is 0", what);
	if (d->n_sigs == 0)
		return hs_err_set(e, -EKEYREJECTED, "%s: missing signature",
				  what);
	r = dsse_pae(d->type, d->payload, d->payload_len, &pae, &pae_len);
	if (r < 0)
		return hs_err_set(e, r, "%s: cannot encode for verification",
				  what);
	valid = dsse_count_valid(d, keys, n_keys, pae, pae_len, &bad_key);
	free(pae);
	if (valid >= threshold)
		return 0;
	if (valid == 0 && bad_key != NULL)
		return hs_err_set(e, -EKEYREJECTED,
				  "%s: bad signature by key %.16s", what,
				  key_id(bad_key));
	if (valid == 0)
		return hs_err_set(e, -EKEYREJECTED,
				  "%s: signed by unknown keys only", what);
	return hs_err_set(e, -EKEYREJECTED,
			  "%s: too few valid signatures: %zu of %zu required",
			  what, valid, threshold);
}

static int dsse_to_json(const char *type, const void *payload, size_t n,
			json_t *sigs, char **ret_json, struct hs_err *e)
{
	char *b64 = hs_b64_encode(payload, n);
	json_t *env;
	char *out;

	if (b64 == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	env = json_pack("{s:s, s:s, s:O}", "payloadType", type, "payload", b64,
			"signatures", sigs);
	free(b64);
	if (env == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	out = json_dumps(env, JSON_INDENT(2));
	json_decref(env);
	if (out == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*ret_json = out;
	return 0;
}

int dsse_sign(const char *type, const void *payload, size_t n,
	      struct key *const *keys, size_t n_keys, char **ret_json,
	      struct hs_err *e)
{
	uint8_t sig[KEY_SIG_LEN];
	json_t *sigs = json_array();
	uint8_t *pae = NULL;
	size_t pae_len = 0;
	size_t i;
	int r;

	if (sigs == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = dsse_pae(type, payload, n, &pae, &pae_len);
	if (r < 0) {
		r = hs_err_set(e, r, "cannot encode for signing");
		goto out;
	}
	for (i = 0; i < n_keys; i++) {
		char *b64;

		r = key_sign(keys[i], pae, pae_len, sig, e);
		if (r < 0)
			goto out;
		b64 = hs_b64_encode(sig, sizeof(sig));
		if (b64 == NULL ||
		    json_array_append_new(sigs, json_pack("{s:s, s:s}", "keyid",
							  key_id(keys[i]),
							  "sig", b64)) < 0) {
			free(b64);
			r = hs_err_set(e, -ENOMEM, "out of memory");
			goto out;
		}
		free(b64);
	}
	r = dsse_to_json(type, payload, n, sigs, ret_json, e);
out:
	free(pae);
	json_decref(sigs);
	return r;
}
