/*
 * test_config.c - haishin.conf parsing: defaults, accepted syntax, every
 * kind of error with its line and key, and config_load on real files.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "str.h"

/* Parses text on top of the defaults into a heap config the test frees. */
static int parse(const char *text, size_t len, struct config **ret_c,
		 struct hs_err *e)
{
	struct config *c = malloc(sizeof(*c));

	assert_non_null(c);
	config_defaults(c);
	hs_err_clear(e);
	*ret_c = c;
	return config_parse(c, text, len, "test.conf", e);
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.url, "");
	assert_int_equal(c.n_mirrors, 0);
	assert_string_equal(c.proxy, "");
	assert_string_equal(c.ca_file, "");
	assert_string_equal(c.root, "/etc/haishin/root.json");
	assert_string_equal(c.state, "/var/lib/haishin");
	assert_string_equal(c.cache, "/var/cache/haishin");
	assert_string_equal(c.install, "/opt/haishin");
	assert_string_equal(c.socket, "/run/haishin/haishind.sock");
	assert_int_equal(c.max_rate, 0);
	assert_int_equal(c.stall_timeout, 30);
	assert_int_equal(c.connect_timeout, 15);
	assert_int_equal(c.retries, 5);
	assert_true(c.enabled);
	assert_int_equal(c.boot_delay_max, 300);
	assert_int_equal(c.interval, 21600);
	assert_false(c.has_quiet_hours);
	assert_false(config_is_quiet_at(&c, 0));
	assert_int_equal(c.hook_timeout, 60);
	assert_int_equal(c.health_tries, 3);
	assert_int_equal(c.health_interval, 5);
	assert_int_equal(c.self_update_timeout, 120);
	assert_int_equal(c.keep, 3);
	assert_int_equal(c.n_restart, 0);
	assert_null(config_restart(&c, "app"));
}

/* The example of DESIGN.md, as an administrator would copy it. */
static const char design_example[] =
	"[server]\n"
	"url = http://127.0.0.1:8080/repo/     # the repository's base URL\n"
	"mirrors =                             # further base URLs\n"
	"[trust]\n"
	"root = /etc/haishin/root.json         # the pinned root of trust\n"
	"[paths]\n"
	"state = /var/lib/haishin\n"
	"cache = /var/cache/haishin\n"
	"install = /opt/haishin\n"
	"socket = /run/haishin/haishind.sock\n"
	"[transfer]\n"
	"max_rate = 0                          # bytes per second\n"
	"stall_timeout = 30                    # seconds\n"
	"retries = 5                           # attempts\n"
	"[schedule]\n"
	"enabled = yes                         # automatic updates\n"
	"boot_delay_max = 300                  # seconds\n"
	"interval = 21600                      # seconds between checks\n"
	"quiet_hours =                         # e.g. 08:30-18:00\n"
	"[install]\n"
	"hook_timeout = 60                     # seconds for each hook\n"
	"health_tries = 3\n"
	"health_interval = 5\n"
	"self_update_timeout = 120\n"
	"[restart]\n"
	"# NAME = command run after NAME is switched, before its health check\n";

static void test_design_example(void **state)
{
	struct config *c;
	struct config d;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse(design_example, strlen(design_example), &c, &e),
			 0);
	config_defaults(&d);
	assert_string_equal(c->url, "http://127.0.0.1:8080/repo/");
	(void)hs_strlcpy(d.url, c->url, sizeof(d.url));
	assert_memory_equal(c, &d, sizeof(d));
	free(c);
}

/* Syntax that must be accepted; each sets url and retries. */
struct good_case {
	const char *name;
	const char *text;
	const char *url;
	unsigned retries;
};

