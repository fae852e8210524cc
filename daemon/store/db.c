/*
 * db.c - the state database: installed components, the history of
 * attempts, the trust state, per component what keeps installs safe (a
 * failed version, the last health check) and the holds of components
 * rolled back by hand, in one SQLite file.
 *
 * Invariants:
 *  - every value reaches SQL through a bound parameter; the only SQL built
 *    at run time is "PRAGMA user_version = N" with N from this file;
 *  - the file is created 0600 before SQLite opens it (SQLite gives the -wal
 *    and -shm files the database's mode);
 *  - journal_mode is WAL and synchronous FULL, so a commit that returned
 *    has reached the disk;
 *  - the schema is the list of steps in migrations[]: user_version N means
 *    steps 1..N have run.  db_open runs the missing ones in one transaction.
 *    A later schema appends a step; a step is never edited once released;
 *  - SQLite's codes are turned into a negative errno in db_error() only.
 *
 * Statements are prepared per call: the daemon writes a few rows per update
 * and clarity wins over a statement cache.  Every statement goes through
 * db_run(), which binds an array of db_arg, steps, and decodes each row with
 * the table's decode_*() function; a table's functions only say their SQL,
 * their parameters and their columns.
 */
#include "db.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "str.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DB_BUSY_TIMEOUT_MS 5000
#define DB_MODE_MAX 16 /* a journal_mode's name: "delete", "wal", ... */

struct db {
	sqlite3 *h;
	char path[PATH_MAX];
};

/* Schema version 1. */
static const char schema_v1[] =
	"CREATE TABLE installed ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" version TEXT NOT NULL,"
	" previous TEXT NOT NULL DEFAULT '',"
	" sha256 TEXT NOT NULL,"
	" installed_at INTEGER NOT NULL"
	");"
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" started INTEGER NOT NULL,"
	" finished INTEGER NOT NULL,"
	" \"trigger\" TEXT NOT NULL,"
	" component TEXT NOT NULL,"
	" from_version TEXT NOT NULL,"
	" to_version TEXT NOT NULL,"
	" method TEXT NOT NULL,"
	" bytes INTEGER NOT NULL CHECK (bytes >= 0),"
	" state TEXT NOT NULL,"
	" reason TEXT NOT NULL"
	");"
	"CREATE INDEX history_by_component ON history (component, id);"
	"CREATE TABLE trust ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" root_version INTEGER NOT NULL CHECK (root_version >= 0),"
	" manifest_serial INTEGER NOT NULL CHECK (manifest_serial >= 0),"
	" manifest_sha256 TEXT NOT NULL,"
	" manifest_expires INTEGER NOT NULL,"
	" last_contact INTEGER NOT NULL"
	");";

/* Schema version 2: the journal of partial downloads. */
static const char schema_v2[] =
	"CREATE TABLE partial ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" url TEXT NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" size INTEGER NOT NULL CHECK (size >= 0),"
	" offset INTEGER NOT NULL CHECK (offset >= 0 AND offset <= size),"
	" base TEXT NOT NULL,"
	" etag TEXT NOT NULL,"
	" last_modified TEXT NOT NULL,"
	" updated INTEGER NOT NULL"
	");";

/* Schema version 3: settings changed at run time (enable, disable). */
static const char schema_v3[] = "CREATE TABLE settings ("
				" key TEXT PRIMARY KEY NOT NULL,"
				" value TEXT NOT NULL"
				");";

/* Schema version 4: the bytes a delta saved against the full package. */
static const char schema_v4[] =
	"ALTER TABLE history ADD COLUMN saved INTEGER NOT NULL DEFAULT 0"
	" CHECK (saved >= 0);";

/* Schema version 5: per component, what keeps installs safe. */
static const char schema_v5[] =
	"CREATE TABLE component_state ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" failed_version TEXT NOT NULL DEFAULT '',"
	" failed_reason TEXT NOT NULL DEFAULT '',"
	" failed_at INTEGER NOT NULL DEFAULT 0,"
	" health_ok INTEGER NOT NULL DEFAULT 0 CHECK (health_ok IN (0, 1)),"
	" health_detail TEXT NOT NULL DEFAULT '',"
	" health_at INTEGER NOT NULL DEFAULT 0"
	");";

