/*
 * test_fileio.c - the one short-read error (hs_err_short) and exact reads
 * (hs_pread_full): a file that ends early is -ENODATA naming both sizes,
 * told apart from read(2)'s own errors.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "hs_err.h"

static void test_short_error(void **state)
{
	struct hs_err e;

	(void)state;
	hs_err_clear(&e);
	assert_int_equal(hs_err_short(&e, 3, 64, "'%s'", "/c/app.sha256"),
			 -ENODATA);
	assert_int_equal(e.code, -ENODATA);
	assert_string_equal(e.msg, "'/c/app.sha256' ended after 3 of 64 bytes");
	assert_int_equal(hs_err_short(&e, 0, 1, "the delta"), -ENODATA);
	assert_string_equal(e.msg, "the delta ended after 0 of 1 bytes");
	assert_int_equal(hs_err_short(NULL, 1, 2, "x"), -ENODATA);
}

/* "0123456789" in dir/f, opened for reading. */
static int ten_bytes(const char *dir, char **ret_path)
{
	int fd;

	tu_write(dir, "f", "0123456789", 10, 0644);
	*ret_path = tu_path(dir, "f");
	fd = open(*ret_path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void test_pread_full(void **state)
{
	const char *dir = *state;
	char buf[16];
	char want[600];
	struct hs_err e;
	char *path;
	int fd;

	fd = ten_bytes(dir, &path);
	hs_err_clear(&e);
	assert_int_equal(hs_pread_full(fd, buf, 4, 3, path, &e), 0);
	assert_memory_equal(buf, "3456", 4);
	assert_int_equal(hs_pread_full(fd, buf, 10, 0, path, &e), 0);
	assert_int_equal(hs_pread_full(fd, buf, 0, 10, path, &e), 0);
	/* Short: the sizes are counted from the file's start. */
	assert_int_equal(hs_pread_full(fd, buf, 8, 6, path, &e), -ENODATA);
	(void)snprintf(want, sizeof(want), "'%s' ended after 10 of 14 bytes",
		       path);
	assert_string_equal(e.msg, want);
	assert_int_equal(hs_pread_full(fd, buf, 1, 10, path, &e), -ENODATA);
	(void)close(fd);
	free(path);
}

/* An I/O error keeps its errno: it is not a short file. */
static void test_pread_error_is_not_short(void **state)
{
	const char *dir = *state;
	char buf[4];
	struct hs_err e;
	char *path;
	int fd;

	fd = ten_bytes(dir, &path);
	(void)close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(hs_pread_full(fd, buf, 4, 0, dir, &e), -EISDIR);
	assert_non_null(strstr(e.msg, "cannot read '"));
	(void)close(fd);
	assert_int_equal(hs_pread_full(-1, buf, 4, 0, path, &e), -EBADF);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_error),
		tu_dir_test(test_pread_full),
		tu_dir_test(test_pread_error_is_not_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
