/*
 * test_errmap.c - the one table of errors of the download path: for each
 * errno of fetch.h, its retry class and the terminal state of a download,
 * of a metadata GET and of a fault of this terminal.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "errmap.h"
#include "state.h"

#define I STATE_INTERRUPTED
#define FC STATE_FAILED_CONNECT
#define FV STATE_FAILED_VERIFY
#define S STATE_STOPPED

struct errmap_case {
	int code;
	enum errmap_retry retry;
	enum state download;
	enum state meta;
};

static const struct errmap_case cases[] = {
	/* a drop, a stall, a busy server: a download keeps its bytes and
	 * resumes; metadata keeps nothing, so the server was not reached */
	{-ECONNRESET, ERRMAP_TRANSIENT, I, FC},
	{-ETIMEDOUT, ERRMAP_TRANSIENT, I, FC},
	{-EAGAIN, ERRMAP_TRANSIENT, I, FC},
	/* transient within the run, but unreachable when it ends */
	{-ECONNREFUSED, ERRMAP_TRANSIENT, FC, FC},
	{-EHOSTDOWN, ERRMAP_TRANSIENT, FC, FC},
	{-EREMOTEIO, ERRMAP_TRANSIENT, FC, FC},
	/* this server cannot serve it: the next one */
	{-EHOSTUNREACH, ERRMAP_NEXT_MIRROR, FC, FC},
	{-EPROTO, ERRMAP_NEXT_MIRROR, FC, FC},
	{-ENOENT, ERRMAP_NEXT_MIRROR, FC, FC},
	{-ELOOP, ERRMAP_NEXT_MIRROR, FC, FC},
	{-ERANGE, ERRMAP_NEXT_MIRROR, FC, FC},
	{-EACCES, ERRMAP_NEXT_MIRROR, FC, FC},
	/* not the signed bytes */
	{-EMSGSIZE, ERRMAP_WRONG_FILE, FV, FV},
	{-EFBIG, ERRMAP_WRONG_FILE, FV, FV},
	{-EBADMSG, ERRMAP_REFETCH, FV, FV},
	/* a shutdown stops everything alike */
	{-ECANCELED, ERRMAP_FINAL, S, S},
	/* anything else ends the run; a download keeps its bytes */
	{-ENOSPC, ERRMAP_FINAL, I, FC},
	{-EIO, ERRMAP_FINAL, I, FC},
	{-ENOMEM, ERRMAP_FINAL, I, FC},
	{-EDQUOT, ERRMAP_FINAL, I, FC},
	{-ENAMETOOLONG, ERRMAP_FINAL, I, FC},
	/* a positive errno is not an error code of fetch.h */
	{ECONNRESET, ERRMAP_FINAL, I, FC},
	{ENOENT, ERRMAP_FINAL, I, FC},
	{0, ERRMAP_FINAL, I, FC},
};

static void test_every_errno_has_its_class_and_states(void **state)
{
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		const struct errmap_case *c = &cases[i];
		const enum errmap_retry r = errmap_retry(c->code);
		const enum state d = errmap_state(c->code, ERRMAP_DOWNLOAD);
		const enum state m = errmap_state(c->code, ERRMAP_META);

		if (r != c->retry)
			tu_report_bad(&bad, "%d: retry %s, want %s", c->code,
				      errmap_retry_name(r),
				      errmap_retry_name(c->retry));
		if (d != c->download)
			tu_report_bad(&bad, "%d: download %s, want %s", c->code,
				      state_name(d), state_name(c->download));
		if (m != c->meta)
			tu_report_bad(&bad, "%d: meta %s, want %s", c->code,
				      state_name(m), state_name(c->meta));
	}
	assert_int_equal(bad, 0);
}

/* -EACCES is a 403 from a server and a permission fault here alike: the
 * caller's origin, not the code, makes it FAILED_INSTALL. */
static void test_a_local_fault_is_failed_install_whatever_its_code(void **state)
{
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		const enum state s = errmap_state(cases[i].code, ERRMAP_LOCAL);

		if (s != STATE_FAILED_INSTALL)
			tu_report_bad(&bad, "%d: local %s", cases[i].code,
				      state_name(s));
	}
	assert_int_equal(bad, 0);
	assert_int_equal(errmap_state(-EACCES, ERRMAP_DOWNLOAD),
			 STATE_FAILED_CONNECT);
}

/* Every code is in the table once, the catch-all last, and each row can be
 * found by its code and names it. */
static void test_rows_are_unique_and_named(void **state)
{
	const struct errmap_row *rows;
	size_t n;
	size_t i;
	size_t j;

	(void)state;
	rows = errmap_rows(&n);
	assert_true(n > 1);
	assert_int_equal(rows[n - 1].code, 0);
	for (i = 0; i + 1 < n; i++) {
		assert_true(rows[i].code < 0);
		assert_ptr_equal(errmap_row(rows[i].code), &rows[i]);
		assert_string_equal(rows[i].name,
				    strerrorname_np(-rows[i].code));
		assert_true(strlen(rows[i].what) > 0);
		for (j = i + 1; j + 1 < n; j++)
			assert_int_not_equal(rows[i].code, rows[j].code);
	}
	assert_ptr_equal(errmap_row(-EXDEV), &rows[n - 1]);
}

/* Metadata that breaks off is FAILED_CONNECT, never an INTERRUPTED whose
 * resume has nothing to resume. */
static void test_metadata_is_never_interrupted(void **state)
{
	const struct errmap_row *rows;
	size_t n;
	size_t i;

	(void)state;
	rows = errmap_rows(&n);
	for (i = 0; i < n; i++)
		assert_int_not_equal(rows[i].meta, STATE_INTERRUPTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_errno_has_its_class_and_states),
		cmocka_unit_test(
			test_a_local_fault_is_failed_install_whatever_its_code),
		cmocka_unit_test(test_rows_are_unique_and_named),
		cmocka_unit_test(test_metadata_is_never_interrupted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
