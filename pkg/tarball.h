/*
 * tarball.h - the uncompressed tar inside a package: what a delta rebuilds,
 * and what the client keeps in its cache as the base of the next delta.
 */
#ifndef HAISHIN_TARBALL_H
#define HAISHIN_TARBALL_H

#include <stdint.h>

#include "hash.h"
#include "hs_err.h"

struct tarball_info {
	uint64_t size;
	char sha256[HASH_SHA256_HEX_LEN + 1];
};

/*
 * Decompresses the .tar.zst read from pkg_fd (from its current offset) and
 * writes the tar to tar_fd, or only hashes it when tar_fd is -1.  Fills
 * *ret with the tar's size and SHA-256.  Memory is bounded by zstd's
 * window; a tar over max_bytes stops with -EFBIG, a corrupt stream gives
 * -EBADMSG, a failed write its errno.
 */
int tarball_from_package(int pkg_fd, int tar_fd, uint64_t max_bytes,
			 struct tarball_info *ret, struct hs_err *e);

#endif
