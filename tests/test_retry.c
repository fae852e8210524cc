/*
 * test_retry.c - the retry policy: backoff with jitter, Retry-After, mirror
 * rotation, the end of a run, and the invariants every verdict keeps over
 * long random sequences.  The class of each error is errmap.h's
 * (test_errmap.c).
 */
#include "testutil.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "retry.h"

static void test_init(void **state)
{
	struct retry_state s;

	(void)state;
	memset(&s, 0x5a, sizeof(s));
	retry_init(&s);
	assert_int_equal(s.attempts_done, 0);
	assert_int_equal(s.backoff_step, 0);
	assert_int_equal(s.base, 0);
	assert_int_equal(s.bases_failed, 0);
	assert_int_equal(s.n_wrong, 0);
	assert_false(s.wrong[0]);
	assert_false(s.wrong[RETRY_MAX_BASES - 1]);
}

/* One failed attempt and what retry_next must answer. */
struct step {
	int code;
	bool progress;
	int64_t retry_after;
	double jitter;
	enum retry_verdict verdict;
	uint32_t delay_min; /* *ret_delay within [delay_min, delay_max] */
	uint32_t delay_max;
	size_t base; /* s->base afterwards */
};

#define MAX_STEPS 12

struct scenario {
	const char *name;
	struct retry_policy policy;
	struct step steps[MAX_STEPS]; /* ends at the first code 0 */
};

#define NEAR_1 0.999999
#define AGAIN(code, ra, jit, d, base)                                     \
	{                                                                 \
		(code), false, (ra), (jit), RETRY_AGAIN, (d), (d), (base) \
	}
#define AGAIN_P(code, ra, jit, d, base)                                  \
	{                                                                \
		(code), true, (ra), (jit), RETRY_AGAIN, (d), (d), (base) \
	}
#define AGAIN_IN(code, jit, lo, hi)                                  \
	{                                                            \
		(code), false, -1, (jit), RETRY_AGAIN, (lo), (hi), 0 \
	}
#define STOP(code, ra, jit, d, base)                                     \
	{                                                                \
		(code), false, (ra), (jit), RETRY_STOP, (d), (d), (base) \
	}
#define STOP_IN(code, ra, lo, hi, base)                                  \
	{                                                                \
		(code), false, (ra), 0.0, RETRY_STOP, (lo), (hi), (base) \
	}

/* {attempts, backoff_initial, backoff_max, n_bases} */
#define POLICY(a, i, m, n)         \
	{                          \
		(a), (i), (m), (n) \
	}

