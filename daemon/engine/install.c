/*
 * install.c - staging, extraction and pruning; the atomic switch of
 * current and the move of a version into place are the platform's
 * (switch.h).  Every directory entry that changes is followed by an fsync
 * of its directory, so the switch is durable once install_package returns.
 */
#include "install.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "str.h"
#include "switch.h"
#include "unpack.h"
#include "version.h"

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

int install_rmtree(const char *path, struct hs_err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return hs_err_set(e, -errno, "cannot remove '%s': %s", path,
				  strerror(errno));
	return 0;
}

/*
 * Creates a directory with mode 0755 whatever the umask (applications run as
 * other users must read what is installed); an existing one is kept as it
 * is.  A new directory is made durable in its parent.
 */
static int install_mkdir(const char *path, struct hs_err *e)
{
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST)
			return 0;
		return hs_err_set(e, -errno, "cannot create '%s': %s", path,
				  strerror(errno));
	}
	if (chmod(path, 0755) < 0)
		return hs_err_set(e, -errno, "cannot chmod '%s': %s", path,
				  strerror(errno));
	return hs_fsync_parent(path, e);
}

/*
 * Moves staging to final.  If final exists (the same version installed
 * again), the two are exchanged atomically and the old copy removed, so a
 * current that points at final never sees a missing directory.
 */
static int install_commit(const char *staging, const char *final,
			  struct hs_err *e)
{
	const int r = switch_place(staging, final, e);

	if (r < 0)
		return r;
	return r == 1 ? install_rmtree(staging, e) : 0;
}

static int install_unpack(const char *staging, int pkg_fd, uint64_t *ret_bytes,
			  struct hs_err *e)
{
	struct unpack_limits lim;
	struct unpack_stats st;
	int r;

	unpack_limits_default(&lim);
	if (lseek(pkg_fd, 0, SEEK_SET) < 0)
		return hs_err_set(e, -errno, "cannot rewind the package: %s",
				  strerror(errno));
	r = install_rmtree(staging, e);
	if (r == 0)
		r = install_mkdir(staging, e);
	if (r == 0)
		r = unpack_fd(pkg_fd, staging, &lim, &st, e);
	if (r == 0)
		*ret_bytes = st.bytes;
	return r;
}

int install_stage(const char *root, const char *name, const char *version,
		  int pkg_fd, uint64_t *ret_bytes, struct hs_err *e)
{
	char dir[PATH_MAX];
	char staging[PATH_MAX];
	char final[PATH_MAX];
	uint64_t bytes = 0;
	int r;

	if (!version_name_is_valid(name) || !version_is_valid(version))
		return hs_err_set(e, -EINVAL, "invalid name or version");
	if (hs_snprintf(dir, sizeof(dir), "%s/%s", root, name) < 0 ||
	    hs_snprintf(staging, sizeof(staging), "%s/%s%s", dir, version,
			INSTALL_STAGING_SUFFIX) < 0 ||
	    hs_snprintf(final, sizeof(final), "%s/%s", dir, version) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  root);
	r = install_mkdir(root, e);
	if (r == 0)
		r = install_mkdir(dir, e);
	if (r == 0)
		r = install_unpack(staging, pkg_fd, &bytes, e);
	if (r == 0)
		r = install_commit(staging, final, e);
	if (r == 0)
		r = hs_fsync_dir(dir, e);
	if (r < 0) {
		(void)install_rmtree(staging, NULL);
		return r;
	}
	*ret_bytes = bytes;
	return 0;
}

int install_package(const char *root, const char *name, const char *version,
		    int pkg_fd, uint64_t *ret_bytes, struct hs_err *e)
{
	uint64_t bytes = 0;
	int r;

	r = install_stage(root, name, version, pkg_fd, &bytes, e);
	if (r == 0)
		r = switch_activate(root, name, version, e);
	if (r == 0)
		*ret_bytes = bytes;
	return r;
}

/*
 * Removes a version directory so that no instant shows it half removed: it
 * is first renamed, durably, to VERSION.staging, which nothing takes for a
 * version, and only then emptied.  A crash in between leaves a staging
 * directory, which the next install of that version, the next prune or
 * the sweep at start removes.
 */
static int install_retire(const char *path, struct hs_err *e)
{
	char staging[PATH_MAX];
	int r;

	if (hs_snprintf(staging, sizeof(staging), "%s%s", path,
			INSTALL_STAGING_SUFFIX) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  path);
	r = install_rmtree(staging, e);
	if (r < 0)
		return r;
	if (rename(path, staging) < 0)
		return errno == ENOENT
			       ? 0
			       : hs_err_set(e, -errno, "cannot rename '%s': %s",
					    path, strerror(errno));
	r = hs_fsync_parent(staging, e);
	return r < 0 ? r : install_rmtree(staging, e);
}

