/*
 * test_rollback.c - rollbacks by hand (rollback.h) in a world of real
 * installs (engineutil.h: a real state database and install root, app 1.0
 * and 2.0 installed by real attempts): to the previous version, to a named
 * one, refusals that change nothing (a version not on disk or only staged,
 * no previous one, the active one, a component not installed), the restart
 * command and the health check with the hooks' environment, a failing
 * health check or restart command that switches back, a switch back that
 * fails too, and the record: installed, previous, the hold and the
 * history row.
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engineutil.h"
#include "install.h"
#include "rollback.h"
#include "str.h"

#define TEST(f) cmocka_unit_test_setup_teardown(f, rb_setup, ew_teardown)

/* What the rollback reported, and an installer whose nth switch fails. */
struct rb_seen {
	enum state states[16];
	char texts[16][CYCLE_REASON_MAX];
	size_t n;
	unsigned activations;
	unsigned fail_at; /* 0: never */
};

static struct rb_seen seen;

static void rb_progress(void *ctx, const struct cycle_event *ev)
{
	(void)ctx;
	if (seen.n < TU_ARRAY_SIZE(seen.states)) {
		seen.states[seen.n] = ev->state;
		(void)hs_strlcpy(seen.texts[seen.n], ev->text,
				 sizeof(seen.texts[0]));
		seen.n++;
	}
}

/* Counts the switches (installs switch on their own, not through it). */
static int rb_activate(void *ctx, const char *root, const char *name,
		       const char *version, struct hs_err *e)
{
	(void)ctx;
	if (++seen.activations == seen.fail_at)
		return hs_err_set(e, -EIO,
				  "cannot switch '%s/%s/current': "
				  "Input/output error",
				  root, name);
	return install_activate(root, name, version, e);
}

static void run_attempt(struct ew_world *w)
{
	struct cycle_result res;

	ew_run(w, &res);
	if (res.state != STATE_COMPLETED)
		fail_msg("install: %s %s", state_name(res.state), res.reason);
}

/* A world with app 1.0, then 2.0, installed by attempts; the rollbacks
 * run as haishinctl's do (trigger manual). */
static int rb_setup(void **state)
{
	struct ew_world *w;

	assert_int_equal(ew_setup(state), 0);
	w = *state;
	ew_component(w, "app", "1.0");
	ew_publish(w);
	run_attempt(w);
	ew_component(w, "app", "2.0");
	ew_publish(w);
	run_attempt(w);
	memset(&seen, 0, sizeof(seen));
	w->env.trigger = "manual";
	w->env.progress = rb_progress;
	w->env.installer.activate = rb_activate;
	return 0;
}

static void rollback(struct ew_world *w, const char *version, enum state want,
		     struct cycle_result *res)
{
	rollback_run(&w->env, "app", version, res);
	print_message("%s %s\n", state_name(res->state), res->reason);
	if (res->state != want)
		fail_msg("want %s, got %s %s", state_name(want),
			 state_name(res->state), res->reason);
}

static void assert_active(struct ew_world *w, const char *version)
{
	char cur[HS_VERSION_MAX + 1];
	char text[128];
	char want[128];

	ew_current(w, "app", cur, sizeof(cur));
	assert_string_equal(cur, version);
	ew_active_version_file(w, "app", text, sizeof(text));
	(void)snprintf(want, sizeof(want), "app %s\n", version);
	assert_string_equal(text, want);
}

static void assert_recorded(struct ew_world *w, const char *version,
			    const char *previous)
{
	struct db_installed in;
	struct hs_err e;

	assert_int_equal(db_installed_get(w->db, "app", &in, &e), 0);
	assert_string_equal(in.version, version);
	assert_string_equal(in.previous, previous);
}

static void assert_not_held(struct ew_world *w)
{
	struct db_hold h;
	struct hs_err e;

	assert_int_equal(db_hold_get(w->db, "app", &h, &e), -ENOENT);
}

/* The attempt marker is cleared: nothing for cycle_recover() to find. */
static void assert_not_running(struct ew_world *w)
{
	char v[64];

	assert_int_equal(
		db_setting_get(w->db, CYCLE_RUNNING_KEY, v, sizeof(v), NULL),
		0);
	assert_string_equal(v, "");
}

static void assert_history(struct ew_world *w, const char *from, const char *to,
			   const char *state, const char *reason)
{
	struct db_attempt a;

	ew_history(w, "app", &a);
	assert_string_equal(a.trigger, "manual");
	assert_string_equal(a.method, "rollback");
	assert_string_equal(a.from_version, from);
	assert_string_equal(a.to_version, to);
	assert_string_equal(a.state, state);
	assert_string_equal(a.reason, reason);
}

/* Writes INSTALL/app/VERSION/.haishin/health (or another file). */
static void write_script(struct ew_world *w, const char *version,
			 const char *file, const char *body)
{
	char name[PATH_MAX];
	char text[2048];

	(void)snprintf(name, sizeof(name), "app/%s/%s", version, file);
	(void)snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	tu_write(w->cfg.install, name, text, strlen(text), 0755);
}

