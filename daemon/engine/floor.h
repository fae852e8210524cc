/*
 * floor.h - the trust floor that outlives the state database.
 *
 * The database holds the last accepted manifest serial and the installed
 * versions: what stops a replayed older manifest from rolling the terminal
 * back.  A database that is emptied, deleted, or restored from an older
 * copy would forget that floor, so two other witnesses keep it too:
 *
 *	STATE/manifest.json	the last verified manifest (its serial)
 *	INSTALL/NAME/current	the version of NAME actually active
 *
 * floor_judge() compares them with the database; a database behind either
 * is damaged, not new, and the caller refuses to update (STOPPED) until it
 * is restored or rebuilt by floor_reinit(), which keeps both floors.
 */
#ifndef HAISHIN_FLOOR_H
#define HAISHIN_FLOOR_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "hs_err.h"
#include "hs_limits.h"

#define FLOOR_MAX_COMPONENTS HS_MANIFEST_MAX_COMPONENTS

struct floor_component {
	char name[HS_NAME_MAX + 1];
	char version[HS_VERSION_MAX + 1]; /* what current points at */
	char previous[HS_VERSION_MAX + 1]; /* highest other version, or "" */
};

/* What the state directory and the install root show of an earlier life. */
struct floor {
	char state_dir[PATH_MAX];
	char install_dir[PATH_MAX];
	uint64_t manifest_serial; /* of STATE/manifest.json, 0 when none */
	char manifest_sha256[65]; /* of its payload, or "" */
	int64_t manifest_expires;
	size_t n; /* components with a current version */
	struct floor_component c[FLOOR_MAX_COMPONENTS];
};

/*
 * Reads the floor from cfg's state directory and install root.  A missing
 * or unreadable manifest copy is no evidence (serial 0); entries of the
 * install root that are not components with a current version are passed
 * over; past FLOOR_MAX_COMPONENTS the rest is ignored.  Fails only on an
 * install root that exists but cannot be listed (-errno, e names it).
 * The caller owns *ret (a large struct: allocate it).
 */
int floor_read(const struct config *cfg, struct floor *ret, struct hs_err *e);

/*
 * Looks up the database's row for a component: 0 found (*ret filled),
 * -ENOENT none, or another negative errno with e set.
 */
typedef int floor_installed_fn(void *ctx, const char *name,
			       struct db_installed *ret, struct hs_err *e);

/*
 * Pure: whether the database (its trust state t and rows looked up through
 * get) is at or above the floor f.  0 it is; -ESTALE it is behind (e names
 * the file, the evidence and what to do); a lookup's own error is passed on.
 */
int floor_judge(const struct floor *f, const struct db_trust *t,
		floor_installed_fn *get, void *ctx, struct hs_err *e);

/*
 * floor_read() and floor_judge() against the open database db: the check
 * an attempt makes before it trusts the database.
 */
int floor_check(const struct config *cfg, struct db *db, struct hs_err *e);

/*
 * Rebuilds the state database from the floor: a damaged file is kept
 * beside it as haishin.db.damaged-TIME (with its -wal and -shm), a new one
 * is made with the manifest serial and payload hash of STATE/manifest.json
 * and a row per active version under the install root.  The caller holds
 * the state directory's lock.  Fills report (n bytes) with what was done.
 */
int floor_reinit(const struct config *cfg, char *report, size_t n,
		 struct hs_err *e);

/*
 * After an attempt that was cut off (killed, crashed, power lost): what it
 * left between two writes is put back in agreement.  A verified manifest
 * stored but not yet accepted raises the database's serial to it; a
 * component switched but not yet recorded - by an install, or by a rollback
 * by hand to an older version - is switched back to the version the
 * database records (or left without current when it had none), so the old
 * version is active.  An older current whose recorded version is not on
 * disk stays.  Returns 1 when it changed something (report, n
 * bytes, says what), 0 when all agreed, or a negative errno.
 */
int floor_repair(const struct config *cfg, struct db *db, char *report,
		 size_t n, struct hs_err *e);

/*
 * What a damaged database's reason says to do (translated): restore it, or
 * run haishind --reinit.
 */
const char *floor_what_to_do(void);

/* For a damaged database file (e->code -EUCLEAN, db.h): adds to e what to
 * do.  Returns e's code. */
int floor_explain(struct hs_err *e);

#endif
