/*
 * test_engine.c - whole update attempts through cycle_run(), with the
 * server in memory, the clock faked and faults injected (engineutil.h):
 * a delta applied, a refused delta and a missing base falling back to the
 * full package, a second hash mismatch, an interruption and its resume, a
 * shutdown, a failed switch back after a failed install, waits that take
 * no time, several components whose outcomes make one state and one
 * line, and a component held by a rollback by hand.  The state database, cache and install root are real.
 */
#include "testutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engineutil.h"
#include "proc.h"
#include "str.h"

#define TEST(f) cmocka_unit_test_setup_teardown(f, ew_setup, ew_teardown)

static void assert_contains(const char *s, const char *part)
{
	if (strstr(s, part) == NULL)
		fail_msg("'%s' does not contain '%s'", s, part);
}

static void assert_lacks(const char *s, const char *part)
{
	if (strstr(s, part) != NULL)
		fail_msg("'%s' contains '%s'", s, part);
}

static void assert_run(struct ew_world *w, enum state want,
		       struct cycle_result *res)
{
	ew_run(w, res);
	if (res->state != want)
		fail_msg("want %s, got %s %s", state_name(want),
			 state_name(res->state), res->reason);
}

/* Publishes and installs NAME 1.0 in full. */
static void install_first(struct ew_world *w, const char *name)
{
	struct cycle_result res;
	char cur[HS_VERSION_MAX + 1];

	ew_component(w, name, "1.0");
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	ew_current(w, name, cur, sizeof(cur));
	assert_string_equal(cur, "1.0");
}

static void assert_active(struct ew_world *w, const char *name,
			  const char *version)
{
	char cur[HS_VERSION_MAX + 1];
	char text[128];
	char want[128];

	ew_current(w, name, cur, sizeof(cur));
	assert_string_equal(cur, version);
	ew_active_version_file(w, name, text, sizeof(text));
	want[0] = '\0'; /* nothing active: no file either */
	if (version[0] != '\0')
		(void)snprintf(want, sizeof(want), "%s %s\n", name, version);
	assert_string_equal(text, want);
}

static void test_delta_applied(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_attempt a;
	const char *delta;

	install_first(w, "app");
	assert_true(ew_cached(w, "app.base.tar"));
	ew_component(w, "app", "2.0");
	delta = ew_delta(w, "app", "1.0", false);
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_contains(res.reason, "app 2.0 installed; by delta (zstd) from "
				    "1.0");
	ew_history(w, "app", &a);
	assert_string_equal(a.method, "delta-zstd");
	assert_true(a.saved > 0);
	assert_int_equal(a.bytes, ew_file(w, delta)->n);
	assert_int_equal(ew_file(w, delta)->requests, 1);
	assert_int_equal(ew_file(w, ew_package_url(w, "app"))->requests, 0);
	assert_active(w, "app", "2.0");
	/* the new version's tar is the next base; no download is left */
	assert_true(ew_cached(w, "app.base.tar"));
	assert_false(ew_cached(w, "app@delta.part"));
}

static void test_delta_refused_falls_back_to_full(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_attempt a;
	const char *delta;

	install_first(w, "app");
	ew_component(w, "app", "2.0");
	delta = ew_delta(w, "app", "1.0", true); /* signed, but wrong */
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_contains(res.reason, "app 2.0 installed; full package: the "
				    "delta from 1.0 could not be used: the "
				    "delta rebuilds another tar than the "
				    "manifest's");
	ew_history(w, "app", &a);
	assert_string_equal(a.method, "fallback");
	assert_int_equal(ew_file(w, delta)->requests, 1);
	assert_int_equal(ew_file(w, ew_package_url(w, "app"))->requests, 1);
	assert_active(w, "app", "2.0");
	assert_false(ew_cached(w, "app@delta.part"));
	assert_false(ew_cached(w, "app.part"));
}

static void test_missing_base_falls_back_to_full(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_attempt a;
	char path[PATH_MAX];
	const char *delta;

	install_first(w, "app");
	assert_int_equal(hs_snprintf(path, sizeof(path), "%s/app.base.tar",
				     w->cfg.cache),
			 0);
	assert_int_equal(unlink(path), 0);
	ew_component(w, "app", "2.0");
	delta = ew_delta(w, "app", "1.0", false);
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_contains(res.reason, "app 2.0 installed; full package: no base "
				    "of 1.0 in the cache");
	ew_history(w, "app", &a);
	assert_string_equal(a.method, "fallback");
	assert_int_equal(ew_file(w, delta)->requests, 0);
	assert_int_equal(ew_file(w, ew_package_url(w, "app"))->requests, 1);
	assert_active(w, "app", "2.0");
}

