/*
 * test_vendor.c - unit tests for vendor roles and the entries they sign:
 * root.h's name patterns, owners, root_build_spec and root_to_spec;
 * manifest.h's vendor-signed and forced components; and trust_manifest's
 * checks that each owned component is signed by its owner's threshold, and
 * nothing else is.  Entries are made as a vendor's tool makes them:
 * manifest_entry_build, then dsse_sign with DSSE_TYPE_ENTRY.
 */
#include "trustutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsse.h"
#include "hs_err.h"
#include "hs_limits.h"
#include "key.h"
#include "manifest.h"
#include "root.h"
#include "b64.h"
#include "str.h"
#include "trust.h"

#define NOW ((int64_t)1795593600) /* 2026-11-25T08:00:00Z */
#define DAY ((int64_t)86400)
#define DEC1 ((int64_t)1796083200) /* 2026-12-01T00:00:00Z */

static const struct trust_prev first_prev = {0, ""};

/* The keys of test_trust (r1 signs roots, m1 manifests) and the vendors'. */
struct fx {
	struct tu_keys *k;
	struct key *a1; /* acme */
	struct key *a2; /* acme, in the 2-of-2 root */
	struct key *b1; /* beta */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	void *k = NULL;

	assert_non_null(f);
	assert_int_equal(tu_keys_setup(&k), 0);
	f->k = k;
	f->a1 = tu_key_new();
	f->a2 = tu_key_new();
	f->b1 = tu_key_new();
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	void *k = f->k;

	key_free(f->b1);
	key_free(f->a2);
	key_free(f->a1);
	free(f);
	return tu_keys_teardown(&k);
}

/* Roots. */

static const char *const acme_patterns[] = {"cardreader", "card-*"};
static const char *const beta_patterns[] = {"face-*"};

/* Version 1, root role r1, manifest role m1, no vendors. */
static void spec_base(const struct fx *f, struct root_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->version = 1;
	spec->expires = NOW + 365 * DAY;
	spec->roles[ROOT_ROLE_ROOT].keys = &f->k->r1;
	spec->roles[ROOT_ROLE_ROOT].n_keys = 1;
	spec->roles[ROOT_ROLE_ROOT].threshold = 1;
	spec->roles[ROOT_ROLE_MANIFEST].keys = &f->k->m1;
	spec->roles[ROOT_ROLE_MANIFEST].n_keys = 1;
	spec->roles[ROOT_ROLE_MANIFEST].threshold = 1;
}

/* root_build_spec() that fails the test on error. */
static char *build_spec(const struct root_spec *spec)
{
	struct hs_err e;
	char *json = NULL;

	hs_err_clear(&e);
	if (root_build_spec(spec, &json, &e) < 0)
		fail_msg("root_build_spec: %s", e.msg);
	assert_non_null(json);
	return json;
}

/*
 * spec_base() with the vendors acme ("cardreader", "card-*"; n_acme of the
 * keys a1, a2 with threshold) and beta ("face-*"; b1).
 */
static char *vendor_root_payload(const struct fx *f, size_t n_acme,
				 size_t threshold)
{
	struct key *acme[] = {f->a1, f->a2};
	const struct root_spec_vendor vendors[] = {
		{"acme", {acme, n_acme, threshold}, acme_patterns, 2},
		{"beta", {&f->b1, 1, 1}, beta_patterns, 1},
	};
	struct root_spec spec;

	spec_base(f, &spec);
	spec.vendors = vendors;
	spec.n_vendors = TU_ARRAY_SIZE(vendors);
	return build_spec(&spec);
}

/* payload signed by r1 and loaded with trust_root_load(). */
static struct root *load_signed(const struct fx *f, const char *payload)
{
	char *env = tu_sign(DSSE_TYPE_ROOT, payload, &f->k->r1, 1);
	struct root *root = tu_root_load(env);

	free(env);
	return root;
}

/* vendor_root_payload() signed by r1 and loaded. */
static struct root *vendor_root(const struct fx *f, size_t n_acme,
				size_t threshold)
{
	char *payload = vendor_root_payload(f, n_acme, threshold);
	struct root *root = load_signed(f, payload);

	free(payload);
	return root;
}

/* root_parse() of a payload; frees any root it returns. */
static int parse_root(const char *payload, struct hs_err *e)
{
	struct root *root = NULL;
	int r;

	hs_err_clear(e);
	r = root_parse((const uint8_t *)payload, strlen(payload), &root, e);
	assert_true(r == 0 ? root != NULL : root == NULL);
	root_free(root);
	return r;
}

static const struct root_vendor *find_vendor(const struct root *root,
					     const char *name)
{
	const struct root_vendor *v;
	size_t i;

	for (i = 0; i < root_n_vendors(root); i++) {
		v = root_vendor_at(root, i);
		assert_non_null(v);
		if (strcmp(v->name, name) == 0)
			return v;
	}
	fail_msg("no vendor '%s'", name);
	return NULL;
}

/* Manifests. */

/* A plain component, restart app, minimum 1.0, its sha256 all hexdigit. */
static void set_component(struct manifest_component *c, const char *name,
			  const char *version, char hexdigit)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(hs_strlcpy(c->name, name, sizeof(c->name)), 0);
	assert_int_equal(hs_strlcpy(c->version, version, sizeof(c->version)),
			 0);
	assert_int_equal(hs_strlcpy(c->minimum, "1.0", sizeof(c->minimum)), 0);
	c->restart = MANIFEST_RESTART_APP;
	memset(c->package.sha256, hexdigit, 64);
	c->package.sha256[64] = '\0';
	assert_int_equal(hs_snprintf(c->package.url, sizeof(c->package.url),
				     "packages/%s/%s.tar.zst", name,
				     c->package.sha256),
			 0);
	c->package.size = 4096;
}

