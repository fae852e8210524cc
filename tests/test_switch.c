/*
 * test_switch.c - the atomic switch (switch.h): activate, read and remove
 * the pointer in round trips; a reader running beside a stream of switches
 * always finds the old version or the new one, never none; a switch cut off
 * between its steps (the state each step leaves on disk) still reads as the
 * old or the new version and the next switch completes; a switch that fails
 * leaves current where it was; a version directory put in place again is
 * exchanged, never missing.
 */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_err.h"
#include "hs_limits.h"
#include "switch.h"

/* Makes ROOT/app/VERSION with one file saying version. */
static void make_version(const char *root, const char *version)
{
	char name[64];

	(void)snprintf(name, sizeof(name), "app/%s/v", version);
	tu_write(root, name, version, strlen(version), 0644);
}

static void expect_current(const char *root, const char *version)
{
	char got[HS_VERSION_MAX + 1];
	struct hs_err e;

	assert_int_equal(switch_current(root, "app", got, sizeof(got), &e), 0);
	assert_string_equal(got, version);
	/* What it names is the version directory itself. */
	tu_assert_file(root, "app/current/v", version);
}

static void test_round_trip(void **state)
{
	const char *root = *state;
	char *app = tu_path(root, "app");
	char got[HS_VERSION_MAX + 1];
	struct hs_err e;

	make_version(root, "1.0");
	make_version(root, "1.1");
	tu_assert_err(switch_current(root, "app", got, sizeof(got), &e), &e,
		      -ENOENT, "cannot read '");
	assert_int_equal(switch_activate(root, "app", "1.0", &e), 0);
	expect_current(root, "1.0");
	assert_int_equal(switch_activate(root, "app", "1.1", &e), 0);
	expect_current(root, "1.1");
	assert_int_equal(switch_activate(root, "app", "1.0", &e), 0);
	expect_current(root, "1.0");
	assert_int_equal(switch_remove(root, "app", &e), 0);
	tu_assert_err(switch_current(root, "app", got, sizeof(got), &e), &e,
		      -ENOENT, "");
	assert_int_equal(switch_remove(root, "app", &e), 0); /* again */
	/* The versions stay; only the pointer went. */
	tu_assert_file(root, "app/1.0/v", "1.0");
	tu_assert_file(root, "app/1.1/v", "1.1");
	/* No leftover beside them. */
	assert_int_equal(tu_count_entries(app), 2);
	free(app);
}

static void test_not_a_version(void **state)
{
	const char *root = *state;
	char got[HS_VERSION_MAX + 1];
	char *cur = tu_path(root, "app/current");
	struct hs_err e;

	make_version(root, "1.0");
	assert_int_equal(symlink("../elsewhere", cur), 0);
	tu_assert_err(switch_current(root, "app", got, sizeof(got), &e), &e,
		      -EBADMSG, "not a version");
	free(cur);
}

/* ---- a reader beside a stream of switches ---------------------------- */

struct reader {
	const char *root;
	atomic_bool stop;
	unsigned reads;
	unsigned bad; /* reads that found neither version */
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	char got[HS_VERSION_MAX + 1];

	while (!atomic_load(&rd->stop)) {
		if (switch_current(rd->root, "app", got, sizeof(got), NULL) <
			    0 ||
		    (strcmp(got, "1.0") != 0 && strcmp(got, "2.0") != 0))
			rd->bad++;
		rd->reads++;
	}
	return NULL;
}

