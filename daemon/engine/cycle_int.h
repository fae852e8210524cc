/*
 * cycle_int.h - what cycle.c (the check, the plan, the record),
 * cycle_item.c (one component's update: full or by delta, then the install)
 * and cycle_meta.c (the validators kept for the check's conditional GETs)
 * share.  Private to those files.
 */
#ifndef HAISHIN_CYCLE_INT_H
#define HAISHIN_CYCLE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cycle.h"
#include "hash.h"
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
	struct cycle_result *ret; /* the attempt's result, for the hand-over */
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

/* The attempt's clock: seconds since the epoch. */
int64_t cycle_now(const struct cycle *c);

/* Reports a progress step to the cycle's listener. */
void cycle_progress(const struct cycle *c, enum state s, const char *component,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The transfer layer's view of the cycle: its config, database, progress,
 * waits and cancel flag; no fetch handle (the network holds its own). */
struct transfer_env cycle_transfer_env(const struct cycle *c);

/* Sets o's state and formatted reason. */
void cycle_outcome_set(struct cycle_outcome *o, enum state s, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

/* Updates one planned component, by delta when it can, and fills *o. */
void cycle_component(struct cycle *c, const struct plan_item *it,
		     struct cycle_outcome *o);

/* The metadata whose GETs are conditional (N.root.json is fetched once). */
#define CYCLE_META_ROOT "root.json"
#define CYCLE_META_MANIFEST "manifest.json"

/* What is kept of a verified root.json or manifest.json for the next GET. */
struct cycle_meta {
	struct transfer_validators v; /* base "": none kept */
	char sha256[HASH_SHA256_HEX_LEN + 1]; /* manifest.json: of the copy
					       * stored in the state dir */
	uint64_t version; /* root.json: the version it announced */
};

/*
 * What was kept for file (CYCLE_META_*) at its last verified fetch; all
 * zeros (no validators to send) when nothing usable was kept, or when the
 * attempt reads a pushed bundle.
 */
void cycle_meta_have(const struct cycle *c, const char *file,
		     struct cycle_meta *ret);

/*
 * Reads the stored manifest.json into *ret_buf (the caller frees it) when it
 * is the copy *have was kept with.  Otherwise clears *have, so that no
 * validators are sent for a copy that is not there, and sets *ret_buf to
 * NULL.
 */
void cycle_meta_local(const struct cycle *c, struct cycle_meta *have,
		      char **ret_buf, size_t *ret_len);

/*
 * Keeps m for file, for the next check.  A failure is logged, not returned:
 * the next check then fetches file whole.
 */
void cycle_meta_keep(const struct cycle *c, const char *file,
		     const struct cycle_meta *m);

#endif
