/*
 * decide.c - the pure decisions of an attempt (decide.h): the path of a
 * component, what a failure means next, the terminal state and its line.
 */
#include "decide.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "delta.h"
#include "i18n.h"
#include "str.h"

/* The first delta from version from by a method this client knows. */
static const struct manifest_delta *
decide_delta_from(const struct manifest_component *t, const char *from)
{
	enum delta_method m;
	size_t i;

	for (i = 0; i < t->n_deltas; i++)
		if (strcmp(t->deltas[i].from, from) == 0 &&
		    delta_method_parse(t->deltas[i].method, &m) == 0)
			return &t->deltas[i];
	return NULL;
}

const struct manifest_delta *decide_path(const struct decide_path_in *in,
					 char *why)
{
	const struct manifest_component *t = in->target;
	const struct manifest_delta *d;

	why[0] = '\0';
	if (!in->update || !in->deltas || t->n_deltas == 0 ||
	    in->from[0] == '\0')
		return NULL;
	d = decide_delta_from(t, in->from);
	if (d == NULL) {
		(void)hs_snprintf(why, DECIDE_WHY_MAX, _("no delta from %s"),
				  in->from);
		return NULL;
	}
	/* Cheapest path: a delta that saves less than a tenth of the package
	 * is not worth rebuilding the tar for. */
	if (d->size * 10 >= t->package.size * 9)
		return NULL;
	if (in->base_error != NULL) {
		(void)hs_snprintf(why, DECIDE_WHY_MAX,
				  _("the cached base of %s cannot be used: %s"),
				  in->from, in->base_error);
		hs_utf8_fix(why);
		return NULL;
	}
	if (in->base_sha256[0] == '\0') {
		(void)hs_snprintf(why, DECIDE_WHY_MAX,
				  _("no base of %s in the cache"), in->from);
		return NULL;
	}
	if (strcmp(in->base_sha256, d->base_sha256) != 0) {
		(void)hs_snprintf(why, DECIDE_WHY_MAX,
				  _("the cached base is not the tar of %s"),
				  in->from);
		return NULL;
	}
	if (in->refused_sha256[0] != '\0' &&
	    strcmp(in->refused_sha256, d->sha256) == 0) {
		(void)hs_snprintf(why, DECIDE_WHY_MAX,
				  _("the delta from %s did not rebuild the "
				    "package when it was tried before"),
				  d->from);
		return NULL;
	}
	return d;
}

enum decide_next decide_after_delta_download(const struct transfer_result *tr)
{
	switch (tr->state) {
	case STATE_FAILED_INSTALL: /* the full package would meet it too */
	case STATE_STOPPED: /* haishind is shutting down */
		return DECIDE_GIVE_UP;
	case STATE_INTERRUPTED:
	case STATE_FAILED_CONNECT:
		/* A server that lacks the delta is no reason to wait. */
		return tr->not_found ? DECIDE_FULL : DECIDE_GIVE_UP;
	default: /* a wrong delta is no reason to stop */
		return DECIDE_FULL;
	}
}

enum decide_blame decide_after_apply(int code)
{
	if (code == -ESTALE)
		return DECIDE_BLAME_BASE;
	if (code == -EBADMSG)
		return DECIDE_BLAME_DELTA;
	return DECIDE_BLAME_NONE;
}

bool decide_keep_download(int code)
{
	return code == -ENOSPC || code == -EDQUOT;
}

void decide_download_failed(const struct transfer_result *tr,
			    struct decide_failure *ret)
{
	const enum state s = tr->state;
	const bool waits_for_person =
		s == STATE_FAILED_INSTALL || s == STATE_STOPPED;

	memset(ret, 0, sizeof(*ret));
	ret->state = s;
	ret->resumes = s == STATE_INTERRUPTED;
	ret->kept = ret->resumes || (waits_for_person && tr->kept > 0);
	ret->active = s != STATE_FAILED_CONNECT && s != STATE_INTERRUPTED;
	ret->next_attempt = waits_for_person ? 0 : tr->next_attempt;
}

/* The version current points at, or why that cannot be read. */
static void decide_current_text(const struct decide_active *a, char *out,
				size_t n)
{
	if (a->current != NULL)
		(void)hs_snprintf(out, n, _("'%s' points at %s"),
				  a->current_path, a->current);
	else
		(void)hs_snprintf(out, n,
				  _("which version '%s' points at cannot be "
				    "read: %s"),
				  a->current_path,
				  a->current_error != NULL ? a->current_error
							   : "?");
}

