/*
 * switch.h - which version of a component is active, and the moves that
 * keep it whole: the pointer ROOT/NAME/current names one complete version
 * directory ROOT/NAME/VERSION.  install.c stages, extracts and prunes;
 * everything that sets, reads or removes the pointer, or puts a version
 * directory in place, goes through here.  Each platform has its own file
 * (docs/platform.md): switch_linux.c makes current a symlink replaced with
 * rename(2), and exchanges directories with renameat2(RENAME_EXCHANGE).
 *
 * The promise, on every platform: whatever instant a crash or power cut
 * comes, current names the old version or the new one, never nothing (when
 * there was one) and never a mix; a switch that fails leaves it where it
 * was.  Once a call returns 0 the change is durable.  A switch cut off
 * leaves at most a leftover beside current (switch_linux.c: current.new),
 * which the next switch clears and install_prune() leaves alone.
 */
#ifndef HAISHIN_SWITCH_H
#define HAISHIN_SWITCH_H

#include <stddef.h>

#include "hs_err.h"

/* The pointer's name in ROOT/NAME: never a version, never pruned. */
#define SWITCH_CURRENT "current"

/*
 * Points ROOT/NAME/current at version (a directory beside it), atomically
 * replacing what it pointed at.  Returns 0, or a negative errno with e set;
 * on failure current is unchanged.
 */
int switch_activate(const char *root, const char *name, const char *version,
		    struct hs_err *e);

/*
 * Reads which version ROOT/NAME/current points at into out (n bytes,
 * HS_VERSION_MAX + 1 is enough).  Returns 0; -ENOENT when the component has
 * no current version; -EBADMSG when current points at something that is
 * not a version; another negative errno.
 */
int switch_current(const char *root, const char *name, char *out, size_t n,
		   struct hs_err *e);

/*
 * Removes ROOT/NAME/current, so the component has no active version; a
 * missing one is not an error.  The version directories stay.
 */
int switch_remove(const char *root, const char *name, struct hs_err *e);

/*
 * Puts the complete directory staging in place as final (both in one
 * directory).  When final exists (the same version installed again) the
 * two are exchanged in one step, so a current that names final never sees
 * it missing, and staging then holds the old copy for the caller to
 * remove.  Returns 0 (moved), 1 (exchanged), or a negative errno with e set
 * and nothing moved.  The caller makes the move durable (hs_fsync_dir of
 * the directory).
 */
int switch_place(const char *staging, const char *final, struct hs_err *e);

#endif
