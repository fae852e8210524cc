/*
 * patch.c - the delta path of an update: the base in the cache, the choice
 * of a delta, applying it.
 */
#include "patch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta.h"
#include "log.h"
#include "fileio.h"
#include "str.h"
#include "tarball.h"
#include "version.h"

#define PATCH_BASE ".base.tar"
#define PATCH_BASE_SHA ".base.sha256"
#define PATCH_NEW ".tar.new"
#define PATCH_TMP PATCH_BASE ".tmp"

/* A base in the cache. */
struct patch_base {
	char name[HS_NAME_MAX + 1];
	uint64_t size;
	int64_t mtime; /* when it was kept: its version's install */
};

static int patch_path(const struct config *cfg, const char *name,
		      const char *suffix, char *out, size_t n)
{
	return hs_snprintf(out, n, "%s/%s%s", cfg->cache, name, suffix);
}

void patch_forget(const struct config *cfg, const char *name)
{
	char path[PATH_MAX];

	if (patch_path(cfg, name, PATCH_BASE_SHA, path, sizeof(path)) == 0)
		(void)unlink(path);
	if (patch_path(cfg, name, PATCH_BASE, path, sizeof(path)) == 0)
		(void)unlink(path);
}

/* True when s ends with suffix and has something before it; *ret_len
 * gets the length of what comes before. */
static bool patch_suffix(const char *s, const char *suffix, size_t *ret_len)
{
	const size_t n = strlen(s);
	const size_t k = strlen(suffix);

	if (n <= k || strcmp(s + n - k, suffix) != 0)
		return false;
	*ret_len = n - k;
	return true;
}

