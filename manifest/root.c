/*
 * root.c - parsing and building the root payload.  A root owns its keys;
 * its roles point into them.
 */
#include "root.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "field.h"
#include "hs_limits.h"
#include "str.h"

struct root {
	uint64_t version;
	int64_t expires;
	struct key **keys;
	size_t n_keys;
	struct root_role roles[ROOT_ROLE_COUNT];
};

static const char *const role_names[ROOT_ROLE_COUNT] = {
	[ROOT_ROLE_ROOT] = "root",
	[ROOT_ROLE_MANIFEST] = "manifest",
};

const char *root_role_name(enum root_role_id id)
{
	return role_names[id];
}

void root_free(struct root *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_keys; i++)
		key_free(r->keys[i]);
	for (i = 0; i < ROOT_ROLE_COUNT; i++)
		free(r->roles[i].keys);
	free(r->keys);
	free(r);
}

static int root_parse_key(const char *id, json_t *jk, struct key **ret_k,
			  struct hs_err *e)
{
	char type[16];
	char pub[64];
	uint8_t *raw = NULL;
	size_t n = 0;
	struct key *k = NULL;
	int r;

	if (!json_is_object(jk))
		return hs_err_set(e, -EBADMSG, "key %.16s is not an object",
				  id);
	r = field_string(jk, "keytype", type, sizeof(type), e);
	if (r == 0 && strcmp(type, "ed25519") != 0)
		r = hs_err_set(e, -EBADMSG, "keytype '%s' is not ed25519",
			       type);
	if (r == 0)
		r = field_string(jk, "public", pub, sizeof(pub), e);
	if (r == 0 && hs_b64_decode(pub, strlen(pub), &raw, &n) < 0)
		r = hs_err_set(e, -EBADMSG, "'public' is not base64");
	if (r == 0 && key_from_raw(raw, n, &k, e) < 0)
		r = hs_err_set(e, -EBADMSG, "'public' is not an Ed25519 key");
	free(raw);
	if (r == 0 && strcmp(key_id(k), id) != 0)
		r = hs_err_set(e, -EBADMSG,
			       "keyid is not the SHA-256 of its key");
	if (r < 0) {
		key_free(k);
		hs_err_prefix(e, "key %.16s: ", id);
		return r;
	}
	*ret_k = k;
	return 0;
}

static int root_parse_keys(json_t *jkeys, struct root *rt, struct hs_err *e)
{
	const char *id;
	json_t *jk;
	int r;

	if (json_object_size(jkeys) > HS_ROOT_MAX_KEYS)
		return hs_err_set(e, -EBADMSG, "more than %d keys",
				  HS_ROOT_MAX_KEYS);
	rt->keys = calloc(json_object_size(jkeys) + 1, sizeof(*rt->keys));
	if (rt->keys == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	json_object_foreach(jkeys, id, jk)
	{
		r = root_parse_key(id, jk, &rt->keys[rt->n_keys], e);
		if (r < 0)
			return r;
		rt->n_keys++;
	}
	return 0;
}

static struct key *root_find_key(const struct root *rt, const char *id)
{
	size_t i;

	for (i = 0; i < rt->n_keys; i++)
		if (strcmp(key_id(rt->keys[i]), id) == 0)
			return rt->keys[i];
	return NULL;
}

static bool role_has_key(const struct root_role *role, const struct key *k)
{
	size_t i;

	for (i = 0; i < role->n_keys; i++)
		if (role->keys[i] == k)
			return true;
	return false;
}

static int root_parse_role(json_t *jrole, struct root *rt,
			   struct root_role *role, struct hs_err *e)
{
	json_t *ids = json_object_get(jrole, "keyids");
	uint64_t threshold;
	size_t i;
	int r;

	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > HS_ROLE_MAX_KEYS)
		return hs_err_set(e, -EBADMSG,
				  "'keyids' is not a list of 1 to %d ids",
				  HS_ROLE_MAX_KEYS);
	role->keys = calloc(json_array_size(ids), sizeof(*role->keys));
	if (role->keys == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(ids); i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		struct key *k = id != NULL ? root_find_key(rt, id) : NULL;

		if (k == NULL)
			return hs_err_set(e, -EBADMSG,
					  "keyid %zu is not in 'keys'", i);
		if (role_has_key(role, k))
			return hs_err_set(e, -EBADMSG,
					  "keyid %zu is listed twice", i);
		role->keys[role->n_keys++] = k;
	}
	r = field_u64(jrole, "threshold", role->n_keys, &threshold, e);
	if (r < 0)
		return r;
	if (threshold == 0)
		return hs_err_set(e, -EBADMSG, "'threshold' is 0");
	role->threshold = (size_t)threshold;
	return 0;
}