static const struct good_case good_cases[] = {
	{"minimal", "[server]\nurl = http://h/r/\n", "http://h/r/", 5},
	{"no final newline", "[server]\nurl = http://h/r/", "http://h/r/", 5},
	{"CRLF",
	 "[server]\r\nurl = http://h/r/\r\n[transfer]\r\nretries = 7\r\n",
	 "http://h/r/", 7},
	{"BOM", "\xEF\xBB\xBF[server]\nurl = http://h/r/\n", "http://h/r/", 5},
	{"inline comments",
	 "[server] # servers\nurl = http://h/r/   # the base URL\n"
	 "[transfer] ; transfer\nretries = 3\t; three\n",
	 "http://h/r/", 3},
	{"comment lines and blanks",
	 "# top\n; also\n\n   \n[server]\n  # indented\nurl=http://h/r/\n\n",
	 "http://h/r/", 5},
	{"';' inside a value", "[server]\nurl = http://h/a;b/c;d\n",
	 "http://h/a;b/c;d/", 5},
	{"spaces and tabs", " \t[ server ]\t\n\t url\t=\t http://h/r/ \t\n",
	 "http://h/r/", 5},
	{"slash added", "[server]\nurl = http://h:8080/repo\n",
	 "http://h:8080/repo/", 5},
	{"https, upper-case scheme", "[server]\nurl = HTTPS://h/r\n",
	 "HTTPS://h/r/", 5},
	{"section reopened",
	 "[server]\nurl = http://h/r/\n[transfer]\nretries = 0\n"
	 "[server]\nproxy = http://p:3128\n",
	 "http://h/r/", 0},
	{"empty url", "[server]\nurl =\n", "", 5},
	{"retries at maximum", "[transfer]\nretries = 100\n", "", 100},
	{"empty file", "", "", 5},
	{"only a BOM", "\xEF\xBB\xBF", "", 5},
};

static void test_good(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(good_cases); i++) {
		const struct good_case *t = &good_cases[i];
		struct config *c;
		struct hs_err e;
		int r;

		r = parse(t->text, strlen(t->text), &c, &e);
		if (r != 0)
			fail_msg("%s: %d %s", t->name, r, e.msg);
		assert_string_equal(c->url, t->url);
		assert_int_equal(c->retries, t->retries);
		free(c);
	}
}

