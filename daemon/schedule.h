/*
 * schedule.h - when the next scheduled check is due, and what is holding an
 * update back right now.  Pure: the caller passes the clock and everything
 * it knows; nothing here reads a clock, a file or the database, so every
 * trigger (boot, interval, a forced update later) is a plain function of
 * its inputs, and tests need nothing but structs.
 *
 * Scheduled checks: the first at start + a random delay of up to
 * boot_delay_max, then every interval plus a random jitter, never before a
 * backoff set by the last attempt.  A manual download-now is not scheduled:
 * it runs at once, whatever holds scheduled work back.
 *
 * A required update (forced, or a component below its minimum, as the last
 * verified manifest says) does not wait for the boot delay or the interval:
 * it is due at once, and again every SCHED_REQUIRED_RETRY seconds until it
 * is in.  What a due check may do depends on what holds updates back:
 * automatic updates off — check and report only; quiet hours or a pending
 * reboot — install the required updates only; a backoff or a full disk —
 * wait.
 *
 * A fact the caller could not read (the cache's free space, whether a
 * reboot is pending) is passed as true with a reason: the careful answer
 * holds updates back, and the reason says why it is not known.
 */
#ifndef HAISHIN_SCHEDULE_H
#define HAISHIN_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum sched_block_kind {
	SCHED_DISABLED, /* automatic updates are off */
	SCHED_QUIET_HOURS, /* until the end of the quiet hours */
	SCHED_BOOT_DELAY, /* until the first check after start */
	SCHED_BACKOFF, /* until the time the last attempt gave */
	SCHED_LOW_DISK, /* the cache has too little free space */
	SCHED_RESTART_PENDING, /* an installed update waits for a reboot */
	SCHED_BLOCK_KINDS
};

#define SCHED_MAX_BLOCKS SCHED_BLOCK_KINDS
#define SCHED_REQUIRED_RETRY 900 /* seconds between tries of a required one */

/* What a scheduled check may do now. */
enum sched_run {
	SCHED_RUN_NONE, /* nothing is due, or it must wait */
	SCHED_RUN_FULL, /* check, and install every update */
	SCHED_RUN_REQUIRED, /* check, install only the required updates */
	SCHED_RUN_CHECK, /* check and report; install nothing */
};

struct sched_block {
	enum sched_block_kind kind;
	int64_t until; /* seconds since the epoch; 0 when not known */
	const char *reason; /* why a fact is not known (sched_in's), or NULL */
};

struct sched_in {
	const struct config *cfg;
	int64_t now;
	unsigned local_minute; /* minute of the day at now, local time */
	bool enabled; /* automatic updates (config and disable) */
	int64_t boot_due; /* start + the boot delay drawn at start */
	int64_t last_check; /* when the last scheduled check began; 0 */
	uint32_t jitter; /* seconds added to the interval, drawn anew */
	int64_t backoff_until; /* 0 when none */
	bool low_disk; /* the cache has too little free space */
	bool restart_pending; /* an installed update waits for a reboot */
	/* NULL, or why low_disk or restart_pending is not known but taken
	 * as true (the caller's string, kept while in is used). */
	const char *low_disk_why;
	const char *restart_why;
	bool required_pending; /* a required update is known and not in */
};

/* When the next scheduled check is due (it may be in the past). */
int64_t sched_due(const struct sched_in *in);

/*
 * Fills out with what holds a scheduled update back at in->now, in the
 * order of enum sched_block_kind; returns how many.
 */
size_t sched_blocks(const struct sched_in *in,
		    struct sched_block out[SCHED_MAX_BLOCKS]);

/* What a scheduled check may do at in->now. */
enum sched_run sched_decide(const struct sched_in *in);

/* True when the check is due only because a required update waits. */
bool sched_due_to_required(const struct sched_in *in);

/* "disabled", "quiet_hours", ... as status reports them. */
const char *sched_block_name(enum sched_block_kind kind);

#endif
