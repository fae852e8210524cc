/*
 * pack.h - deterministic packages: a directory becomes a .tar.zst whose bytes
 * depend only on the tree's names, contents, executable bits and symlink
 * targets.  Entries are sorted bytewise; owner is 0/0 with no names; every
 * mtime is PACK_MTIME; files are 0644 or 0755, directories 0755.  Only
 * regular files, directories and symlinks whose target stays inside the tree
 * are accepted; anything else is refused with an error naming the path.
 */
#ifndef HAISHIN_PACK_H
#define HAISHIN_PACK_H

#include <stdint.h>

#include "hs_err.h"

/* The fixed modification time of every entry (2000-01-01T00:00:00Z). */
#define PACK_MTIME 946684800

/* zstd level used for packages. */
#define PACK_ZSTD_LEVEL 19

/*
 * Writes the package of directory dir to out_fd (which must be empty and
 * writable).  Returns 0, or a negative errno with e naming the path at fault:
 * -EINVAL for an entry type or symlink that is refused (the symlink rule is
 * unpack_symlink_is_contained()), -EFBIG or -ENAMETOOLONG for a tree beyond
 * the caps that unpack_fd() applies by default, -EIO for an archive error, or
 * the errno of a failed system call.
 */
int pack_dir(const char *dir, int out_fd, struct hs_err *e);

/* pack_dir() at another zstd level (1 to 19): a bundle of packages that
 * are compressed already gains nothing from 19. */
int pack_dir_level(const char *dir, int out_fd, int level, struct hs_err *e);

#endif