/* Input that must be rejected, with a piece of the message. */
struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{"url = http://h/\n", "test.conf:1: key 'url' outside a section"},
	{"[server]\n\n[serverr]\n", "test.conf:3: unknown section [serverr]"},
	{"[server\n", "test.conf:1: section header without a ']'"},
	{"[server]\nurll = http://h/\n",
	 "test.conf:2: unknown key 'urll' in [server]"},
	{"[paths]\nurl = http://h/\n", ":2: unknown key 'url' in [paths]"},
	{"[server]\nURL = http://h/\n", ":2: unknown key 'URL'"},
	{"[server]\njust some text\n", ":2: expected 'key = value'"},
	{"[server]\n = http://h/\n", ":2: no key before '='"},
	{"[server]\nurl = http://a/\n\nurl = http://b/\n",
	 "test.conf:4: [server] url: set twice (first on line 2)"},
	{"[server]\nurl = ftp://h/r/\n",
	 ":2: [server] url: 'ftp://h/r/' must start with http:// or https://"},
	{"[server]\nurl = h/r/\n", ":2: [server] url: 'h/r/' must start"},
	{"[server]\nurl = http:///r/\n",
	 ":2: [server] url: 'http:///r/' has no host"},
	{"[server]\nurl = http://\n", "has no host"},
	{"[server]\nurl = http://h/a b/\n",
	 ":2: [server] url: 'http://h/a b/' contains a space"},
	{"[server]\nurl = http://h/r?x=1\n", "query or a fragment"},
	{"[server]\nurl = http://h/r#top\n", "query or a fragment"},
	{"[server]\nmirrors = http://a/ ftp://b/\n",
	 ":2: [server] mirrors: 'ftp://b/' must start with"},
	{"[server]\nmirrors = 1 2 3 4 5 6 7 8 9\n", "must start with"},
	{"[server]\nmirrors = http://1/ http://2/ http://3/ http://4/ "
	 "http://5/ http://6/ http://7/ http://8/ http://9/\n",
	 ":2: [server] mirrors: more than 8 mirrors"},
	{"[server]\nproxy = gopher://p\n", ":2: [server] proxy: 'gopher://p'"},
	{"[server]\nca_file = certs.pem\n",
	 ":2: [server] ca_file: 'certs.pem' is not an absolute path"},
	{"[trust]\nroot =\n", ":2: [trust] root: '' is not an absolute path"},
	{"[paths]\nstate = var/lib/haishin\n", ":2: [paths] state: "},
	{"[paths]\nsocket = /run/haishin/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaa.sock\n",
	 ":2: [paths] socket: path longer than 107 bytes"},
	{"[transfer]\nretries = 101\n",
	 ":2: [transfer] retries: '101' is not a number from 0 to 100"},
	{"[transfer]\nretries = -1\n", "[transfer] retries: '-1'"},
	{"[transfer]\nretries = 5x\n", "[transfer] retries: '5x'"},
	{"[transfer]\nretries = \n", "[transfer] retries: ''"},
	{"[transfer]\nretries = 99999999999999999999999\n", "retries"},
	{"[transfer]\nstall_timeout = 0\n", "[transfer] stall_timeout: '0'"},
	{"[transfer]\nconnect_timeout = 601\n", "connect_timeout"},
	{"[transfer]\nmax_rate = 1k\n", "[transfer] max_rate: '1k'"},
	{"[schedule]\ninterval = 59\n",
	 ":2: [schedule] interval: '59' is not a number from 60 to 2592000"},
	{"[schedule]\nboot_delay_max = 86401\n", "boot_delay_max"},
	{"[schedule]\nenabled = maybe\n",
	 ":2: [schedule] enabled: 'maybe' is not yes or no"},
	{"[schedule]\nquiet_hours = 25:00-06:00\n",
	 ":2: [schedule] quiet_hours: '25:00-06:00' is not HH:MM-HH:MM"},
	{"[schedule]\nquiet_hours = 08:60-09:00\n", "quiet_hours"},
	{"[schedule]\nquiet_hours = 08:00-08:00\n", "quiet_hours"},
	{"[schedule]\nquiet_hours = 8-9\n", "quiet_hours"},
	{"[schedule]\nquiet_hours = 08:00\n", "quiet_hours"},
	{"[schedule]\nquiet_hours = 08:00-09:00x\n", "quiet_hours"},
	{"[schedule]\nquiet_hours = 08:0-09:00\n", "quiet_hours"},
	{"[schedule]\nquiet_hours = 108:00-09:00\n", "quiet_hours"},
	{"[install]\nhook_timeout = 0\n",
	 ":2: [install] hook_timeout: '0' is not a number from 1 to 86400"},
	{"[install]\nhealth_tries = 0\n",
	 ":2: [install] health_tries: '0' is not a number from 1 to 100"},
	{"[install]\nhealth_interval = 3601\n", "[install] health_interval"},
	{"[install]\nself_update_timeout = 0\n", "self_update_timeout"},
	{"[install]\nrestart = x\n", ":2: unknown key 'restart' in [install]"},
	{"[restart]\nApp = systemctl restart app\n",
	 ":2: [restart] 'App' is not a component name"},
	{"[restart]\n../app = x\n", "[restart] '../app' is not a component"},
	{"[restart]\n-app = x\n", "[restart] '-app' is not a component"},
	{"[restart]\na..b = x\n", "[restart] 'a..b' is not a component"},
	{"[restart]\napp =\n", ":2: [restart] app: no command"},
	{"[restart]\napp = # only a comment\n", "[restart] app: no command"},
	{"[restart]\napp = a\n\napp = b\n",
	 ":4: [restart] app: set twice (first on line 2)"},
	{"[restart]\n= x\n", ":2: no key before '='"},
	{"[install]\nkeep = 1\n",
	 ":2: [install] keep: '1' is not a number from 2 to 1000"},
	{"[install]\nkepp = 3\n", ":2: unknown key 'kepp' in [install]"},
	{"[restart]\napp = a\n[restart]\napp = b\n",
	 ":4: [restart] app: set twice (first on line 2)"},
};

static void test_bad(void **state)
{
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *t = &bad_cases[i];
		struct config *c;
		struct hs_err e;
		char what[32];
		int r;

		r = parse(t->text, strlen(t->text), &c, &e);
		(void)hs_snprintf(what, sizeof(what), "case %zu", i);
		tu_check_err(&bad, what, r, &e, -EINVAL, t->msg);
		free(c);
	}
	assert_int_equal(bad, 0);
}

/* Errors also reach callers that pass no hs_err. */
static void test_bad_without_err(void **state)
{
	static const char text[] = "[server]\nurl = ftp://h/\n";
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, text, strlen(text), "x", NULL),
			 -EINVAL);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[server]\nurl = http://h/\0r/\n";
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "test.conf:2: line contains a NUL byte"));
	free(c);
}

