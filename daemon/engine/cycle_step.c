/*
 * cycle_step.c - one step of an install (docs/install.md): a component, or
 * the members of a set that need an update, taken through
 *
 *	download, verify, stage (cycle_item.c)
 *	pre-install of each			(a failure unstages)
 *	the switch of each
 *	restart commands, post-install of each, health of each member and of
 *	the set's other installed members	(a failure switches back)
 *	one transaction recording every member and lifting the holds of
 *	rollbacks by hand the new versions end	(a failure switches back)
 *
 * Invariant: the database is written only once every check passed, so a
 * crash at any point before leaves it recording the old versions, and
 * floor_repair() switches back a current it does not record.  What a
 * failure means and what is undone are decide.h's.
 */
#include "cycle_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "hook.h"
#include "i18n.h"
#include "install.h"
#include "log.h"
#include "str.h"
#include "switch.h"

/* An installed member of the set that this step does not update: its
 * health is checked with the others. */
struct step_other {
	const char *name;
	char version[HS_VERSION_MAX + 1]; /* what current points at */
	char previous[HS_VERSION_MAX + 1];
	bool ok;
	char health[CYCLE_REASON_MAX];
};

/* A step under way. */
struct step {
	struct cycle *c;
	struct cycle_member *m;
	size_t n;
	const char *set;
	struct step_other other[HS_MANIFEST_MAX_COMPONENTS];
	size_t n_other;
	/* The failure, once there is one. */
	bool failed;
	struct decide_install_failure f;
	bool culprit_is_member;
	size_t culprit; /* in m[] or, when not a member, in other[] */
	char detail[CYCLE_REASON_MAX];
	char cause[CYCLE_REASON_MAX];
};

/* How one run of a hook or command ended. */
struct step_run {
	enum decide_hook_end end;
	bool ran; /* false: the package has no such hook */
	char detail[CYCLE_REASON_MAX]; /* proc_describe's, or why it did not
					* start */
	char line[PROC_LINE_MAX]; /* its last line */
};

static bool step_cancelled(const struct step *st)
{
	const atomic_bool *cancel = st->c->env->cancel;

	return cancel != NULL && atomic_load(cancel);
}

/* The hook target of member i: its new version, previous from. */
static struct hook_target step_target(const struct step *st, size_t i)
{
	const struct config *cfg = st->c->env->cfg;
	const struct hook_target t = {cfg->install,
				      st->m[i].it->target->name,
				      st->m[i].it->target->version,
				      st->m[i].it->from,
				      cfg->hook_timeout,
				      st->c->env->cancel};

	return t;
}

/* Runs hook of t (command: the restart command instead) as run try. */
static void step_exec(const struct step *st, const struct hook_target *t,
		      enum decide_step which, const char *hook,
		      const char *command, uint32_t try, struct step_run *ret)
{
	const uint32_t tries = st->c->env->cfg->health_tries;
	struct proc_result res;
	struct hs_err e;
	int r;

	memset(ret, 0, sizeof(*ret));
	hs_err_clear(&e);
	r = command != NULL ? hook_command(t, command, &res, &e)
			    : hook_run(t, hook, &res, &e);
	ret->ran = r != 0 || command != NULL;
	if (r < 0) {
		(void)hs_strlcpy(ret->detail, e.msg, sizeof(ret->detail));
		ret->end = decide_hook(which, NULL, try, tries);
	} else if (!ret->ran) {
		ret->end = DECIDE_HOOK_PASSED;
	} else {
		hook_describe(t, &res, ret->detail, sizeof(ret->detail));
		(void)hs_strlcpy(ret->line, res.last_line, sizeof(ret->line));
		ret->end = decide_hook(which, &res, try, tries);
	}
	if (ret->ran)
		log_info("%s %s: %s: %s", t->name, t->version,
			 command != NULL ? "restart command" : hook,
			 ret->detail);
}

