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
 *	                [--restart none|app|system] [--forced
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
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsse.h"
#include "key.h"
#include "publish_bundle.h"
#include "repo.h"
#include "root.h"
#include "str.h"
#include "trust.h"

#include "publish.h"

#define EXIT_USAGE 2

void keyset_clear(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		key_free(ks->keys[i]);
	ks->n = 0;
}

int keyset_add_prefix(struct keyset *ks, const char *prefix, struct hs_err *e)
{
	if (ks->n == PUBLISH_MAX_KEYS)
		return hs_err_set(e, -E2BIG, "more than %d keys",
				  PUBLISH_MAX_KEYS);
	ks->prefixes[ks->n] = prefix;
	ks->keys[ks->n] = NULL;
	ks->n++;
	return 0;
}

/* Loads PREFIX.key (private) or PREFIX.pub (public) for every prefix. */
int keyset_load(struct keyset *ks, bool private, struct hs_err *e)
{
	char path[PATH_MAX];
	size_t i;
	size_t j;
	int r;

	for (i = 0; i < ks->n; i++) {
		if (hs_snprintf(path, sizeof(path), "%s.%s", ks->prefixes[i],
				private ? "key" : "pub") < 0)
			return hs_err_set(e, -ENAMETOOLONG,
					  "key prefix too long");
		r = private ? key_load_private(path, &ks->keys[i], e)
			    : key_load_public(path, &ks->keys[i], e);
		if (r < 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(key_id(ks->keys[j]), key_id(ks->keys[i])) ==
			    0)
				return hs_err_set(e, -EINVAL,
						  "'%s' and '%s' are the same "
						  "key",
						  ks->prefixes[j],
						  ks->prefixes[i]);
	}
	return 0;
}

int keyset_check_role(const struct keyset *ks, struct key *const *keys,
		      size_t n_keys, size_t threshold, const char *what,
		      struct hs_err *e)
{
	size_t i;
	size_t j;
	bool found;

	for (i = 0; i < ks->n; i++) {
		found = false;
		for (j = 0; j < n_keys; j++)
			found = found || strcmp(key_id(keys[j]),
						key_id(ks->keys[i])) == 0;
		if (!found)
			return hs_err_set(e, -EKEYREJECTED,
					  "key '%s' is not in %s",
					  ks->prefixes[i], what);
	}
	if (ks->n < threshold)
		return hs_err_set(e, -EKEYREJECTED,
				  "%s needs %zu signatures (its threshold); "
				  "%zu of its keys given",
				  what, threshold, ks->n);
	return 0;
}

int publish_parse_count(const char *s, const char *what, uint64_t max,
			uint64_t *ret, struct hs_err *e)
{
	if (hs_parse_u64(s, max, ret) < 0 || *ret == 0)
		return hs_err_set(e, -EINVAL, "%s must be 1 to %llu, not '%s'",
				  what, (unsigned long long)max, s);
	return 0;
}

int64_t publish_days_from_now(uint64_t days)
{
	return (int64_t)time(NULL) + (int64_t)days * 86400;
}

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
	struct keyset root;
	struct keyset manifest;
	uint64_t thresholds[ROOT_ROLE_COUNT];
	uint64_t days;
};

static int init_parse(int argc, char **argv, struct init_opts *o,
		      struct hs_err *e)
{
	static const struct option opts[] = {
		{"root-key", required_argument, NULL, 'r'},
		{"manifest-key", required_argument, NULL, 'm'},
		{"root-threshold", required_argument, NULL, 'R'},
		{"manifest-threshold", required_argument, NULL, 'M'},
		{"expires", required_argument, NULL, 'x'},
		{NULL, 0, NULL, 0},
	};
	int r = 0;
	int c;

	while (r == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			r = keyset_add_prefix(&o->root, optarg, e);
		else if (c == 'm')
			r = keyset_add_prefix(&o->manifest, optarg, e);
		else if (c == 'R')
			r = publish_parse_count(
				optarg, "--root-threshold", PUBLISH_MAX_KEYS,
				&o->thresholds[ROOT_ROLE_ROOT], e);
		else if (c == 'M')
			r = publish_parse_count(
				optarg, "--manifest-threshold",
				PUBLISH_MAX_KEYS,
				&o->thresholds[ROOT_ROLE_MANIFEST], e);
		else if (c == 'x')
			r = publish_parse_count(optarg, "--expires",
						PUBLISH_MAX_DAYS, &o->days, e);
		else
			r = publish_usage_error("init", e);
	}
	if (r == 0 &&
	    (optind != argc - 1 || o->root.n == 0 || o->manifest.n == 0))
		r = publish_usage_error("init", e);
	return r;
}

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

static int cmd_init(int argc, char **argv, struct hs_err *e)
{
	struct init_opts o;
	int r;

	memset(&o, 0, sizeof(o));
	o.thresholds[ROOT_ROLE_ROOT] = 1;
	o.thresholds[ROOT_ROLE_MANIFEST] = 1;
	o.days = PUBLISH_ROOT_DAYS;
	r = init_parse(argc, argv, &o, e);
	if (r == 0)
		r = keyset_load(&o.root, true, e);
	if (r == 0)
		r = keyset_load(&o.manifest, false, e);
	if (r == 0)
		r = repo_create(argv[optind], e);
	if (r == 0)
		r = write_root(argv[optind], &o, e);
	if (r == 0)
		printf("%s/root.json: version 1, %zu root key(s) (threshold "
		       "%llu), %zu manifest key(s) (threshold %llu)\n",
		       argv[optind], o.root.n,
		       (unsigned long long)o.thresholds[ROOT_ROLE_ROOT],
		       o.manifest.n,
		       (unsigned long long)o.thresholds[ROOT_ROLE_MANIFEST]);
	keyset_clear(&o.root);
	keyset_clear(&o.manifest);
	return r;
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
	 "[--forced [--deadline TIME] [--allow-downgrade]] "
	 "[--vendor-key PREFIX...] [--deltas K]"},
	{"endorse", cmd_endorse, "REPO NAME --vendor-key PREFIX..."},
	{"sign", cmd_sign, "REPO --key PREFIX... [--expires DAYS]"},
	{"delta", cmd_delta, "OLD NEW -o OUT [--method zstd|sufdiff|best]"},
	{"bundle", publish_bundle, "REPO -o FILE"},
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

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