static void
test_second_hash_mismatch_is_failed_verify_nothing_installed(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_installed in;
	struct db_partial p;
	const char *url;
	char cur[HS_VERSION_MAX + 1];

	ew_component(w, "app", "1.0");
	ew_publish(w);
	url = ew_package_url(w, "app");
	ew_fault(w, url, EW_CORRUPT, 0);
	ew_fault(w, url, EW_CORRUPT, 0);
	assert_run(w, STATE_FAILED_VERIFY, &res);
	assert_contains(res.reason, "hash mismatch");
	assert_contains(res.reason, "; nothing was installed");
	assert_int_equal(ew_file(w, url)->requests, 2);
	assert_int_equal(ew_file(w, url)->first_byte, 0);
	ew_current(w, "app", cur, sizeof(cur));
	assert_string_equal(cur, "");
	assert_int_equal(db_installed_get(w->db, "app", &in, NULL), -ENOENT);
	/* bytes that failed a check are never kept */
	assert_int_equal(db_partial_get(w->db, "app", &p, NULL), -ENOENT);
	assert_false(ew_cached(w, "app.part"));
	assert_int_equal(res.next_attempt, w->now + 31);
}

static void test_interrupted_keeps_bytes_and_next_attempt_resumes(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_partial p;
	struct db_attempt a;
	char kept[96];
	const char *url;
	uint64_t size;
	uint64_t cut;

	ew_component(w, "app", "1.0");
	ew_publish(w);
	url = ew_package_url(w, "app");
	size = ew_file(w, url)->n;
	cut = size / 3;
	ew_fault(w, url, EW_DROP, cut);
	assert_run(w, STATE_INTERRUPTED, &res);
	(void)snprintf(kept, sizeof(kept),
		       "%llu of %llu bytes kept, resumes at",
		       (unsigned long long)cut, (unsigned long long)size);
	assert_contains(res.reason, kept);
	assert_int_equal(res.next_attempt, w->now + 31);
	assert_int_equal(db_partial_get(w->db, "app", &p, NULL), 0);
	assert_int_equal(p.offset, cut);
	assert_true(ew_cached(w, "app.part"));
	assert_active(w, "app", "");

	assert_run(w, STATE_COMPLETED, &res);
	assert_int_equal(ew_file(w, url)->first_byte, cut);
	ew_history(w, "app", &a);
	assert_string_equal(a.method, "resumed");
	assert_int_equal(a.bytes, size - cut);
	assert_int_equal(res.bytes, size - cut);
	assert_active(w, "app", "1.0");
	assert_int_equal(db_partial_get(w->db, "app", &p, NULL), -ENOENT);
	assert_false(ew_cached(w, "app.part"));
}

/* A shutdown mid-download: STOPPED, the bytes kept and said so, and no
 * resume time (the next run of haishind goes on). */
static void test_shutdown_is_stopped_with_bytes_kept(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_partial p;
	char kept[96];
	const char *url;
	uint64_t size;

	ew_component(w, "app", "1.0");
	ew_publish(w);
	url = ew_package_url(w, "app");
	size = ew_file(w, url)->n;
	ew_fault(w, url, EW_SHUTDOWN, size / 2);
	assert_run(w, STATE_STOPPED, &res);
	(void)snprintf(kept, sizeof(kept), "; %llu of %llu bytes kept; ",
		       (unsigned long long)(size / 2),
		       (unsigned long long)size);
	assert_contains(res.reason, "stopped: haishind is shutting down");
	assert_contains(res.reason, kept);
	assert_contains(res.reason, "nothing was installed");
	assert_lacks(res.reason, "resumes at");
	assert_int_equal(res.next_attempt, 0);
	assert_int_equal(db_partial_get(w->db, "app", &p, NULL), 0);
	assert_int_equal(p.offset, size / 2);
}

/* The record of 2.0 fails and so does the switch back to 1.0: the reason
 * says what is really active, never "the previous version is still
 * active". */
static void test_failed_switch_back_says_what_is_really_active(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_installed in;
	char points[PATH_MAX + 32];
	unsigned before;

	install_first(w, "app");
	ew_component(w, "app", "2.0");
	ew_publish(w);
	ew_refuse_installed(w);
	before = w->activations;
	w->fail_activation = before + 2; /* the switch back */
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_contains(res.reason, "recording app 2.0 failed: ");
	assert_contains(res.reason, "disk says no");
	assert_contains(res.reason, "; switching back to 1.0 failed too: "
				    "cannot switch '");
	(void)snprintf(points, sizeof(points),
		       "; '%s/app/current' points at "
		       "2.0",
		       w->cfg.install);
	assert_contains(res.reason, points);
	assert_lacks(res.reason, "still active");
	assert_lacks(res.reason, "active again");
	assert_int_equal(w->activations, before + 2);
	/* what the reason says is what is on disk */
	assert_active(w, "app", "2.0");
	assert_int_equal(db_installed_get(w->db, "app", &in, NULL), 0);
	assert_string_equal(in.version, "1.0");
}

