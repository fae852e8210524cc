/*
 * delta_stream.c - sufdiff's three streams: each kept raw or compressed by
 * zstd or LZMA2, whichever is smallest, and read back incrementally.
 *
 * A stream is described by its header (codec, compressed length, raw
 * length).  DS_ZSTD is one zstd frame; DS_LZMA2 is one LZMA2 properties byte
 * then a raw LZMA2 stream (no .xz container: the header already gives the
 * lengths, and the container would cost some 60 bytes a stream).
 *
 * Reading holds one input and one output buffer of DELTA_IO_BUF bytes and
 * the decoder, whose window is at most DS_WINDOW_MAX: a stream asking for
 * more is refused before anything is allocated for it.  Every byte is
 * accounted for: a stream that ends before its raw length, goes past it, or
 * leaves compressed bytes after its codec's end is refused, naming it.
 */
#include <lzma.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "delta_int.h"

/* zstd --ultra -22 for the streams, their window capped at DS_WINDOW_LOG. */
#define DS_ZSTD_LEVEL 22

void ds_hdr_put(uint8_t p[static DS_HDR_SIZE], const struct ds_hdr *h)
{
	p[0] = h->codec;
	delta_put_u64(p + 1, h->comp_len);
	delta_put_u64(p + 9, h->raw_len);
}

void ds_hdr_get(const uint8_t p[static DS_HDR_SIZE], struct ds_hdr *h)
{
	h->codec = p[0];
	h->comp_len = delta_get_u64(p + 1);
	h->raw_len = delta_get_u64(p + 9);
}

int ds_buf_put(struct ds_buf *b, const void *p, size_t n, struct hs_err *e)
{
	if (n > b->cap - b->n) {
		size_t cap = b->cap > 0 ? b->cap : 4096;
		uint8_t *q;

		while (cap - b->n < n) {
			if (cap > SIZE_MAX / 2)
				return hs_err_set(e, -ENOMEM,
						  "delta: buffer too large");
			cap *= 2;
		}
		q = realloc(b->p, cap);
		if (q == NULL)
			return hs_err_set(e, -ENOMEM, "delta: out of memory");
		b->p = q;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

void ds_buf_free(struct ds_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
	b->cap = 0;
}

/*
 * Compresses raw into out (capacity cap) with zstd.  Returns 1 when the
 * result fits in cap, 0 when it does not, or a negative errno.
 */
static int ds_zstd_try(const struct ds_buf *raw, uint8_t *out, size_t cap,
		       size_t *ret_n, struct hs_err *e)
{
	ZSTD_CCtx *c;
	size_t z;

	c = ZSTD_createCCtx();
	if (c == NULL)
		return hs_err_set(e, -ENOMEM, "delta: out of memory");
	z = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, DS_ZSTD_LEVEL);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, DS_WINDOW_LOG);
	if (!ZSTD_isError(z))
		z = ZSTD_compress2(c, out, cap, raw->p, raw->n);
	ZSTD_freeCCtx(c);
	if (ZSTD_getErrorCode(z) == ZSTD_error_dstSize_tooSmall)
		return 0;
	if (ZSTD_isError(z))
		return hs_err_set(e, -EIO, "delta: zstd: %s",
				  ZSTD_getErrorName(z));
	*ret_n = z;
	return 1;
}

