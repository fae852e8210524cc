/*
 * cycle_plan.c - the plan of an attempt carried out: its items grouped
 * into steps (a component alone, or every item of one set), what the mode
 * lets in, a step whose versions failed before passed over with
 * FAILED_INSTALL and no download, each step installed (cycle_step.c), what
 * holds keep back (cycle_held.c) and what waits recorded, and the outcomes
 * told as one state and one line.
 */
#include "cycle_int.h"

#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "i18n.h"
#include "log.h"
#include "str.h"

/*
 * The attempt's result from its outcomes v[0..n) (components, then what
 * waits: the last n_waits): one state and one line, as decide.h merges
 * them (docs/daemon.md, "One story per attempt").
 */
static void cycle_tell(struct cycle_result *ret, const struct cycle_outcome *v,
		       const char *const *names, size_t n, size_t n_waits)
{
	struct decide_outcome story[HS_MANIFEST_MAX_COMPONENTS + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		story[i].state = v[i].state;
		story[i].component = names[i];
		story[i].reason = v[i].reason;
		story[i].waits = i + n_waits >= n;
		if (v[i].next_attempt > ret->next_attempt)
			ret->next_attempt = v[i].next_attempt;
	}
	ret->state = decide_state(story, n);
	decide_line(story, n, ret->reason, sizeof(ret->reason));
}

/* Why a required item did not wait, appended to its reason. */
static void cycle_why(const struct plan_item *it, struct cycle_outcome *o)
{
	const struct manifest_component *t = it->target;
	const size_t n = strlen(o->reason);
	char when[21];

	if (it->why == PLAN_BELOW_MINIMUM) {
		(void)hs_snprintf(o->reason + n, sizeof(o->reason) - n,
				  _(" (required: %s was below the minimum "
				    "%s)"),
				  it->from, t->minimum);
	} else if (it->why == PLAN_FORCED && t->deadline != 0) {
		hs_time_format(t->deadline, when);
		(void)hs_snprintf(o->reason + n, sizeof(o->reason) - n,
				  _(" (forced by its publisher, due by %s%s)"),
				  when,
				  it->action == PLAN_DOWNGRADE
					  ? _("; a downgrade it allows")
					  : "");
	} else if (it->why == PLAN_FORCED) {
		(void)hs_snprintf(o->reason + n, sizeof(o->reason) - n,
				  _(" (forced by its publisher%s)"),
				  it->action == PLAN_DOWNGRADE
					  ? _("; a downgrade it allows")
					  : "");
	}
	hs_utf8_fix(o->reason);
}

static bool cycle_may_install(const struct cycle *c, const struct plan_item *it)
{
	switch (c->env->mode) {
	case CYCLE_ALL:
		return true;
	case CYCLE_REQUIRED:
		return plan_item_required(it);
	case CYCLE_CHECK:
	default:
		return false;
	}
}

/* Whether items i and j of the plan belong to one step: the same set. */
static bool cycle_same_step(const struct plan *plan, size_t i, size_t j)
{
	const char *a = plan->items[i].target->set;

	return i == j ||
	       (a[0] != '\0' && strcmp(a, plan->items[j].target->set) == 0);
}

/* go[i]: whether item i's step goes in now.  A set goes in whole when the
 * mode lets in any of its items (a required one takes the others along). */
static void cycle_steps_go(const struct cycle *c, const struct plan *plan,
			   bool *go)
{
	size_t i;
	size_t j;

	for (i = 0; i < plan->n; i++) {
		go[i] = false;
		for (j = 0; j < plan->n && !go[i]; j++)
			go[i] = cycle_same_step(plan, i, j) &&
				cycle_may_install(c, &plan->items[j]);
	}
}

/*
 * What waits (held back by the mode) is one STOPPED row: the hold, then
 * each component with its versions, the required ones marked.  False when
 * nothing waits.
 */
static bool cycle_record_waiting(struct cycle *c, const struct plan *plan,
				 const bool *go, struct cycle_outcome *o)
{
	size_t n_waiting = 0;
	size_t used;
	size_t i;

	memset(o, 0, sizeof(*o));
	cycle_outcome_set(o, STATE_STOPPED, "%s; %s",
			  c->env->hold != NULL ? c->env->hold : "?",
			  _("waiting:"));
	for (i = 0; i < plan->n; i++) {
		const struct plan_item *it = &plan->items[i];

		if (go[i])
			continue;
		used = strlen(o->reason);
		(void)hs_snprintf(
			o->reason + used, sizeof(o->reason) - used,
			"%s %s %s → %s%s", n_waiting > 0 ? "," : "",
			it->target->name, it->from[0] != '\0' ? it->from : "-",
			it->target->version,
			plan_item_required(it) ? _(" (required)") : "");
		n_waiting++;
	}
	hs_utf8_fix(o->reason);
	if (n_waiting == 0)
		return false;
	cycle_record(c, "", "", "", o);
	return true;
}

/*
 * When every member of the step is at the version that failed to install
 * before, each gets FAILED_INSTALL saying so, and true: nothing is
 * downloaded.  A component whose state cannot be read is tried.
 */