/* Schema version 6: the holds of components rolled back by hand. */
static const char schema_holds[] = "CREATE TABLE holds ("
				   " name TEXT PRIMARY KEY NOT NULL,"
				   " from_version TEXT NOT NULL,"
				   " reason TEXT NOT NULL,"
				   " held_at INTEGER NOT NULL"
				   ");";

/* migrations[i] takes the schema from version i to version i + 1. */
static const char *const migrations[] = {
	schema_v1, schema_v2, schema_v3, schema_v4, schema_v5, schema_holds,
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_SCHEMA_VERSION,
	       "DB_SCHEMA_VERSION names the last migration");

/* The one place where SQLite's result codes become a negative errno. */
static int db_error(sqlite3 *h, int rc, const char *what, struct hs_err *e)
{
	const char *msg = sqlite3_errstr(rc);
	int code;

	if (h != NULL && (sqlite3_errcode(h) & 0xff) == (rc & 0xff))
		msg = sqlite3_errmsg(h);
	switch (rc & 0xff) {
	case SQLITE_FULL:
		code = -ENOSPC;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = -EBUSY;
		break;
	case SQLITE_NOMEM:
		code = -ENOMEM;
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		code = -EUCLEAN; /* the file is damaged, not the disk */
		break;
	default:
		code = -EIO;
		break;
	}
	return hs_err_set(e, code, "%s: %s", what, msg);
}

/* Runs SQL that takes no parameters and returns no rows we need. */
static int db_exec(struct db *db, const char *sql, const char *what,
		   struct hs_err *e)
{
	const int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(db->h, rc, what, e);
	return 0;
}

static int db_prepare(struct db *db, const char *sql, const char *what,
		      sqlite3_stmt **ret_st, struct hs_err *e)
{
	sqlite3_stmt *st = NULL;
	const int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return db_error(db->h, rc, what, e);
	*ret_st = st;
	return 0;
}

static void finalize(sqlite3_stmt *st)
{
	/* Its result repeats the last step's, which was already checked. */
	(void)sqlite3_finalize(st);
}

/* A value for one parameter: args[i] is bound to ?i+1. */
struct db_arg {
	bool is_text;
	const char *text;
	size_t max; /* a fixed field's size: the text is cut there */
	int64_t num;
};

#define DB_NUM(v)                                     \
	{                                             \
		.is_text = false, .num = (int64_t)(v) \
	}
#define DB_TEXT(s)                                            \
	{                                                     \
		.is_text = true, .text = (s), .max = SIZE_MAX \
	}
#define DB_FIELD(fld)                                              \
	{                                                          \
		.is_text = true, .text = (fld), .max = sizeof(fld) \
	}

static int bind_args(sqlite3_stmt *st, const struct db_arg *args, size_t n)
{
	const struct db_arg *a;
	int rc = SQLITE_OK;
	size_t i;

	for (i = 0; rc == SQLITE_OK && i < n; i++) {
		a = &args[i];
		if (!a->is_text)
			rc = sqlite3_bind_int64(st, (int)i + 1, a->num);
		else if (a->max == SIZE_MAX)
			rc = sqlite3_bind_text(st, (int)i + 1, a->text, -1,
					       SQLITE_STATIC);
		else
			rc = sqlite3_bind_text(st, (int)i + 1, a->text,
					       (int)strnlen(a->text, a->max),
					       SQLITE_STATIC);
	}
	return rc;
}

/* Copies text column i into dst of size n, cut to fit; NULL gives "". */
static int column_copy(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	if (t == NULL && sqlite3_column_type(st, i) != SQLITE_NULL)
		return -ENOMEM;
	(void)hs_strlcpy(dst, t != NULL ? (const char *)t : "", n);
	hs_utf8_fix(dst);
	return 0;
}

#define COLUMN_COPY(st, i, fld) column_copy(st, i, fld, sizeof(fld))

