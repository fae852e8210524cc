/*
 * sweep.c - the leftovers of an earlier haishind, cleared at start
 * (sweep.h).  Only names haishind makes are looked at, and only what no
 * attempt can be using: the caller holds the state directory's lock.
 */
#include "sweep.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsse.h"
#include "fileio.h"
#include "hs_limits.h"
#include "install.h"
#include "log.h"
#include "manifest.h"
#include "part.h"
#include "patch.h"
#include "str.h"
#include "switch.h"
#include "version.h"

#define SWEEP_MANIFEST "manifest.json" /* the last verified, in state */
#define SWEEP_PART ".part"
#define SWEEP_DELTA "@delta" /* a delta's download key: NAME@delta */
#define SWEEP_BUNDLE "bundle." /* pushed.c: CACHE/bundle.XXXXXX */
#define SWEEP_BUNDLE_LEN (sizeof(SWEEP_BUNDLE) - 1 + 6)
#define SWEEP_TMP ".tmp." /* fileio.h: PATH.tmp.PID */

/* Whether dir/name (in the open directory d) is of type mode, not
 * following a symlink. */
static bool sweep_is(DIR *d, const char *name, mode_t mode)
{
	struct stat st;

	return fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (st.st_mode & S_IFMT) == mode;
}

/* Removes dir/name (with what is in it when tree); 1 when it is gone, 0
 * when it could not be removed (logged). */
static int sweep_remove(const char *dir, const char *name, bool tree,
			const char *why)
{
	char path[PATH_MAX];
	struct hs_err e;
	int r = 0;

	if (hs_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0)
		return 0;
	if (tree)
		r = install_rmtree(path, &e);
	else if (unlink(path) < 0 && errno != ENOENT)
		r = hs_err_set(&e, -errno, "cannot remove '%s': %s", path,
			       strerror(errno));
	if (r < 0) {
		log_warn("%s, ignoring", e.msg);
		return 0;
	}
	log_info("removed '%s': %s", path, why);
	return 1;
}

/* INSTALL/NAME: staging directories, never the one current names. */
static int sweep_component(const char *root, const char *name)
{
	char dir[PATH_MAX];
	char link[PATH_MAX];
	char cur[PATH_MAX];
	struct dirent *de;
	ssize_t len;
	int n = 0;
	DIR *d;

	if (hs_snprintf(dir, sizeof(dir), "%s/%s", root, name) < 0 ||
	    hs_snprintf(link, sizeof(link), "%s/%s", dir, SWITCH_CURRENT) < 0)
		return 0;
	len = readlink(link, cur, sizeof(cur) - 1);
	cur[len < 0 ? 0 : len] = '\0';
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!hs_str_endswith(de->d_name, INSTALL_STAGING_SUFFIX) ||
		    strcmp(de->d_name, cur) == 0)
			continue;
		n += sweep_remove(dir, de->d_name, true,
				  "the staging directory of an install that "
				  "was cut off");
	}
	(void)closedir(d);
	return n;
}

static int sweep_install(const struct config *cfg)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(cfg->install);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (version_name_is_valid(de->d_name) &&
		    sweep_is(d, de->d_name, S_IFDIR))
			n += sweep_component(cfg->install, de->d_name);
	(void)closedir(d);
	return n;
}

/* CACHE/bundle.XXXXXX: a pushed bundle an attempt was reading. */
static bool sweep_is_bundle(DIR *d, const char *name)
{
	return strncmp(name, SWEEP_BUNDLE, sizeof(SWEEP_BUNDLE) - 1) == 0 &&
	       strlen(name) == SWEEP_BUNDLE_LEN && sweep_is(d, name, S_IFDIR);
}

