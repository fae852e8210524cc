/*
 * publish_root.c - the verbs that make the next root: rotate (keys and
 * thresholds) and vendor (vendor roles).  Both start from REPO/root.json
 * (version N), change a root_spec, and go through one path:
 * root_next_publish() builds version N+1, signs it with the current root
 * keys given (a threshold of root N's root role) and the new root role's
 * keys (a threshold of its own), verifies it with trust_root_next() as a
 * client would, and only then writes N+1.root.json and root.json.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsse.h"
#include "publish.h"
#include "str.h"
#include "trust.h"

int publish_root_write(const struct repo *repo, uint64_t version,
		       const char *env, struct hs_err *e)
{
	char name[32];
	char path[PATH_MAX];
	int r;

	(void)hs_snprintf(name, sizeof(name), "%llu.root.json",
			  (unsigned long long)version);
	if (hs_snprintf(path, sizeof(path), "%s/%s", repo_dir(repo), name) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	/* A published root is never replaced: clients may hold it. */
	if (access(path, F_OK) == 0)
		return hs_err_set(e, -EEXIST,
				  "'%s' exists, but root.json is not version "
				  "%llu: not replaced (move it away if it was "
				  "never served)",
				  path, (unsigned long long)version);
	r = repo_write(repo, name, env, strlen(env), e);
	if (r == 0)
		r = repo_write(repo, "root.json", env, strlen(env), e);
	return r;
}

/* A root_spec made from a root, with room for one more vendor. */
struct spec_buf {
	struct root_spec spec;
	struct root_spec_vendor *vendors;
	const char **patterns;
};

static void spec_buf_clear(struct spec_buf *sb)
{
	free(sb->vendors);
	free(sb->patterns);
	memset(sb, 0, sizeof(*sb));
}

/* Fills sb from cur (pointing into it) for version N+1. */
static int spec_buf_init(struct spec_buf *sb, const struct root *cur,
			 uint64_t days, struct hs_err *e)
{
	size_t n_patterns = 0;
	size_t i;

	memset(sb, 0, sizeof(*sb));
	for (i = 0; i < root_n_vendors(cur); i++)
		n_patterns += root_vendor_at(cur, i)->n_patterns;
	sb->vendors = calloc(root_n_vendors(cur) + 1, sizeof(*sb->vendors));
	sb->patterns = calloc(n_patterns + 1, sizeof(*sb->patterns));
	if (sb->vendors == NULL || sb->patterns == NULL) {
		spec_buf_clear(sb);
		return hs_err_set(e, -ENOMEM, "out of memory");
	}
	root_to_spec(cur, &sb->spec, sb->vendors, sb->patterns);
	sb->spec.version = root_version(cur) + 1;
	sb->spec.expires = publish_days_from_now(days);
	return 0;
}

/* Who signs the next root: root N's keys, and the new root role's. */
struct signers {
	const struct keyset *cur; /* --root-key */
	const struct keyset *next; /* --new-root-key, or NULL: cur's */
};

/* The signers' keys, each once (a key may be in both sets). */
static size_t signers_collect(const struct signers *s,
			      struct key *out[2 * PUBLISH_MAX_KEYS])
{
	const struct keyset *sets[2] = {s->cur, s->next};
	size_t n = 0;
	size_t i;
	size_t k;
	size_t j;
	bool seen;

	for (k = 0; k < 2 && sets[k] != NULL; k++)
		for (i = 0; i < sets[k]->n; i++) {
			seen = false;
			for (j = 0; j < n; j++)
				seen = seen ||
				       strcmp(key_id(out[j]),
					      key_id(sets[k]->keys[i])) == 0;
			if (!seen)
				out[n++] = sets[k]->keys[i];
		}
	return n;
}