static uint64_t column_u64(sqlite3_stmt *st, int i)
{
	const sqlite3_int64 v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Reads the current row of st into row: 0, or -ENOMEM. */
typedef int db_decode_fn(sqlite3_stmt *st, void *row);
/* Takes one decoded row: a negative value stops the walk with it. */
typedef int db_each_fn(void *ctx, const void *row);

/* What db_run does with the rows of a statement. */
struct db_rows {
	db_decode_fn *decode;
	void *row; /* decode's output, for each in turn */
	db_each_fn *each; /* NULL: stop at the first row */
	void *ctx;
};

/* Steps st to its end: 1 when it gave a row, 0 when none, or an error. */
static int db_steps(struct db *db, sqlite3_stmt *st, const char *what,
		    const struct db_rows *rows, struct hs_err *e)
{
	int seen = 0;
	int rc;
	int r;

	for (;;) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			return seen;
		if (rc != SQLITE_ROW)
			return db_error(db->h, rc, what, e);
		seen = 1;
		if (rows == NULL)
			continue;
		if (rows->decode(st, rows->row) < 0)
			return hs_err_set(e, -ENOMEM, "%s: out of memory",
					  what);
		if (rows->each == NULL)
			return seen;
		r = rows->each(rows->ctx, rows->row);
		if (r < 0)
			return r;
	}
}

/*
 * The one loop of this file: prepares sql, binds the n args, steps it and
 * hands its rows to rows (NULL: a statement without rows).  what names the
 * table in messages.  Returns 1 when there was a row, 0 when none, or an
 * error (each's own, e untouched).
 */
static int db_run(struct db *db, const char *sql, const char *what,
		  const struct db_arg *args, size_t n,
		  const struct db_rows *rows, struct hs_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;
	int r;

	r = db_prepare(db, sql, what, &st, e);
	if (r < 0)
		return r;
	rc = bind_args(st, args, n);
	if (rc != SQLITE_OK)
		r = db_error(db->h, rc, "bind", e);
	else
		r = db_steps(db, st, what, rows, e);
	finalize(st);
	return r;
}

/* The first row into row: 0, -ENOENT when there is none (e untouched). */
static int db_lookup(struct db *db, const char *sql, const char *what,
		     const struct db_arg *args, size_t n, db_decode_fn *decode,
		     void *row, struct hs_err *e)
{
	const struct db_rows rows = {.decode = decode, .row = row};
	const int r = db_run(db, sql, what, args, n, &rows, e);

	if (r < 0)
		return r;
	return r == 0 ? -ENOENT : 0;
}

/* Every row, decoded into row, to each(ctx, row): 0 or the first error. */
static int db_walk(struct db *db, const char *sql, const char *what,
		   const struct db_arg *args, size_t n,
		   const struct db_rows *rows, struct hs_err *e)
{
	const int r = db_run(db, sql, what, args, n, rows, e);

	return r < 0 ? r : 0;
}

/* A statement that writes: 0 or an error. */
static int db_write(struct db *db, const char *sql, const char *what,
		    const struct db_arg *args, size_t n, struct hs_err *e)
{
	return db_walk(db, sql, what, args, n, NULL, e);
}

/*
 * Makes sure path is a regular file of mode 0600 before SQLite opens it.
 * It never opens (and so never closes) an existing database file: closing
 * any descriptor of a file drops every POSIX lock this process holds on it,
 * including those of another connection in this process (the daemon's loop
 * and its worker each have one), and SQLite would then let another process
 * checkpoint and delete the WAL under them.
 */
static int create_file(const char *path, struct hs_err *e)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return hs_err_set(e, -EINVAL, "not a regular file");
		if ((st.st_mode & 07777) != 0600 && chmod(path, 0600) < 0)
			return hs_err_set(e, -errno, "cannot set mode 0600: %s",
					  strerror(errno));
		return 0;
	}
	if (errno != ENOENT)
		return hs_err_set(e, -errno, "cannot stat: %s",
				  strerror(errno));
	fd = open(path,
		  O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		  0600);
	if (fd < 0 && errno != EEXIST)
		return hs_err_set(e, -errno, "cannot create: %s",
				  strerror(errno));
	if (fd >= 0 && fchmod(fd, 0600) < 0) {
		(void)close(fd);
		return hs_err_set(e, -errno, "cannot set mode 0600: %s",
				  strerror(errno));
	}
	if (fd >= 0)
		(void)close(fd);
	return 0;
}

static int decode_mode(sqlite3_stmt *st, void *row)
{
	return column_copy(st, 0, row, DB_MODE_MAX);
}

