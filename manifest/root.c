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
#include "b64.h"
#include "str.h"
#include "version.h"

struct root {
	uint64_t version;
	int64_t expires;
	struct key **keys;
	size_t n_keys;
	struct root_role roles[ROOT_ROLE_COUNT];
	struct root_vendor *vendors;
	size_t n_vendors;
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
	for (i = 0; i < r->n_vendors; i++) {
		free(r->vendors[i].role.keys);
		free(r->vendors[i].patterns);
	}
	free(r->vendors);
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

/*
 * A pattern is a component name in which '*' may stand for any run.  Names
 * are lowercase (version_name_is_valid), so an uppercase letter would make a
 * pattern that never matches and leave the component it meant unowned.
 */
static bool root_pattern_is_valid(const char *p)
{
	size_t n = strlen(p);
	size_t i;

	if (n == 0 || n > ROOT_PATTERN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!(p[i] == '*' || p[i] == '-' || p[i] == '_' ||
		      p[i] == '.' || (p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'z')))
			return false;
	return true;
}

bool root_pattern_match(const char *p, const char *s)
{
	const char *star = NULL;
	const char *resume = NULL;

	/* Greedy with backtracking to the last '*': linear in practice,
	 * and names and patterns are at most 64 bytes. */
	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static int root_parse_patterns(json_t *jv, struct root_vendor *v,
			       struct hs_err *e)
{
	json_t *jp = json_object_get(jv, "components");
	size_t i;

	if (!json_is_array(jp) || json_array_size(jp) == 0 ||
	    json_array_size(jp) > HS_VENDOR_MAX_PATTERNS)
		return hs_err_set(e, -EBADMSG,
				  "'components' is not a list of 1 to %d "
				  "name patterns",
				  HS_VENDOR_MAX_PATTERNS);
	v->patterns = calloc(json_array_size(jp), sizeof(*v->patterns));
	if (v->patterns == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(jp); i++) {
		const char *p = json_string_value(json_array_get(jp, i));

		if (p == NULL || !root_pattern_is_valid(p))
			return hs_err_set(e, -EBADMSG,
					  "'components' %zu is not a name "
					  "pattern",
					  i);
		(void)hs_strlcpy(v->patterns[i], p, sizeof(v->patterns[i]));
		v->n_patterns++;
	}
	return 0;
}

static int root_parse_vendors(json_t *j, struct root *rt, struct hs_err *e)
{
	json_t *jvendors = json_object_get(j, "vendors");
	const char *name;
	json_t *jv;
	int r;

	if (jvendors == NULL)
		return 0;
	if (!json_is_object(jvendors) ||
	    json_object_size(jvendors) > HS_ROOT_MAX_VENDORS)
		return hs_err_set(e, -EBADMSG,
				  "'vendors' is not an object of at most %d "
				  "vendors",
				  HS_ROOT_MAX_VENDORS);
	rt->vendors =
		calloc(json_object_size(jvendors) + 1, sizeof(*rt->vendors));
	if (rt->vendors == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	json_object_foreach(jvendors, name, jv)
	{
		struct root_vendor *v = &rt->vendors[rt->n_vendors];

		if (!version_name_is_valid(name) ||
		    hs_strlcpy(v->name, name, sizeof(v->name)) < 0)
			return hs_err_set(e, -EBADMSG,
					  "vendor %zu: not a valid name",
					  rt->n_vendors);
		rt->n_vendors++;
		if (!json_is_object(jv))
			r = hs_err_set(e, -EBADMSG, "not an object");
		else
			r = root_parse_role(jv, rt, &v->role, e);
		if (r == 0)
			r = root_parse_patterns(jv, v, e);
		if (r < 0) {
			hs_err_prefix(e, "vendor '%s': ", name);
			return r;
		}
	}
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
	return root_parse_vendors(j, rt, e);
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

bool root_role_equal(const struct root *a, const struct root *b,
		     enum root_role_id id)
{
	const struct root_role *x = &a->roles[id];
	const struct root_role *y = &b->roles[id];
	size_t i;
	size_t k;

	if (x->threshold != y->threshold || x->n_keys != y->n_keys)
		return false;
	/* Keys are distinct within a role: same size and x within y. */
	for (i = 0; i < x->n_keys; i++) {
		for (k = 0; k < y->n_keys; k++)
			if (strcmp(key_id(x->keys[i]), key_id(y->keys[k])) == 0)
				break;
		if (k == y->n_keys)
			return false;
	}
	return true;
}

size_t root_n_vendors(const struct root *r)
{
	return r->n_vendors;
}

const struct root_vendor *root_vendor_at(const struct root *r, size_t i)
{
	return i < r->n_vendors ? &r->vendors[i] : NULL;
}

static bool root_vendor_owns(const struct root_vendor *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n_patterns; i++)
		if (root_pattern_match(v->patterns[i], name))
			return true;
	return false;
}

int root_owner(const struct root *r, const char *name,
	       const struct root_vendor **ret_v, struct hs_err *e)
{
	const struct root_vendor *owner = NULL;
	size_t i;

	for (i = 0; i < r->n_vendors; i++) {
		if (!root_vendor_owns(&r->vendors[i], name))
			continue;
		if (owner != NULL)
			return hs_err_set(e, -EKEYREJECTED,
					  "'%s' is claimed by vendors '%s' and "
					  "'%s' in root %llu",
					  name, owner->name, r->vendors[i].name,
					  (unsigned long long)r->version);
		owner = &r->vendors[i];
	}
	*ret_v = owner;
	return 0;
}

void root_to_spec(const struct root *r, struct root_spec *spec,
		  struct root_spec_vendor *vendors, const char **patterns)
{
	size_t i;
	size_t k;

	memset(spec, 0, sizeof(*spec));
	spec->version = r->version;
	spec->expires = r->expires;
	for (i = 0; i < ROOT_ROLE_COUNT; i++) {
		spec->roles[i].keys = r->roles[i].keys;
		spec->roles[i].n_keys = r->roles[i].n_keys;
		spec->roles[i].threshold = r->roles[i].threshold;
	}
	for (i = 0; i < r->n_vendors; i++) {
		const struct root_vendor *v = &r->vendors[i];

		vendors[i].name = v->name;
		vendors[i].role.keys = v->role.keys;
		vendors[i].role.n_keys = v->role.n_keys;
		vendors[i].role.threshold = v->role.threshold;
		vendors[i].patterns = patterns;
		vendors[i].n_patterns = v->n_patterns;
		for (k = 0; k < v->n_patterns; k++)
			*patterns++ = v->patterns[k];
	}
	spec->vendors = vendors;
	spec->n_vendors = r->n_vendors;
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

static int root_check_spec_role(const char *name,
				const struct root_spec_role *role,
				struct hs_err *e)
{
	if (keys_have_duplicates(role->keys, role->n_keys))
		return hs_err_set(e, -EINVAL, "role '%s': a key is given twice",
				  name);
	if (role->n_keys > HS_ROLE_MAX_KEYS)
		return hs_err_set(e, -EINVAL, "role '%s': more than %d keys",
				  name, HS_ROLE_MAX_KEYS);
	if (role->threshold == 0 || role->threshold > role->n_keys)
		return hs_err_set(e, -EINVAL,
				  "role '%s': threshold %zu with %zu keys",
				  name, role->threshold, role->n_keys);
	return 0;
}

static int root_check_spec(const struct root_spec *spec, struct hs_err *e)
{
	size_t i;
	size_t k;
	int r = 0;

	for (i = 0; r == 0 && i < ROOT_ROLE_COUNT; i++)
		r = root_check_spec_role(role_names[i], &spec->roles[i], e);
	if (r == 0 && spec->n_vendors > HS_ROOT_MAX_VENDORS)
		r = hs_err_set(e, -EINVAL, "more than %d vendors",
			       HS_ROOT_MAX_VENDORS);
	for (i = 0; r == 0 && i < spec->n_vendors; i++) {
		const struct root_spec_vendor *v = &spec->vendors[i];

		if (!version_name_is_valid(v->name))
			return hs_err_set(e, -EINVAL,
					  "'%s' is not a valid vendor name",
					  v->name);
		r = root_check_spec_role(v->name, &v->role, e);
		if (r == 0 && (v->n_patterns == 0 ||
			       v->n_patterns > HS_VENDOR_MAX_PATTERNS))
			r = hs_err_set(e, -EINVAL,
				       "vendor '%s': 1 to %d component "
				       "patterns",
				       v->name, HS_VENDOR_MAX_PATTERNS);
		for (k = 0; r == 0 && k < v->n_patterns; k++)
			if (!root_pattern_is_valid(v->patterns[k]))
				r = hs_err_set(e, -EINVAL,
					       "vendor '%s': '%s' is not a "
					       "component name pattern",
					       v->name, v->patterns[k]);
		for (k = 0; r == 0 && k < i; k++)
			if (strcmp(spec->vendors[k].name, v->name) == 0)
				r = hs_err_set(e, -EINVAL,
					       "vendor '%s' is given twice",
					       v->name);
	}
	return r;
}

static int root_build_vendor(json_t *jkeys, json_t *jvendors,
			     const struct root_spec_vendor *v)
{
	json_t *jp = json_array();
	json_t *jv = json_object();
	json_t *tmp = json_object();
	size_t i;
	int r = 0;

	if (jp == NULL || jv == NULL || tmp == NULL)
		r = -ENOMEM;
	for (i = 0; r == 0 && i < v->n_patterns; i++)
		if (json_array_append_new(jp, json_string(v->patterns[i])) < 0)
			r = -ENOMEM;
	/* The role's keyids and threshold, built as for a fixed role. */
	if (r == 0)
		r = root_build_role(jkeys, tmp, "role", v->role.keys,
				    v->role.n_keys, v->role.threshold);
	if (r == 0 &&
	    (json_object_update(jv, json_object_get(tmp, "role")) < 0 ||
	     json_object_set(jv, "components", jp) < 0 ||
	     json_object_set(jvendors, v->name, jv) < 0))
		r = -ENOMEM;
	json_decref(jp);
	json_decref(jv);
	json_decref(tmp);
	return r;
}

int root_build_spec(const struct root_spec *spec, char **ret_json,
		    struct hs_err *e)
{
	char when[21];
	json_t *jkeys = NULL;
	json_t *jroles = NULL;
	json_t *jvendors = NULL;
	json_t *j = NULL;
	char *out = NULL;
	size_t i;
	int r;

	r = root_check_spec(spec, e);
	if (r < 0)
		return r;
	jkeys = json_object();
	jroles = json_object();
	jvendors = json_object();
	if (jkeys == NULL || jroles == NULL || jvendors == NULL)
		r = -ENOMEM;
	for (i = 0; r == 0 && i < ROOT_ROLE_COUNT; i++)
		r = root_build_role(jkeys, jroles, role_names[i],
				    spec->roles[i].keys, spec->roles[i].n_keys,
				    spec->roles[i].threshold);
	for (i = 0; r == 0 && i < spec->n_vendors; i++)
		r = root_build_vendor(jkeys, jvendors, &spec->vendors[i]);
	hs_time_format(spec->expires, when);
	if (r == 0)
		j = json_pack("{s:s, s:I, s:s, s:O, s:O}", "_type", "root",
			      "version", (json_int_t)spec->version, "expires",
			      when, "keys", jkeys, "roles", jroles);
	if (j != NULL && spec->n_vendors > 0 &&
	    json_object_set(j, "vendors", jvendors) < 0) {
		json_decref(j);
		j = NULL;
	}
	if (j != NULL)
		out = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(j);
	json_decref(jkeys);
	json_decref(jroles);
	json_decref(jvendors);
	if (out == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*ret_json = out;
	return 0;
}

int root_build(uint64_t version, int64_t expires,
	       struct key *const *const keys[ROOT_ROLE_COUNT],
	       const size_t n_keys[ROOT_ROLE_COUNT],
	       const size_t thresholds[ROOT_ROLE_COUNT], char **ret_json,
	       struct hs_err *e)
{
	struct root_spec spec;
	size_t i;

	memset(&spec, 0, sizeof(spec));
	spec.version = version;
	spec.expires = expires;
	for (i = 0; i < ROOT_ROLE_COUNT; i++) {
		spec.roles[i].keys = keys[i];
		spec.roles[i].n_keys = n_keys[i];
		spec.roles[i].threshold = thresholds[i];
	}
	return root_build_spec(&spec, ret_json, e);
}
