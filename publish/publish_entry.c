/*
 * publish_entry.c - the verbs for components and the manifest: add (a
 * version, optionally forced, optionally signed by its vendor), endorse (a
 * vendor signs a component's current entry) and sign (manifest.json).
 *
 * A vendor signs the payload manifest_entry_build() makes of an entry; the
 * envelope waits in index.json beside the version.  sign rebuilds each
 * entry from the index and embeds the envelope only while its payload is
 * still exactly that entry, so an entry changed after the vendor signed it
 * (a new --minimum, --restart, --set, --forced) is never published under the
 * vendor's name: sign stops and says to endorse it again.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsse.h"
#include "publish.h"
#include "str.h"
#include "trust.h"

/* The vendor that owns name in root; ks must be enough of its keys. */
static int vendor_check(const struct root *root, const char *name,
			const struct keyset *ks,
			const struct root_vendor **ret_v, struct hs_err *e)
{
	const struct root_vendor *v = NULL;
	char what[HS_NAME_MAX + 64];
	int r;

	r = root_owner(root, name, &v, e);
	if (r < 0)
		return r;
	if (v == NULL)
		return hs_err_set(e, -EKEYREJECTED,
				  "no vendor owns '%s' in root %llu (give it "
				  "to one with 'haishin-publish vendor')",
				  name, (unsigned long long)root_version(root));
	(void)hs_snprintf(what, sizeof(what), "vendor '%s' of root %llu",
			  v->name, (unsigned long long)root_version(root));
	r = keyset_check_role(ks, "--vendor-key", v->role.keys, v->role.n_keys,
			      v->role.threshold, what, e);
	if (r < 0)
		return r;
	*ret_v = v;
	return 0;
}

/* Signs name's entry at version (NULL: current) by v's keys ks; stores it. */
static int entry_endorse(struct repo *repo, const struct root_vendor *v,
			 const char *name, const char *version,
			 const struct keyset *ks, struct hs_err *e)
{
	struct manifest_component c;
	char *payload = NULL;
	char *env = NULL;
	int r;

	r = repo_entry(repo, name, version, &c, e);
	if (r == 0)
		r = manifest_entry_build(&c, &payload, e);
	if (r == 0)
		r = dsse_sign(DSSE_TYPE_ENTRY, payload, strlen(payload),
			      ks->keys, ks->n, &env, e);
	if (r == 0)
		r = repo_endorse(repo, name, c.version, v->name, env, e);
	if (r == 0)
		printf("%s %s: entry signed by vendor '%s' (%zu key(s))\n",
		       name, c.version, v->name, ks->n);
	free(env);
	free(payload);
	return r;
}

struct add_opts {
	struct repo_add_opts ro;
	const char *deadline;
	struct keyset vendor; /* private: the owner vendor's keys */
};

/* --deltas K: 0 (none) to HS_MANIFEST_MAX_DELTAS. */
static int add_parse_deltas(void *field, const char *s, struct hs_err *e)
{
	uint64_t k;

	if (hs_parse_u64(s, HS_MANIFEST_MAX_DELTAS, &k) < 0)
		return hs_err_set(e, -EINVAL,
				  "--deltas must be 0 to %d, not '%s'",
				  HS_MANIFEST_MAX_DELTAS, s);
	*(unsigned *)field = (unsigned)k;
	return 0;
}

/* --deadline and --allow-downgrade belong to --forced. */
static int add_check(void *opts, struct hs_err *e)
{
	struct add_opts *o = opts;

	if (!o->ro.forced && (o->deadline != NULL || o->ro.allow_downgrade))
		return hs_err_set(e, -EINVAL,
				  "--deadline and --allow-downgrade belong to "
				  "a forced entry: add --forced");
	if (o->deadline != NULL &&
	    hs_time_parse(o->deadline, &o->ro.deadline) < 0)
		return hs_err_set(e, -EINVAL,
				  "--deadline '%s' is not an RFC 3339 UTC time "
				  "(like 2026-12-01T00:00:00Z)",
				  o->deadline);
	return 0;
}

