/*
 * schedule.c - the schedule of automatic checks, and what blocks them.
 */
#include "schedule.h"

static const char *const block_names[SCHED_BLOCK_KINDS] = {
	[SCHED_DISABLED] = "disabled",
	[SCHED_QUIET_HOURS] = "quiet_hours",
	[SCHED_BOOT_DELAY] = "boot_delay",
	[SCHED_BACKOFF] = "backoff",
	[SCHED_LOW_DISK] = "low_disk",
	[SCHED_RESTART_PENDING] = "restart_pending",
};

const char *sched_block_name(enum sched_block_kind kind)
{
	return block_names[kind];
}

/* The due time of the plain schedule: boot delay, then the interval. */
static int64_t sched_due_plain(const struct sched_in *in)
{
	if (in->last_check == 0)
		return in->boot_due;
	return in->last_check + (int64_t)in->cfg->interval +
	       (int64_t)in->jitter;
}

/* A required update is due at once, then every SCHED_REQUIRED_RETRY; not
 * while automatic updates are off (that would only report more often). */
static int64_t sched_due_required(const struct sched_in *in)
{
	const int64_t retry = in->cfg->interval < SCHED_REQUIRED_RETRY
				      ? (int64_t)in->cfg->interval
				      : SCHED_REQUIRED_RETRY;

	if (!in->required_pending || !in->enabled)
		return INT64_MAX;
	return in->last_check == 0 ? in->now : in->last_check + retry;
}

int64_t sched_due(const struct sched_in *in)
{
	const int64_t plain = sched_due_plain(in);
	const int64_t required = sched_due_required(in);

	/* An attempt that broke off gave the time to go on: that, not the
	 * interval, is when the next check is due. */
	if (in->backoff_until > 0)
		return in->backoff_until;
	return required < plain ? required : plain;
}

bool sched_due_to_required(const struct sched_in *in)
{
	return in->backoff_until == 0 && in->now < sched_due_plain(in) &&
	       sched_due_required(in) <= in->now;
}

/* When the quiet hours that include now end, to the minute. */
static int64_t sched_quiet_end(const struct sched_in *in)
{
	const unsigned end = in->cfg->quiet_end;
	const unsigned left = (end + 1440 - in->local_minute) % 1440;

	return in->now + (int64_t)left * 60;
}

static void sched_add(struct sched_block *out, size_t *n,
		      enum sched_block_kind kind, int64_t until,
		      const char *reason)
{
	out[*n].kind = kind;
	out[*n].until = until;
	out[*n].reason = reason;
	(*n)++;
}

size_t sched_blocks(const struct sched_in *in,
		    struct sched_block out[SCHED_MAX_BLOCKS])
{
	size_t n = 0;

	if (!in->enabled)
		sched_add(out, &n, SCHED_DISABLED, 0, NULL);
	if (config_is_quiet_at(in->cfg, in->local_minute))
		sched_add(out, &n, SCHED_QUIET_HOURS, sched_quiet_end(in),
			  NULL);
	if (in->last_check == 0 && in->now < in->boot_due)
		sched_add(out, &n, SCHED_BOOT_DELAY, in->boot_due, NULL);
	if (in->now < in->backoff_until)
		sched_add(out, &n, SCHED_BACKOFF, in->backoff_until, NULL);
	if (in->low_disk)
		sched_add(out, &n, SCHED_LOW_DISK, 0, in->low_disk_why);
	if (in->restart_pending)
		sched_add(out, &n, SCHED_RESTART_PENDING, 0, in->restart_why);
	return n;
}

enum sched_run sched_decide(const struct sched_in *in)
{
	if (in->now < sched_due(in) || in->now < in->backoff_until ||
	    in->low_disk)
		return SCHED_RUN_NONE;
	if (!in->enabled)
		return SCHED_RUN_CHECK;
	if (config_is_quiet_at(in->cfg, in->local_minute) ||
	    in->restart_pending)
		return SCHED_RUN_REQUIRED;
	return SCHED_RUN_FULL;
}