/* manifest_entry_build() that fails the test on error. */
static char *entry_payload(const struct manifest_component *c)
{
	struct hs_err e;
	char *json = NULL;

	hs_err_clear(&e);
	if (manifest_entry_build(c, &json, &e) < 0)
		fail_msg("manifest_entry_build: %s", e.msg);
	assert_non_null(json);
	return json;
}

/* The envelope a vendor makes of c, signed by n keys as type. */
static char *entry_sign(const struct manifest_component *c, const char *type,
			struct key *const *keys, size_t n)
{
	char *json = entry_payload(c);
	char *env = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	if (dsse_sign(type, json, strlen(json), keys, n, &env, &e) < 0)
		fail_msg("dsse_sign: %s", e.msg);
	free(json);
	return env;
}

/* Makes c the vendor's signed component; c->entry stays the caller's. */
static void set_signed(struct manifest_component *c, const char *vendor,
		       char *env)
{
	assert_int_equal(hs_strlcpy(c->vendor, vendor, sizeof(c->vendor)), 0);
	c->entry = env;
	c->entry_len = strlen(env);
}

/* A manifest payload (serial 1) of n components; the caller frees it. */
static char *manifest_payload(struct manifest_component *cs, size_t n)
{
	struct manifest m;
	struct hs_err e;
	char *json = NULL;

	memset(&m, 0, sizeof(m));
	m.serial = 1;
	m.expires = NOW + DAY;
	m.components = cs;
	m.n_components = n;
	hs_err_clear(&e);
	if (manifest_build(&m, &json, &e) < 0)
		fail_msg("manifest_build: %s", e.msg);
	assert_non_null(json);
	return json;
}

/* manifest_parse() that fails the test on error. */
static struct manifest *parse_manifest(const char *payload)
{
	struct manifest *m = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	if (manifest_parse((const uint8_t *)payload, strlen(payload), &m, &e) <
	    0)
		fail_msg("manifest_parse: %s", e.msg);
	assert_non_null(m);
	return m;
}

/* trust_manifest() of payload signed by m1 (the manifest role). */
static int check_manifest(const struct fx *f, const struct root *root,
			  const char *payload, struct hs_err *e)
{
	char *env = tu_sign(DSSE_TYPE_MANIFEST, payload, &f->k->m1, 1);
	char sha[65];
	const int r = tu_manifest_check(root, env, &first_prev, NOW, sha, e);

	free(env);
	return r;
}

/* trust_manifest() as above, returning the manifest. */
static struct manifest *trust_manifest_ok(const struct fx *f,
					  const struct root *root,
					  const char *payload)
{
	char *env = tu_sign(DSSE_TYPE_MANIFEST, payload, &f->k->m1, 1);
	struct manifest *m = NULL;
	char sha[65];
	struct hs_err e;

	hs_err_clear(&e);
	if (trust_manifest(root, env, strlen(env), &first_prev, NOW, &m, sha,
			   &e) < 0)
		fail_msg("trust_manifest: %s", e.msg);
	assert_non_null(m);
	free(env);
	return m;
}

/*
 * The good manifest's components: cardreader signed by acme (a1),
 * face-lib_2 signed by beta (b1), linkage plain (no vendor owns it).
 * envs[] receives the envelopes, which the caller frees.
 */
static void good_components(const struct fx *f, struct manifest_component cs[3],
			    char *envs[2])
{
	set_component(&cs[0], "cardreader", "2.1.0", 'a');
	envs[0] = entry_sign(&cs[0], DSSE_TYPE_ENTRY, &f->a1, 1);
	set_signed(&cs[0], "acme", envs[0]);
	set_component(&cs[1], "face-lib_2", "1.2-rc.1", 'f');
	envs[1] = entry_sign(&cs[1], DSSE_TYPE_ENTRY, &f->b1, 1);
	set_signed(&cs[1], "beta", envs[1]);
	set_component(&cs[2], "linkage", "3.2", 'c');
}

/* Fails unless entry is an envelope of type entry holding c's payload. */
static void assert_entry_holds(const char *entry, size_t len,
			       const struct manifest_component *c)
{
	char *want = entry_payload(c);
	struct dsse *d = NULL;
	const uint8_t *p;
	size_t n;
	struct hs_err e;

	hs_err_clear(&e);
	assert_non_null(entry);
	assert_int_equal(strlen(entry), len);
	if (dsse_parse(entry, len, HS_MANIFEST_MAX_BYTES, &d, &e) < 0)
		fail_msg("dsse_parse: %s", e.msg);
	assert_string_equal(dsse_payload_type(d), DSSE_TYPE_ENTRY);
	p = dsse_payload(d, &n);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
	dsse_free(d);
	free(want);
}

/* Patterns and owners. */

static void test_pattern_match(void **state)
{
	static const struct {
		const char *pattern;
		const char *name;
		bool want;
	} cases[] = {
		/* Exact. */
		{"cardreader", "cardreader", true},
		{"cardreader", "cardreade", false},
		{"cardreade", "cardreader", false},
		{"linkage", "cardreader", false},
		/* '*' as suffix, prefix, middle; an empty run matches. */
		{"card-*", "card-x", true},
		{"card-*", "card-reader-2", true},
		{"card-*", "card-", true},
		{"card-*", "card", false},
		{"card-*", "cardreader", false},
		{"*-lib", "face-lib", true},
		{"*-lib", "-lib", true},
		{"*-lib", "face-lib2", false},
		{"*ab", "aab", true},
		{"face-*_2", "face-lib_2", true},
		{"face-*_2", "face-_2", true},
		{"face-*_2", "face-lib_3", false},
		{"face-*_2", "face-lib_2x", false},
		/* Several '*', with backtracking. */
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "abcbc", true},
		{"a*b*c", "acb", false},
		{"a*bc", "abcbc", true},
		{"a*bc", "abcb", false},
		{"*x*", "x", true},
		{"*x*", "axb", true},
		{"*x*", "ayb", false},
		{"**", "x", true},
		/* '*' alone matches everything. */
		{"*", "x", true},
		{"*", "cardreader", true},
		/* Case matters. */
		{"Cardreader", "cardreader", false},
		{"CARD-*", "card-x", false},
		/* A pattern longer than the name. */
		{"cardreader-extra", "cardreader", false},
		{"cardreader*x", "cardreader", false},
		{"cardreader*", "cardreader", true},
		{"", "x", false},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++)
		if (root_pattern_match(cases[i].pattern, cases[i].name) !=
		    cases[i].want)
			tu_report_bad(&bad, "'%s' ~ '%s': want %s",
				      cases[i].pattern, cases[i].name,
				      cases[i].want ? "match" : "no match");
	assert_int_equal(bad, 0);
}

