/*
 * test_db.c - the state database: creation, schema version, each table's
 * round trip, ordering, transactions, and files that are not databases.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	assert_int_equal(user_version(f->path), 1);
	/* The migration wrote to the WAL, which SQLite made 0600 as well. */
	wal = tu_path(f->dir, DB_FILE_NAME "-wal");
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(wal);
	/* Reopening an up-to-date database changes nothing. */
	reopen(f);
	assert_int_equal(user_version(f->path), 1);
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
	assert_int_equal(db_open(other, &db, &e), -EIO);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
