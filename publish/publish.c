/*
 * publish.c - haishin-publish, the vendor/operator side: keys, the root of
 * trust, packages and the signed manifest.  Its output is a plain directory
 * of static files for any web server, CDN or object store.
 *
 *	haishin-publish keygen PREFIX
 *	haishin-publish init REPO --root-key PREFIX... --manifest-key PREFIX...
 *	                [--root-threshold N] [--manifest-threshold N]
 *	                [--expires DAYS]
 *	haishin-publish rotate REPO --root-key PREFIX...
 *	                [--new-root-key PREFIX...] [--new-manifest-key PREFIX...]
 *	                [--root-threshold N] [--manifest-threshold N]
 *	                [--expires DAYS]
 *	haishin-publish vendor REPO NAME --root-key PREFIX...
 *	                (--vendor-key PREFIX... --components PATTERN...
 *	                 [--threshold N] | --remove) [--expires DAYS]
 *	haishin-publish add REPO NAME VERSION DIR [--minimum V]
 *	                [--restart none|app|system] [--set NAME] [--forced
 *	                [--deadline TIME] [--allow-downgrade]]
 *	                [--vendor-key PREFIX...] [--deltas K]
 *	haishin-publish endorse REPO NAME --vendor-key PREFIX...
 *	haishin-publish sign REPO --key PREFIX... [--expires DAYS]
 *	haishin-publish delta OLD NEW -o OUT [--method zstd|sufdiff|best]
 *	haishin-publish bundle REPO -o FILE
 *
 * rotate and vendor write the next root version (N+1.root.json and
 * root.json), signed by a threshold of the current root keys and of the
 * new ones; add --vendor-key and endorse store a vendor's signature over a
 * component's entry in index.json; sign embeds it for every component a
 * vendor owns.  add also makes deltas to the new version from the K (3)
 * highest earlier ones, which sign lists in the manifest.  Whatever is
 * written is first verified as a client would.
 *
 * A one-shot tool: errors go to stderr as "haishin-publish VERB: <what>"
 * and the exit code is 1 (usage errors 2).
 */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsse.h"
#include "key.h"
#include "repo.h"
#include "root.h"
#include "str.h"
#include "trust.h"

#include "publish.h"

#define EXIT_USAGE 2

static int cmd_keygen(int argc, char **argv, struct hs_err *e)
{
	struct key *k = NULL;
	int r;

	if (argc != 2)
		return publish_usage_error("keygen", e);
	r = key_generate(&k, e);
	if (r == 0)
		r = key_save_pair(k, argv[1], e);
	if (r == 0)
		printf("%s.key  %s.pub  keyid %s\n", argv[1], argv[1],
		       key_id(k));
	key_free(k);
	return r;
}

struct init_opts {
	struct keyset root; /* private: the first root's root keys, signing */
	struct keyset manifest; /* public: its manifest keys */
	uint64_t thresholds[ROOT_ROLE_COUNT];
	uint64_t days;
};

static const struct publish_opt init_opts[] = {
	{PUBLISH_OPT("root-key", SECRET_KEYS, struct init_opts, root),
	 .required = true},
	{PUBLISH_OPT("manifest-key", PUBLIC_KEYS, struct init_opts, manifest),
	 .required = true},
	{PUBLISH_OPT("root-threshold", COUNT, struct init_opts,
		     thresholds[ROOT_ROLE_ROOT]),
	 .max = PUBLISH_MAX_KEYS},
	{PUBLISH_OPT("manifest-threshold", COUNT, struct init_opts,
		     thresholds[ROOT_ROLE_MANIFEST]),
	 .max = PUBLISH_MAX_KEYS},
	{PUBLISH_OPT("expires", COUNT, struct init_opts, days),
	 .max = PUBLISH_MAX_DAYS},
};

static int write_root(const char *dir, const struct init_opts *o,
		      struct hs_err *e)
{
	struct key *const *keys[ROOT_ROLE_COUNT] = {o->root.keys,
						    o->manifest.keys};
	const size_t n_keys[ROOT_ROLE_COUNT] = {o->root.n, o->manifest.n};
	const size_t thresholds[ROOT_ROLE_COUNT] = {
		o->thresholds[ROOT_ROLE_ROOT],
		o->thresholds[ROOT_ROLE_MANIFEST]};
	struct repo *repo = NULL;
	char *payload = NULL;
	char *env = NULL;
	int r;

	r = root_build(1, publish_days_from_now(o->days), keys, n_keys,
		       thresholds, &payload, e);
	if (r == 0)
		r = dsse_sign(DSSE_TYPE_ROOT, payload, strlen(payload),
			      o->root.keys, o->root.n, &env, e);
	if (r == 0)
		r = repo_open(dir, &repo, e);
	/* 1.root.json starts the chain that later roots extend. */
	if (r == 0)
		r = publish_root_write(repo, 1, env, e);
	repo_free(repo);
	free(env);
	free(payload);
	return r;
}