static void test_root_vendors_load(void **state)
{
	struct fx *f = *state;
	char *payload = vendor_root_payload(f, 1, 1);
	struct root *root = load_signed(f, payload);
	const struct root_vendor *acme = find_vendor(root, "acme");
	const struct root_vendor *beta = find_vendor(root, "beta");

	assert_int_equal(root_n_vendors(root), 2);
	assert_null(root_vendor_at(root, 2));
	assert_int_equal(acme->n_patterns, 2);
	assert_string_equal(acme->patterns[0], "cardreader");
	assert_string_equal(acme->patterns[1], "card-*");
	assert_int_equal(acme->role.n_keys, 1);
	assert_int_equal(acme->role.threshold, 1);
	assert_string_equal(key_id(acme->role.keys[0]), key_id(f->a1));
	assert_int_equal(beta->n_patterns, 1);
	assert_string_equal(beta->patterns[0], "face-*");
	assert_int_equal(beta->role.n_keys, 1);
	assert_int_equal(beta->role.threshold, 1);
	assert_string_equal(key_id(beta->role.keys[0]), key_id(f->b1));
	root_free(root);
	free(payload);

	/* Two keys, threshold 2. */
	payload = vendor_root_payload(f, 2, 2);
	root = load_signed(f, payload);
	acme = find_vendor(root, "acme");
	assert_int_equal(acme->role.n_keys, 2);
	assert_int_equal(acme->role.threshold, 2);
	assert_string_equal(key_id(acme->role.keys[1]), key_id(f->a2));
	root_free(root);
	free(payload);
}

/* root_to_spec() of a parsed root builds the same payload, byte for byte. */
static void test_root_spec_round_trip(void **state)
{
	struct fx *f = *state;
	char *payloads[] = {
		vendor_root_payload(f, 1, 1),
		vendor_root_payload(f, 2, 2),
		vendor_root_payload(f, 2, 1),
		tu_root_v1_payload(f->k, NOW + 365 * DAY),
	};
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(payloads); i++) {
		struct root *root = load_signed(f, payloads[i]);
		struct root_spec_vendor vendors[2];
		const char *patterns[3];
		struct root_spec spec;
		char *again;

		assert_true(root_n_vendors(root) <= TU_ARRAY_SIZE(vendors));
		root_to_spec(root, &spec, vendors, patterns);
		assert_int_equal(spec.version, 1);
		assert_int_equal(spec.expires, NOW + 365 * DAY);
		assert_int_equal(spec.n_vendors, root_n_vendors(root));
		again = build_spec(&spec);
		assert_string_equal(again, payloads[i]);
		free(again);

		/* The next version, with one change, parses as such. */
		spec.version = 2;
		again = build_spec(&spec);
		root_free(root);
		root = load_signed(f, again);
		assert_int_equal(root_version(root), 2);
		assert_int_equal(root_n_vendors(root), spec.n_vendors);
		root_free(root);
		free(again);
		free(payloads[i]);
	}
}

static void test_root_build_spec_refused(void **state)
{
	struct fx *f = *state;
	struct key *a12[] = {f->a1, f->a2};
	struct key *a11[] = {f->a1, f->a1};
	static const char *const slash[] = {"a/b"};
	static const char *const empty[] = {""};
	static const char *const upper[] = {"Card-*"};
	static const char *many[HS_VENDOR_MAX_PATTERNS + 1];
	const struct root_spec_vendor dup[] = {
		{"acme", {&f->a1, 1, 1}, acme_patterns, 2},
		{"acme", {&f->b1, 1, 1}, beta_patterns, 1},
	};
	const struct root_spec_vendor one[][1] = {
		{{"acme", {&f->a1, 1, 1}, acme_patterns, 0}},
		{{"acme", {&f->a1, 1, 1}, slash, 1}},
		{{"acme", {&f->a1, 1, 1}, empty, 1}},
		{{"acme", {&f->a1, 1, 1}, upper, 1}},
		{{"acme", {&f->a1, 1, 0}, acme_patterns, 2}},
		{{"acme", {a12, 2, 3}, acme_patterns, 2}},
		{{"acme", {a12, 0, 0}, acme_patterns, 2}},
		{{"acme", {a11, 2, 1}, acme_patterns, 2}},
		{{"Acme", {&f->a1, 1, 1}, acme_patterns, 2}},
		{{"a/b", {&f->a1, 1, 1}, acme_patterns, 2}},
		{{"", {&f->a1, 1, 1}, acme_patterns, 2}},
		{{"acme", {&f->a1, 1, 1}, many, HS_VENDOR_MAX_PATTERNS + 1}},
	};
	const struct {
		const char *what;
		const struct root_spec_vendor *vendors;
		size_t n;
		const char *text;
	} cases[] = {
		{"a vendor given twice", dup, 2,
		 "vendor 'acme' is given twice"},
		{"no patterns", one[0], 1, "1 to 64 component patterns"},
		{"pattern 'a/b'", one[1], 1, "'a/b' is not a component"},
		{"pattern ''", one[2], 1, "'' is not a component"},
		{"pattern 'Card-*'", one[3], 1, "'Card-*' is not a component"},
		{"threshold 0", one[4], 1, "threshold 0 with 1 keys"},
		{"threshold 3 of 2", one[5], 1, "threshold 3 with 2 keys"},
		{"no keys", one[6], 1, "threshold 0 with 0 keys"},
		{"a key twice", one[7], 1, "a key is given twice"},
		{"name 'Acme'", one[8], 1, "'Acme' is not a valid vendor"},
		{"name 'a/b'", one[9], 1, "'a/b' is not a valid vendor"},
		{"name ''", one[10], 1, "'' is not a valid vendor"},
		{"too many patterns", one[11], 1, "1 to 64 component patterns"},
	};
	struct root_spec spec;
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(many); i++)
		many[i] = "card-*";
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *json = NULL;
		struct hs_err e;
		int r;

		spec_base(f, &spec);
		spec.vendors = cases[i].vendors;
		spec.n_vendors = cases[i].n;
		hs_err_clear(&e);
		r = root_build_spec(&spec, &json, &e);
		tu_check_err(&bad, cases[i].what, r, &e, -EINVAL,
			     cases[i].text);
		if (json != NULL)
			tu_report_bad(&bad, "%s: wrote the JSON",
				      cases[i].what);
		free(json);
	}
	assert_int_equal(bad, 0);
}

