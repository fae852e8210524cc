/*
 * bundle.h - a pushed bundle: one .tar.zst with a repository's signed
 * metadata and packages, for a site without the network (a technician on a
 * remote-maintenance line, a USB stick).
 *
 * The bundle is unpacked with the package policy (pkg/unpack.h: nothing
 * escapes, no links out, caps on sizes) into a fresh directory of the cache,
 * and then read as a repository at a file:// URL by the same cycle as the
 * network one: the root chain walked from the trusted root, the manifest's
 * signatures, serial and expiry, each package's size and SHA-256.  Nothing in
 * the bundle is trusted for being in the bundle; its marker file only tells
 * a bundle from another archive.
 *
 *	haishin-bundle.json	{"_type": "bundle", "format": 1}
 *	root.json, N.root.json	the root chain
 *	manifest.json		the signed manifest
 *	packages/...		the packages, at their manifest URLs
 */
#ifndef HAISHIN_BUNDLE_H
#define HAISHIN_BUNDLE_H

#include <stddef.h>

#include "hs_bundle.h"
#include "hs_err.h"

/*
 * Unpacks the bundle read from fd into a new directory under cache, whose
 * path goes to dir (n bytes), and checks its marker.  On failure nothing is
 * left behind: -EBADMSG for an archive that is not a bundle or is corrupt,
 * -EPERM for an entry the policy refuses, -EFBIG for a cap, or the errno of
 * a failed system call.
 */
int bundle_unpack(int fd, const char *cache, char *dir, size_t n,
		  struct hs_err *e);

/* The base URL that reads dir as a repository: "file://DIR/". */
int bundle_url(const char *dir, char *url, size_t n, struct hs_err *e);

/* Removes an unpacked bundle. */
void bundle_remove(const char *dir);

#endif
