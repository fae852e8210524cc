/*
 * bundle.h - the bundle format: a repository's signed metadata and packages
 * in one file, for a site without the network (a technician on a
 * remote-maintenance line, a USB stick).  haishin-publish packs one
 * (publish/publish_bundle.c chooses the members), haishind unpacks a pushed
 * one (daemon/engine/pushed.c chooses where, and reads it as a repository).
 *
 * A bundle is a .tar.zst in the package format (pack.h), at a fast zstd
 * level since its packages are compressed already, holding a marker beside
 * a repository's files at their repository paths:
 *
 *	haishin-bundle.json	{"_type": "bundle", "format": 1}
 *	1.root.json ... N.root.json, root.json	the root chain
 *	manifest.json		the signed manifest
 *	packages/...		the packages, at their manifest URLs
 *
 * Nothing in a bundle is trusted for being in it: its reader verifies the
 * members as it would from a server.  The marker only tells a bundle from
 * another archive, and its format from a later one.
 */
#ifndef HAISHIN_BUNDLE_H
#define HAISHIN_BUNDLE_H

#include "hs_err.h"

#define BUNDLE_MARKER "haishin-bundle.json"
#define BUNDLE_FORMAT 1 /* the marker's "format" */
#define BUNDLE_MARKER_MAX 4096 /* the most of a marker that is read */
#define BUNDLE_ZSTD_LEVEL 3

/* A bundle being written. */
struct bundle_writer;

/*
 * Starts the bundle that bundle_writer_finish() writes at path: its members
 * are gathered in a new directory beside it, path.stage.XXXXXX.  The caller
 * closes *ret_w with bundle_writer_close().  Returns 0, or -ENAMETOOLONG or
 * mkdtemp's errno, with e naming the path.
 */
int bundle_writer_new(const char *path, struct bundle_writer **ret_w,
		      struct hs_err *e);

/*
 * Adds the file dir/rel as the member rel (a hard link when both are on one
 * file system, else a copy).  rel is a relative path of plain components
 * and not the marker: else -EINVAL.  Also -EEXIST for a member added twice,
 * or the errno of a failed system call, with e naming the file.
 */
int bundle_writer_add(struct bundle_writer *w, const char *dir, const char *rel,
		      struct hs_err *e);

/*
 * Adds the marker and packs the members into the bundle's path, written
 * whole or not at all (a temporary file beside it, fsync'ed, mode 0644,
 * renamed).  Returns 0, or pack_dir_level()'s error or the errno of a
 * failed system call.
 */
int bundle_writer_finish(struct bundle_writer *w, struct hs_err *e);

/*
 * Removes the members gathered (the files they came from stay) and frees
 * w; NULL is allowed.  Returns 0, or -errno with e naming the directory
 * that could not be removed: a warning, the bundle itself is written.
 */
int bundle_writer_close(struct bundle_writer *w, struct hs_err *e);

/*
 * Unpacks the bundle read from fd into dir, an existing empty directory,
 * with the package policy (unpack.h: nothing escapes, no links out, caps
 * on sizes), then checks its marker.  Returns 0, or -EBADMSG for an archive
 * that is corrupt, holds no marker or one of another format, -EPERM for an
 * entry the policy refuses, -EFBIG for a cap, or the errno of a failed
 * system call.  On failure dir may hold a partial tree, which the caller
 * removes.
 */
int bundle_unpack(int fd, const char *dir, struct hs_err *e);

#endif