/* Configures [restart] app = command. */
static void set_restart(struct ew_world *w, const char *command)
{
	ew_restart(w, "app", command);
}

static char *read_text(struct ew_world *w, const char *name)
{
	char *path = tu_path(w->dir, name);
	size_t n = 0;
	char *p = tu_read(path, &n);
	char *s = calloc(1, n + 1);

	assert_non_null(s);
	memcpy(s, p, n);
	free(p);
	free(path);
	return s;
}

static void test_rollback_to_previous_records_and_holds(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_hold h;
	struct hs_err e;

	rollback(w, NULL, STATE_COMPLETED, &res);
	assert_string_equal(res.reason,
			    "rolled back app 2.0 → 1.0 by hand; automatic "
			    "updates of app are held until 'haishinctl resume "
			    "app' or a version newer than 2.0");
	assert_active(w, "1.0");
	assert_recorded(w, "1.0", "2.0");
	assert_int_equal(db_hold_get(w->db, "app", &h, &e), 0);
	assert_string_equal(h.from_version, "2.0");
	assert_string_equal(h.reason, "rolled back from 2.0 by hand");
	assert_int_equal(h.held_at, w->now);
	assert_history(w, "2.0", "1.0", "COMPLETED", res.reason);
	assert_not_running(w);
	/* What it reported, in order: the check, the switch. */
	assert_true(seen.n >= 2);
	assert_int_equal(seen.states[0], STATE_CHECKING);
	assert_int_equal(seen.states[1], STATE_INSTALLING);
	assert_string_equal(seen.texts[1], "app: switching from 2.0 to 1.0");
	/* Both versions stay on disk: 2.0 is the previous one now. */
	tu_assert_file(w->cfg.install, "app/2.0/version", "app 2.0\n");
}

static void test_rollback_to_a_named_version(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	struct db_hold h;
	struct hs_err e;

	ew_component(w, "app", "3.0");
	ew_publish(w);
	run_attempt(w);
	rollback(w, "1.0", STATE_COMPLETED, &res);
	assert_string_equal(res.reason,
			    "rolled back app 3.0 → 1.0 by hand; automatic "
			    "updates of app are held until 'haishinctl resume "
			    "app' or a version newer than 3.0");
	assert_active(w, "1.0");
	assert_recorded(w, "1.0", "3.0");
	assert_int_equal(db_hold_get(w->db, "app", &h, &e), 0);
	assert_string_equal(h.from_version, "3.0");
}

/* Refusals: nothing switched, nothing recorded but the history row. */
static void test_rollback_refusals_change_nothing(void **state)
{
	static const struct {
		const char *version;
		const char *reason;
	} rows[] = {
		{"0.9", "app 0.9 is not on disk; versions on disk: 1.0, 2.0"},
		{"1.5", "app 1.5 is not on disk; versions on disk: 1.0, 2.0"},
		{"2.0", "app 2.0 is already the active version; versions on "
			"disk: 1.0, 2.0"},
	};
	struct ew_world *w = *state;
	struct cycle_result res;
	size_t i;

	/* A version only staged (an extraction cut off) is not on disk. */
	tu_write(w->cfg.install, "app/1.5.staging/version", "app 1.5\n", 8,
		 0644);
	for (i = 0; i < TU_ARRAY_SIZE(rows); i++) {
		rollback(w, rows[i].version, STATE_FAILED_INSTALL, &res);
		assert_string_equal(res.reason, rows[i].reason);
		assert_history(w, "2.0", rows[i].version, "FAILED_INSTALL",
			       rows[i].reason);
	}
	assert_int_equal(seen.activations, 0);
	assert_active(w, "2.0");
	assert_recorded(w, "2.0", "1.0");
	assert_not_held(w);
	assert_not_running(w);
}

/* A component installed once has no previous version to go to; one not
 * installed has nothing to roll back. */
static void test_rollback_without_previous_or_install(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;

	ew_component(w, "lib", "1.0");
	ew_publish(w);
	run_attempt(w);
	rollback_run(&w->env, "lib", NULL, &res);
	assert_int_equal(res.state, STATE_FAILED_INSTALL);
	assert_string_equal(res.reason,
			    "lib 1.0 has no previous version recorded: name "
			    "one, 'haishinctl rollback lib VERSION'; versions "
			    "on disk: 1.0");
	rollback_run(&w->env, "nothere", "1.0", &res);
	assert_int_equal(res.state, STATE_FAILED_INSTALL);
	assert_string_equal(res.reason, "nothere is not installed: there is "
					"nothing to roll back");
}

/* The restart command runs after the switch, then the health check; both
 * in the version's directory with the hooks' environment. */