/* The same failed record with a working switch back: 1.0 is active again,
 * and 2.0 is gone. */
static void test_failed_record_switches_back_to_previous(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	unsigned before;
	char path[PATH_MAX];

	install_first(w, "app");
	ew_component(w, "app", "2.0");
	ew_publish(w);
	ew_refuse_installed(w);
	before = w->activations;
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_contains(res.reason, "disk says no; app 1.0 is active again");
	assert_int_equal(w->activations, before + 2);
	assert_active(w, "app", "1.0");
	assert_int_equal(
		hs_snprintf(path, sizeof(path), "%s/app/2.0", w->cfg.install),
		0);
	assert_int_equal(access(path, F_OK), -1);
}

/* An attempt that switched haishin itself asks the daemon to hand over to
 * the new version (from the one before); any other component does not, and
 * neither does a haishin that failed to install. */
static void test_installed_haishin_asks_for_a_hand_over(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;

	install_first(w, "app");
	ew_component(w, "haishin", "1.0");
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_string_equal(res.handover, "1.0");
	assert_string_equal(res.handover_from, "");
	ew_component(w, "app", "2.0");
	ew_component(w, "haishin", "2.0");
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_string_equal(res.handover, "2.0");
	assert_string_equal(res.handover_from, "1.0");
	ew_component(w, "app", "3.0");
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_string_equal(res.handover, "");
	ew_component(w, "haishin", "3.0");
	ew_publish(w);
	ew_refuse_installed(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.handover, "");
	assert_active(w, "haishin", "2.0");
}

/* a completes, b's bytes are wrong twice, c breaks off: the attempt is
 * FAILED_VERIFY, and its line tells b, then c, then what was installed. */
static void test_mixed_outcomes_make_one_state_and_one_line(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_attempt a;
	struct db_attempt b;
	struct db_attempt c;
	char want[3 * CYCLE_REASON_MAX];
	const char *url_b;
	const char *url_c;

	ew_component(w, "a", "1.0");
	ew_component(w, "b", "1.0");
	ew_component(w, "c", "1.0");
	ew_publish(w);
	url_b = ew_package_url(w, "b");
	url_c = ew_package_url(w, "c");
	ew_fault(w, url_b, EW_CORRUPT, 0);
	ew_fault(w, url_b, EW_CORRUPT, 0);
	ew_fault(w, url_c, EW_DROP, ew_file(w, url_c)->n / 2);
	assert_run(w, STATE_FAILED_VERIFY, &res);
	ew_history(w, "a", &a);
	ew_history(w, "b", &b);
	ew_history(w, "c", &c);
	assert_string_equal(a.state, "COMPLETED");
	assert_string_equal(b.state, "FAILED_VERIFY");
	assert_string_equal(c.state, "INTERRUPTED");
	assert_int_equal(hs_snprintf(want, sizeof(want), "b: %s; c: %s; %s",
				     b.reason, c.reason, a.reason),
			 0);
	print_message("%s %s\n", state_name(res.state), res.reason);
	assert_string_equal(res.reason, want);
	assert_string_equal(a.reason, "a 1.0 installed");
	/* the interruption's time to resume is the attempt's */
	assert_int_equal(res.next_attempt, w->now + 31);
	assert_active(w, "a", "1.0");
	assert_active(w, "b", "");
	assert_active(w, "c", "");
}

/* A drop retried within the run waits out the backoff on the attempt's
 * clock: a WAITING event, the clock 30 s on, no time really spent. */
static void test_waits_take_no_time_with_the_fake_clock(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_attempt a;
	const int64_t start = w->now;
	const time_t real = time(NULL);
	const char *url;

	w->cfg.retries = 3;
	ew_component(w, "app", "1.0");
	ew_publish(w);
	url = ew_package_url(w, "app");
	ew_fault(w, url, EW_DROP, ew_file(w, url)->n / 2);
	assert_run(w, STATE_COMPLETED, &res);
	assert_int_equal(w->n_waiting, 1);
	assert_int_equal(w->sleeps, 1);
	assert_int_equal(w->slept, 30);
	assert_int_equal(w->now, start + 30);
	assert_true(time(NULL) - real < 10);
	ew_history(w, "app", &a);
	assert_int_equal(a.finished, start + 30);
	assert_int_equal(a.bytes, ew_file(w, url)->n);
	assert_active(w, "app", "1.0");
}

/* The check reaches the server through the same interface: a manifest it
 * lacks is FAILED_CONNECT, recorded for the check. */