/* STATE/FILE.tmp.PID: a state file being written (hs_write_file_atomic). */
static bool sweep_is_state_tmp(DIR *d, const char *name)
{
	const char *tmp = strstr(name, SWEEP_TMP);
	const char *p;

	if (tmp == NULL || tmp == name || tmp[sizeof(SWEEP_TMP) - 1] == '\0')
		return false;
	for (p = tmp + sizeof(SWEEP_TMP) - 1; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return sweep_is(d, name, S_IFREG);
}

/* Removes the entries of dir that is_left says are leftovers. */
static int sweep_entries(const char *dir, bool (*is_left)(DIR *, const char *),
			 bool tree, const char *why)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (is_left(d, de->d_name))
			n += sweep_remove(dir, de->d_name, tree, why);
	(void)closedir(d);
	return n;
}

/* The stored manifest, read as floor.c reads it (it was verified before
 * it was stored), or NULL. */
static struct manifest *sweep_manifest(const struct config *cfg)
{
	char path[PATH_MAX];
	struct manifest *m = NULL;
	struct dsse *env = NULL;
	const uint8_t *p;
	char *buf = NULL;
	size_t len = 0;
	size_t n = 0;

	if (hs_snprintf(path, sizeof(path), "%s/%s", cfg->state,
			SWEEP_MANIFEST) < 0 ||
	    hs_read_file(path, HS_MANIFEST_MAX_BYTES, &buf, &len, NULL) < 0)
		return NULL;
	if (dsse_parse(buf, len, HS_MANIFEST_MAX_BYTES, &env, NULL) == 0) {
		p = dsse_payload(env, &n);
		if (manifest_parse(p, n, &m, NULL) < 0)
			m = NULL;
	}
	dsse_free(env);
	free(buf);
	return m;
}

/* The component of a download's key (NAME or NAME@delta); false for a
 * key that names none. */
static bool sweep_key(const char *key, char out[static HS_NAME_MAX + 1],
		      bool *ret_delta)
{
	size_t k = strlen(key);

	*ret_delta = hs_str_endswith(key, SWEEP_DELTA);
	if (*ret_delta)
		k -= sizeof(SWEEP_DELTA) - 1;
	if (k == 0 || k > HS_NAME_MAX)
		return false;
	memcpy(out, key, k);
	out[k] = '\0';
	return version_name_is_valid(out);
}

static bool sweep_same(const char *url, const char *sha256, uint64_t size,
		       const struct db_partial *p)
{
	return strcmp(url, p->url) == 0 && strcmp(sha256, p->sha256) == 0 &&
	       size == p->size;
}

/* Whether c's package (or one of its deltas) is the download p. */
static bool sweep_named(const struct manifest_component *c,
			const struct db_partial *p, bool delta)
{
	size_t i;

	if (!delta)
		return sweep_same(c->package.url, c->package.sha256,
				  c->package.size, p);
	for (i = 0; i < c->n_deltas; i++)
		if (sweep_same(c->deltas[i].url, c->deltas[i].sha256,
			       c->deltas[i].size, p))
			return true;
	return false;
}

/* Why the stored manifest m no longer asks for the download p, or NULL
 * when it does or cannot tell. */
static const char *sweep_unwanted(const struct manifest *m, struct db *db,
				  const struct db_partial *p)
{
	const struct manifest_component *c;
	char name[HS_NAME_MAX + 1];
	struct db_installed in;
	bool delta;

	if (m == NULL || !sweep_key(p->name, name, &delta))
		return NULL;
	c = manifest_find(m, name);
	if (c == NULL)
		return "its component is not in the stored manifest";
	if (db_installed_get(db, name, &in, NULL) == 0 &&
	    strcmp(in.version, c->version) == 0)
		return "the version it was for is installed";
	if (!sweep_named(c, p, delta))
		return "the stored manifest names another file";
	return NULL;
}

