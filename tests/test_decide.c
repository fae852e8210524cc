/*
 * test_decide.c - the pure decisions of an attempt (decide.h), table by
 * table: the path of a component, what a failed step means next, what the
 * reason of a failure tells, what is active after a failed install, the
 * attempt's state and its one line.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "str.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define SHA_E "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static void add_delta(struct manifest_component *t, const char *from,
		      const char *method, uint64_t size, const char *base,
		      const char *sha256)
{
	struct manifest_delta *d = &t->deltas[t->n_deltas++];

	assert_int_equal(hs_strlcpy(d->from, from, sizeof(d->from)), 0);
	assert_int_equal(hs_strlcpy(d->method, method, sizeof(d->method)), 0);
	assert_int_equal(
		hs_strlcpy(d->base_sha256, base, sizeof(d->base_sha256)), 0);
	assert_int_equal(hs_strlcpy(d->sha256, sha256, sizeof(d->sha256)), 0);
	d->size = size;
}

/* app 2.0 of 1000 bytes, with deltas from 1.0 (zstd, 300 bytes, base A),
 * 1.5 (sufdiff, 900 bytes: saves just a tenth), 1.6 (899 bytes), 0.9 by
 * an unknown method. */
static void make_app(struct manifest_component *t)
{
	memset(t, 0, sizeof(*t));
	(void)hs_strlcpy(t->name, "app", sizeof(t->name));
	(void)hs_strlcpy(t->version, "2.0", sizeof(t->version));
	t->package.size = 1000;
	add_delta(t, "1.0", "zstd", 300, SHA_A, SHA_D);
	add_delta(t, "1.5", "sufdiff", 900, SHA_A, SHA_D);
	add_delta(t, "1.6", "sufdiff", 899, SHA_A, SHA_D);
	add_delta(t, "0.9", "bsdiff", 100, SHA_A, SHA_D);
}

struct path_case {
	const char *what;
	const char *from;
	bool update;
	bool deltas;
	bool no_deltas; /* the component offers none */
	const char *base;
	const char *refused;
	const char *want_from; /* the delta picked, or NULL: full */
	const char *want_why; /* contained in why; "" must be empty */
};

static const struct path_case path_cases[] = {
	{"the delta from the installed version", "1.0", true, true, false,
	 SHA_A, "", "1.0", ""},
	{"deltas off", "1.0", true, false, false, SHA_A, "", NULL, ""},
	{"an install, not an update", "", false, true, false, SHA_A, "", NULL,
	 ""},
	{"a downgrade", "3.0", false, true, false, SHA_A, "", NULL, ""},
	{"no delta offered at all", "1.0", true, true, true, SHA_A, "", NULL,
	 ""},
	{"none from the installed version", "0.5", true, true, false, SHA_A, "",
	 NULL, "no delta from 0.5"},
	{"only one by an unknown method", "0.9", true, true, false, SHA_A, "",
	 NULL, "no delta from 0.9"},
	{"saves less than a tenth", "1.5", true, true, false, SHA_A, "", NULL,
	 ""},
	{"saves just over a tenth", "1.6", true, true, false, SHA_A, "", "1.6",
	 ""},
	{"missing base", "1.0", true, true, false, "", "", NULL,
	 "no base of 1.0 in the cache"},
	{"a base that is not the delta's", "1.0", true, true, false, SHA_B, "",
	 NULL, "the cached base is not the tar of 1.0"},
	{"refused before", "1.0", true, true, false, SHA_A, SHA_D, NULL,
	 "the delta from 1.0 did not rebuild the package when it was tried "
	 "before"},
	{"another delta refused before", "1.0", true, true, false, SHA_A, SHA_E,
	 "1.0", ""},
};

