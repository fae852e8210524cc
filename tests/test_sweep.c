/*
 * test_sweep.c - what a start clears of an earlier haishind's half-done
 * writes (sweep.h), on a temporary install root, cache and state
 * directory with a real SQLite database: staging directories but never
 * what current names or a complete version; half-written bases, bases
 * without their SHA-256 and the other way round, bundles being unpacked,
 * state files being written; part files and journal rows made to agree,
 * with the downloads the stored manifest still asks for kept to resume.
 */
#include "testutil.h"
#include "trustutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "hs_err.h"
#include "dsse.h"
#include "key.h"
#include "manifest.h"
#include "str.h"
#include "sweep.h"

#define SHA(c) c c c c c c c c /* 8 x 8 hex digits */
#define SHA_P SHA("11111111") /* app 2.0's package */
#define SHA_D SHA("22222222") /* app's delta from 1.0 */
#define SHA_L SHA("33333333") /* lib 1.1's package */
#define SHA_O SHA("44444444") /* an older package of tool */
#define SHA_T SHA("55555555") /* tar SHA-256s */

/* Fails the test with e's message unless r is 0. */
#define assert_ok(r, e) ok_at((r), (e), __FILE__, __LINE__)
static void ok_at(int r, const struct hs_err *e, const char *file, int line)
{
	if (r == 0)
		return;
	print_error("%s:%d: got %d: %s\n", file, line, r, e->msg);
	fail();
}

struct world {
	char *dir;
	struct config cfg;
	struct db *db;
};

static void mkdir_in(const char *dir, const char *name, char *out, size_t n)
{
	char *p = tu_path(dir, name);

	assert_int_equal(mkdir(p, 0755), 0);
	(void)hs_strlcpy(out, p, n);
	free(p);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct hs_err e;

	assert_non_null(w);
	w->dir = tu_mkdtemp();
	config_defaults(&w->cfg);
	mkdir_in(w->dir, "state", w->cfg.state, sizeof(w->cfg.state));
	mkdir_in(w->dir, "cache", w->cfg.cache, sizeof(w->cfg.cache));
	mkdir_in(w->dir, "install", w->cfg.install, sizeof(w->cfg.install));
	assert_ok(db_open(w->cfg.state, &w->db, &e), &e);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	db_free(w->db);
	tu_rmtree(w->dir);
	free(w->dir);
	free(w);
	return 0;
}

