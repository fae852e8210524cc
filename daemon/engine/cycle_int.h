/*
 * cycle_int.h - what cycle.c (the check, the record), cycle_plan.c (the
 * plan's steps), cycle_step.c (one step of an install: hooks, switch,
 * health, record, undo), cycle_item.c (one component's download: full or
 * by delta, then staged), cycle_meta.c (the validators kept for the
 * check's conditional GETs) and cycle_held.c (what holds of rollbacks by
 * hand keep back) share.  Private to those files.
 */
#ifndef HAISHIN_CYCLE_INT_H
#define HAISHIN_CYCLE_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cycle.h"
#include "hash.h"
#include "manifest.h"
#include "part.h"
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

/* Records o as a history row of component (from -> to). */
void cycle_record(const struct cycle *c, const char *component,
		  const char *from, const char *to,
		  const struct cycle_outcome *o);

struct cycle_held;

/* Carries out plan (cycle_plan.c): each step the mode lets in, then the
 * items held keeps back, then what waits; one outcome each in v (room for
 * plan->n + held->plan.n + 1), told together. */
void cycle_update_all(struct cycle *c, const struct plan *plan,
		      const struct cycle_held *held, struct cycle_outcome *v,
		      struct cycle_result *ret);

/* Sets o's state and formatted reason. */
void cycle_outcome_set(struct cycle_outcome *o, enum state s, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

/* Appends "; " (unless s is empty) and a formatted text to s (size
 * bytes), cut to fit. */
void cycle_text_add(char *s, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One component of a step, from its download to the end of the step. */
struct cycle_member {
	const struct plan_item *it;
	struct cycle_outcome *o; /* its outcome */
	char note[CYCLE_REASON_MAX]; /* how it came: "by delta (zstd) from
				      * 1.0: ...", "full package: ..." */
	const char *const *pinned; /* the bases still needed (patch.h) */
	/* The verified file it was staged from, until the step ends. */
	struct part *part; /* a full package, or NULL */
	char tar[PATH_MAX]; /* the tar a delta rebuilt, or "" */
	int tar_fd;
	bool staged; /* INSTALL/NAME/VERSION is in place */
	bool switched; /* current points at it */
	bool restarted; /* its [restart] command ran after the switch */
	bool checked; /* its health was checked: */
	bool health_ok;
	char health[CYCLE_REASON_MAX]; /* "2.0: passed: LINE", ... */
	char failed[CYCLE_REASON_MAX]; /* why its step failed, recorded as
					* its failed reason */
	char lifted[HS_VERSION_MAX + 1]; /* the version rolled back from of
					  * the hold its record lifted, or "" */
};

/*
 * Downloads m's component (by delta when it can), verifies and stages it
 * (m->staged).  When it did not get that far, m->o holds the failure and
 * nothing of it is kept but a download to resume.
 */
void cycle_component(struct cycle *c, struct cycle_member *m);

/* What becomes of a member's verified download at the end of its step. */
enum cycle_end {
	CYCLE_END_INSTALLED, /* its tar is the next delta's base */
	CYCLE_END_KEEP, /* not installed, but kept for the next attempt (a
			 * full disk, a set member that failed to download) */
	CYCLE_END_DISCARD, /* removed */
};

/* Ends what cycle_component() kept of m. */
void cycle_member_end(struct cycle *c, struct cycle_member *m,
		      enum cycle_end how);

/*
 * Installs one step: the members m[0..n) (one component, or the members of
 * a set that need an update), each with its outcome, as docs/install.md
 * orders it: download and stage each, pre-install, switch, restart
 * commands, post-install, health (of the set's other members too), one
 * record; any failure undoes the step.  set is the members' set, "" for a
 * lone component.
 */
void cycle_step(struct cycle *c, struct cycle_member *m, size_t n,
		const char *set);

/* ---- holds: what a rollback by hand keeps back (cycle_held.c) ---------- */

/* The components holds keep back in this attempt, and the holds. */
struct cycle_held {
	struct plan plan; /* the items held back (plan_hold_back) */
	struct db_hold holds[HS_MANIFEST_MAX_COMPONENTS];
	size_t n_holds;
};

/* Reads the holds of the manifest's components into held->holds: at most
 * one each, so the list is bounded by the manifest's own cap whatever the
 * database holds. */
int cycle_holds(const struct cycle *c, struct cycle_held *held,
		struct hs_err *e);

/* A held item's outcome: STOPPED, since when, why, and how to lift it. */
void cycle_held_outcome(const struct cycle_held *held,
			const struct plan_item *it, struct cycle_outcome *o);

/* ---- end of holds ---------------------------------------------------------- */

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
