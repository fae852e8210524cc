/*
 * retry.h - what to do after a failed transfer attempt, as pure policy: no
 * clock, no sleeping, no I/O, so the --once loop and the resident daemon's
 * timers share it and tests drive it with plain numbers.
 *
 * What an error means (errmap.h's retry class, one table for the whole
 * download path):
 *  - transient (a drop, a stall, a refused connection, a 5xx, 429/503):
 *    the next base URL is tried at once, resuming the same file; after a
 *    full round of bases (at once, with a single base) the wait is an
 *    exponential backoff with jitter, or the server's Retry-After when that
 *    is longer;
 *  - per-mirror (DNS, TLS, 404, 401/403, a redirect loop): trying the same
 *    base again cannot help, so the next one is tried at once; when every
 *    base has failed so, the attempt ends;
 *  - wrong file (a size other than the signed one, endless data): that base
 *    has another file than the one signed; it is not asked again in this
 *    run, the next base is tried at once, and when no base is left the
 *    attempt ends;
 *  - refetch (a hash mismatch) and final (a local error such as a full
 *    disk, a shutdown): the attempt ends at once; the transfer itself
 *    fetches a mismatched file again before it asks (transfer.h).
 * Every base URL failing, or the attempts running out, ends the run.
 */
#ifndef HAISHIN_RETRY_H
#define HAISHIN_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmap.h"

struct retry_policy {
	uint32_t attempts; /* attempts per run, at least 1 */
	uint32_t backoff_initial; /* seconds before the first retry */
	uint32_t backoff_max; /* seconds; also the longest wait in a run */
	size_t n_bases; /* base URLs: the server and its mirrors */
};

#define RETRY_MAX_BASES 16

struct retry_state {
	int64_t not_before[RETRY_MAX_BASES]; /* per base: its Retry-After */
	uint32_t attempts_done;
	uint32_t backoff_step; /* transient failures since the last progress */
	size_t base; /* index of the base URL to use next */
	size_t bases_failed; /* bases that failed per-mirror, in a row */
	bool wrong[RETRY_MAX_BASES]; /* per base: it served a wrong file */
	size_t n_wrong; /* bases so marked */
};

enum retry_verdict {
	RETRY_AGAIN, /* try again after *ret_delay seconds */
	RETRY_STOP, /* give up for this run */
};

/* A fresh state for one download. */
void retry_init(struct retry_state *s);

/*
 * Moves s->base to the next base that has not served a wrong file (the
 * same one when it is the only one left).
 */
void retry_rotate(const struct retry_policy *p, struct retry_state *s);

/*
 * Records a failed attempt with error code; progress is true when that
 * attempt received bytes (which resets the backoff: the link works, it only
 * broke).  retry_after is the server's Retry-After in seconds, or -1: that
 * base is not asked again before it, whatever the order of the bases.
 * jitter is a number in [0, 1) from the caller's random source, now the
 * caller's clock (seconds).  On RETRY_AGAIN, *ret_delay is how long to wait
 * and s->base the base to use.  On RETRY_STOP, *ret_delay is how long until
 * a later run should retry.  s->base is never a base that served a wrong
 * file, unless every base did (then the verdict is RETRY_STOP).
 */
enum retry_verdict retry_next(const struct retry_policy *p,
			      struct retry_state *s, int code, bool progress,
			      int64_t retry_after, double jitter, int64_t now,
			      uint32_t *ret_delay);

#endif
