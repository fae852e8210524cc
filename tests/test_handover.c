/*
 * test_handover.c - the parts of haishin updating itself that need no
 * second daemon (handover.h): which installed haishin an executable is,
 * what a new haishind's 'status' answer proves, the marker's text, putting
 * haishin back and recording why, and a hand-over cut off found at start.
 * tests/integration/selfupdate.sh runs whole hand-overs.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "handover.h"
#include "str.h"
#include "switch.h"

struct world {
	char *dir;
	struct config cfg;
	struct db *db;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char *p;

	assert_non_null(w);
	w->dir = tu_mkdtemp();
	config_defaults(&w->cfg);
	p = tu_path(w->dir, "state");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(hs_strlcpy(w->cfg.state, p, sizeof(w->cfg.state)), 0);
	free(p);
	p = tu_path(w->dir, "install");
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(hs_strlcpy(w->cfg.install, p, sizeof(w->cfg.install)),
			 0);
	free(p);
	p = tu_path(w->dir, "cache");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(hs_strlcpy(w->cfg.cache, p, sizeof(w->cfg.cache)), 0);
	free(p);
	assert_int_equal(db_open(w->cfg.state, &w->db, NULL), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	db_free(w->db);
	tu_rmtree(w->dir);
	free(w->dir);
	free(w);
	return 0;
}

/* INSTALL/haishin/VERSION/sbin/haishind, with current pointing at cur. */
static void make_versions(struct world *w, const char *const *versions,
			  const char *cur)
{
	char path[PATH_MAX];
	size_t i;

	(void)hs_snprintf(path, sizeof(path), "%s/haishin", w->cfg.install);
	(void)mkdir(path, 0755);
	for (i = 0; versions[i] != NULL; i++) {
		(void)hs_snprintf(path, sizeof(path), "%s/haishin/%s",
				  w->cfg.install, versions[i]);
		assert_int_equal(mkdir(path, 0755), 0);
		tu_write(path, "VERSION", versions[i], strlen(versions[i]),
			 0644);
	}
	if (cur != NULL)
		assert_int_equal(
			switch_activate(w->cfg.install, "haishin", cur, NULL),
			0);
}