/* One journal row: kept, or removed with its part file. */
static int sweep_journal(const struct config *cfg, struct db *db,
			 const struct manifest *m, const struct db_partial *p)
{
	char path[PATH_MAX];
	struct hs_err e;
	const char *what = "the download";
	struct stat st;
	const char *why;

	if (part_file_path(cfg->cache, p->name, path, NULL) < 0)
		return 0;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return 0;
		what = "the journal of the download";
		why = "its part file is gone";
	} else if (!S_ISREG(st.st_mode)) {
		return 0; /* planted: the transfer names it */
	} else {
		why = sweep_unwanted(m, db, p);
	}
	if (why == NULL)
		return 0;
	/* The file first: a journal without its file starts over. */
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("cannot remove '%s': %s, ignoring", path,
			 strerror(errno));
		return 0;
	}
	if (db_partial_delete(db, p->name, &e) < 0) {
		log_warn("%s, ignoring", e.msg);
		return 0;
	}
	log_info("removed %s '%s': %s", what, p->name, why);
	return 1;
}

struct sweep_rows {
	struct db_partial *v;
	size_t n;
	size_t cap;
	bool no_memory;
};

static int sweep_collect(void *ctx, const struct db_partial *p)
{
	struct sweep_rows *rows = ctx;

	if (rows->n == rows->cap) {
		const size_t cap = rows->cap == 0 ? 8 : rows->cap * 2;
		struct db_partial *v = realloc(rows->v, cap * sizeof(*v));

		if (v == NULL) {
			rows->no_memory = true;
			return -ENOMEM;
		}
		rows->v = v;
		rows->cap = cap;
	}
	rows->v[rows->n++] = *p;
	return 0;
}

/* Every journal row against its part file and the stored manifest. */
static int sweep_journals(const struct config *cfg, struct db *db)
{
	struct sweep_rows rows = {NULL, 0, 0, false};
	struct manifest *m;
	struct hs_err e;
	size_t i;
	int n = 0;

	if (db_partial_foreach(db, sweep_collect, &rows, &e) < 0) {
		log_warn("cannot read the journal of downloads: %s",
			 rows.no_memory ? "out of memory" : e.msg);
		free(rows.v);
		return 0;
	}
	m = sweep_manifest(cfg);
	for (i = 0; i < rows.n; i++)
		n += sweep_journal(cfg, db, m, &rows.v[i]);
	manifest_free(m);
	free(rows.v);
	return n;
}

/* A part file of the cache whose download has no journal row. */
static bool sweep_orphan(DIR *d, const char *file, struct db *db)
{
	char key[DB_PARTIAL_NAME_MAX + 1];
	char name[HS_NAME_MAX + 1];
	struct db_partial p;
	const size_t n = strlen(file);
	const size_t k = sizeof(SWEEP_PART) - 1;
	bool delta;

	if (n <= k || n - k > DB_PARTIAL_NAME_MAX ||
	    strcmp(file + n - k, SWEEP_PART) != 0)
		return false;
	memcpy(key, file, n - k);
	key[n - k] = '\0';
	return sweep_key(key, name, &delta) && sweep_is(d, file, S_IFREG) &&
	       db_partial_get(db, key, &p, NULL) == -ENOENT;
}

static int sweep_orphans(const struct config *cfg, struct db *db)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(cfg->cache);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (sweep_orphan(d, de->d_name, db))
			n += sweep_remove(cfg->cache, de->d_name, false,
					  "a part file without its journal");
	(void)closedir(d);
	return n;
}

int sweep_leftovers(const struct config *cfg, struct db *db)
{
	int n;

	n = sweep_install(cfg);
	n += sweep_entries(cfg->cache, sweep_is_bundle, true,
			   "a pushed bundle an attempt was reading when it "
			   "was cut off");
	n += sweep_entries(cfg->state, sweep_is_state_tmp, false,
			   "a state file being written when haishind "
			   "stopped");
	if (db != NULL) {
		n += sweep_journals(cfg, db);
		n += sweep_orphans(cfg, db);
	}
	patch_sweep(cfg);
	return n;
}
