/*
 * part.c - the part file and its running SHA-256.
 *
 * The transfer thread only writes (pwrite at the logical end).  Two helper
 * threads follow it: the hasher reads back what was written (from the page
 * cache) and feeds the SHA-256, so hashing overlaps the transfer instead of
 * adding to it; the syncer makes the written bytes durable about once a
 * second and publishes how far it got, so the caller can journal progress
 * without ever blocking the transfer on the disk.  Both threads are started
 * by the first append and stopped (joined) by anything that changes the
 * file's length or needs the hash: resume, reset, digest, free.
 *
 * The file descriptor is opened once and used for everything after:
 * writing, re-hashing on resume, and extraction after verification.
 */
#include "part.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "str.h"

#define PART_SUFFIX ".part"
#define PART_READ_CHUNK (1024u * 1024)
#define PART_SYNC_INTERVAL_MS 1000

struct part {
	int fd;
	char path[PATH_MAX];
	struct hash *hash;
	uint64_t size; /* written; owned by the caller's thread */
	uint8_t *buf; /* the hasher's read buffer */

	/* Shared with the helper threads, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* the hasher waits here for bytes */
	pthread_cond_t cv_stop; /* the syncer waits here between syncs */
	bool running;
	bool stop;
	uint64_t written; /* size as published to the helpers */
	uint64_t hashed; /* bytes fed to hash */
	uint64_t synced; /* bytes known durable */
	int error; /* a helper's failure (negative errno) */
	struct hs_err error_msg; /* its message */
	bool sync_failed; /* once a sync failed, nothing more is durable */
	pthread_t hasher;
	pthread_t syncer;
};

static void part_lock(struct part *p)
{
	(void)pthread_mutex_lock(&p->mu);
}

static void part_unlock(struct part *p)
{
	(void)pthread_mutex_unlock(&p->mu);
}

/* Hashes what the writer publishes until told to stop and all is hashed. */
static void *part_hasher(void *arg)
{
	struct part *p = arg;

	part_lock(p);
	for (;;) {
		struct hs_err e;
		uint64_t off;
		size_t n;
		int r;

		while (p->hashed == p->written && !p->stop && p->error == 0)
			(void)pthread_cond_wait(&p->cv, &p->mu);
		if (p->error != 0 || p->hashed == p->written)
			break; /* stopped with everything hashed, or failed */
		off = p->hashed;
		n = p->written - off < PART_READ_CHUNK
			    ? (size_t)(p->written - off)
			    : PART_READ_CHUNK;
		part_unlock(p);
		/* The bytes were written before they were published: a file
		 * that ends before them was cut behind our back. */
		r = hs_pread_full(p->fd, p->buf, n, off, p->path, &e);
		if (r == 0)
			r = hash_update(p->hash, p->buf, n, &e);
		part_lock(p);
		if (r < 0) {
			p->error = r;
			p->error_msg = e;
		} else {
			p->hashed += n;
		}
		(void)pthread_cond_broadcast(&p->cv);
	}
	part_unlock(p);
	return NULL;
}

/* Makes written bytes durable about once a second, until told to stop. */
static void *part_syncer(void *arg)
{
	struct part *p = arg;
	struct timespec until;

	part_lock(p);
	while (!p->stop) {
		uint64_t target;
		int r = 0;

		(void)clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += PART_SYNC_INTERVAL_MS / 1000;
		while (!p->stop &&
		       pthread_cond_timedwait(&p->cv_stop, &p->mu, &until) == 0)
			continue;
		if (p->stop || p->written == p->synced)
			continue;
		if (p->sync_failed)
			continue;
		target = p->written;
		part_unlock(p);
		if (fdatasync(p->fd) < 0)
			r = -errno;
		part_lock(p);
		/* Linux reports a lost write once: a later sync that succeeds
		 * proves nothing about the bytes before it. */
		if (r < 0) {
			p->error = r;
			p->sync_failed = true;
			(void)hs_err_set(&p->error_msg, r,
					 "cannot make '%s' durable: %s",
					 p->path, strerror(-r));
		} else if (target > p->synced) {
			p->synced = target;
		}
	}
	part_unlock(p);
	return NULL;
}

static int part_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int r;

	r = pthread_condattr_init(&ca);
	if (r != 0)
		return -r;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (r == 0)
		r = pthread_cond_init(cv, &ca);
	(void)pthread_condattr_destroy(&ca);
	return -r;
}

/* Tells the helpers to stop and waits for them. */
static void part_join(struct part *p, bool syncer)
{
	part_lock(p);
	p->stop = true;
	(void)pthread_cond_broadcast(&p->cv);
	(void)pthread_cond_broadcast(&p->cv_stop);
	part_unlock(p);
	(void)pthread_join(p->hasher, NULL);
	if (syncer)
		(void)pthread_join(p->syncer, NULL);
	(void)pthread_cond_destroy(&p->cv);
	(void)pthread_cond_destroy(&p->cv_stop);
}