static int set_pragmas(struct db *db, struct hs_err *e)
{
	char mode[DB_MODE_MAX] = "";
	int rc;
	int r;

	rc = sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return db_error(db->h, rc, "busy_timeout", e);
	r = db_lookup(db, "PRAGMA journal_mode = WAL", "journal_mode", NULL, 0,
		      decode_mode, mode, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (strcmp(mode, "wal") != 0)
		return hs_err_set(e, -EIO,
				  "journal_mode: cannot use WAL (got %s)",
				  mode[0] != '\0' ? mode : "nothing");
	return db_exec(db,
		       "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
		       "pragma", e);
}

static int decode_int(sqlite3_stmt *st, void *row)
{
	*(int *)row = sqlite3_column_int(st, 0);
	return 0;
}

static int get_user_version(struct db *db, int *ret_v, struct hs_err *e)
{
	int v = 0;
	int r;

	r = db_lookup(db, "PRAGMA user_version", "user_version", NULL, 0,
		      decode_int, &v, e);
	if (r == -ENOENT)
		return hs_err_set(e, -EIO, "user_version: no value");
	if (r < 0)
		return r;
	*ret_v = v;
	return 0;
}

/* Runs the steps after version v and records the new version. */
static int run_migrations(struct db *db, int v, struct hs_err *e)
{
	const int latest = (int)ARRAY_SIZE(migrations);
	char sql[64];
	int r;

	for (; v < latest; v++) {
		r = db_exec(db, migrations[v], "migrate", e);
		if (r < 0) {
			hs_err_prefix(e, "schema version %d: ", v + 1);
			return r;
		}
	}
	if (hs_snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", latest) <
	    0)
		return hs_err_set(e, -EINVAL, "user_version: too long");
	return db_exec(db, sql, "user_version", e);
}

/* Brings the schema to the latest version, in one transaction. */
static int migrate(struct db *db, struct hs_err *e)
{
	const int latest = (int)ARRAY_SIZE(migrations);
	int v = 0;
	int r;

	r = get_user_version(db, &v, e);
	if (r < 0 || v == latest)
		return r;
	r = db_begin(db, e);
	if (r < 0)
		return r;
	/* Read again under the write lock: another process may have won. */
	r = get_user_version(db, &v, e);
	if (r < 0)
		goto out_rollback;
	if (v < 0 || v > latest) {
		r = hs_err_set(e, -EIO,
			       "schema version %d is newer than this haishin "
			       "(%d); downgrade is not supported",
			       v, latest);
		goto out_rollback;
	}
	r = run_migrations(db, v, e);
	if (r < 0)
		goto out_rollback;
	return db_commit(db, e);
out_rollback:
	db_rollback(db);
	return r;
}

static int db_setup(struct db *db, struct hs_err *e)
{
	int rc;
	int r;

	r = create_file(db->path, e);
	if (r < 0)
		return r;
	rc = sqlite3_open_v2(db->path, &db->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			     NULL);
	if (rc != SQLITE_OK)
		return db_error(db->h, rc, "open", e);
	r = set_pragmas(db, e);
	if (r < 0)
		return r;
	return migrate(db, e);
}

int db_open(const char *state_dir, struct db **ret_db, struct hs_err *e)
{
	struct db *db;
	int r;

	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (hs_snprintf(db->path, sizeof(db->path), "%s/%s", state_dir,
			DB_FILE_NAME) < 0) {
		r = hs_err_set(e, -ENAMETOOLONG, "path too long: '%s/%s'",
			       state_dir, DB_FILE_NAME);
		goto out_free;
	}
	r = db_setup(db, e);
	if (r < 0) {
		hs_err_prefix(e, "state database '%s': ", db->path);
		goto out_free;
	}
	*ret_db = db;
	return 0;
out_free:
	db_free(db);
	return r;
}

void db_free(struct db *db)
{
	int rc;

	if (db == NULL)
		return;
	/* Every statement is finalized where it was prepared. */
	rc = sqlite3_close(db->h);
	assert(rc == SQLITE_OK);
	(void)rc;
	free(db);
}

int db_begin(struct db *db, struct hs_err *e)
{
	return db_exec(db, "BEGIN IMMEDIATE", "begin", e);
}

int db_commit(struct db *db, struct hs_err *e)
{
	return db_exec(db, "COMMIT", "commit", e);
}

void db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h))
		return;
	/* Nothing to report: a failed ROLLBACK leaves the transaction to
	 * SQLite, which rolls it back when the connection closes. */
	(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

#define ARGS(a) a, ARRAY_SIZE(a)

#define INSTALLED_COLUMNS                                           \
	"SELECT name, version, previous, sha256, installed_at FROM" \
	" installed"

static int decode_installed(sqlite3_stmt *st, void *row)
{
	struct db_installed *in = row;

	memset(in, 0, sizeof(*in));
	if (COLUMN_COPY(st, 0, in->name) < 0 ||
	    COLUMN_COPY(st, 1, in->version) < 0 ||
	    COLUMN_COPY(st, 2, in->previous) < 0 ||
	    COLUMN_COPY(st, 3, in->sha256) < 0)
		return -ENOMEM;
	in->installed_at = sqlite3_column_int64(st, 4);
	return 0;
}

int db_installed_get(struct db *db, const char *name, struct db_installed *ret,
		     struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(name)};
	struct db_installed in;
	int r;

	r = db_lookup(db, INSTALLED_COLUMNS " WHERE name = ?1", "installed",
		      ARGS(args), decode_installed, &in, e);
	if (r == 0)
		*ret = in;
	return r;
}

