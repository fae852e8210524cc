/*
 * test_decide.c - the pure decisions of an attempt (decide.h), table by
 * table: the path of a component, what a failed step means next, what the
 * reason of a failure tells, what is active after a failed install, the
 * attempt's state and its one line; and the install's: what a hook's run
 * means, what a failed step undoes and records, its reason, when a failed
 * version is tried again, when a restart is still asked for.
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

/* How a run of a hook ended, for decide_hook(). */
enum run_kind {
	RUN_NOT_STARTED, /* res NULL */
	RUN_EXIT_0,
	RUN_EXIT_1,
	RUN_TIMED_OUT,
	RUN_KILLED,
	RUN_CANCELLED,
};

static void make_run(enum run_kind k, struct proc_result *res)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = k == RUN_EXIT_0 ? 0 : k == RUN_EXIT_1 ? 1 : -1;
	res->timed_out = k == RUN_TIMED_OUT;
	res->signal = k == RUN_KILLED || k == RUN_TIMED_OUT ? 9 : 0;
	res->cancelled = k == RUN_CANCELLED;
	if (k == RUN_CANCELLED)
		res->signal = 9;
}

/* What a run of a hook means for its step: only a health check is run
 * again, only while tries are left, never after a cancel or a program that
 * cannot start. */
static void test_hook_table(void **state)
{
	static const struct {
		enum decide_step step;
		enum run_kind run;
		uint32_t try;
		uint32_t tries;
		enum decide_hook_end want;
	} cases[] = {
		{DECIDE_PRE_INSTALL, RUN_EXIT_0, 1, 3, DECIDE_HOOK_PASSED},
		{DECIDE_PRE_INSTALL, RUN_EXIT_1, 1, 3, DECIDE_HOOK_FAILED},
		{DECIDE_POST_INSTALL, RUN_EXIT_1, 1, 3, DECIDE_HOOK_FAILED},
		{DECIDE_RESTART, RUN_EXIT_1, 1, 3, DECIDE_HOOK_FAILED},
		{DECIDE_RESTART, RUN_TIMED_OUT, 1, 3, DECIDE_HOOK_FAILED},
		{DECIDE_HEALTH, RUN_EXIT_0, 2, 3, DECIDE_HOOK_PASSED},
		{DECIDE_HEALTH, RUN_EXIT_1, 1, 3, DECIDE_HOOK_AGAIN},
		{DECIDE_HEALTH, RUN_TIMED_OUT, 2, 3, DECIDE_HOOK_AGAIN},
		{DECIDE_HEALTH, RUN_KILLED, 2, 3, DECIDE_HOOK_AGAIN},
		{DECIDE_HEALTH, RUN_EXIT_1, 3, 3, DECIDE_HOOK_FAILED},
		{DECIDE_HEALTH, RUN_EXIT_1, 1, 1, DECIDE_HOOK_FAILED},
		{DECIDE_HEALTH, RUN_NOT_STARTED, 1, 3, DECIDE_HOOK_FAILED},
		{DECIDE_HEALTH, RUN_CANCELLED, 1, 3, DECIDE_HOOK_STOPPED},
		{DECIDE_PRE_INSTALL, RUN_CANCELLED, 1, 3, DECIDE_HOOK_STOPPED},
		{DECIDE_PRE_INSTALL, RUN_NOT_STARTED, 1, 3, DECIDE_HOOK_FAILED},
	};
	struct proc_result res;
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		enum decide_hook_end got;

		make_run(cases[i].run, &res);
		got = decide_hook(cases[i].step,
				  cases[i].run == RUN_NOT_STARTED ? NULL : &res,
				  cases[i].try, cases[i].tries);
		if (got != cases[i].want)
			tu_report_bad(&bad, "case %zu: got %d, want %d", i,
				      (int)got, (int)cases[i].want);
	}
	assert_int_equal(bad, 0);
}

/* Which failures make a version "not tried again": the package's own
 * steps, not a shutdown, not a fault of this terminal. */
static void test_records_failure_table(void **state)
{
	static const struct {
		enum decide_step step;
		bool stopped;
		bool want;
	} cases[] = {
		{DECIDE_STAGE, false, false},
		{DECIDE_PRE_INSTALL, false, true},
		{DECIDE_SWITCH, false, false},
		{DECIDE_RESTART, false, true},
		{DECIDE_POST_INSTALL, false, true},
		{DECIDE_HEALTH, false, true},
		{DECIDE_RECORD, false, false},
		{DECIDE_HEALTH, true, false},
		{DECIDE_PRE_INSTALL, true, false},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++)
		if (decide_records_failure(cases[i].step, cases[i].stopped) !=
		    cases[i].want)
			tu_report_bad(&bad, "case %zu", i);
	assert_int_equal(bad, 0);
}

/* Which members of a failed step are undone, and how. */
static void test_undo_table(void **state)
{
	static const struct {
		struct decide_member m;
		enum decide_undo want;
	} cases[] = {
		{{"1.0", false, false}, DECIDE_UNDO_NOTHING},
		{{"1.0", true, false}, DECIDE_UNDO_UNSTAGE},
		{{"", true, false}, DECIDE_UNDO_UNSTAGE},
		{{"1.0", true, true}, DECIDE_UNDO_SWITCH_BACK},
		{{"", true, true}, DECIDE_UNDO_UNSWITCH},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++)
		if (decide_undo(&cases[i].m) != cases[i].want)
			tu_report_bad(&bad, "case %zu", i);
	assert_int_equal(bad, 0);
}

