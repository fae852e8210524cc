/*
 * test_db.c - the state database: creation, schema version, each table's
 * round trip, ordering, transactions, files that are not databases, and
 * the migration of a version 1 file.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "str.h"

struct fixture {
	char *dir;
	char *path; /* dir/haishin.db */
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct hs_err e;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, DB_FILE_NAME);
	if (db_open(f->dir, &f->db, &e) != 0)
		fail_msg("db_open: %s", e.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	db_free(f->db);
	tu_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static void reopen(struct fixture *f)
{
	struct hs_err e;

	db_free(f->db);
	f->db = NULL;
	if (db_open(f->dir, &f->db, &e) != 0)
		fail_msg("db_open: %s", e.msg);
}

/* Reads PRAGMA user_version straight from the file. */
static int user_version(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int v;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
	return v;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static void make_installed(struct db_installed *in, const char *name,
			   const char *version)
{
	memset(in, 0, sizeof(*in));
	assert_int_equal(hs_strlcpy(in->name, name, sizeof(in->name)), 0);
	assert_int_equal(hs_strlcpy(in->version, version, sizeof(in->version)),
			 0);
	memset(in->sha256, 'a', 64);
	in->installed_at = 1700000000;
}

static void make_attempt(struct db_attempt *a, const char *component,
			 int64_t started)
{
	memset(a, 0, sizeof(*a));
	a->id = -1;
	a->started = started;
	a->finished = started + 10;
	assert_int_equal(hs_strlcpy(a->trigger, "manual", sizeof(a->trigger)),
			 0);
	assert_int_equal(
		hs_strlcpy(a->component, component, sizeof(a->component)), 0);
	assert_int_equal(
		hs_strlcpy(a->to_version, "2.0", sizeof(a->to_version)), 0);
	assert_int_equal(hs_strlcpy(a->method, "full", sizeof(a->method)), 0);
	assert_int_equal(hs_strlcpy(a->state, "INSTALLED", sizeof(a->state)),
			 0);
	a->bytes = 12345;
}

static void test_open_fresh(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char *wal;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(user_version(f->path), DB_SCHEMA_VERSION);
	/* The migration wrote to the WAL, which SQLite made 0600 as well. */
	wal = tu_path(f->dir, DB_FILE_NAME "-wal");
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(wal);
	/* Reopening an up-to-date database changes nothing. */
	reopen(f);
	assert_int_equal(user_version(f->path), DB_SCHEMA_VERSION);
}

static void test_open_tightens_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	db_free(f->db);
	f->db = NULL;
	assert_int_equal(chmod(f->path, 0644), 0);
	reopen(f);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_open_errors(void **state)
{
	static const char garbage[] = "this is not an SQLite database, just "
				      "some bytes that happen to be here.\n";
	struct fixture *f = *state;
	char *missing = tu_path(f->dir, "no/such/dir");
	char *other = tu_path(f->dir, "other");
	char *other_db = tu_path(other, DB_FILE_NAME);
	struct db *db = NULL;
	struct hs_err e;
	char big[4096];
	size_t i;

	assert_int_equal(db_open(missing, &db, &e), -ENOENT);
	assert_non_null(strstr(e.msg, missing));
	assert_null(db);

	for (i = 0; i < sizeof(big); i++)
		big[i] = garbage[i % (sizeof(garbage) - 1)];
	tu_write(other, DB_FILE_NAME, big, sizeof(big), 0600);
	assert_int_equal(db_open(other, &db, &e), -EUCLEAN);
	assert_non_null(strstr(e.msg, other_db));
	assert_non_null(strstr(e.msg, "not a database"));
	assert_null(db);

	/* A schema newer than this code is refused, not downgraded. */
	db_free(f->db);
	f->db = NULL;
	exec_sql(f->path, "PRAGMA user_version = 99");
	assert_int_equal(db_open(f->dir, &db, &e), -EIO);
	assert_non_null(strstr(e.msg, "schema version 99 is newer"));
	assert_non_null(strstr(e.msg, f->path));
	assert_null(db);
	free(other_db);
	free(other);
	free(missing);
}

static void test_installed(void **state)
{
	struct fixture *f = *state;
	struct db_installed in;
	struct db_installed out;
	struct hs_err e;

	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), -ENOENT);
	assert_int_equal(out.name[0], 0x5a);

	make_installed(&in, "app", "1.0");
	assert_int_equal(db_installed_put(f->db, &in, &e), 0);
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), 0);
	assert_string_equal(out.name, "app");
	assert_string_equal(out.version, "1.0");
	assert_string_equal(out.previous, "");
	assert_string_equal(out.sha256, in.sha256);
	assert_int_equal(out.installed_at, 1700000000);

	/* Replace: same name, new version. */
	make_installed(&in, "app", "1.1");
	assert_int_equal(hs_strlcpy(in.previous, "1.0", sizeof(in.previous)),
			 0);
	in.installed_at = 1800000000;
	assert_int_equal(db_installed_put(f->db, &in, &e), 0);
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), 0);
	assert_string_equal(out.version, "1.1");
	assert_string_equal(out.previous, "1.0");
	assert_int_equal(out.installed_at, 1800000000);
	assert_int_equal(db_installed_get(f->db, "App", &out, &e), -ENOENT);

	/* Data survives a reopen. */
	reopen(f);
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), 0);
	assert_string_equal(out.version, "1.1");

	/* A first install undone: the row goes, and going twice is fine. */
	assert_int_equal(db_installed_delete(f->db, "app", &e), 0);
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), -ENOENT);
	assert_int_equal(db_installed_delete(f->db, "app", &e), 0);
}