static void test_path_table(void **state)
{
	struct manifest_component t;
	char why[DECIDE_WHY_MAX];
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(path_cases); i++) {
		const struct path_case *c = &path_cases[i];
		const struct decide_path_in in = {
			.target = &t,
			.from = c->from,
			.update = c->update,
			.deltas = c->deltas,
			.base_sha256 = c->base,
			.refused_sha256 = c->refused,
		};
		const struct manifest_delta *d;

		make_app(&t);
		if (c->no_deltas)
			t.n_deltas = 0;
		d = decide_path(&in, why);
		if ((d == NULL) != (c->want_from == NULL) ||
		    (d != NULL && strcmp(d->from, c->want_from) != 0))
			tu_report_bad(&bad, "%s: got %s, want %s", c->what,
				      d != NULL ? d->from : "full",
				      c->want_from != NULL ? c->want_from
							   : "full");
		if (c->want_why[0] == '\0' ? why[0] != '\0'
					   : strstr(why, c->want_why) == NULL)
			tu_report_bad(&bad, "%s: why '%s', want '%s'", c->what,
				      why, c->want_why);
	}
	assert_int_equal(bad, 0);
}

struct next_case {
	enum state state;
	bool not_found;
	enum decide_next want;
};

static const struct next_case next_cases[] = {
	/* a drop or a dead server: the delta's bytes wait for the next run */
	{STATE_INTERRUPTED, false, DECIDE_GIVE_UP},
	{STATE_FAILED_CONNECT, false, DECIDE_GIVE_UP},
	/* a server without the delta: no reason to wait */
	{STATE_INTERRUPTED, true, DECIDE_FULL},
	{STATE_FAILED_CONNECT, true, DECIDE_FULL},
	/* a wrong delta: no reason to stop */
	{STATE_FAILED_VERIFY, false, DECIDE_FULL},
	{STATE_FAILED_VERIFY, true, DECIDE_FULL},
	/* the full package would meet a fault here, and a shutdown stops */
	{STATE_FAILED_INSTALL, false, DECIDE_GIVE_UP},
	{STATE_FAILED_INSTALL, true, DECIDE_GIVE_UP},
	{STATE_STOPPED, false, DECIDE_GIVE_UP},
	{STATE_STOPPED, true, DECIDE_GIVE_UP},
};

static void test_after_delta_download_table(void **state)
{
	struct transfer_result tr;
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(next_cases); i++) {
		const struct next_case *c = &next_cases[i];

		memset(&tr, 0, sizeof(tr));
		tr.state = c->state;
		tr.not_found = c->not_found;
		if (decide_after_delta_download(&tr) != c->want)
			tu_report_bad(
				&bad, "%s%s: want %s", state_name(c->state),
				c->not_found ? " (not found)" : "",
				c->want == DECIDE_FULL ? "full" : "give up");
	}
	assert_int_equal(bad, 0);
}

static void test_after_apply_and_keep_tables(void **state)
{
	static const struct {
		int code;
		enum decide_blame blame;
		bool keep;
	} cases[] = {
		{-ESTALE, DECIDE_BLAME_BASE, false},
		{-EBADMSG, DECIDE_BLAME_DELTA, false},
		{-ENOSPC, DECIDE_BLAME_NONE, true},
		{-EDQUOT, DECIDE_BLAME_NONE, true},
		{-EIO, DECIDE_BLAME_NONE, false},
		{-EPERM, DECIDE_BLAME_NONE, false},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		if (decide_after_apply(cases[i].code) != cases[i].blame)
			tu_report_bad(&bad, "apply %d: blame", cases[i].code);
		if (decide_keep_download(cases[i].code) != cases[i].keep)
			tu_report_bad(&bad, "install %d: keep", cases[i].code);
	}
	assert_int_equal(bad, 0);
}

struct failed_case {
	enum state state;
	uint64_t kept;
	bool want_kept;
	bool want_resumes;
	bool want_active;
	bool want_next;
};

