/*
 * cycle_item.c - one component's update: the delta from the installed
 * version when the cache holds its base (patch.h), else the full package;
 * then the install, and the base kept for the next time.
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
	const struct decide_active a = {it->from, "", NULL, NULL, NULL};

	decide_active_text(&a, out, n);
}

static int cycle_mark_installed(const struct cycle *c,
				const struct plan_item *it, struct hs_err *e)
{
	struct db_installed in;

	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, it->target->name, sizeof(in.name));
	(void)hs_strlcpy(in.version, it->target->version, sizeof(in.version));
	(void)hs_strlcpy(in.previous, it->from, sizeof(in.previous));
	(void)hs_strlcpy(in.sha256, it->target->package.sha256,
			 sizeof(in.sha256));
	in.installed_at = cycle_now(c);
	return db_installed_put(c->env->db, &in, e);
}

/* haishin itself was switched and recorded: the daemon hands over to the
 * new version once the attempt has ended. */
static void cycle_note_handover(const struct cycle *c,
				const struct plan_item *it)
{
	if (c->ret == NULL || strcmp(it->target->name, CYCLE_SELF) != 0)
		return;
	(void)hs_strlcpy(c->ret->handover, it->target->version,
			 sizeof(c->ret->handover));
	(void)hs_strlcpy(c->ret->handover_from, it->from,
			 sizeof(c->ret->handover_from));
}

/* A full disk, whose reason says how much to free. */
static bool cycle_disk_full(int r)
{
	return r == -ENOSPC || r == -EDQUOT;
}

/*
 * Puts current back to what the database records after recording the
 * install failed (what is active must be what is recorded), and says in
 * out (n bytes) what is active then: the previous version, nothing, or -
 * when switching back failed too - what current really points at.
 */
static void cycle_switch_back(const struct cycle *c, const struct plan_item *it,
			      char *out, size_t n)
{
	const struct cycle_installer *in = &c->env->installer;
	const char *root = c->env->cfg->install;
	const char *name = it->target->name;
	char current[HS_VERSION_MAX + 1];
	char path[PATH_MAX];
	struct decide_active a = {it->from, path, NULL, NULL, NULL};
	struct hs_err e;
	struct hs_err e2;

	hs_err_clear(&e2);
	(void)hs_snprintf(path, sizeof(path), "%s/%s/%s", root, name,
			  SWITCH_CURRENT);
	if (in->activate(in->ctx, root, name, it->from, &e) < 0) {
		log_err("%s", e.msg);
		a.back_failed = e.msg;
		if (switch_current(root, name, current, sizeof(current), &e2) ==
		    0)
			a.current = current;
		else
			a.current_error = e2.msg;
	} else if (strcmp(it->from, it->target->version) != 0 &&
		   install_remove(root, name, it->target->version, &e) < 0) {
		log_err("%s", e.msg);
	}
	decide_active_text(&a, out, n);
}

/* Installs the package or tar in fd; a negative errno (o says why) when it
 * failed.  The file is the caller's to keep or remove. */
static int cycle_install(struct cycle *c, const struct plan_item *it, int fd,
			 struct cycle_outcome *o)
{
	const struct manifest_component *t = it->target;
	const struct cycle_installer *in = &c->env->installer;
	uint64_t unpacked = 0;
	char what[HS_NAME_MAX + HS_VERSION_MAX + 2];
	char active[CYCLE_REASON_MAX];
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	cycle_progress(c, STATE_INSTALLING, t->name, "%s %s", t->name,
		       t->version);
	r = in->package(in->ctx, c->env->cfg->install, t->name, t->version, fd,
			&unpacked, &e);
	if (r == 0 && cycle_mark_installed(c, it, &e) < 0) {
		r = e.code;
		cycle_switch_back(c, it, active, sizeof(active));
	} else {
		cycle_still_active(it, active, sizeof(active));
	}
	if (cycle_disk_full(r)) {
		(void)hs_snprintf(what, sizeof(what), "%s %s", t->name,
				  t->version);
		(void)transfer_disk_full(r, c->env->cfg->install,
					 t->package.tar_size, what, &e);
	}
	if (r < 0) {
		cycle_outcome_set(o, STATE_FAILED_INSTALL, "%s; %s", e.msg,
				  active);
		return r;
	}
	cycle_note_handover(c, it);
	if (install_prune(c->env->cfg->install, t->name, it->from, &e) < 0)
		log_warn("%s, ignoring", e.msg);
	if (t->restart == MANIFEST_RESTART_SYSTEM) {
		char now[24];

		(void)hs_snprintf(now, sizeof(now), "%lld",
				  (long long)cycle_now(c));
		if (db_setting_put(c->env->db, CYCLE_SYSTEM_RESTART_KEY, now,
				   &e) < 0)
			log_warn("%s, ignoring", e.msg);
	}
	if (t->restart == MANIFEST_RESTART_NONE)
		cycle_outcome_set(o, STATE_COMPLETED, _("%s %s installed"),
				  t->name, t->version);
	else
		cycle_outcome_set(
			o, STATE_COMPLETED_RESTART_REQUIRED,
			_("%s %s installed; restart %s"), t->name, t->version,
			t->restart == MANIFEST_RESTART_SYSTEM ? _("the system")
							      : t->name);
	return 0;
}

