/*
 * publish_bundle.c - haishin-publish bundle: a repository's signed metadata
 * and the packages its manifest names, in one file for a site without the
 * network.
 *
 *	haishin-publish bundle REPO -o FILE
 *
 * The format, and writing it, are pkg/bundle.h's; what is the publisher's
 * is which files go in: the root chain 1.root.json ... N.root.json and
 * root.json, manifest.json, and every package at its manifest URL.  Not the
 * deltas the manifest lists: a site without the network may hold no base
 * to apply them to, and the client reads a bundle with deltas off.
 * Nothing is signed anew: a client verifies what is inside against its own
 * trusted root, exactly as it would from the server.  The bundle is checked
 * before it is written: the chain must walk from 1.root.json to root.json
 * and the manifest must verify against it, so a bundle the clients would
 * refuse is never made.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "fileio.h"
#include "hs_limits.h"
#include "manifest.h"
#include "publish.h"
#include "root.h"
#include "str.h"
#include "trust.h"

struct publish_bundle_job {
	const char *repo;
	const char *out;
	struct root *root; /* the newest root, verified along the chain */
	uint64_t root_version;
	struct manifest *m;
};

static int publish_bundle_read(const struct publish_bundle_job *j,
			       const char *rel, size_t max, char **ret_buf,
			       size_t *ret_len, struct hs_err *e)
{
	char path[PATH_MAX];

	if (hs_snprintf(path, sizeof(path), "%s/%s", j->repo, rel) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", rel);
	return hs_read_file(path, max, ret_buf, ret_len, e);
}

/* Walks 1.root.json ... to the version root.json has, as a client would. */
static int publish_bundle_roots(struct publish_bundle_job *j, struct hs_err *e)
{
	char name[32];
	char *buf = NULL;
	size_t len = 0;
	uint64_t v;
	int r;

	r = publish_bundle_read(j, "root.json", HS_ROOT_MAX_BYTES, &buf, &len,
				e);
	if (r == 0)
		r = trust_root_peek_version(buf, len, &j->root_version, e);
	free(buf);
	if (r == 0)
		r = publish_bundle_read(j, "1.root.json", HS_ROOT_MAX_BYTES,
					&buf, &len, e);
	if (r == 0)
		r = trust_root_load(buf, len, &j->root, e);
	free(buf);
	for (v = 2; r == 0 && v <= j->root_version; v++) {
		struct root *next = NULL;

		(void)hs_snprintf(name, sizeof(name), "%llu.root.json",
				  (unsigned long long)v);
		r = publish_bundle_read(j, name, HS_ROOT_MAX_BYTES, &buf, &len,
					e);
		if (r == 0)
			r = trust_root_next(j->root, buf, len, &next, e);
		free(buf);
		if (r == 0) {
			root_free(j->root);
			j->root = next;
		}
	}
	if (r < 0)
		hs_err_prefix(e, "the root chain of '%s': ", j->repo);
	return r;
}

static int publish_bundle_manifest(struct publish_bundle_job *j,
				   struct hs_err *e)
{
	const struct trust_prev prev = {0, ""};
	char sha256[65];
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = publish_bundle_read(j, "manifest.json", HS_MANIFEST_MAX_BYTES, &buf,
				&len, e);
	if (r == 0)
		r = trust_manifest(j->root, buf, len, &prev,
				   (int64_t)time(NULL), &j->m, sha256, e);
	free(buf);
	if (r < 0)
		hs_err_prefix(e,
			      "'%s/manifest.json' would be refused: ", j->repo);
	return r;
}

/* The members: the root chain, the manifest, the packages it names. */
static int publish_bundle_fill(const struct publish_bundle_job *j,
			       struct bundle_writer *w, struct hs_err *e)
{
	char name[32];
	uint64_t v;
	size_t i;
	int r = 0;

	for (v = 1; r == 0 && v <= j->root_version; v++) {
		(void)hs_snprintf(name, sizeof(name), "%llu.root.json",
				  (unsigned long long)v);
		r = bundle_writer_add(w, j->repo, name, e);
	}
	if (r == 0)
		r = bundle_writer_add(w, j->repo, "root.json", e);
	if (r == 0)
		r = bundle_writer_add(w, j->repo, "manifest.json", e);
	for (i = 0; r == 0 && i < j->m->n_components; i++)
		r = bundle_writer_add(w, j->repo,
				      j->m->components[i].package.url, e);
	return r;
}

/* Writes the bundle at j->out; its stage is removed whatever happens. */
static int publish_bundle_write(const struct publish_bundle_job *j,
				struct hs_err *e)
{
	struct bundle_writer *w = NULL;
	struct hs_err why;
	int r;

	r = bundle_writer_new(j->out, &w, e);
	if (r < 0)
		return r;
	r = publish_bundle_fill(j, w, e);
	if (r == 0)
		r = bundle_writer_finish(w, e);
	if (bundle_writer_close(w, &why) < 0)
		fprintf(stderr, "haishin-publish bundle: %s\n", why.msg);
	return r;
}

static const struct publish_opt publish_bundle_opts[] = {
	{PUBLISH_OPT("output", STRING, struct publish_bundle_job, out),
	 .required = true, .letter = 'o'},
};

/* bundle REPO */
static int publish_bundle_run(void *opts, char *const *args, struct hs_err *e)
{
	struct publish_bundle_job *j = opts;
	int r;

	j->repo = args[0];
	r = publish_bundle_roots(j, e);
	if (r == 0)
		r = publish_bundle_manifest(j, e);
	if (r == 0)
		r = publish_bundle_write(j, e);
	if (r == 0)
		printf("%s: root %llu, manifest serial %llu, %zu package(s)\n",
		       j->out, (unsigned long long)j->root_version,
		       (unsigned long long)j->m->serial, j->m->n_components);
	return r;
}

static const struct publish_cmd publish_bundle_cmd = {
	.verb = "bundle",
	.opts = publish_bundle_opts,
	.n_opts = ARRAY_SIZE(publish_bundle_opts),
	.n_args = 1,
	.run = publish_bundle_run,
};

int cmd_bundle(int argc, char **argv, struct hs_err *e)
{
	struct publish_bundle_job j;
	int r;

	memset(&j, 0, sizeof(j));
	r = publish_cmd_run(&publish_bundle_cmd, argc, argv, &j, e);
	manifest_free(j.m);
	root_free(j.root);
	return r;
}