static const struct publish_opt add_opts[] = {
	{PUBLISH_OPT("minimum", STRING, struct add_opts, ro.minimum)},
	{PUBLISH_OPT("restart", STRING, struct add_opts, ro.restart)},
	{PUBLISH_OPT("set", STRING, struct add_opts, ro.set)},
	{PUBLISH_OPT("forced", FLAG, struct add_opts, ro.forced)},
	{PUBLISH_OPT("deadline", STRING, struct add_opts, deadline)},
	{PUBLISH_OPT("allow-downgrade", FLAG, struct add_opts,
		     ro.allow_downgrade)},
	{PUBLISH_OPT("vendor-key", SECRET_KEYS, struct add_opts, vendor)},
	{PUBLISH_OPT("deltas", PARSE, struct add_opts, ro.deltas),
	 .parse = add_parse_deltas},
};

static void add_print(struct repo *repo, const char *name, const char *version,
		      const struct manifest_package *pkg,
		      const struct repo_add_opts *o)
{
	const char *cur = repo_current_version(repo, name);
	struct manifest_component c;
	const char *forced = "";
	size_t i;

	if (o->forced)
		forced = o->allow_downgrade ? ", forced, may downgrade"
					    : ", forced";
	printf("%s %s: %s (%llu bytes; tar %llu bytes)%s", name, version,
	       pkg->url, (unsigned long long)pkg->size,
	       (unsigned long long)pkg->tar_size, forced);
	if (cur != NULL && strcmp(cur, version) != 0)
		printf("; kept, the next manifest names %s", cur);
	printf("\n");
	if (repo_entry(repo, name, version, &c, NULL) < 0)
		return;
	for (i = 0; i < c.n_deltas; i++)
		printf("  delta from %s: %s, %llu bytes (%.2f%% of the "
		       "package)\n",
		       c.deltas[i].from, c.deltas[i].method,
		       (unsigned long long)c.deltas[i].size,
		       100.0 * (double)c.deltas[i].size / (double)pkg->size);
}

/* add REPO NAME VERSION DIR: args[0] to args[3]. */
static int add_run(void *opts, char *const *args, struct hs_err *e)
{
	const struct add_opts *o = opts;
	const struct root_vendor *v = NULL;
	struct publish_repo pr = {NULL, NULL};
	struct manifest_package pkg;
	int r;

	/* The vendor's keys are checked before anything is stored. */
	r = publish_repo_open(args[0], o->vendor.n > 0, &pr, e);
	if (r == 0 && o->vendor.n > 0)
		r = vendor_check(pr.root, args[1], &o->vendor, &v, e);
	if (r == 0)
		r = repo_add(pr.repo, args[1], args[2], args[3], &o->ro, &pkg,
			     e);
	if (r == 0)
		add_print(pr.repo, args[1], args[2], &pkg, &o->ro);
	if (r == 0 && v != NULL)
		r = entry_endorse(pr.repo, v, args[1], args[2], &o->vendor, e);
	publish_repo_close(&pr);
	return r;
}

static const struct publish_cmd add_cmd = {
	.verb = "add",
	.opts = add_opts,
	.n_opts = ARRAY_SIZE(add_opts),
	.n_args = 4,
	.check = add_check,
	.run = add_run,
};

int cmd_add(int argc, char **argv, struct hs_err *e)
{
	struct add_opts o;

	memset(&o, 0, sizeof(o));
	o.ro.deltas = PUBLISH_DELTAS;
	return publish_cmd_run(&add_cmd, argc, argv, &o, e);
}

struct endorse_opts {
	struct keyset vendor; /* private: the owner vendor's keys */
};

static const struct publish_opt endorse_opts[] = {
	{PUBLISH_OPT("vendor-key", SECRET_KEYS, struct endorse_opts, vendor),
	 .required = true},
};

/* endorse REPO NAME */
static int endorse_run(void *opts, char *const *args, struct hs_err *e)
{
	const struct endorse_opts *o = opts;
	const struct root_vendor *v = NULL;
	struct publish_repo pr = {NULL, NULL};
	int r;

	r = publish_repo_open(args[0], true, &pr, e);
	if (r == 0)
		r = vendor_check(pr.root, args[1], &o->vendor, &v, e);
	if (r == 0)
		r = entry_endorse(pr.repo, v, args[1], NULL, &o->vendor, e);
	publish_repo_close(&pr);
	return r;
}

static const struct publish_cmd endorse_cmd = {
	.verb = "endorse",
	.opts = endorse_opts,
	.n_opts = ARRAY_SIZE(endorse_opts),
	.n_args = 2,
	.run = endorse_run,
};

int cmd_endorse(int argc, char **argv, struct hs_err *e)
{
	struct endorse_opts o;

	memset(&o, 0, sizeof(o));
	return publish_cmd_run(&endorse_cmd, argc, argv, &o, e);
}

