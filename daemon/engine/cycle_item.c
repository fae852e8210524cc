/*
 * cycle_item.c - one component's download: the delta from the installed
 * version when the cache holds its base (patch.h), else the full package;
 * then its staging into INSTALL/NAME/VERSION (cycle_step.c switches it),
 * and at the end of its step the base kept for the next time.
 */
#include "cycle_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "decide.h"
#include "i18n.h"
#include "install.h"
#include "log.h"
#include "part.h"
#include "patch.h"
#include "str.h"
#include "switch.h"

/* What stays after a failure that changed nothing: the version installed
 * before, or nothing. */
static void cycle_still_active(const struct plan_item *it, char *out, size_t n)
{
	const struct decide_active a = {it->from, "", NULL, NULL, NULL, NULL};

	decide_active_text(&a, out, n);
}

/* A full disk, whose reason says how much to free. */
static bool cycle_disk_full(int r)
{
	return r == -ENOSPC || r == -EDQUOT;
}

/*
 * Extracts the package or tar in fd into INSTALL/NAME/VERSION, without
 * switching (m->staged); a negative errno (m->o says why) when it failed.
 * The file is the caller's to keep or remove.
 */
static int cycle_stage(struct cycle *c, struct cycle_member *m, int fd)
{
	const struct manifest_component *t = m->it->target;
	const struct cycle_installer *in = &c->env->installer;
	uint64_t unpacked = 0;
	char what[HS_NAME_MAX + HS_VERSION_MAX + 2];
	char active[CYCLE_REASON_MAX];
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	cycle_progress(c, STATE_INSTALLING, t->name, "%s %s", t->name,
		       t->version);
	r = in->stage(in->ctx, c->env->cfg->install, t->name, t->version, fd,
		      &unpacked, &e);
	if (r == 0) {
		m->staged = true;
		return 0;
	}
	if (cycle_disk_full(r)) {
		(void)hs_snprintf(what, sizeof(what), "%s %s", t->name,
				  t->version);
		(void)transfer_disk_full(r, c->env->cfg->install,
					 t->package.tar_size, what, &e);
	}
	cycle_still_active(m->it, active, sizeof(active));
	cycle_outcome_set(m->o, STATE_FAILED_INSTALL, "%s; %s", e.msg, active);
	return r;
}

/* A download that failed with tr, for the reason why: decide.h says what
 * its reason tells besides. */
static void cycle_download_failed(struct cycle_outcome *o,
				  const struct transfer_result *tr,
				  const struct plan_item *it, uint64_t size,
				  const char *why)
{
	struct decide_failure f;
	char active[CYCLE_REASON_MAX];
	char when[21];

	decide_download_failed(tr, &f);
	o->next_attempt = f.next_attempt;
	if (f.resumes) {
		hs_time_format(tr->next_attempt, when);
		cycle_outcome_set(
			o, f.state,
			_("%s; %llu of %llu bytes kept, resumes at %s"), why,
			(unsigned long long)tr->kept, (unsigned long long)size,
			when);
		return;
	}
	cycle_outcome_set(o, f.state, "%s", why);
	if (f.kept)
		cycle_text_add(o->reason, sizeof(o->reason),
			       _("%llu of %llu bytes kept"),
			       (unsigned long long)tr->kept,
			       (unsigned long long)size);
	if (f.active) {
		cycle_still_active(it, active, sizeof(active));
		cycle_text_add(o->reason, sizeof(o->reason), "%s", active);
	}
}

void cycle_text_add(char *s, size_t size, const char *fmt, ...)
{
	const size_t n = strlen(s);
	const size_t sep = n > 0 ? 2 : 0;
	va_list ap;

	if (n + sep + 1 >= size)
		return;
	memcpy(s + n, "; ", sep);
	va_start(ap, fmt);
	(void)vsnprintf(s + n + sep, size - n - sep, fmt, ap);
	va_end(ap);
	hs_utf8_fix(s);
}

/* Bytes for a person: "512 B", "12.3 KiB", "3.4 MiB", "1.2 GiB". */
static void cycle_size(uint64_t n, char *out, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		(void)snprintf(out, len, "%llu B", (unsigned long long)n);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	(void)snprintf(out, len, "%.1f %s", v, units[u]);
}

/* The journal key and part file name of NAME's delta: '@' is in no
 * component name, so it names no other download. */
static void cycle_delta_key(const char *name, char *out, size_t n)
{
	(void)hs_snprintf(out, n, "%s@delta", name);
}