struct collect {
	char names[8][HS_NAME_MAX + 1];
	int64_t ids[8];
	size_t n;
	size_t stop_after; /* return -ECANCELED after this many calls */
};

static int collect_installed(void *ctx, const struct db_installed *in)
{
	struct collect *c = ctx;

	assert_true(c->n < 8);
	assert_int_equal(
		hs_strlcpy(c->names[c->n], in->name, sizeof(c->names[0])), 0);
	c->n++;
	return c->n == c->stop_after ? -ECANCELED : 1;
}

static void test_installed_foreach(void **state)
{
	static const char *const names[] = {"zeta", "alpha", "mid", "beta"};
	struct fixture *f = *state;
	struct db_installed in;
	struct collect c;
	struct hs_err e;
	size_t i;

	memset(&c, 0, sizeof(c));
	assert_int_equal(db_installed_foreach(f->db, collect_installed, &c, &e),
			 0);
	assert_int_equal(c.n, 0);
	for (i = 0; i < 4; i++) {
		make_installed(&in, names[i], "1");
		assert_int_equal(db_installed_put(f->db, &in, &e), 0);
	}
	assert_int_equal(db_installed_foreach(f->db, collect_installed, &c, &e),
			 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.names[0], "alpha");
	assert_string_equal(c.names[1], "beta");
	assert_string_equal(c.names[2], "mid");
	assert_string_equal(c.names[3], "zeta");

	/* A negative return stops the walk and comes back unchanged. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(db_installed_foreach(f->db, collect_installed, &c, &e),
			 -ECANCELED);
	assert_int_equal(c.n, 2);
}

static void test_trust(void **state)
{
	struct fixture *f = *state;
	struct db_trust t;
	struct db_trust out;
	struct hs_err e;

	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(db_trust_get(f->db, &out, &e), 0);
	assert_true(out.root_version == 0);
	assert_true(out.manifest_serial == 0);
	assert_string_equal(out.manifest_sha256, "");
	assert_int_equal(out.manifest_expires, 0);
	assert_int_equal(out.last_contact, 0);

	memset(&t, 0, sizeof(t));
	t.root_version = 3;
	t.manifest_serial = (uint64_t)INT64_MAX;
	memset(t.manifest_sha256, 'f', 64);
	t.manifest_expires = 1900000000;
	t.last_contact = 1800000000;
	assert_int_equal(db_trust_put(f->db, &t, &e), 0);
	t.root_version = 4;
	assert_int_equal(db_trust_put(f->db, &t, &e), 0);
	reopen(f);
	assert_int_equal(db_trust_get(f->db, &out, &e), 0);
	assert_memory_equal(&out, &t, sizeof(t));

	/* SQLite integers are signed: larger values are refused. */
	t.manifest_serial = (uint64_t)INT64_MAX + 1;
	assert_int_equal(db_trust_put(f->db, &t, &e), -ERANGE);
	assert_int_equal(db_trust_get(f->db, &out, &e), 0);
	assert_true(out.manifest_serial == (uint64_t)INT64_MAX);
}

