/*
 * test_ctlprint.c - haishinctl's human output (daemon/ctl/ctlprint.h): the
 * formatters as tables, the progress bar for given widths, download-now's
 * progress on a terminal and in a log, and the text of each reply.  Times
 * are printed in local time, so the tests fix TZ; messages are the
 * untranslated ones (no setlocale: the "C" locale).
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlprint.h"
#include "str.h"

/* 2026-11-25T08:00:00Z */
#define T0 1795593600

static void set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (j == NULL)
		fail_msg("bad test JSON: %s", jerr.text);
	return j;
}

/* Everything a printer writes to its FILE, as a malloc'ed string. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static void cap_check(struct capture *c, const char *want)
{
	assert_int_equal(fclose(c->f), 0);
	if (strcmp(c->buf, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", c->buf, want);
	free(c->buf);
}

static void test_bytes(void **state)
{
	static const struct {
		uint64_t n;
		const char *want;
	} cases[] = {
		{0, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1572864, "1.5 MiB"},
		{1048575, "1.0 MiB"}, /* 1023.999 KiB rounds up a unit */
		{1048576 + 52428, "1.0 MiB"},
		{1048576 + 52429, "1.1 MiB"},
		{3221225472ull, "3.0 GiB"},
		{5347737, "5.1 MiB"},
		{UINT64_MAX, "16.0 EiB"},
	};
	char out[CTLPRINT_SHORT_MAX];
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		ctlprint_bytes(cases[i].n, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			tu_report_bad(&bad, "bytes %llu: got '%s', want '%s'",
				      (unsigned long long)cases[i].n, out,
				      cases[i].want);
	}
	assert_int_equal(bad, 0);
	ctlprint_rate(524288, out, sizeof(out));
	assert_string_equal(out, "512.0 KiB/s");
	/* A small buffer is cut, still terminated. */
	ctlprint_bytes(1572864, out, 4);
	assert_string_equal(out, "1.5");
}

static void test_duration_eta(void **state)
{
	static const struct {
		int64_t s;
		const char *duration;
		const char *eta;
	} cases[] = {
		{0, "0 s", "0:00"},
		{4, "4 s", "0:04"},
		{45, "45 s", "0:45"},
		{60, "1 min 00 s", "1:00"},
		{185, "3 min 05 s", "3:05"},
		{750, "12 min 30 s", "12:30"},
		{3599, "59 min 59 s", "59:59"},
		{3600, "1 h 00 min", "1:00:00"},
		{3725, "1 h 02 min", "1:02:05"},
		{86399, "23 h 59 min", "23:59:59"},
		{183600, "2 d 03 h", "51:00:00"},
		{360000, "4 d 04 h", ">99 h"},
	};
	char out[CTLPRINT_SHORT_MAX];
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		ctlprint_duration((uint64_t)cases[i].s, out, sizeof(out));
		if (strcmp(out, cases[i].duration) != 0)
			tu_report_bad(&bad, "duration %lld: got '%s'",
				      (long long)cases[i].s, out);
		ctlprint_eta(cases[i].s, out, sizeof(out));
		if (strcmp(out, cases[i].eta) != 0)
			tu_report_bad(&bad, "eta %lld: got '%s'",
				      (long long)cases[i].s, out);
	}
	assert_int_equal(bad, 0);
	ctlprint_eta(-1, out, sizeof(out));
	assert_string_equal(out, "--:--");
}

static void test_times(void **state)
{
	char out[CTLPRINT_LINE_MAX];
	json_t *j;

	(void)state;
	set_tz("UTC");
	ctlprint_time(T0, out, sizeof(out));
	assert_string_equal(out, "2026-11-25 08:00");
	set_tz("JST-9");
	ctlprint_time(T0, out, sizeof(out));
	assert_string_equal(out, "2026-11-25 17:00");

	ctlprint_time_rel(T0 + 7800, T0, out, sizeof(out));
	assert_string_equal(out, "in 2 h 10 min");
	ctlprint_time_rel(T0 - 180, T0, out, sizeof(out));
	assert_string_equal(out, "3 min 00 s ago");
	ctlprint_time_rel(T0, T0, out, sizeof(out));
	assert_string_equal(out, "now");

	j = load("[\"2026-11-25T08:00:00Z\", null, \"soon\\u001b[2J\", 7]");
	ctlprint_time_json(json_array_get(j, 0), 0, "never", out, sizeof(out));
	assert_string_equal(out, "2026-11-25 17:00");
	ctlprint_time_json(json_array_get(j, 0), T0 - 60, "never", out,
			   sizeof(out));
	assert_string_equal(out, "2026-11-25 17:00 (in 1 min 00 s)");
	ctlprint_time_json(json_array_get(j, 1), T0, "never", out, sizeof(out));
	assert_string_equal(out, "never");
	ctlprint_time_json(NULL, T0, "-", out, sizeof(out));
	assert_string_equal(out, "-");
	/* Not a time: shown as it is, made harmless. */
	ctlprint_time_json(json_array_get(j, 2), T0, "", out, sizeof(out));
	assert_string_equal(out, "soon?[2J");
	ctlprint_time_json(json_array_get(j, 3), T0, "", out, sizeof(out));
	assert_string_equal(out, "?");
	json_decref(j);
	set_tz("UTC");
}