static void test_long_line(void **state)
{
	const size_t n = CONFIG_LINE_MAX + 100;
	char *text = malloc(n + 1);
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_non_null(text);
	memset(text, '#', n);
	memcpy(text, "[server]\n", 9);
	text[n - 1] = '\n';
	text[n] = '\0';
	assert_int_equal(parse(text, n, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "test.conf:2: line longer than 4096"));
	free(c);
	/* Exactly CONFIG_LINE_MAX bytes, a CR and a LF is fine. */
	memset(text + 9, '#', CONFIG_LINE_MAX);
	memcpy(text + 9 + CONFIG_LINE_MAX, "\r\n", 2);
	assert_int_equal(parse(text, 9 + CONFIG_LINE_MAX + 2, &c, &e), 0);
	free(c);
	free(text);
}

static void test_mirrors(void **state)
{
	static const char text[] =
		"[server]\nmirrors = http://a/r, https://b:8443/r/\t"
		"http://c/,,  http://d/x/y\n";
	static const char empty[] = "[server]\nmirrors =   # none\n";
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c->n_mirrors, 4);
	assert_string_equal(c->mirrors[0], "http://a/r/");
	assert_string_equal(c->mirrors[1], "https://b:8443/r/");
	assert_string_equal(c->mirrors[2], "http://c/");
	assert_string_equal(c->mirrors[3], "http://d/x/y/");
	/* A later parse can empty the list again. */
	assert_int_equal(config_parse(c, empty, strlen(empty), "x", &e), 0);
	assert_int_equal(c->n_mirrors, 0);
	free(c);
}

static void test_url_too_long(void **state)
{
	/* HS_URL_MAX - 1 bytes fit; with the added '/' they do not. */
	const size_t n = HS_URL_MAX - 1;
	char *text = malloc(n + 32);
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_non_null(text);
	memcpy(text, "[server]\nurl = http://h/", 24);
	memset(text + 24, 'a', n - 9);
	text[24 + n - 9] = '\0';
	assert_int_equal(parse(text, strlen(text), &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, ":2: [server] url: URL longer than"));
	free(c);
	text[24 + n - 10] = '\0';
	assert_int_equal(parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(strlen(c->url), HS_URL_MAX - 1);
	free(c);
	free(text);
}

static void test_values(void **state)
{
	static const char text[] =
		"[server]\nurl = https://h/r/\nproxy = socks5h://p:1080\n"
		"ca_file = /etc/ssl/ca.pem\n"
		"[trust]\nroot = /r.json\n"
		"[paths]\nstate = /s\ncache = /c#1;2\ninstall = /i\nsocket = /k\n"
		"[transfer]\nmax_rate = 9223372036854775807\n"
		"stall_timeout = 3600\nconnect_timeout = 1\nretries = 0\n"
		"[schedule]\nenabled = Off\nboot_delay_max = 0\n"
		"interval = 60\nquiet_hours = 8:30 - 18:00\n";
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse(text, strlen(text), &c, &e), 0);
	assert_string_equal(c->proxy, "socks5h://p:1080");
	assert_string_equal(c->ca_file, "/etc/ssl/ca.pem");
	assert_string_equal(c->root, "/r.json");
	assert_string_equal(c->state, "/s");
	assert_string_equal(c->cache, "/c#1;2");
	assert_string_equal(c->install, "/i");
	assert_string_equal(c->socket, "/k");
	assert_true(c->max_rate == INT64_MAX);
	assert_int_equal(c->stall_timeout, 3600);
	assert_int_equal(c->connect_timeout, 1);
	assert_int_equal(c->retries, 0);
	assert_false(c->enabled);
	assert_int_equal(c->boot_delay_max, 0);
	assert_int_equal(c->interval, 60);
	assert_true(c->has_quiet_hours);
	assert_int_equal(c->quiet_start, 8 * 60 + 30);
	assert_int_equal(c->quiet_end, 18 * 60);
	free(c);
}

/* [install] self_update_timeout: 120 s by default, 1 to 86400. */
static void test_self_update_timeout(void **state)
{
	static const char text[] = "[install]\nself_update_timeout = 5\n";
	static const char zero[] = "[install]\nself_update_timeout = 0\n";
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse("", 0, &c, &e), 0);
	assert_int_equal(c->self_update_timeout, 120);
	free(c);
	assert_int_equal(parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c->self_update_timeout, 5);
	free(c);
	assert_int_equal(parse(zero, strlen(zero), &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "[install] self_update_timeout"));
	free(c);
}