static void assert_current(const struct world *w, const char *want)
{
	char cur[HS_VERSION_MAX + 1];
	const int r = switch_current(w->cfg.install, "haishin", cur,
				     sizeof(cur), NULL);

	if (want == NULL) {
		assert_int_equal(r, -ENOENT);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(cur, want);
}

static bool version_dir_exists(const struct world *w, const char *v)
{
	char path[PATH_MAX];

	(void)hs_snprintf(path, sizeof(path), "%s/haishin/%s", w->cfg.install,
			  v);
	return access(path, F_OK) == 0;
}

static void marker(struct handover_marker *m, const char *from, const char *to)
{
	memset(m, 0, sizeof(*m));
	(void)hs_strlcpy(m->from, from, sizeof(m->from));
	(void)hs_strlcpy(m->to, to, sizeof(m->to));
	m->has_row = from[0] != '\0';
	if (!m->has_row)
		return;
	(void)hs_strlcpy(m->row.name, "haishin", sizeof(m->row.name));
	(void)hs_strlcpy(m->row.version, from, sizeof(m->row.version));
	(void)hs_strlcpy(m->row.previous, "0.0.9", sizeof(m->row.previous));
	memset(m->row.sha256, 'a', 64);
	m->row.installed_at = 1700000000;
}

/* The row the engine recorded: haishin TO, previous FROM. */
static void put_new_row(struct world *w, const char *from, const char *to)
{
	struct db_installed in;

	memset(&in, 0, sizeof(in));
	(void)hs_strlcpy(in.name, "haishin", sizeof(in.name));
	(void)hs_strlcpy(in.version, to, sizeof(in.version));
	(void)hs_strlcpy(in.previous, from, sizeof(in.previous));
	memset(in.sha256, 'b', 64);
	in.installed_at = 1800000000;
	assert_int_equal(db_installed_put(w->db, &in, NULL), 0);
}

static int take_row(void *ctx, const struct db_attempt *a)
{
	*(struct db_attempt *)ctx = *a;
	return 0;
}

static void last_row(struct world *w, struct db_attempt *ret)
{
	memset(ret, 0, sizeof(*ret));
	assert_int_equal(
		db_history_foreach(w->db, "haishin", 1, take_row, ret, NULL),
		0);
	assert_true(ret->id > 0);
}

/* ---- which haishin runs --------------------------------------------------- */

static void test_exe_version(void **state)
{
	static const struct {
		const char *exe;
		const char *want; /* NULL: not an installed haishin */
	} cases[] = {
		{"/opt/haishin/haishin/0.2.0/sbin/haishind", "0.2.0"},
		{"/opt/haishin/haishin/1.10.3-rc1/sbin/haishind", "1.10.3-rc1"},
		{"/usr/sbin/haishind", NULL},
		{"/opt/haishin/haishin/current/sbin/haishind", NULL},
		{"/opt/haishin/haishin/0.2.0/bin/haishind", NULL},
		{"/opt/haishin/haishin/0.2.0/sbin/haishind.old", NULL},
		{"/opt/haishin/haishin/a/b/sbin/haishind", NULL},
		{"/opt/haishin/other/0.2.0/sbin/haishind", NULL},
		{"/opt/haishin/haishin//sbin/haishind", NULL},
		{"/opt/haishinx/haishin/0.2.0/sbin/haishind", NULL},
	};
	char out[HS_VERSION_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		const int r = handover_exe_version("/opt/haishin", cases[i].exe,
						   out, sizeof(out));

		if (cases[i].want == NULL) {
			if (r != 0 || out[0] != '\0')
				fail_msg("'%s' taken for haishin '%s'",
					 cases[i].exe, out);
			continue;
		}
		assert_int_equal(r, 1);
		assert_string_equal(out, cases[i].want);
	}
}

/* ---- the new haishind's answer ----------------------------------------- */

static enum handover_verdict judge(const char *text, char *why, size_t n)
{
	json_t *j = json_loads(text, 0, NULL);
	enum handover_verdict v;

	assert_non_null(j);
	v = handover_judge(j, 4321, "0.2.0", "/run/h.sock", why, n);
	json_decref(j);
	return v;
}

static void test_judge(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(
		judge("{\"type\":\"end\",\"ok\":true,\"daemon\":{\"pid\":4321,"
		      "\"version\":\"0.1.0\",\"haishin\":\"0.2.0\"}}",
		      why, sizeof(why)),
		HANDOVER_HEALTHY);
	/* the old haishin's copy, or a daemon run from elsewhere */
	assert_int_equal(
		judge("{\"type\":\"end\",\"ok\":true,\"daemon\":{\"pid\":4321,"
		      "\"version\":\"0.1.0\",\"haishin\":null,"
		      "\"executable\":\"/usr/sbin/haishind\"}}",
		      why, sizeof(why)),
		HANDOVER_WRONG);
	assert_string_equal(why, "it answered as haishind 0.1.0 from "
				 "'/usr/sbin/haishind', not as haishin 0.2.0");
	assert_int_equal(
		judge("{\"type\":\"end\",\"ok\":true,\"daemon\":{\"pid\":4321,"
		      "\"version\":\"0.1.0\",\"haishin\":\"0.1.0\","
		      "\"executable\":\"/x\"}}",
		      why, sizeof(why)),
		HANDOVER_WRONG);
	/* someone else's daemon took the socket */
	assert_int_equal(
		judge("{\"type\":\"end\",\"ok\":true,\"daemon\":{\"pid\":99,"
		      "\"haishin\":\"0.2.0\"}}",
		      why, sizeof(why)),
		HANDOVER_WRONG);
	assert_string_equal(why, "another haishind (pid 99) answered on "
				 "'/run/h.sock'");
	/* not an answer to judge yet */
	assert_int_equal(judge("{\"type\":\"end\",\"ok\":false,"
			       "\"code\":\"unavailable\"}",
			       why, sizeof(why)),
			 HANDOVER_WAIT);
	assert_int_equal(
		judge("{\"type\":\"end\",\"ok\":true}", why, sizeof(why)),
		HANDOVER_WAIT);
}

/* ---- the marker ---------------------------------------------------------- */

static void test_marker_round_trip(void **state)
{
	struct handover_marker m;
	struct handover_marker back;
	char text[512];

	(void)state;
	marker(&m, "0.1.0", "0.2.0");
	assert_int_equal(handover_marker_format(&m, text, sizeof(text)), 0);
	assert_non_null(strchr(text, '\n'));
	assert_int_equal(handover_marker_parse(text, &back), 0);
	assert_string_equal(back.from, "0.1.0");
	assert_string_equal(back.to, "0.2.0");
	assert_true(back.has_row);
	assert_string_equal(back.row.name, "haishin");
	assert_string_equal(back.row.version, "0.1.0");
	assert_string_equal(back.row.previous, "0.0.9");
	assert_string_equal(back.row.sha256, m.row.sha256);
	assert_int_equal(back.row.installed_at, 1700000000);
	/* a first install: nothing before */
	marker(&m, "", "0.1.0");
	assert_int_equal(handover_marker_format(&m, text, sizeof(text)), 0);
	assert_string_equal(text, "- 0.1.0 - - -\n");
	assert_int_equal(handover_marker_parse(text, &back), 0);
	assert_string_equal(back.from, "");
	assert_false(back.has_row);
}

static void test_marker_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage\n",
		"0.1.0 0.2.0\n",
		"0.1.0 - - - -\n",
		"0.1.0 0.2.0 - - 17 extra\n",
		"0.1.0 ../x - - -\n",
		"- 0.2.0 - - 17\n", /* a row without a version */
		"0.1.0 0.2.0 - - soon\n",
	};
	struct handover_marker m;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(bad); i++)
		if (handover_marker_parse(bad[i], &m) != -EBADMSG)
			fail_msg("marker '%s' was taken", bad[i]);
}

