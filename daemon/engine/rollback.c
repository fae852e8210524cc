/*
 * rollback.c - a rollback by hand (rollback.h).
 *
 * The order is that of an install (docs/install.md): the attempt marker,
 * the switch of current, the restart command, the health check, and only
 * then the database.  Until the record, the database names the version
 * rolled back from, which is what a kill leaves for floor_repair() to put
 * back.  Nothing is removed from disk: the version rolled back from stays
 * as the previous one.
 */
#include "rollback.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decide.h"
#include "floor.h"
#include "hook.h"
#include "i18n.h"
#include "log.h"
#include "patch.h"
#include "proc.h"
#include "str.h"
#include "switch.h"
#include "version.h"

#define ROLLBACK_LIST_MAX 256 /* "1.0, 2.0, ..." of the versions on disk */

struct rollback {
	const struct cycle_env *env;
	const char *name;
	int64_t started;
	char from[HS_VERSION_MAX + 1]; /* active, as the database records */
	char to[HS_VERSION_MAX + 1];
	enum state state;
	char reason[CYCLE_REASON_MAX];
};

static int64_t rb_now(const struct rollback *rb)
{
	return rb->env->clock.now(rb->env->clock.ctx);
}

static bool rb_cancelled(const struct rollback *rb)
{
	return rb->env->cancel != NULL && atomic_load(rb->env->cancel);
}

__attribute__((format(printf, 3, 4))) static void
rb_end(struct rollback *rb, enum state s, const char *fmt, ...)
{
	va_list ap;

	rb->state = s;
	va_start(ap, fmt);
	(void)vsnprintf(rb->reason, sizeof(rb->reason), fmt, ap);
	va_end(ap);
	hs_utf8_fix(rb->reason);
}

