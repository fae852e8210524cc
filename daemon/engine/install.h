/*
 * install.h - atomic installs under install_root:
 *
 *	install_root/NAME/VERSION.staging	being extracted (a crash leaves
 *						it; the next install removes it)
 *	install_root/NAME/VERSION		a complete, fsync'ed version
 *	install_root/NAME/current -> VERSION	the active one (switch.h)
 *
 * A crash or power cut at any moment leaves current pointing at either the
 * old or the new complete version, never at a mix.  The previous version is
 * kept for rollback, with the newest [install] keep versions; older ones are
 * pruned.  A version directory is removed by renaming it to VERSION.staging
 * first, so no crash leaves one that is there but half removed.  Which
 * version is active is
 * read with switch_current().
 */
#ifndef HAISHIN_INSTALL_H
#define HAISHIN_INSTALL_H

#include <stdint.h>

#include "hs_err.h"
#include "hs_limits.h"

#define INSTALL_STAGING_SUFFIX ".staging"

/*
 * Extracts the verified package open at pkg_fd (read from offset 0) into
 * NAME/VERSION.staging, fsyncs it and moves it to NAME/VERSION (made
 * durable in NAME), without switching current: what a package's
 * pre-install hook runs in.  On failure nothing the user sees changes and
 * the staging directory is removed.  *ret_bytes gets the unpacked size.
 * Errors: unpack_fd's (-EPERM, -EFBIG, -EBADMSG) or a system call's.
 */
int install_stage(const char *root, const char *name, const char *version,
		  int pkg_fd, uint64_t *ret_bytes, struct hs_err *e);

/*
 * install_stage(), then switches current to NAME/VERSION: an install
 * without hooks.  On failure current still points where it did.
 */
int install_package(const char *root, const char *name, const char *version,
		    int pkg_fd, uint64_t *ret_bytes, struct hs_err *e);

/*
 * Points NAME/current at an installed version again (switch_activate), or
 * removes it when version is NULL or "" (switch_remove): how an install
 * that cannot be recorded is undone.
 */
int install_activate(const char *root, const char *name, const char *version,
		     struct hs_err *e);

/*
 * Removes the directory of one version, which must not be the active one
 * (-EBUSY).  A missing directory is not an error.
 */
int install_remove(const char *root, const char *name, const char *version,
		   struct hs_err *e);

/* Versions of one component install_prune() looks at; past it the rest
 * is left alone. */
#define INSTALL_VERSIONS_MAX 4096

/*
 * Removes the version directories of NAME beyond the newest keep (by
 * version order), except the active one and previous (the version before
 * it, kept for rollback; NULL or "" for none), which always stay; and
 * leftover staging directories.  Entries haishin did not make are left
 * alone.  Failures are reported but leave the active version untouched.
 */
int install_prune(const char *root, const char *name, const char *previous,
		  unsigned keep, struct hs_err *e);

/* rm -rf without following symlinks; a missing path is not an error. */
int install_rmtree(const char *path, struct hs_err *e);

#endif
