/*
 * decide.h - the decisions of an update attempt, beside plan.h: which path
 * each component takes (a delta from the kept base, or the full package),
 * what a failure means for the next step, the attempt's terminal state and
 * the one line a person reads.  Pure: no I/O, no clock.  The engine
 * (cycle.c, cycle_item.c) gathers the facts - the base kept in the cache, a
 * delta refused before, a transfer's result - asks, and acts; tests need
 * nothing but structs (tests/test_decide.c).
 *
 * Within one transfer, what an error means - try again, the next mirror, a
 * file fetched again from zero after a first hash mismatch, give up, and in
 * which state - is errmap.h's table.
 */
#ifndef HAISHIN_DECIDE_H
#define HAISHIN_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "proc.h"
#include "state.h"
#include "transfer.h"

#define DECIDE_WHY_MAX 256

/* The facts that choose a component's path. */
struct decide_path_in {
	const struct manifest_component *target;
	const char *from; /* the installed version, "" when none */
	bool update; /* an update of an older version (not an install or a
		      * downgrade): only then can a delta apply */
	bool deltas; /* [transfer] deltas */
	const char *base_sha256; /* of the tar kept as the base, "" none */
	const char *base_error; /* why the kept base cannot be read (a
				 * SHA-256 file cut short...), or NULL */
	const char *refused_sha256; /* of a delta that did not rebuild the
				     * tar when tried before, "" none */
};

/*
 * The delta to download, or NULL for the full package.  A delta is used
 * when it goes from the installed version by a known method, saves at
 * least a tenth of the package, the kept base is the tar it was made from,
 * and it was not refused before.  When one is offered but not used, why
 * (DECIDE_WHY_MAX bytes) says why in a person's words; it is "" when there
 * is nothing to say: no delta offered, deltas off, not an update, or one
 * that would save too little.  The result points into in->target.
 */
const struct manifest_delta *decide_path(const struct decide_path_in *in,
					 char *why);

/* What follows a failed step of a component. */
enum decide_next {
	DECIDE_GIVE_UP, /* the component ends on this failure */
	DECIDE_FULL, /* fall back to the full package, in the same attempt */
};

/*
 * After a delta's download failed (tr its result): a broken connection or
 * a busy server, whose bytes are kept for the next attempt, or a shutdown
 * or a fault of this terminal (which the full package would meet too),
 * give up; a server without the delta (a mirror without deltas, when no
 * other failure is to wait for) or a wrong delta falls back.
 */
enum decide_next decide_after_delta_download(const struct transfer_result *tr);

/* What a delta that did not apply (patch_apply()'s code) says about the
 * base and the delta; the component falls back to the full package. */
enum decide_blame {
	DECIDE_BLAME_NONE, /* a fault of this terminal: nothing against
			    * either */
	DECIDE_BLAME_BASE, /* -ESTALE: the kept base is not the delta's:
			    * forget it */
	DECIDE_BLAME_DELTA, /* -EBADMSG: it does not rebuild the manifest's
			     * tar: not tried again before the next version */
};

enum decide_blame decide_after_apply(int code);

/*
 * Whether a verified download whose install failed with code stays in the
 * cache, journaled as complete, for the next attempt to re-hash instead of
 * fetching it again: a full disk (-ENOSPC, -EDQUOT), which a person mends.
 * Any other failure forgets it.
 */
bool decide_keep_download(int code);

/* What the reason of a failed download tells, besides the error. */
struct decide_failure {
	enum state state;
	bool kept; /* "N of M bytes kept" */
	bool resumes; /* ", resumes at TIME" (INTERRUPTED) */
	bool active; /* what stays installed (decide_active_text()) */
	int64_t next_attempt; /* when trying again makes sense, or 0 */
};

/*
 * The outcome of a download that failed with tr: its state; the bytes kept
 * are told when there are some and they resume (INTERRUPTED), or wait for
 * a fault here to be mended or for haishind to run again; what stays
 * installed, except for a failure to connect or an interruption, which say
 * nothing about the install; a next attempt unless only a person (a local
 * fault) or a restart (a shutdown) can make one worthwhile.
 */
void decide_download_failed(const struct transfer_result *tr,
			    struct decide_failure *ret);

/* The facts of what is active after an install of a component failed. */
struct decide_active {
	const char *from; /* installed before, "" when none */
	const char *current_path; /* 'INSTALL/NAME/current' */
	/* Switching back: NULL when current was never switched or was
	 * switched back; else why switching back failed. */
	const char *back_failed;
	/* When back_failed: the version current points at, or NULL when
	 * that cannot be read; current_error then says why. */
	const char *current;
	const char *current_error;
	/* The component's name, when current was switched to the new version
	 * and then back (or removed, for a first install): the text then
	 * says so ("app 1.0 is active again"); NULL when it was never
	 * switched. */
	const char *switched_name;
};

/*
 * What stays after a failed install, for its reason (at most n bytes into
 * out): "the previous version is still active", "nothing was installed",
 * after a switch and a switch back "app 1.0 is active again" or "app has no
 * active version, as before", or, when switching back failed too, that
 * failure and what current really points at.
 */
void decide_active_text(const struct decide_active *a, char *out, size_t n);

/* The steps of an install that can fail once a package is verified
 * (docs/install.md), in their order. */