static void test_root_parse_vendors_refused(void **state)
{
	struct fx *f = *state;
	char *payload = vendor_root_payload(f, 1, 1);
	char outsider[KEY_ID_LEN + 8];
	const struct {
		const char *path;
		const char *value; /* NULL: deleted */
		const char *text;
	} cases[] = {
		{"vendors", "[]", "'vendors' is not an object"},
		{"vendors", "\"acme\"", "'vendors' is not an object"},
		{"vendors/acme", "[]", "vendor 'acme': not an object"},
		{"vendors/acme/components", NULL, "'components' is not a list"},
		{"vendors/acme/components", "[]", "'components' is not a list"},
		{"vendors/acme/components", "\"card-*\"",
		 "'components' is not a list"},
		{"vendors/acme/components", "[\"cardreader\", 7]",
		 "'components' 1 is not a name pattern"},
		{"vendors/acme/components", "[null]",
		 "'components' 0 is not a name pattern"},
		{"vendors/acme/components", "[\"a/b\"]",
		 "'components' 0 is not a name pattern"},
		{"vendors/acme/components", "[\"\"]",
		 "'components' 0 is not a name pattern"},
		{"vendors/acme/components", "[\"Cardreader\"]",
		 "'components' 0 is not a name pattern"},
		{"vendors/acme/keyids", outsider,
		 "vendor 'acme': keyid 0 is not in 'keys'"},
		{"vendors/acme/keyids", "[]", "'keyids' is not a list"},
		{"vendors/acme/keyids", NULL, "'keyids' is not a list"},
		{"vendors/acme/threshold", "0", "'threshold' is 0"},
		{"vendors/acme/threshold", "2", "'threshold' is out of range"},
		{"vendors/Acme", "{}", "not a valid name"},
		{"vendors/a..b", "{}", "not a valid name"},
	};
	size_t bad = 0;
	size_t i;
	struct hs_err e;

	assert_int_equal(hs_snprintf(outsider, sizeof(outsider), "[\"%s\"]",
				     key_id(f->k->x1)),
			 0);
	/* Unedited, it parses. */
	assert_int_equal(parse_root(payload, &e), 0);
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *edited =
			tu_json_edit(payload, cases[i].path, cases[i].value);

		tu_check_err(&bad, cases[i].path, parse_root(edited, &e), &e,
			     -EBADMSG, cases[i].text);
		free(edited);
	}
	assert_int_equal(bad, 0);
	free(payload);
}

/* HS_ROOT_MAX_VENDORS vendors build and parse; one more does neither. */
static void test_root_max_vendors(void **state)
{
	struct fx *f = *state;
	char names[HS_ROOT_MAX_VENDORS + 1][16];
	char pats[HS_ROOT_MAX_VENDORS + 1][16];
	const char *pp[HS_ROOT_MAX_VENDORS + 1];
	struct root_spec_vendor vendors[HS_ROOT_MAX_VENDORS + 1];
	struct root_spec spec;
	struct root *root;
	char *payload;
	char *json = NULL;
	char *more;
	struct hs_err e;
	size_t i;

	for (i = 0; i <= HS_ROOT_MAX_VENDORS; i++) {
		assert_int_equal(
			hs_snprintf(names[i], sizeof(names[i]), "v%zu", i), 0);
		assert_int_equal(
			hs_snprintf(pats[i], sizeof(pats[i]), "v%zu-*", i), 0);
		pp[i] = pats[i];
		vendors[i].name = names[i];
		vendors[i].role.keys = &f->a1;
		vendors[i].role.n_keys = 1;
		vendors[i].role.threshold = 1;
		vendors[i].patterns = &pp[i];
		vendors[i].n_patterns = 1;
	}
	spec_base(f, &spec);
	spec.vendors = vendors;
	spec.n_vendors = HS_ROOT_MAX_VENDORS;
	payload = build_spec(&spec);
	root = load_signed(f, payload);
	assert_int_equal(root_n_vendors(root), HS_ROOT_MAX_VENDORS);
	root_free(root);

	spec.n_vendors = HS_ROOT_MAX_VENDORS + 1;
	hs_err_clear(&e);
	tu_assert_err(root_build_spec(&spec, &json, &e), &e, -EINVAL,
		      "more than 32 vendors");
	assert_null(json);

	more = tu_json_edit(payload, "vendors/zz",
			    "{\"keyids\": [], \"threshold\": 1, "
			    "\"components\": [\"zz\"]}");
	tu_assert_err(parse_root(more, &e), &e, -EBADMSG,
		      "'vendors' is not an object of at most 32 vendors");
	free(more);
	free(payload);
}