static void test_a_manifest_the_server_lacks_is_failed_connect(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_attempt a;

	assert_run(w, STATE_FAILED_CONNECT, &res);
	assert_contains(res.reason, "HTTP: 404 for 'http://updates.test/"
				    "manifest.json'");
	ew_history(w, "", &a);
	assert_string_equal(a.state, "FAILED_CONNECT");
}

/* ---- hooks, health, sets (docs/install.md) ------------------------------ */

/* Formats a hook's script text into out. */
static void script(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void script(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	assert_true(r >= 0 && (size_t)r < n);
}

/* The lines of the world's file name, counted. */
static size_t count_lines(struct ew_world *w, const char *name)
{
	char *text = ew_read(w, name);
	size_t n = 0;
	const char *p;

	for (p = text; *p != '\0'; p++)
		n += *p == '\n';
	free(text);
	return n;
}

static void assert_component_state(struct ew_world *w, const char *name,
				   const char *failed_version,
				   struct db_component_state *ret)
{
	struct hs_err e;

	if (db_component_state_get(w->db, name, ret, &e) < 0)
		fail_msg("no component_state row for %s", name);
	assert_string_equal(ret->failed_version, failed_version);
}

static void assert_installed(struct ew_world *w, const char *name,
			     const char *version)
{
	struct db_installed in;

	assert_int_equal(db_installed_get(w->db, name, &in, NULL), 0);
	assert_string_equal(in.version, version);
}

/* app 2.0 whose health check says why it is down, three times: the
 * attempt switches back to 1.0 (byte for byte), ends FAILED_INSTALL naming
 * the check, its tries and its last line, and records 2.0 as failed. */
static void test_failing_health_check_switches_back_and_names_it(void **state)
{
	struct ew_world *w = *state;
	char *log = ew_path(w, "health.log");
	struct ew_hooks h = {NULL, NULL, NULL};
	char health[PATH_MAX + 128];
	struct db_component_state cs;
	struct cycle_result res;
	struct db_attempt a;

	install_first(w, "app");
	script(health, sizeof(health),
	       "echo run >>'%s'\necho 'checking port 8080'\n"
	       "echo 'not listening on 8080' >&2\nexit 1",
	       log);
	h.health = health;
	ew_component_hooks(w, "app", "2.0", &h);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.reason,
			    "health check of app 2.0 failed after 3 tries: "
			    "exit status 1: not listening on 8080; app 1.0 is "
			    "active again");
	assert_int_equal(count_lines(w, "health.log"), 3);
	assert_int_equal(w->slept, 2 * 5); /* health_interval between tries */
	assert_active(w, "app", "1.0");
	assert_true(ew_active_tree_is(w, "app", "1.0"));
	assert_false(ew_version_dir_exists(w, "app", "2.0"));
	assert_installed(w, "app", "1.0");
	assert_component_state(w, "app", "2.0", &cs);
	assert_string_equal(cs.failed_reason,
			    "health check of app 2.0 failed after 3 tries: "
			    "exit status 1: not listening on 8080");
	assert_false(cs.health_ok);
	assert_string_equal(cs.health_detail,
			    "2.0: exit status 1: not listening on 8080");
	ew_history(w, "app", &a);
	assert_string_equal(a.state, "FAILED_INSTALL");
	assert_string_equal(a.reason, res.reason);
	free(log);
}

/* A health check that hangs is killed at [install] hook_timeout, and the
 * install fails saying it timed out. */
static void test_health_check_that_hangs_times_out(void **state)
{
	struct ew_world *w = *state;
	struct ew_hooks h = {NULL, NULL,
			     "echo 'waiting for the reader'\n"
			     "sleep 30"};
	const time_t started = time(NULL);
	struct cycle_result res;

	install_first(w, "app");
	w->cfg.hook_timeout = 1;
	w->cfg.health_tries = 1;
	ew_component_hooks(w, "app", "2.0", &h);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.reason,
			    "health check of app 2.0 failed: timed out after 1 "
			    "s: waiting for the reader; app 1.0 is active "
			    "again");
	assert_true(time(NULL) - started < 10);
	assert_true(ew_active_tree_is(w, "app", "1.0"));
}

/* A health check that passes on its third run: the install completes,
 * and the health result says on which try. */