static const struct scenario scenarios[] = {
	{"backoff doubles; jitter 0 gives the lower half, capped",
	 POLICY(20, 2, 120, 1),
	 {AGAIN(-ECONNRESET, -1, 0.0, 1, 0), AGAIN(-ECONNRESET, -1, 0.0, 2, 0),
	  AGAIN(-ETIMEDOUT, -1, 0.0, 4, 0), AGAIN(-ECONNRESET, -1, 0.0, 8, 0),
	  AGAIN(-EREMOTEIO, -1, 0.0, 16, 0), AGAIN(-ECONNRESET, -1, 0.0, 32, 0),
	  AGAIN(-ECONNREFUSED, -1, 0.0, 60, 0),
	  AGAIN(-ECONNRESET, -1, 0.0, 60, 0), AGAIN(-EAGAIN, -1, 0.0, 60, 0)}},
	{"jitter near 1 reaches the full backoff, never above it",
	 POLICY(20, 2, 120, 1),
	 {AGAIN_IN(-ECONNRESET, NEAR_1, 1, 2),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 3, 4),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 7, 8),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 15, 16),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 31, 32),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 63, 64),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 119, 120),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 119, 120)}},
	{"jitter 0.5: half fixed, half random",
	 POLICY(20, 2, 120, 1),
	 {AGAIN_IN(-EAGAIN, 0.5, 1, 2), AGAIN_IN(-EAGAIN, 0.5, 3, 3),
	  AGAIN_IN(-EAGAIN, 0.5, 6, 6), AGAIN_IN(-EAGAIN, 0.5, 12, 12),
	  AGAIN_IN(-EAGAIN, 0.5, 24, 24), AGAIN_IN(-EAGAIN, 0.5, 48, 48),
	  AGAIN_IN(-EAGAIN, 0.5, 90, 90)}},
	{"a small backoff_max caps every delay",
	 POLICY(20, 2, 10, 1),
	 {AGAIN(-ECONNRESET, -1, 0.0, 1, 0), AGAIN(-ECONNRESET, -1, 0.0, 2, 0),
	  AGAIN(-ECONNRESET, -1, 0.0, 4, 0), AGAIN(-ECONNRESET, -1, 0.0, 5, 0),
	  AGAIN_IN(-ECONNRESET, NEAR_1, 9, 10)}},
	{"progress resets the backoff",
	 POLICY(20, 2, 120, 1),
	 {AGAIN(-ECONNRESET, -1, 0.0, 1, 0), AGAIN(-ECONNRESET, -1, 0.0, 2, 0),
	  AGAIN(-ECONNRESET, -1, 0.0, 4, 0),
	  AGAIN_P(-ECONNRESET, -1, 0.0, 1, 0), AGAIN(-ETIMEDOUT, -1, 0.0, 2, 0),
	  AGAIN_P(-ETIMEDOUT, -1, 0.0, 1, 0),
	  AGAIN_P(-ETIMEDOUT, -1, 0.0, 1, 0)}},
	{"progress on a mirror error resets the backoff too",
	 POLICY(20, 2, 120, 2),
	 {AGAIN(-ECONNRESET, -1, 0.0, 0, 1), AGAIN(-ECONNRESET, -1, 0.0, 1, 0),
	  AGAIN(-ECONNRESET, -1, 0.0, 0, 1), AGAIN(-ECONNRESET, -1, 0.0, 2, 0),
	  AGAIN_P(-ENOENT, -1, 0.0, 0, 1), AGAIN(-ECONNRESET, -1, 0.0, 1, 0)}},
	{"Retry-After longer than the backoff is honoured",
	 POLICY(20, 2, 120, 1),
	 {AGAIN(-EAGAIN, 30, 0.0, 30, 0), AGAIN(-EAGAIN, 1, 0.0, 2, 0),
	  AGAIN(-EAGAIN, 0, 0.0, 4, 0), AGAIN(-EAGAIN, 8, 0.0, 8, 0),
	  AGAIN(-EAGAIN, 120, 0.0, 120, 0), STOP(-EAGAIN, 121, 0.0, 121, 0)}},
	{"Retry-After above backoff_max stops and is the next run's wait",
	 POLICY(20, 2, 120, 1),
	 {STOP(-EAGAIN, 3600, 0.0, 3600, 0)}},
	{"a busy server hands over to the next base at once",
	 POLICY(20, 2, 120, 3),
	 {AGAIN(-EAGAIN, 3600, 0.0, 0, 1), AGAIN(-ECONNREFUSED, -1, 0.0, 0, 2),
	  STOP(-EAGAIN, 3600, 0.0, 3600, 0)}},
	{"a base is not asked again before its Retry-After",
	 POLICY(20, 2, 120, 2),
	 {AGAIN(-EAGAIN, 10, 0.0, 0, 1), AGAIN(-ENOENT, -1, 0.0, 10, 0)}},
	{"the last attempt's Retry-After is the next run's wait",
	 POLICY(2, 2, 120, 3),
	 {AGAIN(-ECONNRESET, -1, 0.0, 0, 1), STOP(-EAGAIN, 60, 0.0, 60, 2)}},
	{"Retry-After beyond 32 bits is cut to the largest delay",
	 POLICY(20, 2, 120, 1),
	 {STOP(-EREMOTEIO, ((int64_t)1 << 40) + 5, 0.0, UINT32_MAX, 0)}},
	{"attempts run out",
	 POLICY(3, 2, 120, 1),
	 {AGAIN(-ECONNRESET, -1, 0.0, 1, 0), AGAIN(-ECONNRESET, -1, 0.0, 2, 0),
	  STOP_IN(-ECONNRESET, -1, 1, 120, 0)}},
	{"one attempt: the first failure stops",
	 POLICY(1, 2, 120, 3),
	 {STOP_IN(-ECONNRESET, -1, 1, 120, 1)}},
	{"a mirror error tries the next base at once; all failed stops",
	 POLICY(20, 2, 120, 3),
	 {AGAIN(-ENOENT, -1, 0.0, 0, 1), AGAIN(-EPROTO, -1, 0.0, 0, 2),
	  STOP_IN(-EHOSTUNREACH, -1, 1, 120, 0)}},
	{"transient and mirror errors rotate; a full round waits",
	 POLICY(20, 2, 120, 2),
	 {AGAIN(-ECONNRESET, -1, 0.0, 0, 1), AGAIN(-ECONNRESET, -1, 0.0, 1, 0),
	  AGAIN(-ELOOP, -1, 0.0, 0, 1), AGAIN(-ECONNRESET, -1, 0.0, 2, 0),
	  AGAIN(-ERANGE, -1, 0.0, 0, 1), AGAIN(-ECONNRESET, -1, 0.0, 4, 0)}},
	{"a transient error in between resets the bases failed",
	 POLICY(20, 2, 120, 3),
	 {AGAIN(-ENOENT, -1, 0.0, 0, 1), AGAIN(-ENOENT, -1, 0.0, 0, 2),
	  AGAIN(-ECONNRESET, -1, 0.0, 1, 0), AGAIN(-ELOOP, -1, 0.0, 0, 1),
	  AGAIN(-ERANGE, -1, 0.0, 0, 2), STOP_IN(-ENOENT, -1, 1, 120, 0)}},
	{"one base: a mirror error stops at once",
	 POLICY(20, 2, 120, 1),
	 {STOP_IN(-ENOENT, -1, 1, 120, 0)}},
	{"a wrong file: the next base at once, that base never again",
	 POLICY(20, 2, 120, 3),
	 {AGAIN(-EMSGSIZE, -1, 0.0, 0, 1), AGAIN(-ECONNRESET, -1, 0.0, 0, 2),
	  AGAIN(-ECONNRESET, -1, 0.0, 1, 1), AGAIN(-ENOENT, -1, 0.0, 0, 2),
	  AGAIN(-ECONNRESET, -1, 0.0, 2, 1)}},
	{"a wrong file on every base stops",
	 POLICY(20, 2, 120, 2),
	 {AGAIN(-EMSGSIZE, -1, 0.0, 0, 1), STOP_IN(-EFBIG, -1, 1, 120, 1)}},
	{"one base with a wrong file stops at once",
	 POLICY(20, 2, 120, 1),
	 {STOP_IN(-EMSGSIZE, -1, 1, 120, 0)}},
	{"a wrong file and the other bases lacking it stop",
	 POLICY(20, 2, 120, 3),
	 {AGAIN(-ENOENT, -1, 0.0, 0, 1), AGAIN(-EMSGSIZE, -1, 0.0, 0, 2),
	  STOP_IN(-ENOENT, -1, 1, 120, 0)}},
	{"a wrong file after mirror errors: the rest still get their turn",
	 POLICY(20, 2, 120, 4),
	 {AGAIN(-EMSGSIZE, -1, 0.0, 0, 1), AGAIN(-ENOENT, -1, 0.0, 0, 2),
	  AGAIN(-EPROTO, -1, 0.0, 0, 3), STOP_IN(-ENOENT, -1, 1, 120, 1)}},
	{"a final error stops at once (-ENOSPC)",
	 POLICY(20, 2, 120, 3),
	 {AGAIN(-ECONNRESET, -1, 0.0, 0, 1), STOP_IN(-ENOSPC, -1, 1, 120, 1)}},
	{"a final error stops at once (-EIO)",
	 POLICY(20, 2, 120, 3),
	 {AGAIN(-ENOENT, -1, 0.0, 0, 1), STOP_IN(-EIO, -1, 1, 120, 1)}},
	{"backoff_initial 0 retries at once; stops still wait",
	 POLICY(4, 0, 120, 1),
	 {AGAIN(-ECONNRESET, -1, 0.0, 0, 0),
	  AGAIN(-ETIMEDOUT, -1, NEAR_1, 0, 0), AGAIN(-EAGAIN, -1, 0.5, 0, 0),
	  STOP_IN(-ECONNRESET, -1, 1, 120, 0)}},
	{"backoff_initial 0: a mirror error on the only base stops, waits",
	 POLICY(4, 0, 120, 1),
	 {STOP_IN(-ENOENT, -1, 1, 120, 0)}},
	{"backoff_initial 0: a final error stops, waits",
	 POLICY(4, 0, 120, 1),
	 {STOP_IN(-EIO, -1, 1, 120, 0)}},
	{"backoff_initial 0 and max 0: stops still wait",
	 POLICY(1, 0, 0, 1),
	 {STOP_IN(-ECONNRESET, -1, 1, UINT32_MAX, 0)}},
};