static const struct failed_case failed_cases[] = {
	{STATE_INTERRUPTED, 500, true, true, false, true},
	{STATE_INTERRUPTED, 0, true, true, false, true},
	{STATE_FAILED_CONNECT, 0, false, false, false, true},
	{STATE_FAILED_VERIFY, 0, false, false, true, true},
	/* a fault here: the bytes wait for it to be mended, no time does */
	{STATE_FAILED_INSTALL, 500, true, false, true, false},
	{STATE_FAILED_INSTALL, 0, false, false, true, false},
	/* a shutdown: the bytes wait for haishind to run again */
	{STATE_STOPPED, 500, true, false, true, false},
	{STATE_STOPPED, 0, false, false, true, false},
};

static void test_download_failed_table(void **state)
{
	struct transfer_result tr;
	struct decide_failure f;
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(failed_cases); i++) {
		const struct failed_case *c = &failed_cases[i];

		memset(&tr, 0, sizeof(tr));
		tr.state = c->state;
		tr.kept = c->kept;
		tr.next_attempt = 12345;
		decide_download_failed(&tr, &f);
		if (f.state != c->state || f.kept != c->want_kept ||
		    f.resumes != c->want_resumes ||
		    f.active != c->want_active ||
		    (f.next_attempt == 12345) != c->want_next ||
		    (!c->want_next && f.next_attempt != 0))
			tu_report_bad(&bad,
				      "%s kept %llu: kept %d resumes %d "
				      "active %d next %lld",
				      state_name(c->state),
				      (unsigned long long)c->kept, f.kept,
				      f.resumes, f.active,
				      (long long)f.next_attempt);
	}
	assert_int_equal(bad, 0);
}

struct active_case {
	const char *what;
	struct decide_active a;
	const char *want;
};

static const struct active_case active_cases[] = {
	{"failed before the switch",
	 {"1.0", "/i/app/current", NULL, NULL, NULL, NULL},
	 "the previous version is still active"},
	{"a first install failed before the switch",
	 {"", "/i/app/current", NULL, NULL, NULL, NULL},
	 "nothing was installed"},
	{"switched, and back",
	 {"1.0", "/i/app/current", NULL, NULL, NULL, "app"},
	 "app 1.0 is active again"},
	{"a first install switched, and current removed",
	 {"", "/i/app/current", NULL, NULL, NULL, "app"},
	 "app has no active version, as before"},
	{"switching back failed",
	 {"1.0", "/i/app/current", "cannot switch '/i/app/current': EIO", "2.0",
	  NULL, "app"},
	 "switching back to 1.0 failed too: cannot switch '/i/app/current': "
	 "EIO; '/i/app/current' points at 2.0"},
	{"removing the new current failed",
	 {"", "/i/app/current", "cannot remove '/i/app/current': EROFS", "2.0",
	  NULL, "app"},
	 "removing the new version failed too: cannot remove "
	 "'/i/app/current': EROFS; '/i/app/current' points at 2.0"},
	{"and current cannot be read",
	 {"1.0", "/i/app/current", "cannot switch", NULL,
	  "cannot read '/i/app/current': No such file or directory", "app"},
	 "switching back to 1.0 failed too: cannot switch; which version "
	 "'/i/app/current' points at cannot be read: cannot read "
	 "'/i/app/current': No such file or directory"},
};

/* After a failed switch back, the reason says what is really active: never
 * "the previous version is still active". */
static void test_active_text_table(void **state)
{
	char out[512];
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(active_cases); i++) {
		decide_active_text(&active_cases[i].a, out, sizeof(out));
		if (strcmp(out, active_cases[i].want) != 0)
			tu_report_bad(&bad, "%s: '%s'", active_cases[i].what,
				      out);
	}
	assert_int_equal(bad, 0);
}

#define OUT(s, c, r)                 \
	{                            \
		(s), (c), (r), false \
	}
#define WAITS(r)                             \
	{                                    \
		STATE_STOPPED, "", (r), true \
	}

struct line_case {
	const char *what;
	struct decide_outcome v[5];
	size_t n;
	enum state state;
	const char *line;
};

