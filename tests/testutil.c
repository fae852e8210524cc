/*
 * testutil.c - helpers shared by the unit tests (see testutil.h).  Each one
 * fails the running test rather than return an error.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "dsse.h"
#include "hs_err.h"
#include "key.h"
#include "manifest.h"
#include "root.h"
#include "fileio.h"
#include "str.h"
#include "trust.h"

/* Directories and files. */

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

int tu_dir_setup(void **state)
{
	*state = tu_mkdtemp();
	return 0;
}

int tu_dir_teardown(void **state)
{
	tu_rmtree(*state);
	free(*state);
	return 0;
}

size_t tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	for (de = readdir(d); de != NULL; de = readdir(d))
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	assert_int_equal(closedir(d), 0);
	return n;
}

unsigned tu_mode(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st.st_mode & 07777;
}

void tu_assert_file(const char *dir, const char *name, const char *text)
{
	char *path = tu_path(dir, name);
	size_t n = 0;
	char *got = tu_read(path, &n);

	assert_int_equal(n, strlen(text));
	assert_memory_equal(got, text, n);
	free(got);
	free(path);
}

/* Table rows and errors. */

void tu_report_bad(size_t *bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	print_error("\n");
	(*bad)++;
}

bool tu_check_err(size_t *bad, const char *what, int r, const struct hs_err *e,
		  int want, const char *text)
{
	if (r == want && e->code == want && strstr(e->msg, text) != NULL)
		return true;
	tu_report_bad(bad, "%s: got %d (code %d) '%s', want %d with '%s'", what,
		      r, e->code, e->msg, want, text);
	return false;
}

void tu_assert_err_at(int r, const struct hs_err *e, int want, const char *text,
		      const char *file, int line)
{
	size_t bad = 0;

	if (!tu_check_err(&bad, "error", r, e, want, text))
		_fail(file, line);
}

/* Keys, envelopes and JSON. */

/* Tests skipped in this program (tu_skip). */
static unsigned tu_skipped;

void tu_skip(const char *what)
{
	print_message("SKIPPED: %s\n", what);
	tu_skipped++;
	skip();
}

int tu_result(int failed)
{
	if (failed != 0)
		return 1;
	return tu_skipped > 0 ? TU_SKIP_RETURN : 0;
}
