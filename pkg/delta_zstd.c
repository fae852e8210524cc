/*
 * delta_zstd.c - the zstd method: the result compressed as one zstd frame
 * with the base as its reference prefix (ZSTD_CCtx_refPrefix), the idea of
 * zstd's --patch-from.
 *
 * Making: level 22 (--ultra), long-distance matching, a window that covers
 * base and result together, one thread, and a deterministic prefix load, so
 * the same inputs give the same bytes on any machine.  Applying: the base is
 * the decoder's prefix, mapped read-only; the output file is mapped too and
 * is the decoder's stable output buffer, so zstd keeps no window of its own
 * and the heap holds only the decoder and one input buffer.
 */
#define ZSTD_STATIC_LINKING_ONLY /* stable buffers, deterministic prefix */
#include <zstd.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "delta_int.h"
#include "fileio.h"

/*
 * --ultra -22: on typescript 5.3.3 -> 5.4.2 it makes 60 KB where level 19
 * makes 195 KB (71 KB with a worker thread) and zstd -19 --patch-from 74 KB.
 */
#define DZ_LEVEL 22

/* The one place a zstd error code becomes a struct hs_err. */
static int dz_err(size_t code, int err, const char *what, struct hs_err *e)
{
	return hs_err_set(e, err, "zstd delta: %s: %s", what,
			  ZSTD_getErrorName(code));
}

/* The window that lets every byte of the result reach the start of the base. */
static int dz_window_log(uint64_t total, int *ret_log, struct hs_err *e)
{
	int log = ZSTD_WINDOWLOG_MIN;

	while (log < ZSTD_WINDOWLOG_MAX && ((uint64_t)1 << log) < total)
		log++;
	if (((uint64_t)1 << log) < total)
		return hs_err_set(
			e, -EFBIG,
			"zstd delta: base and result are %" PRIu64
			" bytes together, more than a zstd window reaches (%llu)",
			total, 1ull << ZSTD_WINDOWLOG_MAX);
	*ret_log = log;
	return 0;
}

static int dz_cctx_setup(ZSTD_CCtx *c, const struct delta_map *base,
			 const struct delta_map *res, struct hs_err *e)
{
	const struct {
		ZSTD_cParameter p;
		int v;
	} params[] = {
		{ZSTD_c_compressionLevel, DZ_LEVEL},
		{ZSTD_c_windowLog, 0}, /* set below */
		{ZSTD_c_enableLongDistanceMatching, 1},
		{ZSTD_c_checksumFlag, 0}, /* the header's SHA-256 does it */
		{ZSTD_c_contentSizeFlag, 1},
		{ZSTD_c_nbWorkers, 0},
		{ZSTD_c_deterministicRefPrefix, 1},
		{ZSTD_c_stableInBuffer, 1},
	};
	int wlog = 0;
	size_t z;
	int r;

	r = dz_window_log((uint64_t)base->n + res->n, &wlog, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		const int v =
			params[i].p == ZSTD_c_windowLog ? wlog : params[i].v;

		z = ZSTD_CCtx_setParameter(c, params[i].p, v);
		if (ZSTD_isError(z))
			return dz_err(z, -EIO, "setting a parameter", e);
	}
	z = ZSTD_CCtx_setPledgedSrcSize(c, res->n);
	if (ZSTD_isError(z))
		return dz_err(z, -EIO, "setting the size", e);
	if (base->n == 0)
		return 0;
	z = ZSTD_CCtx_refPrefix(c, base->p, base->n);
	if (ZSTD_isError(z))
		return dz_err(z, -EIO, "referencing the base", e);
	return 0;
}

int delta_zstd_make(const struct delta_map *base, const struct delta_map *res,
		    int out_fd, struct hs_err *e)
{
	static const uint8_t empty[1];
	ZSTD_CCtx *c;
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	void *buf = NULL;
	size_t left;
	int r;

	c = ZSTD_createCCtx();
	if (c == NULL)
		return hs_err_set(e, -ENOMEM, "zstd delta: out of memory");
	r = dz_cctx_setup(c, base, res, e);
	if (r < 0)
		goto out_free;
	out.size = ZSTD_CStreamOutSize();
	buf = malloc(out.size);
	if (buf == NULL) {
		r = hs_err_set(e, -ENOMEM, "zstd delta: out of memory");
		goto out_free;
	}
	out.dst = buf;
	in.src = res->n > 0 ? (const void *)res->p : empty;
	in.size = res->n;
	in.pos = 0;
	do {
		out.pos = 0;
		left = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
		if (ZSTD_isError(left)) {
			r = dz_err(left, -EIO, "compressing", e);
			goto out_free;
		}
		r = delta_write_all(out_fd, buf, out.pos, "delta", e);
		if (r < 0)
			goto out_free;
	} while (left != 0);
out_free:
	free(buf);
	ZSTD_freeCCtx(c);
	return r;
}

/* The output file, sized and mapped; blocks are reserved so that writing
 * through the mapping cannot fail with SIGBUS on a full disk. */
static int dz_out_map(int out_fd, uint64_t size, uint8_t **ret_p,
		      struct hs_err *e)
{
	void *p;
	int err;

	if (size == 0) {
		*ret_p = NULL;
		return 0;
	}
	err = posix_fallocate(out_fd, 0, (off_t)size);
	if (err != 0)
		return hs_err_set(
			e, -err, "output: cannot reserve %" PRIu64 " bytes: %s",
			size, strerror(err));
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, out_fd,
		 0);
	if (p == MAP_FAILED)
		return hs_err_set(e, -errno, "output: mmap failed: %s",
				  strerror(errno));
	*ret_p = p;
	return 0;
}