static void test_rollback_runs_restart_then_health(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	char command[PATH_MAX + 64];
	char body[PATH_MAX + 256];
	char want[4 * PATH_MAX];
	char *log;

	(void)snprintf(command, sizeof(command),
		       "echo \"restart $HAISHIN_VERSION $(pwd)\" >>'%s/log'",
		       w->dir);
	set_restart(w, command);
	(void)snprintf(body, sizeof(body),
		       "echo \"health $HAISHIN_COMPONENT $HAISHIN_VERSION "
		       "$HAISHIN_PREVIOUS $HAISHIN_DIR $(pwd)\" >>'%s/log'",
		       w->dir);
	write_script(w, "1.0", ".haishin/health", body);
	rollback(w, NULL, STATE_COMPLETED, &res);
	log = read_text(w, "log");
	(void)snprintf(want, sizeof(want),
		       "restart 1.0 %s/app/1.0\n"
		       "health app 1.0 2.0 %s/app/1.0 %s/app/1.0\n",
		       w->cfg.install, w->cfg.install, w->cfg.install);
	assert_string_equal(log, want);
	free(log);
	assert_active(w, "1.0");
}

/* A health check that keeps failing: tried health_tries times on the
 * attempt's clock, then 2.0 is switched back and restarted, and nothing
 * is recorded as installed or held. */
static void test_rollback_failed_health_switches_back(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	char command[PATH_MAX + 64];
	char *log;

	(void)snprintf(command, sizeof(command),
		       "echo \"restart $HAISHIN_VERSION\" >>'%s/log'", w->dir);
	set_restart(w, command);
	w->cfg.health_tries = 2;
	write_script(w, "1.0", ".haishin/health",
		     "echo checking; echo 'port 8080 refused' >&2; exit 1");
	rollback(w, NULL, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.reason,
			    "health check of app 1.0 failed after 2 tries: "
			    "exit status 1: port 8080 refused; app 2.0 is "
			    "active again");
	assert_int_equal(w->sleeps, 1);
	assert_int_equal(w->slept, 5); /* [install] health_interval */
	assert_active(w, "2.0");
	assert_recorded(w, "2.0", "1.0");
	assert_not_held(w);
	assert_history(w, "2.0", "1.0", "FAILED_INSTALL", res.reason);
	assert_not_running(w);
	log = read_text(w, "log");
	assert_string_equal(log, "restart 1.0\nrestart 2.0\n");
	free(log);
}

/* A restart command that fails after the switch: back to 2.0. */
static void test_rollback_failed_restart_switches_back(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;

	set_restart(w, "[ \"$HAISHIN_VERSION\" = 2.0 ] || { echo 'unit app "
		       "failed'; exit 3; }");
	rollback(w, NULL, STATE_FAILED_INSTALL, &res);
	assert_string_equal(res.reason,
			    "the restart command of app failed after the "
			    "switch to 1.0: exit status 3: unit app failed; "
			    "app 2.0 is active again");
	assert_active(w, "2.0");
	assert_recorded(w, "2.0", "1.0");
	assert_not_held(w);
}

/* The switch back fails too: the reason says what current really is,
 * never that 2.0 is active. */
static void test_rollback_failed_switch_back_says_what_is_active(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	char want[CYCLE_REASON_MAX + 2 * PATH_MAX];

	write_script(w, "1.0", ".haishin/health", "echo down; exit 1");
	w->cfg.health_tries = 1;
	seen.fail_at = 2; /* the switch back */
	rollback(w, NULL, STATE_FAILED_INSTALL, &res);
	(void)snprintf(want, sizeof(want),
		       "health check of app 1.0 failed after 1 try: exit "
		       "status 1: down; switching back to 2.0 failed too: "
		       "cannot switch '%s/app/current': Input/output error; "
		       "'%s/app/current' points at 1.0",
		       w->cfg.install, w->cfg.install);
	assert_string_equal(res.reason, want);
	assert_not_held(w);
}

/* The switch itself fails: 2.0 is still active. */
static void test_rollback_failed_switch_leaves_the_active_one(void **state)
{
	struct ew_world *w = *state;
	struct cycle_result res;
	char want[CYCLE_REASON_MAX + 2 * PATH_MAX];

	seen.fail_at = 1;
	rollback(w, NULL, STATE_FAILED_INSTALL, &res);
	(void)snprintf(want, sizeof(want),
		       "cannot switch app to 1.0: cannot switch "
		       "'%s/app/current': Input/output error; app 2.0 is "
		       "still active",
		       w->cfg.install);
	assert_string_equal(res.reason, want);
	assert_active(w, "2.0");
	assert_not_held(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_rollback_to_previous_records_and_holds),
		TEST(test_rollback_to_a_named_version),
		TEST(test_rollback_refusals_change_nothing),
		TEST(test_rollback_without_previous_or_install),
		TEST(test_rollback_runs_restart_then_health),
		TEST(test_rollback_failed_health_switches_back),
		TEST(test_rollback_failed_restart_switches_back),
		TEST(test_rollback_failed_switch_back_says_what_is_active),
		TEST(test_rollback_failed_switch_leaves_the_active_one),
	};

	return tu_result(cmocka_run_group_tests(tests, NULL, NULL));
}