/* Forgets a download of NAME once an install made it useless. */
static void cycle_forget(const struct cycle *c, const char *key)
{
	const struct transfer_env env = cycle_transfer_env(c);
	struct hs_err e;

	if (transfer_forget(&env, key, &e) < 0)
		log_warn("%s, ignoring", e.msg);
}

/*
 * The settings key that remembers the SHA-256 of NAME's delta that did not
 * rebuild the manifest's tar: a signed delta that is wrong stays wrong, so
 * it is not downloaded again before the next version.
 */
static void cycle_refused_key(const char *name, char *out, size_t n)
{
	(void)hs_snprintf(out, n, "delta_refused %s", name);
}

static void cycle_refuse(const struct cycle *c, const char *name,
			 const char *sha256)
{
	char key[HS_NAME_MAX + 32];
	struct hs_err e;

	cycle_refused_key(name, key, sizeof(key));
	if (db_setting_put(c->env->db, key, sha256, &e) < 0)
		log_warn("%s, ignoring", e.msg);
}

/* The SHA-256 of NAME's delta refused before, or "". */
static void cycle_refused(const struct cycle *c, const char *name,
			  char out[static HASH_SHA256_HEX_LEN + 1])
{
	char key[HS_NAME_MAX + 32];

	cycle_refused_key(name, key, sizeof(key));
	if (db_setting_get(c->env->db, key, out, HASH_SHA256_HEX_LEN + 1,
			   NULL) < 0)
		out[0] = '\0';
}

/* Once NAME is installed, neither of its downloads is needed any more, nor
 * the memory of a refused delta. */
static void cycle_forget_downloads(const struct cycle *c, const char *name)
{
	char key[DB_PARTIAL_NAME_MAX + 1];
	char refused[HS_NAME_MAX + 32];
	char v[HASH_SHA256_HEX_LEN + 1];

	cycle_delta_key(name, key, sizeof(key));
	cycle_forget(c, name);
	cycle_forget(c, key);
	cycle_refused_key(name, refused, sizeof(refused));
	if (db_setting_get(c->env->db, refused, v, sizeof(v), NULL) == 0 &&
	    v[0] != '\0')
		cycle_refuse(c, name, "");
}

/* NAME's download of its full package, as transfer.h sees it. */
static struct transfer_job cycle_full_job(const struct manifest_component *t)
{
	const struct transfer_job job = {.name = t->name,
					 .url = t->package.url,
					 .size = t->package.size,
					 .sha256 = t->package.sha256,
					 .component = t->name};

	return job;
}

/* The full package: download, verify, stage; the verified file stays in
 * m until the step ends (cycle_member_end). */
static void cycle_full(struct cycle *c, struct cycle_member *m)
{
	const struct plan_item *it = m->it;
	const struct manifest_package *pkg = &it->target->package;
	const struct transfer_env env = cycle_transfer_env(c);
	const struct transfer_job job = cycle_full_job(it->target);
	struct cycle_outcome *o = m->o;
	struct transfer_result tr;
	struct part *part = NULL;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	cycle_progress(c, STATE_DOWNLOADING, it->target->name,
		       _("%s %s, %llu bytes"), it->target->name,
		       it->target->version, (unsigned long long)pkg->size);
	r = c->env->net.get_file(c->env->net.ctx, &env, &job, &part, &tr, &e);
	o->bytes += tr.bytes;
	o->method = tr.resumed_from > 0 ? "resumed" : "full";
	c->bytes += tr.bytes;
	if (r < 0) {
		cycle_download_failed(o, &tr, it, pkg->size, e.msg);
		return;
	}
	cycle_progress(c, STATE_VERIFYING, it->target->name,
		       _("%s %s: %llu bytes, sha256 matches the manifest"),
		       it->target->name, it->target->version,
		       (unsigned long long)pkg->size);
	r = cycle_stage(c, m, part_fd(part));
	m->part = part;
	if (r < 0)
		cycle_member_end(c, m,
				 decide_keep_download(r) ? CYCLE_END_KEEP
							 : CYCLE_END_DISCARD);
}

enum cycle_delta_end {
	CYCLE_DELTA_DONE, /* installed, or failed as the full package would */
	CYCLE_DELTA_FALLBACK, /* not usable: why says so, go on in full */
};

/* The history's note of a staged delta: its size against the full
 * package's, and what it saved. */