static int patch_base_cmp(const void *a, const void *b)
{
	const struct patch_base *x = a;
	const struct patch_base *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The component whose file of the cache name is, with the suffix
 * stripped; false when name is not such a file. */
static bool patch_owner(const char *name, const char *suffix,
			char out[static HS_NAME_MAX + 1])
{
	size_t k;

	if (!patch_suffix(name, suffix, &k) || k > HS_NAME_MAX)
		return false;
	memcpy(out, name, k);
	out[k] = '\0';
	return version_name_is_valid(out);
}

/* Whether a file of the cache is what a crash left half written. */
static bool patch_leftover(const char *name)
{
	char owner[HS_NAME_MAX + 1];
	const char *tmp = strstr(name, PATCH_BASE_SHA ".tmp.");

	if (tmp != NULL && (size_t)(tmp - name) <= HS_NAME_MAX) {
		memcpy(owner, name, (size_t)(tmp - name));
		owner[tmp - name] = '\0';
		return version_name_is_valid(owner);
	}
	return patch_owner(name, PATCH_TMP, owner) ||
	       patch_owner(name, PATCH_NEW, owner);
}

/* Whether the file dir/NAME+suffix is there. */
static bool patch_has(const struct config *cfg, const char *name,
		      const char *suffix)
{
	char path[PATH_MAX];

	return patch_path(cfg, name, suffix, path, sizeof(path)) == 0 &&
	       access(path, F_OK) == 0;
}

static int patch_push(struct patch_base **v, size_t *n, size_t *cap,
		      const char *name, const struct stat *st)
{
	if (*n == *cap) {
		const size_t ncap = *cap == 0 ? 8 : *cap * 2;
		struct patch_base *nv = realloc(*v, ncap * sizeof(**v));

		if (nv == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(void)hs_strlcpy((*v)[*n].name, name, sizeof((*v)[*n].name));
	(*v)[*n].size = (uint64_t)st->st_size;
	(*v)[*n].mtime =
		(int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	(*n)++;
	return 0;
}

/* Removes a file of the cache that a crash left, and says so. */
static void patch_drop(const struct config *cfg, DIR *d, const char *file,
		       const char *why)
{
	if (unlinkat(dirfd(d), file, 0) == 0)
		log_info("removed '%s/%s' from the cache: %s", cfg->cache, file,
			 why);
}

/*
 * Lists the bases of the cache, oldest first.  With sweep, also removes
 * what a crash or an older cache_max left: half-written files, and a base
 * or a SHA-256 without the other.  Only files named after a component and
 * one of this file's suffixes are touched.
 */
static int patch_list(const struct config *cfg, bool sweep,
		      struct patch_base **ret, size_t *ret_n, struct hs_err *e)
{
	struct patch_base *v = NULL;
	size_t n = 0;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	d = opendir(cfg->cache);
	if (d == NULL)
		return hs_err_set(e, -errno, "cannot read the cache '%s': %s",
				  cfg->cache, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char name[HS_NAME_MAX + 1];
		struct stat st;

		if (sweep && patch_leftover(de->d_name)) {
			patch_drop(cfg, d, de->d_name, "half written");
			continue;
		}
		if (sweep && patch_owner(de->d_name, PATCH_BASE_SHA, name) &&
		    !patch_has(cfg, name, PATCH_BASE)) {
			patch_drop(cfg, d, de->d_name,
				   "a SHA-256 without its base");
			continue;
		}
		if (!patch_owner(de->d_name, PATCH_BASE, name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			    0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (sweep && !patch_has(cfg, name, PATCH_BASE_SHA)) {
			patch_drop(cfg, d, de->d_name,
				   "a base without its SHA-256");
			continue;
		}
		if (patch_push(&v, &n, &cap, name, &st) < 0) {
			free(v);
			(void)closedir(d);
			return hs_err_set(e, -ENOMEM, "out of memory");
		}
	}
	(void)closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), patch_base_cmp);
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool patch_pinned(const char *const *pinned, const char *name)
{
	for (; pinned != NULL && *pinned != NULL; pinned++)
		if (strcmp(*pinned, name) == 0)
			return true;
	return false;
}

/*
 * Forgets the oldest bases (the longest installed), never a pinned one,
 * until they and incoming more bytes fit in cache_max.  False when they
 * cannot fit: the incoming base is then not to be kept.  An error here only
 * means a base fewer, so it is logged, not returned.
 */
static bool patch_fit(const struct config *cfg, bool sweep, uint64_t incoming,
		      const char *const *pinned)
{
	struct patch_base *v;
	uint64_t total = incoming;
	struct hs_err e;
	size_t n;
	size_t i;

	if (incoming > cfg->cache_max)
		return false;
	if (patch_list(cfg, sweep, &v, &n, &e) < 0) {
		log_warn("%s", e.msg);
		return false;
	}
	for (i = 0; i < n; i++)
		total += v[i].size;
	for (i = 0; i < n && total > cfg->cache_max; i++) {
		if (patch_pinned(pinned, v[i].name))
			continue;
		log_info("%s: its base (%" PRIu64 " bytes) leaves the cache: "
			 "[transfer] cache_max is %" PRIu64 " bytes",
			 v[i].name, v[i].size, cfg->cache_max);
		patch_forget(cfg, v[i].name);
		total -= v[i].size;
	}
	free(v);
	return total <= cfg->cache_max;
}

void patch_sweep(const struct config *cfg)
{
	(void)patch_fit(cfg, true, 0, NULL);
}

static void patch_no_room(const struct config *cfg,
			  const struct patch_new_base *nb, uint64_t size)
{
	if (size > cfg->cache_max)
		log_info("%s: no base kept for a delta: its tar (%" PRIu64
			 " bytes) is over [transfer] cache_max",
			 nb->name, size);
	else
		log_info("%s: no base kept for a delta: its tar does not fit "
			 "in [transfer] cache_max beside the bases this "
			 "update still needs",
			 nb->name);
}

/*
 * Renames tmp to NAME's base, durable first, once there is room.  The
 * base's SHA-256 goes last: a base without it is never picked.
 */
static int patch_commit_base(const struct config *cfg,
			     const struct patch_new_base *nb, const char *tmp,
			     uint64_t size, const char *sha256,
			     struct hs_err *e)
{
	char base[PATH_MAX];
	char sha[PATH_MAX];
	int fd;
	int r;

	r = patch_path(cfg, nb->name, PATCH_BASE, base, sizeof(base));
	if (r == 0)
		r = patch_path(cfg, nb->name, PATCH_BASE_SHA, sha, sizeof(sha));
	if (r < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	if (!patch_fit(cfg, false, size, nb->pinned)) {
		patch_no_room(cfg, nb, size);
		(void)unlink(tmp);
		return 0;
	}
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fdatasync(fd) < 0) {
		r = hs_err_set(e, -errno, "cannot sync '%s': %s", tmp,
			       strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return r;
	}
	(void)close(fd);
	r = hs_rename_durable(tmp, base, e);
	if (r < 0)
		return r;
	return hs_write_file_atomic(sha, sha256, strlen(sha256), 0644, e);
}

int patch_keep_package(const struct config *cfg,
		       const struct patch_new_base *nb, int pkg_fd,
		       struct hs_err *e)
{
	struct tarball_info info;
	char tmp[PATH_MAX];
	int fd;
	int r;

	patch_forget(cfg, nb->name);
	/* Room first, when the manifest says the size: the cache never
	 * holds more than cache_max plus what is being written. */
	if (cfg->cache_max == 0 ||
	    (nb->tar_size > 0 &&
	     !patch_fit(cfg, false, nb->tar_size, nb->pinned))) {
		if (cfg->cache_max > 0)
			patch_no_room(cfg, nb, nb->tar_size);
		return 0;
	}
	if (patch_path(cfg, nb->name, PATCH_TMP, tmp, sizeof(tmp)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot create '%s': %s", tmp,
				  strerror(errno));
	r = lseek(pkg_fd, 0, SEEK_SET) < 0
		    ? hs_err_set(e, -errno, "cannot rewind the package: %s",
				 strerror(errno))
		    : tarball_from_package(pkg_fd, fd, cfg->cache_max, &info,
					   e);
	if (close(fd) < 0 && r == 0)
		r = hs_err_set(e, -errno, "cannot write '%s': %s", tmp,
			       strerror(errno));
	if (r == 0)
		r = patch_commit_base(cfg, nb, tmp, info.size, info.sha256, e);
	if (r < 0)
		(void)unlink(tmp);
	if (r == -EFBIG) {
		log_info("%s: no base kept for a delta: its tar is over "
			 "[transfer] cache_max",
			 nb->name);
		return 0;
	}
	return r;
}

int patch_keep_tar(const struct config *cfg, const struct patch_new_base *nb,
		   const char *tar_path, struct hs_err *e)
{
	int r;

	patch_forget(cfg, nb->name);
	r = patch_commit_base(cfg, nb, tar_path, nb->tar_size, nb->tar_sha256,
			      e);
	if (r < 0)
		(void)unlink(tar_path);
	return r;
}

int patch_base_sha256(const struct config *cfg, const char *name,
		      char out[static HASH_SHA256_HEX_LEN + 1],
		      struct hs_err *e)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t n = 0;
	int r;

	if (patch_path(cfg, name, PATCH_BASE_SHA, path, sizeof(path)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	r = hs_read_file(path, HASH_SHA256_HEX_LEN + 1, &buf, &n, e);
	if (r < 0)
		return r;
	if (n < HASH_SHA256_HEX_LEN)
		r = hs_err_short(e, n, HASH_SHA256_HEX_LEN, "'%s'", path);
	else if (n > HASH_SHA256_HEX_LEN)
		r = hs_err_set(e, -EBADMSG, "'%s' holds more than a SHA-256",
			       path);
	else
		memcpy(out, buf, n + 1);
	free(buf);
	return r;
}

/* The delta's own header must say what the manifest says. */
static int patch_check_info(const struct manifest_component *c,
			    const struct manifest_delta *d,
			    const struct delta_info *info, struct hs_err *e)
{
	const char *method = delta_method_name(info->method);

	if (method == NULL || strcmp(method, d->method) != 0)
		return hs_err_set(e, -EBADMSG,
				  "the delta is of method '%s', not '%s'",
				  method != NULL ? method : "?", d->method);
	if (strcmp(info->base_sha256, d->base_sha256) != 0)
		return hs_err_set(e, -EBADMSG,
				  "the delta is for another base than the "
				  "manifest says");
	if (info->result_size != c->package.tar_size ||
	    strcmp(info->result_sha256, c->package.tar_sha256) != 0)
		return hs_err_set(e, -EBADMSG,
				  "the delta rebuilds another tar than the "
				  "manifest's");
	return 0;
}

int patch_apply(const struct config *cfg, const struct manifest_component *c,
		const struct manifest_delta *d, int delta_fd, char *tar_path,
		size_t n, int *ret_fd, struct hs_err *e)
{
	struct delta_info info;
	char base[PATH_MAX];
	int base_fd = -1;
	int out = -1;
	int r;

	*ret_fd = -1;
	if (patch_path(cfg, c->name, PATCH_BASE, base, sizeof(base)) < 0 ||
	    patch_path(cfg, c->name, PATCH_NEW, tar_path, n) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	r = delta_read_info(delta_fd, &info, e);
	if (r == 0)
		r = patch_check_info(c, d, &info, e);
	if (r < 0)
		return r;
	base_fd = open(base, O_RDONLY | O_CLOEXEC);
	if (base_fd < 0)
		return hs_err_set(e, errno == ENOENT ? -ESTALE : -errno,
				  "cannot open '%s': %s", base,
				  strerror(errno));
	out = open(tar_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		r = hs_err_set(e, -errno, "cannot create '%s': %s", tar_path,
			       strerror(errno));
	if (r == 0)
		r = delta_apply(delta_fd, base_fd, out, e);
	if (r == 0 && lseek(out, 0, SEEK_SET) < 0)
		r = hs_err_set(e, -errno, "cannot rewind '%s': %s", tar_path,
			       strerror(errno));
	(void)close(base_fd);
	if (r < 0) {
		if (out >= 0)
			(void)close(out);
		(void)unlink(tar_path);
		return r;
	}
	*ret_fd = out;
	return 0;
}
