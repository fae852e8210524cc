/*
 * test_delta.c - deltas: both methods round-trip on text and binary inputs
 * (empty, identical, entirely different, edited); sufdiff wins on an
 * executable whose addresses moved; output is deterministic; a tampered
 * base is refused; delta_make_best() keeps the smaller.  Corrupt and
 * hostile deltas are in test_delta_hostile.c.  Files are memfds: no
 * directory is needed.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deltautil.h"
#include "hash.h"

/*
 * Code-like bytes: short opcodes, 4-byte immediates, and 4-byte addresses
 * into the image.  The new version has EXE_INSERT bytes inserted near the
 * start, and every address past the insertion moved by EXE_INSERT: the
 * case bsdiff was made for.
 */
#define EXE_SIZE (2u * 1024 * 1024)
#define EXE_SMALL (512u * 1024)
#define EXE_INSERT 48
#define EXE_AT 4096
#define EXE_VA 0x400000u

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void gen_exe(size_t size, struct blob *base, struct blob *res)
{
	static const uint8_t ops[] = {0x55, 0x48, 0x89, 0xe5, 0xc3, 0x90,
				      0x5d, 0x41, 0x8b, 0x31, 0xc0, 0x0f};
	size_t *addr = malloc(size / 4 * sizeof(*addr));
	size_t na = 0;
	uint64_t seed = 42;
	size_t i = 0;

	assert_non_null(addr);
	*base = (struct blob){calloc(1, size + 1), size};
	assert_non_null(base->p);
	while (i + 8 < size) {
		const uint64_t k = rng_next(&seed);

		if (k % 8 < 5) {
			base->p[i++] = ops[(k >> 8) % sizeof(ops)];
		} else if (k % 8 == 7) {
			base->p[i++] = 0xb8;
			put_le32(base->p + i, (uint32_t)(k >> 40) % 256);
			i += 4;
		} else {
			base->p[i++] = k % 8 == 5 ? 0xe8 : 0xe9;
			addr[na++] = i;
			put_le32(base->p + i,
				 EXE_VA + (uint32_t)((k >> 32) % size));
			i += 4;
		}
	}
	*res = (struct blob){malloc(size + EXE_INSERT + 1), size + EXE_INSERT};
	assert_non_null(res->p);
	memcpy(res->p, base->p, EXE_AT);
	for (size_t j = 0; j < EXE_INSERT; j++)
		res->p[EXE_AT + j] = ops[rng_next(&seed) % sizeof(ops)];
	memcpy(res->p + EXE_AT + EXE_INSERT, base->p + EXE_AT, size - EXE_AT);
	for (size_t j = 0; j < na; j++) {
		uint8_t *p =
			res->p + addr[j] + (addr[j] >= EXE_AT ? EXE_INSERT : 0);
		const uint32_t v = get_le32(p);

		if (v >= EXE_VA + EXE_AT)
			put_le32(p, v + EXE_INSERT);
	}
	free(addr);
}

/* Makes, checks the info, applies, compares; returns the delta's size. */
static size_t roundtrip(enum delta_method m, const struct blob *base,
			const struct blob *res)
{
	struct blob d = dt_make(m, base, res);
	struct blob out = {NULL, 0};
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct delta_info info;
	struct hs_err e;
	const int dfd = dt_memfd(d.p, d.n);
	const size_t n = d.n;

	assert_int_equal(delta_read_info(dfd, &info, &e), 0);
	(void)close(dfd);
	assert_int_equal(info.method, m);
	assert_int_equal(info.base_size, base->n);
	assert_int_equal(info.result_size, res->n);
	assert_int_equal(hash_buf(base->p, base->n, hex, &e), 0);
	assert_string_equal(info.base_sha256, hex);
	assert_int_equal(hash_buf(res->p, res->n, hex, &e), 0);
	assert_string_equal(info.result_sha256, hex);
	tu_assert_err(dt_apply(&d, base, &out, &e), &e, 0, "");
	assert_true(blob_eq(&out, res));
	blob_free(&out);
	blob_free(&d);
	return n;
}

/* A pair of inputs for the round-trip table. */
struct pair_case {
	const char *name;
	void (*gen)(struct blob *base, struct blob *res);
};

static void gen_empty_base(struct blob *b, struct blob *r)
{
	*b = (struct blob){NULL, 0};
	*r = gen_text(50, 1);
}

static void gen_empty_result(struct blob *b, struct blob *r)
{
	*b = gen_text(50, 2);
	*r = (struct blob){NULL, 0};
}

static void gen_both_empty(struct blob *b, struct blob *r)
{
	*b = (struct blob){NULL, 0};
	*r = (struct blob){NULL, 0};
}