static bool there(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;
	const bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static void link_in(const char *dir, const char *name, const char *target)
{
	char *p = tu_path(dir, name);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void put(const char *dir, const char *name)
{
	tu_write(dir, name, "x", 1, 0644);
}

static void test_staging(void **state)
{
	struct world *w = *state;
	const char *in = w->cfg.install;

	put(in, "app/1.0/bin/app");
	put(in, "app/2.0/bin/app");
	put(in, "app/2.1.staging/bin/app"); /* an install cut off */
	put(in, "app/1.9.staging/deep/er/file");
	put(in, "app/README"); /* not of haishind's making */
	link_in(in, "app/current", "2.0");
	put(in, "lib/0.1.staging/file"); /* a first install cut off */
	put(in, "odd/3.0.staging/file");
	link_in(in, "odd/current", "3.0.staging"); /* never removed */
	put(in, "notes.staging"); /* not a component's directory */
	assert_int_equal(sweep_leftovers(&w->cfg, w->db), 3);
	assert_false(there(in, "app/2.1.staging"));
	assert_false(there(in, "app/1.9.staging"));
	assert_false(there(in, "lib/0.1.staging"));
	assert_true(there(in, "app/1.0/bin/app"));
	assert_true(there(in, "app/2.0/bin/app"));
	assert_true(there(in, "app/current"));
	assert_true(there(in, "app/README"));
	assert_true(there(in, "lib"));
	assert_true(there(in, "odd/3.0.staging/file"));
	assert_true(there(in, "notes.staging"));
	assert_int_equal(sweep_leftovers(&w->cfg, w->db), 0);
}

static void test_cache_and_state(void **state)
{
	struct world *w = *state;
	const char *c = w->cfg.cache;
	const char *s = w->cfg.state;

	tu_write(c, "app.base.tar", "tar", 3, 0644);
	tu_write(c, "app.base.sha256", SHA_T, 64, 0644);
	put(c, "lib.base.tar"); /* its SHA-256 never written */
	put(c, "old.base.sha256"); /* its base gone */
	put(c, "app.tar.new"); /* a delta's rebuild */
	put(c, "tool.base.tar.tmp"); /* a base being written */
	put(c, "app.base.sha256.tmp.77");
	put(c, "bundle.Ab12Cd/manifest.json"); /* a push cut off */
	put(c, "bundle.x"); /* not a bundle's directory */
	put(c, "notes");
	put(s, "manifest.json");
	put(s, "manifest.json.tmp.4242"); /* a state file being written */
	put(s, "root.json.tmp.");
	put(s, "keep.tmp.1x");
	(void)sweep_leftovers(&w->cfg, w->db);
	assert_true(there(c, "app.base.tar"));
	assert_true(there(c, "app.base.sha256"));
	assert_false(there(c, "lib.base.tar"));
	assert_false(there(c, "old.base.sha256"));
	assert_false(there(c, "app.tar.new"));
	assert_false(there(c, "tool.base.tar.tmp"));
	assert_false(there(c, "app.base.sha256.tmp.77"));
	assert_false(there(c, "bundle.Ab12Cd"));
	assert_true(there(c, "bundle.x"));
	assert_true(there(c, "notes"));
	assert_true(there(s, "manifest.json"));
	assert_false(there(s, "manifest.json.tmp.4242"));
	assert_true(there(s, "root.json.tmp."));
	assert_true(there(s, "keep.tmp.1x"));
	assert_true(there(s, DB_FILE_NAME));
}

/* The bases stay within cache_max: the oldest goes first. */
static void test_cache_max(void **state)
{
	struct world *w = *state;
	const char *c = w->cfg.cache;
	char *p;

	tu_write(c, "old.base.tar", "0123456789", 10, 0644);
	tu_write(c, "old.base.sha256", SHA_T, 64, 0644);
	p = tu_path(c, "old.base.tar");
	assert_int_equal(
		utimensat(AT_FDCWD, p,
			  (const struct timespec[]){{1000, 0}, {1000, 0}}, 0),
		0);
	free(p);
	tu_write(c, "new.base.tar", "0123456789", 10, 0644);
	tu_write(c, "new.base.sha256", SHA_T, 64, 0644);
	w->cfg.cache_max = 15;
	(void)sweep_leftovers(&w->cfg, w->db);
	assert_false(there(c, "old.base.tar"));
	assert_false(there(c, "old.base.sha256"));
	assert_true(there(c, "new.base.tar"));
}

static void component(struct manifest_component *c, const char *name,
		      const char *version, const char *sha)
{
	memset(c, 0, sizeof(*c));
	(void)hs_strlcpy(c->name, name, sizeof(c->name));
	(void)hs_strlcpy(c->version, version, sizeof(c->version));
	(void)hs_strlcpy(c->minimum, "0.1", sizeof(c->minimum));
	(void)hs_strlcpy(c->package.sha256, sha, sizeof(c->package.sha256));
	(void)hs_snprintf(c->package.url, sizeof(c->package.url),
			  "packages/%s/%s.tar.zst", name, sha);
	c->package.size = 1000;
	(void)hs_strlcpy(c->package.tar_sha256, SHA_T,
			 sizeof(c->package.tar_sha256));
	c->package.tar_size = 2000;
}

/* STATE/manifest.json: app 2.0 (with a delta from 1.0), lib 1.1 and
 * tool 3.0, signed as the daemon stores it. */
static void store_manifest(const struct world *w)
{
	struct manifest_component cs[3];
	struct manifest m = {.serial = 7, .expires = 4102444800};
	struct manifest_delta *d = &cs[0].deltas[0];
	struct key *k = tu_key_new();
	char *json = NULL;
	char *env;
	struct hs_err e;

	component(&cs[0], "app", "2.0", SHA_P);
	cs[0].n_deltas = 1;
	(void)hs_strlcpy(d->from, "1.0", sizeof(d->from));
	(void)hs_strlcpy(d->method, "zstd", sizeof(d->method));
	(void)hs_strlcpy(d->base_sha256, SHA_T, sizeof(d->base_sha256));
	(void)hs_strlcpy(d->sha256, SHA_D, sizeof(d->sha256));
	(void)hs_snprintf(d->url, sizeof(d->url), "packages/app/%s.delta",
			  SHA_D);
	d->size = 100;
	component(&cs[1], "lib", "1.1", SHA_L);
	component(&cs[2], "tool", "3.0", SHA_P);
	m.components = cs;
	m.n_components = 3;
	assert_ok(manifest_build(&m, &json, &e), &e);
	env = tu_sign(DSSE_TYPE_MANIFEST, json, &k, 1);
	tu_write(w->cfg.state, "manifest.json", env, strlen(env), 0644);
	free(env);
	free(json);
	key_free(k);
}

static void installed(const struct world *w, const char *name,
		      const char *version)
{
	struct db_installed in;
	struct hs_err e;

	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, name, sizeof(in.name));
	(void)hs_strlcpy(in.version, version, sizeof(in.version));
	assert_ok(db_installed_put(w->db, &in, &e), &e);
}

/* A journal row for the download key: the file url (sha, size). */
static void journal(const struct world *w, const char *key, const char *url,
		    const char *sha, uint64_t size)
{
	struct db_partial p;
	struct hs_err e;

	memset(&p, 0, sizeof(p));
	(void)hs_strlcpy(p.name, key, sizeof(p.name));
	(void)hs_strlcpy(p.url, url, sizeof(p.url));
	(void)hs_strlcpy(p.sha256, sha, sizeof(p.sha256));
	p.size = size;
	p.offset = size / 2;
	assert_ok(db_partial_put(w->db, &p, &e), &e);
}

static bool journaled(const struct world *w, const char *key)
{
	struct db_partial p;
	struct hs_err e;
	const int r = db_partial_get(w->db, key, &p, &e);

	assert_true(r == 0 || r == -ENOENT);
	return r == 0;
}

/* The journal and part files of a killed life, against the manifest. */
static void downloads(const struct world *w)
{
	const char *c = w->cfg.cache;

	installed(w, "app", "1.0");
	installed(w, "lib", "1.1"); /* recorded; its download not forgotten */
	journal(w, "app", "packages/app/" SHA_P ".tar.zst", SHA_P, 1000);
	put(c, "app.part"); /* resumes */
	journal(w, "app@delta", "packages/app/" SHA_D ".delta", SHA_D, 100);
	put(c, "app@delta.part"); /* resumes */
	journal(w, "lib", "packages/lib/" SHA_L ".tar.zst", SHA_L, 1000);
	put(c, "lib.part"); /* lib 1.1 is installed */
	journal(w, "gone", "packages/gone/" SHA_L ".tar.zst", SHA_L, 1000);
	put(c, "gone.part"); /* no longer published */
	journal(w, "tool", "packages/tool/" SHA_O ".tar.zst", SHA_O, 1000);
	put(c, "tool.part"); /* a version the manifest no longer names */
	journal(w, "lost", "packages/lost/" SHA_L ".tar.zst", SHA_L, 1000);
	put(c, "orphan.part"); /* its journal never written */
	put(c, "orphan@delta.part");
	link_in(c, "trap.part", "/etc/passwd"); /* planted: left alone */
	journal(w, "planted", "packages/planted/" SHA_L ".tar.zst", SHA_L,
		1000);
	link_in(c, "planted.part", "/etc/passwd");
	put(c, "Not-A-Key.part");
}

static void test_downloads(void **state)
{
	struct world *w = *state;
	const char *c = w->cfg.cache;

	store_manifest(w);
	downloads(w);
	assert_int_equal(sweep_leftovers(&w->cfg, w->db), 6);
	assert_true(there(c, "app.part") && journaled(w, "app"));
	assert_true(there(c, "app@delta.part") && journaled(w, "app@delta"));
	assert_false(there(c, "lib.part") || journaled(w, "lib"));
	assert_false(there(c, "gone.part") || journaled(w, "gone"));
	assert_false(there(c, "tool.part") || journaled(w, "tool"));
	assert_false(journaled(w, "lost"));
	assert_false(there(c, "orphan.part"));
	assert_false(there(c, "orphan@delta.part"));
	assert_true(there(c, "trap.part"));
	assert_true(there(c, "planted.part") && journaled(w, "planted"));
	assert_true(there(c, "Not-A-Key.part"));
	assert_int_equal(sweep_leftovers(&w->cfg, w->db), 0);
}

/* Without the stored manifest nothing is judged unwanted: the part files
 * and their journal only have to agree. */
static void test_downloads_without_manifest(void **state)
{
	struct world *w = *state;
	const char *c = w->cfg.cache;

	downloads(w);
	assert_int_equal(sweep_leftovers(&w->cfg, w->db), 3);
	assert_true(there(c, "lib.part") && journaled(w, "lib"));
	assert_true(there(c, "gone.part") && journaled(w, "gone"));
	assert_true(there(c, "tool.part") && journaled(w, "tool"));
	assert_false(journaled(w, "lost"));
	assert_false(there(c, "orphan.part"));
	assert_false(there(c, "orphan@delta.part"));
}

/* A database that could not be opened: downloads are left as they are. */
static void test_no_database(void **state)
{
	struct world *w = *state;
	const char *c = w->cfg.cache;

	store_manifest(w);
	downloads(w);
	put(w->cfg.install, "app/2.0.staging/file");
	assert_int_equal(sweep_leftovers(&w->cfg, NULL), 1);
	assert_false(there(w->cfg.install, "app/2.0.staging"));
	assert_true(there(c, "lib.part") && journaled(w, "lib"));
	assert_true(there(c, "orphan.part"));
	assert_true(journaled(w, "lost"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_staging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_and_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cache_max, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_downloads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_downloads_without_manifest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_database, setup,
						teardown),
	};

	return tu_result(cmocka_run_group_tests(tests, NULL, NULL));
}