/* The same with LZMA2 at preset 9e; lc0 sets lc = lp = pb = 0. */
static int ds_lzma2_try(const struct ds_buf *raw, bool lc0, uint8_t *out,
			size_t cap, size_t *ret_n, struct hs_err *e)
{
	lzma_options_lzma opt;
	lzma_filter f[2];
	size_t pos = 1;
	lzma_ret ret;

	if (cap < 1)
		return 0;
	if (lzma_lzma_preset(&opt, 9 | LZMA_PRESET_EXTREME))
		return hs_err_set(e, -EIO, "delta: lzma: no preset 9e");
	if (opt.dict_size > raw->n)
		opt.dict_size = raw->n < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN
							    : (uint32_t)raw->n;
	if (opt.dict_size > DS_WINDOW_MAX)
		opt.dict_size = (uint32_t)DS_WINDOW_MAX;
	if (lc0) {
		opt.lc = 0;
		opt.lp = 0;
		opt.pb = 0;
	}
	f[0].id = LZMA_FILTER_LZMA2;
	f[0].options = &opt;
	f[1].id = LZMA_VLI_UNKNOWN;
	f[1].options = NULL;
	ret = lzma_properties_encode(&f[0], out);
	if (ret != LZMA_OK)
		return hs_err_set(e, -EIO, "delta: lzma: properties (%d)",
				  (int)ret);
	ret = lzma_raw_buffer_encode(f, NULL, raw->p, raw->n, out, &pos, cap);
	if (ret == LZMA_BUF_ERROR)
		return 0;
	if (ret != LZMA_OK)
		return hs_err_set(e, -EIO, "delta: lzma: encoding failed (%d)",
				  (int)ret);
	*ret_n = pos;
	return 1;
}

int ds_compress_best(const struct ds_buf *raw, struct ds_hdr *ret_hdr,
		     struct ds_buf *ret_out, struct hs_err *e)
{
	struct ds_hdr best = {DS_RAW, raw->n, raw->n};
	uint8_t *keep = NULL;
	uint8_t *try = NULL;
	size_t n = 0;
	int r = 0;

	if (raw->n < 2)
		goto out_done; /* nothing compresses below one byte */
	keep = malloc(raw->n);
	try = malloc(raw->n);
	if (keep == NULL || try == NULL) {
		r = hs_err_set(e, -ENOMEM, "delta: out of memory");
		goto out_free;
	}
	/* zstd, LZMA2, LZMA2 with lc = lp = pb = 0: the first smallest wins. */
	for (int i = 0; i < 3; i++) {
		const size_t cap = (size_t)best.comp_len - 1;
		uint8_t *t;

		if (i == 0)
			r = ds_zstd_try(raw, try, cap, &n, e);
		else
			r = ds_lzma2_try(raw, i == 2, try, cap, &n, e);
		if (r < 0)
			goto out_free;
		if (r == 0)
			continue;
		best.codec = i == 0 ? DS_ZSTD : DS_LZMA2;
		best.comp_len = n;
		t = keep;
		keep = try;
		try = t;
	}
	r = 0;
out_done:
	*ret_hdr = best;
	ret_out->p = best.codec == DS_RAW ? NULL : keep;
	ret_out->n = best.codec == DS_RAW ? 0 : (size_t)best.comp_len;
	ret_out->cap = ret_out->n;
	if (best.codec != DS_RAW)
		keep = NULL;
out_free:
	free(try);
	free(keep);
	return r;
}

struct ds_reader {
	const char *name;
	int fd;
	uint8_t codec;
	uint64_t off; /* next compressed byte to read from the file */
	uint64_t end; /* the stream's end in the file */
	uint64_t raw_len; /* declared */
	uint64_t raw_made; /* raw bytes decoded so far */
	uint64_t raw_given; /* raw bytes handed to the caller */
	bool ended; /* the codec reached its end */
	ZSTD_DCtx *z;
	lzma_stream lz;
	bool lz_ready;
	size_t in_pos;
	size_t in_len;
	size_t out_pos;
	size_t out_len;
	uint8_t in[DELTA_IO_BUF];
	uint8_t out[DELTA_IO_BUF];
};

