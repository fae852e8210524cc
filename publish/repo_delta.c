/*
 * repo_delta.c - the repository's deltas: each version's record in
 * index.json carries its package's tar (size and SHA-256) and the deltas
 * that rebuild that tar from earlier versions' tars:
 *
 *	"1.2": {"url": ..., "size": ..., "sha256": ...,
 *	        "tar_size": 1056768, "tar_sha256": "<hex>",
 *	        "deltas": [{"from": "1.1", "method": "sufdiff",
 *	                    "base_sha256": "<hex of 1.1's tar>",
 *	                    "url": "packages/NAME/<sha256>.delta",
 *	                    "size": 4567, "sha256": "<hex>"}]}
 *
 * Delta files are content-addressed like packages and never rewritten: the
 * same pair of tars always gives the same bytes (pkg/delta.h), so a delta
 * recorded already is kept rather than made again.  Tars are decompressed
 * into unlinked temporary files beside the packages.
 */
#include "repo_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deltafile.h"
#include "hs_limits.h"
#include "str.h"
#include "tarball.h"
#include "version.h"

/*
 * A delta is offered only when it is below this share of the package: one
 * that saves less is not worth applying (and from an unrelated base, as
 * large as the package, it saves nothing at all).
 */
#define REPO_DELTA_MAX_PERCENT 90

/* An earlier version of the component, a candidate base. */
struct repo_base {
	const char *version;
	json_t *v;
};

/* What repo_deltas_make() works with. */
struct repo_delta_job {
	struct repo *repo;
	const char *name;
	const char *version;
	json_t *v; /* the new version's record */
	json_t *old; /* its "deltas" before this add, or NULL */
	json_t *list; /* the new "deltas" */
	json_t *created; /* urls of the delta files this add wrote */
	char dir[PATH_MAX]; /* packages/NAME: the deltas and the temporary tars */
	int tar_fd; /* the new version's tar, once needed, or -1 */
};