static int part_start(struct part *p)
{
	int r;

	if (p->running)
		return 0;
	p->stop = false;
	r = part_cond_init(&p->cv);
	if (r < 0)
		return r;
	r = part_cond_init(&p->cv_stop);
	if (r < 0) {
		(void)pthread_cond_destroy(&p->cv);
		return r;
	}
	r = -pthread_create(&p->hasher, NULL, part_hasher, p);
	if (r < 0) {
		(void)pthread_cond_destroy(&p->cv);
		(void)pthread_cond_destroy(&p->cv_stop);
		return r;
	}
	r = -pthread_create(&p->syncer, NULL, part_syncer, p);
	if (r < 0) {
		part_join(p, false);
		return r;
	}
	p->running = true;
	return 0;
}

/* Stops the helpers; the hasher first hashes everything written.  A
 * helper's failure is returned, its message in e. */
static int part_stop(struct part *p, struct hs_err *e)
{
	int r;

	if (!p->running)
		return 0;
	part_join(p, true);
	p->running = false;
	r = p->error;
	if (r < 0)
		(void)hs_err_copy(e, &p->error_msg);
	p->error = 0;
	return r;
}

int part_file_path(const char *dir, const char *name, char out[static PATH_MAX],
		   struct hs_err *e)
{
	if (hs_snprintf(out, PATH_MAX, "%s/%s%s", dir, name, PART_SUFFIX) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "cache path too long");
	return 0;
}

int part_open(const char *dir, const char *name, struct part **ret_p,
	      struct hs_err *e)
{
	struct part *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	p->fd = -1;
	r = pthread_mutex_init(&p->mu, NULL);
	if (r != 0) {
		free(p);
		return hs_err_set(e, -r, "cannot create a mutex");
	}
	r = part_file_path(dir, name, p->path, e);
	if (r < 0)
		goto out_free;
	p->buf = malloc(PART_READ_CHUNK);
	if (p->buf == NULL) {
		r = hs_err_set(e, -ENOMEM, "out of memory");
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
	uint64_t done = 0;
	int r = 0;

	while (r == 0 && done < n) {
		const size_t want = n - done < PART_READ_CHUNK
					    ? (size_t)(n - done)
					    : PART_READ_CHUNK;

		r = hs_pread_full(p->fd, p->buf, want, done, p->path, e);
		if (r == 0)
			r = hash_update(p->hash, p->buf, want, e);
		done += want;
	}
	return r;
}

/* Truncates the file to size bytes and restarts the hash over them. */
static int part_keep(struct part *p, uint64_t size, struct hs_err *e)
{
	struct hash *h = NULL;
	int r;

	(void)part_stop(p, NULL); /* what they did is about to be redone */
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
	p->written = size;
	p->hashed = size;
	p->synced = 0; /* until a sync says otherwise */
	p->sync_failed = false;
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

	r = part_start(p);
	if (r < 0)
		return r;
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
	p->size += n;
	part_lock(p);
	p->written = p->size;
	r = p->error;
	(void)pthread_cond_broadcast(&p->cv);
	part_unlock(p);
	return r;
}

int part_sync(struct part *p, struct hs_err *e)
{
	int r = 0;

	if (fdatasync(p->fd) < 0)
		r = -errno;
	part_lock(p);
	if (r < 0)
		p->sync_failed = true;
	else if (p->sync_failed)
		r = -EIO;
	else
		p->synced = p->size;
	part_unlock(p);
	if (r < 0)
		return hs_err_set(e, r, "cannot make '%s' durable: %s", p->path,
				  strerror(-r));
	return 0;
}

uint64_t part_synced(struct part *p)
{
	uint64_t s;

	part_lock(p);
	s = p->synced;
	part_unlock(p);
	return s;
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
	int r;

	r = part_stop(p, e);
	if (r < 0) {
		hs_err_prefix(e, "cannot hash the download: ");
		return r;
	}
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
	(void)part_stop(p, NULL);
	if (p->fd >= 0)
		(void)close(p->fd);
	hash_free(p->hash);
	free(p->buf);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
}

int part_remove(const char *dir, const char *name, struct hs_err *e)
{
	char path[PATH_MAX];

	const int r = part_file_path(dir, name, path, e);

	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return hs_err_set(e, -errno, "cannot remove '%s': %s", path,
				  strerror(errno));
	return 0;
}

void part_discard(struct part *p)
{
	if (p == NULL)
		return;
	(void)unlink(p->path);
	part_free(p);
}