/* Whether the n payload bytes p are exactly c's entry. */
static int entry_is(const struct manifest_component *c, const uint8_t *p,
		    size_t n, bool *ret, struct hs_err *e)
{
	char *want = NULL;
	int r;

	r = manifest_entry_build(c, &want, e);
	if (r < 0)
		return r;
	*ret = n == strlen(want) && memcmp(p, want, n) == 0;
	free(want);
	return 0;
}

/*
 * Whether the payload is c's entry as an older haishin-publish built it,
 * without the tar's fields and deltas; if so, c loses them too.  Such an
 * envelope is still the vendor's signature over what is published: the
 * component is offered without deltas until the vendor endorses it again.
 */
static int entry_is_legacy(struct manifest_component *c, const uint8_t *p,
			   size_t n, bool *ret, struct hs_err *e)
{
	struct manifest_component *old;
	int r;

	*ret = false;
	if (c->package.tar_sha256[0] == '\0')
		return 0;
	old = malloc(sizeof(*old));
	if (old == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*old = *c;
	old->package.tar_size = 0;
	old->package.tar_sha256[0] = '\0';
	old->n_deltas = 0;
	r = entry_is(old, p, n, ret, e);
	if (r == 0 && *ret)
		*c = *old;
	free(old);
	return r;
}

/*
 * The stored envelope env is v's signature over exactly c's entry: its
 * payload equals manifest_entry_build(c) (or the entry without its tar and
 * deltas: entry_is_legacy()), and v's keys verify it.
 */
static int entry_check(struct manifest_component *c,
		       const struct root_vendor *v, const char *env,
		       struct hs_err *e)
{
	struct dsse *d = NULL;
	bool same = false;
	const uint8_t *p = NULL;
	size_t n = 0;
	int r;

	r = dsse_parse(env, strlen(env), HS_MANIFEST_MAX_BYTES, &d, e);
	if (r == 0 && strcmp(dsse_payload_type(d), DSSE_TYPE_ENTRY) != 0)
		r = hs_err_set(e, -EBADMSG, "the stored envelope is no entry");
	if (r == 0) {
		p = dsse_payload(d, &n);
		r = entry_is(c, p, n, &same, e);
	}
	if (r == 0 && !same) {
		r = entry_is_legacy(c, p, n, &same, e);
		if (r == 0 && same)
			fprintf(stderr,
				"haishin-publish sign: note: %s %s: '%s' "
				"signed it without its tar and deltas: "
				"offered without deltas until endorsed "
				"again\n",
				c->name, c->version, v->name);
	}
	if (r == 0 && !same)
		r = hs_err_set(e, -EKEYREJECTED,
			       "entry %s changed after '%s' signed it",
			       c->version, v->name);
	if (r == 0)
		r = dsse_verify(d, "the stored signature", v->role.keys,
				v->role.n_keys, v->role.threshold, e);
	dsse_free(d);
	return r;
}

/*
 * Embeds the envelope of the vendor that owns c (if any) into c; refuses,
 * naming the command that fixes it, when there is no valid one.
 */
static int sign_embed(const struct repo *repo, const struct root *root,
		      struct manifest_component *c, struct hs_err *e)
{
	const struct root_vendor *v = NULL;
	char vendor[HS_NAME_MAX + 1];
	struct hs_err why;
	char *env = NULL;
	int r;

	r = root_owner(root, c->name, &v, e);
	if (r < 0 || v == NULL)
		return r;
	hs_err_clear(&why);
	r = repo_endorsement(repo, c->name, c->version, vendor, &env, &why);
	if (r == 0 && env == NULL)
		r = hs_err_set(&why, -EKEYREJECTED,
			       "entry %s is not signed by it", c->version);
	else if (r == 0 && strcmp(vendor, v->name) != 0)
		r = hs_err_set(&why, -EKEYREJECTED,
			       "entry %s was signed by vendor '%s'", c->version,
			       vendor);
	else if (r == 0)
		r = entry_check(c, v, env, &why);
	if (r < 0) {
		free(env);
		return hs_err_set(e, r,
				  "component '%s' is owned by vendor '%s' in "
				  "root %llu, but %s: run 'haishin-publish "
				  "endorse %s %s --vendor-key PREFIX...' with "
				  "the keys of '%s'",
				  c->name, v->name,
				  (unsigned long long)root_version(root),
				  why.msg, repo_dir(repo), c->name, v->name);
	}
	(void)hs_strlcpy(c->vendor, v->name, sizeof(c->vendor));
	c->entry = env;
	c->entry_len = strlen(env);
	return 1;
}

/* The manifest keys, against the root the clients will hold. */
static int sign_check_root(const struct root *root, const struct keyset *ks,
			   struct hs_err *e)
{
	const struct root_role *role = root_role(root, ROOT_ROLE_MANIFEST);
	char what[64];
	int r;

	(void)hs_snprintf(what, sizeof(what), "the manifest role of root %llu",
			  (unsigned long long)root_version(root));
	r = keyset_check_role(ks, "--key", role->keys, role->n_keys,
			      role->threshold, what, e);
	if (r < 0)
		return r;
	r = trust_check_fresh(root, time(NULL), e);
	if (r < 0)
		hs_err_prefix(e, "root.json (renew it with 'haishin-publish "
				 "rotate'): ");
	return r;
}

/* Signs m and checks the envelope as a client holding root would. */
static int sign_envelope(const struct root *root, const struct manifest *m,
			 const struct keyset *ks, char **ret_env,
			 struct hs_err *e)
{
	const struct trust_prev prev = {0};
	struct manifest *check = NULL;
	char sha256[65];
	char *payload = NULL;
	char *env = NULL;
	int r;

	r = manifest_build(m, &payload, e);
	if (r == 0)
		r = dsse_sign(DSSE_TYPE_MANIFEST, payload, strlen(payload),
			      ks->keys, ks->n, &env, e);
	if (r == 0) {
		r = trust_manifest(root, env, strlen(env), &prev, time(NULL),
				   &check, sha256, e);
		if (r < 0)
			hs_err_prefix(e, "clients would refuse it: ");
	}
	manifest_free(check);
	free(payload);
	if (r < 0) {
		free(env);
		return r;
	}
	*ret_env = env;
	return 0;
}

static int sign_manifest(struct repo *repo, const struct root *root,
			 const struct keyset *ks, uint64_t days,
			 struct hs_err *e)
{
	struct manifest *m = NULL;
	char *env = NULL;
	size_t n_vendor = 0;
	size_t i;
	int r;

	r = repo_next_manifest(repo, publish_days_from_now(days), &m, e);
	for (i = 0; r >= 0 && i < m->n_components; i++) {
		r = sign_embed(repo, root, &m->components[i], e);
		n_vendor += r > 0;
	}
	if (r >= 0)
		r = sign_envelope(root, m, ks, &env, e);
	/* The serial is spent before the manifest is written: a serial may be
	 * skipped, never reused with other contents. */
	if (r == 0)
		r = repo_set_serial(repo, m->serial, e);
	if (r == 0)
		r = repo_write(repo, "manifest.json", env, strlen(env), e);
	if (r == 0)
		printf("%s/manifest.json: serial %llu, %zu component(s), %zu "
		       "signed by their vendor\n",
		       repo_dir(repo), (unsigned long long)m->serial,
		       m->n_components, n_vendor);
	free(env);
	manifest_free(m);
	return r;
}

struct sign_opts {
	struct keyset keys; /* private: manifest keys */
	uint64_t days;
};

static const struct publish_opt sign_opts[] = {
	{PUBLISH_OPT("key", SECRET_KEYS, struct sign_opts, keys),
	 .required = true},
	{PUBLISH_OPT("expires", COUNT, struct sign_opts, days),
	 .max = PUBLISH_MAX_DAYS},
};

/* sign REPO */
static int sign_run(void *opts, char *const *args, struct hs_err *e)
{
	const struct sign_opts *o = opts;
	struct publish_repo pr = {NULL, NULL};
	int r;

	r = publish_repo_open(args[0], true, &pr, e);
	if (r == 0)
		r = sign_check_root(pr.root, &o->keys, e);
	if (r == 0)
		r = sign_manifest(pr.repo, pr.root, &o->keys, o->days, e);
	publish_repo_close(&pr);
	return r;
}

static const struct publish_cmd sign_cmd = {
	.verb = "sign",
	.opts = sign_opts,
	.n_opts = ARRAY_SIZE(sign_opts),
	.n_args = 1,
	.run = sign_run,
};

int cmd_sign(int argc, char **argv, struct hs_err *e)
{
	struct sign_opts o;

	memset(&o, 0, sizeof(o));
	o.days = PUBLISH_MANIFEST_DAYS;
	return publish_cmd_run(&sign_cmd, argc, argv, &o, e);
}
