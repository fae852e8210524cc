/*
 * test_hash.c - SHA-256: known vectors, pieces equal one shot, files.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"

struct vector {
	const char *in;
	const char *hex;
};

static const struct vector vectors[] = {
	{"",
	 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc",
	 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

/* SHA-256 of one million 'a' (FIPS 180-2). */
#define MILLION_A_HEX \
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define MILLION 1000000

static void test_vectors(void **state)
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(vectors); i++) {
		hs_err_clear(&e);
		assert_int_equal(
			hash_buf(vectors[i].in, strlen(vectors[i].in), hex, &e),
			0);
		assert_string_equal(hex, vectors[i].hex);
	}
}

static void test_pieces_equal_one_shot(void **state)
{
	static const size_t steps[] = {1, 7, 4096, 3, 131072, 65537, 0, 13};
	char one[HASH_SHA256_HEX_LEN + 1];
	char pieces[HASH_SHA256_HEX_LEN + 1];
	struct hash *h = NULL;
	struct hs_err e;
	char *buf = malloc(MILLION);
	size_t off = 0;
	size_t i = 0;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', MILLION);
	assert_int_equal(hash_buf(buf, MILLION, one, &e), 0);
	assert_string_equal(one, MILLION_A_HEX);

	assert_int_equal(hash_new(&h, &e), 0);
	while (off < MILLION) {
		size_t n = steps[i++ % TU_ARRAY_SIZE(steps)];

		if (n > MILLION - off)
			n = MILLION - off;
		assert_int_equal(hash_update(h, buf + off, n, &e), 0);
		off += n;
	}
	assert_int_equal(hash_final_hex(h, pieces, &e), 0);
	hash_free(h);
	assert_string_equal(pieces, one);
	free(buf);
}

static void test_free_null(void **state)
{
	(void)state;
	hash_free(NULL);
}

/* A file larger than hash_fd's buffer, hashed from offset 0 and from 3. */
static void test_fd(void **state)
{
	const size_t n = 300 * 1024 + 5;
	char want[HASH_SHA256_HEX_LEN + 1];
	char got[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e;
	uint64_t size = 0;
	char *dir = tu_mkdtemp();
	char *path = tu_path(dir, "blob");
	uint8_t *buf = malloc(n);
	size_t i;
	int fd;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 31 + i / 7);
	tu_write(dir, "blob", buf, n, 0644);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);

	assert_int_equal(hash_buf(buf, n, want, &e), 0);
	assert_int_equal(hash_fd(fd, got, &size, &e), 0);
	assert_string_equal(got, want);
	assert_int_equal(size, n);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)n);

	/* From the current offset, not from the start. */
	assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
	assert_int_equal(hash_buf(buf + 3, n - 3, want, &e), 0);
	assert_int_equal(hash_fd(fd, got, &size, &e), 0);
	assert_string_equal(got, want);
	assert_int_equal(size, n - 3);

	/* At the end: the hash of nothing. */
	assert_int_equal(hash_fd(fd, got, &size, &e), 0);
	assert_string_equal(got, vectors[0].hex);
	assert_int_equal(size, 0);

	assert_int_equal(close(fd), 0);
	free(buf);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

static void test_fd_error(void **state)
{
	char hex[HASH_SHA256_HEX_LEN + 1] = "untouched";
	struct hs_err e;
	uint64_t size = 42;
	char *dir = tu_mkdtemp();
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	hs_err_clear(&e);
	assert_int_equal(hash_fd(fd, hex, &size, &e), -EISDIR);
	assert_int_equal(e.code, -EISDIR);
	assert_true(strlen(e.msg) > 0);
	/* Out-parameters are written only on success. */
	assert_string_equal(hex, "untouched");
	assert_int_equal(size, 42);
	assert_int_equal(close(fd), 0);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_pieces_equal_one_shot),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_fd),
		cmocka_unit_test(test_fd_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