static int root_from_json(json_t *j, struct root *rt, struct hs_err *e)
{
	json_t *jkeys = NULL;
	json_t *jroles = NULL;
	size_t i;
	int r;

	r = field_check_type(j, "root", e);
	if (r == 0)
		r = field_u64(j, "version", INT64_MAX, &rt->version, e);
	if (r == 0 && rt->version == 0)
		r = hs_err_set(e, -EBADMSG, "'version' is 0");
	if (r == 0)
		r = field_time(j, "expires", &rt->expires, e);
	if (r < 0)
		return r;
	r = field_object(j, "keys", &jkeys, e);
	if (r == 0)
		r = root_parse_keys(jkeys, rt, e);
	if (r == 0)
		r = field_object(j, "roles", &jroles, e);
	if (r < 0)
		return r;
	for (i = 0; i < ROOT_ROLE_COUNT; i++) {
		json_t *jrole = NULL;

		r = field_object(jroles, role_names[i], &jrole, e);
		if (r < 0) {
			hs_err_prefix(e, "roles: ");
			return r;
		}
		r = root_parse_role(jrole, rt, &rt->roles[i], e);
		if (r < 0) {
			hs_err_prefix(e, "role '%s': ", role_names[i]);
			return r;
		}
	}
	return 0;
}

int root_parse(const uint8_t *payload, size_t n, struct root **ret_r,
	       struct hs_err *e)
{
	struct root *rt;
	json_t *j = NULL;
	int r;

	r = field_load(payload, n, &j, e);
	if (r < 0) {
		hs_err_prefix(e, "root: ");
		return r;
	}
	rt = calloc(1, sizeof(*rt));
	if (rt == NULL) {
		r = hs_err_set(e, -ENOMEM, "out of memory");
		goto out_json;
	}
	r = root_from_json(j, rt, e);
	if (r < 0) {
		hs_err_prefix(e, "root: ");
		goto out_free;
	}
	*ret_r = rt;
	rt = NULL;
out_free:
	root_free(rt);
out_json:
	json_decref(j);
	return r;
}

uint64_t root_version(const struct root *r)
{
	return r->version;
}

int64_t root_expires(const struct root *r)
{
	return r->expires;
}

const struct root_role *root_role(const struct root *r, enum root_role_id id)
{
	return &r->roles[id];
}

/* Adds each key to jkeys and its id to the role's keyids. */
static int root_build_role(json_t *jkeys, json_t *jroles, const char *name,
			   struct key *const *keys, size_t n, size_t threshold)
{
	json_t *ids = json_array();
	size_t i;

	if (ids == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		char *b64 = hs_b64_encode(key_raw(keys[i]), KEY_RAW_LEN);

		if (b64 == NULL ||
		    json_object_set_new(jkeys, key_id(keys[i]),
					json_pack("{s:s, s:s}", "keytype",
						  "ed25519", "public", b64)) <
			    0 ||
		    json_array_append_new(ids, json_string(key_id(keys[i]))) <
			    0) {
			free(b64);
			json_decref(ids);
			return -ENOMEM;
		}
		free(b64);
	}
	return json_object_set_new(jroles, name,
				   json_pack("{s:o, s:I}", "keyids", ids,
					     "threshold",
					     (json_int_t)threshold)) < 0
		       ? -ENOMEM
		       : 0;
}

static bool keys_have_duplicates(struct key *const *keys, size_t n)
{
	size_t i;
	size_t j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(key_id(keys[i]), key_id(keys[j])) == 0)
				return true;
	return false;
}

int root_build(uint64_t version, int64_t expires,
	       struct key *const *const keys[ROOT_ROLE_COUNT],
	       const size_t n_keys[ROOT_ROLE_COUNT],
	       const size_t thresholds[ROOT_ROLE_COUNT], char **ret_json,
	       struct hs_err *e)
{
	char when[21];
	json_t *jkeys = NULL;
	json_t *jroles = NULL;
	json_t *j = NULL;
	char *out = NULL;
	size_t i;
	int r = 0;

	for (i = 0; i < ROOT_ROLE_COUNT; i++)
		if (keys_have_duplicates(keys[i], n_keys[i]))
			return hs_err_set(e, -EINVAL,
					  "role '%s': a key is given twice",
					  role_names[i]);
	for (i = 0; i < ROOT_ROLE_COUNT; i++)
		if (thresholds[i] == 0 || thresholds[i] > n_keys[i])
			return hs_err_set(e, -EINVAL,
					  "role '%s': threshold %zu with %zu "
					  "keys",
					  role_names[i], thresholds[i],
					  n_keys[i]);
	jkeys = json_object();
	jroles = json_object();
	if (jkeys == NULL || jroles == NULL)
		r = -ENOMEM;
	for (i = 0; r == 0 && i < ROOT_ROLE_COUNT; i++)
		r = root_build_role(jkeys, jroles, role_names[i], keys[i],
				    n_keys[i], thresholds[i]);
	hs_time_format(expires, when);
	if (r == 0)
		j = json_pack("{s:s, s:I, s:s, s:O, s:O}", "_type", "root",
			      "version", (json_int_t)version, "expires", when,
			      "keys", jkeys, "roles", jroles);
	if (j != NULL)
		out = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(j);
	json_decref(jkeys);
	json_decref(jroles);
	if (out == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*ret_json = out;
	return 0;
}
