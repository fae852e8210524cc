/*
 * publish.c - haishin-publish, the vendor/operator side: keys, the root of
 * trust, packages and the signed manifest.  Its output is a plain directory
 * of static files for any web server, CDN or object store.
 *
 *	haishin-publish keygen PREFIX
 *	haishin-publish init REPO --root-key PREFIX... --manifest-key PREFIX...
 *	                [--root-threshold N] [--manifest-threshold N]
 *	                [--expires DAYS]
 *	haishin-publish add REPO NAME VERSION DIR [--minimum V]
 *	                [--restart none|app|system]
 *	haishin-publish sign REPO --key PREFIX... [--expires DAYS]
 *
 * A one-shot tool: errors go to stderr as "haishin-publish: <what>" and the
 * exit code is 1 (usage errors 2).
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
#include "repo.h"
#include "root.h"
#include "str.h"
#include "trust.h"

#define PUBLISH_MAX_KEYS 16
#define PUBLISH_ROOT_DAYS 1825 /* a root lives five years */
#define PUBLISH_MANIFEST_DAYS 30 /* re-sign at least monthly */
#define PUBLISH_MAX_DAYS 36500

#define EXIT_USAGE 2

/* Keys named on the command line, loaded and owned here. */
struct keyset {
	struct key *keys[PUBLISH_MAX_KEYS];
	const char *prefixes[PUBLISH_MAX_KEYS];
	size_t n;
};

static void keyset_clear(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		key_free(ks->keys[i]);
	ks->n = 0;
}

static int keyset_add_prefix(struct keyset *ks, const char *prefix,
			     struct hs_err *e)
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
static int keyset_load(struct keyset *ks, bool private, struct hs_err *e)
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

static int parse_count(const char *s, const char *what, uint64_t max,
		       uint64_t *ret, struct hs_err *e)
{
	if (hs_parse_u64(s, max, ret) < 0 || *ret == 0)
		return hs_err_set(e, -EINVAL, "%s must be 1 to %llu, not '%s'",
				  what, (unsigned long long)max, s);
	return 0;
}

static int64_t days_from_now(uint64_t days)
{
	return (int64_t)time(NULL) + (int64_t)days * 86400;
}

static int cmd_keygen(int argc, char **argv, struct hs_err *e)
{
	struct key *k = NULL;
	int r;

	if (argc != 2)
		return hs_err_set(e, -EINVAL, "usage: keygen PREFIX");
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
			r = parse_count(optarg, "--root-threshold",
					PUBLISH_MAX_KEYS,
					&o->thresholds[ROOT_ROLE_ROOT], e);
		else if (c == 'M')
			r = parse_count(optarg, "--manifest-threshold",
					PUBLISH_MAX_KEYS,
					&o->thresholds[ROOT_ROLE_MANIFEST], e);
		else if (c == 'x')
			r = parse_count(optarg, "--expires", PUBLISH_MAX_DAYS,
					&o->days, e);
		else
			r = hs_err_set(e, -EINVAL, "unknown option");
	}
	if (r == 0 &&
	    (optind != argc - 1 || o->root.n == 0 || o->manifest.n == 0))
		r = hs_err_set(e, -EINVAL,
			       "usage: init REPO --root-key PREFIX... "
			       "--manifest-key PREFIX... [--root-threshold N] "
			       "[--manifest-threshold N] [--expires DAYS]");
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

	r = root_build(1, days_from_now(o->days), keys, n_keys, thresholds,
		       &payload, e);
	if (r == 0)
		r = dsse_sign(DSSE_TYPE_ROOT, payload, strlen(payload),
			      o->root.keys, o->root.n, &env, e);
	if (r == 0)
		r = repo_open(dir, &repo, e);
	/* 1.root.json starts the chain that later roots extend. */
	if (r == 0)
		r = repo_write(repo, "1.root.json", env, strlen(env), e);
	if (r == 0)
		r = repo_write(repo, "root.json", env, strlen(env), e);
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

