/*
 * unpack.h - secure extraction of a package into an empty staging directory.
 *
 * Policy, enforced for every entry before anything is written:
 *  - only regular files, directories and symlinks; hard links, devices,
 *    FIFOs and sockets are refused;
 *  - a path is relative, made of normal components (no "..", no "." beyond a
 *    leading "./", no empty component, no NUL), at most max_path bytes and
 *    HS_ARCHIVE_MAX_DEPTH components;
 *  - a symlink's target is relative and, resolved lexically from the link's
 *    directory, stays inside the tree, with its ".." only at the start (see
 *    unpack_symlink_is_contained() below);
 *  - a path appears once (duplicates are refused), and nothing is written
 *    through a symlink: every directory is opened beneath the staging
 *    directory with O_NOFOLLOW;
 *  - modes are masked to 0755 (no set-id, sticky or group/other write);
 *    directories also keep owner rwx, so the tree can be filled and removed;
 *  - caps on entry count, path length, per-file and total unpacked bytes:
 *    a decompression bomb stops at the cap.
 * Every file written is fsync'ed, and so is every directory created.
 */
#ifndef HAISHIN_UNPACK_H
#define HAISHIN_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "hs_err.h"

struct unpack_limits {
	uint64_t max_entries;
	uint64_t max_path;
	uint64_t max_file_bytes;
	uint64_t max_total_bytes;
};

/* Fills l with the caps of hs_limits.h. */
void unpack_limits_default(struct unpack_limits *l);

struct unpack_stats {
	uint64_t entries;
	uint64_t bytes; /* unpacked bytes of regular files */
};

/*
 * Extracts the .tar.zst read from fd, starting at its current offset, into
 * dest_dir, an existing empty directory.  fd is the same open file that was
 * verified: the package is never reopened by path.  lim NULL means
 * unpack_limits_default().  On failure dest_dir may hold a partial tree,
 * which the caller removes; nothing outside dest_dir is ever touched.
 * Returns 0 (and *ret_stats when not NULL), or -EPERM for an entry the policy
 * refuses, -EFBIG for a cap, -EBADMSG for a corrupt archive, -ENOTEMPTY when
 * dest_dir is not empty, or the errno of a failed system call; e names the
 * entry.
 */
int unpack_fd(int fd, const char *dest_dir, const struct unpack_limits *lim,
	      struct unpack_stats *ret_stats, struct hs_err *e);

/*
 * The symlink rule, shared with pack_dir() so that every package it writes
 * passes unpack_fd().  True when target may be stored in a symlink at path (a
 * relative path of normal components): target is not empty, relative, and
 * stays inside the tree.  To stay inside even when other symlinks lie on the
 * way (with "s -> .", "s/.." would leave the tree), ".." components may only
 * come first, and no more of them than path has directories above it.  "."
 * and empty components are ignored.
 */
bool unpack_symlink_is_contained(const char *path, const char *target);

#endif
