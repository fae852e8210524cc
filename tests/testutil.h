/*
 * testutil.h - helpers shared by the unit tests: temporary directories and
 * files, table rows and error checks, keys and signed envelopes, and the
 * roots and manifests that test_root and test_trust both build.  Every
 * helper fails the running test on an unexpected error.
 */
#ifndef HAISHIN_TESTUTIL_H
#define HAISHIN_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

struct hs_err;

/* The number of elements of an array (not a pointer). */
#define TU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Directories and files. */

/* Creates a new empty directory under $TMPDIR; the caller frees the string. */
char *tu_mkdtemp(void);

/* Removes a tree (like rm -rf); NULL is allowed. */
void tu_rmtree(const char *path);

/* Joins dir and name into a malloc'ed path; the caller frees it. */
char *tu_path(const char *dir, const char *name);

/* Writes a file (creating parents), failing the test on error. */
void tu_write(const char *dir, const char *name, const void *p, size_t n,
	      unsigned mode);

/* Reads a whole file; returns a malloc'ed buffer and its length. */
void *tu_read(const char *path, size_t *ret_n);

/*
 * Per-test fixture (cmocka_unit_test_setup_teardown): *state becomes a new
 * empty directory (a char *), removed with its contents afterwards.
 */
int tu_dir_setup(void **state);
int tu_dir_teardown(void **state);

/* Registers test f with a temporary directory (tu_dir_setup) in *state. */
#define tu_dir_test(f) \
	cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_dir_teardown)

/* The number of entries in dir, without "." and "..". */
size_t tu_count_entries(const char *dir);

/* The permission bits (07777) of dir/name, not following a symlink. */
unsigned tu_mode(const char *dir, const char *name);

/* Fails unless the file dir/name holds exactly text. */
void tu_assert_file(const char *dir, const char *name, const char *text);

/* Table rows and errors. */

/*
 * Prints one failing row of a table and counts it in *bad; the test calls
 * assert_int_equal(bad, 0) after the whole table.
 */
void tu_report_bad(size_t *bad, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * For a table row named what: true when r and e->code are both want and
 * e->msg contains text ("" matches any message; want 0 checks a success).
 * Otherwise reports the row with tu_report_bad() and returns false.
 */
bool tu_check_err(size_t *bad, const char *what, int r, const struct hs_err *e,
		  int want, const char *text);

/* Fails the test at the caller's line unless tu_check_err() would pass. */
#define tu_assert_err(r, e, want, text) \
	tu_assert_err_at((r), (e), (want), (text), __FILE__, __LINE__)
void tu_assert_err_at(int r, const struct hs_err *e, int want, const char *text,
		      const char *file, int line);

/* Skipped checks: reported as skipped, never as passed. */

/* The exit code ctest reads as "skipped" (SKIP_RETURN_CODE). */
#define TU_SKIP_RETURN 77

/*
 * Prints "SKIPPED: what", counts it for tu_result() and skips the running
 * test (cmocka's skip(), which leaves the test: no code after it runs).
 */
void tu_skip(const char *what);

/*
 * The exit code of a test program: 1 when a test failed (failed is
 * cmocka_run_group_tests()'s count), else TU_SKIP_RETURN when one was
 * skipped, else 0.
 */
int tu_result(int failed);

#endif