/* ---- pruning: the newest versions, the active and the previous stay ---- */

/* The versions of one component found on disk, newest first once sorted. */
struct install_versions {
	char (*v)[HS_VERSION_MAX + 1];
	size_t n;
	size_t cap;
};

static int install_version_add(struct install_versions *vs, const char *name,
			       struct hs_err *e)
{
	char(*grown)[HS_VERSION_MAX + 1];
	size_t cap;

	if (vs->n == INSTALL_VERSIONS_MAX)
		return 0; /* the rest is left alone: never too much removed */
	if (vs->n == vs->cap) {
		cap = vs->cap == 0 ? 16 : vs->cap * 2;
		grown = realloc(vs->v, cap * sizeof(vs->v[0]));
		if (grown == NULL)
			return hs_err_set(e, -ENOMEM, "out of memory");
		vs->v = grown;
		vs->cap = cap;
	}
	(void)hs_strlcpy(vs->v[vs->n++], name, sizeof(vs->v[0]));
	return 0;
}

static int install_version_newer_first(const void *a, const void *b)
{
	return version_compare(b, a);
}

/* Lists dir's version directories into vs and removes its staging
 * leftovers; anything else (not haishin's) is left alone. */
static int install_list(const char *dir, struct install_versions *vs,
			struct hs_err *e)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dh;
	int r = 0;

	dh = opendir(dir);
	if (dh == NULL)
		return hs_err_set(e, -errno, "cannot open '%s': %s", dir,
				  strerror(errno));
	while ((d = readdir(dh)) != NULL && r != -ENOMEM) {
		if (d->d_name[0] == '.')
			continue;
		if (version_is_valid(d->d_name))
			r = install_version_add(vs, d->d_name, e);
		else if (hs_str_endswith(d->d_name, INSTALL_STAGING_SUFFIX) &&
			 (hs_snprintf(path, sizeof(path), "%s/%s", dir,
				      d->d_name) < 0 ||
			  install_rmtree(path, e) < 0))
			r = -EIO;
	}
	(void)closedir(dh);
	qsort(vs->v, vs->n, sizeof(vs->v[0]), install_version_newer_first);
	return r;
}

int install_prune(const char *root, const char *name, const char *previous,
		  unsigned keep, struct hs_err *e)
{
	struct install_versions vs = {NULL, 0, 0};
	char current[HS_VERSION_MAX + 1];
	char dir[PATH_MAX];
	char path[PATH_MAX];
	size_t i;
	int r;

	r = switch_current(root, name, current, sizeof(current), e);
	if (r < 0)
		return r;
	if (hs_snprintf(dir, sizeof(dir), "%s/%s", root, name) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	r = install_list(dir, &vs, e);
	for (i = keep; r != -ENOMEM && i < vs.n; i++) {
		if (strcmp(vs.v[i], current) == 0 ||
		    (previous != NULL && strcmp(vs.v[i], previous) == 0))
			continue;
		if (hs_snprintf(path, sizeof(path), "%s/%s", dir, vs.v[i]) <
			    0 ||
		    install_retire(path, e) < 0)
			r = r < 0 ? r : -EIO;
	}
	free(vs.v);
	return r < 0 ? hs_err_set(e, r, "cannot prune '%s'", dir) : 0;
}

/* ---- end of pruning ---------------------------------------------------- */

int install_activate(const char *root, const char *name, const char *version,
		     struct hs_err *e)
{
	if (version != NULL && version[0] != '\0')
		return switch_activate(root, name, version, e);
	return switch_remove(root, name, e);
}

int install_remove(const char *root, const char *name, const char *version,
		   struct hs_err *e)
{
	char current[HS_VERSION_MAX + 1];
	char path[PATH_MAX];

	if (!version_name_is_valid(name) || !version_is_valid(version))
		return hs_err_set(e, -EINVAL, "invalid name or version");
	if (switch_current(root, name, current, sizeof(current), NULL) == 0 &&
	    strcmp(current, version) == 0)
		return hs_err_set(e, -EBUSY, "%s %s is the active version",
				  name, version);
	if (hs_snprintf(path, sizeof(path), "%s/%s/%s", root, name, version) <
	    0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	return install_retire(path, e);
}
