/*
 * test_floor.c - the trust floor outside the state database: the judge of
 * a database against it (a table of lives), reading it from a state
 * directory and an install root, rebuilding a lost database from it, and
 * repairing what a cut-off attempt left half done.
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "floor.h"
#include "str.h"

/* A database's rows, as floor_judge() looks them up. */
struct rows {
	const char *name[3];
	const char *version[3];
};

static int rows_get(void *ctx, const char *name, struct db_installed *ret,
		    struct hs_err *e)
{
	const struct rows *rows = ctx;
	size_t i;

	(void)e;
	for (i = 0; i < 3 && rows->name[i] != NULL; i++) {
		if (strcmp(rows->name[i], name) != 0)
			continue;
		memset(ret, 0, sizeof(*ret));
		(void)hs_strlcpy(ret->name, name, sizeof(ret->name));
		(void)hs_strlcpy(ret->version, rows->version[i],
				 sizeof(ret->version));
		return 0;
	}
	return -ENOENT;
}

static const struct judge_case {
	const char *what;
	uint64_t file_serial; /* STATE/manifest.json */
	const char *active; /* INSTALL/app/current, or NULL */
	uint64_t db_serial;
	struct rows rows;
	int want;
	const char *text;
} judge_cases[] = {
	{"a new terminal", 0, NULL, 0, {{NULL}, {NULL}}, 0, ""},
	{"a sound life", 7, "2.0", 7, {{"app"}, {"2.0"}}, 0, ""},
	{"database ahead of a copy not yet written",
	 6,
	 "2.0",
	 7,
	 {{"app"}, {"2.0"}},
	 0,
	 ""},
	{"database records a newer version than active",
	 7,
	 "1.0",
	 7,
	 {{"app"}, {"2.0"}},
	 0,
	 ""},
	{"emptied database, manifest kept",
	 7,
	 NULL,
	 0,
	 {{NULL}, {NULL}},
	 -ESTALE,
	 "empty or new"},
	{"emptied database, install kept",
	 0,
	 "2.0",
	 0,
	 {{NULL}, {NULL}},
	 -ESTALE,
	 "does not know app"},
	{"database from an older copy: serial",
	 7,
	 "2.0",
	 5,
	 {{"app"}, {"2.0"}},
	 -ESTALE,
	 "accepted manifest serial 5"},
	{"database from an older copy: version",
	 7,
	 "2.0",
	 7,
	 {{"app"}, {"1.0"}},
	 -ESTALE,
	 "records app 1.0"},
	{"a version the database cannot compare",
	 7,
	 "2.0",
	 7,
	 {{"app"}, {"not a version!"}},
	 -ESTALE,
	 "records app"},
};

static void test_judge_table(void **state)
{
	struct floor *f = calloc(1, sizeof(*f));
	struct db_trust t;
	struct hs_err e;
	size_t bad = 0;
	size_t i;
	int r;

	(void)state;
	assert_non_null(f);
	for (i = 0; i < TU_ARRAY_SIZE(judge_cases); i++) {
		const struct judge_case *k = &judge_cases[i];

		memset(f, 0, sizeof(*f));
		memset(&t, 0, sizeof(t));
		(void)hs_strlcpy(f->state_dir, "/s", sizeof(f->state_dir));
		(void)hs_strlcpy(f->install_dir, "/i", sizeof(f->install_dir));
		f->manifest_serial = k->file_serial;
		if (k->active != NULL) {
			(void)hs_strlcpy(f->c[0].name, "app",
					 sizeof(f->c[0].name));
			(void)hs_strlcpy(f->c[0].version, k->active,
					 sizeof(f->c[0].version));
			f->n = 1;
		}
		t.manifest_serial = k->db_serial;
		hs_err_clear(&e);
		r = floor_judge(f, &t, rows_get, (void *)&k->rows, &e);
		if (tu_check_err(&bad, k->what, r, &e, k->want, k->text) &&
		    k->want != 0 && strstr(e.msg, "--reinit") == NULL)
			tu_report_bad(&bad, "%s: no advice in '%s'", k->what,
				      e.msg);
	}
	free(f);
	assert_int_equal(bad, 0);
}