static void test_health_check_passing_on_a_later_try_installs(void **state)
{
	struct ew_world *w = *state;
	char *count = ew_path(w, "count");
	struct ew_hooks h = {NULL, NULL, NULL};
	char health[PATH_MAX + 256];
	struct db_component_state cs;
	struct cycle_result res;

	install_first(w, "app");
	script(health, sizeof(health),
	       "echo x >>'%s'\nn=$(wc -l <'%s')\n"
	       "if [ \"$n\" -lt 3 ]; then echo starting; exit 1; fi\n"
	       "echo 'ready after' $n",
	       count, count);
	h.health = health;
	ew_component_hooks(w, "app", "2.0", &h);
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_string_equal(res.reason, "app 2.0 installed");
	assert_int_equal(count_lines(w, "count"), 3);
	assert_true(ew_active_tree_is(w, "app", "2.0"));
	assert_installed(w, "app", "2.0");
	assert_component_state(w, "app", "", &cs);
	assert_true(cs.health_ok);
	assert_string_equal(cs.health_detail,
			    "2.0: passed on try 3 of 3; ready after 3");
	assert_int_equal(cs.health_at, w->now);
	free(count);
}

/* pre-install fails: nothing was switched (1.0 untouched), the staged
 * 2.0 is removed, and 2.0 is recorded as failed. */
static void test_failing_pre_install_leaves_the_old_version(void **state)
{
	struct ew_world *w = *state;
	struct ew_hooks h = {"echo 'needs 2 GiB free, 1 GiB left'\nexit 3",
			     NULL, NULL};
	struct db_component_state cs;
	struct cycle_result res;
	unsigned before;

	install_first(w, "app");
	before = w->activations;
	ew_component_hooks(w, "app", "2.0", &h);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.reason,
			    "pre-install of app 2.0 failed: exit status 3: "
			    "needs 2 GiB free, 1 GiB left; the previous "
			    "version is still active");
	assert_int_equal(w->activations, before);
	assert_true(ew_active_tree_is(w, "app", "1.0"));
	assert_false(ew_version_dir_exists(w, "app", "2.0"));
	assert_true(ew_version_dir_exists(w, "app", "1.0"));
	assert_installed(w, "app", "1.0");
	assert_component_state(w, "app", "2.0", &cs);
}

/* post-install fails after the switch: switched back to 1.0. */
static void test_failing_post_install_switches_back(void **state)
{
	struct ew_world *w = *state;
	struct ew_hooks h = {NULL, "echo 'cannot migrate the settings'\nexit 2",
			     "exit 0"};
	struct cycle_result res;
	unsigned before;

	install_first(w, "app");
	before = w->activations;
	ew_component_hooks(w, "app", "2.0", &h);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.reason,
			    "post-install of app 2.0 failed: exit status 2: "
			    "cannot migrate the settings; app 1.0 is active "
			    "again");
	assert_int_equal(w->activations, before + 2);
	assert_true(ew_active_tree_is(w, "app", "1.0"));
	assert_false(ew_version_dir_exists(w, "app", "2.0"));
	assert_installed(w, "app", "1.0");
}

/* Publishes NAME VERSION in set "till" with h's hooks. */
static void set_member(struct ew_world *w, const char *name,
		       const char *version, const struct ew_hooks *h)
{
	struct manifest_component *c = ew_component_hooks(w, name, version, h);

	assert_int_equal(hs_strlcpy(c->set, "till", sizeof(c->set)), 0);
}

/* A set of two, both updated; the second one's health check fails: both
 * are switched back, and each says why.  Both were switched before the
 * first one's post-install ran. */
static void test_set_whose_second_member_fails_reverts_both(void **state)
{
	struct ew_world *w = *state;
	char *seen = ew_path(w, "seen");
	struct ew_hooks ha = {NULL, NULL, NULL};
	struct ew_hooks hb = {NULL, NULL, "echo 'lib: symbol missing'\nexit 1"};
	char post[PATH_MAX * 2 + 64];
	struct db_component_state cs;
	struct cycle_result res;
	struct db_attempt a;
	struct db_attempt b;
	char *text;

	set_member(w, "a", "1.0", NULL);
	set_member(w, "b", "1.0", NULL);
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	script(post, sizeof(post), "readlink '%s/b/current' >'%s'",
	       w->cfg.install, seen);
	ha.post_install = post;
	w->cfg.health_tries = 1;
	set_member(w, "a", "2.0", &ha);
	set_member(w, "b", "2.0", &hb);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	ew_history(w, "a", &a);
	ew_history(w, "b", &b);
	assert_string_equal(b.reason, "health check of b 2.0 failed: exit "
				      "status 1: lib: symbol missing; b 1.0 is "
				      "active again");
	assert_string_equal(a.reason,
			    "reverted with its set 'till': health check of b "
			    "2.0 failed: exit status 1: lib: symbol missing; a "
			    "1.0 is active again");
	assert_string_equal(a.state, "FAILED_INSTALL");
	text = ew_read(w, "seen");
	assert_string_equal(text, "2.0\n");
	free(text);
	assert_true(ew_active_tree_is(w, "a", "1.0"));
	assert_true(ew_active_tree_is(w, "b", "1.0"));
	assert_installed(w, "a", "1.0");
	assert_installed(w, "b", "1.0");
	assert_component_state(w, "a", "2.0", &cs);
	assert_component_state(w, "b", "2.0", &cs);
	free(seen);
}