/* haishin's failed version (and why) is version ("" for none). */
static void assert_failed(const struct world *w, const char *version,
			  const char *why)
{
	struct db_component_state s;
	int r;

	r = db_component_state_get(w->db, "haishin", &s, NULL);
	if (r == -ENOENT && version[0] == '\0')
		return;
	assert_int_equal(r, 0);
	assert_string_equal(s.failed_version, version);
	assert_string_equal(s.failed_reason, why);
}

/* ---- putting haishin back -------------------------------------------------- */

static void test_put_back_previous(void **state)
{
	static const char *const v[] = {"0.1.0", "0.2.0", NULL};
	struct world *w = *state;
	struct handover_marker m;
	struct db_installed in;
	struct db_attempt a;
	char active[256];

	make_versions(w, v, "0.2.0");
	put_new_row(w, "0.1.0", "0.2.0");
	marker(&m, "0.1.0", "0.2.0");
	assert_int_equal(handover_put_back(&w->cfg, &m, "/usr/sbin/haishind",
					   active, sizeof(active), NULL),
			 0);
	assert_string_equal(active, "haishin 0.1.0 is active again");
	assert_current(w, "0.1.0");
	assert_false(version_dir_exists(w, "0.2.0"));
	assert_int_equal(handover_record(w->db, &m, true, "the cause",
					 STATE_FAILED_INSTALL, "why",
					 1750000000, NULL),
			 0);
	assert_failed(w, "0.2.0", "the cause");
	assert_int_equal(db_installed_get(w->db, "haishin", &in, NULL), 0);
	assert_string_equal(in.version, "0.1.0");
	assert_string_equal(in.previous, "0.0.9");
	assert_int_equal(in.installed_at, 1700000000);
	last_row(w, &a);
	assert_string_equal(a.state, "FAILED_INSTALL");
	assert_string_equal(a.reason, "why");
	assert_string_equal(a.trigger, "handover");
	assert_string_equal(a.method, "handover");
	assert_string_equal(a.from_version, "0.1.0");
	assert_string_equal(a.to_version, "0.2.0");
	assert_int_equal(a.started, 1750000000);
}

/* No haishin was installed before: current goes, and so does the row. */
static void test_put_back_first_install(void **state)
{
	static const char *const v[] = {"0.1.0", NULL};
	struct world *w = *state;
	struct handover_marker m;
	struct db_installed in;
	char active[256];

	make_versions(w, v, "0.1.0");
	put_new_row(w, "", "0.1.0");
	marker(&m, "", "0.1.0");
	assert_int_equal(handover_put_back(&w->cfg, &m, "/usr/sbin/haishind",
					   active, sizeof(active), NULL),
			 0);
	assert_string_equal(active,
			    "no haishin is installed again; haishind 0.1.0 "
			    "from '/usr/sbin/haishind' goes on");
	assert_current(w, NULL);
	assert_false(version_dir_exists(w, "0.1.0"));
	assert_int_equal(handover_record(w->db, &m, true, "why",
					 STATE_FAILED_INSTALL, "why",
					 1750000000, NULL),
			 0);
	assert_int_equal(db_installed_get(w->db, "haishin", &in, NULL),
			 -ENOENT);
}

/* Switching back fails (the previous version is gone): the text says
 * what current really names, never that the previous one is active. */