/* Whether REPO/url is a regular file; its size into *ret_size (or NULL). */
static bool repo_file_exists(const struct repo *repo, const char *url,
			     uint64_t *ret_size)
{
	char path[PATH_MAX];
	struct stat st;

	if (url == NULL || !manifest_url_is_valid(url) ||
	    repo_path(repo, url, path, sizeof(path), NULL) < 0 ||
	    stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (ret_size != NULL)
		*ret_size = (uint64_t)st.st_size;
	return true;
}

static const char *repo_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int repo_set_tar(json_t *v, const struct tarball_info *info,
			struct hs_err *e)
{
	if (json_object_set_new(v, "tar_size",
				json_integer((json_int_t)info->size)) < 0 ||
	    json_object_set_new(v, "tar_sha256", json_string(info->sha256)) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

/* Opens the tar of the package that record v names (deltafile.h). */
static int repo_open_tar(const struct repo *repo, json_t *v, const char *tmp,
			 int *ret_fd, struct tarball_info *ret,
			 struct hs_err *e)
{
	const char *url = repo_str(v, "url");
	char path[PATH_MAX];
	bool is_package = false;
	int r;

	if (url == NULL || !manifest_url_is_valid(url))
		return hs_err_set(e, -EBADMSG, "a package url is damaged");
	r = repo_path(repo, url, path, sizeof(path), e);
	if (r == 0)
		r = deltafile_open_tar(path, tmp, ret_fd, ret, &is_package, e);
	if (r == 0 && !is_package) {
		(void)close(*ret_fd);
		*ret_fd = -1;
		r = hs_err_set(e, -EBADMSG, "'%s' is not a package", path);
	}
	return r;
}

int repo_tar_ensure(const struct repo *repo, json_t *v, struct hs_err *e)
{
	struct tarball_info info;
	const char *url = repo_str(v, "url");
	char path[PATH_MAX];
	int fd;
	int r;

	if (repo_str(v, "tar_sha256") != NULL &&
	    json_is_integer(json_object_get(v, "tar_size")))
		return 0;
	if (url == NULL || !manifest_url_is_valid(url))
		return hs_err_set(e, -EBADMSG, "a package url is damaged");
	r = repo_path(repo, url, path, sizeof(path), e);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno,
				  "cannot open '%s' to learn its tar: %s", path,
				  strerror(errno));
	r = tarball_from_package(fd, -1, HS_PACKAGE_MAX_BYTES, &info, e);
	(void)close(fd);
	if (r < 0) {
		hs_err_prefix(e, "'%s': ", path);
		return r;
	}
	return repo_set_tar(v, &info, e);
}

/*
 * The max highest versions of NAME below version whose packages are on
 * disk, highest first; one whose package is missing is named on stderr.
 */
static size_t repo_bases(const struct repo *repo, const char *name,
			 json_t *versions, const char *version, unsigned max,
			 struct repo_base *bases)
{
	const char *ver;
	json_t *rec;
	size_t n = 0;
	size_t i;

	json_object_foreach(versions, ver, rec)
	{
		if (!version_is_valid(ver) ||
		    version_compare(ver, version) >= 0)
			continue;
		if (!repo_file_exists(repo, repo_str(rec, "url"), NULL)) {
			fprintf(stderr,
				"haishin-publish: %s %s: its package is "
				"missing from the repository: no delta from "
				"it\n",
				name, ver);
			continue;
		}
		i = n;
		while (i > 0 && version_compare(ver, bases[i - 1].version) > 0)
			i--;
		if (i >= max)
			continue;
		/* Those below move down one; the lowest falls off when full. */
		memmove(&bases[i + 1], &bases[i],
			((n < max ? n : max - 1) - i) * sizeof(*bases));
		bases[i].version = ver;
		bases[i].v = rec;
		if (n < max)
			n++;
	}
	return n;
}

/* The delta already recorded from this base tar, if its file is in place. */
static json_t *repo_delta_kept(const struct repo_delta_job *j, const char *from,
			       const char *base_sha256)
{
	enum delta_method m;
	uint64_t size;
	json_t *d;
	size_t i;

	json_array_foreach(j->old, i, d)
	{
		const char *f = repo_str(d, "from");
		const char *b = repo_str(d, "base_sha256");
		const char *method = repo_str(d, "method");

		if (f == NULL || b == NULL || method == NULL ||
		    strcmp(f, from) != 0 || strcmp(b, base_sha256) != 0 ||
		    delta_method_parse(method, &m) < 0)
			continue;
		if (repo_file_exists(j->repo, repo_str(d, "url"), &size) &&
		    size == (uint64_t)json_integer_value(
				    json_object_get(d, "size")))
			return d;
	}
	return NULL;
}

static int repo_delta_record(struct repo_delta_job *j, const char *from,
			     const char *base_sha256, const struct deltafile *d,
			     struct hs_err *e)
{
	char url[HS_URL_MAX];
	json_t *jd;

	if (hs_snprintf(url, sizeof(url), "packages/%s/%s.delta", j->name,
			d->sha256) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "url too long");
	jd = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "from", from, "method",
		       delta_method_name(d->method), "base_sha256", base_sha256,
		       "url", url, "size", (json_int_t)d->size, "sha256",
		       d->sha256);
	if (jd == NULL || json_array_append_new(j->list, jd) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

/* info must be the tar that index.json records for version (want). */
static int repo_tar_matches(const char *version, const char *want,
			    const struct tarball_info *info, struct hs_err *e)
{
	if (want == NULL || strcmp(want, info->sha256) != 0)
		return hs_err_set(e, -EBADMSG,
				  "the tar of %s is not the one index.json "
				  "records",
				  version);
	return 0;
}

/* The new version's tar, decompressed once for all its deltas. */
static int repo_delta_target(struct repo_delta_job *j, struct hs_err *e)
{
	struct tarball_info info;
	const char *want = repo_str(j->v, "tar_sha256");
	int r;

	if (j->tar_fd >= 0)
		return 0;
	r = repo_open_tar(j->repo, j->v, j->dir, &j->tar_fd, &info, e);
	if (r == 0)
		r = repo_tar_matches(j->version, want, &info, e);
	return r;
}

/* Whether a failure to make a delta from a base leaves the add good: the
 * base is damaged or missing, or the pair is too big for both methods. */
static bool repo_delta_skippable(int r)
{
	return r == -EBADMSG || r == -ENOENT || r == -EFBIG || r == -ENOMEM;
}

/* The base's tar, checked against what index.json records of it. */
static int repo_delta_base(struct repo_delta_job *j, const struct repo_base *b,
			   int *ret_fd, struct tarball_info *info,
			   struct hs_err *e)
{
	const char *base_sha = repo_str(b->v, "tar_sha256");
	int r;

	r = repo_open_tar(j->repo, b->v, j->dir, ret_fd, info, e);
	if (r == 0 && base_sha == NULL)
		r = repo_set_tar(b->v, info, e);
	else if (r == 0)
		r = repo_tar_matches(b->version, base_sha, info, e);
	return r;
}

/*
 * The delta from base b: kept, or made.  A base that cannot be used (its
 * package damaged or missing) or a pair too big for both methods gives no
 * delta, with a note on stderr; the add goes on.
 */
static int repo_delta_one(struct repo_delta_job *j, const struct repo_base *b,
			  struct hs_err *e)
{
	const char *base_sha = repo_str(b->v, "tar_sha256");
	const uint64_t size =
		(uint64_t)json_integer_value(json_object_get(j->v, "size"));
	const struct deltafile_opts o = {
		.best = true,
		.keep_below = size * REPO_DELTA_MAX_PERCENT / 100,
	};
	struct tarball_info info;
	struct deltafile d;
	json_t *kept = NULL;
	int base_fd = -1;
	int r;

	if (base_sha != NULL)
		kept = repo_delta_kept(j, b->version, base_sha);
	if (kept != NULL)
		return json_array_append(j->list, kept) < 0
			       ? hs_err_set(e, -ENOMEM, "out of memory")
			       : 0;
	r = repo_delta_target(j, e);
	if (r < 0)
		return r; /* the new version's own tar: the add fails */
	r = repo_delta_base(j, b, &base_fd, &info, e);
	if (r == 0)
		r = deltafile_make(base_fd, j->tar_fd, &o, j->dir, NULL, &d, e);
	if (base_fd >= 0)
		(void)close(base_fd);
	if (r == 0 && d.created &&
	    json_array_append_new(j->created,
				  json_sprintf("packages/%s/%s.delta", j->name,
					       d.sha256)) < 0)
		r = hs_err_set(e, -ENOMEM, "out of memory");
	if (r == 0)
		return repo_delta_record(j, b->version, info.sha256, &d, e);
	if (r == 1)
		return 0; /* not worth it: not offered */
	if (repo_delta_skippable(r)) {
		fprintf(stderr,
			"haishin-publish: %s %s: no delta from %s: %s\n",
			j->name, j->version, b->version, e->msg);
		hs_err_clear(e);
		return 0;
	}
	hs_err_prefix(e, "the delta from %s: ", b->version);
	return r;
}

int repo_deltas_make(struct repo *repo, const char *name, const char *version,
		     json_t *v, unsigned max, json_t *created, struct hs_err *e)
{
	json_t *versions =
		json_object_get(repo_component(repo, name), "versions");
	struct repo_base bases[HS_MANIFEST_MAX_DELTAS];
	struct repo_delta_job j;
	size_t n;
	size_t i;
	int r = 0;

	assert(max <= HS_MANIFEST_MAX_DELTAS);
	memset(&j, 0, sizeof(j));
	j.repo = repo;
	j.name = name;
	j.version = version;
	j.v = v;
	j.old = json_object_get(v, "deltas");
	j.created = created;
	j.tar_fd = -1;
	if (hs_snprintf(j.dir, sizeof(j.dir), "%s/packages/%s", repo->dir,
			name) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	n = repo_bases(repo, name, versions, version, max, bases);
	j.list = json_array();
	if (j.list == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	for (i = 0; r == 0 && i < n; i++)
		r = repo_delta_one(&j, &bases[i], e);
	if (j.tar_fd >= 0)
		(void)close(j.tar_fd);
	if (r == 0 && n == 0) {
		(void)json_object_del(v, "deltas"); /* -1: there was none */
		json_decref(j.list);
		return 0;
	}
	if (r == 0 && json_object_set_new(v, "deltas", j.list) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (r < 0)
		json_decref(j.list);
	return r;
}

/* One delta of the index into d; -EBADMSG when a field is damaged. */
static int repo_delta_parse(json_t *jd, struct manifest_delta *d)
{
	const char *from = repo_str(jd, "from");
	const char *method = repo_str(jd, "method");
	const char *base = repo_str(jd, "base_sha256");
	const char *url = repo_str(jd, "url");
	const char *sha = repo_str(jd, "sha256");
	json_t *size = json_object_get(jd, "size");
	enum delta_method m;

	memset(d, 0, sizeof(*d));
	if (from == NULL || !version_is_valid(from) || method == NULL ||
	    delta_method_parse(method, &m) < 0 || base == NULL ||
	    !hs_is_sha256_hex(base) || url == NULL ||
	    !manifest_url_is_valid(url) || sha == NULL ||
	    !hs_is_sha256_hex(sha) || !json_is_integer(size) ||
	    json_integer_value(size) <= 0)
		return -EBADMSG;
	if (hs_strlcpy(d->from, from, sizeof(d->from)) < 0 ||
	    hs_strlcpy(d->method, method, sizeof(d->method)) < 0 ||
	    hs_strlcpy(d->url, url, sizeof(d->url)) < 0)
		return -EBADMSG;
	memcpy(d->base_sha256, base, sizeof(d->base_sha256));
	memcpy(d->sha256, sha, sizeof(d->sha256));
	d->size = (uint64_t)json_integer_value(size);
	return 0;
}

/* Newest base first. */
static int repo_delta_cmp(const void *a, const void *b)
{
	const struct manifest_delta *da = a;
	const struct manifest_delta *db = b;

	return version_compare(db->from, da->from);
}

/* The package's tar fields of record v into c. */
static int repo_tar_fill(json_t *v, struct manifest_component *c)
{
	json_t *size = json_object_get(v, "tar_size");
	const char *sha = repo_str(v, "tar_sha256");

	if (sha == NULL || !hs_is_sha256_hex(sha) || !json_is_integer(size) ||
	    json_integer_value(size) < 0)
		return -EBADMSG;
	memcpy(c->package.tar_sha256, sha, sizeof(c->package.tar_sha256));
	c->package.tar_size = (uint64_t)json_integer_value(size);
	return 0;
}

int repo_deltas_fill(const struct repo *repo, json_t *v,
		     struct manifest_component *c, struct hs_err *e)
{
	json_t *jds = json_object_get(v, "deltas");
	struct manifest_delta *all = NULL;
	uint64_t size;
	size_t n = 0;
	size_t i;
	json_t *jd;

	if (repo_tar_fill(v, c) < 0 || (jds != NULL && !json_is_array(jds)))
		return hs_err_set(e, -EBADMSG, "its tar or deltas are damaged");
	all = calloc(json_array_size(jds) + 1, sizeof(*all));
	if (all == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	json_array_foreach(jds, i, jd)
	{
		if (repo_delta_parse(jd, &all[n]) < 0) {
			free(all);
			return hs_err_set(e, -EBADMSG, "delta %zu is damaged",
					  i);
		}
		if (repo_file_exists(repo, all[n].url, &size) &&
		    size == all[n].size)
			n++;
		else
			fprintf(stderr,
				"haishin-publish: %s %s: '%s/%s' is missing "
				"or of another size: not offered, ignoring\n",
				c->name, c->version, repo->dir, all[n].url);
	}
	qsort(all, n, sizeof(*all), repo_delta_cmp);
	c->n_deltas = n < HS_MANIFEST_MAX_DELTAS ? n : HS_MANIFEST_MAX_DELTAS;
	memcpy(c->deltas, all, c->n_deltas * sizeof(*all));
	free(all);
	return 0;
}