static void cycle_delta_saved(const struct manifest_component *t,
			      const struct manifest_delta *d,
			      const struct transfer_result *tr,
			      struct cycle_member *m)
{
	struct cycle_outcome *o = m->o;

	char got[16];
	char full[16];
	char saved[16];

	o->saved = t->package.size > d->size ? t->package.size - d->size : 0;
	cycle_size(d->size, got, sizeof(got));
	cycle_size(t->package.size, full, sizeof(full));
	cycle_size(o->saved, saved, sizeof(saved));
	cycle_text_add(m->note, sizeof(m->note),
		       _("by delta (%s) from %s: %s instead of %s, %s saved"),
		       d->method, d->from, got, full, saved);
	if (tr->resumed_from > 0)
		cycle_text_add(m->note, sizeof(m->note),
			       _("the delta resumed from byte %llu"),
			       (unsigned long long)tr->resumed_from);
}

/*
 * The delta d: download (resumable like any transfer), rebuild the tar from
 * the base in the cache, check it against the manifest, stage it (the tar
 * stays in m until the step ends).  A
 * broken connection ends the attempt as it would in full (the delta's bytes
 * are kept); anything wrong with the delta or the base, or a server without
 * the delta, falls back.
 */
static enum cycle_delta_end cycle_delta(struct cycle *c, struct cycle_member *m,
					const struct manifest_delta *d,
					char *why)
{
	const struct plan_item *it = m->it;
	const struct manifest_component *t = it->target;
	struct cycle_outcome *o = m->o;
	const struct transfer_env env = cycle_transfer_env(c);
	char key[DB_PARTIAL_NAME_MAX + 1];
	char tar[PATH_MAX];
	const struct transfer_job job = {.name = key,
					 .url = d->url,
					 .size = d->size,
					 .sha256 = d->sha256,
					 .component = t->name,
					 .delta = true};
	struct transfer_result tr;
	struct part *part = NULL;
	struct hs_err e;
	int tar_fd = -1;
	int r;

	hs_err_clear(&e);
	cycle_delta_key(t->name, key, sizeof(key));
	o->method =
		strcmp(d->method, "zstd") == 0 ? "delta-zstd" : "delta-sufdiff";
	cycle_progress(c, STATE_DOWNLOADING, t->name,
		       _("%s %s by delta from %s, %llu bytes"), t->name,
		       t->version, d->from, (unsigned long long)d->size);
	r = c->env->net.get_file(c->env->net.ctx, &env, &job, &part, &tr, &e);
	o->bytes += tr.bytes;
	c->bytes += tr.bytes;
	if (r < 0 && decide_after_delta_download(&tr) == DECIDE_GIVE_UP) {
		cycle_download_failed(o, &tr, it, d->size, e.msg);
		return CYCLE_DELTA_DONE;
	}
	if (r == 0) {
		cycle_progress(c, STATE_VERIFYING, t->name,
			       _("%s %s: rebuilding the tar from %s"), t->name,
			       t->version, d->from);
		r = patch_apply(c->env->cfg, t, d, part_fd(part), tar,
				sizeof(tar), &tar_fd, &e);
		if (r < 0 && decide_after_apply(r) == DECIDE_BLAME_BASE)
			patch_forget(c->env->cfg, t->name);
		else if (r < 0 && decide_after_apply(r) == DECIDE_BLAME_DELTA)
			cycle_refuse(c, t->name, d->sha256);
	} else if (tr.not_found && tr.state != STATE_FAILED_VERIFY) {
		(void)hs_err_set(&e, -ENOENT, "the server does not have it");
	}
	part_free(part);
	if (r < 0) {
		(void)hs_snprintf(why, DECIDE_WHY_MAX,
				  _("the delta from %s could not be used: %s"),
				  d->from, e.msg);
		cycle_forget(c, key);
		return CYCLE_DELTA_FALLBACK;
	}
	(void)hs_strlcpy(m->tar, tar, sizeof(m->tar));
	m->tar_fd = tar_fd;
	cycle_delta_saved(t, d, &tr, m);
	r = cycle_stage(c, m, tar_fd);
	if (r < 0)
		cycle_member_end(c, m,
				 decide_keep_download(r) ? CYCLE_END_KEEP
							 : CYCLE_END_DISCARD);
	return CYCLE_DELTA_DONE;
}