/* Marks the step failed at which, by t's component, for detail. */
static void step_fail(struct step *st, enum decide_step which,
		      const struct hook_target *t, bool member, size_t i,
		      const char *detail, uint32_t tries, bool stopped)
{
	st->failed = true;
	st->culprit_is_member = member;
	st->culprit = i;
	(void)hs_strlcpy(st->detail, detail, sizeof(st->detail));
	st->f.step = which;
	st->f.name = t->name;
	st->f.version = t->version;
	st->f.detail = st->detail;
	st->f.tries = tries;
	st->f.stopped = stopped;
	decide_install_cause(&st->f, st->cause, sizeof(st->cause));
	log_warn("%s", st->cause);
}

/* A cancel between two steps: the step stops, as a killed hook would. */
static bool step_stop_here(struct step *st, enum decide_step which, size_t i)
{
	const struct hook_target t = step_target(st, i);

	if (!step_cancelled(st))
		return false;
	step_fail(st, which, &t, true, i, "", 1, true);
	return true;
}

/* Runs one hook of every member; false when one failed. */
static bool step_hooks(struct step *st, enum decide_step which,
		       const char *hook)
{
	struct step_run run;
	size_t i;

	for (i = 0; i < st->n; i++) {
		const struct hook_target t = step_target(st, i);

		if (step_stop_here(st, which, i))
			return false;
		cycle_progress(st->c, STATE_INSTALLING, t.name, "%s %s: %s",
			       t.name, t.version, hook);
		step_exec(st, &t, which, hook, NULL, 1, &run);
		if (run.end != DECIDE_HOOK_PASSED) {
			step_fail(st, which, &t, true, i, run.detail, 1,
				  run.end == DECIDE_HOOK_STOPPED);
			return false;
		}
	}
	return true;
}

/* Switches every member to its new version; false when one failed. */
static bool step_switch(struct step *st)
{
	const struct cycle_installer *in = &st->c->env->installer;
	struct hs_err e;
	size_t i;

	for (i = 0; i < st->n; i++) {
		const struct hook_target t = step_target(st, i);

		if (step_stop_here(st, DECIDE_SWITCH, i))
			return false;
		hs_err_clear(&e);
		if (in->activate(in->ctx, t.root, t.name, t.version, &e) < 0) {
			step_fail(st, DECIDE_SWITCH, &t, true, i, e.msg, 1,
				  false);
			return false;
		}
		st->m[i].switched = true;
	}
	return true;
}

/* Runs the [restart] command of every member that has one. */
static bool step_restart(struct step *st)
{
	struct step_run run;
	const char *cmd;
	size_t i;

	for (i = 0; i < st->n; i++) {
		const struct hook_target t = step_target(st, i);

		cmd = config_restart(st->c->env->cfg, t.name);
		if (cmd == NULL)
			continue;
		if (step_stop_here(st, DECIDE_RESTART, i))
			return false;
		cycle_progress(st->c, STATE_INSTALLING, t.name,
			       _("%s %s: restart command"), t.name, t.version);
		step_exec(st, &t, DECIDE_RESTART, NULL, cmd, 1, &run);
		st->m[i].restarted = true;
		if (run.end != DECIDE_HOOK_PASSED) {
			step_fail(st, DECIDE_RESTART, &t, true, i, run.detail,
				  1, run.end == DECIDE_HOOK_STOPPED);
			return false;
		}
	}
	return true;
}

/* The health text of a version that passed: "2.0: passed: LINE". */
static void step_passed_text(const char *version, const struct step_run *run,
			     uint32_t try, uint32_t tries, char *out, size_t n)
{
	if (!run->ran)
		(void)hs_snprintf(out, n,
				  _("%s: the package has no health "
				    "check"),
				  version);
	else if (try > 1)
		(void)hs_snprintf(out, n, _("%s: passed on try %u of %u"),
				  version, (unsigned)try, (unsigned)tries);
	else
		(void)hs_snprintf(out, n, _("%s: passed"), version);
	if (run->line[0] != '\0')
		cycle_text_add(out, n, "%s", run->line);
	hs_utf8_fix(out);
}

/*
 * Runs t's health check up to [install] health_tries times, [install]
 * health_interval seconds apart on the attempt's clock.  Fills text with
 * the result; *ret_tries gets the runs made.
 */
