/*
 * test_schedule.c - the schedule of automatic checks and what blocks them.
 */
#include "testutil.h"

#include <string.h>

#include "schedule.h"

#define T0 1800000000 /* a fixed "now" */

static void in_default(struct sched_in *in, struct config *cfg)
{
	config_defaults(cfg);
	memset(in, 0, sizeof(*in));
	in->cfg = cfg;
	in->now = T0;
	in->local_minute = 12 * 60;
	in->enabled = true;
	in->boot_due = T0 + 100;
}

static void test_due(void **state)
{
	struct sched_in in;
	struct config cfg;

	(void)state;
	in_default(&in, &cfg);
	/* First: after the boot delay. */
	assert_int_equal(sched_due(&in), T0 + 100);
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
	in.now = T0 + 100;
	assert_int_equal(sched_decide(&in), SCHED_RUN_FULL);
	/* Then every interval plus jitter. */
	in.last_check = T0 + 100;
	in.jitter = 7;
	assert_int_equal(sched_due(&in), T0 + 100 + 21600 + 7);
	in.now = T0 + 100 + 21600 + 6;
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
	in.now++;
	assert_int_equal(sched_decide(&in), SCHED_RUN_FULL);
	/* Never before a backoff. */
	in.backoff_until = in.now + 50;
	assert_int_equal(sched_due(&in), in.now + 50);
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
}

static void test_blocks(void **state)
{
	struct sched_block b[SCHED_MAX_BLOCKS];
	struct sched_in in;
	struct config cfg;
	size_t n;

	(void)state;
	in_default(&in, &cfg);
	n = sched_blocks(&in, b);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].kind, SCHED_BOOT_DELAY);
	assert_int_equal(b[0].until, T0 + 100);
	assert_string_equal(sched_block_name(b[0].kind), "boot_delay");

	in.now = T0 + 200;
	assert_int_equal(sched_blocks(&in, b), 0);
	in.enabled = false;
	in.low_disk = true;
	in.restart_pending = true;
	in.backoff_until = T0 + 300;
	n = sched_blocks(&in, b);
	assert_int_equal(n, 4);
	assert_int_equal(b[0].kind, SCHED_DISABLED);
	assert_int_equal(b[1].kind, SCHED_BACKOFF);
	assert_int_equal(b[1].until, T0 + 300);
	assert_int_equal(b[2].kind, SCHED_LOW_DISK);
	assert_int_equal(b[3].kind, SCHED_RESTART_PENDING);
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
}

static void test_quiet_hours(void **state)
{
	static const struct {
		unsigned start;
		unsigned end;
		unsigned minute;
		int64_t left; /* minutes until the end, or -1: not quiet */
	} cases[] = {
		{8 * 60 + 30, 18 * 60, 12 * 60, 6 * 60},
		{8 * 60 + 30, 18 * 60, 8 * 60 + 30, 9 * 60 + 30},
		{8 * 60 + 30, 18 * 60, 18 * 60, -1},
		{8 * 60 + 30, 18 * 60, 7 * 60, -1},
		{22 * 60, 6 * 60, 23 * 60, 7 * 60}, /* over midnight */
		{22 * 60, 6 * 60, 60, 5 * 60},
		{22 * 60, 6 * 60, 12 * 60, -1},
	};
	struct sched_block b[SCHED_MAX_BLOCKS];
	struct sched_in in;
	struct config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		in_default(&in, &cfg);
		in.now = T0 + 1000; /* past the boot delay */
		cfg.has_quiet_hours = true;
		cfg.quiet_start = (uint16_t)cases[i].start;
		cfg.quiet_end = (uint16_t)cases[i].end;
		in.local_minute = cases[i].minute;
		if (cases[i].left < 0) {
			assert_int_equal(sched_blocks(&in, b), 0);
			assert_int_equal(sched_decide(&in), SCHED_RUN_FULL);
			continue;
		}
		assert_int_equal(sched_blocks(&in, b), 1);
		assert_int_equal(b[0].kind, SCHED_QUIET_HOURS);
		assert_int_equal(b[0].until, in.now + cases[i].left * 60);
		/* Quiet hours hold back all but the required updates. */
		assert_int_equal(sched_decide(&in), SCHED_RUN_REQUIRED);
	}
}

/* What a due check may do, by what holds updates back. */
static void test_decide(void **state)
{
	struct sched_in in;
	struct config cfg;

	(void)state;
	in_default(&in, &cfg);
	in.now = T0 + 1000;
	assert_int_equal(sched_decide(&in), SCHED_RUN_FULL);
	in.restart_pending = true;
	assert_int_equal(sched_decide(&in), SCHED_RUN_REQUIRED);
	in.enabled = false; /* off wins: report only */
	assert_int_equal(sched_decide(&in), SCHED_RUN_CHECK);
	in.low_disk = true; /* a full disk waits, whatever else */
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
}

/*
 * A fact the daemon could not read is passed as true with its reason: it
 * holds updates back as the fact would, and the block says why.
 */
static void test_unknown_facts(void **state)
{
	struct sched_block b[SCHED_MAX_BLOCKS];
	struct sched_in in;
	struct config cfg;

	(void)state;
	in_default(&in, &cfg);
	in.now = T0 + 1000;
	in.restart_pending = true;
	in.restart_why = "the restart flag cannot be read";
	assert_int_equal(sched_blocks(&in, b), 1);
	assert_int_equal(b[0].kind, SCHED_RESTART_PENDING);
	assert_string_equal(b[0].reason, "the restart flag cannot be read");
	assert_int_equal(sched_decide(&in), SCHED_RUN_REQUIRED);
	in.low_disk = true;
	in.low_disk_why = "the free space cannot be read";
	assert_int_equal(sched_blocks(&in, b), 2);
	assert_int_equal(b[0].kind, SCHED_LOW_DISK);
	assert_string_equal(b[0].reason, "the free space cannot be read");
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
	/* Known facts carry no reason. */
	in.low_disk_why = NULL;
	in.restart_why = NULL;
	in.enabled = false;
	assert_int_equal(sched_blocks(&in, b), 3);
	assert_null(b[0].reason);
	assert_null(b[1].reason);
	assert_null(b[2].reason);
}

/* A required update skips the boot delay and the interval, not a backoff,
 * and retries every SCHED_REQUIRED_RETRY; with updates off it waits. */
static void test_required(void **state)
{
	struct sched_in in;
	struct config cfg;

	(void)state;
	in_default(&in, &cfg);
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE); /* boot delay */
	in.required_pending = true;
	assert_int_equal(sched_due(&in), T0);
	assert_int_equal(sched_decide(&in), SCHED_RUN_FULL);
	assert_true(sched_due_to_required(&in));
	in.last_check = T0;
	in.now = T0 + SCHED_REQUIRED_RETRY - 1;
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
	in.now = T0 + SCHED_REQUIRED_RETRY;
	assert_int_equal(sched_decide(&in), SCHED_RUN_FULL);
	assert_true(sched_due_to_required(&in));
	in.backoff_until = in.now + 60;
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
	assert_false(sched_due_to_required(&in));
	in.backoff_until = 0;
	in.enabled = false;
	assert_int_equal(sched_due(&in), T0 + 21600);
	assert_int_equal(sched_decide(&in), SCHED_RUN_NONE);
	/* Due by the plain schedule: not "due to required". */
	in.enabled = true;
	in.now = T0 + 21600;
	assert_false(sched_due_to_required(&in));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_unknown_facts),
		cmocka_unit_test(test_required),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