/* One member of a set updated: the other, not updated, is health-checked
 * with it, and its failure reverts the one updated. */
static void test_set_member_not_updated_is_checked_too(void **state)
{
	struct ew_world *w = *state;
	char *flag = ew_path(w, "broken");
	struct ew_hooks hb = {NULL, NULL, NULL};
	char health[PATH_MAX + 64];
	struct cycle_result res;
	struct db_attempt a;

	script(health, sizeof(health),
	       "if [ -e '%s' ]; then echo 'a 2.0 broke me'; exit 1; fi", flag);
	hb.health = health;
	w->cfg.health_tries = 1;
	set_member(w, "a", "1.0", NULL);
	set_member(w, "b", "1.0", &hb);
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	tu_write(w->dir, "broken", "", 0, 0644);
	set_member(w, "a", "2.0", NULL);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	ew_history(w, "a", &a);
	assert_string_equal(a.reason,
			    "reverted with its set 'till': health check of b "
			    "1.0 failed: exit status 1: a 2.0 broke me; a 1.0 "
			    "is active again");
	assert_true(ew_active_tree_is(w, "a", "1.0"));
	assert_true(ew_active_tree_is(w, "b", "1.0"));
	free(flag);
}

/* A first install whose health check fails: current is removed again and
 * nothing of app is installed. */
static void test_first_install_whose_health_fails_leaves_nothing(void **state)
{
	struct ew_world *w = *state;
	struct ew_hooks h = {NULL, NULL, "echo 'no card reader'\nexit 1"};
	struct cycle_result res;
	struct db_installed in;

	w->cfg.health_tries = 1;
	ew_component_hooks(w, "app", "1.0", &h);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.reason,
			    "health check of app 1.0 failed: exit status 1: no "
			    "card reader; app has no active version, as "
			    "before");
	assert_active(w, "app", "");
	assert_false(ew_version_dir_exists(w, "app", "1.0"));
	assert_int_equal(db_installed_get(w->db, "app", &in, NULL), -ENOENT);
}

/* The failed 2.0 is not downloaded or tried again, and says so, until the
 * manifest names 2.1, which goes in. */
static void test_failed_version_waits_for_a_newer_one(void **state)
{
	struct ew_world *w = *state;
	struct ew_hooks bad = {NULL, NULL, "echo down\nexit 1"};
	struct ew_hooks good = {NULL, NULL, "echo up"};
	struct db_component_state cs;
	struct cycle_result res;
	char want[CYCLE_REASON_MAX];
	char when[21];
	const char *url;
	unsigned requests;
	int64_t failed_at;

	install_first(w, "app");
	w->cfg.health_tries = 1;
	ew_component_hooks(w, "app", "2.0", &bad);
	ew_publish(w);
	url = ew_package_url(w, "app");
	assert_run(w, STATE_FAILED_INSTALL, &res);
	requests = ew_file(w, url)->requests;
	failed_at = w->now;
	w->now += 3600;
	assert_run(w, STATE_FAILED_INSTALL, &res);
	hs_time_format(failed_at, when);
	(void)snprintf(want, sizeof(want),
		       "app 2.0 is not tried again: its install failed at %s "
		       "(health check of app 2.0 failed: exit status 1: "
		       "down); waiting for a newer version",
		       when);
	assert_string_equal(res.reason, want);
	assert_int_equal(ew_file(w, url)->requests, requests);
	assert_true(ew_active_tree_is(w, "app", "1.0"));

	ew_component_hooks(w, "app", "2.1", &good);
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_string_equal(res.reason, "app 2.1 installed");
	assert_true(ew_active_tree_is(w, "app", "2.1"));
	assert_component_state(w, "app", "", &cs);
	assert_true(cs.health_ok);
	assert_string_equal(cs.health_detail, "2.1: passed; up");
}

/* restart: app with a [restart] command: it runs after the switch (it
 * sees current at 2.0) and before post-install and health, and the
 * attempt ends COMPLETED, the app restarted. */