int db_installed_put(struct db *db, const struct db_installed *in,
		     struct hs_err *e)
{
	const struct db_arg args[] = {
		DB_FIELD(in->name),	  DB_FIELD(in->version),
		DB_FIELD(in->previous),	  DB_FIELD(in->sha256),
		DB_NUM(in->installed_at),
	};

	return db_write(db,
			"INSERT OR REPLACE INTO installed"
			" (name, version, previous, sha256, installed_at)"
			" VALUES (?1, ?2, ?3, ?4, ?5)",
			"installed", ARGS(args), e);
}

static int decode_component_state(sqlite3_stmt *st, void *row)
{
	struct db_component_state *s = row;

	memset(s, 0, sizeof(*s));
	s->failed_at = sqlite3_column_int64(st, 3);
	s->health_ok = sqlite3_column_int(st, 4) == 1;
	s->health_at = sqlite3_column_int64(st, 6);
	if (COLUMN_COPY(st, 0, s->name) < 0 ||
	    COLUMN_COPY(st, 1, s->failed_version) < 0 ||
	    COLUMN_COPY(st, 2, s->failed_reason) < 0 ||
	    COLUMN_COPY(st, 5, s->health_detail) < 0)
		return -ENOMEM;
	return 0;
}

int db_component_state_get(struct db *db, const char *name,
			   struct db_component_state *ret, struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(name)};
	struct db_component_state s;
	int r;

	r = db_lookup(db,
		      "SELECT name, failed_version, failed_reason, failed_at,"
		      " health_ok, health_detail, health_at"
		      " FROM component_state WHERE name = ?1",
		      "component_state", ARGS(args), decode_component_state, &s,
		      e);
	if (r == 0)
		*ret = s;
	return r;
}

int db_component_failed_put(struct db *db, const char *name,
			    const char *version, const char *reason, int64_t at,
			    struct hs_err *e)
{
	const struct db_arg args[] = {
		{.is_text = true, .text = name, .max = HS_NAME_MAX + 1},
		{.is_text = true, .text = version, .max = HS_VERSION_MAX + 1},
		{.is_text = true, .text = reason, .max = DB_REASON_MAX},
		DB_NUM(at),
	};

	return db_write(db,
			"INSERT INTO component_state (name, failed_version,"
			" failed_reason, failed_at) VALUES (?1, ?2, ?3, ?4)"
			" ON CONFLICT (name) DO UPDATE SET"
			" failed_version = excluded.failed_version,"
			" failed_reason = excluded.failed_reason,"
			" failed_at = excluded.failed_at",
			"component_state", ARGS(args), e);
}

int db_component_failed_clear(struct db *db, const char *name, struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(name)};

	return db_write(db,
			"UPDATE component_state SET failed_version = '',"
			" failed_reason = '', failed_at = 0 WHERE name = ?1",
			"component_state", ARGS(args), e);
}

