/*
 * sweep.h - what an earlier haishind left half done, cleared at start.
 *
 * A haishind that was killed, crashed or lost its power leaves its last
 * writes behind it.  None of them is ever taken for a complete thing (the
 * order of the writes sees to that: docs/install.md), but they take room
 * and, for downloads, could disagree with their journal.  At start, with
 * the state directory's lock held and before any attempt:
 *
 *	INSTALL/NAME/VERSION.staging	removed (never what current names,
 *					never a complete version)
 *	CACHE: bases half written	removed, then the bases brought within
 *	  or without their SHA-256	[transfer] cache_max (patch_sweep)
 *	CACHE/bundle.*			pushed bundles being unpacked: removed
 *	CACHE/KEY.part, journal rows	made to agree: a part file without its
 *					row is removed, a row without its file
 *					too; a download that the stored
 *					manifest no longer asks for (its
 *					version is installed, or it is not the
 *					manifest's) is removed with its row;
 *					the rest resumes
 *	STATE/FILE.tmp.PID		a state file being written: removed
 *
 * Planted symlinks and anything else not of haishind's making are left as
 * they are.  Each removal is logged.
 */
#ifndef HAISHIN_SWEEP_H
#define HAISHIN_SWEEP_H

#include "config.h"
#include "db.h"

/*
 * Clears the leftovers of cfg's install root, cache and state directory.
 * db is the open state database, or NULL when it could not be opened: the
 * part files and the journal are then left alone.  Returns how many things
 * were removed (the cache's bases apart: patch_sweep logs those); a failure
 * to remove one is logged and the sweep goes on.
 */
int sweep_leftovers(const struct config *cfg, struct db *db);

#endif
