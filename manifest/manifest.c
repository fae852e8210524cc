/*
 * manifest.c - parsing and building the manifest payload.  Pure: buffers in,
 * structs out.  Every field that reaches a path or a URL is validated here,
 * so later layers can join them without re-checking.
 */
#include "manifest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dsse.h"
#include "field.h"
#include "str.h"
#include "version.h"

static const char *const restart_names[] = {
	[MANIFEST_RESTART_NONE] = "none",
	[MANIFEST_RESTART_APP] = "app",
	[MANIFEST_RESTART_SYSTEM] = "system",
};

const char *manifest_restart_name(enum manifest_restart r)
{
	return restart_names[r];
}

int manifest_restart_parse(const char *s, enum manifest_restart *ret)
{
	size_t i;

	for (i = 0; i < sizeof(restart_names) / sizeof(restart_names[0]); i++)
		if (strcmp(s, restart_names[i]) == 0) {
			*ret = (enum manifest_restart)i;
			return 0;
		}
	return -EINVAL;
}

bool manifest_url_is_valid(const char *url)
{
	const size_t n = strnlen(url, HS_URL_MAX);
	size_t i;

	if (n == 0 || n >= HS_URL_MAX || url[0] == '/' ||
	    strstr(url, "..") != NULL || strstr(url, "//") != NULL)
		return false;
	for (i = 0; i < n; i++) {
		const char c = url[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '~' || c == '/' || c == '-'))
			return false;
	}
	return true;
}

void manifest_free(struct manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_components; i++)
		free(m->components[i].entry);
	free(m->components);
	free(m);
}

static int manifest_parse_package(json_t *jc, struct manifest_package *p,
				  struct hs_err *e)
{
	json_t *jp = NULL;
	int r;

	r = field_object(jc, "package", &jp, e);
	if (r == 0)
		r = field_string(jp, "url", p->url, sizeof(p->url), e);
	if (r == 0 && !manifest_url_is_valid(p->url))
		r = hs_err_set(e, -EBADMSG,
			       "package url '%s' is not a plain "
			       "relative path",
			       p->url);
	if (r == 0)
		r = field_u64(jp, "size", HS_PACKAGE_MAX_BYTES, &p->size, e);
	if (r == 0 && p->size == 0)
		r = hs_err_set(e, -EBADMSG, "package size is 0");
	if (r == 0)
		r = field_string(jp, "sha256", p->sha256, sizeof(p->sha256), e);
	if (r == 0 && !hs_is_sha256_hex(p->sha256))
		r = hs_err_set(e, -EBADMSG,
			       "package sha256 is not 64 lowercase hex digits");
	if (r == 0 && json_object_get(jp, "tar_sha256") != NULL) {
		r = field_u64(jp, "tar_size", HS_ARCHIVE_MAX_TOTAL_BYTES,
			      &p->tar_size, e);
		if (r == 0)
			r = field_string(jp, "tar_sha256", p->tar_sha256,
					 sizeof(p->tar_sha256), e);
		if (r == 0 && !hs_is_sha256_hex(p->tar_sha256))
			r = hs_err_set(e, -EBADMSG,
				       "package tar_sha256 is not 64 lowercase "
				       "hex digits");
	}
	return r;
}

static bool manifest_method_is_known(const char *m)
{
	return strcmp(m, "zstd") == 0 || strcmp(m, "sufdiff") == 0;
}

static int manifest_parse_delta(json_t *jd, struct manifest_delta *d,
				struct hs_err *e)
{
	int r;

	if (!json_is_object(jd))
		return hs_err_set(e, -EBADMSG, "not an object");
	r = field_string(jd, "from", d->from, sizeof(d->from), e);
	if (r == 0 && !version_is_valid(d->from))
		r = hs_err_set(e, -EBADMSG, "invalid version '%s'", d->from);
	if (r == 0)
		r = field_string(jd, "method", d->method, sizeof(d->method), e);
	if (r == 0)
		r = field_string(jd, "base_sha256", d->base_sha256,
				 sizeof(d->base_sha256), e);
	if (r == 0 && !hs_is_sha256_hex(d->base_sha256))
		r = hs_err_set(e, -EBADMSG,
			       "base_sha256 is not 64 lowercase hex digits");
	if (r == 0)
		r = field_string(jd, "url", d->url, sizeof(d->url), e);
	if (r == 0 && !manifest_url_is_valid(d->url))
		r = hs_err_set(e, -EBADMSG,
			       "url '%s' is not a plain relative path", d->url);
	if (r == 0)
		r = field_u64(jd, "size", HS_PACKAGE_MAX_BYTES, &d->size, e);
	if (r == 0 && d->size == 0)
		r = hs_err_set(e, -EBADMSG, "size is 0");
	if (r == 0)
		r = field_string(jd, "sha256", d->sha256, sizeof(d->sha256), e);
	if (r == 0 && !hs_is_sha256_hex(d->sha256))
		r = hs_err_set(e, -EBADMSG,
			       "sha256 is not 64 lowercase hex digits");
	return r;
}