static int ds_reader_lzma2(struct ds_reader *r, struct hs_err *e)
{
	lzma_filter f[2] = {{LZMA_FILTER_LZMA2, NULL},
			    {LZMA_VLI_UNKNOWN, NULL}};
	uint8_t props;
	size_t n;
	lzma_ret ret;
	int err;

	if (r->end - r->off < 1)
		return hs_err_set(
			e, -EBADMSG,
			"delta: %s stream is empty where LZMA2 needs its properties",
			r->name);
	err = delta_pread(r->fd, &props, 1, r->off, &n, e);
	if (err < 0)
		return err;
	if (n != 1)
		return hs_err_set(e, -EBADMSG, "delta: %s stream is truncated",
				  r->name);
	r->off++;
	ret = lzma_properties_decode(&f[0], NULL, &props, 1);
	if (ret != LZMA_OK)
		return hs_err_set(e, -EBADMSG,
				  "delta: %s stream: bad LZMA2 properties",
				  r->name);
	if (((lzma_options_lzma *)f[0].options)->dict_size > DS_WINDOW_MAX) {
		free(f[0].options);
		return hs_err_set(
			e, -EBADMSG,
			"delta: %s stream: LZMA2 dictionary over %" PRIu64
			" bytes",
			r->name, DS_WINDOW_MAX);
	}
	ret = lzma_raw_decoder(&r->lz, f);
	free(f[0].options);
	if (ret != LZMA_OK)
		return hs_err_set(e, ret == LZMA_MEM_ERROR ? -ENOMEM : -EIO,
				  "delta: %s stream: LZMA2 decoder (%d)",
				  r->name, (int)ret);
	r->lz_ready = true;
	return 0;
}

static int ds_reader_zstd(struct ds_reader *r, struct hs_err *e)
{
	size_t z;

	r->z = ZSTD_createDCtx();
	if (r->z == NULL)
		return hs_err_set(e, -ENOMEM, "delta: out of memory");
	z = ZSTD_DCtx_setParameter(r->z, ZSTD_d_windowLogMax, DS_WINDOW_LOG);
	if (ZSTD_isError(z))
		return hs_err_set(e, -EIO, "delta: %s stream: zstd: %s",
				  r->name, ZSTD_getErrorName(z));
	return 0;
}

int ds_reader_new(int fd, uint64_t off, const struct ds_hdr *h,
		  const char *name, struct ds_reader **ret_r, struct hs_err *e)
{
	const lzma_stream lz_init = LZMA_STREAM_INIT;
	struct ds_reader *r;
	int err = 0;

	r = malloc(sizeof(*r));
	if (r == NULL)
		return hs_err_set(e, -ENOMEM, "delta: out of memory");
	memset(r, 0, offsetof(struct ds_reader, in));
	r->lz = lz_init;
	r->name = name;
	r->fd = fd;
	r->codec = h->codec;
	r->off = off;
	r->end = off + h->comp_len;
	r->raw_len = h->raw_len;
	if (h->codec == DS_ZSTD)
		err = ds_reader_zstd(r, e);
	else if (h->codec == DS_LZMA2)
		err = ds_reader_lzma2(r, e);
	if (err < 0) {
		ds_reader_free(r);
		return err;
	}
	*ret_r = r;
	return 0;
}

void ds_reader_free(struct ds_reader *r)
{
	if (r == NULL)
		return;
	ZSTD_freeDCtx(r->z);
	if (r->lz_ready)
		lzma_end(&r->lz);
	free(r);
}

static int ds_refill_in(struct ds_reader *r, struct hs_err *e)
{
	const uint64_t left = r->end - r->off;
	const size_t want = left < DELTA_IO_BUF ? (size_t)left : DELTA_IO_BUF;
	size_t n;
	int err;

	err = delta_pread(r->fd, r->in, want, r->off, &n, e);
	if (err < 0)
		return err;
	if (n != want)
		return hs_err_set(e, -EBADMSG, "delta: %s stream is truncated",
				  r->name);
	r->off += n;
	r->in_pos = 0;
	r->in_len = n;
	return 0;
}

/* One step of the codec over the input buffer into the empty output. */
static int ds_step(struct ds_reader *r, struct hs_err *e)
{
	if (r->codec == DS_ZSTD) {
		ZSTD_inBuffer in = {r->in, r->in_len, r->in_pos};
		ZSTD_outBuffer out = {r->out, sizeof(r->out), 0};
		const size_t z = ZSTD_decompressStream(r->z, &out, &in);

		if (ZSTD_isError(z))
			return hs_err_set(e, -EBADMSG,
					  "delta: %s stream: zstd: %s", r->name,
					  ZSTD_getErrorName(z));
		r->in_pos = in.pos;
		r->out_len = out.pos;
		r->ended = z == 0;
		return 0;
	}
	r->lz.next_in = r->in + r->in_pos;
	r->lz.avail_in = r->in_len - r->in_pos;
	r->lz.next_out = r->out;
	r->lz.avail_out = sizeof(r->out);
	const lzma_ret ret =
		lzma_code(&r->lz, r->off == r->end ? LZMA_FINISH : LZMA_RUN);
	r->in_pos = r->in_len - r->lz.avail_in;
	r->out_len = sizeof(r->out) - r->lz.avail_out;
	if (ret == LZMA_STREAM_END)
		r->ended = true;
	else if (ret == LZMA_BUF_ERROR)
		return hs_err_set(e, -EBADMSG, "delta: %s stream is truncated",
				  r->name);
	else if (ret != LZMA_OK)
		return hs_err_set(
			e, -EBADMSG,
			"delta: %s stream: LZMA2 data is corrupt (%d)", r->name,
			(int)ret);
	return 0;
}