static int collect_attempt(void *ctx, const struct db_attempt *a)
{
	struct collect *c = ctx;

	assert_true(c->n < 8);
	c->ids[c->n] = a->id;
	assert_int_equal(
		hs_strlcpy(c->names[c->n], a->component, sizeof(c->names[0])),
		0);
	c->n++;
	return c->n == c->stop_after ? -ECANCELED : 0;
}

static void test_history(void **state)
{
	static const char *const comps[] = {"app", "", "lib", "app", "app"};
	struct fixture *f = *state;
	struct db_attempt a;
	struct collect c;
	struct hs_err e;
	int64_t ids[5];
	size_t i;

	for (i = 0; i < 5; i++) {
		make_attempt(&a, comps[i], 1000 + (int64_t)i);
		assert_int_equal(db_history_add(f->db, &a, &e), 0);
		ids[i] = a.id;
		if (i > 0)
			assert_true(ids[i] > ids[i - 1]);
	}

	memset(&c, 0, sizeof(c));
	assert_int_equal(db_history_foreach(f->db, NULL, SIZE_MAX,
					    collect_attempt, &c, &e),
			 0);
	assert_int_equal(c.n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(c.ids[i], ids[4 - i]);
		assert_string_equal(c.names[i], comps[4 - i]);
	}

	memset(&c, 0, sizeof(c));
	assert_int_equal(
		db_history_foreach(f->db, "app", 2, collect_attempt, &c, &e),
		0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], ids[4]);
	assert_int_equal(c.ids[1], ids[3]);

	memset(&c, 0, sizeof(c));
	assert_int_equal(
		db_history_foreach(f->db, "", 10, collect_attempt, &c, &e), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], ids[1]);

	memset(&c, 0, sizeof(c));
	assert_int_equal(
		db_history_foreach(f->db, "none", 10, collect_attempt, &c, &e),
		0);
	assert_int_equal(c.n, 0);
	assert_int_equal(
		db_history_foreach(f->db, NULL, 0, collect_attempt, &c, &e), 0);
	assert_int_equal(c.n, 0);

	c.stop_after = 3;
	assert_int_equal(
		db_history_foreach(f->db, NULL, 10, collect_attempt, &c, &e),
		-ECANCELED);
	assert_int_equal(c.n, 3);
}

static int copy_attempt(void *ctx, const struct db_attempt *a)
{
	*(struct db_attempt *)ctx = *a;
	return 0;
}

static void test_history_fields(void **state)
{
	struct fixture *f = *state;
	struct db_attempt a;
	struct db_attempt out;
	struct hs_err e;

	make_attempt(&a, "app", 1000);
	assert_int_equal(
		hs_strlcpy(a.from_version, "1.0", sizeof(a.from_version)), 0);
	/* An unterminated field is cut at its size, not read past. */
	memset(a.reason, 'r', sizeof(a.reason));
	a.bytes = UINT64_MAX;
	a.saved = 987654321;
	assert_int_equal(db_history_add(f->db, &a, &e), 0);
	assert_int_equal(
		db_history_foreach(f->db, NULL, 1, copy_attempt, &out, &e), 0);
	assert_int_equal(out.id, a.id);
	assert_int_equal(out.started, 1000);
	assert_int_equal(out.finished, 1010);
	assert_string_equal(out.trigger, "manual");
	assert_string_equal(out.component, "app");
	assert_string_equal(out.from_version, "1.0");
	assert_string_equal(out.to_version, "2.0");
	assert_string_equal(out.method, "full");
	assert_string_equal(out.state, "INSTALLED");
	assert_true(out.bytes == (uint64_t)INT64_MAX);
	assert_true(out.saved == 987654321);
	assert_int_equal(strlen(out.reason), DB_REASON_MAX - 1);
	assert_int_equal(out.reason[0], 'r');
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct db_installed in;
	struct db_installed out;
	struct db_attempt a;
	struct hs_err e;

	/* Rollback discards every write since begin. */
	assert_int_equal(db_begin(f->db, &e), 0);
	make_installed(&in, "app", "1.0");
	assert_int_equal(db_installed_put(f->db, &in, &e), 0);
	make_attempt(&a, "app", 1);
	assert_int_equal(db_history_add(f->db, &a, &e), 0);
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), 0);
	db_rollback(f->db);
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), -ENOENT);
	/* Rollback outside a transaction does nothing. */
	db_rollback(f->db);

	/* A nested begin is an error. */
	assert_int_equal(db_begin(f->db, &e), 0);
	assert_int_equal(db_begin(f->db, &e), -EIO);
	assert_non_null(strstr(e.msg, "begin"));
	assert_int_equal(db_installed_put(f->db, &in, &e), 0);
	assert_int_equal(db_commit(f->db, &e), 0);
	reopen(f);
	assert_int_equal(db_installed_get(f->db, "app", &out, &e), 0);
	assert_string_equal(out.version, "1.0");

	/* Commit without begin is an error. */
	assert_int_equal(db_commit(f->db, &e), -EIO);
}