static void test_parse_when(void **state)
{
	static const struct {
		const char *s;
		int want_r;
		const char *want; /* RFC 3339 UTC */
	} cases[] = {
		{"2026-11-01T00:00:00Z", 0, "2026-11-01T00:00:00Z"},
		{"2026-11-01", 0, "2026-10-31T15:00:00Z"},
		{"2026-11-01 09:30", 0, "2026-11-01T00:30:00Z"},
		{"2026-02-31", -EINVAL, ""},
		{"2026-11-01 25:00", -EINVAL, ""},
		{"2026-11-01x", -EINVAL, ""},
		{" 2026-11-01", -EINVAL, ""},
		{"yesterday", -EINVAL, ""},
		{"", -EINVAL, ""},
	};
	char got[21];
	size_t bad = 0;
	size_t i;
	int64_t t;
	int r;

	(void)state;
	set_tz("JST-9");
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		t = 0;
		r = ctlprint_parse_when(cases[i].s, &t);
		hs_time_format(t, got);
		if (r != cases[i].want_r ||
		    (r == 0 && strcmp(got, cases[i].want) != 0))
			tu_report_bad(&bad, "'%s': got %d %s", cases[i].s, r,
				      got);
	}
	assert_int_equal(bad, 0);
	set_tz("UTC");
}

static void test_sanitize_width(void **state)
{
	char out[CTLPRINT_LINE_MAX];
	char small[5];

	(void)state;
	ctlprint_sanitize("ok\x1b[2J\r\nend\x7f", out, sizeof(out));
	assert_string_equal(out, "ok?[2J??end?");
	/* C1 controls (U+009B is a CSI on some terminals). */
	ctlprint_sanitize("a\xc2\x9b"
			  "1m\xc2\xa9",
			  out, sizeof(out));
	assert_string_equal(out, "a?1m\xc2\xa9");
	/* A cut never splits a UTF-8 character. */
	ctlprint_sanitize("ab\xe3\x81\x82", small, sizeof(small));
	assert_string_equal(small, "ab");
	ctlprint_sanitize("abcdef", small, sizeof(small));
	assert_string_equal(small, "abcd");
	/* In place. */
	(void)hs_strlcpy(out, "x\ty", sizeof(out));
	ctlprint_sanitize(out, out, sizeof(out));
	assert_string_equal(out, "x?y");
	assert_int_equal(ctlprint_width("DOWNLOADING"), 11);
	assert_int_equal(ctlprint_width(""), 0);
}

static void test_states(void **state)
{
	static const struct {
		const char *state;
		int code;
	} codes[] = {
		{"UP_TO_DATE", 0},
		{"COMPLETED", 0},
		{"COMPLETED_RESTART_REQUIRED", 0},
		{"INTERRUPTED", 75},
		{"FAILED_CONNECT", 69},
		{"FAILED_VERIFY", 65},
		{"FAILED_INSTALL", 73},
		{"STOPPED", 78},
		{"DOWNLOADING", -1},
		{"completed", -1},
		{"", -1},
	};
	char out[CTLPRINT_LINE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(codes); i++)
		assert_int_equal(ctlprint_state_exit(codes[i].state),
				 codes[i].code);
	ctlprint_state_line("COMPLETED", "cardreader 2.1.0 installed", out,
			    sizeof(out));
	assert_string_equal(out, "COMPLETED cardreader 2.1.0 installed");
	ctlprint_state_line("UP_TO_DATE", "", out, sizeof(out));
	assert_string_equal(out, "UP_TO_DATE");
	ctlprint_state_line("FAILED_VERIFY", "bad\nCOMPLETED fake", out,
			    sizeof(out));
	assert_string_equal(out, "FAILED_VERIFY bad?COMPLETED fake");

	ctlprint_unreachable("/run/haishin/haishind.sock", -ENOENT, out,
			     sizeof(out));
	assert_string_equal(out,
			    "haishind is not running: cannot connect to "
			    "'/run/haishin/haishind.sock' (No such file or "
			    "directory); start it with 'systemctl start "
			    "haishind'");
	ctlprint_unreachable("/s", -EACCES, out, sizeof(out));
	assert_string_equal(out, "permission denied on '/s': add this user "
				 "to the haishin group");
	ctlprint_unreachable("/s", -ECONNREFUSED, out, sizeof(out));
	assert_non_null(strstr(out, "(Connection refused)"));
}

