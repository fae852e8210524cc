/*
 * trustutil.c - keys, envelopes, JSON edits, roots and manifests for the
 * metadata tests.
 */
#include "trustutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dsse.h"
#include "hs_err.h"
#include "key.h"
#include "manifest.h"
#include "root.h"
#include "str.h"
#include "trust.h"

struct key *tu_key_new(void)
{
	struct key *k = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	if (key_generate(&k, &e) < 0)
		fail_msg("key_generate: %s", e.msg);
	assert_non_null(k);
	return k;
}

char *tu_sign(const char *type, const char *payload, struct key *const *keys,
	      size_t n)
{
	struct hs_err e;
	char *json = NULL;

	hs_err_clear(&e);
	if (dsse_sign(type, payload, strlen(payload), keys, n, &json, &e) < 0)
		fail_msg("dsse_sign: %s", e.msg);
	assert_non_null(json);
	return json;
}

/* The member of j named by one path component: a key, or an index. */
static json_t *json_child(json_t *j, const char *part)
{
	uint64_t i;

	if (!json_is_array(j))
		return json_object_get(j, part);
	assert_int_equal(hs_parse_u64(part, SIZE_MAX, &i), 0);
	return json_array_get(j, (size_t)i);
}

char *tu_json_edit(const char *json, const char *path, const char *value)
{
	json_t *j = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	json_t *parent = j;
	char buf[256];
	char *name = buf;
	char *slash;
	char *out;

	assert_non_null(j);
	assert_int_equal(hs_strlcpy(buf, path, sizeof(buf)), 0);
	for (slash = strchr(name, '/'); slash != NULL && parent != NULL;
	     slash = strchr(name, '/')) {
		*slash = '\0';
		parent = json_child(parent, name);
		name = slash + 1;
	}
	assert_true(json_is_object(parent));
	if (value == NULL) {
		assert_int_equal(json_object_del(parent, name), 0);
	} else {
		json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);

		assert_non_null(v);
		assert_int_equal(json_object_set_new(parent, name, v), 0);
	}
	out = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
	assert_non_null(out);
	json_decref(j);
	return out;
}

/* Roots and manifests. */

int tu_keys_setup(void **state)
{
	struct tu_keys *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	k->r1 = tu_key_new();
	k->r2 = tu_key_new();
	k->m1 = tu_key_new();
	k->m2 = tu_key_new();
	k->n1 = tu_key_new();
	k->x1 = tu_key_new();
	*state = k;
	return 0;
}

int tu_keys_teardown(void **state)
{
	struct tu_keys *k = *state;

	key_free(k->x1);
	key_free(k->n1);
	key_free(k->m2);
	key_free(k->m1);
	key_free(k->r2);
	key_free(k->r1);
	free(k);
	return 0;
}

char *tu_root_payload(uint64_t version, int64_t expires,
		      const struct tu_role *root_role,
		      const struct tu_role *manifest_role)
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

char *tu_root_v1_payload(const struct tu_keys *k, int64_t expires)
{
	const struct tu_role rr = {{k->r1}, 1, 1};
	const struct tu_role mr = {{k->m1}, 1, 1};

	return tu_root_payload(1, expires, &rr, &mr);
}

struct root *tu_root_load(const char *env)
{
	struct root *root = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	if (trust_root_load(env, strlen(env), &root, &e) < 0)
		fail_msg("trust_root_load: %s", e.msg);
	return root;
}

struct root *tu_root_v1(const struct tu_keys *k, int64_t expires)
{
	char *payload = tu_root_v1_payload(k, expires);
	char *env = tu_sign(DSSE_TYPE_ROOT, payload, &k->r1, 1);
	struct root *root = tu_root_load(env);

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

char *tu_manifest_payload(uint64_t serial, int64_t expires,
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

int tu_manifest_check(const struct root *root, const char *env,
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
