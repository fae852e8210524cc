/*
 * test_engine.c - whole update attempts through cycle_run(), with the
 * server in memory, the clock faked and faults injected (engineutil.h):
 * a delta applied, a refused delta and a missing base falling back to the
 * full package, a second hash mismatch, an interruption and its resume, a
 * shutdown, a failed switch back after a failed install, waits that take
 * no time, and several components whose outcomes make one state and one
 * line.  The state database, cache and install root are real.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engineutil.h"
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

	install_first(w, "app");
	ew_component(w, "app", "2.0");
	ew_publish(w);
	ew_refuse_installed(w);
	w->fail_activate = true;
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_contains(res.reason, "disk says no");
	assert_contains(res.reason, "; switching back to 1.0 failed too: "
				    "cannot switch '");
	(void)snprintf(points, sizeof(points),
		       "; '%s/app/current' points at "
		       "2.0",
		       w->cfg.install);
	assert_contains(res.reason, points);
	assert_lacks(res.reason, "still active");
	assert_int_equal(w->activations, 1);
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
	char path[PATH_MAX];

	install_first(w, "app");
	ew_component(w, "app", "2.0");
	ew_publish(w);
	ew_refuse_installed(w);
	assert_run(w, STATE_FAILED_INSTALL, &res);
	assert_contains(res.reason,
			"disk says no; the previous version is still active");
	assert_int_equal(w->activations, 1);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