static void test_reader_never_sees_none(void **state)
{
	struct reader rd = {.root = *state};
	pthread_t t;
	struct hs_err e;
	int i;

	make_version(rd.root, "1.0");
	make_version(rd.root, "2.0");
	assert_int_equal(switch_activate(rd.root, "app", "1.0", &e), 0);
	atomic_store(&rd.stop, false);
	assert_int_equal(pthread_create(&t, NULL, reader_main, &rd), 0);
	for (i = 0; i < 400; i++)
		assert_int_equal(switch_activate(rd.root, "app",
						 i % 2 == 0 ? "2.0" : "1.0",
						 &e),
				 0);
	atomic_store(&rd.stop, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(rd.reads > 0);
	assert_int_equal(rd.bad, 0);
}

/* ---- a switch cut off between its steps ------------------------------ */

/*
 * switch_linux.c's steps: clear a leftover current.new, link current.new to
 * the new version, rename it over current, fsync the directory.  A cut
 * leaves one of these states on disk (the fsync changes nothing a reader
 * sees).
 */
enum cut {
	CUT_BEFORE, /* nothing done yet */
	CUT_STALE_LEFTOVER, /* an older cut's leftover, not cleared yet */
	CUT_AFTER_LINK, /* current.new -> new, current still old */
	CUT_AFTER_RENAME, /* current -> new */
};

static void leave_cut(const char *root, enum cut cut)
{
	char *tmp = tu_path(root, "app/current.new");
	char *cur = tu_path(root, "app/current");

	if (cut == CUT_STALE_LEFTOVER)
		assert_int_equal(symlink("0.9", tmp), 0);
	if (cut == CUT_AFTER_LINK || cut == CUT_AFTER_RENAME)
		assert_int_equal(symlink("2.0", tmp), 0);
	if (cut == CUT_AFTER_RENAME)
		assert_int_equal(rename(tmp, cur), 0);
	free(cur);
	free(tmp);
}

static void test_cut_between_steps(void **state)
{
	static const struct {
		enum cut cut;
		const char *reads; /* what current says after the cut */
	} cases[] = {
		{CUT_BEFORE, "1.0"},
		{CUT_STALE_LEFTOVER, "1.0"},
		{CUT_AFTER_LINK, "1.0"},
		{CUT_AFTER_RENAME, "2.0"},
	};
	const char *root = *state;
	struct hs_err e;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char *app = tu_path(root, "app");

		tu_rmtree(app);
		make_version(root, "1.0");
		make_version(root, "2.0");
		assert_int_equal(switch_activate(root, "app", "1.0", &e), 0);
		leave_cut(root, cases[i].cut);
		expect_current(root, cases[i].reads);
		/* After the restart, the switch is done again and completes. */
		assert_int_equal(switch_activate(root, "app", "2.0", &e), 0);
		expect_current(root, "2.0");
		assert_int_equal(tu_count_entries(app), 3);
		free(app);
	}
}

/* A leftover the switch cannot clear: refused, current untouched. */
static void test_failed_switch_keeps_current(void **state)
{
	const char *root = *state;
	struct hs_err e;

	make_version(root, "1.0");
	make_version(root, "2.0");
	assert_int_equal(switch_activate(root, "app", "1.0", &e), 0);
	tu_write(root, "app/current.new/junk", "x", 1, 0644);
	tu_assert_err(switch_activate(root, "app", "2.0", &e), &e, -EISDIR,
		      "cannot remove '");
	expect_current(root, "1.0");
}

/* The rename itself fails (current is a directory): the new link goes. */
static void test_failed_rename_cleans_up(void **state)
{
	const char *root = *state;
	char got[HS_VERSION_MAX + 1];
	struct hs_err e;
	struct stat st;
	char *tmp = tu_path(root, "app/current.new");

	make_version(root, "2.0");
	tu_write(root, "app/current/keep", "x", 1, 0644);
	tu_assert_err(switch_activate(root, "app", "2.0", &e), &e, -EISDIR,
		      "cannot switch '");
	assert_int_equal(lstat(tmp, &st), -1);
	tu_assert_file(root, "app/current/keep", "x");
	assert_true(switch_current(root, "app", got, sizeof(got), NULL) < 0);
	free(tmp);
}

/* ---- a version directory put in place -------------------------------- */

static void test_place_new_and_again(void **state)
{
	const char *root = *state;
	char *staging = tu_path(root, "app/1.0.staging");
	char *final = tu_path(root, "app/1.0");
	char *none = tu_path(root, "app/none");
	struct hs_err e;

	tu_write(root, "app/1.0.staging/v", "first", 5, 0644);
	assert_int_equal(switch_place(staging, final, &e), 0);
	assert_int_equal(access(staging, F_OK), -1);
	tu_assert_file(root, "app/1.0/v", "first");
	assert_int_equal(switch_activate(root, "app", "1.0", &e), 0);

	/* Again: exchanged; current reads the new copy, staging the old. */
	tu_write(root, "app/1.0.staging/v", "second", 6, 0644);
	assert_int_equal(switch_place(staging, final, &e), 1);
	tu_assert_file(root, "app/current/v", "second");
	tu_assert_file(root, "app/1.0.staging/v", "first");

	tu_assert_err(switch_place(none, final, &e), &e, -ENOENT,
		      "cannot rename '");
	tu_assert_file(root, "app/current/v", "second");
	free(none);
	free(final);
	free(staging);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_dir_test(test_round_trip),
		tu_dir_test(test_not_a_version),
		tu_dir_test(test_reader_never_sees_none),
		tu_dir_test(test_cut_between_steps),
		tu_dir_test(test_failed_switch_keeps_current),
		tu_dir_test(test_failed_rename_cleans_up),
		tu_dir_test(test_place_new_and_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
