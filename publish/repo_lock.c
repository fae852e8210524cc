/*
 * repo_lock.c - one publisher at a time: every verb that opens a repository
 * holds an exclusive lock on REPO/.lock until it ends, and, once it holds
 * it, removes what a publisher killed mid-work left behind (its temporary
 * package and delta files, and index or manifest files half written).
 */
#include "repo_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fileio.h"
#include "str.h"

#define REPO_LOCK ".lock"

/* Whether name is a temporary file of a publisher (repo.c, deltafile.c,
 * hs_write_file_atomic). */
static bool repo_is_temporary(const char *name)
{
	return strncmp(name, ".pack-", 6) == 0 ||
	       strncmp(name, ".delta-", 7) == 0 ||
	       strstr(name, ".json.tmp.") != NULL;
}

/* Removes the temporary files in dir; a directory that is not there has
 * none. */
static void repo_sweep_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (repo_is_temporary(de->d_name))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	(void)closedir(d);
}

static void repo_sweep(const struct repo *repo)
{
	char packages[PATH_MAX];
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	repo_sweep_dir(repo->dir);
	if (repo_path(repo, "packages", packages, sizeof(packages), NULL) < 0)
		return;
	d = opendir(packages);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    hs_snprintf(path, sizeof(path), "%s/%s", packages,
				de->d_name) < 0)
			continue;
		repo_sweep_dir(path);
	}
	(void)closedir(d);
}

int repo_lock(struct repo *repo, struct hs_err *e)
{
	char path[PATH_MAX];
	int fd;

	if (repo_path(repo, REPO_LOCK, path, sizeof(path), e) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", path,
				  strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		const int err = errno;

		(void)close(fd);
		if (err == EWOULDBLOCK)
			return hs_err_set(e, -EBUSY,
					  "another haishin-publish is working "
					  "on '%s': try again when it is done",
					  repo->dir);
		return hs_err_set(e, -err, "cannot lock '%s': %s", path,
				  strerror(err));
	}
	repo->lock_fd = fd;
	repo_sweep(repo);
	return 0;
}
