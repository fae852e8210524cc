/*
 * part.h - a download's part file in the cache, CACHE/NAME.part, and the
 * SHA-256 of its bytes, kept in step as it grows.
 *
 * The file's bytes up to part_size() are exactly what was written through
 * this handle (or kept by part_resume), and the running hash covers exactly
 * those bytes.  Hashing and syncing run in two helper threads that follow
 * the writer, so neither slows the transfer: part_synced() says how many
 * bytes a background sync has made durable (the offset the caller may
 * journal), and part_sync() makes all of them durable now.  One thread at a
 * time calls the functions below.
 */
#ifndef HAISHIN_PART_H
#define HAISHIN_PART_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "hash.h"

struct part;

/* Writes DIR/NAME.part into out; -ENAMETOOLONG when it does not fit. */
int part_file_path(const char *dir, const char *name, char out[static PATH_MAX],
		   struct hs_err *e);

/*
 * Opens (creating, mode 0600, never following a symlink) DIR/NAME.part
 * without changing it.  part_size() is 0 until part_resume().  The caller
 * frees *ret_p with part_free().
 */
int part_open(const char *dir, const char *name, struct part **ret_p,
	      struct hs_err *e);

/* Removes DIR/NAME.part if it is there: a download given up for good. */
int part_remove(const char *dir, const char *name, struct hs_err *e);

/*
 * Keeps the first offset bytes of the file and drops the rest; the hash is
 * rebuilt by reading them back (what is on disk is what is hashed, whatever
 * happened before a crash).  When the file is shorter than offset, it is
 * emptied instead.  *ret_kept gets the size kept.
 */
int part_resume(struct part *p, uint64_t offset, uint64_t *ret_kept,
		struct hs_err *e);

/* Empties the file and restarts the hash. */
int part_reset(struct part *p, struct hs_err *e);

/* Appends n bytes.  Returns 0 or a negative errno (-ENOSPC, -EIO). */
int part_append(struct part *p, const uint8_t *buf, size_t n);

/* Makes the bytes written so far durable (fdatasync). */
int part_sync(struct part *p, struct hs_err *e);

/* Bytes made durable so far (by part_sync or the background sync). */
uint64_t part_synced(struct part *p);

uint64_t part_size(const struct part *p);
const char *part_path(const struct part *p);

/*
 * Ends the hash of the part_size() bytes; writes the hex digest.  After this
 * only part_fd(), part_reset() and part_free() may be used.
 */
int part_digest(struct part *p, char hex[static HASH_SHA256_HEX_LEN + 1],
		struct hs_err *e);

/* The open file, for extracting what was verified; owned by p. */
int part_fd(const struct part *p);

/* Removes the file and releases p; NULL is allowed. */
void part_discard(struct part *p);

/* Closes the file (which stays) and releases p; NULL is allowed. */
void part_free(struct part *p);

#endif
