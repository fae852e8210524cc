/*
 * deltautil.c - the delta tests' shared helpers (deltautil.h).
 */
#include "deltautil.h"

#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

void blob_put(struct blob *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	assert_non_null(b->p);
	if (n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

void blob_byte(struct blob *b, uint8_t c)
{
	blob_put(b, &c, 1);
}

void blob_varint(struct blob *b, uint64_t v)
{
	while (v >= 0x80) {
		blob_byte(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	blob_byte(b, (uint8_t)v);
}

uint64_t zigzag(int64_t v)
{
	return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* xorshift64*: the same bytes on every run. */
uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

struct blob gen_random(size_t n, uint64_t seed)
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
struct blob gen_text(size_t lines, uint64_t seed)
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
struct blob edit_text(const struct blob *base, uint64_t seed)
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
struct blob edit_binary(const struct blob *base, uint64_t seed)
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

/* A memfd holding p[0, n), its offset at 0. */
int dt_memfd(const void *p, size_t n)
{
	const int fd = memfd_create("test-delta", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (n > 0)
		assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

struct blob dt_read_all(int fd)
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

/* delta_make(m), or delta_make_best() when m is 0; fails the test on error. */
static struct blob dt_make_with(enum delta_method m, const struct blob *base,
				const struct blob *res,
				enum delta_method *ret_m)
{
	const int bfd = dt_memfd(base->p, base->n);
	const int rfd = dt_memfd(res->p, res->n);
	const int ofd = dt_memfd(NULL, 0);
	struct hs_err e;
	struct blob d;
	int r;

	hs_err_clear(&e);
	r = m != 0 ? delta_make(m, bfd, rfd, ofd, &e)
		   : delta_make_best(bfd, rfd, ofd, ret_m, &e);
	tu_assert_err(r, &e, 0, "");
	d = dt_read_all(ofd);
	(void)close(bfd);
	(void)close(rfd);
	(void)close(ofd);
	return d;
}

struct blob dt_make(enum delta_method m, const struct blob *base,
		    const struct blob *res)
{
	return dt_make_with(m, base, res, NULL);
}

struct blob dt_make_best(const struct blob *base, const struct blob *res,
			 enum delta_method *ret_m)
{
	return dt_make_with(0, base, res, ret_m);
}

/* Applies d to base; on success *ret_out (may be NULL) holds the result. */
int dt_apply(const struct blob *d, const struct blob *base,
	     struct blob *ret_out, struct hs_err *e)
{
	const int dfd = dt_memfd(d->p, d->n);
	const int bfd = dt_memfd(base->p, base->n);
	const int ofd = dt_memfd(NULL, 0);
	int r;

	hs_err_clear(e);
	r = delta_apply(dfd, bfd, ofd, e);
	if (r == 0 && ret_out != NULL)
		*ret_out = dt_read_all(ofd);
	(void)close(dfd);
	(void)close(bfd);
	(void)close(ofd);
	return r;
}

bool blob_eq(const struct blob *a, const struct blob *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}