/* Decodes the next bytes into the (consumed) output buffer. */
static int ds_fill(struct ds_reader *r, struct hs_err *e)
{
	int err;

	r->out_pos = 0;
	r->out_len = 0;
	while (r->out_len == 0 && !r->ended) {
		const size_t in0 = r->in_pos;

		if (r->in_pos == r->in_len && r->off < r->end) {
			err = ds_refill_in(r, e);
			if (err < 0)
				return err;
		}
		if (r->codec == DS_RAW) {
			memcpy(r->out, r->in, r->in_len);
			r->out_len = r->in_len;
			r->in_pos = r->in_len;
			r->ended = r->off == r->end;
			continue;
		}
		err = ds_step(r, e);
		if (err < 0)
			return err;
		if (r->out_len == 0 && !r->ended && r->in_pos == in0 &&
		    r->off == r->end)
			return hs_err_set(e, -EBADMSG,
					  "delta: %s stream is truncated",
					  r->name);
	}
	r->raw_made += r->out_len;
	if (r->raw_made > r->raw_len)
		return hs_err_set(
			e, -EBADMSG,
			"delta: %s stream is longer than declared (%" PRIu64
			" bytes)",
			r->name, r->raw_len);
	return 0;
}

int ds_read(struct ds_reader *r, void *p, size_t n, struct hs_err *e)
{
	uint8_t *q = p;
	int err;

	if (n > r->raw_len - r->raw_given)
		return hs_err_set(
			e, -EBADMSG,
			"delta: control asks for more than the %s stream's %" PRIu64
			" bytes",
			r->name, r->raw_len);
	while (n > 0) {
		size_t k;

		if (r->out_pos == r->out_len) {
			err = ds_fill(r, e);
			if (err < 0)
				return err;
			if (r->out_len == 0)
				return hs_err_set(
					e, -EBADMSG,
					"delta: %s stream is shorter than declared (%" PRIu64
					" bytes)",
					r->name, r->raw_len);
		}
		k = r->out_len - r->out_pos;
		if (k > n)
			k = n;
		memcpy(q, r->out + r->out_pos, k);
		r->out_pos += k;
		r->raw_given += k;
		q += k;
		n -= k;
	}
	return 0;
}

int ds_read_byte(struct ds_reader *r, uint8_t *ret_c, struct hs_err *e)
{
	int err;

	if (r->raw_given == r->raw_len)
		return 0;
	err = ds_read(r, ret_c, 1, e);
	return err < 0 ? err : 1;
}

int ds_reader_finish(struct ds_reader *r, struct hs_err *e)
{
	int err;

	if (r->raw_given != r->raw_len)
		return hs_err_set(e, -EBADMSG,
				  "delta: %s stream has %" PRIu64
				  " bytes the control does not use",
				  r->name, r->raw_len - r->raw_given);
	while (!r->ended) {
		err = ds_fill(r, e);
		if (err < 0)
			return err;
	}
	if (r->out_pos != r->out_len || r->raw_made != r->raw_len)
		return hs_err_set(
			e, -EBADMSG,
			"delta: %s stream is longer than declared (%" PRIu64
			" bytes)",
			r->name, r->raw_len);
	if (r->in_pos != r->in_len || r->off != r->end)
		return hs_err_set(e, -EBADMSG,
				  "delta: %s stream has bytes after its end",
				  r->name);
	return 0;
}