static void test_put_back_failed_says_what_is_active(void **state)
{
	static const char *const v[] = {"0.2.0", NULL};
	struct world *w = *state;
	struct handover_marker m;
	struct db_installed in;
	char active[512];
	char want[512];

	make_versions(w, v, "0.2.0");
	marker(&m, "0.1.0", "0.2.0");
	assert_true(handover_put_back(&w->cfg, &m, "/usr/sbin/haishind", active,
				      sizeof(active), NULL) < 0);
	assert_current(w, "0.2.0");
	assert_true(version_dir_exists(w, "0.2.0"));
	assert_int_equal(hs_snprintf(want, sizeof(want),
				     "'%s/haishin/current' names 0.2.0, which "
				     "haishind runs from its next start",
				     w->cfg.install),
			 0);
	if (strstr(active, want) == NULL ||
	    strncmp(active,
		    "switching haishin back failed (haishin 0.1.0 is no "
		    "longer in '",
		    53) != 0)
		fail_msg("'%s'", active);
	/* the database keeps naming what is active */
	put_new_row(w, "0.1.0", "0.2.0");
	assert_int_equal(handover_record(w->db, &m, false, NULL,
					 STATE_FAILED_INSTALL, "why",
					 1750000000, NULL),
			 0);
	assert_failed(w, "", "");
	assert_int_equal(db_installed_get(w->db, "haishin", &in, NULL), 0);
	assert_string_equal(in.version, "0.2.0");
}

/* ---- a hand-over cut off --------------------------------------------------- */

static char *write_marker(struct world *w, const struct handover_marker *m)
{
	char text[512];

	assert_int_equal(handover_marker_format(m, text, sizeof(text)), 0);
	tu_write(w->cfg.state, "handover", text, strlen(text), 0600);
	return tu_path(w->cfg.state, "handover");
}

static void test_recover_cut_off(void **state)
{
	static const char *const v[] = {"0.1.0", "0.2.0", NULL};
	struct world *w = *state;
	struct handover_marker m;
	struct db_installed in;
	struct db_attempt a;
	char *path;

	make_versions(w, v, "0.2.0");
	put_new_row(w, "0.1.0", "0.2.0");
	marker(&m, "0.1.0", "0.2.0");
	path = write_marker(w, &m);
	/* the exec at start: switched back, the record left to the daemon */
	assert_int_equal(handover_recover(&w->cfg, NULL, "x", NULL), 1);
	assert_current(w, "0.1.0");
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(handover_recover(&w->cfg, w->db, "x", NULL), 1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(db_installed_get(w->db, "haishin", &in, NULL), 0);
	assert_string_equal(in.version, "0.1.0");
	last_row(w, &a);
	assert_string_equal(a.state, "FAILED_INSTALL");
	assert_string_equal(a.reason,
			    "the hand-over to haishin 0.2.0 was cut off before "
			    "it reported healthy (haishind stopped, was killed "
			    "or lost power); haishin 0.1.0 is active again");
	assert_failed(w, "0.2.0",
		      "the hand-over to haishin 0.2.0 was cut off before it "
		      "reported healthy (haishind stopped, was killed or lost "
		      "power)");
	assert_int_equal(handover_recover(&w->cfg, w->db, "x", NULL), 0);
	free(path);
}

/* A marker that its daemon holds is a hand-over under way: untouched. */
static void test_recover_leaves_a_live_hand_over(void **state)
{
	static const char *const v[] = {"0.1.0", "0.2.0", NULL};
	struct world *w = *state;
	struct handover_marker m;
	char *path;
	int fd;

	make_versions(w, v, "0.2.0");
	marker(&m, "0.1.0", "0.2.0");
	path = write_marker(w, &m);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(handover_recover(&w->cfg, w->db, "x", NULL), 0);
	assert_current(w, "0.2.0");
	assert_int_equal(access(path, F_OK), 0);
	(void)close(fd);
	free(path);
}

/* No marker, or one that is not a marker: nothing is switched. */
static void test_recover_nothing(void **state)
{
	static const char *const v[] = {"0.1.0", "0.2.0", NULL};
	struct world *w = *state;
	char *path;

	make_versions(w, v, "0.2.0");
	assert_int_equal(handover_recover(&w->cfg, w->db, "x", NULL), 0);
	tu_write(w->cfg.state, "handover", "nonsense", 8, 0600);
	path = tu_path(w->cfg.state, "handover");
	assert_int_equal(handover_recover(&w->cfg, w->db, "x", NULL), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_current(w, "0.2.0");
	free(path);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exe_version),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_marker_round_trip),
		cmocka_unit_test(test_marker_refused),
		TEST(test_put_back_previous),
		TEST(test_put_back_first_install),
		TEST(test_put_back_failed_says_what_is_active),
		TEST(test_recover_cut_off),
		TEST(test_recover_leaves_a_live_hand_over),
		TEST(test_recover_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
