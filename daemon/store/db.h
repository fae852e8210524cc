/*
 * db.h - the state database: one SQLite file, state_dir/haishin.db.
 *
 * Holds the installed components, the history of attempts, the trust
 * state (last accepted root version and manifest serial), per component
 * what keeps installs safe (a version that failed to install, the last
 * health check), and the holds of components rolled back by hand.  Every
 * write is a transaction, so a crash loses nothing that was reported as
 * done.  The schema is versioned with PRAGMA user_version and migrated on
 * open.
 */
#ifndef HAISHIN_DB_H
#define HAISHIN_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "hs_limits.h"

#define DB_FILE_NAME "haishin.db"
#define DB_SCHEMA_VERSION 6 /* PRAGMA user_version of an up-to-date file */
#define DB_REASON_MAX 512

struct db;

/*
 * Opens (creating if needed, mode 0600) state_dir/haishin.db and brings its
 * schema up to date.  The directory must exist.  The caller frees *ret_db
 * with db_free().  Returns 0, or -EIO with SQLite's message in e (also for
 * a schema newer than this code), -EUCLEAN for a file that is not a
 * database or is corrupt (damaged: see floor.h), -EBUSY,
 * -ENOSPC, or open(2)'s errno (-ENOENT for a missing directory); the
 * message names the file.
 *
 * Every function below returns 0 or a negative errno with e set: -EIO for
 * SQLite's errors, -EUCLEAN for a damaged file, -EBUSY when the database
 * stayed locked past the busy timeout, -ENOSPC when the disk is full.
 */
int db_open(const char *state_dir, struct db **ret_db, struct hs_err *e);

/* Closes db; NULL is allowed. */
void db_free(struct db *db);

/*
 * Transactions, for writes that must land together (BEGIN IMMEDIATE, so the
 * write lock is taken at begin).  Outside one, each write is atomic on its
 * own.  They do not nest: db_begin inside a transaction fails.  When
 * db_commit fails the transaction is still open and the caller calls
 * db_rollback, which does nothing outside a transaction.
 */
int db_begin(struct db *db, struct hs_err *e);
int db_commit(struct db *db, struct hs_err *e);
void db_rollback(struct db *db);

struct db_installed {
	char name[HS_NAME_MAX + 1];
	char version[HS_VERSION_MAX + 1];
	char previous[HS_VERSION_MAX + 1]; /* "" when none */
	char sha256[65]; /* of the package installed */
	int64_t installed_at; /* seconds since the epoch */
};

/*
 * Looks up one component: 0 found, -ENOENT not installed (e untouched), or
 * -EIO.  *ret is written only when found.
 */
int db_installed_get(struct db *db, const char *name, struct db_installed *ret,
		     struct hs_err *e);

/* Inserts or replaces the row for in->name. */
int db_installed_put(struct db *db, const struct db_installed *in,
		     struct hs_err *e);

/* Removes the row of name (a first install undone); none is no error. */
int db_installed_delete(struct db *db, const char *name, struct hs_err *e);

/*
 * Calls fn for every installed component, in name order; stops and returns
 * fn's value when it is negative (e untouched).  fn must not write to the
 * database while the walk is running.
 */
typedef int db_installed_fn(void *ctx, const struct db_installed *in);
int db_installed_foreach(struct db *db, db_installed_fn *fn, void *ctx,
			 struct hs_err *e);

/*
 * What keeps a component's installs safe: the version that failed to
 * install (not tried again until the manifest names another), and the last
 * result of its health check.  A component without a row has neither.
 */
struct db_component_state {
	char name[HS_NAME_MAX + 1];
	char failed_version[HS_VERSION_MAX + 1]; /* "" when none */
	char failed_reason[DB_REASON_MAX];
	int64_t failed_at; /* 0 when none */
	bool health_ok;
	char health_detail[DB_REASON_MAX];
	int64_t health_at; /* 0: never checked */
};

/* 0 found, -ENOENT no row (e untouched), or an error.  *ret written only
 * when found. */
int db_component_state_get(struct db *db, const char *name,
			   struct db_component_state *ret, struct hs_err *e);

/* Records that version of name failed to install at at, and why; keeps
 * the health fields. */
int db_component_failed_put(struct db *db, const char *name,
			    const char *version, const char *reason, int64_t at,
			    struct hs_err *e);

/* Forgets name's failed version (none: nothing to do). */
int db_component_failed_clear(struct db *db, const char *name,
			      struct hs_err *e);

/* Records the result of name's last health check; keeps the failed
 * version. */
int db_component_health_put(struct db *db, const char *name, bool ok,
			    const char *detail, int64_t at, struct hs_err *e);

/* The trust state: what the client accepted last. */
struct db_trust {
	uint64_t root_version; /* 0 before the first accepted root */
	uint64_t manifest_serial; /* 0 before the first manifest */
	char manifest_sha256[65]; /* of that manifest's payload, or "" */
	int64_t manifest_expires; /* seconds since the epoch, or 0 */
	int64_t last_contact; /* last successful server contact, or 0 */
};

/*
 * Reads the trust state; a new database yields all zeros and "".  Put
 * replaces it whole; -ERANGE when a version or serial is above INT64_MAX
 * (SQLite integers are signed).
 */