static const struct ctlprint_dl dl_third = {
	"DOWNLOADING", "cardreader 2.1.0", 1048576, 3145728, 524288, 4,
};

static void test_bar(void **state)
{
	static const struct {
		unsigned width;
		const char *want;
	} cases[] = {
		{120, "DOWNLOADING cardreader 2.1.0 [#############"
		      "---------------------------]  33% 1.0 MiB/3.0 MiB "
		      "512.0 KiB/s ETA 0:04"},
		{80, "DOWNLOADING cardreader 2.1.0 [#-----]  33% 1.0 "
		     "MiB/3.0 MiB 512.0 KiB/s ETA 0:04"},
		/* Too narrow for a bar: it goes, then the end is cut. */
		{60, "DOWNLOADING cardreader 2.1.0  33% 1.0 MiB/3.0 MiB 512.0 "
		     "KiB"},
		{0, "DOWNLOADING cardreader 2.1.0 [#-----]  33% 1.0 "
		    "MiB/3.0 MiB 512.0 KiB/s ETA 0:04"},
	};
	char out[CTLPRINT_LINE_MAX];
	struct ctlprint_dl d = dl_third;
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		ctlprint_bar(&d, cases[i].width, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			tu_report_bad(&bad, "width %u: got '%s'",
				      cases[i].width, out);
		if (cases[i].width > 0 &&
		    ctlprint_width(out) > cases[i].width - 1)
			tu_report_bad(&bad, "width %u: too long",
				      cases[i].width);
	}
	assert_int_equal(bad, 0);
	/* Unknown total, rate and ETA: no bar, no percent. */
	d.total = 0;
	d.rate = 0;
	d.eta = -1;
	ctlprint_bar(&d, 100, out, sizeof(out));
	assert_string_equal(out, "DOWNLOADING cardreader 2.1.0 1.0 MiB");
	/* Done: a full bar. */
	d = dl_third;
	d.done = d.total;
	d.eta = 0;
	ctlprint_bar(&d, 84, out, sizeof(out));
	assert_string_equal(out, "DOWNLOADING cardreader 2.1.0 [##########] "
				 "100% 3.0 MiB/3.0 MiB 512.0 KiB/s ETA 0:00");
}

static void test_dl_line(void **state)
{
	char out[CTLPRINT_LINE_MAX];
	struct ctlprint_dl d = dl_third;
	json_t *j;

	(void)state;
	ctlprint_dl_line(&d, out, sizeof(out));
	assert_string_equal(out, "DOWNLOADING cardreader 2.1.0: 1.0 MiB of "
				 "3.0 MiB (33 %), 512.0 KiB/s, 4 s left");
	j = load("{\"component\": \"cardreader\", \"done\": 10, "
		 "\"total\": -5, \"rate\": \"fast\"}");
	ctlprint_dl_from_json(j, &d);
	assert_string_equal(d.text, "cardreader");
	assert_int_equal(d.total, 0);
	assert_int_equal(d.rate, 0);
	assert_int_equal(d.eta, -1);
	d.state = "DOWNLOADING";
	ctlprint_dl_line(&d, out, sizeof(out));
	assert_string_equal(out, "DOWNLOADING cardreader: 10 B");
	json_decref(j);
}

static void feed(struct ctlprint_progress *p, const char *event)
{
	json_t *j = load(event);

	ctlprint_progress_event(p, j, 80);
	json_decref(j);
}