/* Runs one scenario; reports each step that differs. */
static void run_scenario(const struct scenario *sc, size_t *bad)
{
	struct retry_state s;
	size_t i;

	retry_init(&s);
	for (i = 0; i < MAX_STEPS && sc->steps[i].code != 0; i++) {
		const struct step *st = &sc->steps[i];
		uint32_t delay = 0xdeadbeef;
		const enum retry_verdict v =
			retry_next(&sc->policy, &s, st->code, st->progress,
				   st->retry_after, st->jitter, 1000, &delay);

		if (v != st->verdict || delay < st->delay_min ||
		    delay > st->delay_max || s.base != st->base) {
			tu_report_bad(bad,
				      "%s: step %zu (code %d): got %s %u base "
				      "%zu, want %s %u..%u base %zu",
				      sc->name, i + 1, st->code,
				      v == RETRY_AGAIN ? "again" : "stop",
				      delay, s.base,
				      st->verdict == RETRY_AGAIN ? "again"
								 : "stop",
				      st->delay_min, st->delay_max, st->base);
			return;
		}
	}
}

static void test_scenarios(void **state)
{
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(scenarios); i++)
		run_scenario(&scenarios[i], &bad);
	assert_int_equal(bad, 0);
}

/* A small deterministic generator, so a failure repeats. */
static uint32_t lcg_next(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*x >> 33);
}