/* Appends "; " and a formatted text to o's reason. */
static void cycle_outcome_add(struct cycle_outcome *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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
		cycle_outcome_add(o, _("%llu of %llu bytes kept"),
				  (unsigned long long)tr->kept,
				  (unsigned long long)size);
	if (f.active) {
		cycle_still_active(it, active, sizeof(active));
		cycle_outcome_add(o, "%s", active);
	}
}

static void cycle_outcome_add(struct cycle_outcome *o, const char *fmt, ...)
{
	const size_t n = strlen(o->reason);
	va_list ap;

	if (n + 2 >= sizeof(o->reason))
		return;
	memcpy(o->reason + n, "; ", 3);
	va_start(ap, fmt);
	(void)vsnprintf(o->reason + n + 2, sizeof(o->reason) - n - 2, fmt, ap);
	va_end(ap);
	hs_utf8_fix(o->reason);
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

/* What the cache is to keep of t once it is installed. */
static struct patch_new_base cycle_new_base(const struct cycle *c,
					    const struct manifest_component *t)
{
	const struct patch_new_base nb = {t->name, t->package.tar_size,
					  t->package.tar_sha256, c->pending};

	return nb;
}

/* The full package: download, verify, install, keep its tar as a base. */
static void cycle_full(struct cycle *c, const struct plan_item *it,
		       struct cycle_outcome *o)
{
	const struct manifest_package *pkg = &it->target->package;
	const struct transfer_env env = cycle_transfer_env(c);
	const struct transfer_job job = {.name = it->target->name,
					 .url = pkg->url,
					 .size = pkg->size,
					 .sha256 = pkg->sha256,
					 .component = it->target->name};
	struct transfer_result tr;
	struct part *part = NULL;
	struct hs_err e;
	bool installed;
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
	r = cycle_install(c, it, part_fd(part), o);
	installed = r == 0;
	if (installed) {
		const struct patch_new_base nb = cycle_new_base(c, it->target);

		if (patch_keep_package(c->env->cfg, &nb, part_fd(part), &e) < 0)
			log_warn("%s, ignoring", e.msg);
	}
	if (r < 0 && decide_keep_download(r)) {
		/* Verified, and kept with its journal: once there is room the
		 * next attempt re-hashes it instead of fetching it again. */
		if (transfer_keep(&env, &job, part, &e) < 0)
			log_warn("%s, ignoring", e.msg);
		part_free(part);
		return;
	}
	(void)unlink(part_path(part));
	part_free(part);
	if (installed)
		cycle_forget_downloads(c, it->target->name);
	else
		cycle_forget(c, it->target->name);
}

enum cycle_delta_end {
	CYCLE_DELTA_DONE, /* installed, or failed as the full package would */
	CYCLE_DELTA_FALLBACK, /* not usable: why says so, go on in full */
};

/* The history's note of an installed delta: its size against the full
 * package's, and what it saved. */
static void cycle_delta_saved(const struct manifest_component *t,
			      const struct manifest_delta *d,
			      const struct transfer_result *tr,
			      struct cycle_outcome *o)
{
	char got[16];
	char full[16];
	char saved[16];

	o->saved = t->package.size > d->size ? t->package.size - d->size : 0;
	cycle_size(d->size, got, sizeof(got));
	cycle_size(t->package.size, full, sizeof(full));
	cycle_size(o->saved, saved, sizeof(saved));
	cycle_outcome_add(
		o, _("by delta (%s) from %s: %s instead of %s, %s saved"),
		d->method, d->from, got, full, saved);
	if (tr->resumed_from > 0)
		cycle_outcome_add(o, _("the delta resumed from byte %llu"),
				  (unsigned long long)tr->resumed_from);
}

/*
 * The delta d: download (resumable like any transfer), rebuild the tar from
 * the base in the cache, check it against the manifest, install it.  A
 * broken connection ends the attempt as it would in full (the delta's bytes
 * are kept); anything wrong with the delta or the base, or a server without
 * the delta, falls back.
 */
static enum cycle_delta_end cycle_delta(struct cycle *c,
					const struct plan_item *it,
					const struct manifest_delta *d,
					struct cycle_outcome *o, char *why)
{
	const struct manifest_component *t = it->target;
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
	r = cycle_install(c, it, tar_fd, o);
	if (r == 0) {
		const struct patch_new_base nb = cycle_new_base(c, t);

		cycle_delta_saved(t, d, &tr, o);
		if (patch_keep_tar(c->env->cfg, &nb, tar, &e) < 0)
			log_warn("%s, ignoring", e.msg);
		cycle_forget_downloads(c, t->name);
	} else {
		(void)unlink(tar);
		if (!decide_keep_download(r))
			cycle_forget(c, key);
	}
	(void)close(tar_fd);
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

void cycle_component(struct cycle *c, const struct plan_item *it,
		     struct cycle_outcome *o)
{
	const struct manifest_delta *d;
	char why[DECIDE_WHY_MAX];

	memset(o, 0, sizeof(o[0]));
	d = cycle_path(c, it, why);
	if (d != NULL && cycle_delta(c, it, d, o, why) == CYCLE_DELTA_DONE)
		return;
	cycle_full(c, it, o);
	if (why[0] != '\0') {
		/* A delta was offered and not used: the history says why,
		 * whatever became of the full package. */
		log_info("%s: full package: %s", it->target->name, why);
		o->method = "fallback";
		cycle_outcome_add(o, _("full package: %s"), why);
	}
}
