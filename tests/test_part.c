/*
 * test_part.c - the part file: creation without truncation, the running
 * SHA-256 against one-shot hashes, resume and reset, truncation to the
 * hashed size, symlinks refused, and what discard and free leave behind.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "part.h"

/* Bigger than part.c's read chunk (256 KiB), so a resume reads in pieces. */
#define BIG_SIZE (700u * 1024 + 13)

static uint8_t *make_content(size_t n)
{
	uint8_t *buf = malloc(n);
	uint32_t x = 12345;
	size_t i;

	assert_non_null(buf);
	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	return buf;
}

static struct part *open_part(const char *dir, const char *name)
{
	struct part *p = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	tu_assert_err(part_open(dir, name, &p, &e), &e, 0, "");
	assert_non_null(p);
	return p;
}

/* Appends n bytes in uneven pieces. */
static void append_pieces(struct part *p, const uint8_t *buf, size_t n)
{
	static const size_t steps[] = {1, 4096, 0, 7, 65536, 300000, 3};
	size_t off = 0;
	size_t i = 0;

	while (off < n) {
		size_t k = steps[i++ % TU_ARRAY_SIZE(steps)];

		if (k > n - off)
			k = n - off;
		assert_int_equal(part_append(p, buf + off, k), 0);
		off += k;
	}
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static bool file_exists(const char *dir, const char *name)
{
	char *path = tu_path(dir, name);
	struct stat st;
	const int r = lstat(path, &st);

	free(path);
	return r == 0;
}

/* Fails unless the file at path holds exactly buf[0..n). */
static void assert_file_bytes(const char *path, const uint8_t *buf, size_t n)
{
	size_t got_n = 0;
	uint8_t *got = tu_read(path, &got_n);

	assert_int_equal(got_n, n);
	assert_memory_equal(got, buf, n);
	free(got);
}

/* Ends p's hash and fails unless it is the SHA-256 of buf[0..n). */
static void assert_digest(struct part *p, const uint8_t *buf, size_t n)
{
	char want[HASH_SHA256_HEX_LEN + 1];
	char got[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(hash_buf(buf, n, want, &e), 0);
	tu_assert_err(part_digest(p, got, &e), &e, 0, "");
	assert_string_equal(got, want);
}

static void test_open_creates(void **state)
{
	const char *dir = *state;
	char *path = tu_path(dir, "app.part");
	const mode_t old = umask(0);
	struct part *p = open_part(dir, "app");

	(void)umask(old);
	assert_string_equal(part_path(p), path);
	assert_true(file_exists(dir, "app.part"));
	assert_int_equal(tu_mode(dir, "app.part"), 0600);
	assert_int_equal(file_size(path), 0);
	assert_true(part_size(p) == 0);
	assert_true(part_fd(p) >= 0);
	part_free(p);
	free(path);
}

static void test_open_keeps_existing(void **state)
{
	static const char old[] = "bytes from an earlier run";
	const char *dir = *state;
	struct part *p;

	tu_write(dir, "app.part", old, strlen(old), 0600);
	p = open_part(dir, "app");
	assert_true(part_size(p) == 0);
	tu_assert_file(dir, "app.part", old);
	part_free(p);
	tu_assert_file(dir, "app.part", old);
}

static void test_open_errors(void **state)
{
	const char *dir = *state;
	char *missing = tu_path(dir, "no/such/dir");
	char name[PATH_MAX + 16];
	struct part *p = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	tu_assert_err(part_open(missing, "app", &p, &e), &e, -ENOENT,
		      "app.part");
	assert_null(p);

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	hs_err_clear(&e);
	tu_assert_err(part_open(dir, name, &p, &e), &e, -ENAMETOOLONG, "");
	assert_null(p);
	assert_int_equal(tu_count_entries(dir), 0);
	free(missing);
}

static void test_open_refuses_symlink(void **state)
{
	static const char secret[] = "not to be touched";
	const char *dir = *state;
	char *target = tu_path(dir, "target");
	char *link = tu_path(dir, "app.part");
	char *nowhere = tu_path(dir, "nowhere");
	char *dangling = tu_path(dir, "ghost.part");
	struct part *p = NULL;
	struct hs_err e;

	tu_write(dir, "target", secret, strlen(secret), 0644);
	assert_int_equal(symlink(target, link), 0);
	hs_err_clear(&e);
	tu_assert_err(part_open(dir, "app", &p, &e), &e, -ELOOP, "app.part");
	assert_null(p);
	tu_assert_file(dir, "target", secret);
	assert_int_equal(tu_mode(dir, "target"), 0644);

	/* A dangling link does not create its target either. */
	assert_int_equal(symlink(nowhere, dangling), 0);
	hs_err_clear(&e);
	tu_assert_err(part_open(dir, "ghost", &p, &e), &e, -ELOOP,
		      "ghost.part");
	assert_null(p);
	assert_false(file_exists(dir, "nowhere"));
	free(dangling);
	free(nowhere);
	free(link);
	free(target);
}

static void test_append_digest(void **state)
{
	const char *dir = *state;
	uint8_t *buf = make_content(BIG_SIZE);
	struct part *p = open_part(dir, "app");
	struct hs_err e;

	append_pieces(p, buf, BIG_SIZE);
	assert_true(part_size(p) == BIG_SIZE);
	hs_err_clear(&e);
	tu_assert_err(part_sync(p, &e), &e, 0, "");
	assert_file_bytes(part_path(p), buf, BIG_SIZE);
	assert_digest(p, buf, BIG_SIZE);
	assert_file_bytes(part_path(p), buf, BIG_SIZE);
	part_free(p);
	free(buf);
}

static void test_digest_empty(void **state)
{
	const char *dir = *state;
	struct part *p = open_part(dir, "app");

	assert_digest(p, (const uint8_t *)"", 0);
	part_free(p);
}

/* Offsets to resume at: the edges, and around the read chunk. */
static const uint64_t resume_offsets[] = {
	0,
	1,
	4096,
	256 * 1024 - 1,
	256 * 1024,
	256 * 1024 + 1,
	300001,
	512 * 1024,
	BIG_SIZE - 1,
	BIG_SIZE,
};

static void test_resume(void **state)
{
	const char *dir = *state;
	uint8_t *buf = make_content(BIG_SIZE);
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(resume_offsets); i++) {
		const uint64_t off = resume_offsets[i];
		struct part *p = open_part(dir, "app");
		uint64_t kept = UINT64_MAX;
		struct hs_err e;

		/* A whole earlier run, then a crash: the file stays. */
		append_pieces(p, buf, BIG_SIZE);
		part_free(p);

		p = open_part(dir, "app");
		hs_err_clear(&e);
		tu_assert_err(part_resume(p, off, &kept, &e), &e, 0, "");
		assert_true(kept == off);
		assert_true(part_size(p) == off);
		assert_true(file_size(part_path(p)) == off);
		assert_file_bytes(part_path(p), buf, (size_t)off);

		/* The hash goes on from the kept bytes. */
		append_pieces(p, buf + off, BIG_SIZE - (size_t)off);
		assert_digest(p, buf, BIG_SIZE);
		assert_file_bytes(part_path(p), buf, BIG_SIZE);
		part_discard(p);
	}
	free(buf);
}

/* What is hashed on resume is what is on disk, not what was written. */
static void test_resume_hashes_disk(void **state)
{
	static const char disk[] = "0123456789abcdef";
	const char *dir = *state;
	struct part *p = open_part(dir, "app");
	uint64_t kept = 0;
	struct hs_err e;

	assert_int_equal(part_append(p, (const uint8_t *)"XXXXXXXXXX", 10), 0);
	tu_write(dir, "app.part", disk, strlen(disk), 0600);
	hs_err_clear(&e);
	tu_assert_err(part_resume(p, 10, &kept, &e), &e, 0, "");
	assert_true(kept == 10);
	assert_int_equal(part_append(p, (const uint8_t *)"tail", 4), 0);
	assert_digest(p, (const uint8_t *)"0123456789tail", 14);
	tu_assert_file(dir, "app.part", "0123456789tail");
	part_free(p);
}

static void test_resume_beyond_end(void **state)
{
	static const char old[] = "0123456789";
	const char *dir = *state;
	struct part *p;
	uint64_t kept = UINT64_MAX;
	struct hs_err e;

	tu_write(dir, "app.part", old, 10, 0600);
	p = open_part(dir, "app");
	hs_err_clear(&e);
	tu_assert_err(part_resume(p, 11, &kept, &e), &e, 0, "");
	assert_true(kept == 0);
	assert_true(part_size(p) == 0);
	assert_true(file_size(part_path(p)) == 0);
	assert_int_equal(part_append(p, (const uint8_t *)"abc", 3), 0);
	assert_digest(p, (const uint8_t *)"abc", 3);
	tu_assert_file(dir, "app.part", "abc");
	part_free(p);
}

static void test_reset(void **state)
{
	const char *dir = *state;
	uint8_t *buf = make_content(BIG_SIZE);
	struct part *p = open_part(dir, "app");
	struct hs_err e;

	append_pieces(p, buf, BIG_SIZE);
	hs_err_clear(&e);
	tu_assert_err(part_reset(p, &e), &e, 0, "");
	assert_true(part_size(p) == 0);
	assert_true(file_size(part_path(p)) == 0);
	assert_int_equal(part_append(p, (const uint8_t *)"xyz", 3), 0);
	assert_digest(p, (const uint8_t *)"xyz", 3);

	/* After a digest, a reset starts a new hash. */
	tu_assert_err(part_reset(p, &e), &e, 0, "");
	assert_true(part_size(p) == 0);
	assert_true(file_size(part_path(p)) == 0);
	assert_int_equal(part_append(p, buf, 1000), 0);
	assert_digest(p, buf, 1000);
	assert_file_bytes(part_path(p), buf, 1000);
	part_free(p);
	free(buf);
}

/* Bytes written behind the handle's back after its end are cut off. */
static void test_digest_truncates(void **state)
{
	static const char garbage[] = "garbage written behind the handle";
	const char *dir = *state;
	struct part *p = open_part(dir, "app");
	int fd;

	assert_int_equal(part_append(p, (const uint8_t *)"hello", 5), 0);
	fd = open(part_path(p), O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, garbage, strlen(garbage), 5),
			 (ssize_t)strlen(garbage));
	assert_int_equal(pwrite(fd, "x", 1, 100000), 1);
	assert_int_equal(close(fd), 0);
	assert_true(file_size(part_path(p)) > 5);

	assert_digest(p, (const uint8_t *)"hello", 5);
	assert_true(file_size(part_path(p)) == part_size(p));
	tu_assert_file(dir, "app.part", "hello");
	part_free(p);
}