__attribute__((format(printf, 3, 4))) static void
rb_progress(const struct rollback *rb, enum state s, const char *fmt, ...)
{
	struct cycle_event ev;
	va_list ap;

	if (rb->env->progress == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.state = s;
	(void)hs_strlcpy(ev.component, rb->name, sizeof(ev.component));
	va_start(ap, fmt);
	(void)vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
	va_end(ap);
	hs_utf8_fix(ev.text);
	rb->env->progress(rb->env->progress_ctx, &ev);
}

/* The attempt marker (cycle.h), so that a kill is recorded and repaired. */
static void rb_mark_running(const struct rollback *rb, bool running)
{
	struct hs_err e;
	char v[64];

	v[0] = '\0';
	if (running)
		(void)hs_snprintf(v, sizeof(v), "%lld %s",
				  (long long)rb->started, rb->env->trigger);
	if (db_setting_put(rb->env->db, CYCLE_RUNNING_KEY, v, &e) < 0)
		log_warn("cannot record that a rollback %s: %s",
			 running ? "runs" : "ended", e.msg);
}

static void rb_record(const struct rollback *rb)
{
	struct db_attempt a;
	struct hs_err e;

	memset(&a, 0, sizeof(a));
	a.started = rb->started;
	a.finished = rb_now(rb);
	(void)hs_strlcpy(a.trigger, rb->env->trigger, sizeof(a.trigger));
	(void)hs_strlcpy(a.component, rb->name, sizeof(a.component));
	(void)hs_strlcpy(a.from_version, rb->from, sizeof(a.from_version));
	(void)hs_strlcpy(a.to_version, rb->to, sizeof(a.to_version));
	(void)hs_strlcpy(a.method, ROLLBACK_METHOD, sizeof(a.method));
	(void)hs_strlcpy(a.state, state_name(rb->state), sizeof(a.state));
	(void)hs_strlcpy(a.reason, rb->reason, sizeof(a.reason));
	if (db_history_add(rb->env->db, &a, &e) < 0)
		log_warn("cannot record the rollback in the history: %s",
			 e.msg);
}

/* ---- what is on disk ------------------------------------------------------- */

/* INSTALL/NAME/VERSION, or "" when it does not fit. */
static void rb_dir(const struct rollback *rb, const char *version, char *out,
		   size_t n)
{
	if (hs_snprintf(out, n, "%s/%s/%s", rb->env->cfg->install, rb->name,
			version) < 0)
		out[0] = '\0';
}

/* A complete version directory: install.h moves a version in place only
 * once it is extracted and synced, so its name is proof enough. */
static bool rb_on_disk(const struct rollback *rb, const char *version)
{
	char dir[PATH_MAX];
	struct stat st;

	rb_dir(rb, version, dir, sizeof(dir));
	return version_is_valid(version) && dir[0] != '\0' &&
	       lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static int rb_version_cmp(const void *a, const void *b)
{
	return version_compare(*(const char *const *)a,
			       *(const char *const *)b);
}

/* Up to max version directories of NAME into names; returns how many. */
static size_t rb_list(const struct rollback *rb,
		      char (*names)[HS_VERSION_MAX + 1], size_t max)
{
	char dir[PATH_MAX];
	struct dirent *d;
	size_t k = 0;
	DIR *dh;

	(void)hs_snprintf(dir, sizeof(dir), "%s/%s", rb->env->cfg->install,
			  rb->name);
	dh = opendir(dir);
	if (dh == NULL)
		return 0;
	while ((d = readdir(dh)) != NULL && k < max) {
		if (!rb_on_disk(rb, d->d_name))
			continue;
		(void)hs_strlcpy(names[k++], d->d_name, sizeof(names[0]));
	}
	(void)closedir(dh);
	return k;
}

/* "1.0, 2.0": the version directories of NAME, oldest first ("none"). */
static void rb_versions_on_disk(const struct rollback *rb, char *out, size_t n)
{
	char names[ROLLBACK_LIST_MAX / 2][HS_VERSION_MAX + 1];
	const char *sorted[ROLLBACK_LIST_MAX / 2];
	const size_t k = rb_list(rb, names, ROLLBACK_LIST_MAX / 2);
	size_t used;
	size_t i;

	for (i = 0; i < k; i++)
		sorted[i] = names[i];
	qsort(sorted, k, sizeof(sorted[0]), rb_version_cmp);
	(void)hs_strlcpy(out, k == 0 ? _("none") : "", n);
	for (i = 0; i < k; i++) {
		used = strlen(out);
		(void)hs_snprintf(out + used, n - used, "%s%s",
				  i > 0 ? ", " : "", sorted[i]);
	}
}

/* ---- which version ----------------------------------------------------------- */

/* The version to go to, or a refusal that changed nothing (-EINVAL). */
static int rb_choose(struct rollback *rb, const char *version)
{
	char on_disk[ROLLBACK_LIST_MAX];
	struct db_installed in;
	struct hs_err e;
	int r;

	r = db_installed_get(rb->env->db, rb->name, &in, &e);
	if (r == -ENOENT) {
		rb_end(rb, STATE_FAILED_INSTALL,
		       _("%s is not installed: there is nothing to roll back"),
		       rb->name);
		return -EINVAL;
	}
	if (r < 0) {
		rb_end(rb, STATE_FAILED_INSTALL,
		       _("cannot read the installed components: %s"), e.msg);
		return r;
	}
	(void)hs_strlcpy(rb->from, in.version, sizeof(rb->from));
	(void)hs_strlcpy(rb->to,
			 version != NULL && version[0] != '\0' ? version
							       : in.previous,
			 sizeof(rb->to));
	rb_versions_on_disk(rb, on_disk, sizeof(on_disk));
	if (rb->to[0] == '\0')
		rb_end(rb, STATE_FAILED_INSTALL,
		       _("%s %s has no previous version recorded: name one, "
			 "'haishinctl rollback %s VERSION'; versions on disk: "
			 "%s"),
		       rb->name, rb->from, rb->name, on_disk);
	else if (strcmp(rb->to, rb->from) == 0)
		rb_end(rb, STATE_FAILED_INSTALL,
		       _("%s %s is already the active version; versions on "
			 "disk: %s"),
		       rb->name, rb->to, on_disk);
	else if (!rb_on_disk(rb, rb->to))
		rb_end(rb, STATE_FAILED_INSTALL,
		       _("%s %s is not on disk; versions on disk: %s"),
		       rb->name, rb->to, on_disk);
	else
		return 0;
	return -EINVAL;
}

/* ---- the restart command and the health check --------------------------------- */

/* The hook.h target of NAME at version (HAISHIN_PREVIOUS previous);
 * cancellable: whether a shutdown may cut the run short. */
static void rb_target(const struct rollback *rb, const char *version,
		      const char *previous, bool cancellable,
		      struct hook_target *t)
{
	memset(t, 0, sizeof(*t));
	t->root = rb->env->cfg->install;
	t->name = rb->name;
	t->version = version;
	t->previous = previous;
	t->timeout = rb->env->cfg->hook_timeout;
	t->cancel = cancellable ? rb->env->cancel : NULL;
}

/*
 * How a run of hook_run() or hook_command() (its result r) ended: 0 when
 * it exited 0; else -1 with why (n bytes) saying how it ended, or why it
 * could not start, and *ret_cancelled whether a shutdown stopped it.
 */
static int rb_ended(const struct hook_target *t, int r,
		    const struct proc_result *res, const struct hs_err *e,
		    char *why, size_t n, bool *ret_cancelled)
{
	*ret_cancelled = false;
	if (r < 0) {
		(void)hs_strlcpy(why, e->msg, n);
		return -1;
	}
	if (proc_succeeded(res))
		return 0;
	*ret_cancelled = res->cancelled;
	hook_describe(t, res, why, n);
	return -1;
}

/* The [restart] command of NAME after a switch to version, if there is
 * one: 0, or -1 with why. */
static int rb_restart(const struct rollback *rb, const char *version,
		      const char *previous, bool cancellable, char *why,
		      size_t n, bool *ret_cancelled)
{
	const char *command = config_restart(rb->env->cfg, rb->name);
	struct hook_target t;
	struct proc_result res;
	struct hs_err e;
	int r;

	*ret_cancelled = false;
	if (command == NULL)
		return 0;
	rb_target(rb, version, previous, cancellable, &t);
	rb_progress(rb, STATE_INSTALLING,
		    _("%s %s: running its restart command"), rb->name, version);
	r = hook_command(&t, command, &res, &e);
	return rb_ended(&t, r, &res, &e, why, n, ret_cancelled);
}

/* Whether the version rolled back to carries a health check at all. */
static bool rb_has_health(const struct rollback *rb)
{
	char dir[PATH_MAX];
	char path[PATH_MAX];
	struct stat st;

	rb_dir(rb, rb->to, dir, sizeof(dir));
	return hs_snprintf(path, sizeof(path), "%s/%s/%s", dir, HOOK_DIR,
			   HOOK_HEALTH) == 0 &&
	       lstat(path, &st) == 0;
}

/* One run of the health check of the version rolled back to: 1 when it
 * has none, else as rb_ended(). */
static int rb_health_once(const struct rollback *rb, char *why, size_t n,
			  bool *ret_cancelled)
{
	struct hook_target t;
	struct proc_result res;
	struct hs_err e;
	int r;

	*ret_cancelled = false;
	rb_target(rb, rb->to, rb->from, true, &t);
	r = hook_run(&t, HOOK_HEALTH, &res, &e);
	if (r == 0)
		return 1;
	return rb_ended(&t, r, &res, &e, why, n, ret_cancelled);
}

/* .haishin/health of the version rolled back to, up to health_tries times
 * health_interval apart: 0 when a run passed (or there is none), -1 with
 * why after the last failed run or a shutdown. */
static int rb_health(const struct rollback *rb, char *why, size_t n,
		     bool *ret_cancelled)
{
	const struct config *cfg = rb->env->cfg;
	const unsigned tries = cfg->health_tries > 0 ? cfg->health_tries : 1;
	char last[CYCLE_REASON_MAX] = "";
	unsigned i;
	int r;

	*ret_cancelled = false;
	if (!rb_has_health(rb))
		return 0;
	for (i = 1; i <= tries && !*ret_cancelled; i++) {
		rb_progress(rb, STATE_VERIFYING,
			    _("%s %s: health check, try %u of %u"), rb->name,
			    rb->to, i, tries);
		r = rb_health_once(rb, last, sizeof(last), ret_cancelled);
		if (r >= 0)
			return 0;
		log_info("%s %s: health check %u of %u failed: %s", rb->name,
			 rb->to, i, tries, last);
		if (i < tries && !rb_cancelled(rb))
			rb->env->clock.sleep_until(rb->env->clock.ctx,
						   rb_now(rb) +
							   cfg->health_interval,
						   rb->env->cancel);
		*ret_cancelled = *ret_cancelled || rb_cancelled(rb);
	}
	(void)hs_snprintf(why, n,
			  ngettext("health check of %s %s failed after %u "
				   "try: %s",
				   "health check of %s %s failed after %u "
				   "tries: %s",
				   i - 1),
			  rb->name, rb->to, i - 1, last);
	return -1;
}

/* ---- switching ----------------------------------------------------------------- */

static int rb_activate(const struct rollback *rb, const char *version,
		       struct hs_err *e)
{
	const struct cycle_installer *in = &rb->env->installer;

	return in->activate(in->ctx, rb->env->cfg->install, rb->name, version,
			    e);
}

/*
 * Switches the version rolled back from back, runs its restart command
 * again (not cut short by a shutdown: what runs must be what is active),
 * and says in out (n bytes) what is active then - never the old version
 * when switching back failed.
 */
static void rb_switch_back(const struct rollback *rb, char *out, size_t n)
{
	char current[HS_VERSION_MAX + 1];
	char path[PATH_MAX];
	char why[CYCLE_REASON_MAX];
	struct decide_active a = {rb->from, path, NULL, NULL, NULL, rb->name};
	struct hs_err e;
	struct hs_err e2;
	bool cancelled;

	(void)hs_snprintf(path, sizeof(path), "%s/%s/%s", rb->env->cfg->install,
			  rb->name, SWITCH_CURRENT);
	if (rb_activate(rb, rb->from, &e) < 0) {
		log_err("%s", e.msg);
		a.back_failed = e.msg;
		if (switch_current(rb->env->cfg->install, rb->name, current,
				   sizeof(current), &e2) == 0)
			a.current = current;
		else
			a.current_error = e2.msg;
		decide_active_text(&a, out, n);
		return;
	}
	if (rb_restart(rb, rb->from, rb->to, false, why, sizeof(why),
		       &cancelled) < 0) {
		(void)hs_snprintf(out, n,
				  _("%s %s is active again, but its restart "
				    "command failed: %s"),
				  rb->name, rb->from, why);
		return;
	}
	(void)hs_snprintf(out, n, _("%s %s is active again"), rb->name,
			  rb->from);
}

/* A step after the switch failed (why): back to the version rolled back
 * from, FAILED_INSTALL, or STOPPED when a shutdown cut it. */
static void rb_fail(struct rollback *rb, const char *why, bool cancelled)
{
	char active[CYCLE_REASON_MAX];

	rb_switch_back(rb, active, sizeof(active));
	if (cancelled)
		rb_end(rb, STATE_STOPPED,
		       _("stopped: haishind is shutting down during the "
			 "rollback of %s to %s; %s"),
		       rb->name, rb->to, active);
	else
		rb_end(rb, STATE_FAILED_INSTALL, "%s; %s", why, active);
}

/* ---- the record -------------------------------------------------------------------- */

/* NAME installed at the version rolled back to, with the one rolled back
 * from as its previous, and held: in one transaction. */
static int rb_commit(const struct rollback *rb, struct hs_err *e)
{
	struct db_installed in;
	struct db_hold h;
	int r;

	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, rb->name, sizeof(in.name));
	(void)hs_strlcpy(in.version, rb->to, sizeof(in.version));
	(void)hs_strlcpy(in.previous, rb->from, sizeof(in.previous));
	in.installed_at = rb_now(rb);
	memset(&h, 0, sizeof(h));
	(void)hs_strlcpy(h.name, rb->name, sizeof(h.name));
	(void)hs_strlcpy(h.from_version, rb->from, sizeof(h.from_version));
	(void)hs_snprintf(h.reason, sizeof(h.reason),
			  _("rolled back from %s by hand"), rb->from);
	hs_utf8_fix(h.reason);
	h.held_at = rb_now(rb);
	r = db_begin(rb->env->db, e);
	if (r < 0)
		return r;
	r = db_installed_put(rb->env->db, &in, e);
	if (r == 0)
		r = db_hold_put(rb->env->db, &h, e);
	if (r == 0)
		r = db_commit(rb->env->db, e);
	if (r < 0)
		db_rollback(rb->env->db);
	return r;
}

/* The switch, the restart command, the health check, the record. */
static void rb_go(struct rollback *rb)
{
	char why[CYCLE_REASON_MAX];
	bool cancelled = false;
	struct hs_err e;

	rb_progress(rb, STATE_INSTALLING, _("%s: switching from %s to %s"),
		    rb->name, rb->from, rb->to);
	if (rb_activate(rb, rb->to, &e) < 0) {
		rb_end(rb, STATE_FAILED_INSTALL,
		       _("cannot switch %s to %s: %s; %s %s is still active"),
		       rb->name, rb->to, e.msg, rb->name, rb->from);
		return;
	}
	if (rb_restart(rb, rb->to, rb->from, true, why, sizeof(why),
		       &cancelled) < 0) {
		char step[CYCLE_REASON_MAX];

		(void)hs_snprintf(step, sizeof(step),
				  _("the restart command of %s failed after "
				    "the switch to %s: %s"),
				  rb->name, rb->to, why);
		rb_fail(rb, step, cancelled);
		return;
	}
	if (rb_health(rb, why, sizeof(why), &cancelled) < 0) {
		rb_fail(rb, why, cancelled);
		return;
	}
	if (rb_commit(rb, &e) < 0) {
		(void)hs_snprintf(why, sizeof(why),
				  _("cannot record the rollback: %s"), e.msg);
		rb_fail(rb, why, false);
		return;
	}
	patch_forget(rb->env->cfg, rb->name); /* no delta starts from it */
	rb_end(rb, STATE_COMPLETED,
	       _("rolled back %s %s → %s by hand; automatic updates of %s are "
		 "held until 'haishinctl resume %s' or a version newer than "
		 "%s"),
	       rb->name, rb->from, rb->to, rb->name, rb->name, rb->from);
}

void rollback_run(const struct cycle_env *env, const char *name,
		  const char *version, struct cycle_result *ret)
{
	struct rollback rb;
	struct hs_err e;

	memset(&rb, 0, sizeof(rb));
	memset(ret, 0, sizeof(*ret));
	rb.env = env;
	rb.name = name;
	rb.started = rb_now(&rb);
	rb_mark_running(&rb, true);
	rb_progress(&rb, STATE_CHECKING,
		    _("%s: looking for the version to roll back to"), name);
	/* A database behind the floor cannot say what to go back to. */
	if (floor_check(env->cfg, env->db, &e) < 0)
		rb_end(&rb, STATE_STOPPED, "%s", e.msg);
	else if (rb_choose(&rb, version) == 0)
		rb_go(&rb);
	log_info("rollback of %s: %s %s", name, state_name(rb.state),
		 rb.reason);
	rb_record(&rb);
	rb_mark_running(&rb, false);
	ret->state = rb.state;
	(void)hs_strlcpy(ret->reason, rb.reason, sizeof(ret->reason));
}
