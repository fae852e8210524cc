/*
 * test_bundle.c - the bundle format (pkg/bundle.h): a bundle written from
 * a repository's files unpacks to the same files beside its marker; member
 * names that are not plain paths are refused; nothing is left behind when a
 * bundle is not finished; an archive without the marker, or with another
 * marker or format, is not a bundle.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "pack.h"

static const char *const members[] = {
	"1.root.json",
	"root.json",
	"manifest.json",
	"packages/app/0123.tar.zst",
};

/* Fails the test with e's message unless r is 0. */
#define assert_ok(r, e)                                   \
	do {                                              \
		if ((r) != 0)                             \
			fail_msg("%s: %s", #r, (e)->msg); \
	} while (0)

/* A repository's files under dir/repo, each holding its own name. */
static char *make_repo(const char *dir)
{
	char *repo = tu_path(dir, "repo");
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(members); i++)
		tu_write(repo, members[i], members[i], strlen(members[i]),
			 0644);
	tu_write(repo, "index.json", "{}", 2, 0644);
	return repo;
}

/* Unpacks the bundle at path into the new directory dir/name. */
static int unpack_to(const char *path, const char *dir, const char *name,
		     struct hs_err *e)
{
	char *dest = tu_path(dir, name);
	int fd;
	int r;

	assert_int_equal(mkdir(dest, 0700), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	hs_err_clear(e);
	r = bundle_unpack(fd, dest, e);
	assert_int_equal(close(fd), 0);
	free(dest);
	return r;
}

static void test_round_trip(void **state)
{
	const char *dir = *state;
	char *repo = make_repo(dir);
	char *out = tu_path(dir, "site.bundle");
	char *got = tu_path(dir, "got");
	struct bundle_writer *w = NULL;
	struct hs_err e;
	size_t i;

	assert_int_equal(bundle_writer_new(out, &w, &e), 0);
	for (i = 0; i < TU_ARRAY_SIZE(members); i++)
		assert_ok(bundle_writer_add(w, repo, members[i], &e), &e);
	assert_ok(bundle_writer_finish(w, &e), &e);
	assert_int_equal(bundle_writer_close(w, &e), 0);
	/* The stage is gone: the repository and the bundle remain. */
	assert_int_equal(tu_count_entries(dir), 2);
	assert_int_equal(tu_mode(dir, "site.bundle"), 0644);
	/* The repository keeps its files. */
	tu_assert_file(repo, "packages/app/0123.tar.zst",
		       "packages/app/0123.tar.zst");

	assert_ok(unpack_to(out, dir, "got", &e), &e);
	for (i = 0; i < TU_ARRAY_SIZE(members); i++)
		tu_assert_file(got, members[i], members[i]);
	tu_assert_file(got, BUNDLE_MARKER,
		       "{\"_type\": \"bundle\", \"format\": 1}\n");
	/* Only what was added: the marker, 3 files and packages/. */
	assert_int_equal(tu_count_entries(got), 5);
	free(got);
	free(out);
	free(repo);
}

static void test_member_names(void **state)
{
	static const char *const bad[] = {
		"",	"/etc/passwd", "../root.json", "a/../b", "./root.json",
		"a//b", "packages/",   BUNDLE_MARKER,
	};
	const char *dir = *state;
	char *repo = make_repo(dir);
	char *out = tu_path(dir, "site.bundle");
	struct bundle_writer *w = NULL;
	struct hs_err e;
	size_t n_bad = 0;
	size_t i;

	assert_int_equal(bundle_writer_new(out, &w, &e), 0);
	for (i = 0; i < TU_ARRAY_SIZE(bad); i++) {
		hs_err_clear(&e);
		(void)tu_check_err(&n_bad, bad[i],
				   bundle_writer_add(w, repo, bad[i], &e), &e,
				   -EINVAL, "cannot be a member of a bundle");
	}
	assert_int_equal(n_bad, 0);
	/* A member that is not in the repository, and one added twice. */
	tu_assert_err(bundle_writer_add(w, repo, "2.root.json", &e), &e,
		      -ENOENT, "cannot take");
	assert_ok(bundle_writer_add(w, repo, "root.json", &e), &e);
	tu_assert_err(bundle_writer_add(w, repo, "root.json", &e), &e, -EEXIST,
		      "cannot take");
	/* Closed before it was finished: no bundle, no stage. */
	assert_int_equal(bundle_writer_close(w, &e), 0);
	assert_int_equal(tu_count_entries(dir), 1);
	assert_int_equal(bundle_writer_close(NULL, &e), 0);
	free(out);
	free(repo);
}

/* Packs dir/tree, holding name with text (or nothing for NULL), as a
 * package; returns its path. */
static char *pack_tree(const char *dir, const char *name, const char *text)
{
	char *tree = tu_path(dir, "tree");
	char *out = tu_path(dir, "archive.tar.zst");
	struct hs_err e;
	int fd;

	tu_rmtree(tree);
	tu_write(tree, "root.json", "{}", 2, 0644);
	if (text != NULL)
		tu_write(tree, name, text, strlen(text), 0644);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_ok(pack_dir(tree, fd, &e), &e);
	assert_int_equal(close(fd), 0);
	free(tree);
	return out;
}

static void test_not_a_bundle(void **state)
{
	static const struct {
		const char *text; /* the marker, or NULL for none */
		const char *want;
	} rows[] = {
		{NULL, "not a haishin bundle: no haishin-bundle.json in it"},
		{"{\"_type\": \"package\", \"format\": 1}",
		 "haishin-bundle.json is not a bundle marker"},
		{"not json", "haishin-bundle.json is not a bundle marker"},
		{"{\"_type\": \"bundle\", \"format\": 2}",
		 "bundle format 2 is not 1: made by a newer haishin-publish?"},
	};
	const char *dir = *state;
	struct hs_err e;
	char name[32];
	size_t bad = 0;
	size_t i;
	char *path;

	for (i = 0; i < TU_ARRAY_SIZE(rows); i++) {
		path = pack_tree(dir, BUNDLE_MARKER, rows[i].text);
		(void)snprintf(name, sizeof(name), "got%zu", i);
		(void)tu_check_err(&bad, rows[i].want,
				   unpack_to(path, dir, name, &e), &e, -EBADMSG,
				   rows[i].want);
		free(path);
	}
	assert_int_equal(bad, 0);
}

/* A marker larger than BUNDLE_MARKER_MAX is not read. */
static void test_marker_cap(void **state)
{
	static const char good[] = "{\"_type\": \"bundle\", \"format\": 1}";
	const char *dir = *state;
	char *big = malloc(BUNDLE_MARKER_MAX + 2);
	struct hs_err e;
	char *path;

	assert_non_null(big);
	memset(big, ' ', BUNDLE_MARKER_MAX + 1);
	memcpy(big, good, strlen(good));
	big[BUNDLE_MARKER_MAX + 1] = '\0';
	path = pack_tree(dir, BUNDLE_MARKER, big);
	tu_assert_err(unpack_to(path, dir, "got", &e), &e, -EBADMSG,
		      "no haishin-bundle.json in it");
	free(path);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_dir_test(test_round_trip),
		tu_dir_test(test_member_names),
		tu_dir_test(test_not_a_bundle),
		tu_dir_test(test_marker_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
