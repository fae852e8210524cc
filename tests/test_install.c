/*
 * test_install.c - atomic installs: staging, the switch of current, the
 * same version installed again, pruning, and a failed install that leaves
 * the active version untouched.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install.h"
#include "pack.h"
#include "str.h"
#include "switch.h"

struct world {
	char *dir;
	char *root; /* install root */
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->dir = tu_mkdtemp();
	w->root = tu_path(w->dir, "install");
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	tu_rmtree(w->dir);
	free(w->root);
	free(w->dir);
	free(w);
	return 0;
}

/* Packs a one-file tree whose file says text; returns an fd at offset 0. */
static int package(const struct world *w, const char *text)
{
	char *src = tu_path(w->dir, "src");
	char *pkg = tu_path(w->dir, "pkg.tar.zst");
	int fd;

	tu_rmtree(src);
	tu_write(src, "bin/app", text, strlen(text), 0755);
	fd = open(pkg, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pack_dir(src, fd, NULL), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	free(src);
	free(pkg);
	return fd;
}

static void expect_current(const struct world *w, const char *version)
{
	char got[HS_VERSION_MAX + 1];

	assert_int_equal(switch_current(w->root, "app", got, sizeof(got), NULL),
			 0);
	assert_string_equal(got, version);
}

static void install(const struct world *w, const char *version,
		    const char *text)
{
	uint64_t bytes = 0;
	int fd = package(w, text);
	struct hs_err e;

	assert_int_equal(
		install_package(w->root, "app", version, fd, &bytes, &e), 0);
	assert_int_equal(bytes, strlen(text));
	(void)close(fd);
}

static void test_install_and_switch(void **state)
{
	const struct world *w = *state;
	char cur[HS_VERSION_MAX + 1];

	assert_int_equal(switch_current(w->root, "app", cur, sizeof(cur), NULL),
			 -ENOENT);
	install(w, "1.0", "one\n");
	expect_current(w, "1.0");
	tu_assert_file(w->root, "app/current/bin/app", "one\n");
	install(w, "1.1", "one point one\n");
	expect_current(w, "1.1");
	tu_assert_file(w->root, "app/current/bin/app", "one point one\n");
	/* The previous version stays for rollback. */
	tu_assert_file(w->root, "app/1.0/bin/app", "one\n");
}

static void test_same_version_again(void **state)
{
	const struct world *w = *state;

	install(w, "1.0", "first copy\n");
	install(w, "1.0", "second copy\n");
	expect_current(w, "1.0");
	tu_assert_file(w->root, "app/current/bin/app", "second copy\n");
}

static void test_stale_staging_is_replaced(void **state)
{
	const struct world *w = *state;
	char *junk = tu_path(w->root, "app/2.0.staging");

	tu_write(junk, "half-written", "x", 1, 0644);
	install(w, "2.0", "two\n");
	tu_assert_file(w->root, "app/current/bin/app", "two\n");
	assert_int_equal(access(junk, F_OK), -1);
	free(junk);
}

static void test_failed_install_keeps_current(void **state)
{
	const struct world *w = *state;
	char *bad = tu_path(w->dir, "bad.tar.zst");
	uint64_t bytes = 0;
	struct hs_err e;
	char *staging;
	int fd;

	install(w, "1.0", "good\n");
	tu_write(w->dir, "bad.tar.zst", "not an archive", 14, 0600);
	fd = open(bad, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(install_package(w->root, "app", "1.1", fd, &bytes, &e),
			 -EBADMSG);
	(void)close(fd);
	expect_current(w, "1.0");
	tu_assert_file(w->root, "app/current/bin/app", "good\n");
	staging = tu_path(w->root, "app/1.1.staging");
	assert_int_equal(access(staging, F_OK), -1);
	free(staging);
	free(bad);
}

static void test_prune_keeps_current_and_previous(void **state)
{
	const struct world *w = *state;
	char *path;

	install(w, "1.0", "a\n");
	install(w, "1.1", "b\n");
	install(w, "1.2", "c\n");
	tu_write(w->root, "app/notes.txt", "operator's file", 15, 0644);
	assert_int_equal(install_prune(w->root, "app", "1.1", 2, NULL), 0);
	expect_current(w, "1.2");
	tu_assert_file(w->root, "app/1.1/bin/app", "b\n");
	path = tu_path(w->root, "app/1.0");
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	/* Only what haishin made is removed. */
	tu_assert_file(w->root, "app/notes.txt", "operator's file");
}

#define BIG_DIRS 200
#define BIG_FILES 20

/* app/1.0 made by hand: BIG_DIRS directories of BIG_FILES files each. */
static void big_version(const struct world *w)
{
	char name[64];

	for (int i = 0; i < BIG_DIRS; i++)
		for (int j = 0; j < BIG_FILES; j++) {
			(void)hs_snprintf(name, sizeof(name), "app/1.0/d%d/f%d",
					  i, j);
			tu_write(w->root, name, "x", 1, 0644);
		}
}

/* Links of app/1.0 (2 + its subdirectories), or 0 when it is gone. */
static nlink_t big_links(const struct world *w)
{
	char *p = tu_path(w->root, "app/1.0");
	struct stat st;
	const nlink_t n = lstat(p, &st) == 0 ? st.st_nlink : 0;

	free(p);
	return n;
}

/*
 * A prune killed while it removes app/1.0 - the moment the directory first
 * changes - never leaves a 1.0 that is there but incomplete, which a
 * rollback or a rebuilt database would take for the version.
 */
static void test_prune_killed_leaves_no_half_version(void **state)
{
	const struct world *w = *state;
	char name[64];
	char *p;
	pid_t pid;
	int status;

	install(w, "2.0", "b\n");
	install(w, "2.1", "c\n");
	big_version(w);
	assert_int_equal(big_links(w), 2 + BIG_DIRS);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(install_prune(w->root, "app", "2.0", 2, NULL) == 0 ? 0
									 : 1);
	while (big_links(w) == 2 + BIG_DIRS)
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("the prune ended without touching app/1.0");
	(void)kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (big_links(w) != 0) {
		assert_int_equal(big_links(w), 2 + BIG_DIRS);
		for (int i = 0; i < BIG_DIRS; i++) {
			(void)hs_snprintf(name, sizeof(name), "app/1.0/d%d", i);
			p = tu_path(w->root, name);
			assert_int_equal(tu_count_entries(p), BIG_FILES);
			free(p);
		}
	}
	/* What the kill left is a staging directory, which goes next time. */
	assert_int_equal(install_prune(w->root, "app", "2.0", 2, NULL), 0);
	assert_int_equal(big_links(w), 0);
	p = tu_path(w->root, "app/1.0.staging");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	expect_current(w, "2.1");
	tu_assert_file(w->root, "app/2.0/bin/app", "b\n");
}

static void test_invalid_names_refused(void **state)
{
	const struct world *w = *state;
	uint64_t bytes = 0;
	int fd = package(w, "x");

	assert_int_equal(
		install_package(w->root, "../etc", "1.0", fd, &bytes, NULL),
		-EINVAL);
	assert_int_equal(install_package(w->root, "app", "1.0.staging", fd,
					 &bytes, NULL),
			 -EINVAL);
	(void)close(fd);
}

/* Whether ROOT/app/VERSION exists. */
static bool on_disk(const struct world *w, const char *version)
{
	char name[64];
	char *path;
	bool there;

	(void)snprintf(name, sizeof(name), "app/%s", version);
	path = tu_path(w->root, name);
	there = access(path, F_OK) == 0;
	free(path);
	return there;
}

/* keep = 3: the three newest versions stay, by version order (1.10 is
 * newer than 1.9), the older ones and staging leftovers go. */
static void test_prune_keeps_the_newest(void **state)
{
	static const char *const versions[] = {"1.0", "1.8", "1.9", "1.10",
					       "1.11"};
	const struct world *w = *state;
	struct hs_err e;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(versions); i++)
		install(w, versions[i], versions[i]);
	tu_write(w->root, "app/1.12.staging/bin/app", "half", 4, 0644);
	assert_int_equal(install_prune(w->root, "app", "1.10", 3, &e), 0);
	expect_current(w, "1.11");
	assert_true(on_disk(w, "1.11"));
	assert_true(on_disk(w, "1.10"));
	assert_true(on_disk(w, "1.9"));
	assert_false(on_disk(w, "1.8"));
	assert_false(on_disk(w, "1.0"));
	assert_false(on_disk(w, "1.12.staging"));
}

/* The active and the previous version stay even when they are not among
 * the newest: after a rollback to 1.0, and after an update from an old one. */
static void test_prune_never_removes_active_or_previous(void **state)
{
	static const char *const versions[] = {"1.0", "1.1", "1.2", "1.3",
					       "1.4"};
	const struct world *w = *state;
	struct hs_err e;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(versions); i++)
		install(w, versions[i], versions[i]);
	/* Rolled back to 1.0 from 1.4. */
	assert_int_equal(install_activate(w->root, "app", "1.0", &e), 0);
	assert_int_equal(install_prune(w->root, "app", "1.4", 2, &e), 0);
	expect_current(w, "1.0");
	tu_assert_file(w->root, "app/current/bin/app", "1.0");
	assert_true(on_disk(w, "1.4"));
	assert_true(on_disk(w, "1.3"));
	assert_false(on_disk(w, "1.2"));
	assert_false(on_disk(w, "1.1"));
	/* 1.4 active, 1.0 its previous: 1.0 stays beyond keep. */
	assert_int_equal(install_activate(w->root, "app", "1.4", &e), 0);
	assert_int_equal(install_prune(w->root, "app", "1.0", 2, &e), 0);
	assert_true(on_disk(w, "1.4"));
	assert_true(on_disk(w, "1.3"));
	assert_true(on_disk(w, "1.0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_install_and_switch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_version_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_staging_is_replaced,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_failed_install_keeps_current, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_prune_keeps_current_and_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_prune_killed_leaves_no_half_version, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_invalid_names_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_keeps_the_newest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_prune_never_removes_active_or_previous, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
