/*
 * part.c - the part file and its running SHA-256.  The file descriptor is
 * opened once and used for everything after: writing, re-hashing on resume,
 * and extraction after verification.
 */
#include "part.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "str.h"

#define PART_SUFFIX ".part"
#define PART_READ_CHUNK (256u * 1024)

struct part {
	int fd;
	uint64_t size;
	struct hash *hash;
	char path[PATH_MAX];
};

int part_open(const char *dir, const char *name, struct part **ret_p,
	      struct hs_err *e)
{
	struct part *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	p->fd = -1;
	if (hs_snprintf(p->path, sizeof(p->path), "%s/%s%s", dir, name,
			PART_SUFFIX) < 0) {
		r = hs_err_set(e, -ENAMETOOLONG, "cache path too long");
		goto out_free;
	}
	p->fd = open(p->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (p->fd < 0) {
		r = hs_err_set(e, -errno, "cannot open '%s': %s", p->path,
			       strerror(errno));
		goto out_free;
	}
	r = hash_new(&p->hash, e);
	if (r < 0)
		goto out_free;
	*ret_p = p;
	return 0;
out_free:
	part_free(p);
	return r;
}

/* Feeds the first n bytes of the file to the (fresh) hash. */
static int part_rehash(struct part *p, uint64_t n, struct hs_err *e)
{
	uint8_t *buf = malloc(PART_READ_CHUNK);
	uint64_t done = 0;
	int r = 0;

	if (buf == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	while (r == 0 && done < n) {
		const size_t want = n - done < PART_READ_CHUNK
					    ? (size_t)(n - done)
					    : PART_READ_CHUNK;
		const ssize_t got = pread(p->fd, buf, want, (off_t)done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			r = hs_err_set(e, got < 0 ? -errno : -EIO,
				       "cannot read back '%s'", p->path);
		else
			r = hash_update(p->hash, buf, (size_t)got, e);
		done += got > 0 ? (uint64_t)got : 0;
	}
	free(buf);
	return r;
}

/* Truncates the file to size bytes and restarts the hash over them. */
static int part_keep(struct part *p, uint64_t size, struct hs_err *e)
{
	struct hash *h = NULL;
	int r;

	if (ftruncate(p->fd, (off_t)size) < 0)
		return hs_err_set(e, -errno, "cannot truncate '%s': %s",
				  p->path, strerror(errno));
	r = hash_new(&h, e);
	if (r < 0)
		return r;
	hash_free(p->hash);
	p->hash = h;
	p->size = 0;
	r = part_rehash(p, size, e);
	if (r < 0)
		return r;
	p->size = size;
	return 0;
}

int part_reset(struct part *p, struct hs_err *e)
{
	return part_keep(p, 0, e);
}

int part_resume(struct part *p, uint64_t offset, uint64_t *ret_kept,
		struct hs_err *e)
{
	const off_t end = lseek(p->fd, 0, SEEK_END);
	int r;

	if (end < 0)
		return hs_err_set(e, -errno, "cannot seek '%s': %s", p->path,
				  strerror(errno));
	if ((uint64_t)end < offset)
		offset = 0; /* the file lost what the journal promised */
	r = part_keep(p, offset, e);
	if (r < 0) {
		(void)part_keep(p, 0, NULL);
		return r;
	}
	*ret_kept = offset;
	return 0;
}

int part_append(struct part *p, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	int r;

	/* pwrite at the logical end: a failed write leaves nothing behind
	 * that a later write could land after. */
	while (done < n) {
		const ssize_t w = pwrite(p->fd, buf + done, n - done,
					 (off_t)(p->size + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	r = hash_update(p->hash, buf, n, NULL);
	if (r < 0)
		return r;
	p->size += n;
	return 0;
}

int part_sync(struct part *p, struct hs_err *e)
{
	if (fdatasync(p->fd) < 0)
		return hs_err_set(e, -errno, "cannot sync '%s': %s", p->path,
				  strerror(errno));
	return 0;
}

uint64_t part_size(const struct part *p)
{
	return p->size;
}

const char *part_path(const struct part *p)
{
	return p->path;
}

int part_fd(const struct part *p)
{
	return p->fd;
}

int part_digest(struct part *p, char hex[static HASH_SHA256_HEX_LEN + 1],
		struct hs_err *e)
{
	/* The file holds exactly the hashed bytes, nothing after them. */
	if (ftruncate(p->fd, (off_t)p->size) < 0)
		return hs_err_set(e, -errno, "cannot truncate '%s': %s",
				  p->path, strerror(errno));
	return hash_final_hex(p->hash, hex, e);
}

void part_free(struct part *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		(void)close(p->fd);
	hash_free(p->hash);
	free(p);
}

void part_discard(struct part *p)
{
	if (p == NULL)
		return;
	(void)unlink(p->path);
	part_free(p);
}