/* Fails with e's message unless r is 0. */
#define assert_ok(r, e) assert_ok_at((r), (e), __FILE__, __LINE__)
static void assert_ok_at(int r, const struct hs_err *e, const char *file,
			 int line)
{
	if (r == 0)
		return;
	print_error("%s:%d: got %d: %s\n", file, line, r, e->msg);
	fail();
}

struct world {
	char *dir;
	struct config cfg;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char *p;

	assert_non_null(w);
	w->dir = tu_mkdtemp();
	p = tu_path(w->dir, "state");
	(void)hs_strlcpy(w->cfg.state, p, sizeof(w->cfg.state));
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = tu_path(w->dir, "install");
	(void)hs_strlcpy(w->cfg.install, p, sizeof(w->cfg.install));
	free(p);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	tu_rmtree(w->dir);
	free(w->dir);
	free(w);
	return 0;
}

/* INSTALL/NAME/VERSION (a directory), and current -> active if given. */
static void install_tree(const struct world *w, const char *name,
			 const char *const *versions, const char *active)
{
	char path[PATH_MAX];
	char link[PATH_MAX];
	size_t i;

	for (i = 0; versions[i] != NULL; i++) {
		(void)hs_snprintf(path, sizeof(path), "%s/%s/file", name,
				  versions[i]);
		tu_write(w->cfg.install, path, "x", 1, 0644);
	}
	if (active == NULL)
		return;
	(void)hs_snprintf(link, sizeof(link), "%s/%s/current", w->cfg.install,
			  name);
	(void)unlink(link);
	assert_int_equal(symlink(active, link), 0);
}

static void active_of(const struct world *w, const char *name, char *out,
		      size_t n)
{
	char link[PATH_MAX];
	ssize_t len;

	(void)hs_snprintf(link, sizeof(link), "%s/%s/current", w->cfg.install,
			  name);
	len = readlink(link, out, n - 1);
	out[len < 0 ? 0 : len] = '\0';
}

static void test_read_install_root(void **state)
{
	struct world *w = *state;
	struct floor *f = calloc(1, sizeof(*f));
	const char *app[] = {"1.0", "1.5", "2.0", "3.0", NULL};
	const char *lib[] = {"0.9", NULL};
	struct hs_err e;

	assert_non_null(f);
	install_tree(w, "app", app, "2.0");
	install_tree(w, "lib", lib, "0.9");
	install_tree(w, "orphan", lib, NULL); /* no current: no evidence */
	tu_write(w->cfg.install, "app/2.1.staging/file", "x", 1, 0644);
	tu_write(w->cfg.state, "manifest.json", "not an envelope", 15, 0644);
	assert_ok(floor_read(&w->cfg, f, &e), &e);
	assert_int_equal(f->manifest_serial, 0); /* unreadable: no evidence */
	assert_int_equal(f->n, 2);
	assert_string_equal(f->c[0].name, "app");
	assert_string_equal(f->c[0].version, "2.0");
	assert_string_equal(f->c[0].previous, "1.5"); /* highest below */
	assert_string_equal(f->c[1].name, "lib");
	assert_string_equal(f->c[1].previous, "");
	free(f);
}

static void test_reinit_keeps_the_floor(void **state)
{
	struct world *w = *state;
	const char *app[] = {"1.0", "2.0", NULL};
	struct db_installed in;
	struct db *db = NULL;
	char report[1024];
	struct hs_err e;
	char *kept;

	install_tree(w, "app", app, "2.0");
	tu_write(w->cfg.state, DB_FILE_NAME, "\0\0\0\0\0\0\0\0", 8, 0600);
	tu_assert_err(db_open(w->cfg.state, &db, &e), &e, -EUCLEAN, "");
	tu_assert_err(floor_explain(&e), &e, -EUCLEAN, "--reinit");
	assert_ok(floor_reinit(&w->cfg, report, sizeof(report), &e), &e);
	assert_non_null(strstr(report, "app 2.0"));
	assert_non_null(strstr(report, ".damaged-"));
	assert_int_equal(tu_count_entries(w->cfg.state), 2); /* new + kept */
	assert_ok(db_open(w->cfg.state, &db, &e), &e);
	assert_ok(db_installed_get(db, "app", &in, &e), &e);
	assert_string_equal(in.version, "2.0");
	assert_string_equal(in.previous, "1.0");
	assert_ok(floor_check(&w->cfg, db, &e), &e);
	db_free(db);
	kept = strstr(report, "kept as '");
	assert_non_null(kept);
}