static const struct line_case line_cases[] = {
	{"one outcome: its reason unchanged, not named",
	 {OUT(STATE_FAILED_CONNECT, "app", "TCP: refused")},
	 1,
	 STATE_FAILED_CONNECT,
	 "TCP: refused"},
	{"the issue's first line: the failure first, then what was installed",
	 {OUT(STATE_COMPLETED, "haishin-src",
	      "haishin-src 1.2.0 installed; by delta (zstd) from 1.1.0"),
	  OUT(STATE_FAILED_CONNECT, "app", "TCP: refused")},
	 2,
	 STATE_FAILED_CONNECT,
	 "app: TCP: refused; haishin-src 1.2.0 installed; by delta (zstd) from "
	 "1.1.0"},
	{"the issue's second line: what was installed, then what waits",
	 {OUT(STATE_COMPLETED, "cardreader", "cardreader 1.1.1 installed"),
	  WAITS("quiet hours until 07:00; waiting: app 1.0 → 1.1")},
	 2,
	 STATE_STOPPED,
	 "cardreader 1.1.1 installed; quiet hours until 07:00; waiting: app "
	 "1.0 → 1.1"},
	{"mixed: the most severe failure first",
	 {OUT(STATE_COMPLETED, "a", "a 1.0 installed"),
	  OUT(STATE_INTERRUPTED, "c", "drop; 5 of 9 bytes kept"),
	  OUT(STATE_FAILED_VERIFY, "b",
	      "hash mismatch; nothing was installed")},
	 3,
	 STATE_FAILED_VERIFY,
	 "b: hash mismatch; nothing was installed; c: drop; 5 of 9 bytes kept; "
	 "a 1.0 installed"},
	{"failures of one state keep their order; a restart asked first",
	 {OUT(STATE_COMPLETED, "a", "a 1.0 installed"),
	  OUT(STATE_FAILED_CONNECT, "x", "DNS"),
	  OUT(STATE_COMPLETED_RESTART_REQUIRED, "b",
	      "b 2.0 installed; restart b"),
	  OUT(STATE_FAILED_CONNECT, "y", "TLS"), WAITS("off; waiting: z")},
	 5,
	 STATE_STOPPED,
	 "x: DNS; y: TLS; b 2.0 installed; restart b; a 1.0 installed; off; "
	 "waiting: z"},
	{"a shutdown is a failure, told before what waits",
	 {WAITS("quiet; waiting: q"),
	  OUT(STATE_STOPPED, "app", "stopped: haishind is shutting down")},
	 2,
	 STATE_STOPPED,
	 "app: stopped: haishind is shutting down; quiet; waiting: q"},
};

static void test_state_and_line_table(void **state)
{
	char line[512];
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		const enum state s = decide_state(c->v, c->n);

		decide_line(c->v, c->n, line, sizeof(line));
		if (s != c->state)
			tu_report_bad(&bad, "%s: state %s, want %s", c->what,
				      state_name(s), state_name(c->state));
		if (strcmp(line, c->line) != 0)
			tu_report_bad(&bad, "%s:\n  got  '%s'\n  want '%s'",
				      c->what, line, c->line);
	}
	assert_int_equal(bad, 0);
}

/* A line longer than its room is cut, and never inside a UTF-8 sequence. */
static void test_line_is_cut_whole(void **state)
{
	const struct decide_outcome v[2] = {
		OUT(STATE_FAILED_CONNECT, "x", "ééééééééééééééééééééé"),
		OUT(STATE_COMPLETED, "a", "a 1.0 installed"),
	};
	char line[11];

	(void)state;
	decide_line(v, 2, line, sizeof(line));
	assert_string_equal(line, "x: ééé");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_table),
		cmocka_unit_test(test_after_delta_download_table),
		cmocka_unit_test(test_after_apply_and_keep_tables),
		cmocka_unit_test(test_download_failed_table),
		cmocka_unit_test(test_active_text_table),
		cmocka_unit_test(test_state_and_line_table),
		cmocka_unit_test(test_line_is_cut_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
