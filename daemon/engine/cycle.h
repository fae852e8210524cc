/*
 * cycle.h - one update attempt: check, download, verify, install, record.
 *
 * A cycle always ends in exactly one terminal state (state.h) with a reason,
 * recorded in the history: one row for the check itself when it ends before
 * any component (UP_TO_DATE, or a failure to fetch or verify the metadata),
 * and one row per component it tried to update.  Progress is reported
 * through a callback, so the --once mode prints it and the resident daemon
 * can forward it to its clients.
 *
 * The attempt reaches the network, the clock and the switch of what is
 * active through three small interfaces in its environment (struct
 * cycle_net, cycle_clock, cycle_installer), so a test drives whole attempts
 * with a server in memory, a clock that never sleeps and faults of its own
 * (tests/test_engine.c).  cycle_env_init() fills in the real ones:
 * transfer.h over libcurl, time(2) and nanosleep(2), install.h.  What the
 * attempt decides - the path of each component, what a failure means, the
 * terminal state and its line - is decide.h's, pure.
 */
#ifndef HAISHIN_CYCLE_H
#define HAISHIN_CYCLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "fetch.h"
#include "root.h"
#include "state.h"
#include "transfer.h"

#define CYCLE_REASON_MAX 512

/* One step of progress: component "" for the whole check. */
struct cycle_event {
	enum state state; /* a progress state: CHECKING ... WAITING */
	char component[HS_NAME_MAX + 1];
	char text[CYCLE_REASON_MAX];
	uint64_t done; /* DOWNLOADING: bytes so far */
	uint64_t total; /* DOWNLOADING: bytes in all */
	int64_t until; /* WAITING: when the wait ends */
};

/* Called at each progress step, from the thread that runs the cycle.
 * DOWNLOADING repeats with new byte counts, a few times a second. */
typedef void cycle_progress_fn(void *ctx, const struct cycle_event *ev);

/* What the attempt may install (schedule.h decides for scheduled ones). */
enum cycle_mode {
	CYCLE_ALL, /* every update */
	CYCLE_REQUIRED, /* forced and below-minimum updates; the rest waits */
	CYCLE_CHECK, /* none: check and report (automatic updates are off) */
};

/* The settings key holding when an install last asked for a reboot. */
#define CYCLE_SYSTEM_RESTART_KEY "system_restart_asked"

/* The settings key holding "STARTED TRIGGER" while an attempt (or a
 * rollback, rollback.h) runs: one left set was cut off (cycle_recover). */
#define CYCLE_RUNNING_KEY "attempt_running"

/*
 * The network.  env carries what a transfer needs besides the network - the
 * configuration (bases, retries, cache), the database (the journal), the
 * progress and wait callbacks, the cancel flag - and no fetch handle (NULL):
 * the real network keeps its own in ctx.
 */
struct cycle_net {
	/*
	 * Fetches job into its part file, resuming what the journal kept:
	 * transfer_run()'s contract.  On success *ret_part holds the verified
	 * file, which the caller frees or discards; on failure *ret_res says
	 * the state, the bytes kept and when to try again.
	 */
	int (*get_file)(void *ctx, const struct transfer_env *env,
			const struct transfer_job *job, struct part **ret_part,
			struct transfer_result *ret_res, struct hs_err *e);
	/*
	 * Fetches metadata of at most max bytes, conditional on have:
	 * transfer_buf_cond()'s contract.  1 for a 304; 0 with a malloc'ed
	 * body in *ret_buf, which the caller frees.
	 */
	int (*get_meta)(void *ctx, const struct transfer_env *env,
			const char *url, size_t max,
			const struct transfer_validators *have, char **ret_buf,
			size_t *ret_len, struct transfer_validators *ret_got,
			struct hs_err *e);
	void *ctx;
};

/* The clock. */
struct cycle_clock {
	int64_t (*now)(void *ctx); /* seconds since the epoch */
	/* Returns at until (a now() value), or soon after *cancel is set
	 * (cancel may be NULL). */
	void (*sleep_until)(void *ctx, int64_t until,
			    const atomic_bool *cancel);
	void *ctx;
};

/*
 * The two steps that change what is on disk and what is active, with
 * install.h's contracts: install_stage() (extract into NAME/VERSION,
 * without switching) and install_activate() (switch current to a version,
 * or remove it for ""), which every switch of an attempt goes through -
 * to the new version, and back.
 */
