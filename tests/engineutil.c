/*
 * engineutil.c - the world of test_engine.c: a server in memory behind
 * struct cycle_net, a clock that never sleeps, an installer with a fault
 * hook, and the packages, deltas and signed metadata they serve.
 */
#include "engineutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "delta.h"
#include "dsse.h"
#include "errmap.h"
#include "fileio.h"
#include "hash.h"
#include "install.h"
#include "key.h"
#include "pack.h"
#include "part.h"
#include "str.h"
#include "switch.h"
#include "tarball.h"
#include "trustutil.h"

#define EW_URL "http://updates.test/"
#define EW_BULK 48000 /* bytes every version of a component shares */

/* Formats into out, failing the test when it does not fit. */
static void ew_fmt(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ew_fmt(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	assert_true(r >= 0 && (size_t)r < n);
}

/* ---- the server ------------------------------------------------------- */

static struct ew_file *ew_find(struct ew_world *w, const char *url)
{
	size_t i;

	for (i = 0; i < w->n_files; i++)
		if (strcmp(w->files[i].url, url) == 0)
			return &w->files[i];
	return NULL;
}

struct ew_file *ew_file(struct ew_world *w, const char *url)
{
	struct ew_file *f = ew_find(w, url);

	if (f == NULL)
		fail_msg("no file '%s' on the server", url);
	return f;
}

/* Serves p[0, n) at url from now on, replacing what was there. */
static void ew_serve(struct ew_world *w, const char *url, const void *p,
		     size_t n)
{
	struct ew_file *f = ew_find(w, url);

	if (f == NULL) {
		assert_true(w->n_files < EW_MAX_FILES);
		f = &w->files[w->n_files++];
		memset(f, 0, sizeof(*f));
		assert_int_equal(hs_strlcpy(f->url, url, sizeof(f->url)), 0);
	}
	free(f->p);
	f->p = malloc(n + 1);
	assert_non_null(f->p);
	memcpy(f->p, p, n);
	f->n = n;
}

void ew_fault(struct ew_world *w, const char *url, enum ew_fault fault,
	      uint64_t arg)
{
	struct ew_file *f = ew_file(w, url);

	assert_true(f->n_faults < EW_MAX_FAULTS);
	f->faults[f->n_faults] = fault;
	f->fault_arg[f->n_faults] = arg;
	f->n_faults++;
}

/* The fault of the request that starts now. */
static enum ew_fault ew_next_fault(struct ew_file *f, uint64_t *ret_arg)
{
	*ret_arg = 0;
	f->requests++;
	if (f->next_fault == f->n_faults)
		return EW_OK;
	*ret_arg = f->fault_arg[f->next_fault];
	return f->faults[f->next_fault++];
}

static int ew_get_meta(void *ctx, const struct transfer_env *env,
		       const char *url, size_t max,
		       const struct transfer_validators *have, char **ret_buf,
		       size_t *ret_len, struct transfer_validators *ret_got,
		       struct hs_err *e)
{
	struct ew_world *w = ctx;
	struct ew_file *f = ew_find(w, url);
	char *buf;

	(void)have; /* no validators: every answer is a 200 */
	if (f == NULL)
		return hs_err_set(e, -ENOENT, "HTTP: 404 for '%s%s'",
				  env->cfg->url, url);
	f->requests++;
	if (f->n > max)
		return hs_err_set(e, -EFBIG, "'%s' is over %zu bytes", url,
				  max);
	buf = malloc(f->n + 1);
	assert_non_null(buf);
	memcpy(buf, f->p, f->n);
	buf[f->n] = '\0';
	memset(ret_got, 0, sizeof(*ret_got));
	(void)hs_strlcpy(ret_got->base, env->cfg->url, sizeof(ret_got->base));
	*ret_buf = buf;
	*ret_len = f->n;
	return 0;
}

/* ---- the network: transfer_run()'s contract over the server ----------- */

/* One download under way. */
struct ew_get {
	struct ew_world *w;
	const struct transfer_env *env;
	const struct transfer_job *job;
	struct transfer_result *res;
	struct ew_file *f;
	struct part *part;
	struct db_partial journal;
};

static const char *ew_who(const struct transfer_job *job)
{
	return job->component != NULL ? job->component : job->name;
}

/* Makes the bytes so far durable and journals them. */
static void ew_checkpoint(struct ew_get *g)
{
	struct hs_err e;

	assert_int_equal(part_sync(g->part, &e), 0);
	g->journal.offset = part_size(g->part);
	g->journal.updated = g->w->now;
	assert_int_equal(db_partial_put(g->env->db, &g->journal, &e), 0);
}

/* Opens the part file and keeps what the journal says is durable. */
static void ew_open(struct ew_get *g)
{
	const struct transfer_job *job = g->job;
	struct db_partial old;
	uint64_t kept = 0;
	struct hs_err e;

	assert_int_equal(part_open(g->env->cfg->cache, job->name, &g->part, &e),
			 0);
	memset(&g->journal, 0, sizeof(g->journal));
	if (db_partial_get(g->env->db, job->name, &old, NULL) == 0 &&
	    strcmp(old.url, job->url) == 0 &&
	    strcmp(old.sha256, job->sha256) == 0 && old.size == job->size)
		g->journal = old;
	(void)hs_strlcpy(g->journal.name, job->name, sizeof(g->journal.name));
	(void)hs_strlcpy(g->journal.url, job->url, sizeof(g->journal.url));
	(void)hs_strlcpy(g->journal.sha256, job->sha256,
			 sizeof(g->journal.sha256));
	g->journal.size = job->size;
	assert_int_equal(part_resume(g->part, g->journal.offset, &kept, &e), 0);
	g->res->resumed_from = kept;
	ew_checkpoint(g);
}

/*
 * One GET for the bytes still missing: 0 when they all arrived, or the
 * error of a broken transfer (the bytes so far kept), a 404 or a shutdown.
 */
static int ew_attempt(struct ew_get *g, struct hs_err *e)
{
	const uint64_t from = part_size(g->part);
	uint64_t arg;
	const enum ew_fault fault = ew_next_fault(g->f, &arg);
	uint64_t to = g->f->n;
	uint8_t *buf;

	g->f->first_byte = from;
	if (fault == EW_NOT_FOUND) {
		g->res->not_found = true;
		return hs_err_set(e, -ENOENT, "HTTP: 404 for '%s%s'",
				  g->env->cfg->url, g->job->url);
	}
	if ((fault == EW_DROP || fault == EW_SHUTDOWN) && arg < to)
		to = arg > from ? arg : from;
	buf = malloc(g->f->n + 1);
	assert_non_null(buf);
	memcpy(buf, g->f->p, g->f->n);
	if (fault == EW_CORRUPT)
		buf[g->f->n / 2] ^= 0x5a;
	assert_int_equal(part_append(g->part, buf + from, to - from), 0);
	free(buf);
	g->res->bytes += to - from;
	if (g->env->progress != NULL)
		g->env->progress(g->env->ctx, ew_who(g->job), to, g->job->size);
	if (to == g->f->n)
		return 0;
	ew_checkpoint(g);
	if (fault == EW_SHUTDOWN) {
		atomic_store(&g->w->cancel, true);
		return hs_err_set(e, -ECANCELED,
				  "stopped: haishind is shutting down");
	}
	return hs_err_set(e, -ECONNRESET,
			  "the connection was reset after %llu bytes",
			  (unsigned long long)to);
}

/* Compares the file's hash with the signed one; a mismatch starts over. */
static int ew_verify(struct ew_get *g, struct hs_err *e)
{
	char got[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e2;

	assert_int_equal(part_digest(g->part, got, &e2), 0);
	if (strcmp(got, g->job->sha256) == 0)
		return 0;
	assert_int_equal(part_reset(g->part, &e2), 0);
	ew_checkpoint(g);
	return hs_err_set(e, -EBADMSG,
			  "hash mismatch: the download's sha256 is %.16s…, "
			  "the manifest says %.16s…; it was discarded",
			  got, g->job->sha256);
}

/* The GETs of one run: retries after a drop (waiting out the backoff),
 * a second fetch from zero after a first mismatch. */
static int ew_loop(struct ew_get *g, struct hs_err *e)
{
	const uint32_t attempts =
		g->env->cfg->retries > 0 ? g->env->cfg->retries : 1;
	unsigned mismatches = 0;
	int r;

	for (;;) {
		if (g->env->cancel != NULL && atomic_load(g->env->cancel))
			return hs_err_set(e, -ECANCELED,
					  "stopped: haishind is shutting down");
		g->res->attempts++;
		r = ew_attempt(g, e);
		if (r == 0)
			r = ew_verify(g, e);
		if (r == 0)
			return 0;
		if (errmap_retry(r) == ERRMAP_REFETCH &&
		    ++mismatches < ERRMAP_REFETCH_TRIES)
			continue;
		if (errmap_retry(r) != ERRMAP_TRANSIENT ||
		    g->res->attempts >= attempts)
			return r;
		if (g->env->wait != NULL)
			g->env->wait(g->env->ctx, ew_who(g->job),
				     g->env->cfg->backoff_initial, e->msg);
	}
}

static int ew_get_file(void *ctx, const struct transfer_env *env,
		       const struct transfer_job *job, struct part **ret_part,
		       struct transfer_result *res, struct hs_err *e)
{
	struct ew_get g;
	int r;

	memset(&g, 0, sizeof(g));
	g.w = ctx;
	g.env = env;
	g.job = job;
	g.res = res;
	memset(res, 0, sizeof(*res));
	g.f = ew_find(g.w, job->url);
	ew_open(&g);
	r = g.f != NULL
		    ? ew_loop(&g, e)
		    : hs_err_set(e, -ENOENT, "HTTP: 404 for '%s'", job->url);
	if (g.f == NULL)
		res->not_found = true;
	res->kept = part_size(g.part);
	if (r == 0) {
		*ret_part = g.part;
		return 0;
	}
	res->state = errmap_state(r, ERRMAP_DOWNLOAD);
	if (res->state == STATE_FAILED_CONNECT && res->kept > 0)
		res->state = STATE_INTERRUPTED;
	res->next_attempt = g.w->now + env->cfg->backoff_initial + 1;
	if (res->state == STATE_FAILED_VERIFY) {
		(void)db_partial_delete(env->db, job->name, NULL);
		part_discard(g.part);
		res->kept = 0;
	} else {
		part_free(g.part);
	}
	return r;
}

/* ---- the clock and the installer --------------------------------------- */

static int64_t ew_now(void *ctx)
{
	const struct ew_world *w = ctx;

	return w->now;
}

/* Waits no time at all: the clock jumps to until. */
static void ew_sleep_until(void *ctx, int64_t until, const atomic_bool *cancel)
{
	struct ew_world *w = ctx;

	if (cancel != NULL && atomic_load(cancel))
		return;
	w->sleeps++;
	if (until > w->now) {
		w->slept += until - w->now;
		w->now = until;
	}
}

static int ew_stage(void *ctx, const char *root, const char *name,
		    const char *version, int pkg_fd, uint64_t *ret_bytes,
		    struct hs_err *e)
{
	(void)ctx;
	return install_stage(root, name, version, pkg_fd, ret_bytes, e);
}

static int ew_activate(void *ctx, const char *root, const char *name,
		       const char *version, struct hs_err *e)
{
	struct ew_world *w = ctx;

	w->activations++;
	if (w->fail_activation != 0 && w->activations >= w->fail_activation)
		return hs_err_set(e, -EIO,
				  "cannot switch '%s/%s/current': "
				  "Input/output error",
				  root, name);
	return install_activate(root, name, version, e);
}

static void ew_progress(void *ctx, const struct cycle_event *ev)
{
	struct ew_world *w = ctx;

	if (ev->state == STATE_WAITING)
		w->n_waiting++;
}

/* ---- packages, deltas, metadata ----------------------------------------- */

/* The bulk of NAME's tree: the same bytes for every version. */
static void ew_bulk(const char *name, uint8_t *out, size_t n)
{
	uint64_t x = 1469598103934665603ull;
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		x = (x ^ (uint8_t)name[i]) * 1099511628211ull;
	for (i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		out[i] = (uint8_t)((x * 2685821657736338717ull) >> 56);
	}
}

/* Writes h's scripts into tree/.haishin/, executable. */
static void ew_hook_files(const char *tree, const struct ew_hooks *h)
{
	const char *const text[] = {h->pre_install, h->post_install, h->health};
	const char *const file[] = {".haishin/pre-install",
				    ".haishin/post-install", ".haishin/health"};
	char script[4096];
	size_t i;

	for (i = 0; i < 3; i++) {
		if (text[i] == NULL)
			continue;
		ew_fmt(script, sizeof(script), "#!/bin/sh\n%s\n", text[i]);
		tu_write(tree, file[i], script, strlen(script), 0755);
	}
}

/* Packs NAME VERSION's tree (with h's hooks, when not NULL) into
 * dir/NAME-VERSION.tar.zst and its tar into dir/NAME-VERSION.tar (with
 * extra bytes: another tar). */
static void ew_pack(struct ew_world *w, const char *name, const char *version,
		    const char *extra, const struct ew_hooks *h,
		    struct manifest_package *pkg, char tar_path[PATH_MAX])
{
	char tree[PATH_MAX];
	char path[PATH_MAX];
	char line[128];
	uint8_t *bulk = malloc(EW_BULK);
	struct tarball_info info;
	struct hs_err e;
	void *bytes;
	size_t n;
	int fd;
	int tar;

	assert_non_null(bulk);
	ew_bulk(name, bulk, EW_BULK);
	ew_fmt(tree, sizeof(tree), "%s/src/%s-%s%s", w->dir, name, version,
	       extra);
	tu_write(tree, "bulk", bulk, EW_BULK, 0644);
	ew_fmt(line, sizeof(line), "%s %s%s\n", name, version, extra);
	tu_write(tree, "version", line, strlen(line), 0644);
	if (h != NULL)
		ew_hook_files(tree, h);
	free(bulk);
	ew_fmt(path, sizeof(path), "%s.tar.zst", tree);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pack_dir(tree, fd, &e), 0);
	ew_fmt(tar_path, PATH_MAX, "%s.tar", tree);
	tar = open(tar_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(tar >= 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(tarball_from_package(fd, tar, UINT64_MAX, &info, &e),
			 0);
	assert_int_equal(close(tar), 0);
	assert_int_equal(close(fd), 0);
	bytes = tu_read(path, &n);
	assert_int_equal(hash_buf(bytes, n, pkg->sha256, &e), 0);
	pkg->size = n;
	pkg->tar_size = info.size;
	memcpy(pkg->tar_sha256, info.sha256, sizeof(pkg->tar_sha256));
	ew_fmt(pkg->url, sizeof(pkg->url), "packages/%s/%s.tar.zst", name,
	       pkg->sha256);
	ew_serve(w, pkg->url, bytes, n);
	free(bytes);
}

static struct manifest_component *ew_entry(struct ew_world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_comps; i++)
		if (strcmp(w->comps[i].name, name) == 0)
			return &w->comps[i];
	assert_true(w->n_comps < EW_MAX_COMPONENTS);
	return &w->comps[w->n_comps++];
}

struct manifest_component *ew_component(struct ew_world *w, const char *name,
					const char *version)
{
	return ew_component_hooks(w, name, version, NULL);
}

struct manifest_component *ew_component_hooks(struct ew_world *w,
					      const char *name,
					      const char *version,
					      const struct ew_hooks *h)
{
	struct manifest_component *c = ew_entry(w, name);
	struct ew_tar *t;

	memset(c, 0, sizeof(*c));
	assert_int_equal(hs_strlcpy(c->name, name, sizeof(c->name)), 0);
	assert_int_equal(hs_strlcpy(c->version, version, sizeof(c->version)),
			 0);
	(void)hs_strlcpy(c->minimum, "0.1", sizeof(c->minimum));
	assert_true(w->n_tars < EW_MAX_TARS);
	t = &w->tars[w->n_tars++];
	(void)hs_strlcpy(t->name, name, sizeof(t->name));
	(void)hs_strlcpy(t->version, version, sizeof(t->version));
	ew_pack(w, name, version, "", h, &c->package, t->path);
	return c;
}

static const char *ew_tar_of(struct ew_world *w, const char *name,
			     const char *version)
{
	size_t i;

	for (i = 0; i < w->n_tars; i++)
		if (strcmp(w->tars[i].name, name) == 0 &&
		    strcmp(w->tars[i].version, version) == 0)
			return w->tars[i].path;
	fail_msg("%s %s was not published", name, version);
	return NULL;
}

/* Makes the zstd delta from the tar at base to the tar at result. */
static void *ew_make_delta(const char *base, const char *result,
			   const char *out, size_t *ret_n)
{
	struct hs_err e;
	const int b = open(base, O_RDONLY | O_CLOEXEC);
	const int r = open(result, O_RDONLY | O_CLOEXEC);
	const int o = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(b >= 0 && r >= 0 && o >= 0);
	assert_int_equal(delta_make(DELTA_ZSTD, b, r, o, &e), 0);
	assert_int_equal(close(o), 0);
	assert_int_equal(close(r), 0);
	assert_int_equal(close(b), 0);
	return tu_read(out, ret_n);
}

const char *ew_delta(struct ew_world *w, const char *name, const char *from,
		     bool wrong)
{
	struct manifest_component *c = ew_entry(w, name);
	struct manifest_delta *d = &c->deltas[c->n_deltas++];
	struct manifest_package other;
	char other_tar[PATH_MAX];
	char base_sha[HASH_SHA256_HEX_LEN + 1];
	char out[PATH_MAX];
	uint64_t base_size;
	const char *base = ew_tar_of(w, name, from);
	const char *result = ew_tar_of(w, name, c->version);
	struct hs_err e;
	void *bytes;
	size_t n;
	int fd;

	if (wrong) {
		ew_pack(w, name, c->version, "-other", NULL, &other, other_tar);
		result = other_tar;
	}
	fd = open(base, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, base_sha, &base_size, &e), 0);
	assert_int_equal(close(fd), 0);
	ew_fmt(out, sizeof(out), "%s/src/%s-%s.delta", w->dir, name, from);
	bytes = ew_make_delta(base, result, out, &n);
	(void)hs_strlcpy(d->from, from, sizeof(d->from));
	(void)hs_strlcpy(d->method, "zstd", sizeof(d->method));
	memcpy(d->base_sha256, base_sha, sizeof(d->base_sha256));
	assert_int_equal(hash_buf(bytes, n, d->sha256, &e), 0);
	d->size = n;
	ew_fmt(d->url, sizeof(d->url), "deltas/%s/%s.delta", name, from);
	ew_serve(w, d->url, bytes, n);
	free(bytes);
	return d->url;
}

void ew_publish(struct ew_world *w)
{
	struct manifest m;
	struct hs_err e;
	char *payload = NULL;
	char *env;

	memset(&m, 0, sizeof(m));
	m.serial = ++w->serial;
	m.expires = w->now + 30 * 86400;
	m.components = w->comps;
	m.n_components = w->n_comps;
	if (manifest_build(&m, &payload, &e) < 0)
		fail_msg("manifest_build: %s", e.msg);
	env = tu_sign(DSSE_TYPE_MANIFEST, payload, &w->manifest_key, 1);
	ew_serve(w, "manifest.json", env, strlen(env));
	free(env);
	free(payload);
}

const char *ew_package_url(struct ew_world *w, const char *name)
{
	return ew_entry(w, name)->package.url;
}

/* Whether the files at a and b hold the same bytes. */
static bool ew_same_bytes(const char *a, const char *b)
{
	size_t na = 0;
	size_t nb = 0;
	void *pa = tu_read(a, &na);
	void *pb = tu_read(b, &nb);
	const bool same = na == nb && memcmp(pa, pb, na) == 0;

	free(pa);
	free(pb);
	return same;
}

/* ---- the world ---------------------------------------------------------- */

static void ew_config(struct ew_world *w)
{
	struct config *c = &w->cfg;

	config_defaults(c);
	(void)hs_strlcpy(c->url, EW_URL, sizeof(c->url));
	ew_fmt(c->root, sizeof(c->root), "%s/pinned.json", w->dir);
	ew_fmt(c->state, sizeof(c->state), "%s/state", w->dir);
	ew_fmt(c->cache, sizeof(c->cache), "%s/cache", w->dir);
	ew_fmt(c->install, sizeof(c->install), "%s/install", w->dir);
	c->retries = 1;
	c->backoff_initial = 30;
	assert_int_equal(mkdir(c->state, 0755), 0);
	assert_int_equal(mkdir(c->cache, 0755), 0);
	assert_int_equal(mkdir(c->install, 0755), 0);
}

/* Root v1 (one root key, one manifest key), pinned and served. */
static void ew_root(struct ew_world *w)
{
	const struct tu_role rr = {{w->root_key}, 1, 1};
	const struct tu_role mr = {{w->manifest_key}, 1, 1};
	char *payload = tu_root_payload(1, w->now + 365 * 86400, &rr, &mr);
	char *env = tu_sign(DSSE_TYPE_ROOT, payload, &w->root_key, 1);

	tu_write(w->dir, "pinned.json", env, strlen(env), 0644);
	ew_serve(w, "root.json", env, strlen(env));
	free(env);
	free(payload);
}

static void ew_env(struct ew_world *w)
{
	struct cycle_env *env = &w->env;
	const struct cycle_net net = {ew_get_file, ew_get_meta, w};
	const struct cycle_clock clock = {ew_now, ew_sleep_until, w};
	const struct cycle_installer in = {ew_stage, ew_activate, w};

	cycle_env_init(env, &w->cfg, w->db, NULL);
	env->net = net;
	env->clock = clock;
	env->installer = in;
	env->trigger = "test";
	env->mode = CYCLE_ALL;
	env->progress = ew_progress;
	env->progress_ctx = w;
	env->cancel = &w->cancel;
}

int ew_setup(void **state)
{
	struct ew_world *w = calloc(1, sizeof(*w));
	struct hs_err e;

	assert_non_null(w);
	w->dir = tu_mkdtemp();
	w->now = 1900000000; /* 2030-03-17 */
	atomic_init(&w->cancel, false);
	w->root_key = tu_key_new();
	w->manifest_key = tu_key_new();
	ew_config(w);
	ew_root(w);
	if (db_open(w->cfg.state, &w->db, &e) < 0)
		fail_msg("db_open: %s", e.msg);
	ew_env(w);
	*state = w;
	return 0;
}

int ew_teardown(void **state)
{
	struct ew_world *w = *state;
	size_t i;

	db_free(w->db);
	for (i = 0; i < w->n_files; i++)
		free(w->files[i].p);
	key_free(w->manifest_key);
	key_free(w->root_key);
	tu_rmtree(w->dir);
	free(w->dir);
	free(w);
	return 0;
}

void ew_run(struct ew_world *w, struct cycle_result *ret)
{
	cycle_run(&w->env, ret);
}

struct ew_newest {
	const char *component;
	struct db_attempt *a;
	bool found;
};

static int ew_take(void *ctx, const struct db_attempt *a)
{
	struct ew_newest *n = ctx;

	if (strcmp(a->component, n->component) != 0)
		return 0;
	*n->a = *a;
	n->found = true;
	return -1; /* newest first: the first one is it */
}

void ew_history(struct ew_world *w, const char *component,
		struct db_attempt *ret)
{
	struct ew_newest n = {component, ret, false};
	struct hs_err e;

	(void)db_history_foreach(w->db, NULL, SIZE_MAX, ew_take, &n, &e);
	if (!n.found)
		fail_msg("no history row for '%s'", component);
}

void ew_current(struct ew_world *w, const char *name, char *out, size_t n)
{
	struct hs_err e;

	if (switch_current(w->cfg.install, name, out, n, &e) < 0)
		out[0] = '\0';
}

void ew_active_version_file(struct ew_world *w, const char *name, char *out,
			    size_t n)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;

	out[0] = '\0';
	ew_fmt(path, sizeof(path), "%s/%s/current/version", w->cfg.install,
	       name);
	if (hs_read_file(path, 4096, &buf, &len, NULL) < 0)
		return;
	(void)hs_strlcpy(out, buf, n);
	free(buf);
}