/* The signers meet both thresholds: root N's, and the new root role's. */
static int signers_check(const struct signers *s, const struct root *cur,
			 const struct root_spec *spec, struct hs_err *e)
{
	const struct root_role *role = root_role(cur, ROOT_ROLE_ROOT);
	const struct root_spec_role *next = &spec->roles[ROOT_ROLE_ROOT];
	char what[64];
	int r;

	(void)hs_snprintf(what, sizeof(what), "the root role of root %llu",
			  (unsigned long long)root_version(cur));
	r = keyset_check_role(s->cur, "--root-key", role->keys, role->n_keys,
			      role->threshold, what, e);
	if (r < 0)
		return r;
	(void)hs_snprintf(what, sizeof(what), "the root role of root %llu",
			  (unsigned long long)spec->version);
	if (s->next != NULL)
		return keyset_check_role(s->next, "--new-root-key", next->keys,
					 next->n_keys, next->threshold, what,
					 e);
	return keyset_check_role(s->cur, "--root-key", next->keys, next->n_keys,
				 next->threshold, what, e);
}

/* Ownership of the repository's components under the next root. */
struct owner_ctx {
	const struct root *cur;
	const struct root *next;
	const char *dir;
};

static int owner_check(void *ctx, const char *name, struct hs_err *e)
{
	const struct owner_ctx *o = ctx;
	const struct root_vendor *was = NULL;
	const struct root_vendor *now = NULL;
	int r;

	r = root_owner(o->next, name, &now, e);
	if (r < 0)
		return r;
	(void)root_owner(o->cur, name, &was, NULL);
	if (now != NULL && (was == NULL || strcmp(was->name, now->name) != 0))
		printf("note: '%s' is now owned by vendor '%s': before the "
		       "next sign, run 'haishin-publish endorse %s %s "
		       "--vendor-key ...' with its keys\n",
		       name, now->name, o->dir, name);
	else if (now == NULL && was != NULL)
		printf("note: '%s' is no longer owned by vendor '%s': sign "
		       "writes it plain\n",
		       name, was->name);
	return 0;
}

static void root_next_print(const struct repo *repo, const struct root *r)
{
	const struct root_role *root = root_role(r, ROOT_ROLE_ROOT);
	const struct root_role *man = root_role(r, ROOT_ROLE_MANIFEST);
	size_t i;

	printf("%s/root.json: version %llu, %zu root key(s) (threshold %zu), "
	       "%zu manifest key(s) (threshold %zu)",
	       repo_dir(repo), (unsigned long long)root_version(r),
	       root->n_keys, root->threshold, man->n_keys, man->threshold);
	for (i = 0; i < root_n_vendors(r); i++)
		printf("%s vendor '%s'", i == 0 ? ";" : ",",
		       root_vendor_at(r, i)->name);
	printf("\n");
}

/*
 * Builds, signs, verifies and writes the root that spec describes (its
 * version must follow cur's).  Nothing is written unless a client holding
 * cur would accept it, and every component of the repository has at most
 * one owner under it.
 */
static int root_next_publish(const struct repo *repo, const struct root *cur,
			     const struct root_spec *spec,
			     const struct signers *s, struct hs_err *e)
{
	struct key *keys[2 * PUBLISH_MAX_KEYS];
	struct owner_ctx oc;
	struct root *next = NULL;
	char *payload = NULL;
	char *env = NULL;
	size_t n;
	int r;

	assert(spec->version == root_version(cur) + 1);
	/* The spec first: a threshold above its keys is the error to show. */
	r = root_build_spec(spec, &payload, e);
	if (r < 0) {
		hs_err_prefix(e,
			      "root %llu: ", (unsigned long long)spec->version);
		return r;
	}
	r = signers_check(s, cur, spec, e);
	n = signers_collect(s, keys);
	if (r == 0)
		r = dsse_sign(DSSE_TYPE_ROOT, payload, strlen(payload), keys, n,
			      &env, e);
	if (r == 0) {
		r = trust_root_next(cur, env, strlen(env), &next, e);
		if (r < 0)
			hs_err_prefix(e, "clients would refuse it: ");
	}
	oc.cur = cur;
	oc.next = next;
	oc.dir = repo_dir(repo);
	if (r == 0)
		r = repo_foreach_name(repo, owner_check, &oc, e);
	if (r == 0)
		r = publish_root_write(repo, spec->version, env, e);
	if (r == 0)
		root_next_print(repo, next);
	root_free(next);
	free(env);
	free(payload);
	return r;
}