int db_component_health_put(struct db *db, const char *name, bool ok,
			    const char *detail, int64_t at, struct hs_err *e)
{
	const struct db_arg args[] = {
		{.is_text = true, .text = name, .max = HS_NAME_MAX + 1},
		DB_NUM(ok ? 1 : 0),
		{.is_text = true, .text = detail, .max = DB_REASON_MAX},
		DB_NUM(at),
	};

	return db_write(db,
			"INSERT INTO component_state (name, health_ok,"
			" health_detail, health_at) VALUES (?1, ?2, ?3, ?4)"
			" ON CONFLICT (name) DO UPDATE SET"
			" health_ok = excluded.health_ok,"
			" health_detail = excluded.health_detail,"
			" health_at = excluded.health_at",
			"component_state", ARGS(args), e);
}

int db_installed_delete(struct db *db, const char *name, struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(name)};

	return db_write(db, "DELETE FROM installed WHERE name = ?1",
			"installed", ARGS(args), e);
}

/* A caller's walk over a table: its function, and its context. */
struct db_walk {
	union {
		db_installed_fn *installed;
		db_attempt_fn *attempt;
		db_partial_fn *partial;
		db_hold_fn *hold;
	} fn;
	void *ctx;
};

static int installed_each(void *ctx, const void *row)
{
	const struct db_walk *w = ctx;

	return w->fn.installed(w->ctx, row);
}

int db_installed_foreach(struct db *db, db_installed_fn *fn, void *ctx,
			 struct hs_err *e)
{
	struct db_walk w = {.fn.installed = fn, .ctx = ctx};
	struct db_installed in;
	const struct db_rows rows = {decode_installed, &in, installed_each, &w};

	return db_walk(db, INSTALLED_COLUMNS " ORDER BY name", "installed",
		       NULL, 0, &rows, e);
}

static int decode_trust(sqlite3_stmt *st, void *row)
{
	struct db_trust *t = row;

	t->root_version = column_u64(st, 0);
	t->manifest_serial = column_u64(st, 1);
	t->manifest_expires = sqlite3_column_int64(st, 3);
	t->last_contact = sqlite3_column_int64(st, 4);
	return COLUMN_COPY(st, 2, t->manifest_sha256);
}

int db_trust_get(struct db *db, struct db_trust *ret, struct hs_err *e)
{
	struct db_trust t;
	int r;

	memset(&t, 0, sizeof(t));
	r = db_lookup(db,
		      "SELECT root_version, manifest_serial, manifest_sha256,"
		      " manifest_expires, last_contact FROM trust WHERE id = 1",
		      "trust", NULL, 0, decode_trust, &t, e);
	if (r < 0 && r != -ENOENT)
		return r;
	/* Before the first put there is no row: all zeros. */
	*ret = t;
	return 0;
}

int db_trust_put(struct db *db, const struct db_trust *t, struct hs_err *e)
{
	const struct db_arg args[] = {
		DB_NUM(t->root_version),      DB_NUM(t->manifest_serial),
		DB_FIELD(t->manifest_sha256), DB_NUM(t->manifest_expires),
		DB_NUM(t->last_contact),
	};

	if (t->root_version > INT64_MAX || t->manifest_serial > INT64_MAX)
		return hs_err_set(e, -ERANGE,
				  "trust: version or serial above %lld",
				  (long long)INT64_MAX);
	return db_write(db,
			"INSERT OR REPLACE INTO trust (id, root_version,"
			" manifest_serial, manifest_sha256, manifest_expires,"
			" last_contact) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
			"trust", ARGS(args), e);
}

static uint64_t clamp_i64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : v;
}

int db_history_add(struct db *db, struct db_attempt *a, struct hs_err *e)
{
	const struct db_arg args[] = {
		DB_NUM(a->started),	     DB_NUM(a->finished),
		DB_FIELD(a->trigger),	     DB_FIELD(a->component),
		DB_FIELD(a->from_version),   DB_FIELD(a->to_version),
		DB_FIELD(a->method),	     DB_NUM(clamp_i64(a->bytes)),
		DB_FIELD(a->state),	     DB_FIELD(a->reason),
		DB_NUM(clamp_i64(a->saved)),
	};
	int r;

	r = db_write(db,
		     "INSERT INTO history (started, finished, \"trigger\","
		     " component, from_version, to_version, method, bytes,"
		     " state, reason, saved)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
		     "history", ARGS(args), e);
	if (r == 0)
		a->id = sqlite3_last_insert_rowid(db->h);
	return r;
}