/* "deltas": optional; an unknown method is skipped (a newer publisher),
 * anything else malformed is refused. */
static int manifest_parse_deltas(json_t *jc, struct manifest_component *c,
				 struct hs_err *e)
{
	json_t *jds = json_object_get(jc, "deltas");
	json_t *jd;
	size_t i;
	int r;

	if (jds == NULL)
		return 0;
	if (!json_is_array(jds) ||
	    json_array_size(jds) > HS_MANIFEST_MAX_DELTAS)
		return hs_err_set(e, -EBADMSG,
				  "'deltas' is not a list of at most %d",
				  HS_MANIFEST_MAX_DELTAS);
	if (json_array_size(jds) > 0 && c->package.tar_sha256[0] == '\0')
		return hs_err_set(e, -EBADMSG,
				  "deltas without the package's tar_sha256");
	json_array_foreach(jds, i, jd)
	{
		struct manifest_delta *d = &c->deltas[c->n_deltas];

		memset(d, 0, sizeof(*d));
		r = manifest_parse_delta(jd, d, e);
		if (r < 0) {
			hs_err_prefix(e, "delta %zu: ", i);
			return r;
		}
		if (manifest_method_is_known(d->method))
			c->n_deltas++;
	}
	return 0;
}

static int manifest_parse_forced(json_t *jc, struct manifest_component *c,
				 struct hs_err *e)
{
	json_t *jf = json_object_get(jc, "forced");
	json_t *ja;

	if (jf == NULL)
		return 0;
	if (!json_is_object(jf))
		return hs_err_set(e, -EBADMSG, "'forced' is not an object");
	c->forced = true;
	if (json_object_get(jf, "deadline") != NULL &&
	    field_time(jf, "deadline", &c->deadline, e) < 0) {
		hs_err_prefix(e, "forced: ");
		return -EBADMSG;
	}
	ja = json_object_get(jf, "allow_downgrade");
	if (ja != NULL && !json_is_boolean(ja))
		return hs_err_set(e, -EBADMSG,
				  "forced: 'allow_downgrade' is not true or "
				  "false");
	c->allow_downgrade = json_is_true(ja);
	return 0;
}

/* "set": optional, a name like a component's. */
static int manifest_parse_set(json_t *jc, struct manifest_component *c,
			      struct hs_err *e)
{
	if (json_object_get(jc, "set") == NULL)
		return 0;
	if (field_string(jc, "set", c->set, sizeof(c->set), e) < 0)
		return -EBADMSG;
	if (!version_name_is_valid(c->set))
		return hs_err_set(e, -EBADMSG,
				  "set '%s' is not a name (a-z, 0-9, '.', "
				  "'_', '-')",
				  c->set);
	return 0;
}

/* The fields of an entry, plain or from a vendor's envelope. */
static int manifest_parse_fields(json_t *jc, struct manifest_component *c,
				 struct hs_err *e)
{
	char restart[16];
	int r;

	r = field_string(jc, "version", c->version, sizeof(c->version), e);
	if (r == 0 && !version_is_valid(c->version))
		r = hs_err_set(e, -EBADMSG, "invalid version '%s'", c->version);
	if (r == 0)
		r = field_string(jc, "minimum", c->minimum, sizeof(c->minimum),
				 e);
	if (r == 0 && !version_is_valid(c->minimum))
		r = hs_err_set(e, -EBADMSG, "invalid minimum '%s'", c->minimum);
	if (r == 0 && version_compare(c->minimum, c->version) > 0)
		r = hs_err_set(e, -EBADMSG, "minimum %s is above version %s",
			       c->minimum, c->version);
	if (r == 0)
		r = field_string(jc, "restart", restart, sizeof(restart), e);
	if (r == 0 && manifest_restart_parse(restart, &c->restart) < 0)
		r = hs_err_set(e, -EBADMSG,
			       "restart '%s' is not none, app or system",
			       restart);
	if (r == 0)
		r = manifest_parse_set(jc, c, e);
	if (r == 0)
		r = manifest_parse_package(jc, &c->package, e);
	if (r == 0)
		r = manifest_parse_deltas(jc, c, e);
	if (r == 0)
		r = manifest_parse_forced(jc, c, e);
	return r;
}