static const int random_codes[] = {
	-ECONNRESET, -ETIMEDOUT,    -ECONNREFUSED, -EREMOTEIO,
	-EAGAIN,     -EHOSTUNREACH, -EPROTO,	   -ENOENT,
	-ELOOP,	     -ERANGE,	    -EFBIG,	   -ENOSPC,
	-EIO,	     -EMSGSIZE,	    -EBADMSG,	   -ECANCELED,
};

static const struct retry_policy random_policies[] = {
	POLICY(1, 2, 120, 1), POLICY(5, 2, 120, 1), POLICY(10, 2, 120, 3),
	POLICY(30, 1, 60, 4), POLICY(8, 0, 30, 2),  POLICY(50, 5, 300, 5),
	POLICY(6, 10, 5, 2),
};

struct rand_step {
	int code;
	bool progress;
	int64_t retry_after;
	double jitter;
};

static struct rand_step rand_step(uint64_t *x)
{
	struct rand_step r;

	r.code = random_codes[lcg_next(x) % TU_ARRAY_SIZE(random_codes)];
	r.progress = lcg_next(x) % 4 == 0;
	r.retry_after =
		lcg_next(x) % 3 == 0 ? (int64_t)(lcg_next(x) % 400) : -1;
	r.jitter = (double)(lcg_next(x) % 1000000) / 1000000.0;
	return r;
}

/* The base after from that has not served a wrong file, or from. */
static size_t next_right_base(const struct retry_policy *p,
			      const struct retry_state *s, size_t from)
{
	size_t i;

	for (i = 1; i <= p->n_bases; i++)
		if (!s->wrong[(from + i) % p->n_bases])
			return (from + i) % p->n_bases;
	return from;
}