static int cmd_add(int argc, char **argv, struct hs_err *e)
{
	static const struct option opts[] = {
		{"minimum", required_argument, NULL, 'm'},
		{"restart", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	const char *minimum = NULL;
	const char *restart = NULL;
	struct manifest_package pkg;
	struct repo *repo = NULL;
	int r;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm')
			minimum = optarg;
		else if (c == 'r')
			restart = optarg;
		else
			return hs_err_set(e, -EINVAL, "unknown option");
	}
	if (optind != argc - 4)
		return hs_err_set(e, -EINVAL,
				  "usage: add REPO NAME VERSION DIR "
				  "[--minimum V] [--restart none|app|system]");
	r = repo_open(argv[optind], &repo, e);
	if (r == 0)
		r = repo_add(repo, argv[optind + 1], argv[optind + 2],
			     argv[optind + 3], minimum, restart, &pkg, e);
	if (r == 0)
		printf("%s %s: %s (%llu bytes)\n", argv[optind + 1],
		       argv[optind + 2], pkg.url, (unsigned long long)pkg.size);
	repo_free(repo);
	return r;
}

/* The manifest keys given must be in root.json's manifest role. */
static int check_sign_keys(const struct repo *repo, const struct keyset *ks,
			   struct hs_err *e)
{
	char path[PATH_MAX];
	const struct root_role *role;
	struct root *root = NULL;
	char *buf = NULL;
	size_t len = 0;
	size_t i;
	size_t j;
	int r;

	if (hs_snprintf(path, sizeof(path), "%s/root.json", repo_dir(repo)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	r = hs_read_file(path, HS_ROOT_MAX_BYTES, &buf, &len, e);
	if (r == 0)
		r = trust_root_load(buf, len, &root, e);
	free(buf);
	if (r < 0)
		return r;
	role = root_role(root, ROOT_ROLE_MANIFEST);
	for (i = 0; r == 0 && i < ks->n; i++) {
		bool found = false;

		for (j = 0; j < role->n_keys; j++)
			found = found || strcmp(key_id(role->keys[j]),
						key_id(ks->keys[i])) == 0;
		if (!found)
			r = hs_err_set(e, -EKEYREJECTED,
				       "key '%s' is not a manifest key of "
				       "root.json",
				       ks->prefixes[i]);
	}
	if (r == 0 && ks->n < role->threshold)
		r = hs_err_set(e, -EKEYREJECTED,
			       "root.json requires %zu manifest signatures; "
			       "%zu key(s) given",
			       role->threshold, ks->n);
	root_free(root);
	return r;
}

static int sign_manifest(struct repo *repo, const struct keyset *ks,
			 uint64_t days, struct hs_err *e)
{
	struct manifest *m = NULL;
	char *payload = NULL;
	char *env = NULL;
	int r;

	r = repo_next_manifest(repo, days_from_now(days), &m, e);
	if (r == 0)
		r = manifest_build(m, &payload, e);
	if (r == 0)
		r = dsse_sign(DSSE_TYPE_MANIFEST, payload, strlen(payload),
			      ks->keys, ks->n, &env, e);
	/* The serial is spent before the manifest is written: a serial may be
	 * skipped, never reused with other contents. */
	if (r == 0)
		r = repo_set_serial(repo, m->serial, e);
	if (r == 0)
		r = repo_write(repo, "manifest.json", env, strlen(env), e);
	if (r == 0)
		printf("%s/manifest.json: serial %llu, %zu component(s)\n",
		       repo_dir(repo), (unsigned long long)m->serial,
		       m->n_components);
	free(env);
	free(payload);
	manifest_free(m);
	return r;
}

static int cmd_sign(int argc, char **argv, struct hs_err *e)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"expires", required_argument, NULL, 'x'},
		{NULL, 0, NULL, 0},
	};
	uint64_t days = PUBLISH_MANIFEST_DAYS;
	struct repo *repo = NULL;
	struct keyset ks;
	int r = 0;
	int c;

	memset(&ks, 0, sizeof(ks));
	while (r == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			r = keyset_add_prefix(&ks, optarg, e);
		else if (c == 'x')
			r = parse_count(optarg, "--expires", PUBLISH_MAX_DAYS,
					&days, e);
		else
			r = hs_err_set(e, -EINVAL, "unknown option");
	}
	if (r == 0 && (optind != argc - 1 || ks.n == 0))
		r = hs_err_set(e, -EINVAL,
			       "usage: sign REPO --key PREFIX... "
			       "[--expires DAYS]");
	if (r == 0)
		r = keyset_load(&ks, true, e);
	if (r == 0)
		r = repo_open(argv[optind], &repo, e);
	if (r == 0)
		r = check_sign_keys(repo, &ks, e);
	if (r == 0)
		r = sign_manifest(repo, &ks, days, e);
	repo_free(repo);
	keyset_clear(&ks);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: haishin-publish COMMAND ...\n"
		   "  keygen PREFIX\n"
		   "  init REPO --root-key PREFIX... --manifest-key PREFIX...\n"
		   "       [--root-threshold N] [--manifest-threshold N] "
		   "[--expires DAYS]\n"
		   "  add REPO NAME VERSION DIR [--minimum V] "
		   "[--restart none|app|system]\n"
		   "  sign REPO --key PREFIX... [--expires DAYS]\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv, struct hs_err *e);
	} cmds[] = {
		{"keygen", cmd_keygen},
		{"init", cmd_init},
		{"add", cmd_add},
		{"sign", cmd_sign},
	};
	struct hs_err e;
	size_t i;

	hs_err_clear(&e);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if (cmds[i].fn(argc - 1, argv + 1, &e) < 0) {
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