#define EV_DL(done, eta)                                                    \
	"{\"type\": \"event\", \"state\": \"DOWNLOADING\", \"component\": " \
	"\"cardreader\", \"text\": \"cardreader 2.1.0\", \"done\": " #done  \
	", \"total\": 1000, \"rate\": 100, \"eta\": " #eta "}"
#define EV_CHECKING                                                            \
	"{\"type\": \"event\", \"state\": \"CHECKING\", \"component\": \"\", " \
	"\"text\": \"http://h/repo/manifest.json\"}"
#define EV_VERIFYING                                                      \
	"{\"type\": \"event\", \"state\": \"VERIFYING\", \"component\": " \
	"\"cardreader\", \"text\": \"cardreader 2.1.0\"}"

static void feed_download(struct ctlprint_progress *p)
{
	feed(p, EV_CHECKING);
	feed(p, EV_CHECKING); /* a repeat prints nothing */
	feed(p, EV_DL(0, 10));
	feed(p, EV_DL(50, 9));
	feed(p, EV_DL(100, 9));
	feed(p, EV_DL(150, 8));
	feed(p, EV_DL(990, 0));
	feed(p, EV_DL(1000, 0));
	feed(p, "{\"type\": \"event\", \"state\": \"WAITING\", \"component\": "
		"\"cardreader\", \"text\": \"HTTP: 503\", \"until\": "
		"\"2026-11-25T08:00:00Z\"}");
	feed(p, EV_VERIFYING);
	ctlprint_progress_end(p, "COMPLETED", "cardreader 2.1.0 installed");
}

static void test_progress_plain(void **state)
{
	struct ctlprint_progress p;
	struct capture c;

	(void)state;
	cap_open(&c);
	ctlprint_progress_init(&p, c.f, false);
	feed_download(&p);
	cap_check(&c,
		  "CHECKING http://h/repo/manifest.json\n"
		  "DOWNLOADING cardreader 2.1.0: 0 B of 1000 B (0 %), 100 B/s, "
		  "10 s left\n"
		  "DOWNLOADING cardreader 2.1.0: 100 B of 1000 B (10 %), "
		  "100 B/s, 9 s left\n"
		  "DOWNLOADING cardreader 2.1.0: 990 B of 1000 B (99 %), "
		  "100 B/s, 0 s left\n"
		  "DOWNLOADING cardreader 2.1.0: 1000 B of 1000 B (100 %), "
		  "100 B/s, 0 s left\n"
		  "WAITING cardreader: HTTP: 503 (until 2026-11-25 08:00)\n"
		  "VERIFYING cardreader 2.1.0\n"
		  "COMPLETED cardreader 2.1.0 installed\n");
}

static void test_progress_tty(void **state)
{
	struct ctlprint_progress p;
	struct capture c;

	(void)state;
	cap_open(&c);
	ctlprint_progress_init(&p, c.f, true);
	feed(&p, EV_CHECKING);
	feed(&p, EV_DL(0, 10));
	feed(&p, EV_DL(500, 5));
	feed(&p, EV_VERIFYING);
	feed(&p, EV_DL(1000, 0));
	ctlprint_progress_end(&p, "INTERRUPTED", "lost");
	cap_check(&c,
		  "CHECKING http://h/repo/manifest.json\n"
		  "\r\033[KDOWNLOADING cardreader 2.1.0 [--------]   0% 0 "
		  "B/1000 B 100 B/s ETA 0:10"
		  "\r\033[KDOWNLOADING cardreader 2.1.0 [####----]  50% 500 "
		  "B/1000 B 100 B/s ETA 0:05\n"
		  "VERIFYING cardreader 2.1.0\n"
		  "\r\033[KDOWNLOADING cardreader 2.1.0 [########] 100% 1000 "
		  "B/1000 B 100 B/s ETA 0:00\n"
		  "INTERRUPTED lost\n");
}

