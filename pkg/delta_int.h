/*
 * delta_int.h - what the files of the delta module share, and nothing
 * outside pkg/ includes: the header layout, mapped inputs, whole writes and
 * reads, the two methods, and sufdiff's stream codecs.  delta.h is the
 * module's interface; docs/delta.md describes the bytes.
 */
#ifndef HAISHIN_DELTA_INT_H
#define HAISHIN_DELTA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delta.h"
#include "hash.h"
#include "hs_err.h"

#define DELTA_MAGIC "HSDELTA1"
#define DELTA_MAGIC_LEN 8
/* magic, method byte, base size and SHA-256, result size and SHA-256 */
#define DELTA_HDR_SIZE \
	(DELTA_MAGIC_LEN + 1 + 8 + HASH_SHA256_LEN + 8 + HASH_SHA256_LEN)

/* Buffer size of every streamed read and write. */
#define DELTA_IO_BUF (64u * 1024)

struct delta_hdr {
	uint8_t method;
	uint64_t base_size;
	uint8_t base_sha[HASH_SHA256_LEN];
	uint64_t result_size;
	uint8_t result_sha[HASH_SHA256_LEN];
};

/* A regular file mapped read-only; an empty file has p == NULL. */
struct delta_map {
	const uint8_t *p;
	size_t n;
};

/*
 * Maps fd whole (what names it in errors).  -EINVAL for a file that is not
 * regular, -EFBIG above HS_PACKAGE_MAX_BYTES.  delta_unmap() undoes it and
 * accepts a zeroed map.
 */
int delta_map_fd(int fd, const char *what, struct delta_map *ret,
		 struct hs_err *e);
void delta_unmap(struct delta_map *m);

/* write() until all n bytes are out; what names fd in errors. */
int delta_write_all(int fd, const void *p, size_t n, const char *what,
		    struct hs_err *e);

/*
 * pread() of up to n bytes at off; *ret_n is short only at the end of the
 * file.
 */
int delta_pread(int fd, void *p, size_t n, uint64_t off, size_t *ret_n,
		struct hs_err *e);

/* Little-endian fields. */
void delta_put_u64(uint8_t *p, uint64_t v);
uint64_t delta_get_u64(const uint8_t *p);

/*
 * The methods.  make writes the payload (what follows the header) to out_fd.
 * apply gets the checked header and the checked base, reads the payload at
 * [DELTA_HDR_SIZE, delta_size) of delta_fd, writes the result to out_fd and
 * returns its SHA-256 in hex; delta.c compares it with the header's.
 */
int delta_zstd_make(const struct delta_map *base, const struct delta_map *res,
		    int out_fd, struct hs_err *e);
int delta_zstd_apply(const struct delta_hdr *h, int delta_fd,
		     uint64_t delta_size, const struct delta_map *base,
		     int out_fd, char ret_hex[static HASH_SHA256_HEX_LEN + 1],
		     struct hs_err *e);

/* The largest base sufdiff makes deltas from (32-bit suffix array). */
#define SUFDIFF_BASE_MAX ((uint64_t)INT32_MAX - 1)

/* The forms of the difference stream (sufdiff.c). */
#define SUFDIFF_DENSE 0
#define SUFDIFF_SPARSE 1

int sufdiff_make(const struct delta_map *base, const struct delta_map *res,
		 int out_fd, struct hs_err *e);
int sufdiff_apply(const struct delta_hdr *h, int delta_fd, uint64_t delta_size,
		  const struct delta_map *base, int out_fd,
		  char ret_hex[static HASH_SHA256_HEX_LEN + 1],
		  struct hs_err *e);

/*
 * sufdiff's streams (delta_stream.c).  Each is stored raw or compressed as a
 * whole; its header gives the codec and both lengths.
 */
enum ds_codec {
	DS_RAW = 0,
	DS_ZSTD = 1,
	DS_LZMA2 = 2,
};

#define DS_HDR_SIZE (1 + 8 + 8)

/*
 * The largest window (zstd) or dictionary (LZMA2) a stream may need: it
 * bounds the memory of applying (three streams at most).
 */
#define DS_WINDOW_LOG 23
#define DS_WINDOW_MAX ((uint64_t)1 << DS_WINDOW_LOG)

struct ds_hdr {
	uint8_t codec;
	uint64_t comp_len;
	uint64_t raw_len;
};

void ds_hdr_put(uint8_t p[static DS_HDR_SIZE], const struct ds_hdr *h);
void ds_hdr_get(const uint8_t p[static DS_HDR_SIZE], struct ds_hdr *h);

/* A growing byte buffer. */
struct ds_buf {
	uint8_t *p;
	size_t n;
	size_t cap;
};

int ds_buf_put(struct ds_buf *b, const void *p, size_t n, struct hs_err *e);
void ds_buf_free(struct ds_buf *b);

/*
 * Compresses raw with every codec (zstd --ultra -22; LZMA2 at preset 9e, and
 * again with lc = lp = pb = 0, which suits the difference stream's bytes)
 * and keeps the smallest, or raw when nothing is smaller: *ret_hdr
 * describes it and *ret_out holds its bytes (the caller frees ret_out with
 * ds_buf_free()).  For DS_RAW, *ret_out stays empty and the caller writes
 * raw itself.
 */
int ds_compress_best(const struct ds_buf *raw, struct ds_hdr *ret_hdr,
		     struct ds_buf *ret_out, struct hs_err *e);

/*
 * Reads one stream incrementally from [off, off + comp_len) of fd through
 * buffers of DELTA_IO_BUF bytes; name ("control", ...) names it in errors.
 */
struct ds_reader;

int ds_reader_new(int fd, uint64_t off, const struct ds_hdr *h,
		  const char *name, struct ds_reader **ret_r, struct hs_err *e);

/* Reads exactly n bytes; -EBADMSG when the stream ends first or is corrupt. */
int ds_read(struct ds_reader *r, void *p, size_t n, struct hs_err *e);

/*
 * Reads one byte; returns 1 and sets *ret_c, 0 at the stream's end, or a
 * negative errno.
 */
int ds_read_byte(struct ds_reader *r, uint8_t *ret_c, struct hs_err *e);

/*
 * Checks that the stream was read exactly to its end: all its raw bytes, and
 * its compressed bytes ending where its codec ends.  -EBADMSG otherwise.
 */
int ds_reader_finish(struct ds_reader *r, struct hs_err *e);

void ds_reader_free(struct ds_reader *r);

#endif
