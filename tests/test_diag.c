/*
 * test_diag.c - what a check-connection report means as an outcome: the
 * state and exit code of an attempt failing at the same stage.
 */
#include "testutil.h"

#include <string.h>

#include "diag.h"

static void test_outcome_per_stage(void **state)
{
	static const struct {
		int failed;
		const char *state;
		int code;
	} cases[] = {
		{DIAG_PROXY, "FAILED_CONNECT", 69},
		{DIAG_DNS, "FAILED_CONNECT", 69},
		{DIAG_TCP, "FAILED_CONNECT", 69},
		{DIAG_TLS, "FAILED_CONNECT", 69},
		{DIAG_HTTP, "FAILED_CONNECT", 69},
		{DIAG_SIGNATURE, "FAILED_VERIFY", 65},
		{DIAG_FRESHNESS, "FAILED_VERIFY", 65},
		{-1, "", 0},
	};
	struct diag_report rep;
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		memset(&rep, 0, sizeof(rep));
		rep.failed = cases[i].failed;
		rep.all_ok = cases[i].failed < 0;
		if (strcmp(diag_failed_state(&rep), cases[i].state) != 0 ||
		    diag_exit_code(&rep) != cases[i].code)
			tu_report_bad(&bad, "stage %d: %s/%d, want %s/%d",
				      cases[i].failed, diag_failed_state(&rep),
				      diag_exit_code(&rep), cases[i].state,
				      cases[i].code);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome_per_stage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