/* Changes spec, made from root N, into the next root; o is the verb's. */
typedef int root_edit_fn(const void *o, char *const *args, struct spec_buf *sb,
			 struct hs_err *e);

/*
 * The path both verbs take: REPO (args[0]) and its root N, the spec of
 * N+1 from it, edit, and root_next_publish() signed by s.
 */
static int root_next(char *const *args, uint64_t days, root_edit_fn *edit,
		     const void *o, const struct signers *s, struct hs_err *e)
{
	struct publish_repo pr = {NULL, NULL};
	struct spec_buf sb;
	int r;

	memset(&sb, 0, sizeof(sb));
	r = publish_repo_open(args[0], true, &pr, e);
	if (r == 0)
		r = spec_buf_init(&sb, pr.root, days, e);
	if (r == 0)
		r = edit(o, args, &sb, e);
	if (r == 0)
		r = root_next_publish(pr.repo, pr.root, &sb.spec, s, e);
	spec_buf_clear(&sb);
	publish_repo_close(&pr);
	return r;
}

struct rotate_opts {
	struct keyset root; /* private: root N's root keys that sign */
	struct keyset new_root; /* private: the new root role, signing */
	struct keyset new_manifest; /* public: the new manifest role */
	uint64_t thresholds[ROOT_ROLE_COUNT]; /* 0: keep */
	uint64_t days;
};

static const struct publish_opt rotate_opts[] = {
	{PUBLISH_OPT("root-key", SECRET_KEYS, struct rotate_opts, root),
	 .required = true},
	{PUBLISH_OPT("new-root-key", SECRET_KEYS, struct rotate_opts,
		     new_root)},
	{PUBLISH_OPT("new-manifest-key", PUBLIC_KEYS, struct rotate_opts,
		     new_manifest)},
	{PUBLISH_OPT("root-threshold", COUNT, struct rotate_opts,
		     thresholds[ROOT_ROLE_ROOT]),
	 .max = PUBLISH_MAX_KEYS},
	{PUBLISH_OPT("manifest-threshold", COUNT, struct rotate_opts,
		     thresholds[ROOT_ROLE_MANIFEST]),
	 .max = PUBLISH_MAX_KEYS},
	{PUBLISH_OPT("expires", COUNT, struct rotate_opts, days),
	 .max = PUBLISH_MAX_DAYS},
};

/* Puts rotate's changes into the spec (which points into o's keys then). */
static int rotate_apply(const void *opts, char *const *args,
			struct spec_buf *sb, struct hs_err *e)
{
	const struct rotate_opts *o = opts;
	const struct keyset *sets[ROOT_ROLE_COUNT] = {&o->new_root,
						      &o->new_manifest};
	struct root_spec *spec = &sb->spec;
	size_t i;

	(void)args;
	(void)e;
	for (i = 0; i < ROOT_ROLE_COUNT; i++) {
		if (sets[i]->n > 0) {
			spec->roles[i].keys = sets[i]->keys;
			spec->roles[i].n_keys = sets[i]->n;
		}
		if (o->thresholds[i] != 0)
			spec->roles[i].threshold = o->thresholds[i];
	}
	return 0;
}

static int rotate_run(void *opts, char *const *args, struct hs_err *e)
{
	const struct rotate_opts *o = opts;
	const struct signers s = {
		.cur = &o->root,
		.next = o->new_root.n > 0 ? &o->new_root : NULL,
	};

	return root_next(args, o->days, rotate_apply, o, &s, e);
}

static const struct publish_cmd rotate_cmd = {
	.verb = "rotate",
	.opts = rotate_opts,
	.n_opts = ARRAY_SIZE(rotate_opts),
	.n_args = 1,
	.run = rotate_run,
};

int cmd_rotate(int argc, char **argv, struct hs_err *e)
{
	struct rotate_opts o;

	memset(&o, 0, sizeof(o));
	o.days = PUBLISH_ROOT_DAYS;
	return publish_cmd_run(&rotate_cmd, argc, argv, &o, e);
}

/* --components PATTERN..., repeatable. */
struct vendor_patterns {
	const char *p[HS_VENDOR_MAX_PATTERNS];
	size_t n;
};