static void test_restart_command_runs_before_health(void **state)
{
	struct ew_world *w = *state;
	char *log = ew_path(w, "order");
	struct ew_hooks h = {NULL, NULL, NULL};
	char post[PATH_MAX + 64];
	char health[PATH_MAX + 64];
	char cmd[PATH_MAX * 2 + 128];
	struct manifest_component *c;
	struct cycle_result res;
	char want[PATH_MAX + 64];
	char *text;

	install_first(w, "app");
	script(post, sizeof(post), "echo post-install >>'%s'", log);
	script(health, sizeof(health), "echo health >>'%s'", log);
	script(cmd, sizeof(cmd),
	       "echo restart $HAISHIN_VERSION $(readlink %s/app/current) >>'%s'",
	       w->cfg.install, log);
	ew_restart(w, "app", cmd);
	h.post_install = post;
	h.health = health;
	c = ew_component_hooks(w, "app", "2.0", &h);
	c->restart = MANIFEST_RESTART_APP;
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_string_equal(res.reason, "app 2.0 installed; restarted with its "
					"[restart] command");
	text = ew_read(w, "order");
	(void)snprintf(want, sizeof(want),
		       "restart 2.0 2.0\npost-install\nhealth\n");
	assert_string_equal(text, want);
	free(text);
	free(log);
}

/* restart: app without a command: COMPLETED_RESTART_REQUIRED, naming the
 * app to restart. */
static void test_app_restart_without_command_is_required(void **state)
{
	struct ew_world *w = *state;
	struct manifest_component *c;
	struct cycle_result res;

	install_first(w, "app");
	c = ew_component(w, "app", "2.0");
	c->restart = MANIFEST_RESTART_APP;
	ew_publish(w);
	assert_run(w, STATE_COMPLETED_RESTART_REQUIRED, &res);
	assert_string_equal(res.reason, "app 2.0 installed; restart app");
}

/* The health check fails after the restart command ran: the command runs
 * again after the switch back, for 1.0, so 1.0 is what runs. */
static void test_restart_command_runs_again_after_switch_back(void **state)
{
	struct ew_world *w = *state;
	char *log = ew_path(w, "restarts");
	struct ew_hooks h = {NULL, NULL, "exit 1"};
	char cmd[PATH_MAX * 2 + 128];
	struct cycle_result res;
	char *text;

	install_first(w, "app");
	w->cfg.health_tries = 1;
	script(cmd, sizeof(cmd),
	       "echo $HAISHIN_VERSION $HAISHIN_PREVIOUS $(readlink "
	       "%s/app/current) >>'%s'",
	       w->cfg.install, log);
	ew_restart(w, "app", cmd);
	ew_component_hooks(w, "app", "2.0", &h);
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_contains(res.reason, "; app 1.0 is active again");
	text = ew_read(w, "restarts");
	assert_string_equal(text, "2.0 1.0 2.0\n1.0 2.0 1.0\n");
	free(text);
	free(log);
}

/* A restart command that fails switches back like a failed hook. */
static void test_failing_restart_command_switches_back(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;

	install_first(w, "app");
	ew_restart(w, "app", "echo 'unit app.service not found'; exit 5");
	ew_component(w, "app", "2.0");
	ew_publish(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_string_equal(
		res.reason,
		"the restart command of app 2.0 failed: exit status "
		"5: unit app.service not found; app 1.0 is active "
		"again; restarting app 1.0 failed too: exit status "
		"5: unit app.service not found");
	assert_true(ew_active_tree_is(w, "app", "1.0"));
}

/* Every hook sees the version's directory as its working directory and
 * exactly the four variables (and PATH; PWD is the shell's). */
static void test_hooks_see_a_clean_environment(void **state)
{
	struct ew_world *w = *state;
	char *out = ew_path(w, "env");
	struct ew_hooks h = {NULL, NULL, NULL};
	char pre[PATH_MAX + 64];
	char want[PATH_MAX * 3];
	struct cycle_result res;
	char *text;

	install_first(w, "app");
	script(pre, sizeof(pre), "env | sort >'%s'", out);
	h.pre_install = pre;
	ew_component_hooks(w, "app", "2.0", &h);
	ew_publish(w);
	assert_true(setenv("HAISHIN_LEAK", "from the daemon", 1) == 0);
	assert_run(w, STATE_COMPLETED, &res);
	assert_true(unsetenv("HAISHIN_LEAK") == 0);
	text = ew_read(w, "env");
	(void)snprintf(want, sizeof(want),
		       "HAISHIN_COMPONENT=app\nHAISHIN_DIR=%s/app/2.0\n"
		       "HAISHIN_PREVIOUS=1.0\nHAISHIN_VERSION=2.0\n%s\n"
		       "PWD=%s/app/2.0\n",
		       w->cfg.install, PROC_PATH, w->cfg.install);
	assert_string_equal(text, want);
	free(text);
	free(out);
}

/* ---- holds of a rollback by hand -------------------------------------------- */

/* app 2.0 rolled back to 1.0 by hand and held, as the rollback leaves the
 * database and the install root. */
static void hold_app_at_1_0(struct ew_world *w)
{
	struct db_installed in;
	struct db_hold h;
	struct hs_err e;

	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, "app", sizeof(in.name));
	(void)hs_strlcpy(in.version, "1.0", sizeof(in.version));
	(void)hs_strlcpy(in.previous, "2.0", sizeof(in.previous));
	in.installed_at = w->now;
	memset(&h, 0, sizeof(h));
	(void)hs_strlcpy(h.name, "app", sizeof(h.name));
	(void)hs_strlcpy(h.from_version, "2.0", sizeof(h.from_version));
	(void)hs_strlcpy(h.reason, "rolled back from 2.0 by hand",
			 sizeof(h.reason));
	h.held_at = 1900000000;
	assert_int_equal(db_installed_put(w->db, &in, &e), 0);
	assert_int_equal(db_hold_put(w->db, &h, &e), 0);
	assert_int_equal(w->env.installer.activate(w->env.installer.ctx,
						   w->cfg.install, "app", "1.0",
						   &e),
			 0);
}