/* {"vendor": NAME, "entry": ENVELOPE}: the fields come from the payload. */
static int manifest_parse_signed(json_t *jc, struct manifest_component *c,
				 struct hs_err *e)
{
	json_t *jp = NULL;
	struct dsse *d = NULL;
	char name[HS_NAME_MAX + 1];
	const uint8_t *p;
	size_t n;
	int r;

	r = field_string(jc, "vendor", c->vendor, sizeof(c->vendor), e);
	if (r == 0 && !version_name_is_valid(c->vendor))
		r = hs_err_set(e, -EBADMSG, "invalid vendor name");
	if (r < 0)
		return r;
	c->entry = json_dumps(json_object_get(jc, "entry"), JSON_COMPACT);
	if (c->entry == NULL)
		return hs_err_set(e, -EBADMSG, "'entry' is not an envelope");
	c->entry_len = strlen(c->entry);
	r = dsse_parse(c->entry, c->entry_len, HS_MANIFEST_MAX_BYTES, &d, e);
	if (r == 0 && strcmp(dsse_payload_type(d), DSSE_TYPE_ENTRY) != 0)
		r = hs_err_set(e, -EBADMSG, "entry: payload type '%.64s'",
			       dsse_payload_type(d));
	if (r == 0) {
		p = dsse_payload(d, &n);
		r = field_load(p, n, &jp, e);
	}
	if (r == 0)
		r = field_check_type(jp, "entry", e);
	if (r == 0)
		r = field_string(jp, "name", name, sizeof(name), e);
	if (r == 0 && strcmp(name, c->name) != 0)
		r = hs_err_set(e, -EBADMSG,
			       "the signed entry is for '%s': mix-and-match",
			       name);
	if (r == 0)
		r = manifest_parse_fields(jp, c, e);
	if (r < 0)
		hs_err_prefix(e, "entry: ");
	json_decref(jp);
	dsse_free(d);
	return r;
}

static int manifest_parse_component(const char *name, json_t *jc,
				    struct manifest_component *c,
				    struct hs_err *e)
{
	if (!version_name_is_valid(name))
		return hs_err_set(e, -EBADMSG, "invalid component name");
	if (!json_is_object(jc))
		return hs_err_set(e, -EBADMSG, "not an object");
	(void)hs_strlcpy(c->name, name, sizeof(c->name));
	if (json_object_get(jc, "entry") != NULL)
		return manifest_parse_signed(jc, c, e);
	return manifest_parse_fields(jc, c, e);
}

static int component_cmp(const void *a, const void *b)
{
	const struct manifest_component *x = a;
	const struct manifest_component *y = b;

	return strcmp(x->name, y->name);
}

static int manifest_from_json(json_t *j, struct manifest *m, struct hs_err *e)
{
	json_t *jcs = NULL;
	json_t *jc;
	const char *name;
	int r;

	r = field_check_type(j, "manifest", e);
	if (r == 0)
		r = field_u64(j, "serial", INT64_MAX, &m->serial, e);
	if (r == 0)
		r = field_time(j, "expires", &m->expires, e);
	if (r == 0)
		r = field_object(j, "components", &jcs, e);
	if (r < 0)
		return r;
	if (json_object_size(jcs) > HS_MANIFEST_MAX_COMPONENTS)
		return hs_err_set(e, -EBADMSG, "more than %d components",
				  HS_MANIFEST_MAX_COMPONENTS);
	m->components =
		calloc(json_object_size(jcs) + 1, sizeof(*m->components));
	if (m->components == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	json_object_foreach(jcs, name, jc)
	{
		/* Counted first, so manifest_free() frees a half-parsed
		 * component's entry too. */
		m->n_components++;
		r = manifest_parse_component(
			name, jc, &m->components[m->n_components - 1], e);
		if (r < 0) {
			hs_err_prefix(e, "component '%.64s': ", name);
			return r;
		}
	}
	qsort(m->components, m->n_components, sizeof(*m->components),
	      component_cmp);
	return 0;
}

int manifest_parse(const uint8_t *payload, size_t n, struct manifest **ret_m,
		   struct hs_err *e)
{
	struct manifest *m;
	json_t *j = NULL;
	int r;

	r = field_load(payload, n, &j, e);
	if (r < 0) {
		hs_err_prefix(e, "manifest: ");
		return r;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		r = hs_err_set(e, -ENOMEM, "out of memory");
		goto out_json;
	}
	r = manifest_from_json(j, m, e);
	if (r < 0) {
		hs_err_prefix(e, "manifest: ");
		goto out_free;
	}
	*ret_m = m;
	m = NULL;
out_free:
	manifest_free(m);
out_json:
	json_decref(j);
	return r;
}

const struct manifest_component *manifest_find(const struct manifest *m,
					       const char *name)
{
	struct manifest_component key;

	if (hs_strlcpy(key.name, name, sizeof(key.name)) < 0)
		return NULL;
	return bsearch(&key, m->components, m->n_components,
		       sizeof(*m->components), component_cmp);
}

/* The package's tar and the deltas to it, when there are. */
static int manifest_build_deltas(const struct manifest_component *c, json_t *j)
{
	json_t *jp = json_object_get(j, "package");
	json_t *jds;
	size_t i;

	if (c->package.tar_sha256[0] == '\0')
		return 0;
	if (json_object_set_new(jp, "tar_size",
				json_integer((json_int_t)c->package.tar_size)) <
		    0 ||
	    json_object_set_new(jp, "tar_sha256",
				json_string(c->package.tar_sha256)) < 0)
		return -ENOMEM;
	if (c->n_deltas == 0)
		return 0;
	jds = json_array();
	for (i = 0; jds != NULL && i < c->n_deltas; i++) {
		const struct manifest_delta *d = &c->deltas[i];

		if (json_array_append_new(
			    jds, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}",
					   "from", d->from, "method", d->method,
					   "base_sha256", d->base_sha256, "url",
					   d->url, "size", (json_int_t)d->size,
					   "sha256", d->sha256)) < 0) {
			json_decref(jds);
			jds = NULL;
		}
	}
	return jds == NULL || json_object_set_new(j, "deltas", jds) < 0
		       ? -ENOMEM
		       : 0;
}