static void test_bools(void **state)
{
	static const struct {
		const char *v;
		bool want;
	} cases[] = {
		{"yes", true},	  {"no", false}, {"true", true},
		{"false", false}, {"on", true},	 {"off", false},
		{"1", true},	  {"0", false},	 {"YES", true},
		{"False", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char text[64];
		struct config *c;
		struct hs_err e;

		assert_int_equal(hs_snprintf(text, sizeof(text),
					     "[schedule]\nenabled = %s\n",
					     cases[i].v),
				 0);
		assert_int_equal(parse(text, strlen(text), &c, &e), 0);
		c->enabled = !cases[i].want;
		assert_int_equal(config_parse(c, text, strlen(text), "x", &e),
				 0);
		assert_int_equal(c->enabled, cases[i].want);
		free(c);
	}
}

static void test_quiet_hours(void **state)
{
	static const char day[] = "[schedule]\nquiet_hours = 08:30-18:00\n";
	static const char night[] = "[schedule]\nquiet_hours = 22:00-06:00\n";
	static const char none[] = "[schedule]\nquiet_hours =\n";
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse(day, strlen(day), &c, &e), 0);
	assert_false(config_is_quiet_at(c, 8 * 60 + 29));
	assert_true(config_is_quiet_at(c, 8 * 60 + 30));
	assert_true(config_is_quiet_at(c, 17 * 60 + 59));
	assert_false(config_is_quiet_at(c, 18 * 60));
	assert_false(config_is_quiet_at(c, 23 * 60));
	free(c);

	assert_int_equal(parse(night, strlen(night), &c, &e), 0);
	assert_int_equal(c->quiet_start, 22 * 60);
	assert_int_equal(c->quiet_end, 6 * 60);
	assert_false(config_is_quiet_at(c, 21 * 60 + 59));
	assert_true(config_is_quiet_at(c, 22 * 60));
	assert_true(config_is_quiet_at(c, 23 * 60 + 59));
	assert_true(config_is_quiet_at(c, 0));
	assert_true(config_is_quiet_at(c, 5 * 60 + 59));
	assert_false(config_is_quiet_at(c, 6 * 60));
	assert_false(config_is_quiet_at(c, 12 * 60));
	/* An empty value turns them off again. */
	assert_int_equal(config_parse(c, none, strlen(none), "x", &e), 0);
	assert_false(c->has_quiet_hours);
	assert_false(config_is_quiet_at(c, 23 * 60));
	free(c);
}

/* [restart]: names to commands, a comment cut off, a command with ';'
 * and quotes kept, and a later parse replacing one. */
static void test_restart(void **state)
{
	static const char text[] =
		"[restart]\n"
		"cardreader = systemctl restart cardreader.service  # unit\n"
		"face-lib_2.x = /usr/bin/pkill -HUP -f 'face lib'; true\n"
		"[install]\nhook_timeout = 5\n"
		"[restart]\n"
		"0app = kill -TERM \"$(cat /run/app.pid)\"\n";
	static const char again[] = "[restart]\ncardreader = /bin/true\n";
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c->n_restart, 3);
	assert_int_equal(c->hook_timeout, 5);
	assert_string_equal(config_restart(c, "cardreader"),
			    "systemctl restart cardreader.service");
	assert_string_equal(config_restart(c, "face-lib_2.x"),
			    "/usr/bin/pkill -HUP -f 'face lib'; true");
	assert_string_equal(config_restart(c, "0app"),
			    "kill -TERM \"$(cat /run/app.pid)\"");
	assert_null(config_restart(c, "card"));
	assert_null(config_restart(c, "cardreader.service"));
	/* A later file may set it again: it replaces the earlier one. */
	assert_int_equal(config_parse(c, again, strlen(again), "x", &e), 0);
	assert_int_equal(c->n_restart, 3);
	assert_string_equal(config_restart(c, "cardreader"), "/bin/true");
	assert_string_equal(config_restart(c, "0app"),
			    "kill -TERM \"$(cat /run/app.pid)\"");
	free(c);
}