static enum decide_hook_end step_health_of(struct step *st,
					   const struct hook_target *t,
					   struct step_run *run, char *text,
					   size_t n, uint32_t *ret_tries)
{
	const struct config *cfg = st->c->env->cfg;
	const struct cycle_clock *clock = &st->c->env->clock;
	uint32_t try;

	for (try = 1;; try++) {
		cycle_progress(st->c, STATE_INSTALLING, t->name,
			       _("%s %s: health check (%u of %u)"), t->name,
			       t->version, (unsigned)try,
			       (unsigned)cfg->health_tries);
		step_exec(st, t, DECIDE_HEALTH, HOOK_HEALTH, NULL, try, run);
		*ret_tries = try;
		if (run->end != DECIDE_HOOK_AGAIN)
			break;
		clock->sleep_until(clock->ctx,
				   cycle_now(st->c) + cfg->health_interval,
				   st->c->env->cancel);
		if (step_cancelled(st)) {
			run->end = DECIDE_HOOK_STOPPED;
			break;
		}
	}
	if (run->end == DECIDE_HOOK_PASSED)
		step_passed_text(t->version, run, try, cfg->health_tries, text,
				 n);
	else
		(void)hs_snprintf(text, n, "%s: %s", t->version, run->detail);
	return run->end;
}

/* Checks t: false (the step failed) when its health check failed. */
static bool step_check(struct step *st, const struct hook_target *t,
		       bool member, size_t i, bool *ret_ok, char *text,
		       size_t n)
{
	struct step_run run;
	uint32_t tries = 1;
	enum decide_hook_end end;

	end = step_health_of(st, t, &run, text, n, &tries);
	*ret_ok = end == DECIDE_HOOK_PASSED;
	if (*ret_ok)
		return true;
	step_fail(st, DECIDE_HEALTH, t, member, i, run.detail, tries,
		  end == DECIDE_HOOK_STOPPED);
	return false;
}

/* The health of every member, then of the set's other members. */
static bool step_health(struct step *st)
{
	const struct config *cfg = st->c->env->cfg;
	struct step_other *o;
	size_t i;

	for (i = 0; i < st->n; i++) {
		const struct hook_target t = step_target(st, i);
		struct cycle_member *m = &st->m[i];

		m->checked = true;
		if (!step_check(st, &t, true, i, &m->health_ok, m->health,
				sizeof(m->health)))
			return false;
	}
	for (i = 0; i < st->n_other; i++) {
		o = &st->other[i];
		const struct hook_target t = {
			cfg->install, o->name,		 o->version,
			o->previous,  cfg->hook_timeout, st->c->env->cancel};

		if (!step_check(st, &t, false, i, &o->ok, o->health,
				sizeof(o->health)))
			return false;
	}
	return true;
}

/* Whether component name is one of the step's members. */
static bool step_has(const struct step *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->m[i].it->target->name, name) == 0)
			return true;
	return false;
}

/* The set's installed members that the step does not update. */
static void step_find_others(struct step *st)
{
	const struct manifest *m = st->c->m;
	const char *root = st->c->env->cfg->install;
	struct db_installed in;
	struct step_other *o;
	size_t i;

	for (i = 0; st->set[0] != '\0' && i < m->n_components; i++) {
		const struct manifest_component *mc = &m->components[i];

		if (strcmp(mc->set, st->set) != 0 || step_has(st, mc->name))
			continue;
		o = &st->other[st->n_other];
		memset(o, 0, sizeof(*o));
		o->name = mc->name;
		if (switch_current(root, mc->name, o->version,
				   sizeof(o->version), NULL) < 0)
			continue; /* nothing active: nothing to check */
		if (db_installed_get(st->c->env->db, mc->name, &in, NULL) == 0)
			(void)hs_strlcpy(o->previous, in.previous,
					 sizeof(o->previous));
		st->n_other++;
	}
}

/* ---- the record ------------------------------------------------------ */

/* Lifts the hold of a rollback by hand that this install ends (its
 * version is newer than the one rolled back from): m->lifted then names
 * the version rolled back from. */
static int step_lift_hold(const struct step *st, struct cycle_member *m,
			  struct hs_err *e)
{
	struct db *db = st->c->env->db;
	const struct manifest_component *t = m->it->target;
	struct db_hold h;
	int r;

