/*
 * test_state.c - the one table of states (state.c): every name back to its
 * state, the fixed exit codes of DESIGN.md, and which states are terminal.
 */
#include "testutil.h"

#include <errno.h>

#include "state.h"

struct state_case {
	const char *name;
	enum state state;
	int exit_code; /* -1: a progress state */
};

static const struct state_case state_cases[] = {
	{"UP_TO_DATE", STATE_UP_TO_DATE, 0},
	{"COMPLETED", STATE_COMPLETED, 0},
	{"COMPLETED_RESTART_REQUIRED", STATE_COMPLETED_RESTART_REQUIRED, 0},
	{"INTERRUPTED", STATE_INTERRUPTED, 75},
	{"FAILED_CONNECT", STATE_FAILED_CONNECT, 69},
	{"FAILED_VERIFY", STATE_FAILED_VERIFY, 65},
	{"FAILED_INSTALL", STATE_FAILED_INSTALL, 73},
	{"STOPPED", STATE_STOPPED, 78},
	{"CHECKING", STATE_CHECKING, -1},
	{"DOWNLOADING", STATE_DOWNLOADING, -1},
	{"VERIFYING", STATE_VERIFYING, -1},
	{"INSTALLING", STATE_INSTALLING, -1},
	{"WAITING", STATE_WAITING, -1},
};

static void test_names_and_exit_codes(void **state)
{
	enum state s;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(state_cases); i++) {
		const struct state_case *c = &state_cases[i];

		assert_string_equal(state_name(c->state), c->name);
		s = STATE_WAITING;
		assert_int_equal(state_from_name(c->name, &s), 0);
		assert_int_equal(s, c->state);
		assert_int_equal(state_is_terminal(s), c->exit_code >= 0);
		if (c->exit_code >= 0)
			assert_int_equal(state_exit_code(s), c->exit_code);
	}
}

/* Only the exact names: no case folding, no prefix, no reason after. */
static void test_unknown_names(void **state)
{
	static const char *const bad[] = {
		"",	    "completed",	 "COMPLETED ",
		"COMPLETE", "COMPLETED_RESTART", "FAILED",
		"IDLE",	    "NOT_INSTALLED",	 "UP_TO_DATE x",
	};
	enum state s = STATE_CHECKING;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(bad); i++)
		assert_int_equal(state_from_name(bad[i], &s), -EINVAL);
	assert_int_equal(s, STATE_CHECKING); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_exit_codes),
		cmocka_unit_test(test_unknown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
