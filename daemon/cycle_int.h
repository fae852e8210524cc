/*
 * cycle_int.h - what cycle.c (the check, the plan, the record) and
 * cycle_item.c (one component's update: full or by delta, then the install)
 * share.  Private to those two files.
 */
#ifndef HAISHIN_CYCLE_INT_H
#define HAISHIN_CYCLE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cycle.h"
#include "manifest.h"
#include "plan.h"
#include "root.h"
#include "transfer.h"

struct cycle {
	const struct cycle_env *env;
	int64_t started;
	struct root *root;
	struct root *first_root; /* the first root walked at or above the
				  * version trusted before, once the chain
				  * moved on from it */
	bool manifest_keys_changed; /* by the roots walked in this check */
	struct manifest *m;
	uint64_t bytes;
	enum state fail_as; /* the state a failure of the current step gives */
	const char *const *pending; /* NULL-terminated: the components still
				     * to update after the current one */
};

/* One component's outcome, before it is recorded. */
struct cycle_outcome {
	enum state state;
	char reason[CYCLE_REASON_MAX];
	uint64_t bytes;
	uint64_t saved; /* by a delta, against the full package */
	const char *method; /* db_attempt's method, or NULL for a check */
	int64_t next_attempt; /* when a failed download may go on, or 0 */
};

int64_t cycle_now(void);

/* Reports a progress step to the cycle's listener. */
void cycle_progress(const struct cycle *c, enum state s, const char *component,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The transfer layer's view of the cycle: its config, database, fetch,
 * progress and cancel flag. */
struct transfer_env cycle_transfer_env(const struct cycle *c);

/* Sets o's state and formatted reason. */
void cycle_outcome_set(struct cycle_outcome *o, enum state s, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

/* Updates one planned component, by delta when it can, and fills *o. */
void cycle_component(struct cycle *c, const struct plan_item *it,
		     struct cycle_outcome *o);

#endif