	r = db_hold_get(db, t->name, &h, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0 || !plan_hold_lifted_by(&h, t->version))
		return r;
	r = db_hold_delete(db, t->name, e);
	if (r == 0)
		(void)hs_strlcpy(m->lifted, h.from_version, sizeof(m->lifted));
	return r;
}

static int step_put_member(const struct step *st, struct cycle_member *m,
			   struct hs_err *e)
{
	struct db *db = st->c->env->db;
	const struct manifest_component *t = m->it->target;
	const int64_t now = cycle_now(st->c);
	struct db_installed in;
	int r;

	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, t->name, sizeof(in.name));
	(void)hs_strlcpy(in.version, t->version, sizeof(in.version));
	(void)hs_strlcpy(in.previous, m->it->from, sizeof(in.previous));
	(void)hs_strlcpy(in.sha256, t->package.sha256, sizeof(in.sha256));
	in.installed_at = now;
	r = db_installed_put(db, &in, e);
	if (r == 0)
		r = db_component_failed_clear(db, t->name, e);
	if (r == 0)
		r = db_component_health_put(db, t->name, m->health_ok,
					    m->health, now, e);
	if (r == 0)
		r = step_lift_hold(st, m, e);
	return r;
}

/* Every member installed, its failure forgotten, every health result, the
 * holds the new versions lift: one transaction. */
static int step_put(const struct step *st, struct hs_err *e)
{
	struct db *db = st->c->env->db;
	const int64_t now = cycle_now(st->c);
	size_t i;
	int r;

	r = db_begin(db, e);
	for (i = 0; r == 0 && i < st->n; i++)
		r = step_put_member(st, &st->m[i], e);
	for (i = 0; r == 0 && i < st->n_other; i++)
		r = db_component_health_put(db, st->other[i].name, true,
					    st->other[i].health, now, e);
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0)
		db_rollback(db);
	return r;
}

static bool step_record(struct step *st)
{
	const struct hook_target t = step_target(st, 0);
	struct hs_err e;

	hs_err_clear(&e);
	if (step_put(st, &e) == 0)
		return true;
	step_fail(st, DECIDE_RECORD, &t, true, 0, e.msg, 1, false);
	return false;
}

/* ---- success -------------------------------------------------------- */

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

/* NAME VERSION installed; what it asks of a person; how it came. */
static void step_installed(struct cycle *c, struct cycle_member *m)
{
	const struct manifest_component *t = m->it->target;
	const enum state s = decide_installed_state(t->restart, m->restarted);
	struct cycle_outcome *o = m->o;
	char now[24];
	struct hs_err e;

	cycle_note_handover(c, m->it);
	if (install_prune(c->env->cfg->install, t->name, m->it->from,
			  c->env->cfg->keep, &e) < 0)
		log_warn("%s, ignoring", e.msg);
	if (t->restart == MANIFEST_RESTART_SYSTEM) {
		(void)hs_snprintf(now, sizeof(now), "%lld",
				  (long long)cycle_now(c));
		if (db_setting_put(c->env->db, CYCLE_SYSTEM_RESTART_KEY, now,
				   &e) < 0)
			log_warn("%s, ignoring", e.msg);
	}
	cycle_outcome_set(o, s, _("%s %s installed"), t->name, t->version);
	if (m->restarted)
		cycle_text_add(o->reason, sizeof(o->reason), "%s",
			       _("restarted with its [restart] command"));
	if (s == STATE_COMPLETED_RESTART_REQUIRED)
		cycle_text_add(o->reason, sizeof(o->reason), _("restart %s"),
			       t->restart == MANIFEST_RESTART_SYSTEM
				       ? _("the system")
				       : t->name);
	if (m->lifted[0] != '\0')
		cycle_text_add(o->reason, sizeof(o->reason),
			       _("the hold of %s is lifted: %s is newer than "
				 "%s, the version rolled back from"),
			       t->name, t->version, m->lifted);
	if (m->note[0] != '\0')
		cycle_text_add(o->reason, sizeof(o->reason), "%s", m->note);
	cycle_member_end(c, m, CYCLE_END_INSTALLED);
}

