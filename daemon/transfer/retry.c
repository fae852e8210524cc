/*
 * retry.c - exponential backoff with jitter, Retry-After, and mirror order.
 */
#include "retry.h"

#include <assert.h>

void retry_init(struct retry_state *s)
{
	size_t i;

	for (i = 0; i < RETRY_MAX_BASES; i++) {
		s->not_before[i] = 0;
		s->wrong[i] = false;
	}
	s->n_wrong = 0;
	s->attempts_done = 0;
	s->backoff_step = 0;
	s->base = 0;
	s->bases_failed = 0;
}

/*
 * Moves s->base to the next base that did not serve a wrong file; true when
 * that went round past the last base (a full round, or the only base).
 * With every base wrong, s->base stays.
 */
static bool retry_advance(const struct retry_policy *p, struct retry_state *s)
{
	const size_t from = s->base;
	size_t i;

	for (i = 1; i <= p->n_bases; i++) {
		const size_t b = (from + i) % p->n_bases;

		if (!s->wrong[b]) {
			s->base = b;
			return b <= from;
		}
	}
	return true;
}

void retry_rotate(const struct retry_policy *p, struct retry_state *s)
{
	(void)retry_advance(p, s);
}

/* initial * 2^step, capped, then "equal jitter": half fixed, half random. */
static uint32_t retry_backoff(const struct retry_policy *p, uint32_t step,
			      double jitter)
{
	uint64_t d = p->backoff_initial;
	uint32_t i;

	for (i = 0; i < step && d < p->backoff_max; i++)
		d *= 2;
	if (d > p->backoff_max)
		d = p->backoff_max;
	return (uint32_t)(d / 2 +
			  (uint64_t)((double)(d - d / 2) * jitter + 0.5));
}

enum retry_verdict retry_next(const struct retry_policy *p,
			      struct retry_state *s, int code, bool progress,
			      int64_t retry_after, double jitter, int64_t now,
			      uint32_t *ret_delay)
{
	const enum errmap_retry kind = errmap_retry(code);
	uint64_t delay = 0;
	bool stop;

	assert(p->n_bases > 0 && p->n_bases <= RETRY_MAX_BASES &&
	       p->attempts > 0);
	s->attempts_done++;
	if (progress)
		s->backoff_step = 0;
	if (retry_after >= 0)
		s->not_before[s->base] = now + retry_after;
	if (kind == ERRMAP_WRONG_FILE && !s->wrong[s->base]) {
		s->wrong[s->base] = true;
		s->n_wrong++;
	}
	if (kind == ERRMAP_NEXT_MIRROR) {
		s->bases_failed++;
		(void)retry_advance(p, s);
	} else if (kind == ERRMAP_TRANSIENT) {
		/* The next base gets its turn at once; after a full round (at
		 * once with a single base) the backoff is waited. */
		s->bases_failed = 0;
		if (retry_advance(p, s))
			delay = retry_backoff(p, s->backoff_step++, jitter);
	} else if (kind == ERRMAP_WRONG_FILE) {
		(void)retry_advance(p, s);
	}
	/* A base that said "Retry-After" is not asked before then. */
	if (s->not_before[s->base] > now &&
	    (uint64_t)(s->not_before[s->base] - now) > delay)
		delay = (uint64_t)(s->not_before[s->base] - now);
	/* A base with a wrong file counts as failed for good. */
	stop = kind == ERRMAP_FINAL || kind == ERRMAP_REFETCH ||
	       s->bases_failed + s->n_wrong >= p->n_bases ||
	       s->attempts_done >= p->attempts || delay > p->backoff_max;
	if (stop && retry_after > (int64_t)delay)
		delay = (uint64_t)retry_after;
	if (delay > UINT32_MAX)
		delay = UINT32_MAX;
	/* A later run waits at least the backoff, and never 0 seconds. */
	if (stop && delay == 0)
		delay = retry_backoff(p, s->backoff_step, jitter);
	if (stop && delay == 0)
		delay = 1;
	*ret_delay = (uint32_t)delay;
	return stop ? RETRY_STOP : RETRY_AGAIN;
}