static int dz_dctx_setup(ZSTD_DCtx *d, const struct delta_map *base,
			 struct hs_err *e)
{
	size_t z;

	z = ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX);
	if (!ZSTD_isError(z))
		z = ZSTD_DCtx_setParameter(d, ZSTD_d_stableOutBuffer, 1);
	if (!ZSTD_isError(z) && base->n > 0)
		z = ZSTD_DCtx_refPrefix(d, base->p, base->n);
	if (ZSTD_isError(z))
		return dz_err(z, -EIO, "setting up the decoder", e);
	return 0;
}

/* The frame must declare the header's result size: checked before decoding. */
static int dz_frame_check(const struct delta_hdr *h, const uint8_t *p, size_t n,
			  struct hs_err *e)
{
	ZSTD_frameHeader fh;
	const size_t z = ZSTD_getFrameHeader(&fh, p, n);

	if (ZSTD_isError(z))
		return dz_err(z, -EBADMSG, "payload", e);
	if (z > 0)
		return hs_err_set(
			e, -EBADMSG,
			"zstd delta: payload is truncated inside its frame header");
	if (fh.frameType != ZSTD_frame || fh.frameContentSize != h->result_size)
		return hs_err_set(
			e, -EBADMSG,
			"zstd delta: payload frame does not declare the header's result size %" PRIu64,
			h->result_size);
	return 0;
}

/* The state of one decoding: input window over the delta file, output map. */
struct dz_run {
	int fd;
	uint64_t off;
	uint64_t end;
	uint8_t in_buf[DELTA_IO_BUF];
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	struct hash *hash;
};

static int dz_refill(struct dz_run *s, struct hs_err *e)
{
	const uint64_t left = s->end - s->off;
	const size_t want = left < DELTA_IO_BUF ? (size_t)left : DELTA_IO_BUF;
	size_t n;
	int r;

	r = delta_pread(s->fd, s->in_buf, want, s->off, &n, e);
	if (r < 0)
		return r;
	if (n != want) /* it shrank since its size was taken */
		return hs_err_short(e, s->off + n, s->end,
				    "zstd delta: the delta");
	s->off += n;
	s->in.src = s->in_buf;
	s->in.size = n;
	s->in.pos = 0;
	return 0;
}

/* Decodes the frame to its end; the output is hashed as it is made. */
static int dz_decode(ZSTD_DCtx *d, struct dz_run *s, struct hs_err *e)
{
	size_t left = 1;
	int r;

	while (left != 0) {
		size_t in0;
		size_t out0;

		if (s->in.pos == s->in.size && s->off < s->end) {
			r = dz_refill(s, e);
			if (r < 0)
				return r;
		}
		/* Progress is measured from here: a refill moved in.pos. */
		in0 = s->in.pos;
		out0 = s->out.pos;
		left = ZSTD_decompressStream(d, &s->out, &s->in);
		if (ZSTD_isError(left))
			return dz_err(left, -EBADMSG, "payload", e);
		r = hash_update(s->hash, (const uint8_t *)s->out.dst + out0,
				s->out.pos - out0, e);
		if (r < 0)
			return r;
		if (left != 0 && s->in.pos == in0 && s->out.pos == out0)
			return hs_err_set(e, -EBADMSG,
					  "zstd delta: payload is truncated");
	}
	if (s->in.pos < s->in.size || s->off < s->end)
		return hs_err_set(
			e, -EBADMSG,
			"zstd delta: payload has bytes after its frame");
	return 0;
}

int delta_zstd_apply(const struct delta_hdr *h, int delta_fd,
		     uint64_t delta_size, const struct delta_map *base,
		     int out_fd, char ret_hex[static HASH_SHA256_HEX_LEN + 1],
		     struct hs_err *e)
{
	static uint8_t empty[1];
	struct dz_run *s;
	uint8_t *out = NULL;
	ZSTD_DCtx *d = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return hs_err_set(e, -ENOMEM, "zstd delta: out of memory");
	s->fd = delta_fd;
	s->off = DELTA_HDR_SIZE;
	s->end = delta_size;
	r = dz_refill(s, e);
	if (r < 0)
		goto out_free;
	r = dz_frame_check(h, s->in_buf, s->in.size, e);
	if (r < 0)
		goto out_free;
	r = hash_new(&s->hash, e);
	if (r < 0)
		goto out_free;
	d = ZSTD_createDCtx();
	if (d == NULL) {
		r = hs_err_set(e, -ENOMEM, "zstd delta: out of memory");
		goto out_free;
	}
	r = dz_dctx_setup(d, base, e);
	if (r < 0)
		goto out_free;
	r = dz_out_map(out_fd, h->result_size, &out, e);
	if (r < 0)
		goto out_free;
	s->out.dst = out != NULL ? out : empty;
	s->out.size = (size_t)h->result_size;
	r = dz_decode(d, s, e);
	if (r < 0)
		goto out_unmap;
	if (s->out.pos != h->result_size) {
		r = hs_err_set(
			e, -EBADMSG,
			"zstd delta: payload holds %zu bytes, the header says %" PRIu64,
			s->out.pos, h->result_size);
		goto out_unmap;
	}
	r = hash_final_hex(s->hash, ret_hex, e);
out_unmap:
	if (out != NULL)
		(void)munmap(out, (size_t)h->result_size);
out_free:
	ZSTD_freeDCtx(d);
	hash_free(s->hash);
	free(s);
	return r;
}
