/*
 * patch.c - the delta path of an update: the base in the cache, the choice
 * of a delta, applying it.
 */
#include "patch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta.h"
#include "i18n.h"
#include "log.h"
#include "str.h"
#include "tarball.h"

#define PATCH_BASE ".base.tar"
#define PATCH_BASE_SHA ".base.sha256"
#define PATCH_NEW ".tar.new"

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

/* The base's SHA-256 goes last: a base without it is never picked. */
static int patch_commit_base(const struct config *cfg, const char *name,
			     const char *tmp, const char *sha256,
			     struct hs_err *e)
{
	char base[PATH_MAX];
	char sha[PATH_MAX];
	int r;

	r = patch_path(cfg, name, PATCH_BASE, base, sizeof(base));
	if (r == 0)
		r = patch_path(cfg, name, PATCH_BASE_SHA, sha, sizeof(sha));
	if (r < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	(void)unlink(sha);
	if (rename(tmp, base) < 0)
		return hs_err_set(e, -errno, "cannot keep '%s': %s", base,
				  strerror(errno));
	return hs_write_file_atomic(sha, sha256, strlen(sha256), 0644, e);
}

int patch_keep_package(const struct config *cfg, const char *name, int pkg_fd,
		       struct hs_err *e)
{
	struct tarball_info info;
	char tmp[PATH_MAX];
	int fd;
	int r;

	patch_forget(cfg, name);
	if (cfg->cache_max == 0)
		return 0;
	if (patch_path(cfg, name, PATCH_BASE ".tmp", tmp, sizeof(tmp)) < 0)
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
		r = patch_commit_base(cfg, name, tmp, info.sha256, e);
	if (r < 0)
		(void)unlink(tmp);
	if (r == -EFBIG) {
		log_info("%s: its tar is over [transfer] cache_max: no base "
			 "kept for a delta",
			 name);
		return 0;
	}
	return r;
}

int patch_keep_tar(const struct config *cfg, const char *name,
		   const char *tar_path, const char *sha256, uint64_t size,
		   struct hs_err *e)
{
	patch_forget(cfg, name);
	if (size > cfg->cache_max) {
		(void)unlink(tar_path);
		return 0;
	}
	return patch_commit_base(cfg, name, tar_path, sha256, e);
}

/* The SHA-256 kept beside NAME's base, or "" when there is none. */
static void patch_base_sha(const struct config *cfg, const char *name,
			   char out[static HASH_SHA256_HEX_LEN + 1])
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t n = 0;

	out[0] = '\0';
	if (patch_path(cfg, name, PATCH_BASE_SHA, path, sizeof(path)) < 0 ||
	    hs_read_file(path, HASH_SHA256_HEX_LEN + 1, &buf, &n, NULL) < 0)
		return;
	if (n == HASH_SHA256_HEX_LEN) {
		memcpy(out, buf, n);
		out[n] = '\0';
	}
	free(buf);
}

const struct manifest_delta *patch_pick(const struct config *cfg,
					const struct manifest_component *c,
					const char *from, char *why)
{
	char sha[HASH_SHA256_HEX_LEN + 1];
	enum delta_method m;
	size_t i;

	why[0] = '\0';
	if (c->n_deltas == 0 || from[0] == '\0' || !cfg->deltas)
		return NULL;
	for (i = 0; i < c->n_deltas; i++)
		if (strcmp(c->deltas[i].from, from) == 0 &&
		    delta_method_parse(c->deltas[i].method, &m) == 0)
			break;
	/* Cheapest path: a delta that saves less than a tenth of the package
	 * is not worth rebuilding the tar for. */
	if (i < c->n_deltas && c->deltas[i].size * 10 >= c->package.size * 9)
		return NULL;
	if (i == c->n_deltas) {
		(void)hs_snprintf(why, PATCH_WHY_MAX, _("no delta from %s"),
				  from);
		return NULL;
	}
	patch_base_sha(cfg, c->name, sha);
	if (sha[0] == '\0') {
		(void)hs_snprintf(why, PATCH_WHY_MAX,
				  _("no base of %s in the cache"), from);
		return NULL;
	}
	if (strcmp(sha, c->deltas[i].base_sha256) != 0) {
		(void)hs_snprintf(why, PATCH_WHY_MAX,
				  _("the cached base is not the tar of %s"),
				  from);
		return NULL;
	}
	return &c->deltas[i];
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
		return hs_err_set(e, -errno, "cannot open '%s': %s", base,
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