static int decode_attempt(sqlite3_stmt *st, void *row)
{
	struct db_attempt *a = row;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->started = sqlite3_column_int64(st, 1);
	a->finished = sqlite3_column_int64(st, 2);
	a->bytes = column_u64(st, 8);
	a->saved = column_u64(st, 11);
	if (COLUMN_COPY(st, 3, a->trigger) < 0 ||
	    COLUMN_COPY(st, 4, a->component) < 0 ||
	    COLUMN_COPY(st, 5, a->from_version) < 0 ||
	    COLUMN_COPY(st, 6, a->to_version) < 0 ||
	    COLUMN_COPY(st, 7, a->method) < 0 ||
	    COLUMN_COPY(st, 9, a->state) < 0 ||
	    COLUMN_COPY(st, 10, a->reason) < 0)
		return -ENOMEM;
	return 0;
}

static int attempt_each(void *ctx, const void *row)
{
	const struct db_walk *w = ctx;

	return w->fn.attempt(w->ctx, row);
}

#define HISTORY_COLUMNS                                                       \
	"SELECT id, started, finished, \"trigger\", component, from_version," \
	" to_version, method, bytes, state, reason, saved FROM history"

int db_history_foreach(struct db *db, const char *component, size_t limit,
		       db_attempt_fn *fn, void *ctx, struct hs_err *e)
{
	/* LIMIT -1 is SQLite's "no limit". */
	const struct db_arg args[] = {
		DB_NUM(limit > INT64_MAX ? -1 : (int64_t)limit),
		DB_TEXT(component),
	};
	struct db_walk w = {.fn.attempt = fn, .ctx = ctx};
	struct db_attempt a;
	const struct db_rows rows = {decode_attempt, &a, attempt_each, &w};

	if (component == NULL)
		return db_walk(db, HISTORY_COLUMNS " ORDER BY id DESC LIMIT ?1",
			       "history", args, 1, &rows, e);
	return db_walk(db,
		       HISTORY_COLUMNS " WHERE component = ?2"
				       " ORDER BY id DESC LIMIT ?1",
		       "history", ARGS(args), &rows, e);
}

static int decode_partial(sqlite3_stmt *st, void *row)
{
	struct db_partial *p = row;

	memset(p, 0, sizeof(*p));
	p->size = column_u64(st, 3);
	p->offset = column_u64(st, 4);
	p->updated = sqlite3_column_int64(st, 8);
	if (COLUMN_COPY(st, 0, p->name) < 0 || COLUMN_COPY(st, 1, p->url) < 0 ||
	    COLUMN_COPY(st, 2, p->sha256) < 0 ||
	    COLUMN_COPY(st, 5, p->base) < 0 ||
	    COLUMN_COPY(st, 6, p->etag) < 0 ||
	    COLUMN_COPY(st, 7, p->last_modified) < 0)
		return -ENOMEM;
	return 0;
}

int db_partial_get(struct db *db, const char *name, struct db_partial *ret,
		   struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(name)};
	struct db_partial p;
	int r;

	r = db_lookup(db,
		      "SELECT name, url, sha256, size, offset, base, etag,"
		      " last_modified, updated FROM partial WHERE name = ?1",
		      "partial", ARGS(args), decode_partial, &p, e);
	if (r == 0)
		*ret = p;
	return r;
}

static int partial_each(void *ctx, const void *row)
{
	const struct db_walk *w = ctx;

	return w->fn.partial(w->ctx, row);
}

int db_partial_foreach(struct db *db, db_partial_fn *fn, void *ctx,
		       struct hs_err *e)
{
	struct db_walk w = {.fn.partial = fn, .ctx = ctx};
	struct db_partial p;
	const struct db_rows rows = {decode_partial, &p, partial_each, &w};

	return db_walk(db,
		       "SELECT name, url, sha256, size, offset, base, etag,"
		       " last_modified, updated FROM partial ORDER BY name",
		       "partial", NULL, 0, &rows, e);
}

