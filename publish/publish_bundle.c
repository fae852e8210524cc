/*
 * bundle.c - haishin-publish bundle: a repository's signed metadata and the
 * packages its manifest names, in one file for a site without the network.
 *
 *	haishin-publish bundle REPO -o FILE
 *
 * The file is a .tar.zst (the package format, at a fast zstd level: the
 * packages in it are compressed already) holding haishin-bundle.json, the
 * root chain 1.root.json ... N.root.json and root.json, manifest.json, and
 * every package at its manifest URL.  Not the deltas the manifest lists: a
 * site without the network may hold no base to apply them to, and the
 * client reads a bundle with deltas off.  Nothing is signed anew: a client
 * verifies what is inside against its own trusted root, exactly as it would
 * from the server (daemon/engine/bundle.h).  The bundle is checked before it is
 * written: the chain must walk from 1.root.json to root.json and the
 * manifest must verify against it, so a bundle the clients would refuse is
 * never made.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dsse.h"
#include "hs_bundle.h"
#include "hs_limits.h"
#include "manifest.h"
#include "pack.h"
#include "publish.h"
#include "root.h"
#include "fileio.h"
#include "str.h"
#include "trust.h"

#define BUNDLE_ZSTD_LEVEL 3
#define BUNDLE_STR_(x) #x
#define BUNDLE_STR(x) BUNDLE_STR_(x)
#define BUNDLE_MARKER_JSON                                 \
	"{\"_type\": \"bundle\", \"format\": " BUNDLE_STR( \
		HS_BUNDLE_FORMAT) "}\n"

struct bundle_job {
	const char *repo;
	const char *out;
	char stage[PATH_MAX];
	struct root *root; /* the newest root, verified along the chain */
	uint64_t root_version;
	struct manifest *m;
};

/* Makes the directories of rel under the stage. */
static int bundle_mkdirs(const struct bundle_job *j, const char *rel,
			 struct hs_err *e)
{
	char path[PATH_MAX];
	char *slash;

