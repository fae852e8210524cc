/*
 * floor.c - the trust floor kept outside the state database: the last
 * verified manifest in the state directory and the active versions under
 * the install root.  Reading the floor trusts those files as the daemon
 * wrote them (they are root's, beside the database); it never verifies a
 * signature again, since it only ever raises what the client refuses.
 */
#include "floor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dsse.h"
#include "hash.h"
#include "i18n.h"
#include "install.h"
#include "manifest.h"
#include "fileio.h"
#include "str.h"
#include "switch.h"
#include "version.h"

#define FLOOR_MANIFEST_FILE "manifest.json"

const char *floor_what_to_do(void)
{
	return _("restore it from a backup, or stop haishind and run "
		 "'haishind --reinit' to rebuild it (the installed versions "
		 "and the manifest serial stay the floor); until then nothing "
		 "is updated");
}

int floor_explain(struct hs_err *e)
{
	char msg[HS_ERR_MSG_MAX];

	if (e == NULL || e->code != -EUCLEAN)
		return e != NULL ? e->code : 0;
	memcpy(msg, e->msg, sizeof(msg));
	return hs_err_set(e, -EUCLEAN, _("%s: the file is damaged; %s"), msg,
			  floor_what_to_do());
}

/* The serial, expiry and payload hash of the stored manifest, if any. */
static void floor_read_manifest(struct floor *f)
{
	char path[PATH_MAX];
	struct manifest *m = NULL;
	struct dsse *env = NULL;
	const uint8_t *p;
	char *buf = NULL;
	size_t len = 0;
	size_t n = 0;

	if (hs_snprintf(path, sizeof(path), "%s/%s", f->state_dir,
			FLOOR_MANIFEST_FILE) < 0 ||
	    hs_read_file(path, HS_MANIFEST_MAX_BYTES, &buf, &len, NULL) < 0)
		return;
	if (dsse_parse(buf, len, HS_MANIFEST_MAX_BYTES, &env, NULL) < 0)
		goto out;
	p = dsse_payload(env, &n);
	if (manifest_parse(p, n, &m, NULL) < 0 ||
	    hash_buf(p, n, f->manifest_sha256, NULL) < 0)
		goto out;
	f->manifest_serial = m->serial;
	f->manifest_expires = m->expires;
out:
	manifest_free(m);
	dsse_free(env);
	free(buf);
}

/* The highest version directory of NAME below current, or "". */
static void floor_previous(const char *dir, struct floor_component *c)
{
	struct dirent *de;
	DIR *d;

	c->previous[0] = '\0';
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *v = de->d_name;

		if (!version_is_valid(v) || strcmp(v, c->version) == 0 ||
		    version_compare(v, c->version) > 0)
			continue;
		if (c->previous[0] == '\0' ||
		    version_compare(v, c->previous) > 0)
			(void)hs_strlcpy(c->previous, v, sizeof(c->previous));
	}
	(void)closedir(d);
}

static void floor_read_component(struct floor *f, const char *name)
{
	struct floor_component *c = &f->c[f->n];
	char dir[PATH_MAX];

	if (f->n >= FLOOR_MAX_COMPONENTS || !version_name_is_valid(name))
		return;
	if (switch_current(f->install_dir, name, c->version, sizeof(c->version),
			   NULL) < 0)
		return;
	(void)hs_strlcpy(c->name, name, sizeof(c->name));
	if (hs_snprintf(dir, sizeof(dir), "%s/%s", f->install_dir, name) == 0)
		floor_previous(dir, c);
	f->n++;
}

static int floor_name_cmp(const void *a, const void *b)
{
	const struct floor_component *x = a;
	const struct floor_component *y = b;

	return strcmp(x->name, y->name);
}