/* The delta to use for it, or NULL (why says why, or is ""). */
static const struct manifest_delta *
cycle_path(const struct cycle *c, const struct plan_item *it, char *why)
{
	char base[HASH_SHA256_HEX_LEN + 1] = "";
	char refused[HASH_SHA256_HEX_LEN + 1] = "";
	struct decide_path_in in = {
		.target = it->target,
		.from = it->from,
		.update = it->action == PLAN_UPDATE,
		.deltas = c->env->cfg->deltas,
		.base_sha256 = base,
		.refused_sha256 = refused,
	};
	struct hs_err e;
	int r;

	if (in.update && in.deltas && it->target->n_deltas > 0) {
		r = patch_base_sha256(c->env->cfg, it->target->name, base, &e);
		if (r < 0 && r != -ENOENT) {
			base[0] = '\0';
			in.base_error = e.msg;
		}
		cycle_refused(c, it->target->name, refused);
	}
	return decide_path(&in, why);
}

void cycle_component(struct cycle *c, struct cycle_member *m)
{
	const struct manifest_delta *d;
	char why[DECIDE_WHY_MAX];

	memset(m->o, 0, sizeof(m->o[0]));
	m->tar_fd = -1;
	m->pinned = c->pending;
	d = cycle_path(c, m->it, why);
	if (d != NULL && cycle_delta(c, m, d, why) == CYCLE_DELTA_DONE)
		return;
	cycle_full(c, m);
	if (why[0] != '\0') {
		/* A delta was offered and not used: the history says why,
		 * whatever became of the full package. */
		log_info("%s: full package: %s", m->it->target->name, why);
		m->o->method = "fallback";
		if (m->staged)
			cycle_text_add(m->note, sizeof(m->note),
				       _("full package: %s"), why);
		else
			cycle_text_add(m->o->reason, sizeof(m->o->reason),
				       _("full package: %s"), why);
	}
}

/* The full package's verified download: the next base when installed;
 * else kept journaled for the next attempt, or removed. */
static void cycle_end_part(struct cycle *c, struct cycle_member *m,
			   enum cycle_end how)
{
	const struct manifest_component *t = m->it->target;
	const struct patch_new_base nb = {t->name, t->package.tar_size,
					  t->package.tar_sha256, m->pinned};
	const struct transfer_env env = cycle_transfer_env(c);
	const struct transfer_job job = cycle_full_job(t);
	struct hs_err e;

	if (how == CYCLE_END_INSTALLED &&
	    patch_keep_package(c->env->cfg, &nb, part_fd(m->part), &e) < 0)
		log_warn("%s, ignoring", e.msg);
	if (how == CYCLE_END_KEEP) {
		/* Verified, and kept with its journal: the next attempt
		 * re-hashes it instead of fetching it again. */
		if (transfer_keep(&env, &job, m->part, &e) < 0)
			log_warn("%s, ignoring", e.msg);
	} else {
		(void)unlink(part_path(m->part));
	}
	part_free(m->part);
	m->part = NULL;
	if (how == CYCLE_END_INSTALLED)
		cycle_forget_downloads(c, t->name);
	else if (how == CYCLE_END_DISCARD)
		cycle_forget(c, t->name);
}

/* The tar a delta rebuilt: the next base when installed, else removed
 * (with the delta, unless it is kept for the next attempt). */
static void cycle_end_tar(struct cycle *c, struct cycle_member *m,
			  enum cycle_end how)
{
	const struct manifest_component *t = m->it->target;
	const struct patch_new_base nb = {t->name, t->package.tar_size,
					  t->package.tar_sha256, m->pinned};
	char key[DB_PARTIAL_NAME_MAX + 1];
	struct hs_err e;

	if (how == CYCLE_END_INSTALLED) {
		if (patch_keep_tar(c->env->cfg, &nb, m->tar, &e) < 0)
			log_warn("%s, ignoring", e.msg);
		cycle_forget_downloads(c, t->name);
	} else {
		(void)unlink(m->tar);
		cycle_delta_key(t->name, key, sizeof(key));
		if (how == CYCLE_END_DISCARD)
			cycle_forget(c, key);
	}
	(void)close(m->tar_fd);
	m->tar_fd = -1;
	m->tar[0] = '\0';
}

void cycle_member_end(struct cycle *c, struct cycle_member *m,
		      enum cycle_end how)
{
	if (m->part != NULL)
		cycle_end_part(c, m, how);
	else if (m->tar[0] != '\0')
		cycle_end_tar(c, m, how);
}