static int init_run(void *opts, char *const *args, struct hs_err *e)
{
	const struct init_opts *o = opts;
	int r;

	r = repo_create(args[0], e);
	if (r == 0)
		r = write_root(args[0], o, e);
	if (r == 0)
		printf("%s/root.json: version 1, %zu root key(s) (threshold "
		       "%llu), %zu manifest key(s) (threshold %llu)\n",
		       args[0], o->root.n,
		       (unsigned long long)o->thresholds[ROOT_ROLE_ROOT],
		       o->manifest.n,
		       (unsigned long long)o->thresholds[ROOT_ROLE_MANIFEST]);
	return r;
}

static const struct publish_cmd init_cmd = {
	.verb = "init",
	.opts = init_opts,
	.n_opts = ARRAY_SIZE(init_opts),
	.n_args = 1,
	.run = init_run,
};

static int cmd_init(int argc, char **argv, struct hs_err *e)
{
	struct init_opts o;

	memset(&o, 0, sizeof(o));
	o.thresholds[ROOT_ROLE_ROOT] = 1;
	o.thresholds[ROOT_ROLE_MANIFEST] = 1;
	o.days = PUBLISH_ROOT_DAYS;
	return publish_cmd_run(&init_cmd, argc, argv, &o, e);
}

/*
 * The verbs: one line each (a new verb is its cmd_ function and a line
 * here).  usage is what follows the verb's name in --help and in usage
 * errors.
 */
static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv, struct hs_err *e);
	const char *usage;
} verbs[] = {
	{"keygen", cmd_keygen, "PREFIX"},
	{"init", cmd_init,
	 "REPO --root-key PREFIX... --manifest-key PREFIX... "
	 "[--root-threshold N] [--manifest-threshold N] [--expires DAYS]"},
	{"rotate", cmd_rotate,
	 "REPO --root-key PREFIX... [--new-root-key PREFIX...] "
	 "[--new-manifest-key PREFIX...] [--root-threshold N] "
	 "[--manifest-threshold N] [--expires DAYS]"},
	{"vendor", cmd_vendor,
	 "REPO NAME --root-key PREFIX... (--vendor-key PREFIX... "
	 "--components PATTERN... [--threshold N] | --remove) "
	 "[--expires DAYS]"},
	{"add", cmd_add,
	 "REPO NAME VERSION DIR [--minimum V] [--restart none|app|system] "
	 "[--set NAME] [--forced [--deadline TIME] [--allow-downgrade]] "
	 "[--vendor-key PREFIX...] [--deltas K]"},
	{"endorse", cmd_endorse, "REPO NAME --vendor-key PREFIX..."},
	{"sign", cmd_sign, "REPO --key PREFIX... [--expires DAYS]"},
	{"delta", cmd_delta, "OLD NEW -o OUT [--method zstd|sufdiff|best]"},
	{"bundle", cmd_bundle, "REPO -o FILE"},
};

#define N_VERBS ARRAY_SIZE(verbs)

int publish_usage_error(const char *verb, struct hs_err *e)
{
	size_t i;

	for (i = 0; i < N_VERBS; i++)
		if (strcmp(verbs[i].name, verb) == 0)
			return hs_err_set(e, -EINVAL, "usage: %s %s", verb,
					  verbs[i].usage);
	return hs_err_set(e, -EINVAL, "usage: %s ...", verb);
}

/* Prints "  verb usage", folded at spaces to fit 80 columns. */
static void usage_verb(FILE *f, const struct verb *v)
{
	const char *p = v->usage;
	int col = fprintf(f, "  %s", v->name);
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, " ");
		if (col + 1 + (int)n > 79) {
			fprintf(f, "\n       ");
			col = 7;
		}
		col += fprintf(f, " %.*s", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
	fputc('\n', f);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: haishin-publish COMMAND ...\n");
	for (i = 0; i < N_VERBS; i++)
		usage_verb(f, &verbs[i]);
	fprintf(f, "An option written PREFIX... may be repeated. "
		   "See docs/repository.md.\n");
}

int main(int argc, char **argv)
{
	struct hs_err e;
	size_t i;

	hs_err_clear(&e);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (i = 0; i < N_VERBS; i++) {
		if (strcmp(argv[1], verbs[i].name) != 0)
			continue;
		if (verbs[i].fn(argc - 1, argv + 1, &e) < 0) {
			fprintf(stderr, "haishin-publish %s: %s\n", argv[1],
				e.msg);
			return e.code == -EINVAL ? EXIT_USAGE : 1;
		}
		return 0;
	}
	fprintf(stderr, "haishin-publish: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
