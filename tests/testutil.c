/*
 * testutil.c - temporary directories and file helpers for the unit tests.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"

char *tu_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	char *dir;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	assert_int_equal(
		hs_snprintf(tmpl, sizeof(tmpl), "%s/hs-test-XXXXXX", base), 0);
	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	dir = strdup(dir);
	assert_non_null(dir);
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		(void)chmod(path, 0700);
	(void)remove(path);
	return 0;
}

void tu_rmtree(const char *path)
{
	if (path == NULL)
		return;
	(void)nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(const char *dir, const char *name)
{
	const size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	assert_int_equal(hs_snprintf(p, n, "%s/%s", dir, name), 0);
	return p;
}

static void mkparents(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path)
		return;
	*slash = '\0';
	if (mkdir(path, 0755) < 0 && errno == ENOENT) {
		mkparents(path);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	*slash = '/';
}

void tu_write(const char *dir, const char *name, const void *p, size_t n,
	      unsigned mode)
{
	char *path = tu_path(dir, name);
	int fd;

	mkparents(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	free(path);
}

void *tu_read(const char *path, size_t *ret_n)
{
	char *buf = NULL;
	size_t n = 0;

	assert_int_equal(hs_read_file(path, 64u * 1024 * 1024, &buf, &n, NULL),
			 0);
	*ret_n = n;
	return buf;
}