static void make_partial(struct db_partial *p, const char *name,
			 uint64_t offset)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(hs_strlcpy(p->name, name, sizeof(p->name)), 0);
	assert_int_equal(
		hs_strlcpy(p->url, "pkg/app-2.0.tar.zst", sizeof(p->url)), 0);
	memset(p->sha256, 'b', 64);
	p->size = 1000000;
	p->offset = offset;
	assert_int_equal(hs_strlcpy(p->base, "https://mirror.example/updates/",
				    sizeof(p->base)),
			 0);
	assert_int_equal(hs_strlcpy(p->etag, "\"abc-123\"", sizeof(p->etag)),
			 0);
	assert_int_equal(hs_strlcpy(p->last_modified,
				    "Tue, 14 Nov 2023 22:13:20 GMT",
				    sizeof(p->last_modified)),
			 0);
	p->updated = 1700000000;
}

static void assert_partial_equal(const struct db_partial *got,
				 const struct db_partial *want)
{
	assert_string_equal(got->name, want->name);
	assert_string_equal(got->url, want->url);
	assert_string_equal(got->sha256, want->sha256);
	assert_true(got->size == want->size);
	assert_true(got->offset == want->offset);
	assert_string_equal(got->base, want->base);
	assert_string_equal(got->etag, want->etag);
	assert_string_equal(got->last_modified, want->last_modified);
	assert_int_equal(got->updated, want->updated);
	/* Both were zeroed before filling, so the tails match too. */
	assert_memory_equal(got, want, sizeof(*want));
}

static void test_partial_round_trip(void **state)
{
	struct fixture *f = *state;
	struct db_partial p;
	struct db_partial out;
	struct hs_err e;

	/* Each field distinct, and the strings at their longest. */
	memset(&p, 0, sizeof(p));
	memset(p.name, 'n', sizeof(p.name) - 1);
	memset(p.url, 'u', sizeof(p.url) - 1);
	memcpy(p.sha256,
	       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	       64);
	p.size = (uint64_t)INT64_MAX;
	p.offset = (uint64_t)INT64_MAX - 1;
	memset(p.base, 'h', sizeof(p.base) - 1);
	memset(p.etag, 'e', sizeof(p.etag) - 1);
	memset(p.last_modified, 'l', sizeof(p.last_modified) - 1);
	p.updated = -1234567890123;
	hs_err_clear(&e);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(db_partial_get(f->db, p.name, &out, &e), 0);
	assert_partial_equal(&out, &p);

	/* Ordinary values, and both survive a reopen. */
	make_partial(&p, "app", 4096);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	reopen(f);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), 0);
	assert_partial_equal(&out, &p);
	memset(&out, 0x5a, sizeof(out));
	memset(p.name, 'n', sizeof(p.name) - 1);
	assert_int_equal(db_partial_get(f->db, p.name, &out, &e), 0);
	assert_true(out.size == (uint64_t)INT64_MAX);
	assert_true(out.offset == (uint64_t)INT64_MAX - 1);
	assert_int_equal(out.updated, -1234567890123);
}

static void test_partial_missing(void **state)
{
	struct fixture *f = *state;
	struct db_partial p;
	struct db_partial out;
	struct hs_err e;

	hs_err_clear(&e);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), -ENOENT);
	assert_int_equal(out.name[0], 0x5a);
	assert_int_equal(out.url[0], 0x5a);

	/* Names match exactly. */
	make_partial(&p, "app", 1);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	assert_int_equal(db_partial_get(f->db, "App", &out, &e), -ENOENT);
	assert_int_equal(db_partial_get(f->db, "app2", &out, &e), -ENOENT);
	assert_int_equal(db_partial_get(f->db, "", &out, &e), -ENOENT);
	assert_int_equal(out.name[0], 0x5a);
}