struct cycle_installer {
	int (*stage)(void *ctx, const char *root, const char *name,
		     const char *version, int pkg_fd, uint64_t *ret_bytes,
		     struct hs_err *e);
	int (*activate)(void *ctx, const char *root, const char *name,
			const char *version, struct hs_err *e);
	void *ctx;
};

/* The real ones.  fetch stays the caller's and must outlive the attempt. */
struct cycle_net cycle_net_transfer(struct fetch *fetch);
struct cycle_clock cycle_clock_system(void);
struct cycle_installer cycle_installer_disk(void);

struct cycle_env {
	const struct config *cfg;
	struct db *db;
	struct cycle_net net;
	struct cycle_clock clock;
	struct cycle_installer installer;
	const char *trigger; /* "once", "boot", "manual", ... */
	enum cycle_mode mode;
	/* CYCLE_REQUIRED, CYCLE_CHECK: what holds the rest back, which
	 * starts the reason of the STOPPED row for what waits. */
	const char *hold;
	cycle_progress_fn *progress;
	void *progress_ctx;
	const atomic_bool *cancel; /* set: stop soon, keeping what arrived */
	bool from_bundle; /* set by cycle_run_bundle: no server was reached */
};

/* The component that is haishin itself (docs/daemon.md, "haishin updates
 * itself"): its package holds sbin/haishind and bin/haishinctl. */
#define CYCLE_SELF "haishin"

struct cycle_result {
	enum state state;
	char reason[CYCLE_REASON_MAX];
	uint64_t bytes; /* bytes downloaded in this attempt */
	int64_t next_attempt; /* INTERRUPTED: when to try again, or 0 */
	/* The attempt switched CYCLE_SELF to this version and recorded it
	 * ("" when not): the daemon is to hand over to it, and restore
	 * handover_from ("" for none before) when it does not answer. */
	char handover[HS_VERSION_MAX + 1];
	char handover_from[HS_VERSION_MAX + 1];
};

/*
 * The root the client trusts now: the pinned one ([trust] root), or the
 * newer one an earlier check verified and kept in the state directory.  A
 * damaged kept copy is passed over (*ret_stored_damaged tells): the chain is
 * then walked again from the pinned root.  The caller frees *ret_root.
 */
int cycle_trusted_root(const struct config *cfg, struct root **ret_root,
		       bool *ret_stored_damaged, struct hs_err *e);

/* Room for cycle_manifest_keys()'s text. */
#define CYCLE_MANIFEST_KEYS_MAX (HS_ROLE_MAX_KEYS * 65 + 32)

/* The manifest role of r as text: "THRESHOLD KEYID KEYID...", ids sorted. */
void cycle_manifest_keys(const struct root *r, char *out, size_t n);

/*
 * Whether keys (cycle_manifest_keys() of the root trusted now) differ from
 * those that verified the last accepted manifest: 1 they do, and the
 * manifest serial starts over (fast-forward recovery); 0 they do not;
 * -ENOENT when none are recorded.
 */
int cycle_manifest_keys_differ(struct db *db, const char *keys);

/*
 * An attempt whose process was killed (kill -9, a crash, a power cut) never
 * recorded its end: this records it as INTERRUPTED.  Called at start, under
 * the state directory's lock, and puts back what the cut-off attempt left
 * half done (floor_repair): a component switched but not recorded is
 * switched back.  Returns 1 when it recorded one, 0 when there was none,
 * or an error.
 */
int cycle_recover(const struct config *cfg, struct db *db, struct hs_err *e);

/*
 * Clears *env and fills in cfg, db, the real network over fetch, the system
 * clock and the installer on disk; the caller sets the rest (trigger, mode,
 * progress, cancel).
 */
void cycle_env_init(struct cycle_env *env, const struct config *cfg,
		    struct db *db, struct fetch *fetch);

/* Runs one attempt and fills *ret.  Never fails: failures are states. */
void cycle_run(const struct cycle_env *env, struct cycle_result *ret);

/*
 * Runs one attempt from a pushed bundle read from fd (bundle.h) instead of
 * the server: the same checks, then the same install.  A bundle that cannot
 * be unpacked is FAILED_VERIFY, recorded like any attempt.
 */
void cycle_run_bundle(const struct cycle_env *env, int fd,
		      struct cycle_result *ret);

#endif