static void test_root_owner(void **state)
{
	struct fx *f = *state;
	struct root *root = vendor_root(f, 1, 1);
	static const char *const gamma_patterns[] = {"*-x"};
	const struct root_spec_vendor overlap[] = {
		{"acme", {&f->a1, 1, 1}, acme_patterns, 2},
		{"gamma", {&f->b1, 1, 1}, gamma_patterns, 1},
	};
	static const struct {
		const char *name;
		const char *owner; /* NULL: none */
	} cases[] = {
		{"cardreader", "acme"}, {"card-x", "acme"},
		{"card-", "acme"},	{"face-lib_2", "beta"},
		{"linkage", NULL},	{"cardreader2", NULL},
		{"face", NULL},		{"xcard-x", NULL},
	};
	static const struct root_vendor unset;
	const struct root_vendor *v;
	const struct root_vendor *keep;
	struct manifest_component c;
	struct root_spec spec;
	struct root *both;
	char *payload;
	struct hs_err e;
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		const char *want =
			cases[i].owner != NULL ? cases[i].owner : "-";
		const char *got;
		int r;

		hs_err_clear(&e);
		v = &unset; /* must be overwritten, with NULL for none */
		r = root_owner(root, cases[i].name, &v, &e);
		got = v == NULL ? "-" : v == &unset ? "(unset)" : v->name;
		if (r != 0 || strcmp(got, want) != 0)
			tu_report_bad(&bad,
				      "%s: %d '%s', owner '%s', want '%s'",
				      cases[i].name, r, e.msg, got, want);
	}
	assert_int_equal(bad, 0);

	/* acme's "card-*" and gamma's "*-x" both claim card-x. */
	spec_base(f, &spec);
	spec.vendors = overlap;
	spec.n_vendors = TU_ARRAY_SIZE(overlap);
	payload = build_spec(&spec);
	both = load_signed(f, payload);
	free(payload);
	hs_err_clear(&e);
	keep = find_vendor(both, "gamma");
	v = keep;
	tu_assert_err(root_owner(both, "card-x", &v, &e), &e, -EKEYREJECTED,
		      "'card-x' is claimed by vendors");
	assert_non_null(strstr(e.msg, "'acme'"));
	assert_non_null(strstr(e.msg, "'gamma'"));
	assert_ptr_equal(v, keep); /* not written on failure */
	assert_int_equal(root_owner(both, "cardreader", &v, &e), 0);
	assert_string_equal(v->name, "acme");
	assert_int_equal(root_owner(both, "face-x", &v, &e), 0);
	assert_string_equal(v->name, "gamma");

	/* A manifest that lists card-x is refused under that root. */
	set_component(&c, "card-x", "1.0", 'd');
	payload = manifest_payload(&c, 1);
	tu_assert_err(check_manifest(f, both, payload, &e), &e, -EKEYREJECTED,
		      "component 'card-x': 'card-x' is claimed by vendors");
	free(payload);
	root_free(both);
	root_free(root);
}

/* Entries. */

static void test_entry_build(void **state)
{
	struct fx *f = *state;
	struct manifest_component c;
	struct manifest *m;
	char *json;
	char *env;

	set_component(&c, "cardreader", "2.1.0", 'a');
	json = entry_payload(&c);
	assert_non_null(strstr(json, "\"_type\":\"entry\""));
	assert_non_null(strstr(json, "\"name\":\"cardreader\""));
	assert_non_null(strstr(json, "\"version\":\"2.1.0\""));
	assert_null(strstr(json, "forced"));
	free(json);

	c.forced = true;
	c.deadline = DEC1;
	c.allow_downgrade = true;
	json = entry_payload(&c);
	assert_non_null(strstr(json, "\"forced\":{\"allow_downgrade\":true,"
				     "\"deadline\":\"2026-12-01T00:00:00Z\"}"));
	free(json);

	/* Signed and put in a manifest, it parses back to c. */
	env = entry_sign(&c, DSSE_TYPE_ENTRY, &f->a1, 1);
	set_signed(&c, "acme", env);
	json = manifest_payload(&c, 1);
	m = parse_manifest(json);
	assert_int_equal(m->n_components, 1);
	assert_string_equal(m->components[0].name, "cardreader");
	assert_string_equal(m->components[0].vendor, "acme");
	assert_true(m->components[0].forced);
	assert_int_equal(m->components[0].deadline, DEC1);
	assert_true(m->components[0].allow_downgrade);
	assert_entry_holds(m->components[0].entry, m->components[0].entry_len,
			   &c);
	manifest_free(m);
	free(json);
	free(env);
}

/*
 * cardreader signed by acme, face-lib_2 by beta, linkage plain: accepted,
 * and each signed component's fields come from its entry, not from plain
 * fields that the manifest's signers put next to it.
 */
