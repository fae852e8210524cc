/*
 * tarball.c - a package's tar, decompressed in a stream and hashed on the
 * way.
 */
#include "tarball.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

/* zstd's own recommended buffer sizes are about 128 KiB. */
#define TARBALL_BUF (128u * 1024)
/* zstd's default limit, which the packages of pack.c stay well under: a
 * frame that asks for a larger window is refused, not allocated. */
#define TARBALL_WINDOW_LOG_MAX 27

static int tarball_write(int fd, const uint8_t *p, size_t n, struct hs_err *e)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return hs_err_set(e, -errno, "cannot write the tar: %s",
					  strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Feeds one read buffer through the decompressor. */
static int tarball_feed(ZSTD_DCtx *z, ZSTD_inBuffer *in, uint8_t *out_buf,
			int tar_fd, uint64_t max_bytes, struct hash *h,
			uint64_t *size, size_t *ret_hint, struct hs_err *e)
{
	size_t rc = 0;
	int r;

	while (in->pos < in->size) {
		ZSTD_outBuffer out = {out_buf, TARBALL_BUF, 0};

		rc = ZSTD_decompressStream(z, &out, in);
		if (ZSTD_isError(rc))
			return hs_err_set(e, -EBADMSG,
					  "the package is not valid zstd: %s",
					  ZSTD_getErrorName(rc));
		*size += out.pos;
		if (*size > max_bytes)
			return hs_err_set(
				e, -EFBIG,
				"the package's tar is over %llu bytes",
				(unsigned long long)max_bytes);
		r = hash_update(h, out_buf, out.pos, e);
		if (r == 0 && tar_fd >= 0)
			r = tarball_write(tar_fd, out_buf, out.pos, e);
		if (r < 0)
			return r;
	}
	*ret_hint = rc;
	return 0;
}

int tarball_from_package(int pkg_fd, int tar_fd, uint64_t max_bytes,
			 struct tarball_info *ret, struct hs_err *e)
{
	uint8_t *in_buf = malloc(TARBALL_BUF);
	uint8_t *out_buf = malloc(TARBALL_BUF);
	ZSTD_DCtx *z = ZSTD_createDCtx();
	struct hash *h = NULL;
	size_t hint = 1; /* 0 once a frame is complete */
	uint64_t size = 0;
	ssize_t n;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (in_buf == NULL || out_buf == NULL || z == NULL)
		r = hs_err_set(e, -ENOMEM, "out of memory");
	else if (ZSTD_isError(ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax,
						     TARBALL_WINDOW_LOG_MAX)))
		r = hs_err_set(e, -EINVAL, "zstd refused a parameter");
	else
		r = hash_new(&h, e);
	while (r == 0) {
		n = read(pkg_fd, in_buf, TARBALL_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = hs_err_set(e, -errno, "cannot read the package: %s",
				       strerror(errno));
			break;
		}
		if (n == 0)
			break;
		ZSTD_inBuffer in = {in_buf, (size_t)n, 0};

		r = tarball_feed(z, &in, out_buf, tar_fd, max_bytes, h, &size,
				 &hint, e);
	}
	if (r == 0 && hint != 0)
		r = hs_err_set(e, -EBADMSG, "the package ends inside a frame");
	if (r == 0)
		r = hash_final_hex(h, ret->sha256, e);
	if (r == 0)
		ret->size = size;
	hash_free(h);
	ZSTD_freeDCtx(z);
	free(out_buf);
	free(in_buf);
	return r;
}