/* A cut-off attempt switched app to 2.0 but never recorded it. */
static void test_repair_switches_back(void **state)
{
	struct world *w = *state;
	const char *app[] = {"1.0", "2.0", NULL};
	const char *lib[] = {"0.1", NULL};
	struct db_installed in;
	struct db *db = NULL;
	char report[512];
	char active[64];
	struct hs_err e;

	install_tree(w, "app", app, "2.0");
	install_tree(w, "lib", lib, "0.1"); /* a first install, cut off */
	assert_ok(db_open(w->cfg.state, &db, &e), &e);
	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, "app", sizeof(in.name));
	(void)hs_strlcpy(in.version, "1.0", sizeof(in.version));
	assert_ok(db_installed_put(db, &in, &e), &e);
	tu_assert_err(floor_check(&w->cfg, db, &e), &e, -ESTALE, "records");
	assert_int_equal(floor_repair(&w->cfg, db, report, sizeof(report), &e),
			 1);
	active_of(w, "app", active, sizeof(active));
	assert_string_equal(active, "1.0");
	active_of(w, "lib", active, sizeof(active));
	assert_string_equal(active, ""); /* no current: nothing was active */
	assert_non_null(strstr(report, "app 2.0 -> 1.0"));
	assert_ok(floor_check(&w->cfg, db, &e), &e);
	assert_int_equal(floor_repair(&w->cfg, db, report, sizeof(report), &e),
			 0);
	db_free(db);
}

/* A rollback by hand switched app from 2.0 to 1.0 and was cut off before
 * its record: 2.0, the version the database records, is active again; an
 * older current whose recorded version is gone stays. */
static void test_repair_switches_back_a_cut_off_rollback(void **state)
{
	struct world *w = *state;
	const char *app[] = {"1.0", "2.0", NULL};
	const char *lib[] = {"0.1", NULL};
	struct db_installed in;
	struct db *db = NULL;
	char report[512];
	char active[64];
	struct hs_err e;

	install_tree(w, "app", app, "1.0");
	install_tree(w, "lib", lib, "0.1");
	assert_ok(db_open(w->cfg.state, &db, &e), &e);
	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, "app", sizeof(in.name));
	(void)hs_strlcpy(in.version, "2.0", sizeof(in.version));
	(void)hs_strlcpy(in.previous, "1.0", sizeof(in.previous));
	assert_ok(db_installed_put(db, &in, &e), &e);
	(void)hs_strlcpy(in.name, "lib", sizeof(in.name));
	(void)hs_strlcpy(in.version, "0.2", sizeof(in.version)); /* gone */
	assert_ok(db_installed_put(db, &in, &e), &e);
	assert_ok(floor_check(&w->cfg, db, &e), &e); /* above the floor */
	assert_int_equal(floor_repair(&w->cfg, db, report, sizeof(report), &e),
			 1);
	active_of(w, "app", active, sizeof(active));
	assert_string_equal(active, "2.0");
	active_of(w, "lib", active, sizeof(active));
	assert_string_equal(active, "0.1");
	assert_string_equal(report, "app 1.0 -> 2.0");
	assert_int_equal(floor_repair(&w->cfg, db, report, sizeof(report), &e),
			 0);
	db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_table),
		cmocka_unit_test_setup_teardown(test_read_install_root, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reinit_keeps_the_floor,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_switches_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_repair_switches_back_a_cut_off_rollback, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
