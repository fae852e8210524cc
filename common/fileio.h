/*
 * fileio.h - reading and durably writing the files haishin keeps.  What
 * makes a write durable is the platform's (docs/platform.md):
 * fileio_posix.c makes every fsync of a directory and every rename that
 * replaces a file; nothing else in the tree does.
 */
#ifndef HAISHIN_FILEIO_H
#define HAISHIN_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

/*
 * Reads a whole regular file of at most max bytes into a malloc'ed buffer
 * with a NUL after the last byte.  Returns 0, or a negative errno with e set
 * (-EFBIG when the file is larger than max).
 */
int hs_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
		 struct hs_err *e);

/*
 * The one error of a read that ended early: a file or a stream that held
 * fewer bytes than its reader had been told (a part file shorter than its
 * journal, a file that shrank while it was read).  Returns -ENODATA, with
 * the message "WHAT ended after GOT of WANT bytes", WHAT formatted from fmt
 * (a path in quotes, "'%s'", or a phrase); so a caller can tell a short file
 * from an I/O error, which keeps read(2)'s errno (-EIO, ...).  A stream
 * that states no length (a reply line cut off) uses the same code with its
 * own words; a file whose own format says it is longer (a delta shorter
 * than its header) is malformed, -EBADMSG, not short.
 */
int hs_err_short(struct hs_err *e, uint64_t got, uint64_t want, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

/*
 * Reads exactly n bytes at offset off of fd (pread(2), retried after EINTR
 * and short counts) into buf.  Returns 0; hs_err_short() when the file ends
 * first (the sizes counted from the file's start); or read's negative errno
 * with "cannot read 'path': ...".  path names fd in messages.
 */
int hs_pread_full(int fd, void *buf, size_t n, uint64_t off, const char *path,
		  struct hs_err *e);

/* Makes a rename or a new entry in path's directory durable (fsync of the
 * directory). */
int hs_fsync_parent(const char *path, struct hs_err *e);

/* Makes the entries of directory path durable (an fsync of path itself). */
int hs_fsync_dir(const char *path, struct hs_err *e);

/*
 * Moves the file from to to, atomically replacing what to was (a reader
 * sees the old file or the new one, never none), and makes the move
 * durable (hs_fsync_parent of to).  Both must be on one file system.  The
 * caller has made from's data durable first.
 */
int hs_rename_durable(const char *from, const char *to, struct hs_err *e);

/*
 * Writes buf to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory.  mode is the file's mode.
 */
int hs_write_file_atomic(const char *path, const void *buf, size_t len,
			 unsigned mode, struct hs_err *e);

#endif