/* Checks one verdict against what holds for every input. */
static void check_verdict(const struct retry_policy *p, size_t prev_base,
			  const struct retry_state *s,
			  const struct rand_step *r, enum retry_verdict v,
			  uint32_t delay, size_t *bad)
{
	const enum errmap_retry k = errmap_retry(r->code);
	const bool ends = k == ERRMAP_FINAL || k == ERRMAP_REFETCH;
	const size_t want_base =
		!ends ? next_right_base(p, s, prev_base) : prev_base;
	/* A base is not asked before its Retry-After; a stop waits for the
	 * last one. */
	const int64_t ahead = s->not_before[s->base] - 1000;
	if (v == RETRY_AGAIN && delay > p->backoff_max)
		tu_report_bad(bad, "again after %u s, above max %u", delay,
			      p->backoff_max);
	if (v == RETRY_AGAIN && ends)
		tu_report_bad(bad, "again after final error %d", r->code);
	if (v == RETRY_AGAIN && s->wrong[s->base])
		tu_report_bad(bad, "again on base %zu, which has a wrong file",
			      s->base);
	if (v == RETRY_AGAIN && s->attempts_done >= p->attempts)
		tu_report_bad(bad, "again after %u of %u attempts",
			      s->attempts_done, p->attempts);
	if (v == RETRY_STOP && delay == 0)
		tu_report_bad(bad, "stop with a delay of 0 (code %d)", r->code);
	if (v == RETRY_STOP && r->retry_after >= 0 && delay < r->retry_after)
		tu_report_bad(bad, "stop after %u s, below Retry-After %lld",
			      delay, (long long)r->retry_after);
	if (v == RETRY_AGAIN && ahead > 0 && delay < ahead)
		tu_report_bad(bad, "again after %u s, base %zu not before %lld",
			      delay, s->base, (long long)ahead);
	if (s->base != want_base)
		tu_report_bad(bad, "base %zu after %zu (code %d), want %zu",
			      s->base, prev_base, r->code, want_base);
}

/* Long random runs: the invariants of the header hold for every verdict. */
static void test_random_invariants(void **state)
{
	uint64_t x = 42;
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(random_policies) && bad == 0; i++) {
		const struct retry_policy *p = &random_policies[i];
		struct retry_state s;
		size_t n;

		retry_init(&s);
		for (n = 0; n < 20000 && bad == 0; n++) {
			const struct rand_step r = rand_step(&x);
			const size_t prev_base = s.base;
			uint32_t delay = 0xdeadbeef;
			const enum retry_verdict v = retry_next(
				p, &s, r.code, r.progress, r.retry_after,
				r.jitter, 1000, &delay);

			check_verdict(p, prev_base, &s, &r, v, delay, &bad);
			if (v == RETRY_STOP)
				retry_init(&s);
		}
	}
	assert_int_equal(bad, 0);
}

/* A larger jitter never gives a shorter delay, and stays in [d/2, d]. */
static void test_jitter_monotonic(void **state)
{
	static const struct retry_policy p = POLICY(100, 3, 200, 1);
	size_t bad = 0;
	uint32_t step;

	(void)state;
	for (step = 0; step < 10; step++) {
		uint32_t full = 3;
		uint32_t prev = 0;
		uint32_t k;
		unsigned j;

		for (k = 0; k < step && full < p.backoff_max; k++)
			full *= 2;
		if (full > p.backoff_max)
			full = p.backoff_max;
		for (j = 0; j < 100; j++) {
			struct retry_state s;
			uint32_t delay = 0;

			retry_init(&s);
			s.backoff_step = step;
			assert_int_equal(retry_next(&p, &s, -ECONNRESET, false,
						    -1, j / 100.0, 1000,
						    &delay),
					 RETRY_AGAIN);
			if (delay < prev || delay < full / 2 || delay > full)
				tu_report_bad(&bad,
					      "step %u jitter %.2f: %u s "
					      "(previous %u, full %u)",
					      step, j / 100.0, delay, prev,
					      full);
			prev = delay;
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_random_invariants),
		cmocka_unit_test(test_jitter_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