/* Opened over a longer file, appends start at 0 and the rest is cut. */
static void test_open_then_append_overwrites(void **state)
{
	static const char old[] = "0123456789";
	const char *dir = *state;
	struct part *p;

	tu_write(dir, "app.part", old, strlen(old), 0600);
	p = open_part(dir, "app");
	assert_int_equal(part_append(p, (const uint8_t *)"ab", 2), 0);
	assert_digest(p, (const uint8_t *)"ab", 2);
	tu_assert_file(dir, "app.part", "ab");
	part_free(p);
}

static void test_fd_reads_back(void **state)
{
	const char *dir = *state;
	uint8_t *buf = make_content(BIG_SIZE);
	uint8_t *got = malloc(BIG_SIZE + 1);
	struct part *p = open_part(dir, "app");
	size_t done = 0;
	ssize_t n;

	assert_non_null(got);
	append_pieces(p, buf, BIG_SIZE);
	assert_digest(p, buf, BIG_SIZE);
	assert_int_equal(lseek(part_fd(p), 0, SEEK_SET), 0);
	do {
		n = read(part_fd(p), got + done, BIG_SIZE + 1 - done);
		assert_true(n >= 0);
		done += (size_t)n;
	} while (n > 0 && done <= BIG_SIZE);
	assert_int_equal(done, BIG_SIZE);
	assert_memory_equal(got, buf, BIG_SIZE);
	part_free(p);
	free(got);
	free(buf);
}

