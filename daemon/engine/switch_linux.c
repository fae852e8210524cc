/*
 * switch_linux.c - switch.h on Linux.  current is a symbolic link holding a
 * version's name; a switch writes a new link current.new and renames it
 * over current, which POSIX makes atomic, then fsyncs the directory.  A
 * crash before the rename leaves current as it was and current.new behind,
 * removed by the next switch.  A version directory that exists already is
 * replaced with renameat2(RENAME_EXCHANGE), which is Linux's (since 3.15).
 */
#include "switch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "hs_limits.h"
#include "str.h"
#include "version.h"

#define SWITCH_NEW_SUFFIX ".new"

/* ROOT/NAME and ROOT/NAME/current. */
static int switch_paths(const char *root, const char *name, char *dir,
			char *cur, struct hs_err *e)
{
	if (hs_snprintf(dir, PATH_MAX, "%s/%s", root, name) < 0 ||
	    hs_snprintf(cur, PATH_MAX, "%s/%s", dir, SWITCH_CURRENT) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  root);
	return 0;
}

/* A new link current.new -> version, replacing a leftover. */
static int switch_link_new(const char *tmp, const char *version,
			   struct hs_err *e)
{
	if (unlink(tmp) < 0 && errno != ENOENT)
		return hs_err_set(e, -errno, "cannot remove '%s': %s", tmp,
				  strerror(errno));
	if (symlink(version, tmp) < 0)
		return hs_err_set(e, -errno, "cannot create '%s': %s", tmp,
				  strerror(errno));
	return 0;
}

int switch_activate(const char *root, const char *name, const char *version,
		    struct hs_err *e)
{
	char dir[PATH_MAX];
	char cur[PATH_MAX];
	char tmp[PATH_MAX];
	int r;

	r = switch_paths(root, name, dir, cur, e);
	if (r == 0 &&
	    hs_snprintf(tmp, sizeof(tmp), "%s%s", cur, SWITCH_NEW_SUFFIX) < 0)
		r = hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
	if (r == 0)
		r = switch_link_new(tmp, version, e);
	if (r < 0)
		return r;
	if (rename(tmp, cur) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return hs_err_set(e, r, "cannot switch '%s': %s", cur,
				  strerror(-r));
	}
	return hs_fsync_dir(dir, e);
}

int switch_current(const char *root, const char *name, char *out, size_t n,
		   struct hs_err *e)
{
	char cur[PATH_MAX];
	char target[HS_VERSION_MAX + 2];
	ssize_t len;

	if (hs_snprintf(cur, sizeof(cur), "%s/%s/%s", root, name,
			SWITCH_CURRENT) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	len = readlink(cur, target, sizeof(target) - 1);
	if (len < 0)
		return hs_err_set(e, -errno, "cannot read '%s': %s", cur,
				  strerror(errno));
	target[len] = '\0';
	if (!version_is_valid(target))
		return hs_err_set(e, -EBADMSG,
				  "'%s' points at '%s', not a "
				  "version",
				  cur, target);
	return hs_strlcpy(out, target, n) < 0
		       ? hs_err_set(e, -ENAMETOOLONG, "version too long")
		       : 0;
}

int switch_remove(const char *root, const char *name, struct hs_err *e)
{
	char dir[PATH_MAX];
	char cur[PATH_MAX];
	int r;

	r = switch_paths(root, name, dir, cur, e);
	if (r < 0)
		return r;
	if (unlink(cur) < 0 && errno != ENOENT)
		return hs_err_set(e, -errno, "cannot remove '%s': %s", cur,
				  strerror(errno));
	return hs_fsync_dir(dir, e);
}

int switch_place(const char *staging, const char *final, struct hs_err *e)
{
	if (rename(staging, final) == 0)
		return 0;
	if (errno != ENOTEMPTY && errno != EEXIST)
		return hs_err_set(e, -errno, "cannot rename '%s': %s", staging,
				  strerror(errno));
	if (renameat2(AT_FDCWD, staging, AT_FDCWD, final, RENAME_EXCHANGE) < 0)
		return hs_err_set(e, -errno, "cannot replace '%s': %s", final,
				  strerror(errno));
	return 1;
}
