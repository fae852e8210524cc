/*
 * deltautil.h - what the delta tests share: byte blobs, deterministic
 * text, binary and edit generators, memfds, and delta_make() /
 * delta_apply() on blobs.
 */
#ifndef HAISHIN_TESTS_DELTAUTIL_H
#define HAISHIN_TESTS_DELTAUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delta.h"
#include "hs_err.h"

/* Offsets in a delta (docs/delta.md). */
#define OFF_METHOD 8
#define OFF_BASE_SIZE 9
#define OFF_RESULT_SIZE 49
#define HDR_SIZE 89
#define OFF_FORM 89
#define OFF_STREAM(i) (90 + 17 * (i))
#define SD_HEAD_END (90 + 3 * 17)

/* Bytes on the heap, one spare byte past n so that n == 0 still allocates. */
struct blob {
	uint8_t *p;
	size_t n;
};

void blob_free(struct blob *b);
void blob_put(struct blob *b, const void *p, size_t n);
void blob_byte(struct blob *b, uint8_t c);
void blob_varint(struct blob *b, uint64_t v);
bool blob_eq(const struct blob *a, const struct blob *b);
uint64_t zigzag(int64_t v);
void put_u64(uint8_t *p, uint64_t v);

/* xorshift64*: the same bytes on every run. */
uint64_t rng_next(uint64_t *s);
struct blob gen_random(size_t n, uint64_t seed);
/* Lines of words: n lines from seed. */
struct blob gen_text(size_t lines, uint64_t seed);
/* base with every 40th line replaced, some removed, a block inserted. */
struct blob edit_text(const struct blob *base, uint64_t seed);
/* base with a few bytes changed, a block inserted and one removed. */
struct blob edit_binary(const struct blob *base, uint64_t seed);

/* A memfd holding p[0, n), its offset at 0. */
int dt_memfd(const void *p, size_t n);
struct blob dt_read_all(int fd);
/* delta_make(m) of base to res; the test fails if it fails. */
struct blob dt_make(enum delta_method m, const struct blob *base,
		    const struct blob *res);
/* delta_make_best(); *ret_m (may be NULL) gets the method kept. */
struct blob dt_make_best(const struct blob *base, const struct blob *res,
			 enum delta_method *ret_m);
/* Applies d to base; on success *ret_out (may be NULL) holds the result. */
int dt_apply(const struct blob *d, const struct blob *base,
	     struct blob *ret_out, struct hs_err *e);

#endif