static void test_entry_accepted(void **state)
{
	struct fx *f = *state;
	struct root *root = vendor_root(f, 1, 1);
	struct manifest_component cs[3];
	char *envs[2];
	const struct manifest_component *c;
	struct manifest *m;
	char *payload;
	char *p[6];
	size_t i;

	good_components(f, cs, envs);
	payload = manifest_payload(cs, 3);
	p[0] = tu_json_edit(payload, "components/cardreader/version",
			    "\"9.9.9\"");
	p[1] = tu_json_edit(p[0], "components/cardreader/minimum", "\"9.0\"");
	p[2] = tu_json_edit(p[1], "components/cardreader/restart",
			    "\"system\"");
	p[3] = tu_json_edit(p[2], "components/cardreader/package",
			    "{\"url\": \"packages/evil.tar.zst\", "
			    "\"size\": 1, \"sha256\": \"" /* 64 'b' */
			    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
			    "bbbbbbbbbbbbbbbb\"}");
	p[4] = tu_json_edit(p[3], "components/cardreader/forced",
			    "{\"allow_downgrade\": true}");
	p[5] = tu_json_edit(p[4], "components/cardreader/name", "\"card-x\"");
	m = trust_manifest_ok(f, root, p[5]);
	assert_int_equal(m->n_components, 3);

	c = manifest_find(m, "cardreader");
	assert_non_null(c);
	assert_string_equal(c->vendor, "acme");
	assert_string_equal(c->version, "2.1.0");
	assert_string_equal(c->minimum, "1.0");
	assert_int_equal(c->restart, MANIFEST_RESTART_APP);
	assert_string_equal(c->package.url, cs[0].package.url);
	assert_string_equal(c->package.sha256, cs[0].package.sha256);
	assert_int_equal(c->package.size, 4096);
	assert_false(c->forced);
	assert_false(c->allow_downgrade);
	assert_entry_holds(c->entry, c->entry_len, &cs[0]);

	c = manifest_find(m, "face-lib_2");
	assert_non_null(c);
	assert_string_equal(c->vendor, "beta");
	assert_string_equal(c->version, "1.2-rc.1");
	assert_entry_holds(c->entry, c->entry_len, &cs[1]);

	/* Owned by no vendor: the manifest role's own, plain. */
	c = manifest_find(m, "linkage");
	assert_non_null(c);
	assert_string_equal(c->vendor, "");
	assert_null(c->entry);
	assert_int_equal(c->entry_len, 0);
	assert_string_equal(c->version, "3.2");

	manifest_free(m);
	for (i = 0; i < TU_ARRAY_SIZE(p); i++)
		free(p[i]);
	free(payload);
	free(envs[1]);
	free(envs[0]);
	root_free(root);
}

/* One way to present a component in an otherwise good manifest. */
struct entry_case {
	const char *what;
	size_t acme_keys; /* the root: acme has a1 (1) or a1, a2 (2) */
	const char *name; /* the component replaced, or added */
	const char *signed_name; /* the name in its entry; NULL: plain */
	const char *type;
	const char *vendor;
	struct key *k1;
	struct key *k2;
	size_t n; /* signers: k1, k2 */
	int want; /* 0: accepted */
	const char *text;
};

/* Runs one case: returns trust_manifest()'s result. */
static int run_entry_case(const struct fx *f, const struct entry_case *t,
			  struct hs_err *e)
{
	struct root *root = vendor_root(f, t->acme_keys, t->acme_keys);
	struct key *const signers[] = {t->k1, t->k2};
	struct manifest_component cs[4];
	struct manifest_component *c;
	char *envs[2];
	char *env = NULL;
	char *payload;
	size_t n = 3;
	size_t i;
	int r;

	good_components(f, cs, envs);
	for (i = 0; i < n && strcmp(cs[i].name, t->name) != 0; i++)
		continue;
	if (i == n)
		n++;
	c = &cs[i];
	set_component(c, t->signed_name != NULL ? t->signed_name : t->name,
		      "2.2.0", 'e');
	if (t->signed_name != NULL) {
		env = entry_sign(c, t->type, signers, t->n);
		set_signed(c, t->vendor, env);
		assert_int_equal(hs_strlcpy(c->name, t->name, sizeof(c->name)),
				 0);
	}
	payload = manifest_payload(cs, n);
	r = check_manifest(f, root, payload, e);
	free(payload);
	free(env);
	free(envs[1]);
	free(envs[0]);
	root_free(root);
	return r;
}

static void test_entry_cases(void **state)
{
	struct fx *f = *state;
	struct key *const a1 = f->a1;
	struct key *const a2 = f->a2;
	struct key *const b1 = f->b1;
	struct key *const m1 = f->k->m1;
	const char *const T = DSSE_TYPE_ENTRY;
	const struct entry_case cases[] = {
		{"cardreader by acme", 1, "cardreader", "cardreader", T, "acme",
		 a1, NULL, 1, 0, ""},
		{"card-x by acme (pattern)", 1, "card-x", "card-x", T, "acme",
		 a1, NULL, 1, 0, ""},
		{"cardreader plain", 1, "cardreader", NULL, NULL, NULL, NULL,
		 NULL, 0, -EKEYREJECTED,
		 "component 'cardreader': vendor 'acme' owns it, but its "
		 "entry is not signed by 'acme'"},
		{"card-x plain (pattern)", 1, "card-x", NULL, NULL, NULL, NULL,
		 NULL, 0, -EKEYREJECTED, "not signed by 'acme'"},
		{"face-lib_2 plain", 1, "face-lib_2", NULL, NULL, NULL, NULL,
		 NULL, 0, -EKEYREJECTED, "not signed by 'beta'"},
		{"cardreader by beta as beta", 1, "cardreader", "cardreader", T,
		 "beta", b1, NULL, 1, -EKEYREJECTED, "wrong vendor"},
		{"cardreader by beta as acme", 1, "cardreader", "cardreader", T,
		 "acme", b1, NULL, 1, -EKEYREJECTED,
		 "entry (vendor 'acme'): signed by unknown keys only"},
		{"cardreader by the manifest key as acme", 1, "cardreader",
		 "cardreader", T, "acme", m1, NULL, 1, -EKEYREJECTED,
		 "signed by unknown keys only"},
		{"beta's face-x under cardreader", 1, "cardreader", "face-x", T,
		 "beta", b1, NULL, 1, -EBADMSG,
		 "the signed entry is for 'face-x': mix-and-match"},
		{"acme's card-x under cardreader", 1, "cardreader", "card-x", T,
		 "acme", a1, NULL, 1, -EBADMSG, "mix-and-match"},
		{"linkage signed by acme", 1, "linkage", "linkage", T, "acme",
		 a1, NULL, 1, -EKEYREJECTED,
		 "wrong vendor: signed by vendor 'acme', but no vendor owns "
		 "it"},
		{"linkage signed by an unknown vendor", 1, "linkage", "linkage",
		 T, "zeta", a1, NULL, 1, -EKEYREJECTED, "no vendor owns it"},
		{"cardreader as a manifest", 1, "cardreader", "cardreader",
		 DSSE_TYPE_MANIFEST, "acme", a1, NULL, 1, -EBADMSG,
		 "entry: payload type"},
		{"cardreader as a root", 1, "cardreader", "cardreader",
		 DSSE_TYPE_ROOT, "acme", a1, NULL, 1, -EBADMSG,
		 "entry: payload type"},
		{"cardreader unsigned", 1, "cardreader", "cardreader", T,
		 "acme", NULL, NULL, 0, -EKEYREJECTED, "missing signature"},
		{"vendor 'Acme'", 1, "cardreader", "cardreader", T, "Acme", a1,
		 NULL, 1, -EBADMSG, "invalid vendor name"},
		/* acme with a1 and a2, threshold 2. */
		{"2 of 2: a1 and a2", 2, "cardreader", "cardreader", T, "acme",
		 a1, a2, 2, 0, ""},
		{"2 of 2: a1 only", 2, "cardreader", "cardreader", T, "acme",
		 a1, NULL, 1, -EKEYREJECTED,
		 "too few valid signatures: 1 of 2"},
		{"2 of 2: a1 twice", 2, "cardreader", "cardreader", T, "acme",
		 a1, a1, 2, -EKEYREJECTED, "too few valid signatures: 1 of 2"},
		{"2 of 2: a2 and beta's b1", 2, "cardreader", "cardreader", T,
		 "acme", a2, b1, 2, -EKEYREJECTED,
		 "too few valid signatures: 1 of 2"},
	};
	size_t bad = 0;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		struct hs_err e;
		const int r = run_entry_case(f, &cases[i], &e);

		tu_check_err(&bad, cases[i].what, r, &e, cases[i].want,
			     cases[i].text);
	}
	assert_int_equal(bad, 0);
}

