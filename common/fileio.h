/*
 * fileio.h - reading and durably writing the small files haishin keeps.
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

/*
 * Writes buf to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory.  mode is the file's mode.
 */
int hs_write_file_atomic(const char *path, const void *buf, size_t len,
			 unsigned mode, struct hs_err *e);

#endif