/* After a switch and a switch back (or the removal of current). */
static void decide_back_text(const struct decide_active *a, char *out, size_t n)
{
	if (a->from[0] != '\0')
		(void)hs_snprintf(out, n, _("%s %s is active again"),
				  a->switched_name, a->from);
	else
		(void)hs_snprintf(out, n,
				  _("%s has no active version, as "
				    "before"),
				  a->switched_name);
}

void decide_active_text(const struct decide_active *a, char *out, size_t n)
{
	char current[DECIDE_WHY_MAX * 2];

	if (a->back_failed == NULL && a->switched_name != NULL) {
		decide_back_text(a, out, n);
		return;
	}
	if (a->back_failed == NULL) {
		(void)hs_snprintf(out, n, "%s",
				  a->from[0] != '\0'
					  ? _("the previous version is still "
					      "active")
					  : _("nothing was installed"));
		return;
	}
	decide_current_text(a, current, sizeof(current));
	if (a->from[0] != '\0')
		(void)hs_snprintf(out, n,
				  _("switching back to %s failed too: "
				    "%s; %s"),
				  a->from, a->back_failed, current);
	else
		(void)hs_snprintf(out, n,
				  _("removing the new version failed too: %s; "
				    "%s"),
				  a->back_failed, current);
	hs_utf8_fix(out);
}

enum decide_hook_end decide_hook(enum decide_step step,
				 const struct proc_result *res, uint32_t try,
				 uint32_t tries)
{
	if (res == NULL)
		return DECIDE_HOOK_FAILED;
	if (res->cancelled)
		return DECIDE_HOOK_STOPPED;
	if (proc_succeeded(res))
		return DECIDE_HOOK_PASSED;
	if (step == DECIDE_HEALTH && try < tries)
		return DECIDE_HOOK_AGAIN;
	return DECIDE_HOOK_FAILED;
}

bool decide_records_failure(enum decide_step step, bool stopped)
{
	if (stopped)
		return false;
	switch (step) {
	case DECIDE_PRE_INSTALL:
	case DECIDE_RESTART:
	case DECIDE_POST_INSTALL:
	case DECIDE_HEALTH:
		return true;
	case DECIDE_STAGE:
	case DECIDE_SWITCH:
	case DECIDE_RECORD:
	default:
		return false;
	}
}

enum decide_undo decide_undo(const struct decide_member *m)
{
	if (m->switched)
		return m->from[0] != '\0' ? DECIDE_UNDO_SWITCH_BACK
					  : DECIDE_UNDO_UNSWITCH;
	return m->staged ? DECIDE_UNDO_UNSTAGE : DECIDE_UNDO_NOTHING;
}

/* "pre-install of app 2.0", "the health check of app 2.0", ... */
static void decide_step_what(const struct decide_install_failure *f, char *out,
			     size_t n)
{
	switch (f->step) {
	case DECIDE_STAGE:
		(void)hs_snprintf(out, n, _("extracting %s %s"), f->name,
				  f->version);
		break;
	case DECIDE_PRE_INSTALL:
		(void)hs_snprintf(out, n, _("pre-install of %s %s"), f->name,
				  f->version);
		break;
	case DECIDE_SWITCH:
		(void)hs_snprintf(out, n, _("switching %s to %s"), f->name,
				  f->version);
		break;
	case DECIDE_RESTART:
		(void)hs_snprintf(out, n, _("the restart command of %s %s"),
				  f->name, f->version);
		break;
	case DECIDE_POST_INSTALL:
		(void)hs_snprintf(out, n, _("post-install of %s %s"), f->name,
				  f->version);
		break;
	case DECIDE_HEALTH:
		(void)hs_snprintf(out, n, _("health check of %s %s"), f->name,
				  f->version);
		break;
	case DECIDE_RECORD:
	default:
		(void)hs_snprintf(out, n, _("recording %s %s"), f->name,
				  f->version);
		break;
	}
}