/* The cause of a failed install names the step, the component and its
 * version, the tries of a health check, and the program's last line. */
static void test_install_cause_table(void **state)
{
	static const struct {
		struct decide_install_failure f;
		const char *want;
	} cases[] = {
		{{DECIDE_PRE_INSTALL, "app", "2.0", "exit status 3: no room", 1,
		  false},
		 "pre-install of app 2.0 failed: exit status 3: no room"},
		{{DECIDE_HEALTH, "app", "2.0", "exit status 1: down", 3, false},
		 "health check of app 2.0 failed after 3 tries: exit status 1: "
		 "down"},
		{{DECIDE_HEALTH, "app", "2.0", "timed out after 60 s", 1,
		  false},
		 "health check of app 2.0 failed: timed out after 60 s"},
		{{DECIDE_POST_INSTALL, "app", "2.0", "killed by signal 9", 1,
		  false},
		 "post-install of app 2.0 failed: killed by signal 9"},
		{{DECIDE_RESTART, "app", "2.0", "exit status 5", 1, false},
		 "the restart command of app 2.0 failed: exit status 5"},
		{{DECIDE_SWITCH, "app", "2.0", "cannot switch: EIO", 1, false},
		 "switching app to 2.0 failed: cannot switch: EIO"},
		{{DECIDE_RECORD, "app", "2.0", "disk I/O error", 1, false},
		 "recording app 2.0 failed: disk I/O error"},
		{{DECIDE_HEALTH, "app", "2.0", "stopped", 2, true},
		 "stopped: haishind is shutting down during health check of "
		 "app 2.0"},
	};
	char out[512];
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		decide_install_cause(&cases[i].f, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			tu_report_bad(&bad, "case %zu: '%s'", i, out);
	}
	assert_int_equal(bad, 0);
	decide_set_cause("till", true, "health check of b 2.0 failed: x", out,
			 sizeof(out));
	assert_string_equal(out, "reverted with its set 'till': health check "
				 "of b 2.0 failed: x");
	decide_set_cause("till", false, "pre-install of b 2.0 failed: x", out,
			 sizeof(out));
	assert_string_equal(out, "not installed with its set 'till': "
				 "pre-install of b 2.0 failed: x");
}

/* A step is passed over only while every member is at its failed
 * version; a newer version of any member tries the step again. */
static void test_not_retried_table(void **state)
{
	static const struct decide_retry one_failed[] = {{"2.0", "2.0"}};
	static const struct decide_retry one_newer[] = {{"2.1", "2.0"}};
	static const struct decide_retry one_none[] = {{"2.0", ""}};
	static const struct decide_retry set_failed[] = {{"2.0", "2.0"},
							 {"3.0", "3.0"}};
	static const struct decide_retry set_one_newer[] = {{"2.0", "2.0"},
							    {"3.1", "3.0"}};
	static const struct decide_retry set_one_new[] = {{"2.0", "2.0"},
							  {"1.0", ""}};
	char out[512];

	(void)state;
	assert_true(decide_not_retried(one_failed, 1));
	assert_false(decide_not_retried(one_newer, 1));
	assert_false(decide_not_retried(one_none, 1));
	assert_true(decide_not_retried(set_failed, 2));
	assert_false(decide_not_retried(set_one_newer, 2));
	assert_false(decide_not_retried(set_one_new, 2));
	assert_false(decide_not_retried(one_failed, 0));
	decide_not_retried_text("app", "2.0",
				"health check of app 2.0 failed: exit status 1",
				1900000000, out, sizeof(out));
	assert_string_equal(out, "app 2.0 is not tried again: its install "
				 "failed at 2030-03-17T17:46:40Z (health check "
				 "of app 2.0 failed: exit status 1); waiting "
				 "for a newer version");
}

/* An installed component asks a person to restart only what haishin did
 * not restart itself. */
static void test_installed_state_table(void **state)
{
	(void)state;
	assert_int_equal(decide_installed_state(MANIFEST_RESTART_NONE, false),
			 STATE_COMPLETED);
	assert_int_equal(decide_installed_state(MANIFEST_RESTART_NONE, true),
			 STATE_COMPLETED);
	assert_int_equal(decide_installed_state(MANIFEST_RESTART_APP, false),
			 STATE_COMPLETED_RESTART_REQUIRED);
	assert_int_equal(decide_installed_state(MANIFEST_RESTART_APP, true),
			 STATE_COMPLETED);
	assert_int_equal(decide_installed_state(MANIFEST_RESTART_SYSTEM, true),
			 STATE_COMPLETED_RESTART_REQUIRED);
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
		cmocka_unit_test(test_hook_table),
		cmocka_unit_test(test_records_failure_table),
		cmocka_unit_test(test_undo_table),
		cmocka_unit_test(test_install_cause_table),
		cmocka_unit_test(test_not_retried_table),
		cmocka_unit_test(test_installed_state_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