/* The manifest's signers change a vendor's signed payload: refused. */
static void test_entry_tampered(void **state)
{
	struct fx *f = *state;
	struct root *root = vendor_root(f, 1, 1);
	struct manifest_component cs[3];
	struct manifest_component evil;
	char *envs[2];
	char *payload;
	char *json;
	char *b64;
	char *value;
	char *edited;
	size_t n;
	struct hs_err e;

	good_components(f, cs, envs);
	payload = manifest_payload(cs, 3);
	assert_int_equal(check_manifest(f, root, payload, &e), 0);

	/* acme's signatures stay; the payload says 9.9.9. */
	evil = cs[0];
	evil.entry = NULL;
	assert_int_equal(
		hs_strlcpy(evil.version, "9.9.9", sizeof(evil.version)), 0);
	json = entry_payload(&evil);
	b64 = hs_b64_encode((const uint8_t *)json, strlen(json));
	assert_non_null(b64);
	n = strlen(b64) + 3;
	value = malloc(n);
	assert_non_null(value);
	assert_int_equal(hs_snprintf(value, n, "\"%s\"", b64), 0);
	edited = tu_json_edit(payload, "components/cardreader/entry/payload",
			      value);
	tu_assert_err(check_manifest(f, root, edited, &e), &e, -EKEYREJECTED,
		      "entry (vendor 'acme'): bad signature by key");
	free(edited);
	free(value);
	free(b64);
	free(json);
	free(payload);
	free(envs[1]);
	free(envs[0]);
	root_free(root);
}

/* Forced entries. */

#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const char forced_json[] =
	"{\"_type\": \"manifest\", \"serial\": 3,"
	" \"expires\": \"2026-12-25T00:00:00Z\", \"components\": {"
	" \"linkage\": {\"version\": \"3.2\", \"minimum\": \"3.0\","
	"  \"restart\": \"none\", \"package\": {\"url\": \"packages/l.tar\","
	"  \"size\": 10, \"sha256\": \"" SHA_C "\"},"
	"  \"forced\": {\"deadline\": \"2026-12-01T00:00:00Z\","
	"   \"allow_downgrade\": true}},"
	" \"other\": {\"version\": \"1.0\", \"minimum\": \"1.0\","
	"  \"restart\": \"none\", \"package\": {\"url\": \"packages/o.tar\","
	"  \"size\": 10, \"sha256\": \"" SHA_C "\"}, \"forced\": {}},"
	" \"plain\": {\"version\": \"1.0\", \"minimum\": \"1.0\","
	"  \"restart\": \"none\", \"package\": {\"url\": \"packages/p.tar\","
	"  \"size\": 10, \"sha256\": \"" SHA_C "\"}}}}";

static void test_forced_parse(void **state)
{
	struct manifest *m = parse_manifest(forced_json);
	const struct manifest_component *c;

	(void)state;
	c = manifest_find(m, "linkage");
	assert_non_null(c);
	assert_true(c->forced);
	assert_int_equal(c->deadline, DEC1);
	assert_true(c->allow_downgrade);
	c = manifest_find(m, "other");
	assert_non_null(c);
	assert_true(c->forced);
	assert_int_equal(c->deadline, 0);
	assert_false(c->allow_downgrade);
	c = manifest_find(m, "plain");
	assert_non_null(c);
	assert_false(c->forced);
	assert_int_equal(c->deadline, 0);
	assert_false(c->allow_downgrade);
	manifest_free(m);
}