	if (hs_snprintf(path, sizeof(path), "%s/%s", j->stage, rel) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", rel);
	for (slash = strchr(path + strlen(j->stage) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return hs_err_set(e, -errno, "cannot create '%s': %s",
					  path, strerror(errno));
		*slash = '/';
	}
	return 0;
}

/* Copies from to to in blocks: packages may be gigabytes. */
static int bundle_copy(const char *from, const char *to, struct hs_err *e)
{
	char buf[65536];
	ssize_t n = 0;
	int in;
	int out;
	int r = 0;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", from,
				  strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		r = hs_err_set(e, -errno, "cannot create '%s': %s", to,
			       strerror(errno));
		(void)close(in);
		return r;
	}
	while (r == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			r = hs_err_set(e, -EIO, "cannot write '%s'", to);
	if (r == 0 && n < 0)
		r = hs_err_set(e, -errno, "cannot read '%s': %s", from,
			       strerror(errno));
	(void)close(in);
	if (close(out) < 0 && r == 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", to,
			       strerror(errno));
	return r;
}

/* Copies REPO/rel to STAGE/rel (a hard link when both are on one disk). */
static int bundle_take(const struct bundle_job *j, const char *rel,
		       struct hs_err *e)
{
	char from[PATH_MAX];
	char to[PATH_MAX];
	int r;

	if (hs_snprintf(from, sizeof(from), "%s/%s", j->repo, rel) < 0 ||
	    hs_snprintf(to, sizeof(to), "%s/%s", j->stage, rel) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", rel);
	r = bundle_mkdirs(j, rel, e);
	if (r < 0 || link(from, to) == 0)
		return r;
	if (errno != EXDEV && errno != EPERM)
		return hs_err_set(e, -errno, "cannot take '%s': %s", from,
				  strerror(errno));
	return bundle_copy(from, to, e);
}

static int bundle_read(const struct bundle_job *j, const char *rel, size_t max,
		       char **ret_buf, size_t *ret_len, struct hs_err *e)
{
	char path[PATH_MAX];

	if (hs_snprintf(path, sizeof(path), "%s/%s", j->repo, rel) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", rel);
	return hs_read_file(path, max, ret_buf, ret_len, e);
}

/* Walks 1.root.json ... to the version root.json has, as a client would. */
static int bundle_roots(struct bundle_job *j, struct hs_err *e)
{
	char name[32];
	char *buf = NULL;
	size_t len = 0;
	uint64_t v;
	int r;

	r = bundle_read(j, "root.json", HS_ROOT_MAX_BYTES, &buf, &len, e);
	if (r == 0)
		r = trust_root_peek_version(buf, len, &j->root_version, e);
	free(buf);
	if (r == 0)
		r = bundle_read(j, "1.root.json", HS_ROOT_MAX_BYTES, &buf, &len,
				e);
	if (r == 0)
		r = trust_root_load(buf, len, &j->root, e);
	free(buf);
	for (v = 2; r == 0 && v <= j->root_version; v++) {
		struct root *next = NULL;

		(void)hs_snprintf(name, sizeof(name), "%llu.root.json",
				  (unsigned long long)v);
		r = bundle_read(j, name, HS_ROOT_MAX_BYTES, &buf, &len, e);
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

static int bundle_manifest(struct bundle_job *j, struct hs_err *e)
{
	const struct trust_prev prev = {0, ""};
	char sha256[65];
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = bundle_read(j, "manifest.json", HS_MANIFEST_MAX_BYTES, &buf, &len,
			e);
	if (r == 0)
		r = trust_manifest(j->root, buf, len, &prev,
				   (int64_t)time(NULL), &j->m, sha256, e);
	free(buf);
	if (r < 0)
		hs_err_prefix(e,
			      "'%s/manifest.json' would be refused: ", j->repo);
	return r;
}

static int bundle_stage(struct bundle_job *j, struct hs_err *e)
{
	char name[32];
	char path[PATH_MAX];
	uint64_t v;
	size_t i;
	int r = 0;

	for (v = 1; r == 0 && v <= j->root_version; v++) {
		(void)hs_snprintf(name, sizeof(name), "%llu.root.json",
				  (unsigned long long)v);
		r = bundle_take(j, name, e);
	}
	if (r == 0)
		r = bundle_take(j, "root.json", e);
	if (r == 0)
		r = bundle_take(j, "manifest.json", e);
	for (i = 0; r == 0 && i < j->m->n_components; i++)
		r = bundle_take(j, j->m->components[i].package.url, e);
	if (r == 0 && hs_snprintf(path, sizeof(path), "%s/%s", j->stage,
				  HS_BUNDLE_MARKER) < 0)
		r = hs_err_set(e, -ENAMETOOLONG, "path too long");
	if (r == 0)
		r = hs_write_file_atomic(path, BUNDLE_MARKER_JSON,
					 strlen(BUNDLE_MARKER_JSON), 0644, e);
	return r;
}

/* Packs the stage into OUT, written whole or not at all. */
static int bundle_write(const struct bundle_job *j, struct hs_err *e)
{
	char tmp[PATH_MAX];
	int fd;
	int r;

	if (hs_snprintf(tmp, sizeof(tmp), "%s.XXXXXX", j->out) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  j->out);
	fd = mkstemp(tmp);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot create '%s': %s", tmp,
				  strerror(errno));
	r = pack_dir_level(j->stage, fd, BUNDLE_ZSTD_LEVEL, e);
	if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = hs_err_set(e, -errno, "cannot write '%s': %s", tmp,
			       strerror(errno));
	if (close(fd) < 0 && r == 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", tmp,
			       strerror(errno));
	if (r == 0 && rename(tmp, j->out) < 0)
		r = hs_err_set(e, -errno, "cannot rename to '%s': %s", j->out,
			       strerror(errno));
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

static int bundle_unlink(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes the stage: only hard links and copies, the repository keeps its
 * own files. */
static void bundle_unstage(const char *dir)
{
	if (nftw(dir, bundle_unlink, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr,
			"haishin-publish bundle: cannot remove '%s': %s\n", dir,
			strerror(errno));
}

static const struct publish_opt bundle_opts[] = {
	{PUBLISH_OPT("output", STRING, struct bundle_job, out),
	 .required = true, .letter = 'o'},
};

/* bundle REPO */
static int bundle_run(void *opts, char *const *args, struct hs_err *e)
{
	struct bundle_job *j = opts;
	int r;

	j->repo = args[0];
	r = bundle_roots(j, e);
	if (r == 0)
		r = bundle_manifest(j, e);
	if (r == 0 && hs_snprintf(j->stage, sizeof(j->stage), "%s.stage.XXXXXX",
				  j->out) < 0)
		r = hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", j->out);
	if (r == 0 && mkdtemp(j->stage) == NULL) {
		r = hs_err_set(e, -errno, "cannot create '%s': %s", j->stage,
			       strerror(errno));
		j->stage[0] = '\0';
	}
	if (r == 0)
		r = bundle_stage(j, e);
	if (r == 0)
		r = bundle_write(j, e);
	if (j->stage[0] != '\0')
		bundle_unstage(j->stage);
	if (r == 0)
		printf("%s: root %llu, manifest serial %llu, %zu package(s)\n",
		       j->out, (unsigned long long)j->root_version,
		       (unsigned long long)j->m->serial, j->m->n_components);
	return r;
}

static const struct publish_cmd bundle_cmd = {
	.verb = "bundle",
	.opts = bundle_opts,
	.n_opts = ARRAY_SIZE(bundle_opts),
	.n_args = 1,
	.run = bundle_run,
};

int cmd_bundle(int argc, char **argv, struct hs_err *e)
{
	struct bundle_job j;
	int r;

	memset(&j, 0, sizeof(j));
	r = publish_cmd_run(&bundle_cmd, argc, argv, &j, e);
	manifest_free(j.m);
	root_free(j.root);
	return r;
}