#define STATUS_JSON                                                           \
	"{\"type\": \"end\", \"ok\": true, \"daemon\": {\"version\": "        \
	"\"0.1.0\", \"pid\": 1234, \"state\": \"IDLE\", \"enabled\": false, " \
	"\"disabled_reason\": \"clinic closed\", \"blocked_by\": ["           \
	"{\"what\": \"disabled\", \"until\": null}, {\"what\": "              \
	"\"quiet_hours\", \"until\": \"2026-11-25T09:00:00Z\"}], "            \
	"\"next_check\": null, \"last_check\": \"2026-11-25T07:30:00Z\", "    \
	"\"last_contact\": \"2026-11-25T07:30:00Z\", \"last_result\": "       \
	"{\"state\": \"STOPPED\", \"reason\": \"automatic updates are "       \
	"disabled: clinic closed\", \"at\": \"2026-11-25T07:30:00Z\"}, "      \
	"\"manifest\": {\"serial\": 7, \"expires\": "                         \
	"\"2026-12-25T08:00:00Z\"}}, \"components\": [{\"name\": "            \
	"\"cardreader\", \"installed\": \"2.0.0\", \"latest\": \"2.1.0\", "   \
	"\"minimum\": \"2.0.0\", \"state\": \"UPDATE_AVAILABLE\", "           \
	"\"set\": \"till\", \"health\": {\"ok\": true, \"detail\": "          \
	"\"2.0.0: passed\", \"at\": \"2026-11-20T10:00:00Z\"}, "              \
	"\"last_result\": {\"state\": \"COMPLETED\", \"reason\": "            \
	"\"cardreader 2.0.0 installed\", \"at\": "                            \
	"\"2026-11-20T10:00:00Z\"}}, {\"name\": \"facelib\", \"installed\": " \
	"null, \"latest\": \"3.0.1\", \"minimum\": \"3.0.0\", \"state\": "    \
	"\"NOT_INSTALLED\", \"last_result\": null}]}"

static void test_status(void **state)
{
	struct capture c;
	json_t *j = load(STATUS_JSON);

	(void)state;
	set_tz("UTC");
	cap_open(&c);
	ctlprint_status(c.f, j, T0);
	cap_check(&c,
		  "haishind 0.1.0 (pid 1234): IDLE\n"
		  "  automatic updates:   disabled: clinic closed\n"
		  "  blocked by:          automatic updates are disabled\n"
		  "                       quiet hours until 2026-11-25 09:00 "
		  "(in 1 h 00 min)\n"
		  "  next check:          not scheduled\n"
		  "  last check:          2026-11-25 07:30 (30 min 00 s ago)\n"
		  "  last server contact: 2026-11-25 07:30 (30 min 00 s ago)\n"
		  "  last result:         STOPPED automatic updates are "
		  "disabled: clinic closed (2026-11-25 07:30, 30 min 00 s "
		  "ago)\n"
		  "  manifest:            serial 7, expires 2026-12-25 08:00 "
		  "(in 30 d 00 h)\n"
		  "\n"
		  "COMPONENT   SET   INSTALLED  LATEST  MINIMUM  STATE      "
		  "       HEALTH  LAST RESULT\n"
		  "cardreader  till  2.0.0      2.1.0   2.0.0    "
		  "UPDATE_AVAILABLE  ok      COMPLETED cardreader 2.0.0 "
		  "installed (2026-11-20 10:00)\n"
		  "facelib     -     -          3.0.1   3.0.0    NOT_INSTALLED "
		  "    -       -\n");
	json_decref(j);
}

/* A fact the daemon could not read is shown with its reason. */
static void test_status_block_reason(void **state)
{
	struct capture c;
	json_t *j = load(STATUS_JSON);
	json_t *d = json_object_get(j, "daemon");

	(void)state;
	set_tz("UTC");
	assert_int_equal(
		json_object_set_new(
			d, "blocked_by",
			json_pack("[{s:s, s:n, s:s}, {s:s, s:n}]", "what",
				  "low_disk", "until", "reason",
				  "the free space of the cache '/c' cannot be "
				  "read",
				  "what", "restart_pending", "until")),
		0);
	cap_open(&c);
	ctlprint_status(c.f, j, T0);
	assert_int_equal(fclose(c.f), 0);
	assert_non_null(strstr(c.buf, "  blocked by:          low disk space: "
				      "the free space of the cache '/c' "
				      "cannot be read\n"
				      "                       a restart is "
				      "pending\n"));
	free(c.buf);
	json_decref(j);
}

/* A failed health check shows in its row, and a version that failed to
 * install in blocked_by, named with its component. */