static json_t *manifest_build_fields(const struct manifest_component *c)
{
	char when[21];
	json_t *j;
	json_t *jf;

	j = json_pack("{s:s, s:s, s:s, s:{s:s, s:I, s:s}}", "version",
		      c->version, "minimum", c->minimum, "restart",
		      manifest_restart_name(c->restart), "package", "url",
		      c->package.url, "size", (json_int_t)c->package.size,
		      "sha256", c->package.sha256);
	if (j != NULL &&
	    (manifest_build_deltas(c, j) < 0 ||
	     (c->set[0] != '\0' &&
	      json_object_set_new(j, "set", json_string(c->set)) < 0))) {
		json_decref(j);
		return NULL;
	}
	if (j == NULL || !c->forced)
		return j;
	jf = json_pack("{s:b}", "allow_downgrade", c->allow_downgrade);
	if (jf != NULL && c->deadline != 0) {
		hs_time_format(c->deadline, when);
		if (json_object_set_new(jf, "deadline", json_string(when)) <
		    0) {
			json_decref(jf);
			jf = NULL;
		}
	}
	if (jf == NULL || json_object_set_new(j, "forced", jf) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int manifest_entry_build(const struct manifest_component *c, char **ret_json,
			 struct hs_err *e)
{
	json_t *j = manifest_build_fields(c);
	char *out = NULL;

	if (j != NULL &&
	    json_object_set_new(j, "_type", json_string("entry")) == 0 &&
	    json_object_set_new(j, "name", json_string(c->name)) == 0)
		out = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	if (out == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*ret_json = out;
	return 0;
}

static json_t *manifest_build_component(const struct manifest_component *c)
{
	json_error_t jerr;
	json_t *env;

	if (c->entry == NULL)
		return manifest_build_fields(c);
	env = json_loadb(c->entry, c->entry_len, 0, &jerr);
	if (env == NULL)
		return NULL;
	return json_pack("{s:s, s:o}", "vendor", c->vendor, "entry", env);
}

int manifest_build(const struct manifest *m, char **ret_json, struct hs_err *e)
{
	char when[21];
	json_t *jcs = json_object();
	json_t *j = NULL;
	char *out = NULL;
	size_t i;

	for (i = 0; jcs != NULL && i < m->n_components; i++) {
		json_t *jc = manifest_build_component(&m->components[i]);

		if (jc == NULL ||
		    json_object_set_new(jcs, m->components[i].name, jc) < 0) {
			json_decref(jcs);
			jcs = NULL;
		}
	}
	hs_time_format(m->expires, when);
	if (jcs != NULL)
		j = json_pack("{s:s, s:I, s:s, s:o}", "_type", "manifest",
			      "serial", (json_int_t)m->serial, "expires", when,
			      "components", jcs);
	if (j != NULL)
		out = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(j);
	if (out == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*ret_json = out;
	return 0;
}
