/*
 * pushed.h - a pushed bundle on the terminal (the format: pkg/bundle.h).
 *
 * The bundle is unpacked into a fresh directory of the cache, and then read
 * as a repository at a file:// URL by the same cycle as the network one:
 * the root chain walked from the trusted root, the manifest's signatures,
 * serial and expiry, each package's size and SHA-256.
 */
#ifndef HAISHIN_PUSHED_H
#define HAISHIN_PUSHED_H

#include <stddef.h>

#include "hs_err.h"

/*
 * Unpacks the bundle read from fd (bundle_unpack()) into a new directory
 * under cache, whose path goes to dir (n bytes).  On failure nothing is
 * left behind: -EBADMSG for an archive that is not a bundle or is corrupt,
 * -EPERM for an entry the policy refuses, -EFBIG for a cap, or the errno of
 * a failed system call; e's message starts "bundle: ".
 */
int pushed_unpack(int fd, const char *cache, char *dir, size_t n,
		  struct hs_err *e);

/* The base URL that reads dir as a repository: "file://DIR/". */
int pushed_url(const char *dir, char *url, size_t n, struct hs_err *e);

/* Removes an unpacked bundle; a failure is logged. */
void pushed_remove(const char *dir);

#endif