static void test_status_failed_health(void **state)
{
	struct capture c;
	json_t *j = load(STATUS_JSON);
	json_t *d = json_object_get(j, "daemon");
	json_t *card = json_array_get(json_object_get(j, "components"), 0);

	(void)state;
	set_tz("UTC");
	assert_int_equal(
		json_object_set_new(d, "blocked_by",
				    json_pack("[{s:s, s:s, s:s, s:n}]", "what",
					      "failed_version", "component",
					      "cardreader", "version", "2.1.0",
					      "until")),
		0);
	assert_int_equal(json_object_set_new(
				 card, "health",
				 json_pack("{s:b, s:s, s:s}", "ok", 0, "detail",
					   "2.1.0: exit status 1: no reader",
					   "at", "2026-11-25T07:00:00Z")),
			 0);
	cap_open(&c);
	ctlprint_status(c.f, j, T0);
	assert_int_equal(fclose(c.f), 0);
	assert_non_null(strstr(c.buf, "  blocked by:          a version that "
				      "failed to install: cardreader 2.1.0 "
				      "(waiting for a newer version)\n"));
	assert_non_null(strstr(c.buf, "UPDATE_AVAILABLE  FAILED 2.1.0: exit "
				      "status 1: no reader  COMPLETED"));
	free(c.buf);
	json_decref(j);
}

static void test_history(void **state)
{
	struct capture c;
	json_t *j;

	(void)state;
	set_tz("UTC");
	j = load(
		"{\"type\": \"end\", \"ok\": true, \"attempts\": [{\"id\": 2, "
		"\"started\": \"2026-11-25T07:00:00Z\", \"finished\": "
		"\"2026-11-25T07:02:05Z\", \"trigger\": \"manual\", "
		"\"component\": \"cardreader\", \"from\": \"2.0.0\", \"to\": "
		"\"2.1.0\", \"method\": \"delta-sufdiff\", \"bytes\": 1572864, "
		"\"state\": \"COMPLETED\", \"reason\": \"installed\"}, "
		"{\"id\": 1, \"started\": \"2026-11-24T07:00:00Z\", "
		"\"finished\": null, \"trigger\": \"scheduled\", "
		"\"component\": \"\", \"from\": null, \"to\": null, "
		"\"method\": null, \"bytes\": null, \"state\": "
		"\"FAILED_CONNECT\", \"reason\": \"dns: no such host\"}]}");
	cap_open(&c);
	ctlprint_history(c.f, j);
	cap_check(
		&c,
		"TIME              COMPONENT   VERSION         METHOD         "
		"BYTES    DURATION    STATE           REASON\n"
		"2026-11-25 07:00  cardreader  2.0.0 -> 2.1.0  delta-sufdiff  "
		"1.5 MiB  2 min 05 s  COMPLETED       installed\n"
		"2026-11-24 07:00  (check)     -               -              "
		"-        -           FAILED_CONNECT  dns: no such host\n");
	json_decref(j);
	j = load("{\"type\": \"end\", \"ok\": true, \"attempts\": []}");
	cap_open(&c);
	ctlprint_history(c.f, j);
	cap_check(&c, "no attempts recorded\n");
	json_decref(j);
}

static void test_verify(void **state)
{
	struct capture c;
	json_t *j;

	(void)state;
	j = load("{\"type\": \"end\", \"ok\": true, \"all_ok\": false, "
		 "\"components\": [{\"name\": \"cardreader\", \"installed\": "
		 "\"2.1.0\", \"minimum\": \"2.0.0\", \"ok\": true}, {\"name\": "
		 "\"linkage\", \"installed\": null, \"minimum\": \"1.2.0\", "
		 "\"ok\": false}]}");
	cap_open(&c);
	ctlprint_verify(c.f, j);
	cap_check(&c, "COMPONENT   INSTALLED      MINIMUM  RESULT\n"
		      "cardreader  2.1.0          2.0.0    ok\n"
		      "linkage     not installed  1.2.0    BELOW MINIMUM\n"
		      "1 component is below its minimum version\n");
	assert_int_equal(ctlprint_verify_exit(j), 1);
	assert_int_equal(json_object_set_new(j, "all_ok", json_true()), 0);
	assert_int_equal(ctlprint_verify_exit(j), 0);
	json_decref(j);
}