/* ---- undoing a failed step -------------------------------------------- */

/* Runs m's restart command again after its switch back, for t (the
 * version now active); appends to again what failed. */
static void step_restart_again(struct step *st, size_t i,
			       const struct hook_target *t, char *again,
			       size_t n)
{
	const char *cmd = config_restart(st->c->env->cfg, t->name);
	struct step_run run;

	if (cmd == NULL || !st->m[i].restarted)
		return;
	step_exec(st, t, DECIDE_RESTART, NULL, cmd, 1, &run);
	if (run.end == DECIDE_HOOK_PASSED || t->version[0] == '\0')
		return; /* nothing to restart after a first install */
	(void)hs_snprintf(again, n, _("restarting %s %s failed too: %s"),
			  t->name, t->version, run.detail);
}

/*
 * Switches member i back (or removes current, after a first install),
 * runs its restart command again so that what is active is what runs,
 * removes the new version; writes into out (n bytes) what is active then,
 * from what current really points at when switching back failed.
 */
static void step_switch_back(struct step *st, size_t i, char *out, size_t n)
{
	const struct cycle_installer *in = &st->c->env->installer;
	const struct hook_target t = step_target(st, i);
	const struct hook_target back = {t.root,    t.name,    t.previous,
					 t.version, t.timeout, t.cancel};
	char path[PATH_MAX];
	char current[HS_VERSION_MAX + 1];
	char again[CYCLE_REASON_MAX];
	struct decide_active a = {t.previous, path, NULL, NULL, NULL, t.name};
	struct hs_err e;
	struct hs_err e2;

	again[0] = '\0';
	hs_err_clear(&e);
	hs_err_clear(&e2);
	(void)hs_snprintf(path, sizeof(path), "%s/%s/%s", t.root, t.name,
			  SWITCH_CURRENT);
	if (in->activate(in->ctx, t.root, t.name, t.previous, &e) < 0) {
		log_err("%s", e.msg);
		a.back_failed = e.msg;
		if (switch_current(t.root, t.name, current, sizeof(current),
				   &e2) == 0)
			a.current = current;
		else
			a.current_error = e2.msg;
	} else {
		step_restart_again(st, i, &back, again, sizeof(again));
		if (install_remove(t.root, t.name, t.version, &e) < 0)
			log_err("%s", e.msg);
	}
	decide_active_text(&a, out, n);
	if (again[0] != '\0')
		cycle_text_add(out, n, "%s", again);
}

/* Undoes member i (decide_undo()); writes what is active into out. */
static void step_undo(struct step *st, size_t i, char *out, size_t n)
{
	struct cycle_member *m = &st->m[i];
	const struct hook_target t = step_target(st, i);
	const struct decide_member facts = {m->it->from, m->staged,
					    m->switched};
	const struct decide_active a = {m->it->from, "",   NULL,
					NULL,	     NULL, NULL};
	struct hs_err e;

	switch (decide_undo(&facts)) {
	case DECIDE_UNDO_SWITCH_BACK:
	case DECIDE_UNDO_UNSWITCH:
		step_switch_back(st, i, out, n);
		return;
	case DECIDE_UNDO_UNSTAGE:
		if (install_remove(t.root, t.name, t.version, &e) < 0)
			log_err("%s", e.msg);
		break;
	case DECIDE_UNDO_NOTHING:
	default:
		break;
	}
	decide_active_text(&a, out, n);
}

/* The failed versions (and the health check that failed): one
 * transaction; a failure to write them is logged. */
static void step_put_failed(struct step *st)
{
	struct db *db = st->c->env->db;
	const int64_t now = cycle_now(st->c);
	const char *health = NULL;
	struct hs_err e;
	size_t i;
	int r;

	if (st->f.step == DECIDE_HEALTH)
		health = st->culprit_is_member ? st->m[st->culprit].health
					       : st->other[st->culprit].health;
	r = db_begin(db, &e);
	for (i = 0; r == 0 && i < st->n; i++)
		r = db_component_failed_put(db, st->m[i].it->target->name,
					    st->m[i].it->target->version,
					    st->m[i].failed, now, &e);
	if (r == 0 && health != NULL)
		r = db_component_health_put(db, st->f.name, false, health, now,
					    &e);
	if (r == 0)
		r = db_commit(db, &e);
	if (r < 0) {
		db_rollback(db);
		log_err("cannot record the failed install: %s", e.msg);
	}
}

