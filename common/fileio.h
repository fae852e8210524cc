/*
 * fileio.h - reading and durably writing the files haishin keeps.  What
 * makes a write durable is the platform's (docs/platform.md):
 * fileio_posix.c makes every fsync of a directory and every rename that
 * replaces a file; nothing else in the tree does.
 */
#ifndef HAISHIN_FILEIO_H
#define HAISHIN_FILEIO_H

#include <stddef.h>

#include "hs_err.h"

/*
 * Reads a whole regular file of at most max bytes into a malloc'ed buffer
 * with a NUL after the last byte.  Returns 0, or a negative errno with e set
 * (-EFBIG when the file is larger than max).
 */
int hs_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
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
