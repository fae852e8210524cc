/*
 * test_ctlproto.c - the control requests rollback and resume as the daemon
 * parses them (ctlproto.h): the component is required and must be a
 * component name, rollback's version is optional and must be a version,
 * no other field is taken, and both change state.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "ctlproto.h"
#include "hs_err.h"

static const struct {
	const char *line;
	int want; /* 0 or -EINVAL */
	const char *text; /* a piece of the error, or the component */
	const char *version; /* what a parsed rollback goes to */
} rows[] = {
	{"{\"cmd\": \"rollback\", \"component\": \"app\"}", 0, "app", ""},
	{"{\"cmd\": \"rollback\", \"component\": \"app\", \"version\": "
	 "\"1.0.2\"}",
	 0, "app", "1.0.2"},
	{"{\"cmd\": \"resume\", \"component\": \"card-reader_2\"}", 0,
	 "card-reader_2", ""},
	{"{\"cmd\": \"rollback\"}", -EINVAL, "'rollback' needs a 'component'",
	 NULL},
	{"{\"cmd\": \"resume\"}", -EINVAL, "'resume' needs a 'component'",
	 NULL},
	{"{\"cmd\": \"rollback\", \"component\": \"App\"}", -EINVAL,
	 "'component' is not a component name", NULL},
	{"{\"cmd\": \"rollback\", \"component\": \"../etc\"}", -EINVAL,
	 "'component' is not a component name", NULL},
	{"{\"cmd\": \"rollback\", \"component\": 7}", -EINVAL,
	 "'rollback' needs a 'component'", NULL},
	{"{\"cmd\": \"rollback\", \"component\": \"app\", \"version\": "
	 "\"1.0.staging\"}",
	 -EINVAL, "'version' is not a version", NULL},
	{"{\"cmd\": \"rollback\", \"component\": \"app\", \"version\": 1}",
	 -EINVAL, "'version' is not a version", NULL},
	{"{\"cmd\": \"resume\", \"component\": \"app\", \"version\": \"1.0\"}",
	 -EINVAL, "'resume' takes no field 'version'", NULL},
	{"{\"cmd\": \"rollback\", \"component\": \"app\", \"force\": true}",
	 -EINVAL, "'rollback' takes no field 'force'", NULL},
};

static void test_rollback_and_resume_requests(void **state)
{
	struct ctl_request req;
	struct hs_err e;
	size_t bad = 0;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(rows); i++) {
		hs_err_clear(&e);
		r = ctl_request_parse(rows[i].line, strlen(rows[i].line), &req,
				      &e);
		if (rows[i].want < 0) {
			tu_check_err(&bad, rows[i].line, r, &e, rows[i].want,
				     rows[i].text);
			continue;
		}
		if (r != 0 || strcmp(req.component, rows[i].text) != 0 ||
		    strcmp(req.version, rows[i].version) != 0 ||
		    !ctl_cmd_changes(req.cmd))
			tu_report_bad(&bad, "%s: %d %s '%s' '%s'", rows[i].line,
				      r, e.msg, req.component, req.version);
	}
	assert_int_equal(bad, 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_cmd_name(CTL_CMD_ROLLBACK), "rollback");
	assert_string_equal(ctl_cmd_name(CTL_CMD_RESUME), "resume");
	assert_true(ctl_cmd_changes(CTL_CMD_ROLLBACK));
	assert_true(ctl_cmd_changes(CTL_CMD_RESUME));
	assert_false(ctl_cmd_changes(CTL_CMD_STATUS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollback_and_resume_requests),
		cmocka_unit_test(test_names),
	};

	return tu_result(cmocka_run_group_tests(tests, NULL, NULL));
}