void ew_refuse_installed(struct ew_world *w)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;

	ew_fmt(path, sizeof(path), "%s/%s", w->cfg.state, DB_FILE_NAME);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TRIGGER refuse BEFORE INSERT ON "
				      "installed BEGIN SELECT RAISE(ABORT, "
				      "'disk says no'); END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

bool ew_cached(struct ew_world *w, const char *name)
{
	char path[PATH_MAX];

	ew_fmt(path, sizeof(path), "%s/%s", w->cfg.cache, name);
	return access(path, F_OK) == 0;
}

/* Whether every entry below a is in b with the same type, mode bits that
 * matter (executable or not), target or bytes. */
static bool ew_tree_within(const char *a, const char *b)
{
	char pa[PATH_MAX];
	char pb[PATH_MAX];
	struct dirent *d;
	bool same = true;
	DIR *dh = opendir(a);

	if (dh == NULL)
		return false;
	while (same && (d = readdir(dh)) != NULL) {
		struct stat sa;
		struct stat sb;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		ew_fmt(pa, sizeof(pa), "%s/%s", a, d->d_name);
		ew_fmt(pb, sizeof(pb), "%s/%s", b, d->d_name);
		if (lstat(pa, &sa) < 0 || lstat(pb, &sb) < 0 ||
		    (sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
			same = false;
		else if (S_ISDIR(sa.st_mode))
			same = ew_tree_within(pa, pb);
		else if (S_ISREG(sa.st_mode))
			same = ((sa.st_mode ^ sb.st_mode) & 0100) == 0 &&
			       ew_same_bytes(pa, pb);
	}
	(void)closedir(dh);
	return same;
}

bool ew_active_tree_is(struct ew_world *w, const char *name,
		       const char *version)
{
	char src[PATH_MAX];
	char cur[PATH_MAX];

	ew_fmt(src, sizeof(src), "%s/src/%s-%s", w->dir, name, version);
	ew_fmt(cur, sizeof(cur), "%s/%s/current/", w->cfg.install, name);
	return ew_tree_within(src, cur) && ew_tree_within(cur, src);
}

bool ew_version_dir_exists(struct ew_world *w, const char *name,
			   const char *version)
{
	char path[PATH_MAX];

	ew_fmt(path, sizeof(path), "%s/%s/%s", w->cfg.install, name, version);
	return access(path, F_OK) == 0;
}

void ew_restart(struct ew_world *w, const char *name, const char *command)
{
	char text[2048];
	struct hs_err e;

	ew_fmt(text, sizeof(text), "[restart]\n%s = %s\n", name, command);
	if (config_parse(&w->cfg, text, strlen(text), "test", &e) < 0)
		fail_msg("[restart]: %s", e.msg);
}

char *ew_path(struct ew_world *w, const char *name)
{
	char path[PATH_MAX];
	char *out;

	ew_fmt(path, sizeof(path), "%s/%s", w->dir, name);
	out = strdup(path);
	assert_non_null(out);
	return out;
}

char *ew_read(struct ew_world *w, const char *name)
{
	char *path = ew_path(w, name);
	char *buf = NULL;
	size_t len = 0;

	if (hs_read_file(path, 1024 * 1024, &buf, &len, NULL) < 0)
		buf = strdup("");
	assert_non_null(buf);
	free(path);
	return buf;
}
