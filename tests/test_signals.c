/*
 * test_signals.c - the signals seam (signals.h): a signal raised in the
 * process becomes a request on the descriptor the loop polls: SIGTERM and
 * SIGINT stop, SIGHUP reloads, SIGPIPE asks for nothing and kills nobody.
 */
#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "signals.h"

static int setup(void **state)
{
	struct signals *s = NULL;

	assert_int_equal(signals_open(&s, NULL), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	signals_free(*state);
	return 0;
}

static bool readable(const struct signals *s)
{
	struct pollfd p = {signals_fd(s), POLLIN, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_nothing_waiting(void **state)
{
	struct signals *s = *state;

	assert_false(readable(s));
	assert_int_equal(signals_next(s), SIGNALS_NONE);
}

/* One signal, the request it means, then nothing. */
static void expect_request(struct signals *s, int sig, enum signals_event ev)
{
	assert_int_equal(raise(sig), 0);
	assert_true(readable(s));
	assert_int_equal(signals_next(s), ev);
	assert_int_equal(signals_next(s), SIGNALS_NONE);
	assert_false(readable(s));
}

static void test_term_stops(void **state)
{
	expect_request(*state, SIGTERM, SIGNALS_STOP);
}

static void test_int_stops(void **state)
{
	expect_request(*state, SIGINT, SIGNALS_STOP);
}

static void test_hup_reloads(void **state)
{
	expect_request(*state, SIGHUP, SIGNALS_RELOAD);
}

/* A write to a closed socket must not kill the daemon: no request. */
static void test_pipe_is_swallowed(void **state)
{
	struct signals *s = *state;

	assert_int_equal(raise(SIGPIPE), 0);
	assert_true(readable(s));
	assert_int_equal(signals_next(s), SIGNALS_NONE);
	assert_false(readable(s));
}

/* Both waiting: each is taken once, whatever the order. */
static void test_reload_and_stop_together(void **state)
{
	struct signals *s = *state;
	enum signals_event a;
	enum signals_event b;

	assert_int_equal(raise(SIGHUP), 0);
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(raise(SIGHUP), 0); /* again: counts once */
	a = signals_next(s);
	b = signals_next(s);
	assert_true((a == SIGNALS_RELOAD && b == SIGNALS_STOP) ||
		    (a == SIGNALS_STOP && b == SIGNALS_RELOAD));
	assert_int_equal(signals_next(s), SIGNALS_NONE);
}

/* After signals_free() the signals stay blocked (signals.h). */
static void test_blocked_after_free(void **state)
{
	struct signals *s = NULL;
	sigset_t now;

	(void)state;
	assert_int_equal(signals_open(&s, NULL), 0);
	signals_free(s);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &now), 0);
	assert_int_equal(sigismember(&now, SIGTERM), 1);
	assert_int_equal(sigismember(&now, SIGHUP), 1);
	assert_int_equal(sigismember(&now, SIGPIPE), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_waiting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_term_stops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_int_stops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hup_reloads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe_is_swallowed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_and_stop_together,
						setup, teardown),
		cmocka_unit_test(test_blocked_after_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