int db_trust_get(struct db *db, struct db_trust *ret, struct hs_err *e);
int db_trust_put(struct db *db, const struct db_trust *t, struct hs_err *e);

/* One attempt, as the history records it. */
struct db_attempt {
	int64_t id; /* set by db_history_add */
	int64_t started;
	int64_t finished;
	char trigger[16]; /* "once", "boot", "manual", ... */
	char component[HS_NAME_MAX + 1]; /* "" for the whole check */
	char from_version[HS_VERSION_MAX + 1]; /* "" when none */
	char to_version[HS_VERSION_MAX + 1]; /* "" when none */
	char method[16]; /* "full", "resumed", "fallback", "delta-zstd",
			  * "delta-sufdiff", or "" for a check */
	uint64_t bytes; /* bytes transferred */
	uint64_t saved; /* bytes a delta spared against the full package */
	char state[32]; /* terminal state name */
	char reason[DB_REASON_MAX];
};

/*
 * Appends an attempt; fills a->id (increasing) on success.  A string field
 * without a NUL is cut at its size; bytes and saved above INT64_MAX are
 * stored as INT64_MAX.
 */
int db_history_add(struct db *db, struct db_attempt *a, struct hs_err *e);

/*
 * Calls fn for up to limit attempts (SIZE_MAX: all), newest first (highest
 * id first); component NULL for all, "" for whole-check attempts only.
 * Stops and returns fn's value when it is negative (e untouched).  fn must
 * not write to the database while the walk is running.
 */
typedef int db_attempt_fn(void *ctx, const struct db_attempt *a);
int db_history_foreach(struct db *db, const char *component, size_t limit,
		       db_attempt_fn *fn, void *ctx, struct hs_err *e);

/*
 * The journal of a partial download: how many bytes of CACHE/NAME.part are
 * durable (offset), what they are the start of (url, sha256, size), and
 * the validators of the server they came from (base), for If-Range.  The
 * journal, not the file's size, is the truth about progress.
 */
/* A download's key: a component name and a suffix ("NAME@delta"). */
#define DB_PARTIAL_NAME_MAX (HS_NAME_MAX + 16)

struct db_partial {
	char name[DB_PARTIAL_NAME_MAX + 1];
	char url[HS_URL_MAX]; /* relative to a base */
	char sha256[65]; /* of the whole file, as signed */
	uint64_t size; /* of the whole file, as signed */
	uint64_t offset; /* bytes durable in the part file */
	char base[HS_URL_MAX]; /* the base URL the validators came from */
	char etag[128];
	char last_modified[128];
	int64_t updated;
};

/* 0 found, -ENOENT none, or -EIO. */
int db_partial_get(struct db *db, const char *name, struct db_partial *ret,
		   struct hs_err *e);
int db_partial_put(struct db *db, const struct db_partial *p, struct hs_err *e);
int db_partial_delete(struct db *db, const char *name, struct hs_err *e);

/*
 * Calls fn for every journal row, in name order; stops and returns fn's
 * value when it is negative (e untouched).  fn must not write to the
 * database while the walk is running.
 */
typedef int db_partial_fn(void *ctx, const struct db_partial *p);
int db_partial_foreach(struct db *db, db_partial_fn *fn, void *ctx,
		       struct hs_err *e);

/*
 * Settings changed at run time, by key ("enabled", "disabled_reason"):
 * 0 found (value copied, cut to n), -ENOENT unset, or an error.
 */
int db_setting_get(struct db *db, const char *key, char *out, size_t n,
		   struct hs_err *e);
int db_setting_put(struct db *db, const char *key, const char *value,
		   struct hs_err *e);

/* ---- holds -------------------------------------------------------------- */

/*
 * A hold: automatic updates of a component wait because a person rolled it
 * back by hand (haishinctl rollback), until 'haishinctl resume NAME' lifts
 * it or a version newer than from_version is installed.  At most one per
 * component.
 */
#define DB_HOLD_REASON_MAX 256

struct db_hold {
	char name[HS_NAME_MAX + 1];
	char from_version[HS_VERSION_MAX +
			  1]; /* the version rolled back from */
	char reason[DB_HOLD_REASON_MAX]; /* a person's words, as recorded */
	int64_t held_at; /* seconds since the epoch */
};

/* 0 found (*ret written), -ENOENT not held (e untouched), or an error. */
int db_hold_get(struct db *db, const char *name, struct db_hold *ret,
		struct hs_err *e);

/* Inserts or replaces the hold of h->name. */
int db_hold_put(struct db *db, const struct db_hold *h, struct hs_err *e);

/* Lifts the hold of name; a component that is not held is no error. */
int db_hold_delete(struct db *db, const char *name, struct hs_err *e);

/*
 * Calls fn for every hold, in name order; stops and returns fn's value when
 * it is negative (e untouched).  fn must not write to the database while
 * the walk is running.
 */
typedef int db_hold_fn(void *ctx, const struct db_hold *h);
int db_hold_foreach(struct db *db, db_hold_fn *fn, void *ctx, struct hs_err *e);

#endif