static void test_forced_refused(void **state)
{
	static const struct {
		const char *path;
		const char *value;
		const char *text;
	} cases[] = {
		{"components/linkage/forced", "true", "'forced' is not an obj"},
		{"components/linkage/forced", "\"yes\"", "'forced' is not an"},
		{"components/linkage/forced", "[]",
		 "'forced' is not an object"},
		{"components/linkage/forced", "null", "'forced' is not an"},
		{"components/linkage/forced/allow_downgrade", "1",
		 "forced: 'allow_downgrade' is not true or false"},
		{"components/linkage/forced/allow_downgrade", "\"true\"",
		 "forced: 'allow_downgrade' is not true or false"},
		{"components/linkage/forced/allow_downgrade", "null",
		 "forced: 'allow_downgrade' is not true or false"},
		{"components/linkage/forced/deadline", "\"soon\"",
		 "forced: 'deadline' is not an RFC 3339"},
		{"components/linkage/forced/deadline",
		 "\"2026-02-31T00:00:00Z\"", "forced: 'deadline' is not"},
		{"components/linkage/forced/deadline",
		 "\"2026-12-01T00:00:00+01:00\"", "forced: 'deadline'"},
		{"components/linkage/forced/deadline", "\"\"",
		 "forced: 'deadline'"},
		{"components/linkage/forced/deadline", "20261201",
		 "forced: 'deadline' is not a string"},
		{"components/linkage/forced/deadline", "null",
		 "forced: 'deadline' is not a string"},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *edited = tu_json_edit(forced_json, cases[i].path,
					    cases[i].value);
		struct manifest *m = NULL;
		struct hs_err e;
		int r;

		hs_err_clear(&e);
		r = manifest_parse((const uint8_t *)edited, strlen(edited), &m,
				   &e);
		if (tu_check_err(&bad, cases[i].value, r, &e, -EBADMSG,
				 cases[i].text) &&
		    strstr(e.msg, "component 'linkage'") == NULL)
			tu_report_bad(&bad, "%s: '%s' does not name linkage",
				      cases[i].value, e.msg);
		assert_null(m);
		free(edited);
	}
	assert_int_equal(bad, 0);
}

/* Fails unless a and b say the same, vendors' envelopes included. */
static void assert_component_equal(const struct manifest_component *a,
				   const struct manifest_component *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->version, b->version);
	assert_string_equal(a->minimum, b->minimum);
	assert_int_equal(a->restart, b->restart);
	assert_string_equal(a->package.url, b->package.url);
	assert_int_equal(a->package.size, b->package.size);
	assert_string_equal(a->package.sha256, b->package.sha256);
	assert_int_equal(a->forced, b->forced);
	assert_int_equal(a->deadline, b->deadline);
	assert_int_equal(a->allow_downgrade, b->allow_downgrade);
	assert_string_equal(a->vendor, b->vendor);
	assert_int_equal(a->entry == NULL, b->entry == NULL);
	if (a->entry != NULL)
		assert_entry_holds(a->entry, a->entry_len, b);
}

/*
 * manifest_build, manifest_parse, manifest_build again: the same bytes, the
 * same fields, and the vendors' envelopes still verify.
 */
static void test_forced_round_trip(void **state)
{
	struct fx *f = *state;
	struct root *root = vendor_root(f, 1, 1);
	struct manifest_component cs[3];
	char *envs[2];
	struct manifest *m1;
	struct manifest *m2;
	struct manifest *m3;
	char *p1;
	char *p2 = NULL;
	struct hs_err e;
	size_t i;

	good_components(f, cs, envs);
	/* cardreader: forced in acme's entry, no deadline. */
	free(envs[0]);
	cs[0].entry = NULL;
	cs[0].forced = true;
	envs[0] = entry_sign(&cs[0], DSSE_TYPE_ENTRY, &f->a1, 1);
	set_signed(&cs[0], "acme", envs[0]);
	/* linkage: plain, forced with a deadline, may downgrade. */
	cs[2].forced = true;
	cs[2].deadline = DEC1;
	cs[2].allow_downgrade = true;

	p1 = manifest_payload(cs, 3);
	m1 = parse_manifest(p1);
	hs_err_clear(&e);
	assert_int_equal(manifest_build(m1, &p2, &e), 0);
	assert_string_equal(p2, p1);
	m2 = parse_manifest(p2);
	assert_int_equal(m1->n_components, 3);
	assert_int_equal(m2->n_components, 3);
	for (i = 0; i < 3; i++) {
		const struct manifest_component *c1 =
			manifest_find(m1, cs[i].name);
		const struct manifest_component *c2 =
			manifest_find(m2, cs[i].name);

		assert_non_null(c1);
		assert_non_null(c2);
		assert_component_equal(c1, &cs[i]);
		assert_component_equal(c2, c1);
		if (c1->entry != NULL)
			assert_string_equal(c2->entry, c1->entry);
	}
	assert_true(manifest_find(m2, "cardreader")->forced);
	assert_false(manifest_find(m2, "cardreader")->allow_downgrade);
	assert_int_equal(manifest_find(m2, "cardreader")->deadline, 0);
	assert_true(manifest_find(m2, "linkage")->forced);
	assert_true(manifest_find(m2, "linkage")->allow_downgrade);
	assert_int_equal(manifest_find(m2, "linkage")->deadline, DEC1);
	assert_false(manifest_find(m2, "face-lib_2")->forced);

	/* The rebuilt manifest's entries still carry valid signatures. */
	m3 = trust_manifest_ok(f, root, p2);
	assert_component_equal(manifest_find(m3, "cardreader"), &cs[0]);
	assert_component_equal(manifest_find(m3, "linkage"), &cs[2]);
	manifest_free(m3);
	manifest_free(m2);
	manifest_free(m1);
	free(p2);
	free(p1);
	free(envs[1]);
	free(envs[0]);
	root_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_match),
		cmocka_unit_test(test_root_vendors_load),
		cmocka_unit_test(test_root_spec_round_trip),
		cmocka_unit_test(test_root_build_spec_refused),
		cmocka_unit_test(test_root_parse_vendors_refused),
		cmocka_unit_test(test_root_max_vendors),
		cmocka_unit_test(test_root_owner),
		cmocka_unit_test(test_entry_build),
		cmocka_unit_test(test_entry_accepted),
		cmocka_unit_test(test_entry_cases),
		cmocka_unit_test(test_entry_tampered),
		cmocka_unit_test(test_forced_parse),
		cmocka_unit_test(test_forced_refused),
		cmocka_unit_test(test_forced_round_trip),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