static void gen_one_byte(struct blob *b, struct blob *r)
{
	*b = (struct blob){NULL, 0};
	*r = (struct blob){NULL, 0};
	blob_byte(b, 'a');
	blob_byte(r, 'b');
}

static void gen_identical_text(struct blob *b, struct blob *r)
{
	*b = gen_text(2000, 3);
	*r = gen_text(2000, 3);
}

static void gen_identical_binary(struct blob *b, struct blob *r)
{
	*b = gen_random(100000, 4);
	*r = gen_random(100000, 4);
}

static void gen_different(struct blob *b, struct blob *r)
{
	*b = gen_random(70000, 5);
	*r = gen_random(90000, 6);
}

static void gen_different_text(struct blob *b, struct blob *r)
{
	*b = gen_random(20000, 7);
	*r = gen_text(1000, 8);
}

static void gen_text_edit(struct blob *b, struct blob *r)
{
	*b = gen_text(3000, 9);
	*r = edit_text(b, 10);
}

static void gen_binary_edit(struct blob *b, struct blob *r)
{
	*b = gen_random(200000, 11);
	*r = edit_binary(b, 12);
}

static void gen_truncated(struct blob *b, struct blob *r)
{
	*b = gen_text(1000, 13);
	*r = (struct blob){NULL, 0};
	blob_put(r, b->p, b->n / 3);
}

static void gen_zeros(struct blob *b, struct blob *r)
{
	*b = (struct blob){calloc(1, 300001), 300000};
	*r = (struct blob){calloc(1, 300101), 300100};
	r->p[150000] = 1;
}

static const struct pair_case pair_cases[] = {
	{"empty base", gen_empty_base},
	{"empty result", gen_empty_result},
	{"both empty", gen_both_empty},
	{"one byte", gen_one_byte},
	{"identical text", gen_identical_text},
	{"identical binary", gen_identical_binary},
	{"entirely different binary", gen_different},
	{"binary to text", gen_different_text},
	{"edited text", gen_text_edit},
	{"edited binary", gen_binary_edit},
	{"result a prefix of the base", gen_truncated},
	{"zeros", gen_zeros},
};

static void test_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < TU_ARRAY_SIZE(pair_cases); i++) {
		struct blob b;
		struct blob r;

		pair_cases[i].gen(&b, &r);
		for (int m = DELTA_ZSTD; m <= DELTA_SUFDIFF; m++) {
			const size_t n = roundtrip(m, &b, &r);

			print_message("%-28s %-7s %8zu -> %8zu: %zu bytes\n",
				      pair_cases[i].name, delta_method_name(m),
				      b.n, r.n, n);
		}
		blob_free(&b);
		blob_free(&r);
	}
}

static void test_identical_is_tiny(void **state)
{
	struct blob b = gen_random(500000, 20);

	(void)state;
	assert_true(roundtrip(DELTA_ZSTD, &b, &b) < 200);
	assert_true(roundtrip(DELTA_SUFDIFF, &b, &b) < 250);
	blob_free(&b);
}

static void test_shifted_executable(void **state)
{
	struct blob b;
	struct blob r;
	size_t zn;
	size_t sn;

	(void)state;
	gen_exe(EXE_SIZE, &b, &r);
	zn = roundtrip(DELTA_ZSTD, &b, &r);
	sn = roundtrip(DELTA_SUFDIFF, &b, &r);
	print_message("executable %zu -> %zu: zstd %zu, sufdiff %zu bytes\n",
		      b.n, r.n, zn, sn);
	assert_true(sn * 3 < zn);
	blob_free(&b);
	blob_free(&r);
}

/*
 * A zstd block longer than the 64 KiB read of the delta: new random bytes
 * in the middle of a base that is otherwise kept make blocks of about
 * 128 KiB, one of them spanning a whole read that yields no output yet.
 * That read is progress, not a truncated payload.
 */
static void test_zstd_long_blocks(void **state)
{
	struct blob b = gen_random(1u << 20, 31);
	struct blob r = {NULL, 0};

	(void)state;
	for (size_t at = 100000; at < 800000; at += 300000) {
		struct blob fresh = gen_random(160000, at);

		blob_free(&r);
		blob_put(&r, b.p, at);
		blob_put(&r, fresh.p, fresh.n);
		blob_put(&r, b.p + at + fresh.n, b.n - at - fresh.n);
		blob_free(&fresh);
		(void)roundtrip(DELTA_ZSTD, &b, &r);
	}
	blob_free(&b);
	blob_free(&r);
}

