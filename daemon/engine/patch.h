/*
 * patch.h - updating by delta on the terminal: the base kept in the cache,
 * the choice of a delta, and its application.
 *
 * After each install the cache keeps the installed version's tar as
 * CACHE/NAME.base.tar, with its SHA-256 in NAME.base.sha256.  All bases
 * together stay within [transfer] cache_max: a new one makes room by
 * forgetting the oldest (the longest installed), and one that alone is over
 * it is not kept.  An update then uses the manifest's delta from
 * the installed version when the kept base is that version's tar; the
 * rebuilt tar is installed only when its SHA-256 is the manifest's.  Any
 * failure is the caller's cue to fall back to the full package: patch_apply()
 * says why, for the history.
 */
#ifndef HAISHIN_PATCH_H
#define HAISHIN_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hash.h"
#include "hs_err.h"
#include "manifest.h"

/*
 * Brings the cache back within cache_max (a lowered setting, bases of
 * components no longer published) and removes what a crash left half
 * written.  Call it only when no update is running.
 */
void patch_sweep(const struct config *cfg);

/* A new base, and the bases that must stay while it makes room. */
struct patch_new_base {
	const char *name;
	uint64_t tar_size; /* as the manifest says; 0 when it does not */
	const char *tar_sha256; /* likewise; "" when it does not */
	const char *const *pinned; /* NULL-terminated: bases of components
				    * this update has still to use (or NULL) */
};

/*
 * Keeps the tar of the package in pkg_fd (a verified .tar.zst, read from
 * offset 0) as nb's base, after making room for it (a size the manifest
 * gives is made room for before the tar is written).  A tar that does not
 * fit is not kept, and any older base of nb is forgotten then.  Returns 0,
 * or an error on writing.
 */
int patch_keep_package(const struct config *cfg,
		       const struct patch_new_base *nb, int pkg_fd,
		       struct hs_err *e);

/* Keeps the rebuilt tar at tar_path (nb's tar_size bytes, its tar_sha256)
 * as nb's base by renaming it; removes it when it does not fit or cannot
 * be kept. */
int patch_keep_tar(const struct config *cfg, const struct patch_new_base *nb,
		   const char *tar_path, struct hs_err *e);

/* Forgets NAME's base. */
void patch_forget(const struct config *cfg, const char *name);

/*
 * The SHA-256 kept beside NAME's base (the tar a delta is applied to):
 * 0 with out filled, -ENOENT when there is no base, or another error with
 * e set (a file cut short: -ENODATA, fileio.h; one that holds more than a
 * SHA-256: -EBADMSG).  Which delta to use is decide_path()'s (decide.h).
 */
int patch_base_sha256(const struct config *cfg, const char *name,
		      char out[static HASH_SHA256_HEX_LEN + 1],
		      struct hs_err *e);

/*
 * Applies the downloaded delta d (delta_fd) to NAME's base into a new file
 * of the cache, which must then be c's tar (size and SHA-256 of the
 * manifest).  Fills tar_path (n bytes) and *ret_fd, open at offset 0; the
 * caller keeps or removes it.  -ESTALE when the cached base is not the one
 * the delta needs (forget it), -EBADMSG when the delta does not rebuild the
 * manifest's tar, or the errno of a failed write (-ENOSPC).
 */
int patch_apply(const struct config *cfg, const struct manifest_component *c,
		const struct manifest_delta *d, int delta_fd, char *tar_path,
		size_t n, int *ret_fd, struct hs_err *e);

#endif
