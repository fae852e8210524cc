/*
 * delta.c - the delta file's header, the entry points, and the helpers both
 * methods use (mapped inputs, whole writes and reads).
 *
 * Invariants: a header is checked whole before anything else of the delta is
 * read; the base is checked against the header (size, then SHA-256) before a
 * method sees it; the method's SHA-256 of what it wrote is compared with the
 * header's at the end.  make writes the header first, then the payload, in
 * one pass, so out_fd may be a pipe.
 */
#include "delta.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta_int.h"
#include "fileio.h"
#include "hs_limits.h"
#include "str.h"

static const char *const method_names[] = {
	[DELTA_ZSTD] = "zstd",
	[DELTA_SUFDIFF] = "sufdiff",
};

const char *delta_method_name(enum delta_method m)
{
	if (m != DELTA_ZSTD && m != DELTA_SUFDIFF)
		return NULL;
	return method_names[m];
}

int delta_method_parse(const char *s, enum delta_method *ret_m)
{
	if (strcmp(s, "zstd") == 0) {
		*ret_m = DELTA_ZSTD;
		return 0;
	}
	if (strcmp(s, "sufdiff") == 0) {
		*ret_m = DELTA_SUFDIFF;
		return 0;
	}
	return -EINVAL;
}

void delta_put_u64(uint8_t *p, uint64_t v)
{
	for (size_t i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t delta_get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int delta_map_fd(int fd, const char *what, struct delta_map *ret,
		 struct hs_err *e)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return hs_err_set(e, -errno, "%s: stat failed: %s", what,
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return hs_err_set(e, -EINVAL, "%s: not a regular file", what);
	if ((uint64_t)st.st_size > HS_PACKAGE_MAX_BYTES)
		return hs_err_set(
			e, -EFBIG,
			"%s: %" PRIu64 " bytes, over the limit of %llu", what,
			(uint64_t)st.st_size, HS_PACKAGE_MAX_BYTES);
	if (st.st_size == 0) {
		ret->p = NULL;
		ret->n = 0;
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return hs_err_set(e, -errno, "%s: mmap failed: %s", what,
				  strerror(errno));
	ret->p = p;
	ret->n = (size_t)st.st_size;
	return 0;
}

void delta_unmap(struct delta_map *m)
{
	if (m->p != NULL)
		(void)munmap((void *)m->p, m->n);
	m->p = NULL;
	m->n = 0;
}

int delta_write_all(int fd, const void *p, size_t n, const char *what,
		    struct hs_err *e)
{
	const uint8_t *b = p;

	while (n > 0) {
		const ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return hs_err_set(e, -errno, "%s: write failed: %s",
					  what, strerror(errno));
		if (w == 0)
			return hs_err_set(e, -EIO, "%s: write wrote nothing",
					  what);
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int delta_pread(int fd, void *p, size_t n, uint64_t off, size_t *ret_n,
		struct hs_err *e)
{
	size_t got = 0;

	while (got < n) {
		const ssize_t r = pread(fd, (uint8_t *)p + got, n - got,
					(off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hs_err_set(e, -errno, "delta: read failed: %s",
					  strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*ret_n = got;
	return 0;
}

/* 64 hex digits (checked by the caller's source) to 32 bytes. */
static void hex_to_sha(const char *hex, uint8_t sha[static HASH_SHA256_LEN])
{
	for (size_t i = 0; i < HASH_SHA256_LEN; i++) {
		uint8_t v = 0;

		for (size_t j = 0; j < 2; j++) {
			const char c = hex[2 * i + j];

			v = (uint8_t)(v << 4);
			v |= (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10);
		}
		sha[i] = v;
	}
}

static int sha_of_map(const struct delta_map *m, uint8_t sha[HASH_SHA256_LEN],
		      struct hs_err *e)
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	const int r = hash_buf(m->p, m->n, hex, e);

	if (r < 0)
		return r;
	hex_to_sha(hex, sha);
	return 0;
}

static void hdr_encode(const struct delta_hdr *h, uint8_t p[DELTA_HDR_SIZE])
{
	memcpy(p, DELTA_MAGIC, DELTA_MAGIC_LEN);
	p += DELTA_MAGIC_LEN;
	*p++ = h->method;
	delta_put_u64(p, h->base_size);
	p += 8;
	memcpy(p, h->base_sha, HASH_SHA256_LEN);
	p += HASH_SHA256_LEN;
	delta_put_u64(p, h->result_size);
	p += 8;
	memcpy(p, h->result_sha, HASH_SHA256_LEN);
}

static int hdr_decode(const uint8_t p[DELTA_HDR_SIZE], struct delta_hdr *h,
		      struct hs_err *e)
{
	if (memcmp(p, DELTA_MAGIC, DELTA_MAGIC_LEN) != 0)
		return hs_err_set(e, -EBADMSG, "delta: bad magic, not a delta");
	p += DELTA_MAGIC_LEN;
	h->method = *p++;
	if (delta_method_name(h->method) == NULL)
		return hs_err_set(e, -EBADMSG, "delta: unknown method %u",
				  h->method);
	h->base_size = delta_get_u64(p);
	p += 8;
	memcpy(h->base_sha, p, HASH_SHA256_LEN);
	p += HASH_SHA256_LEN;
	h->result_size = delta_get_u64(p);
	p += 8;
	memcpy(h->result_sha, p, HASH_SHA256_LEN);
	if (h->base_size > HS_PACKAGE_MAX_BYTES)
		return hs_err_set(e, -EBADMSG,
				  "delta: declared base size %" PRIu64
				  " exceeds the package limit %llu",
				  h->base_size, HS_PACKAGE_MAX_BYTES);
	if (h->result_size > HS_PACKAGE_MAX_BYTES)
		return hs_err_set(e, -EBADMSG,
				  "delta: declared result size %" PRIu64
				  " exceeds the package limit %llu",
				  h->result_size, HS_PACKAGE_MAX_BYTES);
	return 0;
}

/* Reads and checks the header of delta_fd. */
static int hdr_read(int delta_fd, struct delta_hdr *h, struct hs_err *e)
{
	uint8_t p[DELTA_HDR_SIZE];
	size_t n = 0;
	int r;

	r = delta_pread(delta_fd, p, sizeof(p), 0, &n, e);
	if (r < 0)
		return r;
	if (n < sizeof(p))
		return hs_err_set(
			e, -EBADMSG,
			"delta: truncated, %zu bytes where the header alone is %d",
			n, DELTA_HDR_SIZE);
	return hdr_decode(p, h, e);
}

/* The header of a delta from base to res (all but the method). */
static int hdr_make(const struct delta_map *base, const struct delta_map *res,
		    struct delta_hdr *h, struct hs_err *e)
{
	int r;

	h->base_size = base->n;
	h->result_size = res->n;
	r = sha_of_map(base, h->base_sha, e);
	if (r < 0)
		return r;
	return sha_of_map(res, h->result_sha, e);
}

static int make_mapped(const struct delta_hdr *h, const struct delta_map *base,
		       const struct delta_map *res, int out_fd,
		       struct hs_err *e)
{
	uint8_t p[DELTA_HDR_SIZE];
	int r;

	hdr_encode(h, p);
	r = delta_write_all(out_fd, p, sizeof(p), "delta", e);
	if (r < 0)
		return r;
	if (h->method == DELTA_ZSTD)
		return delta_zstd_make(base, res, out_fd, e);
	return sufdiff_make(base, res, out_fd, e);
}

/* Maps both inputs and makes the common part of the header. */
static int inputs_open(int base_fd, int result_fd, struct delta_map *base,
		       struct delta_map *res, struct delta_hdr *h,
		       struct hs_err *e)
{
	int r;

	r = delta_map_fd(base_fd, "base", base, e);
	if (r < 0)
		return r;
	r = delta_map_fd(result_fd, "result", res, e);
	if (r < 0)
		return r;
	return hdr_make(base, res, h, e);
}

int delta_make(enum delta_method m, int base_fd, int result_fd, int out_fd,
	       struct hs_err *e)
{
	struct delta_map base = {NULL, 0};
	struct delta_map res = {NULL, 0};
	struct delta_hdr h;
	int r;

	if (delta_method_name(m) == NULL)
		return hs_err_set(e, -EINVAL, "delta: unknown method %d",
				  (int)m);
	r = inputs_open(base_fd, result_fd, &base, &res, &h, e);
	if (r < 0)
		goto out_unmap;
	h.method = (uint8_t)m;
	r = make_mapped(&h, &base, &res, out_fd, e);
out_unmap:
	delta_unmap(&res);
	delta_unmap(&base);
	return r;
}

/* One of delta_make_best()'s two deltas, made into a memfd. */
struct best_job {
	struct delta_hdr h;
	const struct delta_map *base;
	const struct delta_map *res;
	int fd;
	int r;
	uint64_t size;
	struct hs_err e;
};

static void *best_run(void *arg)
{
	struct best_job *j = arg;
	struct stat st;

	hs_err_clear(&j->e);
	j->r = make_mapped(&j->h, j->base, j->res, j->fd, &j->e);
	if (j->r < 0)
		return NULL;
	if (fstat(j->fd, &st) < 0) {
		j->r = hs_err_set(&j->e, -errno, "delta: stat failed: %s",
				  strerror(errno));
		return NULL;
	}
	j->size = (uint64_t)st.st_size;
	return NULL;
}

static int copy_fd(int from, uint64_t size, int to, struct hs_err *e)
{
	uint8_t buf[DELTA_IO_BUF];
	uint64_t off = 0;
	size_t n = 0;
	int r;

	while (off < size) {
		r = delta_pread(from, buf, sizeof(buf), off, &n, e);
		if (r < 0)
			return r;
		if (n == 0)
			return hs_err_short(e, off, size,
					    "delta: the temporary delta");
		r = delta_write_all(to, buf, n, "delta", e);
		if (r < 0)
			return r;
		off += n;
	}
	return 0;
}

/* Runs both jobs, the second in a thread of its own when one can start. */
static void best_run_both(struct best_job jobs[2])
{
	pthread_t t;
	const bool threaded = pthread_create(&t, NULL, best_run, &jobs[1]) == 0;

	(void)best_run(&jobs[0]);
	if (threaded)
		(void)pthread_join(t, NULL);
	else
		(void)best_run(&jobs[1]);
}

/* Whether the failure r of one method leaves the other's delta good: the
 * inputs are over the method's limit, or its tables did not fit in memory. */
static bool best_may_skip(int r)
{
	return r == -EFBIG || r == -ENOMEM;
}

/* Which job to keep; -1 when the failure of one must be returned. */
static int best_pick(const struct best_job jobs[2])
{
	for (int i = 0; i < 2; i++)
		if (jobs[i].r < 0 && !best_may_skip(jobs[i].r))
			return -1;
	if (jobs[0].r < 0 && jobs[1].r < 0)
		return -1;
	if (jobs[1].r < 0)
		return 0;
	if (jobs[0].r < 0)
		return 1;
	return jobs[0].size <= jobs[1].size ? 0 : 1;
}

int delta_make_best(int base_fd, int result_fd, int out_fd,
		    enum delta_method *ret_method, struct hs_err *e)
{
	struct delta_map base = {NULL, 0};
	struct delta_map res = {NULL, 0};
	struct best_job jobs[2];
	struct delta_hdr h;
	int pick;
	int r;

	jobs[0].fd = -1;
	jobs[1].fd = -1;
	r = inputs_open(base_fd, result_fd, &base, &res, &h, e);
	if (r < 0)
		goto out_close;
	for (int i = 0; i < 2; i++) {
		jobs[i].h = h;
		jobs[i].h.method = i == 0 ? DELTA_ZSTD : DELTA_SUFDIFF;
		jobs[i].base = &base;
		jobs[i].res = &res;
		jobs[i].fd = memfd_create("haishin-delta", MFD_CLOEXEC);
		if (jobs[i].fd < 0) {
			r = hs_err_set(e, -errno,
				       "delta: memfd_create failed: %s",
				       strerror(errno));
			goto out_close;
		}
	}
	best_run_both(jobs);
	pick = best_pick(jobs);
	if (pick < 0) {
		const int i = jobs[0].r < 0 && jobs[0].r != -EFBIG ? 0 : 1;

		r = hs_err_copy(e, &jobs[i].e);
		hs_err_prefix(e, "%s: ", method_names[jobs[i].h.method]);
		goto out_close;
	}
	r = copy_fd(jobs[pick].fd, jobs[pick].size, out_fd, e);
	if (r < 0)
		goto out_close;
	if (ret_method != NULL)
		*ret_method = jobs[pick].h.method;
out_close:
	for (int i = 0; i < 2; i++)
		if (jobs[i].fd >= 0)
			(void)close(jobs[i].fd);
	delta_unmap(&res);
	delta_unmap(&base);
	return r;
}

int delta_read_info(int delta_fd, struct delta_info *ret, struct hs_err *e)
{
	struct delta_hdr h;
	const int r = hdr_read(delta_fd, &h, e);

	if (r < 0)
		return r;
	ret->method = h.method;
	ret->base_size = h.base_size;
	hs_hex(h.base_sha, HASH_SHA256_LEN, ret->base_sha256);
	ret->result_size = h.result_size;
	hs_hex(h.result_sha, HASH_SHA256_LEN, ret->result_sha256);
	return 0;
}

/* The base must be the one the delta was made from, before it is read. */
static int base_check(const struct delta_hdr *h, const struct delta_map *base,
		      struct hs_err *e)
{
	char want[HASH_SHA256_HEX_LEN + 1];
	char got[HASH_SHA256_HEX_LEN + 1];
	int r;

	if (base->n != h->base_size)
		return hs_err_set(
			e, -ESTALE,
			"base does not match the delta: %zu bytes, expected %" PRIu64,
			base->n, h->base_size);
	r = hash_buf(base->p, base->n, got, e);
	if (r < 0)
		return r;
	hs_hex(h->base_sha, HASH_SHA256_LEN, want);
	if (strcmp(got, want) != 0)
		return hs_err_set(
			e, -ESTALE,
			"base does not match the delta: SHA-256 %s, expected %s",
			got, want);
	return 0;
}

static int out_check(int out_fd, struct hs_err *e)
{
	struct stat st;

	if (fstat(out_fd, &st) < 0)
		return hs_err_set(e, -errno, "output: stat failed: %s",
				  strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		return hs_err_set(e, -EINVAL,
				  "output: not an empty regular file");
	return 0;
}

static int apply_method(const struct delta_hdr *h, int delta_fd,
			const struct delta_map *base, int out_fd,
			struct hs_err *e)
{
	char want[HASH_SHA256_HEX_LEN + 1];
	char got[HASH_SHA256_HEX_LEN + 1];
	struct stat st;
	int r;

	if (fstat(delta_fd, &st) < 0)
		return hs_err_set(e, -errno, "delta: stat failed: %s",
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return hs_err_set(e, -EINVAL, "delta: not a regular file");
	if (h->method == DELTA_ZSTD)
		r = delta_zstd_apply(h, delta_fd, (uint64_t)st.st_size, base,
				     out_fd, got, e);
	else
		r = sufdiff_apply(h, delta_fd, (uint64_t)st.st_size, base,
				  out_fd, got, e);
	if (r < 0)
		return r;
	hs_hex(h->result_sha, HASH_SHA256_LEN, want);
	if (strcmp(got, want) != 0)
		return hs_err_set(
			e, -EBADMSG,
			"delta: result does not match: SHA-256 %s, expected %s",
			got, want);
	return 0;
}

int delta_apply(int delta_fd, int base_fd, int out_fd, struct hs_err *e)
{
	struct delta_map base = {NULL, 0};
	struct delta_hdr h;
	int r;

	r = hdr_read(delta_fd, &h, e);
	if (r < 0)
		return r;
	r = out_check(out_fd, e);
	if (r < 0)
		return r;
	r = delta_map_fd(base_fd, "base", &base, e);
	if (r < 0)
		return r;
	r = base_check(&h, &base, e);
	if (r < 0)
		goto out_unmap;
	r = apply_method(&h, delta_fd, &base, out_fd, e);
out_unmap:
	delta_unmap(&base);
	return r;
}
