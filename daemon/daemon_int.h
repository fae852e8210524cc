/*
 * daemon_int.h - what the two files of haishind share: struct daemon (the
 * one state the loop passes around), what a client is waiting for, and the
 * functions one file calls in the other.
 *
 * daemon.c holds the event loop, start and stop, signals, the schedule's
 * ticks and the plumbing of the worker and diagnosis threads; daemon_cmd.c
 * the control requests' handlers and their JSON encoding.  Nothing outside
 * these files includes this header: daemon.h is the module's interface.
 */
#ifndef HAISHIN_DAEMON_INT_H
#define HAISHIN_DAEMON_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "ctlserver.h"
#include "cycle.h"
#include "diag.h"
#include "handover.h"
#include "hs_limits.h"
#include "worker.h"

#define DAEMON_VERSION "0.1.0"

struct sched_in;
struct signals;

/* What a client is owed (struct ctl_client's waiting). */
enum waiting {
	WAIT_NONE,
	WAIT_ATTEMPT, /* download-now: events, then the end line */
	WAIT_DIAG, /* check-connection */
};

/* The facts of the schedule that reading may fail to establish. */
enum daemon_fact {
	DAEMON_FACT_ENABLED, /* the enable/disable setting */
	DAEMON_FACT_DISK, /* the cache's free space */
	DAEMON_FACT_RESTART, /* whether a reboot is pending */
	DAEMON_FACTS
};

struct daemon {
	char config_path[PATH_MAX];
	struct config cfg;
	struct db *db;
	struct worker *worker;
	struct ctl_server ctl;
	/* Why the state database cannot be trusted (floor.h): lost, emptied,
	 * older than the install, or damaged (db NULL then).  While it is
	 * set nothing is updated and status says STOPPED with it. */
	char damaged[CYCLE_REASON_MAX];
	struct signals *sig; /* stop and reload requests (signals.h) */
	int lock_fd;
	bool stop;
	/* The schedule's memory. */
	int64_t boot_due;
	int64_t last_check;
	uint32_t jitter;
	int64_t backoff_until;
	bool rollback_running; /* the attempt under way is a rollback by hand,
				* whose end leaves the schedule as it is */
	/* Why a fact the schedule needs cannot be read now ("" when it can),
	 * as last logged: each change is logged once. */
	char unknown[DAEMON_FACTS][CYCLE_REASON_MAX];
	/* The download rate, measured over the current component. */
	char rate_component[HS_NAME_MAX + 1];
	uint64_t rate_done0;
	struct timespec rate_t0;
	/* check-connection runs in a thread of its own. */
	pthread_t diag_thread;
	bool diag_running;
	atomic_bool diag_cancel;
	int diag_efd;
	struct config diag_cfg;
	struct diag_report diag;
	/* haishin updating itself: who this daemon is, and the hand-over it
	 * takes part in (handover.h). */
	struct handover_self ho;
};

/* ---- daemon.c ----------------------------------------------------------- */

/* Automatic updates: the run-time setting (enable/disable) wins over the
 * configuration.  Fills reason (n bytes) when they are off; a setting that
 * cannot be read counts as off, the reason saying so. */
bool daemon_enabled(struct daemon *d, char *reason, size_t n);

/* Fills the schedule's inputs as of now; reason as daemon_enabled(). */
void daemon_sched_in(struct daemon *d, struct sched_in *in, char *reason,
		     size_t n);

/* Starts an attempt in the worker; 0, or a negative errno logged here. */
int daemon_start_attempt(struct daemon *d, const struct worker_job *job);

/* The last verified manifest, kept by the cycle in the state directory
 * (parsed, not verified again), or NULL.  The caller frees it. */
struct manifest *daemon_manifest(const struct daemon *d);

/* Starts the diagnosis thread on a copy of the configuration: 0, or a
 * negative errno when the thread cannot start.  Its end is signalled on
 * d->diag_efd. */
int daemon_diag_start(struct daemon *d);

/* Answers what the operating system asked for (signals.h): a stop request
 * sets d->stop, a reload request reloads the configuration. */
void daemon_signal(struct daemon *d);

/*
 * Stops serving for a hand-over: ends a running diagnosis (its clients get
 * their end line), sends the clients what is queued for them (waiting at
 * most a few seconds), closes them and the control socket, and lets go of
 * the state directory's lock.
 */
void daemon_quiesce(struct daemon *d);

/*
 * Takes the state directory's lock again (waiting a few seconds for a
 * killed process to let go of it) and, with listen, the control socket.
 * 0, or a negative errno with e set.
 */
int daemon_retake(struct daemon *d, bool listen, struct hs_err *e);

/* ---- daemon_cmd.c ------------------------------------------------------- */

/* Sends a JSON object (which may be NULL) as one line and frees it; end
 * closes the client once it is sent. */
void daemon_send_json(struct ctl_client *c, json_t *j, bool end);

/* A refusal: code is one of ctlproto.h's CTL_ERR_*, error a person's text. */
void daemon_send_error(struct ctl_client *c, const char *code,
		       const char *error);

/* Adds "type": "end" and, unless the object has one, "ok": true to a result
 * object and sends it. */
void daemon_send_end(struct ctl_client *c, json_t *j);

/* An event as the protocol shows it (a new reference, or NULL). */
json_t *daemon_json_event(struct daemon *d, const struct cycle_event *ev);

/* check-connection's end line, without "type" and "ok". */
json_t *daemon_json_diag(const struct diag_report *rep);

/* Whether the peer uid/gid may change state: root, the daemon's own user,
 * a member of [control] admin_group. */
bool daemon_may_change(const struct daemon *d, uid_t uid, gid_t gid);

/* Answers the request line in c->in. */
void daemon_request(struct daemon *d, struct ctl_client *c);

#endif
