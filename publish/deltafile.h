/*
 * deltafile.h - the publisher's files around pkg/delta.h: a package's tar
 * decompressed into a temporary file, and a delta written whole or not at
 * all (a temporary file beside its destination, fsync'ed, renamed).
 *
 * The temporary tars are unlinked as soon as they are created: they vanish
 * when their descriptor is closed, even if the publisher is killed.
 */
#ifndef HAISHIN_DELTAFILE_H
#define HAISHIN_DELTAFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "delta.h"
#include "hs_err.h"
#include "tarball.h"

/* The 4 bytes that open a zstd frame: a package rather than a plain tar. */
#define DELTAFILE_ZSTD_MAGIC "\x28\xb5\x2f\xfd"

/*
 * Opens path as a tar: a package (.tar.zst, told by its magic) is
 * decompressed into an unlinked temporary file under tmpdir, a plain tar is
 * opened as it is.  *ret_fd (the caller closes it) is a regular file; *ret
 * gets the tar's size and SHA-256, and *ret_is_package (may be NULL) says
 * which it was.  Returns 0, or -EINVAL (not a regular file), -EFBIG (a tar
 * over HS_PACKAGE_MAX_BYTES), -EBADMSG (a corrupt package) or the errno of
 * a failed system call, with e naming path.
 */
int deltafile_open_tar(const char *path, const char *tmpdir, int *ret_fd,
		       struct tarball_info *ret, bool *ret_is_package,
		       struct hs_err *e);

/* What deltafile_make() wrote. */
struct deltafile {
	enum delta_method method;
	uint64_t size;
	char sha256[HASH_SHA256_HEX_LEN + 1];
	bool created; /* the file was not there before (the same delta may be) */
};

/* How deltafile_make() makes a delta. */
struct deltafile_opts {
	bool best; /* both methods in two threads, the smaller kept */
	enum delta_method method; /* else this one */
	uint64_t keep_below; /* a delta this large or larger is not kept (it
			      * saves nothing); 0: any size is kept */
};

/*
 * Makes the delta from base_fd's tar to tar_fd's (pkg/delta.h) as o says,
 * in a temporary file under dir, and moves it, mode 0644, to out, or to
 * dir/<sha256>.delta when out is NULL (the name the publisher's repository
 * uses).  Fills *ret and returns 0; or returns 1, leaving nothing behind,
 * when the delta was not below o->keep_below (*ret still says its method,
 * size and SHA-256).  On failure nothing is left behind either.
 */
int deltafile_make(int base_fd, int tar_fd, const struct deltafile_opts *o,
		   const char *dir, const char *out, struct deltafile *ret,
		   struct hs_err *e);

#endif
