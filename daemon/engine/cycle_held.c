/*
 * cycle_held.c - what the holds of rollbacks by hand keep back in an
 * attempt: the holds of the manifest's components, read for the plan
 * (plan_hold_back()), and the STOPPED outcome of each component they keep
 * back, which cycle.c records and tells with what waits.
 */
#include "cycle_int.h"

#include <errno.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "str.h"

int cycle_holds(const struct cycle *c, struct cycle_held *held,
		struct hs_err *e)
{
	size_t i;
	int r;

	held->n_holds = 0;
	for (i = 0; i < c->m->n_components; i++) {
		r = db_hold_get(c->env->db, c->m->components[i].name,
				&held->holds[held->n_holds], e);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		held->n_holds++;
	}
	return 0;
}

void cycle_held_outcome(const struct cycle_held *held,
			const struct plan_item *it, struct cycle_outcome *o)
{
	const struct db_hold *h =
		plan_find_hold(held->holds, held->n_holds, it->target->name);
	char when[21];

	memset(o, 0, sizeof(*o));
	hs_time_format(h != NULL ? h->held_at : 0, when);
	cycle_outcome_set(o, STATE_STOPPED,
			  _("%s is held at %s since %s (%s): 'haishinctl "
			    "resume %s' lifts it"),
			  it->target->name, it->from, when,
			  h != NULL ? h->reason : "?", it->target->name);
	log_info("%s %s is not installed: %s", it->target->name,
		 it->target->version, o->reason);
}