void decide_install_cause(const struct decide_install_failure *f, char *out,
			  size_t n)
{
	char what[DECIDE_WHY_MAX];

	decide_step_what(f, what, sizeof(what));
	if (f->stopped)
		(void)hs_snprintf(out, n,
				  _("stopped: haishind is shutting down during "
				    "%s"),
				  what);
	else if (f->step == DECIDE_HEALTH && f->tries > 1)
		(void)hs_snprintf(out, n, _("%s failed after %u tries: %s"),
				  what, (unsigned)f->tries, f->detail);
	else
		(void)hs_snprintf(out, n, _("%s failed: %s"), what, f->detail);
	hs_utf8_fix(out);
}

void decide_set_cause(const char *set, bool switched, const char *cause,
		      char *out, size_t n)
{
	if (switched)
		(void)hs_snprintf(out, n, _("reverted with its set '%s': %s"),
				  set, cause);
	else
		(void)hs_snprintf(out, n,
				  _("not installed with its set '%s': %s"), set,
				  cause);
	hs_utf8_fix(out);
}

bool decide_not_retried(const struct decide_retry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].version, v[i].failed_version) != 0)
			return false;
	return n > 0;
}

void decide_not_retried_text(const char *name, const char *version,
			     const char *failed_reason, int64_t failed_at,
			     char *out, size_t n)
{
	char when[21];

	hs_time_format(failed_at, when);
	(void)hs_snprintf(out, n,
			  _("%s %s is not tried again: its install failed at "
			    "%s (%s); waiting for a newer version"),
			  name, version, when, failed_reason);
	hs_utf8_fix(out);
}

enum state decide_installed_state(enum manifest_restart restart, bool restarted)
{
	if (restart == MANIFEST_RESTART_SYSTEM ||
	    (restart == MANIFEST_RESTART_APP && !restarted))
		return STATE_COMPLETED_RESTART_REQUIRED;
	return STATE_COMPLETED;
}

enum state decide_state(const struct decide_outcome *v, size_t n)
{
	enum state s = v[0].state;
	size_t i;

	for (i = 1; i < n; i++)
		s = state_merge(s, v[i].state);
	return s;
}

/* The parts of the line, in the order they are told. */
enum decide_rank {
	DECIDE_RANK_FAILED,
	DECIDE_RANK_DONE, /* installed, or up to date */
	DECIDE_RANK_WAITS,
};

static enum decide_rank decide_rank(const struct decide_outcome *o)
{
	if (o->waits)
		return DECIDE_RANK_WAITS;
	switch (o->state) {
	case STATE_UP_TO_DATE:
	case STATE_COMPLETED:
	case STATE_COMPLETED_RESTART_REQUIRED:
		return DECIDE_RANK_DONE;
	default:
		return DECIDE_RANK_FAILED;
	}
}

/* Whether v[i] is told before v[j]: by part, then the more severe
 * first. */
static bool decide_before(const struct decide_outcome *v, size_t i, size_t j)
{
	const enum decide_rank ri = decide_rank(&v[i]);
	const enum decide_rank rj = decide_rank(&v[j]);

	if (ri != rj)
		return ri < rj;
	return v[i].state != v[j].state &&
	       state_merge(v[i].state, v[j].state) == v[i].state;
}

/* Appends "; " (unless first) and one outcome to out, which holds used
 * bytes; returns the bytes then used. */
static size_t decide_append(char *out, size_t len, size_t used,
			    const struct decide_outcome *o, bool named)
{
	const char *sep = used > 0 ? "; " : "";

	if (used + 1 >= len)
		return used;
	if (named && o->component[0] != '\0' &&
	    decide_rank(o) == DECIDE_RANK_FAILED)
		(void)hs_snprintf(out + used, len - used, "%s%s: %s", sep,
				  o->component, o->reason);
	else
		(void)hs_snprintf(out + used, len - used, "%s%s", sep,
				  o->reason);
	return strlen(out);
}

void decide_line(const struct decide_outcome *v, size_t n, char *out,
		 size_t len)
{
	size_t order[HS_MANIFEST_MAX_COMPONENTS + 1];
	const bool named = n > 1;
	size_t used = 0;
	size_t i;
	size_t k;

	assert(n >= 1 && n <= HS_MANIFEST_MAX_COMPONENTS + 1);
	/* An insertion sort: stable, and n is at most a manifest's
	 * components and what waits. */
	for (i = 0; i < n; i++) {
		for (k = i; k > 0 && decide_before(v, i, order[k - 1]); k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		used = decide_append(out, len, used, &v[order[i]], named);
	hs_utf8_fix(out);
}