struct vendor_opts {
	struct keyset root; /* private: root N's root keys that sign */
	struct keyset keys; /* public: the vendor's keys */
	struct vendor_patterns patterns;
	uint64_t threshold; /* 0: not given (1) */
	bool remove;
	uint64_t days;
};

static int vendor_add_pattern(void *field, const char *p, struct hs_err *e)
{
	struct vendor_patterns *ps = field;

	if (ps->n == HS_VENDOR_MAX_PATTERNS)
		return hs_err_set(e, -E2BIG, "more than %d --components",
				  HS_VENDOR_MAX_PATTERNS);
	ps->p[ps->n++] = p;
	return 0;
}

/* --remove, or a vendor's keys and components: not both. */
static int vendor_check_opts(void *opts, struct hs_err *e)
{
	const struct vendor_opts *o = opts;

	if (o->remove &&
	    (o->keys.n > 0 || o->patterns.n > 0 || o->threshold > 0))
		return hs_err_set(e, -EINVAL,
				  "--remove takes no --vendor-key, "
				  "--components or --threshold");
	if (!o->remove && (o->keys.n == 0 || o->patterns.n == 0))
		return hs_err_set(
			e, -EINVAL,
			"a vendor needs --vendor-key and --components "
			"(or --remove)");
	return 0;
}

static const struct publish_opt vendor_opts[] = {
	{PUBLISH_OPT("root-key", SECRET_KEYS, struct vendor_opts, root),
	 .required = true},
	{PUBLISH_OPT("vendor-key", PUBLIC_KEYS, struct vendor_opts, keys)},
	{PUBLISH_OPT("components", PARSE, struct vendor_opts, patterns),
	 .parse = vendor_add_pattern},
	{PUBLISH_OPT("threshold", COUNT, struct vendor_opts, threshold),
	 .max = PUBLISH_MAX_KEYS},
	{PUBLISH_OPT("remove", FLAG, struct vendor_opts, remove)},
	{PUBLISH_OPT("expires", COUNT, struct vendor_opts, days),
	 .max = PUBLISH_MAX_DAYS},
};

/* Adds, replaces or removes vendor args[1] in the spec (vendors has room). */
static int vendor_apply(const void *opts, char *const *args,
			struct spec_buf *sb, struct hs_err *e)
{
	const struct vendor_opts *o = opts;
	struct root_spec_vendor *vendors = sb->vendors;
	struct root_spec *spec = &sb->spec;
	const char *name = args[1];
	size_t i;

	for (i = 0; i < spec->n_vendors; i++)
		if (strcmp(vendors[i].name, name) == 0)
			break;
	if (o->remove) {
		if (i == spec->n_vendors)
			return hs_err_set(
				e, -ENOENT, "root %llu has no vendor '%s'",
				(unsigned long long)spec->version - 1, name);
		vendors[i] = vendors[spec->n_vendors - 1];
		spec->n_vendors--;
		return 0;
	}
	vendors[i].name = name;
	vendors[i].role.keys = o->keys.keys;
	vendors[i].role.n_keys = o->keys.n;
	vendors[i].role.threshold = o->threshold != 0 ? o->threshold : 1;
	vendors[i].patterns = o->patterns.p;
	vendors[i].n_patterns = o->patterns.n;
	if (i == spec->n_vendors)
		spec->n_vendors++;
	return 0;
}

static int vendor_run(void *opts, char *const *args, struct hs_err *e)
{
	const struct vendor_opts *o = opts;
	const struct signers s = {.cur = &o->root, .next = NULL};

	return root_next(args, o->days, vendor_apply, o, &s, e);
}

static const struct publish_cmd vendor_cmd = {
	.verb = "vendor",
	.opts = vendor_opts,
	.n_opts = ARRAY_SIZE(vendor_opts),
	.n_args = 2,
	.check = vendor_check_opts,
	.run = vendor_run,
};

int cmd_vendor(int argc, char **argv, struct hs_err *e)
{
	struct vendor_opts o;

	memset(&o, 0, sizeof(o));
	o.days = PUBLISH_ROOT_DAYS;
	return publish_cmd_run(&vendor_cmd, argc, argv, &o, e);
}