static void test_partial_put_replaces(void **state)
{
	struct fixture *f = *state;
	struct db_partial p;
	struct db_partial lib;
	struct db_partial out;
	struct hs_err e;

	hs_err_clear(&e);
	make_partial(&lib, "lib", 7);
	assert_int_equal(db_partial_put(f->db, &lib, &e), 0);
	make_partial(&p, "app", 100);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);

	/* A new download of the same name replaces the row whole. */
	make_partial(&p, "app", 200);
	assert_int_equal(
		hs_strlcpy(p.url, "pkg/app-3.0.tar.zst", sizeof(p.url)), 0);
	memset(p.sha256, 'c', 64);
	p.size = 2000000;
	memset(p.base, 0, sizeof(p.base));
	assert_int_equal(
		hs_strlcpy(p.base, "https://other.example/", sizeof(p.base)),
		0);
	/* No validators this time: the old ones must not linger. */
	memset(p.etag, 0, sizeof(p.etag));
	memset(p.last_modified, 0, sizeof(p.last_modified));
	p.updated = 1800000000;
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), 0);
	assert_partial_equal(&out, &p);
	assert_int_equal(db_partial_get(f->db, "lib", &out, &e), 0);
	assert_partial_equal(&out, &lib);
}

static void test_partial_delete(void **state)
{
	struct fixture *f = *state;
	struct db_partial p;
	struct db_partial out;
	struct hs_err e;

	hs_err_clear(&e);
	make_partial(&p, "app", 10);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	make_partial(&p, "lib", 20);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);

	assert_int_equal(db_partial_delete(f->db, "app", &e), 0);
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), -ENOENT);
	assert_int_equal(db_partial_get(f->db, "lib", &out, &e), 0);
	assert_true(out.offset == 20);

	/* Deleting what is not there is fine. */
	assert_int_equal(db_partial_delete(f->db, "app", &e), 0);
	assert_int_equal(db_partial_delete(f->db, "never", &e), 0);
	reopen(f);
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), -ENOENT);
	assert_int_equal(db_partial_get(f->db, "lib", &out, &e), 0);
}

/* A component name of the longest kind and its delta's key ("NAME@delta")
 * are two journals, each found and deleted whole. */
static void test_partial_long_keys(void **state)
{
	struct fixture *f = *state;
	char name[HS_NAME_MAX + 1];
	char key[DB_PARTIAL_NAME_MAX + 1];
	struct db_partial p;
	struct db_partial out;
	struct hs_err e;

	hs_err_clear(&e);
	memset(name, 'n', HS_NAME_MAX);
	name[HS_NAME_MAX] = '\0';
	assert_int_equal(hs_snprintf(key, sizeof(key), "%s@delta", name), 0);
	make_partial(&p, name, 10);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	make_partial(&p, key, 20);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);

	assert_int_equal(db_partial_get(f->db, key, &out, &e), 0);
	assert_string_equal(out.name, key);
	assert_true(out.offset == 20);
	assert_int_equal(db_partial_get(f->db, name, &out, &e), 0);
	assert_true(out.offset == 10);

	assert_int_equal(db_partial_delete(f->db, key, &e), 0);
	assert_int_equal(db_partial_get(f->db, key, &out, &e), -ENOENT);
	assert_int_equal(db_partial_get(f->db, name, &out, &e), 0);
	assert_true(out.offset == 10);
}

static void test_partial_range(void **state)
{
	struct fixture *f = *state;
	struct db_partial p;
	struct db_partial out;
	struct hs_err e;

	/* An offset past the size is refused and nothing is stored. */
	hs_err_clear(&e);
	make_partial(&p, "app", 1000001);
	tu_assert_err(db_partial_put(f->db, &p, &e), &e, -ERANGE, "");
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), -ENOENT);

	/* offset == size is a complete part file. */
	make_partial(&p, "app", 1000000);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), 0);
	assert_true(out.offset == 1000000);

	/* A refused put leaves the row as it was. */
	p.offset = UINT64_MAX;
	hs_err_clear(&e);
	tu_assert_err(db_partial_put(f->db, &p, &e), &e, -ERANGE, "");
	p.size = (uint64_t)INT64_MAX + 1;
	p.offset = 0;
	hs_err_clear(&e);
	tu_assert_err(db_partial_put(f->db, &p, &e), &e, -ERANGE, "");
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), 0);
	assert_true(out.offset == 1000000);
	assert_true(out.size == 1000000);
}

/* The schema of version 1, as released (daemon/store/db.c's schema_v1). */
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