static void test_deterministic(void **state)
{
	struct blob b = gen_text(3000, 30);
	struct blob r = edit_text(&b, 31);

	(void)state;
	for (int m = DELTA_ZSTD; m <= DELTA_SUFDIFF; m++) {
		struct blob d1 = dt_make(m, &b, &r);
		struct blob d2 = dt_make(m, &b, &r);

		assert_true(blob_eq(&d1, &d2));
		blob_free(&d1);
		blob_free(&d2);
	}
	blob_free(&b);
	blob_free(&r);
}

/* Both sizes, and best's choice: the smaller, zstd on a tie. */
static void check_best(const struct blob *b, const struct blob *r,
		       enum delta_method want)
{
	struct blob z = dt_make(DELTA_ZSTD, b, r);
	struct blob s = dt_make(DELTA_SUFDIFF, b, r);
	enum delta_method m = 0;
	struct blob best = dt_make_best(b, r, &m);
	struct blob again = dt_make_best(b, r, NULL);

	print_message("best of zstd %zu, sufdiff %zu: %s\n", z.n, s.n,
		      delta_method_name(m));
	assert_int_equal(m, want);
	assert_true(blob_eq(&best, m == DELTA_ZSTD ? &z : &s));
	assert_true(blob_eq(&best, &again));
	blob_free(&z);
	blob_free(&s);
	blob_free(&best);
	blob_free(&again);
}

static void test_make_best(void **state)
{
	struct blob b;
	struct blob r;

	(void)state;
	gen_exe(EXE_SMALL, &b, &r);
	check_best(&b, &r, DELTA_SUFDIFF);
	blob_free(&b);
	blob_free(&r);
	/* Text with every line rewritten: sufdiff's entries cost more. */
	b = gen_text(4000, 40);
	r = gen_text(4000, 41);
	check_best(&b, &r, DELTA_ZSTD);
	blob_free(&b);
	blob_free(&r);
}

static void test_tampered_base(void **state)
{
	struct blob b = gen_text(500, 50);
	struct blob r = edit_text(&b, 51);
	struct hs_err e;

	(void)state;
	for (int m = DELTA_ZSTD; m <= DELTA_SUFDIFF; m++) {
		struct blob d = dt_make(m, &b, &r);
		struct blob shorter = {b.p, b.n - 1};

		b.p[b.n / 2] ^= 1;
		tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, -ESTALE,
			      "base does not match the delta: SHA-256");
		b.p[b.n / 2] ^= 1;
		tu_assert_err(dt_apply(&d, &shorter, NULL, &e), &e, -ESTALE,
			      "base does not match the delta");
		blob_free(&d);
	}
	blob_free(&b);
	blob_free(&r);
}

static void test_bad_fds(void **state)
{
	struct blob b = gen_text(10, 90);
	struct blob d = dt_make(DELTA_SUFDIFF, &b, &b);
	const int bfd = dt_memfd(b.p, b.n);
	const int dfd = dt_memfd(d.p, d.n);
	const int full = dt_memfd("x", 1);
	int pipefd[2];
	struct hs_err e;

	(void)state;
	tu_assert_err(delta_apply(dfd, bfd, full, &e), &e, -EINVAL,
		      "not an empty regular file");
	assert_int_equal(pipe(pipefd), 0);
	tu_assert_err(delta_make(DELTA_ZSTD, pipefd[0], bfd, full, &e), &e,
		      -EINVAL, "base: not a regular file");
	tu_assert_err(delta_make(9, bfd, bfd, full, &e), &e, -EINVAL,
		      "unknown method 9");
	(void)close(pipefd[0]);
	(void)close(pipefd[1]);
	(void)close(bfd);
	(void)close(dfd);
	(void)close(full);
	blob_free(&d);
	blob_free(&b);
}

static void test_method_names(void **state)
{
	enum delta_method m;

	(void)state;
	assert_string_equal(delta_method_name(DELTA_ZSTD), "zstd");
	assert_string_equal(delta_method_name(DELTA_SUFDIFF), "sufdiff");
	assert_null(delta_method_name(0));
	assert_int_equal(delta_method_parse("sufdiff", &m), 0);
	assert_int_equal(m, DELTA_SUFDIFF);
	assert_int_equal(delta_method_parse("zstd", &m), 0);
	assert_int_equal(m, DELTA_ZSTD);
	assert_int_equal(delta_method_parse("bsdiff", &m), -EINVAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_identical_is_tiny),
		cmocka_unit_test(test_shifted_executable),
		cmocka_unit_test(test_zstd_long_blocks),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_make_best),
		cmocka_unit_test(test_tampered_base),
		cmocka_unit_test(test_bad_fds),
	};

	if (argc > 1) /* test_delta NAME: only the tests matching NAME */
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