/* While app is held at 1.0, the manifest's 2.0 is neither downloaded nor
 * installed: a STOPPED row says since when and how to lift it, after what
 * the attempt did install. */
static void test_a_held_component_waits_and_says_why(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_attempt a;
	unsigned before;

	install_first(w, "app");
	ew_component(w, "app", "2.0");
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	hold_app_at_1_0(w);
	before = ew_file(w, ew_package_url(w, "app"))->requests;
	ew_component(w, "b", "1.0");
	ew_publish(w);
	assert_run(w, STATE_STOPPED, &res);
	assert_string_equal(res.reason,
			    "b 1.0 installed; app is held at 1.0 since "
			    "2030-03-17T17:46:40Z (rolled back from 2.0 by "
			    "hand): 'haishinctl resume app' lifts it");
	assert_int_equal(ew_file(w, ew_package_url(w, "app"))->requests,
			 before);
	assert_active(w, "app", "1.0");
	ew_history(w, "app", &a);
	assert_string_equal(a.state, "STOPPED");
	assert_string_equal(a.from_version, "1.0");
	assert_string_equal(a.to_version, "2.0");
}

/* A version newer than the one rolled back from goes in and lifts the
 * hold, in the same transaction as its record. */
static void test_a_newer_version_lifts_the_hold(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_installed in;
	struct db_hold h;
	struct hs_err e;

	install_first(w, "app");
	ew_component(w, "app", "2.0");
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	hold_app_at_1_0(w);
	ew_component(w, "app", "3.0");
	ew_publish(w);
	assert_run(w, STATE_COMPLETED, &res);
	assert_string_equal(res.reason,
			    "app 3.0 installed; the hold of app is lifted: "
			    "3.0 is newer than 2.0, the version rolled back "
			    "from");
	assert_active(w, "app", "3.0");
	assert_int_equal(db_hold_get(w->db, "app", &h, &e), -ENOENT);
	assert_int_equal(db_installed_get(w->db, "app", &in, &e), 0);
	assert_string_equal(in.previous, "1.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_delta_applied),
		TEST(test_delta_refused_falls_back_to_full),
		TEST(test_missing_base_falls_back_to_full),
		TEST(test_second_hash_mismatch_is_failed_verify_nothing_installed),
		TEST(test_interrupted_keeps_bytes_and_next_attempt_resumes),
		TEST(test_shutdown_is_stopped_with_bytes_kept),
		TEST(test_failed_switch_back_says_what_is_really_active),
		TEST(test_failed_record_switches_back_to_previous),
		TEST(test_installed_haishin_asks_for_a_hand_over),
		TEST(test_mixed_outcomes_make_one_state_and_one_line),
		TEST(test_waits_take_no_time_with_the_fake_clock),
		TEST(test_a_manifest_the_server_lacks_is_failed_connect),
		TEST(test_failing_health_check_switches_back_and_names_it),
		TEST(test_health_check_that_hangs_times_out),
		TEST(test_health_check_passing_on_a_later_try_installs),
		TEST(test_failing_pre_install_leaves_the_old_version),
		TEST(test_failing_post_install_switches_back),
		TEST(test_set_whose_second_member_fails_reverts_both),
		TEST(test_set_member_not_updated_is_checked_too),
		TEST(test_first_install_whose_health_fails_leaves_nothing),
		TEST(test_failed_version_waits_for_a_newer_one),
		TEST(test_restart_command_runs_before_health),
		TEST(test_app_restart_without_command_is_required),
		TEST(test_restart_command_runs_again_after_switch_back),
		TEST(test_failing_restart_command_switches_back),
		TEST(test_hooks_see_a_clean_environment),
		TEST(test_a_held_component_waits_and_says_why),
		TEST(test_a_newer_version_lifts_the_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