/* The cause member i's reason starts with: the failure itself, or for
 * another member of the set, that its set failed. */
static void step_member_cause(const struct step *st, size_t i, char *out,
			      size_t n)
{
	if (st->culprit_is_member && st->culprit == i)
		(void)hs_strlcpy(out, st->cause, n);
	else
		decide_set_cause(st->set, st->m[i].switched, st->cause, out, n);
}

/* Every member undone, last first; its outcome; the failed versions. */
static void step_undo_all(struct step *st)
{
	const enum state s =
		st->f.stopped ? STATE_STOPPED : STATE_FAILED_INSTALL;
	const bool records = decide_records_failure(st->f.step, st->f.stopped);
	char active[CYCLE_REASON_MAX];
	size_t i;

	for (i = st->n; i-- > 0;) {
		struct cycle_member *m = &st->m[i];

		step_undo(st, i, active, sizeof(active));
		step_member_cause(st, i, m->failed, sizeof(m->failed));
		cycle_outcome_set(m->o, s, "%s; %s", m->failed, active);
	}
	if (records)
		step_put_failed(st);
	for (i = 0; i < st->n; i++)
		cycle_member_end(st->c, &st->m[i],
				 records ? CYCLE_END_DISCARD : CYCLE_END_KEEP);
}

/* ---- a member that did not download ---------------------------------- */

/*
 * Member i did not download or stage (its outcome says why): the members
 * staged before it are removed again, their downloads kept for the next
 * attempt, and every other member ends as it did, naming it.
 */
static void step_not_staged(struct step *st, size_t i)
{
	const struct cycle_outcome *bad = st->m[i].o;
	char cause[CYCLE_REASON_MAX];
	struct hs_err e;
	size_t j;

	(void)hs_snprintf(cause, sizeof(cause), "%s %s: %s",
			  st->m[i].it->target->name,
			  st->m[i].it->target->version, bad->reason);
	for (j = 0; j < st->n; j++) {
		struct cycle_member *m = &st->m[j];

		if (j == i)
			continue;
		if (m->staged && install_remove(st->c->env->cfg->install,
						m->it->target->name,
						m->it->target->version, &e) < 0)
			log_err("%s", e.msg);
		cycle_member_end(st->c, m, CYCLE_END_KEEP);
		decide_set_cause(st->set, false, cause, m->failed,
				 sizeof(m->failed));
		cycle_outcome_set(m->o, bad->state, "%s", m->failed);
		m->o->next_attempt = bad->next_attempt;
	}
}

/* ---- the step --------------------------------------------------------- */

/* Downloads and stages every member; false when one did not make it. */
static bool step_stage(struct step *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		cycle_component(st->c, &st->m[i]);
		if (!st->m[i].staged) {
			step_not_staged(st, i);
			return false;
		}
	}
	return true;
}

void cycle_step(struct cycle *c, struct cycle_member *m, size_t n,
		const char *set)
{
	struct step *st = calloc(1, sizeof(*st));
	size_t i;

	if (st == NULL) {
		for (i = 0; i < n; i++)
			cycle_outcome_set(m[i].o, STATE_FAILED_INSTALL, "%s",
					  _("out of memory"));
		return;
	}
	st->c = c;
	st->m = m;
	st->n = n;
	st->set = set;
	if (step_stage(st)) {
		step_find_others(st);
		if (step_hooks(st, DECIDE_PRE_INSTALL, HOOK_PRE_INSTALL) &&
		    step_switch(st) && step_restart(st) &&
		    step_hooks(st, DECIDE_POST_INSTALL, HOOK_POST_INSTALL) &&
		    step_health(st) && step_record(st)) {
			for (i = 0; i < n; i++)
				step_installed(c, &m[i]);
		} else {
			step_undo_all(st);
		}
	}
	free(st);
}