int db_partial_put(struct db *db, const struct db_partial *p, struct hs_err *e)
{
	const struct db_arg args[] = {
		DB_FIELD(p->name),   DB_FIELD(p->url),
		DB_FIELD(p->sha256), DB_NUM(p->size),
		DB_NUM(p->offset),   DB_FIELD(p->base),
		DB_FIELD(p->etag),   DB_FIELD(p->last_modified),
		DB_NUM(p->updated),
	};

	if (p->size > INT64_MAX || p->offset > p->size)
		return hs_err_set(e, -ERANGE, "partial: offset %llu of %llu",
				  (unsigned long long)p->offset,
				  (unsigned long long)p->size);
	return db_write(db,
			"INSERT OR REPLACE INTO partial (name, url, sha256,"
			" size, offset, base, etag, last_modified, updated)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			"partial", ARGS(args), e);
}

int db_partial_delete(struct db *db, const char *name, struct hs_err *e)
{
	const struct db_arg args[] = {
		{.is_text = true, .text = name, .max = DB_PARTIAL_NAME_MAX + 1},
	};

	return db_write(db, "DELETE FROM partial WHERE name = ?1", "partial",
			ARGS(args), e);
}

/* A setting's value: where it goes, and the room there. */
struct setting_out {
	char *out;
	size_t n;
};

static int decode_setting(sqlite3_stmt *st, void *row)
{
	const struct setting_out *s = row;

	return column_copy(st, 0, s->out, s->n);
}

int db_setting_get(struct db *db, const char *key, char *out, size_t n,
		   struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(key)};
	struct setting_out s = {out, n};

	return db_lookup(db, "SELECT value FROM settings WHERE key = ?1",
			 "settings", ARGS(args), decode_setting, &s, e);
}

int db_setting_put(struct db *db, const char *key, const char *value,
		   struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(key), DB_TEXT(value)};

	return db_write(db,
			"INSERT OR REPLACE INTO settings (key, value)"
			" VALUES (?1, ?2)",
			"settings", ARGS(args), e);
}

/* ---- holds -------------------------------------------------------------- */

#define HOLD_COLUMNS "SELECT name, from_version, reason, held_at FROM holds"

static int decode_hold(sqlite3_stmt *st, void *row)
{
	struct db_hold *h = row;

	memset(h, 0, sizeof(*h));
	if (COLUMN_COPY(st, 0, h->name) < 0 ||
	    COLUMN_COPY(st, 1, h->from_version) < 0 ||
	    COLUMN_COPY(st, 2, h->reason) < 0)
		return -ENOMEM;
	h->held_at = sqlite3_column_int64(st, 3);
	return 0;
}

int db_hold_get(struct db *db, const char *name, struct db_hold *ret,
		struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(name)};
	struct db_hold h;
	int r;

	r = db_lookup(db, HOLD_COLUMNS " WHERE name = ?1", "holds", ARGS(args),
		      decode_hold, &h, e);
	if (r == 0)
		*ret = h;
	return r;
}

int db_hold_put(struct db *db, const struct db_hold *h, struct hs_err *e)
{
	const struct db_arg args[] = {
		DB_FIELD(h->name),
		DB_FIELD(h->from_version),
		DB_FIELD(h->reason),
		DB_NUM(h->held_at),
	};

	return db_write(db,
			"INSERT OR REPLACE INTO holds"
			" (name, from_version, reason, held_at)"
			" VALUES (?1, ?2, ?3, ?4)",
			"holds", ARGS(args), e);
}

int db_hold_delete(struct db *db, const char *name, struct hs_err *e)
{
	const struct db_arg args[] = {DB_TEXT(name)};

	return db_write(db, "DELETE FROM holds WHERE name = ?1", "holds",
			ARGS(args), e);
}

static int hold_each(void *ctx, const void *row)
{
	const struct db_walk *w = ctx;

	return w->fn.hold(w->ctx, row);
}

int db_hold_foreach(struct db *db, db_hold_fn *fn, void *ctx, struct hs_err *e)
{
	struct db_walk w = {.fn.hold = fn, .ctx = ctx};
	struct db_hold h;
	const struct db_rows rows = {decode_hold, &h, hold_each, &w};

	return db_walk(db, HOLD_COLUMNS " ORDER BY name", "holds", NULL, 0,
		       &rows, e);
}