/* Writes "[restart]\n" and n entries c0 ... of cmd_len bytes each. */
static char *restart_text(size_t n, size_t cmd_len, size_t *ret_len)
{
	const size_t size = 16 + n * (16 + cmd_len);
	char *text = malloc(size);
	size_t used;
	size_t i;

	assert_non_null(text);
	used = (size_t)snprintf(text, size, "[restart]\n");
	for (i = 0; i < n; i++) {
		used += (size_t)snprintf(text + used, size - used,
					 "c%zu = ", i);
		memset(text + used, 'x', cmd_len);
		used += cmd_len;
		text[used++] = '\n';
	}
	*ret_len = used;
	return text;
}

/* The caps of [restart]: the longest command, the most entries, the
 * bytes of all of them, each refused past it with the line named. */
static void test_restart_caps(void **state)
{
	struct config *c;
	struct hs_err e;
	size_t len;
	char *text;

	(void)state;
	text = restart_text(1, CONFIG_RESTART_CMD_MAX, &len);
	assert_int_equal(parse(text, len, &c, &e), 0);
	assert_int_equal(strlen(config_restart(c, "c0")),
			 CONFIG_RESTART_CMD_MAX);
	free(c);
	free(text);
	text = restart_text(1, CONFIG_RESTART_CMD_MAX + 1, &len);
	assert_int_equal(parse(text, len, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "test.conf:2: [restart] c0: the command "
				      "is longer than 1024 bytes"));
	free(c);
	free(text);
	text = restart_text(CONFIG_RESTART_MAX, 4, &len);
	assert_int_equal(parse(text, len, &c, &e), 0);
	assert_int_equal(c->n_restart, CONFIG_RESTART_MAX);
	assert_string_equal(config_restart(c, "c255"), "xxxx");
	free(c);
	free(text);
	text = restart_text(CONFIG_RESTART_MAX + 1, 4, &len);
	assert_int_equal(parse(text, len, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "test.conf:258: [restart]: more than 256 "
				      "commands"));
	free(c);
	free(text);
	text = restart_text(40, CONFIG_RESTART_CMD_MAX, &len);
	assert_int_equal(parse(text, len, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "[restart]: the commands and their "
				      "names take more than 32768 bytes"));
	free(c);
	free(text);
}

static int setup_dir(void **state)
{
	*state = tu_mkdtemp();
	return 0;
}

static int teardown_dir(void **state)
{
	tu_rmtree(*state);
	free(*state);
	return 0;
}

static void test_load(void **state)
{
	static const char text[] = "[server]\nurl = http://h/r\n"
				   "[transfer]\nretries = 2\n";
	const char *dir = *state;
	char *path = tu_path(dir, "haishin.conf");
	struct config *c = malloc(sizeof(*c));
	struct hs_err e;

	assert_non_null(c);
	tu_write(dir, "haishin.conf", text, strlen(text), 0644);
	assert_int_equal(config_load(path, c, &e), 0);
	assert_string_equal(c->url, "http://h/r/");
	assert_int_equal(c->retries, 2);
	assert_int_equal(c->interval, 21600);
	free(c);
	free(path);
}

static void test_load_errors(void **state)
{
	static const char no_url[] = "[transfer]\nretries = 2\n";
	static const char bad[] = "[server]\nurl = http://h/\nretries = 1\n";
	const char *dir = *state;
	char *path = tu_path(dir, "haishin.conf");
	char *missing = tu_path(dir, "missing.conf");
	struct config *c = malloc(sizeof(*c));
	struct hs_err e;
	char want[PATH_MAX + 64];

	assert_non_null(c);
	memset(c, 0x5a, sizeof(*c));
	assert_int_equal(config_load(missing, c, &e), -ENOENT);
	assert_non_null(strstr(e.msg, missing));

	tu_write(dir, "haishin.conf", no_url, strlen(no_url), 0644);
	assert_int_equal(config_load(path, c, &e), -EINVAL);
	assert_int_equal(hs_snprintf(want, sizeof(want),
				     "%s: [server] url is not set", path),
			 0);
	assert_string_equal(e.msg, want);

	tu_write(dir, "haishin.conf", bad, strlen(bad), 0644);
	assert_int_equal(config_load(path, c, &e), -EINVAL);
	assert_int_equal(hs_snprintf(want, sizeof(want),
				     "%s:3: unknown key 'retries' in [server]",
				     path),
			 0);
	assert_string_equal(e.msg, want);

	/* *ret_c is written only on success. */
	assert_int_equal(((unsigned char *)c)[0], 0x5a);
	assert_int_equal(((unsigned char *)c)[sizeof(*c) - 1], 0x5a);
	free(c);
	free(missing);
	free(path);
}

