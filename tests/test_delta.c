/*
 * test_delta.c - deltas: both methods round-trip on text and binary inputs
 * (empty, identical, entirely different, edited); sufdiff wins on an
 * executable whose addresses moved; output is deterministic; a tampered
 * base, every flipped byte, every truncation and a table of hand-made
 * hostile deltas are refused with -EBADMSG and a message naming the fault;
 * delta_make_best() keeps the smaller.  Files are memfds: no directory is
 * needed.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta.h"
#include "hash.h"
#include "hs_err.h"
#include "hs_limits.h"

/* Offsets in a delta (docs/delta.md). */
#define OFF_METHOD 8
#define OFF_BASE_SIZE 9
#define OFF_RESULT_SIZE 49
#define HDR_SIZE 89
#define OFF_FORM 89
#define OFF_STREAM(i) (90 + 17 * (i))
#define SD_HEAD_END (90 + 3 * 17)

struct blob {
	uint8_t *p;
	size_t n;
};

static void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

static void blob_put(struct blob *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	assert_non_null(b->p);
	if (n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void blob_byte(struct blob *b, uint8_t c)
{
	blob_put(b, &c, 1);
}

static void blob_varint(struct blob *b, uint64_t v)
{
	while (v >= 0x80) {
		blob_byte(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	blob_byte(b, (uint8_t)v);
}

static uint64_t zigzag(int64_t v)
{
	return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* xorshift64*: the same bytes on every run. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static struct blob gen_random(size_t n, uint64_t seed)
{
	struct blob b = {malloc(n + 1), n};

	assert_non_null(b.p);
	for (size_t i = 0; i < n; i++)
		b.p[i] = (uint8_t)(rng_next(&seed) >> 56);
	return b;
}

static const char *const words[] = {
	"delta", "package", "version", "update", "install", "verify",
	"base",	 "result",  "stream",  "zstd",	 "lzma",    "suffix",
	"array", "control", "extra",   "add",	 "seek",    "haishin",
	"const", "return",  "struct",  "int",	 "size_t",  "function",
};

/* Lines of words: n lines from seed. */
static struct blob gen_text(size_t lines, uint64_t seed)
{
	struct blob b = {NULL, 0};

	for (size_t l = 0; l < lines; l++) {
		const size_t nw = 3 + rng_next(&seed) % 8;

		for (size_t w = 0; w < nw; w++) {
			const char *s =
				words[rng_next(&seed) % TU_ARRAY_SIZE(words)];

			blob_put(&b, s, strlen(s));
			blob_byte(&b, w + 1 < nw ? ' ' : '\n');
		}
	}
	return b;
}

/* base with every 40th line replaced, some removed, a block inserted. */
static struct blob edit_text(const struct blob *base, uint64_t seed)
{
	struct blob r = {NULL, 0};
	size_t line = 0;
	size_t i = 0;

	while (i < base->n) {
		const uint8_t *nl = memchr(base->p + i, '\n', base->n - i);
		const size_t end =
			nl != NULL ? (size_t)(nl - base->p) + 1 : base->n;

		if (line % 40 == 7) {
			struct blob t = gen_text(1, seed + line);

			blob_put(&r, t.p, t.n);
			blob_free(&t);
		} else if (line % 97 != 3) {
			blob_put(&r, base->p + i, end - i);
		}
		if (line == 100) {
			struct blob t = gen_text(30, seed);

			blob_put(&r, t.p, t.n);
			blob_free(&t);
		}
		line++;
		i = end;
	}
	return r;
}

/* base with a few bytes changed, a block inserted and one removed. */
static struct blob edit_binary(const struct blob *base, uint64_t seed)
{
	struct blob r = {NULL, 0};
	struct blob ins = gen_random(300, seed);
	const size_t cut = base->n / 2;

	blob_put(&r, base->p, cut);
	blob_put(&r, ins.p, ins.n);
	blob_put(&r, base->p + cut + 200, base->n - cut - 200);
	for (size_t i = 17; i < r.n; i += 997)
		r.p[i] ^= 0x5a;
	blob_free(&ins);
	return r;
}

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

/* A memfd holding p[0, n), its offset at 0. */
static int mfd(const void *p, size_t n)
{
	const int fd = memfd_create("test-delta", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (n > 0)
		assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static struct blob fd_read_all(int fd)
{
	struct stat st;
	struct blob b;

	assert_int_equal(fstat(fd, &st), 0);
	b.n = (size_t)st.st_size;
	b.p = malloc(b.n + 1);
	assert_non_null(b.p);
	assert_int_equal(pread(fd, b.p, b.n, 0), (ssize_t)b.n);
	return b;
}

static struct blob make(enum delta_method m, const struct blob *base,
			const struct blob *res)
{
	const int bfd = mfd(base->p, base->n);
	const int rfd = mfd(res->p, res->n);
	const int ofd = mfd(NULL, 0);
	struct hs_err e;
	struct blob d;
	int r;

	hs_err_clear(&e);
	r = delta_make(m, bfd, rfd, ofd, &e);
	tu_assert_err(r, &e, 0, "");
	d = fd_read_all(ofd);
	(void)close(bfd);
	(void)close(rfd);
	(void)close(ofd);
	return d;
}

static struct blob make_best(const struct blob *base, const struct blob *res,
			     enum delta_method *ret_m)
{
	const int bfd = mfd(base->p, base->n);
	const int rfd = mfd(res->p, res->n);
	const int ofd = mfd(NULL, 0);
	struct hs_err e;
	struct blob d;
	int r;

	hs_err_clear(&e);
	r = delta_make_best(bfd, rfd, ofd, ret_m, &e);
	tu_assert_err(r, &e, 0, "");
	d = fd_read_all(ofd);
	(void)close(bfd);
	(void)close(rfd);
	(void)close(ofd);
	return d;
}

/* Applies d to base; on success *ret_out (may be NULL) holds the result. */
static int apply(const struct blob *d, const struct blob *base,
		 struct blob *ret_out, struct hs_err *e)
{
	const int dfd = mfd(d->p, d->n);
	const int bfd = mfd(base->p, base->n);
	const int ofd = mfd(NULL, 0);
	int r;

	hs_err_clear(e);
	r = delta_apply(dfd, bfd, ofd, e);
	if (r == 0 && ret_out != NULL)
		*ret_out = fd_read_all(ofd);
	(void)close(dfd);
	(void)close(bfd);
	(void)close(ofd);
	return r;
}

static bool blob_eq(const struct blob *a, const struct blob *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Makes, checks the info, applies, compares; returns the delta's size. */
static size_t roundtrip(enum delta_method m, const struct blob *base,
			const struct blob *res)
{
	struct blob d = make(m, base, res);
	struct blob out = {NULL, 0};
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct delta_info info;
	struct hs_err e;
	const int dfd = mfd(d.p, d.n);
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
	tu_assert_err(apply(&d, base, &out, &e), &e, 0, "");
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

static void test_deterministic(void **state)
{
	struct blob b = gen_text(3000, 30);
	struct blob r = edit_text(&b, 31);

	(void)state;
	for (int m = DELTA_ZSTD; m <= DELTA_SUFDIFF; m++) {
		struct blob d1 = make(m, &b, &r);
		struct blob d2 = make(m, &b, &r);

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
	struct blob z = make(DELTA_ZSTD, b, r);
	struct blob s = make(DELTA_SUFDIFF, b, r);
	enum delta_method m = 0;
	struct blob best = make_best(b, r, &m);
	struct blob again = make_best(b, r, NULL);

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
		struct blob d = make(m, &b, &r);
		struct blob shorter = {b.p, b.n - 1};

		b.p[b.n / 2] ^= 1;
		tu_assert_err(apply(&d, &b, NULL, &e), &e, -EBADMSG,
			      "base does not match the delta: SHA-256");
		b.p[b.n / 2] ^= 1;
		tu_assert_err(apply(&d, &shorter, NULL, &e), &e, -EBADMSG,
			      "base does not match the delta");
		blob_free(&d);
	}
	blob_free(&b);
	blob_free(&r);
}

/*
 * Every byte of a delta flipped (two ways), and every truncation: refused
 * with -EBADMSG, or (a flip that changes nothing that matters) the right
 * result.  Under ASan this is the corrupt-input test.
 */
static void check_corruptions(const struct blob *d, const struct blob *b,
			      const struct blob *r)
{
	static const uint8_t flips[] = {0x01, 0x80};
	size_t refused = 0;
	size_t bad = 0;
	struct hs_err e;

	for (size_t i = 0; i < d->n; i++) {
		for (size_t f = 0; f < sizeof(flips); f++) {
			struct blob out = {NULL, 0};
			int rc;

			d->p[i] ^= flips[f];
			rc = apply(d, b, &out, &e);
			d->p[i] ^= flips[f];
			if (rc == -EBADMSG && e.msg[0] != '\0')
				refused++;
			else if (rc != 0 || !blob_eq(&out, r))
				tu_report_bad(&bad, "flip %zu^%02x: %d %s", i,
					      flips[f], rc, e.msg);
			blob_free(&out);
		}
	}
	for (size_t n = 0; n < d->n; n++) {
		const struct blob cut = {d->p, n};

		if (apply(&cut, b, NULL, &e) != -EBADMSG)
			tu_report_bad(&bad, "cut at %zu: %s", n, e.msg);
	}
	assert_int_equal(bad, 0);
	assert_true(refused + 8 >= 2 * d->n);
}

static void test_corrupt(void **state)
{
	struct blob b = gen_text(300, 60);
	struct blob r = edit_text(&b, 61);

	(void)state;
	blob_put(&r, "tail of new material 0123456789", 31);
	for (int m = DELTA_ZSTD; m <= DELTA_SUFDIFF; m++) {
		struct blob d = make(m, &b, &r);

		print_message("%s delta of %zu bytes\n", delta_method_name(m),
			      d.n);
		check_corruptions(&d, &b, &r);
		blob_free(&d);
	}
	blob_free(&b);
	blob_free(&r);
}

/* A flipped byte in the middle of each compressed stream of sufdiff. */
static void test_corrupt_streams(void **state)
{
	struct blob b = gen_random(100000, 70);
	struct blob r = edit_binary(&b, 71);
	struct blob d;
	size_t off = SD_HEAD_END;
	struct hs_err e;

	(void)state;
	d = make(DELTA_SUFDIFF, &b, &r);
	for (int i = 0; i < 3; i++) {
		const uint8_t *h = d.p + OFF_STREAM(i);
		uint64_t comp = 0;

		for (int k = 7; k >= 0; k--)
			comp = comp << 8 | h[1 + k];
		print_message("stream %d: codec %u, %llu bytes\n", i, h[0],
			      (unsigned long long)comp);
		assert_true(off + comp <= d.n);
		if (comp == 0)
			continue;
		d.p[off + comp / 2] ^= 0x10;
		tu_assert_err(apply(&d, &b, NULL, &e), &e, -EBADMSG, "delta: ");
		d.p[off + comp / 2] ^= 0x10;
		off += comp;
	}
	assert_int_equal(off, d.n);
	tu_assert_err(apply(&d, &b, NULL, &e), &e, 0, "");
	blob_free(&d);
	blob_free(&b);
	blob_free(&r);
}

static void test_bad_header(void **state)
{
	struct blob b = gen_text(100, 80);
	struct blob r = edit_text(&b, 81);
	struct blob d = make(DELTA_ZSTD, &b, &r);
	struct blob longer = {NULL, 0};
	struct delta_info info;
	struct hs_err e;
	int fd;

	(void)state;
	d.p[0] ^= 0x20;
	tu_assert_err(apply(&d, &b, NULL, &e), &e, -EBADMSG, "bad magic");
	fd = mfd(d.p, d.n);
	tu_assert_err(delta_read_info(fd, &info, &e), &e, -EBADMSG,
		      "bad magic");
	(void)close(fd);
	d.p[0] ^= 0x20;
	d.p[OFF_METHOD] = 3;
	tu_assert_err(apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "unknown method 3");
	d.p[OFF_METHOD] = DELTA_ZSTD;
	put_u64(d.p + OFF_RESULT_SIZE, HS_PACKAGE_MAX_BYTES + 1);
	tu_assert_err(apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "declared result size");
	put_u64(d.p + OFF_RESULT_SIZE, r.n + 1);
	tu_assert_err(apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "does not declare the header's result size");
	put_u64(d.p + OFF_RESULT_SIZE, r.n);
	put_u64(d.p + OFF_BASE_SIZE, HS_PACKAGE_MAX_BYTES + 1);
	tu_assert_err(apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "declared base size");
	put_u64(d.p + OFF_BASE_SIZE, b.n);
	blob_put(&longer, d.p, d.n);
	blob_byte(&longer, 0);
	tu_assert_err(apply(&longer, &b, NULL, &e), &e, -EBADMSG,
		      "bytes after its frame");
	tu_assert_err(apply(&d, &b, NULL, &e), &e, 0, "");
	blob_free(&longer);
	blob_free(&d);
	blob_free(&b);
	blob_free(&r);
}

/* Stream of a hand-made sufdiff delta: stored raw unless codec is set. */
struct hstream {
	uint8_t codec;
	struct blob bytes;
	uint64_t raw_len; /* 0: bytes.n */
};

/* The base and result every hostile delta claims. */
static const char hostile_base[] = "0123456789abcdef0123456789abcdef"
				   "0123456789abcdef0123456789abcdef";
static const char hostile_result[] = "0123456789ABCDEF";

static void sha_raw(const void *p, size_t n, uint8_t out[32])
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e;

	assert_int_equal(hash_buf(p, n, hex, &e), 0);
	for (int i = 0; i < 32; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static struct blob hostile_build(uint8_t form, struct hstream s[3])
{
	struct blob d = {NULL, 0};
	uint8_t h[HDR_SIZE];

	memcpy(h, "HSDELTA1", 8);
	h[OFF_METHOD] = DELTA_SUFDIFF;
	put_u64(h + OFF_BASE_SIZE, sizeof(hostile_base) - 1);
	sha_raw(hostile_base, sizeof(hostile_base) - 1, h + 17);
	put_u64(h + OFF_RESULT_SIZE, sizeof(hostile_result) - 1);
	sha_raw(hostile_result, sizeof(hostile_result) - 1, h + 57);
	blob_put(&d, h, sizeof(h));
	blob_byte(&d, form);
	for (int i = 0; i < 3; i++) {
		uint8_t sh[17];

		sh[0] = s[i].codec;
		put_u64(sh + 1, s[i].bytes.n);
		put_u64(sh + 9,
			s[i].raw_len != 0 ? s[i].raw_len : s[i].bytes.n);
		blob_put(&d, sh, sizeof(sh));
	}
	for (int i = 0; i < 3; i++)
		blob_put(&d, s[i].bytes.p, s[i].bytes.n);
	return d;
}

/* One row: the control entries and streams, and the expected message. */
struct hostile {
	const char *name;
	uint8_t form;
	int64_t first; /* the first base offset */
	uint64_t ents[4][3]; /* add, extra, seek (zigzag applied): 0 ends */
	size_t n_ents;
	size_t diff_n; /* zero difference bytes (dense) */
	size_t extra_n; /* extra bytes */
	const char *sparse; /* sparse difference stream bytes, or NULL */
	size_t sparse_n;
	uint8_t ctrl_codec;
	const char *ctrl_raw; /* control bytes as given, or NULL */
	size_t ctrl_raw_n;
	int patch; /* see hostile_patch() */
	const char *want;
};

enum {
	P_NONE,
	P_HUGE_RESULT,
	P_OVER_LIMIT,
	P_CTRL_PAST_END,
	P_TRAILING,
	P_RAW_MISMATCH,
	P_FORM,
	P_CODEC,
};

static void hostile_patch(struct blob *d, int patch)
{
	switch (patch) {
	case P_HUGE_RESULT:
		put_u64(d->p + OFF_RESULT_SIZE, HS_PACKAGE_MAX_BYTES);
		break;
	case P_OVER_LIMIT:
		put_u64(d->p + OFF_RESULT_SIZE, HS_PACKAGE_MAX_BYTES + 1);
		break;
	case P_CTRL_PAST_END:
		put_u64(d->p + OFF_STREAM(0) + 1, d->n);
		put_u64(d->p + OFF_STREAM(0) + 9, d->n);
		break;
	case P_TRAILING:
		blob_byte(d, 0);
		break;
	case P_RAW_MISMATCH:
		put_u64(d->p + OFF_STREAM(2) + 9, 1);
		break;
	case P_FORM:
		d->p[OFF_FORM] = 5;
		break;
	case P_CODEC:
		d->p[OFF_STREAM(1)] = 7;
		break;
	default:
		break;
	}
}

/* clang-format off */
static const struct hostile hostiles[] = {
	{"first seek past the base", 0, 100, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "seeks outside the base"},
	{"negative first seek", 0, -1, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "seeks outside the base"},
	{"seek before the base", 0, 0, {{8, 0, 1 + 2 * 20}, {8, 0, 0}}, 2,
	 16, 0, NULL, 0, 0, NULL, 0, P_NONE, "entry 1 seeks outside the base"},
	{"add reads past the base", 0, 60, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "entry 1 reads outside the base"},
	{"add past the result", 0, 0, {{32, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "add of 32 bytes goes past the result"},
	{"extra past the result", 0, 0, {{8, 16, 0}}, 1, 8, 8, NULL, 0,
	 0, NULL, 0, P_NONE, "extra of 16 bytes goes past the result"},
	{"entry making nothing", 0, 0, {{0, 0, 0}, {16, 0, 0}}, 2, 16, 0,
	 NULL, 0, 0, NULL, 0, P_NONE, "entry 1 makes no bytes"},
	{"control after the last entry", 0, 0, {{16, 0, 0}, {1, 0, 0}}, 2, 16,
	 0, NULL, 0, 0, NULL, 0, P_NONE, "after the last entry"},
	{"control ends inside an entry", 0, 0, {{0}}, 0, 16, 0, NULL, 0,
	 0, "\x00\x10", 2, P_NONE, "control stream ends inside a number"},
	{"control number too large", 0, 0, {{0}}, 0, 16, 0, NULL, 0, 0,
	 "\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, P_NONE,
	 "number too large"},
	{"streams disagree with the result", 0, 0, {{16, 0, 0}}, 1, 10, 10,
	 NULL, 0, 0, NULL, 0, P_NONE, "difference and extra streams declare"},
	{"difference stream too short", 0, 0, {{16, 0, 0}}, 1, 8, 8,
	 NULL, 0, 0, NULL, 0, P_NONE, "more than the difference stream"},
	{"extra stream unused", 1, 0, {{16, 0, 0}}, 1, 0, 8, NULL, 0,
	 0, NULL, 0, P_NONE, "extra stream has 8 bytes the control does not use"},
	{"huge declared result", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_HUGE_RESULT, "difference and extra streams declare"},
	{"result over the limit", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_OVER_LIMIT, "declared result size 4294967297 exceeds"},
	{"stream past the end", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_CTRL_PAST_END, "control stream is truncated"},
	{"bytes after the streams", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_TRAILING, "1 bytes after its streams"},
	{"raw lengths disagree", 0, 0, {{8, 8, 0}}, 1, 8, 8, NULL, 0,
	 0, NULL, 0, P_RAW_MISMATCH, "raw extra stream stores 8 bytes"},
	{"unknown form", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_FORM, "unknown difference form 5"},
	{"unknown codec", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_CODEC, "difference stream: unknown codec 7"},
	{"sparse run past the adds", 1, 0, {{8, 8, 0}}, 1, 0, 8,
	 "\x0c\x05", 2, 0, NULL, 0, P_NONE, "describes bytes past the last add"},
	{"sparse pair past the adds", 1, 0, {{16, 0, 0}}, 1, 0, 0,
	 "\x10\x05", 2, 0, NULL, 0, P_NONE, "describes bytes past the last add"},
	{"sparse zero value", 1, 0, {{16, 0, 0}}, 1, 0, 0,
	 "\x00\x00", 2, 0, NULL, 0, P_NONE, "zero value in sparse form"},
	{"sparse huge run", 1, 0, {{16, 0, 0}}, 1, 0, 0,
	 "\xff\xff\xff\xff\x0f\x05", 6, 0, NULL, 0, P_NONE, "run of"},
	{"LZMA2 dictionary too large", 0, 0, {{0}}, 0, 16, 0, NULL, 0,
	 2, "\x28\x00", 2, P_NONE, "LZMA2 dictionary over"},
	{"corrupt zstd control", 0, 0, {{0}}, 0, 16, 0, NULL, 0,
	 1, "\x28\xb5\x2f\xfd\x00\x00\x00", 7, P_NONE, "control stream"},
	{"wrong result", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "result does not match"},
};
/* clang-format on */

static struct blob hostile_delta(const struct hostile *h)
{
	struct hstream s[3] = {
		{0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}};
	struct blob d;

	s[0].codec = h->ctrl_codec;
	if (h->ctrl_raw != NULL) {
		blob_put(&s[0].bytes, h->ctrl_raw, h->ctrl_raw_n);
	} else {
		blob_varint(&s[0].bytes, zigzag(h->first));
		for (size_t i = 0; i < h->n_ents; i++)
			for (int k = 0; k < 3; k++)
				blob_varint(&s[0].bytes, h->ents[i][k]);
	}
	if (h->sparse != NULL)
		blob_put(&s[1].bytes, h->sparse, h->sparse_n);
	for (size_t i = 0; i < h->diff_n; i++)
		blob_byte(&s[1].bytes, 0);
	for (size_t i = 0; i < h->extra_n; i++)
		blob_byte(&s[2].bytes, 'x');
	if (h->ctrl_codec != 0)
		s[0].raw_len = 16;
	d = hostile_build(h->form, s);
	hostile_patch(&d, h->patch);
	for (int i = 0; i < 3; i++)
		blob_free(&s[i].bytes);
	return d;
}

static void test_hostile(void **state)
{
	const struct blob base = {(uint8_t *)hostile_base,
				  sizeof(hostile_base) - 1};
	size_t bad = 0;
	struct hs_err e;

	(void)state;
	for (size_t i = 0; i < TU_ARRAY_SIZE(hostiles); i++) {
		struct blob d = hostile_delta(&hostiles[i]);
		const int r = apply(&d, &base, NULL, &e);

		(void)tu_check_err(&bad, hostiles[i].name, r, &e, -EBADMSG,
				   hostiles[i].want);
		blob_free(&d);
	}
	assert_int_equal(bad, 0);
}

/* The same hand-made layout, correct, applies: the table tests the checks. */
static void test_hostile_baseline(void **state)
{
	const struct blob base = {(uint8_t *)hostile_base,
				  sizeof(hostile_base) - 1};
	struct hstream s[3] = {
		{0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}};
	struct blob out = {NULL, 0};
	struct hs_err e;
	struct blob d;

	(void)state;
	/* 10 bytes from offset 0, then "ABCDEF" as 'A'-'a' over "abcdef". */
	blob_varint(&s[0].bytes, zigzag(0));
	blob_varint(&s[0].bytes, 16);
	blob_varint(&s[0].bytes, 0);
	blob_varint(&s[0].bytes, 0);
	for (int i = 0; i < 6; i++) {
		blob_varint(&s[1].bytes, i == 0 ? 10 : 0);
		blob_byte(&s[1].bytes, (uint8_t)('A' - 'a'));
	}
	d = hostile_build(1, s);
	tu_assert_err(apply(&d, &base, &out, &e), &e, 0, "");
	assert_int_equal(out.n, 16);
	assert_memory_equal(out.p, hostile_result, 16);
	blob_free(&out);
	blob_free(&d);
	for (int i = 0; i < 3; i++)
		blob_free(&s[i].bytes);
}

static void test_bad_fds(void **state)
{
	struct blob b = gen_text(10, 90);
	struct blob d = make(DELTA_SUFDIFF, &b, &b);
	const int bfd = mfd(b.p, b.n);
	const int dfd = mfd(d.p, d.n);
	const int full = mfd("x", 1);
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
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_make_best),
		cmocka_unit_test(test_tampered_base),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_corrupt_streams),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_hostile_baseline),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bad_fds),
	};

	if (argc > 1) /* test_delta NAME: only the tests matching NAME */
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
