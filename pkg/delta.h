/*
 * delta.h - deltas between two versions of a package: a small file that,
 * applied to the old package's uncompressed tar (the base), rebuilds the new
 * one's (the result).  The code works on any bytes, not only tars.
 *
 * A delta is self-describing (docs/delta.md): a fixed header names the
 * method, the base's size and SHA-256 and the result's, then the method's
 * payload follows.  Two methods:
 *
 *   DELTA_ZSTD     the result compressed by zstd with the base as its
 *                  reference prefix (the --patch-from idea).  Best on text
 *                  and on packages that move whole files.
 *   DELTA_SUFDIFF  bsdiff's published algorithm (approximate matches found
 *                  through a suffix array of the base): control, difference
 *                  and extra streams, each kept raw or compressed by zstd or
 *                  LZMA2, whichever is smallest.  Best on executables, where
 *                  shifted addresses cost almost nothing.
 *
 * Output is deterministic: the same inputs give the same bytes.  Applying
 * never trusts the delta or the base: the base's size and SHA-256 are
 * checked before it is read, every length is checked against the header and
 * the base, and the result's SHA-256 is checked at the end.  The caller still
 * checks the result against its own signed metadata.
 *
 * Inputs are regular files (they are mapped read-only).  A file changed or
 * truncated by someone else while it is mapped may raise SIGBUS: the caller
 * owns the files it passes.
 */
#ifndef HAISHIN_DELTA_H
#define HAISHIN_DELTA_H

#include <stdint.h>

#include "hash.h"
#include "hs_err.h"

enum delta_method {
	DELTA_ZSTD = 1,
	DELTA_SUFDIFF = 2,
};

/* What a delta's header says; the hashes are lowercase hex. */
struct delta_info {
	enum delta_method method;
	uint64_t base_size;
	char base_sha256[HASH_SHA256_HEX_LEN + 1];
	uint64_t result_size;
	char result_sha256[HASH_SHA256_HEX_LEN + 1];
};

/* The name of a method ("zstd", "sufdiff"), or NULL for an unknown one. */
const char *delta_method_name(enum delta_method m);

/*
 * Parses a method name as delta_method_name() writes it.  Returns 0, or
 * -EINVAL for an unknown name.
 */
int delta_method_parse(const char *s, enum delta_method *ret_m);

/*
 * Makes the delta that rebuilds result_fd's contents from base_fd's, by
 * method m, and writes it to out_fd at its current offset (out_fd may be a
 * pipe).  base_fd and result_fd are regular files, read whole from offset 0;
 * each is at most HS_PACKAGE_MAX_BYTES.  Returns 0, or a negative errno with
 * e set: -EINVAL (unknown method, not a regular file), -EFBIG (an input
 * beyond what the method handles: see docs/delta.md), -ENOMEM, -EIO (a
 * compressor failed), or the errno of a failed system call.  On failure
 * out_fd holds a partial delta that the caller discards.
 */
int delta_make(enum delta_method m, int base_fd, int result_fd, int out_fd,
	       struct hs_err *e);

/*
 * Makes both deltas at once, in two threads, and writes the smaller to out_fd
 * (zstd when they are the same size); *ret_method (may be NULL) names it.  A
 * method that refuses the inputs as too large (-EFBIG) or runs out of memory
 * (-ENOMEM) leaves the choice to the other; any other failure of either, or
 * both failing, is returned.  Memory is that of
 * both methods together (docs/delta.md).
 */
int delta_make_best(int base_fd, int result_fd, int out_fd,
		    enum delta_method *ret_method, struct hs_err *e);

/*
 * Reads and checks the header of the delta in delta_fd (from offset 0; the
 * offset is not used or changed).  Returns 0 and fills *ret, or -EBADMSG
 * (bad magic, unknown method, a size over HS_PACKAGE_MAX_BYTES, a short
 * file), or the errno of a failed read.
 */
int delta_read_info(int delta_fd, struct delta_info *ret, struct hs_err *e);

/*
 * Applies the delta in delta_fd (a regular file, read from offset 0) to the
 * base in base_fd (a regular file) and writes the result to out_fd, which
 * must be an empty regular file open for reading and writing (the zstd
 * method maps it; sufdiff writes it in order).  The base is checked against
 * the header's size and SHA-256 before it is used, and the result's SHA-256
 * at the end.  Returns 0, or a negative errno with e set: -ESTALE for a
 * base that is not the one the delta was made from (nothing was written);
 * -EBADMSG for a corrupt or hostile delta (e names the field or stream at
 * fault) or a result whose SHA-256 differs; -EINVAL for an out_fd
 * that is not an empty regular file; -ENOSPC when the result does not fit;
 * -ENOMEM; or the errno of a failed system call.  On failure out_fd holds
 * garbage that the caller discards.
 */
int delta_apply(int delta_fd, int base_fd, int out_fd, struct hs_err *e);

#endif