/*
 * The lenient load keeps every good line of a file with typos (and no url),
 * says the first bad line, and fails only when the file cannot be read.
 */
static void test_load_lenient(void **state)
{
	static const char typos[] = "[paths]\nsocket = /run/a.sock\n"
				    "[schedule]\nintervall = 5m\n"
				    "[paths]\nstate = /var/s\nnope = 1\n";
	static const char clean[] = "[paths]\nsocket = /run/b.sock\n";
	const char *dir = *state;
	char *path = tu_path(dir, "haishin.conf");
	struct config c;
	struct hs_err e;

	tu_write(dir, "haishin.conf", typos, strlen(typos), 0644);
	assert_int_equal(config_load_lenient(path, &c, &e), 1);
	assert_int_equal(e.code, -EINVAL);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(
		strstr(e.msg, ":4: unknown key 'intervall' in [schedule]"));
	assert_string_equal(c.socket, "/run/a.sock");
	assert_string_equal(c.state, "/var/s");
	assert_int_equal(c.interval, 21600);
	assert_int_equal(config_load(path, &c, &e), -EINVAL);

	tu_write(dir, "haishin.conf", clean, strlen(clean), 0644);
	assert_int_equal(config_load_lenient(path, &c, &e), 0);
	assert_string_equal(c.socket, "/run/b.sock");

	/* A file that cannot be read leaves c as it was. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(config_load_lenient(path, &c, &e), -ENOENT);
	assert_non_null(strstr(e.msg, path));
	assert_string_equal(c.socket, "/run/b.sock");
	free(path);
}

/* [install]: the defaults of DESIGN.md, and values set. */
static void test_install_keys(void **state)
{
	static const char text[] = "[install]\nkeep = 2\nhook_timeout = 9\n"
				   "health_tries = 1\nhealth_interval = 0\n";
	struct config *c;
	struct config d;
	struct hs_err e;

	(void)state;
	config_defaults(&d);
	assert_int_equal(d.keep, 3);
	assert_int_equal(d.hook_timeout, 60);
	assert_int_equal(d.health_tries, 3);
	assert_int_equal(d.health_interval, 5);
	assert_int_equal(parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c->keep, 2);
	assert_int_equal(c->hook_timeout, 9);
	assert_int_equal(c->health_tries, 1);
	assert_int_equal(c->health_interval, 0);
	free(c);
}

/* [restart]: a command per component name, found by name; none for the
 * others. */
static void test_restart_commands(void **state)
{
	static const char text[] =
		"[restart]\ncardreader = systemctl restart cardreader\n"
		"face-lib_2 = /usr/bin/env X=1 /opt/reload --now  # reload\n";
	struct config *c;
	struct hs_err e;

	(void)state;
	assert_int_equal(parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c->n_restart, 2);
	assert_string_equal(config_restart(c, "cardreader"),
			    "systemctl restart cardreader");
	assert_string_equal(config_restart(c, "face-lib_2"),
			    "/usr/bin/env X=1 /opt/reload --now");
	assert_null(config_restart(c, "app"));
	free(c);
}

/* The default file that is installed parses, with the unit's paths. */
static void test_shipped_default(void **state)
{
	struct config cfg;
	struct hs_err e;

	(void)state;
	if (config_load(HS_TOP "/scripts/haishin.conf", &cfg, &e) < 0)
		fail_msg("scripts/haishin.conf: %s", e.msg);
	assert_string_equal(cfg.state, "/var/lib/haishin");
	assert_string_equal(cfg.cache, "/var/cache/haishin");
	assert_string_equal(cfg.install, "/opt/haishin");
	assert_string_equal(cfg.socket, "/run/haishin/haishind.sock");
	assert_true(cfg.enabled);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_default),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_without_err),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_mirrors),
		cmocka_unit_test(test_url_too_long),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_self_update_timeout),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_restart_caps),
		cmocka_unit_test(test_install_keys),
		cmocka_unit_test(test_restart_commands),
		cmocka_unit_test_setup_teardown(test_load, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_lenient, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_errors, setup_dir,
						teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