/* What a version 1 daemon left behind. */
static const char rows_v1[] =
	"INSERT INTO installed VALUES ('app', '1.1', '1.0',"
	" 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
	" 1700000000);"
	"INSERT INTO history (started, finished, \"trigger\", component,"
	" from_version, to_version, method, bytes, state, reason)"
	" VALUES (1000, 1010, 'boot', 'app', '1.0', '1.1', 'full', 42,"
	" 'INSTALLED', 'ok');"
	"INSERT INTO trust VALUES (1, 3, 17,"
	" 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',"
	" 1900000000, 1800000000);"
	"PRAGMA user_version = 1;";

/* Whether the file at path has a table of that name. */
static bool has_table(const char *path, const char *table)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(h,
				   "SELECT 1 FROM sqlite_master"
				   " WHERE type = 'table' AND name = ?1",
				   -1, &st, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC),
			 SQLITE_OK);
	rc = sqlite3_step(st);
	assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
	return rc == SQLITE_ROW;
}

static void test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	struct db_installed in;
	struct db_attempt a;
	struct db_partial p;
	struct db_partial out;
	struct db_trust t;
	struct hs_err e;
	sqlite3 *h = NULL;

	/* Replace the fixture's database with a version 1 file. */
	db_free(f->db);
	f->db = NULL;
	tu_rmtree(f->dir);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(
		sqlite3_open_v2(f->path, &h,
				SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, schema_v1, NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, rows_v1, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
	assert_int_equal(user_version(f->path), 1);
	assert_false(has_table(f->path, "partial"));

	hs_err_clear(&e);
	if (db_open(f->dir, &f->db, &e) != 0)
		fail_msg("db_open: %s", e.msg);
	assert_int_equal(user_version(f->path), DB_SCHEMA_VERSION);
	assert_true(has_table(f->path, "partial"));
	assert_true(has_table(f->path, "component_state"));

	/* The rows of version 1 are kept. */
	assert_int_equal(db_installed_get(f->db, "app", &in, &e), 0);
	assert_string_equal(in.version, "1.1");
	assert_string_equal(in.previous, "1.0");
	assert_int_equal(in.installed_at, 1700000000);
	assert_int_equal(db_trust_get(f->db, &t, &e), 0);
	assert_true(t.root_version == 3);
	assert_true(t.manifest_serial == 17);
	assert_int_equal(t.last_contact, 1800000000);
	memset(&a, 0, sizeof(a));
	assert_int_equal(
		db_history_foreach(f->db, NULL, 10, copy_attempt, &a, &e), 0);
	assert_string_equal(a.trigger, "boot");
	assert_string_equal(a.state, "INSTALLED");
	assert_true(a.bytes == 42);
	assert_true(a.saved == 0); /* version 4's column, for older rows */

	/* The new table works, and a reopen finds nothing left to do. */
	make_partial(&p, "app", 512);
	assert_int_equal(db_partial_put(f->db, &p, &e), 0);
	reopen(f);
	assert_int_equal(user_version(f->path), DB_SCHEMA_VERSION);
	assert_int_equal(db_partial_get(f->db, "app", &out, &e), 0);
	assert_partial_equal(&out, &p);
	assert_int_equal(db_installed_get(f->db, "app", &in, &e), 0);
}

/* component_state: a failed version and the last health check, each
 * written without touching the other, cleared, kept across a reopen. */
static void test_component_state(void **state)
{
	struct fixture *f = *state;
	struct db_component_state s;
	struct hs_err e;

	assert_int_equal(db_component_state_get(f->db, "app", &s, &e), -ENOENT);
	assert_int_equal(db_component_failed_put(f->db, "app", "2.0",
						 "health check failed", 1000,
						 &e),
			 0);
	assert_int_equal(db_component_state_get(f->db, "app", &s, &e), 0);
	assert_string_equal(s.name, "app");
	assert_string_equal(s.failed_version, "2.0");
	assert_string_equal(s.failed_reason, "health check failed");
	assert_int_equal(s.failed_at, 1000);
	assert_false(s.health_ok);
	assert_int_equal(s.health_at, 0);
	assert_int_equal(db_component_health_put(f->db, "app", false,
						 "2.0: exit status 1: down",
						 1001, &e),
			 0);
	assert_int_equal(db_component_state_get(f->db, "app", &s, &e), 0);
	assert_string_equal(s.failed_version, "2.0");
	assert_string_equal(s.health_detail, "2.0: exit status 1: down");
	assert_int_equal(s.health_at, 1001);
	/* A newer version installed: the failure is forgotten, the health
	 * result replaced; another component has a row of its own. */
	assert_int_equal(db_component_failed_clear(f->db, "app", &e), 0);
	assert_int_equal(db_component_health_put(f->db, "app", true,
						 "2.1: passed", 1002, &e),
			 0);
	assert_int_equal(
		db_component_failed_put(f->db, "lib", "1.0", "x", 5, &e), 0);
	reopen(f);
	assert_int_equal(db_component_state_get(f->db, "app", &s, &e), 0);
	assert_string_equal(s.failed_version, "");
	assert_string_equal(s.failed_reason, "");
	assert_int_equal(s.failed_at, 0);
	assert_true(s.health_ok);
	assert_string_equal(s.health_detail, "2.1: passed");
	assert_int_equal(db_component_state_get(f->db, "lib", &s, &e), 0);
	assert_string_equal(s.failed_version, "1.0");
	assert_int_equal(s.health_at, 0);
	/* Clearing a component without a row is no error. */
	assert_int_equal(db_component_failed_clear(f->db, "none", &e), 0);
	assert_int_equal(db_component_state_get(f->db, "none", &s, &e),
			 -ENOENT);
}

/* Settings: unset, set, replaced, and kept across a reopen. */
static void test_settings(void **state)
{
	struct fixture *f = *state;
	struct hs_err e;
	char v[64];

	assert_int_equal(db_setting_get(f->db, "enabled", v, sizeof(v), &e),
			 -ENOENT);
	assert_int_equal(db_setting_put(f->db, "enabled", "no", &e), 0);
	assert_int_equal(db_setting_put(f->db, "enabled", "yes", &e), 0);
	reopen(f);
	assert_int_equal(db_setting_get(f->db, "enabled", v, sizeof(v), &e), 0);
	assert_string_equal(v, "yes");
	assert_int_equal(
		db_setting_put(f->db, "reason", "closed for works", &e), 0);
	assert_int_equal(db_setting_get(f->db, "reason", v, 7, &e), 0);
	assert_string_equal(v, "closed");
}

/*
 * A statement that fails names its table and maps SQLite's code: a trigger
 * refusing the write is -EIO (nothing written, no id), a missing table too.
 */
static void test_statement_errors(void **state)
{
	struct fixture *f = *state;
	struct db_installed in;
	struct db_attempt a;
	struct hs_err e;
	char v[16];

	exec_sql(f->path,
		 "CREATE TRIGGER no_history BEFORE INSERT ON history"
		 " BEGIN SELECT RAISE(ABORT, 'history is closed'); END;"
		 "DROP TABLE settings");
	make_attempt(&a, "app", 1);
	assert_int_equal(db_history_add(f->db, &a, &e), -EIO);
	assert_string_equal(e.msg, "history: history is closed");
	assert_int_equal(a.id, -1);
	assert_int_equal(db_setting_get(f->db, "enabled", v, sizeof(v), &e),
			 -EIO);
	assert_non_null(strstr(e.msg, "settings: no such table"));
	assert_int_equal(db_setting_put(f->db, "enabled", "no", &e), -EIO);
	assert_non_null(strstr(e.msg, "settings: no such table"));
	/* The other tables still work. */
	make_installed(&in, "app", "1.0");
	assert_int_equal(db_installed_put(f->db, &in, &e), 0);
}

/* A write while another connection holds the write lock waits for the busy
 * timeout, then fails with -EBUSY; the lock's holder is not disturbed. */
static void test_busy(void **state)
{
	struct fixture *f = *state;
	struct db_installed in;
	struct db_installed out;
	struct db *other = NULL;
	struct hs_err e;

	if (db_open(f->dir, &other, &e) != 0)
		fail_msg("db_open: %s", e.msg);
	assert_int_equal(db_begin(f->db, &e), 0);
	make_installed(&in, "app", "1.0");
	assert_int_equal(db_installed_put(other, &in, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "installed: database is locked"));
	/* Reads go on under WAL. */
	assert_int_equal(db_installed_get(other, "app", &out, &e), -ENOENT);
	assert_int_equal(db_installed_put(f->db, &in, &e), 0);
	assert_int_equal(db_commit(f->db, &e), 0);
	assert_int_equal(db_installed_get(other, "app", &out, &e), 0);
	db_free(other);
}

/* ---- holds ------------------------------------------------------------- */

static void make_hold(struct db_hold *h, const char *name, const char *from,
		      int64_t at)
{
	memset(h, 0, sizeof(*h));
	(void)hs_strlcpy(h->name, name, sizeof(h->name));
	(void)hs_strlcpy(h->from_version, from, sizeof(h->from_version));
	(void)hs_strlcpy(h->reason, "rolled back from 2.0 by hand",
			 sizeof(h->reason));
	h->held_at = at;
}

static int collect_hold(void *ctx, const struct db_hold *h)
{
	char *names = ctx;
	const size_t n = strlen(names);

	(void)snprintf(names + n, 64 - n, "%s ", h->name);
	return 0;
}

static int stop_at_first_hold(void *ctx, const struct db_hold *h)
{
	(void)h;
	(*(int *)ctx)++;
	return -EINTR;
}

/* A hold round-trips, survives a reopen, is replaced by a second put and
 * is gone after delete; deleting one that is not there is no error. */
static void test_holds_round_trip(void **state)
{
	struct fixture *f = *state;
	struct db_hold h;
	struct db_hold out;
	struct hs_err e;

	assert_int_equal(db_hold_get(f->db, "app", &out, &e), -ENOENT);
	make_hold(&h, "app", "2.0", 1800000000);
	assert_int_equal(db_hold_put(f->db, &h, &e), 0);
	reopen(f);
	assert_int_equal(db_hold_get(f->db, "app", &out, &e), 0);
	assert_string_equal(out.name, "app");
	assert_string_equal(out.from_version, "2.0");
	assert_string_equal(out.reason, "rolled back from 2.0 by hand");
	assert_int_equal(out.held_at, 1800000000);
	make_hold(&h, "app", "3.0", 1800000100);
	assert_int_equal(db_hold_put(f->db, &h, &e), 0);
	assert_int_equal(db_hold_get(f->db, "app", &out, &e), 0);
	assert_string_equal(out.from_version, "3.0");
	assert_int_equal(db_hold_delete(f->db, "app", &e), 0);
	assert_int_equal(db_hold_get(f->db, "app", &out, &e), -ENOENT);
	assert_int_equal(db_hold_delete(f->db, "app", &e), 0);
}

/* foreach walks in name order and stops at a negative value. */
static void test_holds_foreach(void **state)
{
	struct fixture *f = *state;
	char names[64] = "";
	struct db_hold h;
	struct hs_err e;
	int seen = 0;

	make_hold(&h, "zeta", "1.0", 1);
	assert_int_equal(db_hold_put(f->db, &h, &e), 0);
	make_hold(&h, "alpha", "1.0", 2);
	assert_int_equal(db_hold_put(f->db, &h, &e), 0);
	assert_int_equal(db_hold_foreach(f->db, collect_hold, names, &e), 0);
	assert_string_equal(names, "alpha zeta ");
	assert_int_equal(db_hold_foreach(f->db, stop_at_first_hold, &seen, &e),
			 -EINTR);
	assert_int_equal(seen, 1);
}

/* A database of the version before holds gains the table, rows kept. */
static void test_migrate_to_holds(void **state)
{
	struct fixture *f = *state;
	struct db_installed in;
	struct db_hold h;
	struct hs_err e;
	sqlite3 *h4 = NULL;

	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, "app", sizeof(in.name));
	(void)hs_strlcpy(in.version, "2.0", sizeof(in.version));
	assert_int_equal(db_installed_put(f->db, &in, &e), 0);
	db_free(f->db);
	f->db = NULL;
	assert_int_equal(
		sqlite3_open_v2(f->path, &h4, SQLITE_OPEN_READWRITE, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_exec(h4,
				      "DROP TABLE holds;"
				      " PRAGMA user_version = 5;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(h4), SQLITE_OK);
	assert_false(has_table(f->path, "holds"));
	reopen(f);
	assert_int_equal(user_version(f->path), DB_SCHEMA_VERSION);
	assert_true(has_table(f->path, "holds"));
	assert_int_equal(db_installed_get(f->db, "app", &in, &e), 0);
	make_hold(&h, "app", "2.0", 5);
	assert_int_equal(db_hold_put(f->db, &h, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_component_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_statement_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_long_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_fresh, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_tightens_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_installed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_installed_foreach, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_put_replaces,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_holds_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_holds_foreach, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_to_holds, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
