/*
 * worker.h - one update attempt in a thread of its own, so the daemon's
 * loop (control socket, timers, signals) stays responsive while it
 * downloads and installs.  The worker opens its own database connection and
 * libcurl handle, runs cycle_run(), and hands its progress and its result
 * to the loop through a queue of WORKER_QUEUE events (struct worker_queue)
 * and an eventfd the loop polls.  The worker never waits for the loop: a
 * full queue makes room by dropping progress, which the next DOWNLOADING
 * event supersedes anyway, before it drops a change of state.
 */
#ifndef HAISHIN_WORKER_H
#define HAISHIN_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "cycle.h"
#include "hs_err.h"

#define WORKER_QUEUE 64

/*
 * The events not yet taken by the loop, oldest first.  A DOWNLOADING event
 * replaces the last one queued when that is a DOWNLOADING event of the same
 * component.  When all WORKER_QUEUE places are taken, the oldest
 * DOWNLOADING event makes room, or the oldest event when none is queued.
 */
struct worker_queue {
	struct cycle_event ev[WORKER_QUEUE];
	size_t n;
};

/* Queues ev as above. */
void worker_queue_push(struct worker_queue *q, const struct cycle_event *ev);

/* Moves up to n of the oldest events into out; returns how many. */
size_t worker_queue_take(struct worker_queue *q, struct cycle_event *out,
			 size_t n);

struct worker;

/* Makes an idle worker; the caller frees it with worker_free(). */
int worker_new(struct worker **ret_w, struct hs_err *e);

/* The eventfd that becomes readable when events or the result arrive. */
int worker_fd(const struct worker *w);

/* What to start: the trigger names it in the history ("boot", "schedule",
 * "manual", "forced"); mode and hold are cycle_env's. */
struct worker_job {
	const char *trigger;
	enum cycle_mode mode;
	const char *hold; /* NULL for CYCLE_ALL */
	int bundle_fd; /* a pushed bundle to read instead of the server, or
			* -1; the worker owns it from worker_start() on, even
			* when that fails */
	/* A rollback by hand (rollback.h) instead of an update: the
	 * component, and the version to go to ("" or NULL: the previous
	 * one).  NULL for an update. */
	const char *rollback;
	const char *rollback_version;
};

/* Starts an attempt with a copy of cfg and job.  -EBUSY while one runs. */
int worker_start(struct worker *w, const struct config *cfg,
		 const struct worker_job *job, struct hs_err *e);

bool worker_running(const struct worker *w);

/*
 * Moves up to n queued events into out and returns how many.  When the
 * attempt has ended and every event was taken, *ret_done is set, *ret_res
 * gets the result and the thread is joined: the worker is idle again.
 * The events are those of struct worker_queue.
 */
size_t worker_drain(struct worker *w, struct cycle_event *out, size_t n,
		    bool *ret_done, struct cycle_result *ret_res);

/* The latest progress event of the running attempt; false when idle. */
bool worker_progress(struct worker *w, struct cycle_event *ret);

/* Asks the attempt to stop soon, keeping what arrived. */
void worker_cancel(struct worker *w);

/* Cancels and joins a running attempt, then releases w; NULL is allowed. */
void worker_free(struct worker *w);

#endif