static void test_connection(void **state)
{
	struct capture c;
	json_t *j;

	(void)state;
	j = load("{\"type\": \"end\", \"ok\": true, \"stages\": [{\"stage\": "
		 "\"proxy\", \"ok\": true, \"ms\": 0, \"detail\": \"none\"}, "
		 "{\"stage\": \"dns\", \"ok\": true, \"ms\": 3, \"detail\": "
		 "\"127.0.0.1\"}, {\"stage\": \"tcp\", \"ok\": false, \"ms\": "
		 "3001, \"detail\": \"refused\"}], \"all_ok\": false, "
		 "\"failed_stage\": \"tcp\", \"advice\": \"Port 8080 is "
		 "closed.\"}");
	cap_open(&c);
	ctlprint_connection(c.f, j);
	cap_check(&c, "[ ok ] proxy         0 ms  none\n"
		      "[ ok ] dns           3 ms  127.0.0.1\n"
		      "[FAIL] tcp        3001 ms  refused\n"
		      "Failed at stage 'tcp'.\n"
		      "Advice: Port 8080 is closed.\n");
	/* The daemon's exit is the exit code; without one, a failure is 1. */
	assert_int_equal(ctlprint_connection_exit(j), 1);
	assert_int_equal(json_object_set_new(j, "exit", json_integer(69)), 0);
	assert_int_equal(ctlprint_connection_exit(j), 69);
	assert_int_equal(json_object_set_new(j, "exit", json_integer(999)), 0);
	assert_int_equal(ctlprint_connection_exit(j), 1);
	assert_int_equal(json_object_del(j, "exit"), 0);
	assert_int_equal(json_object_set_new(j, "all_ok", json_true()), 0);
	assert_int_equal(ctlprint_connection_exit(j), 0);
	json_decref(j);
}

static void test_setting(void **state)
{
	struct capture c;
	json_t *j;

	(void)state;
	j = load("{\"type\": \"end\", \"ok\": true, \"enabled\": false, "
		 "\"disabled_reason\": \"renovation\"}");
	cap_open(&c);
	ctlprint_setting(c.f, j);
	assert_int_equal(json_object_set_new(j, "enabled", json_true()), 0);
	ctlprint_setting(c.f, j);
	cap_check(&c, "automatic updates are now disabled: renovation\n"
		      "automatic updates are now enabled\n");
	json_decref(j);
}

/* A hold after a rollback: in blocked_by with since and from, and on the
 * component's row. */
static void test_status_held(void **state)
{
	struct capture c;
	json_t *j = load(STATUS_JSON);
	json_t *d = json_object_get(j, "daemon");
	json_t *comp = json_array_get(json_object_get(j, "components"), 0);

	(void)state;
	set_tz("UTC");
	assert_int_equal(
		json_object_set_new(
			d, "blocked_by",
			json_pack("[{s:s, s:s, s:s, s:s, s:n}]", "what", "held",
				  "component", "cardreader", "from", "2.1.0",
				  "since", "2026-11-25T07:00:00Z", "until")),
		0);
	assert_int_equal(json_object_set_new(
				 comp, "held",
				 json_pack("{s:s, s:s, s:s}", "from", "2.1.0",
					   "since", "2026-11-25T07:00:00Z",
					   "reason", "rolled back")),
			 0);
	cap_open(&c);
	ctlprint_status(c.f, j, T0);
	assert_int_equal(fclose(c.f), 0);
	if (strstr(c.buf, "  blocked by:          held after a rollback: "
			  "cardreader since 2026-11-25 07:00 (1 h 00 min "
			  "ago), rolled back from 2.1.0; 'haishinctl resume "
			  "cardreader' lifts it\n") == NULL ||
	    strstr(c.buf, "UPDATE_AVAILABLE (held)") == NULL)
		fail_msg("got:\n%s", c.buf);
	free(c.buf);
	json_decref(j);
}

static void test_resume(void **state)
{
	struct capture c;
	json_t *j;

	(void)state;
	j = load("{\"type\": \"end\", \"ok\": true, \"component\": \"app\", "
		 "\"held\": false, \"lifted\": {\"from\": \"2.0\", "
		 "\"since\": \"2026-11-25T07:00:00Z\", \"reason\": \"x\"}}");
	cap_open(&c);
	ctlprint_resume(c.f, j);
	assert_int_equal(json_object_set_new(j, "lifted", json_null()), 0);
	ctlprint_resume(c.f, j);
	cap_check(&c, "automatic updates of app go on again: the hold after "
		      "the rollback from 2.0 is lifted\n"
		      "app was not held: nothing changed\n");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_duration_eta),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_parse_when),
		cmocka_unit_test(test_sanitize_width),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_bar),
		cmocka_unit_test(test_dl_line),
		cmocka_unit_test(test_progress_plain),
		cmocka_unit_test(test_progress_tty),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_block_reason),
		cmocka_unit_test(test_status_failed_health),
		cmocka_unit_test(test_status_held),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_connection),
		cmocka_unit_test(test_setting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