int floor_read(const struct config *cfg, struct floor *ret, struct hs_err *e)
{
	struct dirent *de;
	DIR *d;

	memset(ret, 0, sizeof(*ret));
	if (hs_strlcpy(ret->state_dir, cfg->state, sizeof(ret->state_dir)) <
		    0 ||
	    hs_strlcpy(ret->install_dir, cfg->install,
		       sizeof(ret->install_dir)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	floor_read_manifest(ret);
	d = opendir(cfg->install);
	if (d == NULL && errno == ENOENT)
		return 0;
	if (d == NULL)
		return hs_err_set(e, -errno,
				  "cannot list the install root '%s': %s",
				  cfg->install, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			floor_read_component(ret, de->d_name);
	(void)closedir(d);
	qsort(ret->c, ret->n, sizeof(ret->c[0]), floor_name_cmp);
	return 0;
}

/* How the database compares with one active version: 0 at or above it. */
static int floor_judge_component(const struct floor *f,
				 const struct floor_component *c,
				 floor_installed_fn *get, void *ctx,
				 struct hs_err *e)
{
	struct db_installed in;
	int r;

	r = get(ctx, c->name, &in, e);
	if (r == -ENOENT)
		return hs_err_set(e, -ESTALE,
				  _("the state database in '%s' does not know "
				    "%s, yet '%s/%s/current' is version %s: "
				    "the database was lost, emptied or "
				    "replaced; %s"),
				  f->state_dir, c->name, f->install_dir,
				  c->name, c->version, floor_what_to_do());
	if (r < 0)
		return r;
	if (version_is_valid(in.version) &&
	    version_compare(in.version, c->version) >= 0)
		return 0;
	return hs_err_set(e, -ESTALE,
			  _("the state database in '%s' records %s %s, yet "
			    "'%s/%s/current' is version %s: the database is "
			    "older than the install (restored from an old "
			    "copy, or damaged); %s"),
			  f->state_dir, c->name, in.version, f->install_dir,
			  c->name, c->version, floor_what_to_do());
}

int floor_judge(const struct floor *f, const struct db_trust *t,
		floor_installed_fn *get, void *ctx, struct hs_err *e)
{
	size_t i;
	int r;

	if (f->manifest_serial > t->manifest_serial && t->manifest_serial == 0)
		return hs_err_set(e, -ESTALE,
				  _("the state database in '%s' is empty or "
				    "new, yet '%s/%s' holds the verified "
				    "manifest serial %llu: the database was "
				    "lost, emptied or replaced; %s"),
				  f->state_dir, f->state_dir,
				  FLOOR_MANIFEST_FILE,
				  (unsigned long long)f->manifest_serial,
				  floor_what_to_do());
	if (f->manifest_serial > t->manifest_serial)
		return hs_err_set(e, -ESTALE,
				  _("the state database in '%s' accepted "
				    "manifest serial %llu, yet '%s/%s' holds "
				    "the verified serial %llu: the database is "
				    "older than the state directory (restored "
				    "from an old copy, or damaged); %s"),
				  f->state_dir,
				  (unsigned long long)t->manifest_serial,
				  f->state_dir, FLOOR_MANIFEST_FILE,
				  (unsigned long long)f->manifest_serial,
				  floor_what_to_do());
	for (i = 0; i < f->n; i++) {
		r = floor_judge_component(f, &f->c[i], get, ctx, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int floor_db_get(void *ctx, const char *name, struct db_installed *ret,
			struct hs_err *e)
{
	return db_installed_get(ctx, name, ret, e);
}

int floor_check(const struct config *cfg, struct db *db, struct hs_err *e)
{
	struct floor *f = malloc(sizeof(*f));
	struct db_trust t;
	int r;

	if (f == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = floor_read(cfg, f, e);
	if (r == 0)
		r = db_trust_get(db, &t, e);
	if (r == 0)
		r = floor_judge(f, &t, floor_db_get, db, e);
	free(f);
	return r;
}

/* Moves STATE/haishin.db and its -wal and -shm aside, if there. */
static int floor_keep_damaged(const char *state, char *kept, size_t n,
			      struct hs_err *e)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char from[PATH_MAX];
	char to[PATH_MAX];
	char when[21];
	size_t i;

	kept[0] = '\0';
	hs_time_format((int64_t)time(NULL), when);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (hs_snprintf(from, sizeof(from), "%s/%s%s", state,
				DB_FILE_NAME, suffixes[i]) < 0 ||
		    hs_snprintf(to, sizeof(to), "%s/%s.damaged-%s%s", state,
				DB_FILE_NAME, when, suffixes[i]) < 0)
			return hs_err_set(e, -ENAMETOOLONG, "path too long");
		if (rename(from, to) < 0) {
			if (errno == ENOENT)
				continue;
			return hs_err_set(e, -errno,
					  "cannot move '%s' aside: %s", from,
					  strerror(errno));
		}
		if (i == 0)
			(void)hs_strlcpy(kept, to, n);
	}
	return hs_fsync_parent(from, e);
}

/* Writes the floor into a new database, in one transaction. */
static int floor_seed(struct db *db, const struct floor *f, struct hs_err *e)
{
	struct db_installed in;
	struct db_trust t;
	size_t i;
	int r;

	memset(&t, 0, sizeof(t));
	t.manifest_serial = f->manifest_serial;
	(void)hs_strlcpy(t.manifest_sha256, f->manifest_sha256,
			 sizeof(t.manifest_sha256));
	t.manifest_expires = f->manifest_expires;
	r = db_begin(db, e);
	if (r < 0)
		return r;
	r = db_trust_put(db, &t, e);
	for (i = 0; r == 0 && i < f->n; i++) {
		memset(&in, 0, sizeof(in));
		(void)hs_strlcpy(in.name, f->c[i].name, sizeof(in.name));
		(void)hs_strlcpy(in.version, f->c[i].version,
				 sizeof(in.version));
		(void)hs_strlcpy(in.previous, f->c[i].previous,
				 sizeof(in.previous));
		in.installed_at = (int64_t)time(NULL);
		r = db_installed_put(db, &in, e);
	}
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0)
		db_rollback(db);
	return r;
}

/* "serial 7 of 'STATE/manifest.json'; cardreader 2.1.0, facelib 1.0" */
static void floor_describe(const struct floor *f, const char *kept, char *out,
			   size_t n)
{
	size_t used;
	size_t i;

	(void)hs_snprintf(out, n,
			  _("rebuilt the state database in '%s': "
			    "manifest serial %llu"),
			  f->state_dir, (unsigned long long)f->manifest_serial);
	for (i = 0; i < f->n; i++) {
		used = strlen(out);
		(void)hs_snprintf(out + used, n - used, "%s %s %s",
				  i == 0 ? _("; installed:") : ",",
				  f->c[i].name, f->c[i].version);
	}
	used = strlen(out);
	if (kept[0] != '\0')
		(void)hs_snprintf(out + used, n - used,
				  _("; the old file is kept as '%s'"), kept);
	hs_utf8_fix(out);
}

int floor_reinit(const struct config *cfg, char *report, size_t n,
		 struct hs_err *e)
{
	struct floor *f = malloc(sizeof(*f));
	char kept[PATH_MAX];
	struct db *db = NULL;
	int r;

	if (f == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = floor_read(cfg, f, e);
	if (r == 0)
		r = floor_keep_damaged(cfg->state, kept, sizeof(kept), e);
	if (r == 0)
		r = db_open(cfg->state, &db, e);
	if (r == 0)
		r = floor_seed(db, f, e);
	if (r == 0)
		floor_describe(f, kept, report, n);
	db_free(db);
	free(f);
	return r;
}

/* Whether INSTALL/NAME/VERSION is a directory to switch back to. */
static bool floor_on_disk(const struct config *cfg, const char *name,
			  const char *version)
{
	char path[PATH_MAX];
	struct stat st;

	return hs_snprintf(path, sizeof(path), "%s/%s/%s", cfg->install, name,
			   version) == 0 &&
	       lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether current may stay as it is: it is what the database records,
 * or it is older and the recorded version is not there to go back to. */
static bool floor_current_stays(const struct config *cfg,
				const struct floor_component *c,
				const struct db_installed *in)
{
	if (!version_is_valid(in->version))
		return false;
	if (version_compare(in->version, c->version) == 0)
		return true;
	return version_compare(in->version, c->version) > 0 &&
	       !floor_on_disk(cfg, c->name, in->version);
}

/* A switch cut off before its record - an install (current newer than the
 * database says) or a rollback by hand (older): current goes back to what
 * the database says was active before. */
static int floor_repair_component(const struct config *cfg, struct db *db,
				  const struct floor_component *c, char *report,
				  size_t n, struct hs_err *e)
{
	struct db_installed in;
	const size_t used = strlen(report);
	const char *back;
	int r;

	r = db_installed_get(db, c->name, &in, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && floor_current_stays(cfg, c, &in))
		return 0;
	back = r == 0 ? in.version : NULL;
	r = install_activate(cfg->install, c->name, back, e);
	if (r < 0)
		return r;
	(void)hs_snprintf(report + used, n - used, "%s%s %s -> %s",
			  used > 0 ? "; " : "", c->name, c->version,
			  back != NULL ? back : "-");
	return 1;
}

int floor_repair(const struct config *cfg, struct db *db, char *report,
		 size_t n, struct hs_err *e)
{
	struct floor *f = malloc(sizeof(*f));
	struct db_trust t;
	int done = 0;
	size_t i;
	int r;

	report[0] = '\0';
	if (f == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = floor_read(cfg, f, e);
	if (r == 0)
		r = db_trust_get(db, &t, e);
	if (r == 0 && f->manifest_serial > t.manifest_serial) {
		/* The verified copy was stored, its acceptance not. */
		t.manifest_serial = f->manifest_serial;
		(void)hs_strlcpy(t.manifest_sha256, f->manifest_sha256,
				 sizeof(t.manifest_sha256));
		t.manifest_expires = f->manifest_expires;
		r = db_trust_put(db, &t, e);
		if (r == 0) {
			(void)hs_snprintf(
				report, n, "manifest serial %llu",
				(unsigned long long)t.manifest_serial);
			done = 1;
		}
	}
	for (i = 0; r >= 0 && i < f->n; i++) {
		r = floor_repair_component(cfg, db, &f->c[i], report, n, e);
		if (r > 0)
			done = 1;
	}
	free(f);
	return r < 0 ? r : done;
}