static bool cycle_not_retried(struct cycle *c, struct cycle_member *m, size_t n)
{
	struct db_component_state *s = calloc(n, sizeof(*s));
	struct decide_retry v[HS_MANIFEST_MAX_COMPONENTS] = {{NULL, NULL}};
	bool skip;
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < n; i++) {
		if (db_component_state_get(c->env->db, m[i].it->target->name,
					   &s[i], NULL) < 0)
			s[i].failed_version[0] = '\0';
		v[i].version = m[i].it->target->version;
		v[i].failed_version = s[i].failed_version;
	}
	skip = decide_not_retried(v, n);
	for (i = 0; skip && i < n; i++) {
		memset(m[i].o, 0, sizeof(*m[i].o));
		m[i].o->state = STATE_FAILED_INSTALL;
		decide_not_retried_text(m[i].it->target->name, v[i].version,
					s[i].failed_reason, s[i].failed_at,
					m[i].o->reason, sizeof(m[i].o->reason));
		log_info("%s", m[i].o->reason);
	}
	free(s);
	return skip;
}

/* The items of the step item i starts (set members later in the plan
 * too), into idx; their count. */
static size_t cycle_step_items(const struct plan *plan, size_t i,
			       const bool *done, size_t *idx)
{
	size_t n = 0;
	size_t j;

	for (j = i; j < plan->n; j++)
		if (!done[j] && cycle_same_step(plan, i, j))
			idx[n++] = j;
	return n;
}

/* The state shared by cycle_update_all()'s loop. */
struct cycle_walk {
	const struct plan *plan;
	struct cycle_outcome *v;
	struct cycle_member *mem;
	const char *names[HS_MANIFEST_MAX_COMPONENTS + 1];
	const char *pending[HS_MANIFEST_MAX_COMPONENTS + 1];
	bool go[HS_MANIFEST_MAX_COMPONENTS];
	bool done[HS_MANIFEST_MAX_COMPONENTS];
	size_t n; /* outcomes so far */
};

/* Installs the step that item i starts; records each member's row. */
static void cycle_walk_step(struct cycle *c, struct cycle_walk *w, size_t i)
{
	size_t idx[HS_MANIFEST_MAX_COMPONENTS];
	const size_t k = cycle_step_items(w->plan, i, w->done, idx);
	struct cycle_member *m = &w->mem[w->n];
	size_t j;

	for (j = 0; j < k; j++) {
		memset(&m[j], 0, sizeof(m[j]));
		m[j].it = &w->plan->items[idx[j]];
		m[j].o = &w->v[w->n + j];
		m[j].tar_fd = -1;
	}
	c->pending = &w->pending[i + 1];
	if (!cycle_not_retried(c, m, k))
		cycle_step(c, m, k, w->plan->items[i].target->set);
	c->pending = NULL;
	for (j = 0; j < k; j++) {
		const struct plan_item *it = m[j].it;

		cycle_why(it, m[j].o);
		cycle_record(c, it->target->name, it->from, it->target->version,
			     m[j].o);
		w->names[w->n++] = it->target->name;
		w->done[idx[j]] = true;
	}
}

/* The items holds keep back: a STOPPED row each, told with what waits;
 * returns how many. */
static size_t cycle_walk_held(struct cycle *c, struct cycle_walk *w,
			      const struct cycle_held *held)
{
	size_t i;

	for (i = 0; i < held->plan.n; i++) {
		const struct plan_item *it = &held->plan.items[i];

		cycle_held_outcome(held, it, &w->v[w->n]);
		cycle_record(c, it->target->name, it->from, it->target->version,
			     &w->v[w->n]);
		w->names[w->n++] = it->target->name;
	}
	return held->plan.n;
}

void cycle_update_all(struct cycle *c, const struct plan *plan,
		      const struct cycle_held *held, struct cycle_outcome *v,
		      struct cycle_result *ret)
{
	struct cycle_walk *w = calloc(1, sizeof(*w));
	size_t n_waits;
	size_t i;

	if (w != NULL)
		w->mem = calloc(plan->n + 1, sizeof(*w->mem));
	if (w == NULL || w->mem == NULL) {
		memset(&v[0], 0, sizeof(v[0]));
		cycle_outcome_set(&v[0], STATE_FAILED_INSTALL, "%s",
				  _("out of memory"));
		cycle_record(c, "", "", "", &v[0]);
		cycle_tell(ret, v, (const char *const[]){""}, 1, 0);
		free(w);
		return;
	}
	w->plan = plan;
	w->v = v;
	for (i = 0; i < plan->n; i++)
		w->pending[i] = plan->items[i].target->name;
	w->pending[plan->n] = NULL;
	cycle_steps_go(c, plan, w->go);
	for (i = 0; i < plan->n; i++)
		if (w->go[i] && !w->done[i])
			cycle_walk_step(c, w, i);
	n_waits = cycle_walk_held(c, w, held);
	if (cycle_record_waiting(c, plan, w->go, &v[w->n])) {
		w->names[w->n++] = "";
		n_waits++;
	}
	cycle_tell(ret, v, w->names, w->n, n_waits);
	free(w->mem);
	free(w);
}