static void test_discard_removes(void **state)
{
	const char *dir = *state;
	struct part *p = open_part(dir, "app");

	assert_int_equal(part_append(p, (const uint8_t *)"data", 4), 0);
	assert_true(file_exists(dir, "app.part"));
	part_discard(p);
	assert_false(file_exists(dir, "app.part"));
	assert_int_equal(tu_count_entries(dir), 0);
	part_discard(NULL);
}

static void test_free_keeps(void **state)
{
	const char *dir = *state;
	struct part *p = open_part(dir, "app");

	assert_int_equal(part_append(p, (const uint8_t *)"data", 4), 0);
	part_free(p);
	tu_assert_file(dir, "app.part", "data");
	assert_int_equal(tu_count_entries(dir), 1);
	part_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_dir_test(test_open_creates),
		tu_dir_test(test_open_keeps_existing),
		tu_dir_test(test_open_errors),
		tu_dir_test(test_open_refuses_symlink),
		tu_dir_test(test_append_digest),
		tu_dir_test(test_digest_empty),
		tu_dir_test(test_resume),
		tu_dir_test(test_resume_hashes_disk),
		tu_dir_test(test_resume_beyond_end),
		tu_dir_test(test_reset),
		tu_dir_test(test_digest_truncates),
		tu_dir_test(test_open_then_append_overwrites),
		tu_dir_test(test_fd_reads_back),
		tu_dir_test(test_discard_removes),
		tu_dir_test(test_free_keeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