enum decide_step {
	DECIDE_STAGE, /* extracting into INSTALL/NAME/VERSION */
	DECIDE_PRE_INSTALL, /* .haishin/pre-install, before the switch */
	DECIDE_SWITCH, /* the atomic switch of current */
	DECIDE_RESTART, /* the [restart] command */
	DECIDE_POST_INSTALL, /* .haishin/post-install */
	DECIDE_HEALTH, /* .haishin/health, up to [install] health_tries */
	DECIDE_RECORD, /* the database's record of the install */
};

/* What one run of a hook or restart command means for its step. */
enum decide_hook_end {
	DECIDE_HOOK_PASSED,
	DECIDE_HOOK_AGAIN, /* health: failed, but tries are left: wait
			    * [install] health_interval and run it again */
	DECIDE_HOOK_FAILED, /* the step failed: switch back, FAILED_INSTALL,
			     * the version is not tried again */
	DECIDE_HOOK_STOPPED, /* haishind is shutting down: switch back,
			      * STOPPED, the version is tried again */
};

/*
 * What run number try (from 1) of step's program means: res its result, or
 * NULL when it could not be started (not executable...), which no retry
 * mends.  Only a health check is tried again, up to tries runs; a run
 * killed because haishind stops is STOPPED, whatever the step.
 */
enum decide_hook_end decide_hook(enum decide_step step,
				 const struct proc_result *res, uint32_t try,
				 uint32_t tries);

/*
 * Whether a failed step makes its versions "not tried again": a hook or
 * the restart command failed (the version is at fault), not a shutdown and
 * not a fault of this terminal (extracting, the switch, the record: a full
 * disk or a broken one, which a person mends).
 */
bool decide_records_failure(enum decide_step step, bool stopped);

/* What a failed step leaves to undo of one member of the step. */
enum decide_undo {
	DECIDE_UNDO_NOTHING, /* nothing of it was put in place */
	DECIDE_UNDO_UNSTAGE, /* staged, never switched: remove INSTALL/NAME/
			      * VERSION (never an active one) */
	DECIDE_UNDO_SWITCH_BACK, /* switched: current back to the previous
				  * version, its restart command again, then
				  * the new version's directory removed */
	DECIDE_UNDO_UNSWITCH, /* switched on a first install: current
			       * removed, the restart command again, the
			       * directory removed */
};

/* The facts of one member when its step failed. */
struct decide_member {
	const char *from; /* installed before, "" when none */
	bool staged; /* INSTALL/NAME/VERSION was put in place */
	bool switched; /* current was switched to it */
};

/* Which undo a member of a failed step needs: every switched member is
 * switched back, every staged one removed. */
enum decide_undo decide_undo(const struct decide_member *m);

/* The facts of a failed step, for its reason. */
struct decide_install_failure {
	enum decide_step step;
	const char *name; /* the member whose step failed */
	const char *version;
	const char *detail; /* proc_describe()'s text, or the error */
	uint32_t tries; /* DECIDE_HEALTH: the runs made */
	bool stopped; /* cut short because haishind is shutting down */
};

/*
 * The cause of a failed install (at most n bytes into out): "pre-install
 * of app 2.0 failed: exit status 3: LINE", "health check of app 2.0
 * failed after 3 tries: exit status 1: LINE", "the restart command of app
 * 2.0 failed: ...", "switching app to 2.0 failed: ...", "stopped: haishind
 * is shutting down during the health check of app 2.0", ...  What is
 * active then is told after it (decide_active_text()).
 */
void decide_install_cause(const struct decide_install_failure *f, char *out,
			  size_t n);

/*
 * The cause for another member of the failed step's set: "reverted with
 * its set 'till': CAUSE" when it had been switched, "not installed with its
 * set 'till': CAUSE" when not.
 */
void decide_set_cause(const char *set, bool switched, const char *cause,
		      char *out, size_t n);

/* One member of a step as the plan sees it: the version the manifest names
 * and the one that failed to install before ("" none). */
struct decide_retry {
	const char *version;
	const char *failed_version;
};

/*
 * Whether a step (one component, or the members of a set that need an
 * update) is not tried: every member's version is the one that failed
 * before.  A newer version of any member tries the whole step again.
 */
bool decide_not_retried(const struct decide_retry *v, size_t n);

/*
 * The FAILED_INSTALL reason of a member not tried again (at most n bytes
 * into out): "app 2.0 is not tried again: its install failed at TIME
 * (REASON); waiting for a newer version".
 */
void decide_not_retried_text(const char *name, const char *version,
			     const char *failed_reason, int64_t failed_at,
			     char *out, size_t n);

/*
 * The state of an installed component: COMPLETED, unless its entry asks
 * for a restart that haishin did not do: "app" without a [restart] command
 * that ran (restarted false), or "system".
 */
enum state decide_installed_state(enum manifest_restart restart,
				  bool restarted);

/* One component's outcome, or the check's, or what waits. */
struct decide_outcome {
	enum state state; /* a terminal state */
	const char *component; /* "" for the check or what waits */
	const char *reason;
	bool waits; /* held back by the mode (quiet hours, off): what waits */
};

/* The attempt's terminal state: the most severe of v[0..n) (state.h's
 * order); n >= 1. */
enum state decide_state(const struct decide_outcome *v, size_t n);

/*
 * The attempt's line (at most len bytes into out): what failed first, the
 * most severe first, each with its reason and, when the line tells more
 * than one outcome, its component's name ("app: ..."); then what was
 * installed, the most severe first (a restart asked before none); then what
 * waits.  Outcomes of one rank keep their order; parts are joined by "; ".
 * n >= 1.
 */
void decide_line(const struct decide_outcome *v, size_t n, char *out,
		 size_t len);

#endif
