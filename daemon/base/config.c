/*
 * config.c - haishin.conf, parsed into a struct config.
 *
 * The buffer is walked one line at a time with (pointer, length) cursors.
 * Each line is copied into a bounded local buffer, cut at its comment,
 * trimmed, and is then empty, a "[section]" header or a "key = value" pair.
 * Every key lives in one table naming its section, the function that parses
 * its value and the field that value fills; sections are the ones the table
 * mentions.  A key may be set once per parse: a second one is an error,
 * because it is most often a copy-paste mistake.  Every error is -EINVAL
 * and reads "origin:line: what went wrong".
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "str.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct key_def;

/* Parses value v of key k into c; returns 0 or -EINVAL with e set. */
typedef int key_set_fn(struct config *c, const struct key_def *k, const char *v,
		       struct hs_err *e);

struct key_def {
	const char *section;
	const char *name;
	key_set_fn *set;
	size_t off; /* of the field in struct config */
	size_t size; /* of the field */
	uint64_t min; /* of a number */
	uint64_t max;
};

static const char *const base_schemes[] = {"http://", "https://", NULL};
static const char *const proxy_schemes[] = {
	"http://",   "https://",   "socks4://", "socks4a://",
	"socks5://", "socks5h://", NULL};
#define BASE_SCHEMES_TEXT "http:// or https://"
#define PROXY_SCHEMES_TEXT \
	"http://, https://, socks4://, socks4a://, socks5:// or socks5h://"

static void *field(struct config *c, const struct key_def *k)
{
	return (char *)c + k->off;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

/* Checks an absolute URL with one of schemes, a host, and nothing odd. */
static int check_url(const char *v, const char *const *schemes,
		     const char *schemes_text, struct hs_err *e)
{
	size_t n = 0;
	size_t i;

	for (i = 0; schemes[i] != NULL && n == 0; i++)
		if (strncasecmp(v, schemes[i], strlen(schemes[i])) == 0)
			n = strlen(schemes[i]);
	if (n == 0)
		return hs_err_set(e, -EINVAL, "'%s' must start with %s", v,
				  schemes_text);
	if (v[n] == '\0' || v[n] == '/')
		return hs_err_set(e, -EINVAL, "'%s' has no host", v);
	for (i = 0; v[i] != '\0'; i++) {
		const unsigned char ch = (unsigned char)v[i];

		if (ch <= ' ' || ch == 0x7f)
			return hs_err_set(
				e, -EINVAL,
				"'%s' contains a space or a control character",
				v);
		if (ch == '?' || ch == '#')
			return hs_err_set(
				e, -EINVAL,
				"'%s' must not have a query or a fragment", v);
	}
	return 0;
}

/* Copies base URL v into dst (size bytes), adding a final '/'. */
static int copy_base_url(char *dst, size_t size, const char *v,
			 struct hs_err *e)
{
	const size_t n = strlen(v);
	const char *slash;
	int r;

	r = check_url(v, base_schemes, BASE_SCHEMES_TEXT, e);
	if (r < 0)
		return r;
	slash = v[n - 1] == '/' ? "" : "/";
	if (hs_snprintf(dst, size, "%s%s", v, slash) < 0)
		return hs_err_set(e, -EINVAL, "URL longer than %zu bytes",
				  size - 1);
	return 0;
}

static int set_url(struct config *c, const struct key_def *k, const char *v,
		   struct hs_err *e)
{
	char *dst = field(c, k);

	if (v[0] == '\0') {
		dst[0] = '\0';
		return 0;
	}
	return copy_base_url(dst, k->size, v, e);
}

static bool is_list_sep(char ch)
{
	return is_space(ch) || ch == ',';
}

static int set_mirrors(struct config *c, const struct key_def *k, const char *v,
		       struct hs_err *e)
{
	char url[HS_URL_MAX];
	size_t n = 0;
	int r;

	(void)k;
	for (;;) {
		size_t len;

		while (is_list_sep(*v))
			v++;
		if (*v == '\0')
			break;
		for (len = 0; v[len] != '\0' && !is_list_sep(v[len]); len++)
			;
		if (n == CONFIG_MAX_MIRRORS)
			return hs_err_set(e, -EINVAL, "more than %d mirrors",
					  CONFIG_MAX_MIRRORS);
		if (len >= sizeof(url))
			return hs_err_set(e, -EINVAL,
					  "URL longer than %zu bytes",
					  sizeof(url) - 1);
		memcpy(url, v, len);
		url[len] = '\0';
		r = copy_base_url(c->mirrors[n], sizeof(c->mirrors[n]), url, e);
		if (r < 0)
			return r;
		n++;
		v += len;
	}
	c->n_mirrors = n;
	return 0;
}

static int set_proxy(struct config *c, const struct key_def *k, const char *v,
		     struct hs_err *e)
{
	char *dst = field(c, k);
	int r;

	if (v[0] != '\0') {
		r = check_url(v, proxy_schemes, PROXY_SCHEMES_TEXT, e);
		if (r < 0)
			return r;
	}
	if (hs_strlcpy(dst, v, k->size) < 0)
		return hs_err_set(e, -EINVAL, "URL longer than %zu bytes",
				  k->size - 1);
	return 0;
}

static int set_path(struct config *c, const struct key_def *k, const char *v,
		    struct hs_err *e)
{
	if (v[0] != '/')
		return hs_err_set(e, -EINVAL, "'%s' is not an absolute path",
				  v);
	if (hs_strlcpy(field(c, k), v, k->size) < 0)
		return hs_err_set(e, -EINVAL, "path longer than %zu bytes",
				  k->size - 1);
	return 0;
}

/* A path that may be empty, meaning "not set". */
/* A user or group name: [a-z_][a-z0-9_-]*, at most 32 bytes, or empty. */
static int set_name(struct config *c, const struct key_def *k, const char *v,
		    struct hs_err *e)
{
	char *dst = field(c, k);
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		const char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || ch == '_' ||
		      (i > 0 && ((ch >= '0' && ch <= '9') || ch == '-'))))
			return hs_err_set(e, -EINVAL,
					  "'%s' is not a group name", v);
	}
	if (hs_strlcpy(dst, v, k->size) < 0)
		return hs_err_set(e, -EINVAL, "'%s' is too long", v);
	return 0;
}

static int set_path_opt(struct config *c, const struct key_def *k,
			const char *v, struct hs_err *e)
{
	char *dst = field(c, k);

	if (v[0] == '\0') {
		dst[0] = '\0';
		return 0;
	}
	return set_path(c, k, v, e);
}

/* A number between k->min and k->max, into a uint32_t or uint64_t. */
static int set_number(struct config *c, const struct key_def *k, const char *v,
		      struct hs_err *e)
{
	uint64_t n;

	if (hs_parse_u64(v, k->max, &n) < 0 || n < k->min)
		return hs_err_set(e, -EINVAL,
				  "'%s' is not a number from %" PRIu64
				  " to %" PRIu64,
				  v, k->min, k->max);
	if (k->size == sizeof(uint64_t)) {
		*(uint64_t *)field(c, k) = n;
		return 0;
	}
	assert(k->size == sizeof(uint32_t) && k->max <= UINT32_MAX);
	*(uint32_t *)field(c, k) = (uint32_t)n;
	return 0;
}

static int set_bool(struct config *c, const struct key_def *k, const char *v,
		    struct hs_err *e)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	bool *dst = field(c, k);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*dst = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*dst = false;
			return 0;
		}
	}
	return hs_err_set(e, -EINVAL, "'%s' is not yes or no", v);
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Parses "H:MM" or "HH:MM" at *s into minutes after midnight. */
static int parse_clock(const char **s, uint16_t *ret_min)
{
	const char *p = *s;
	unsigned h;
	unsigned m;

	if (!is_digit(p[0]))
		return -EINVAL;
	h = (unsigned)(*p++ - '0');
	if (is_digit(*p))
		h = h * 10 + (unsigned)(*p++ - '0');
	if (*p++ != ':' || !is_digit(p[0]) || !is_digit(p[1]))
		return -EINVAL;
	m = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
	if (h > 23 || m > 59)
		return -EINVAL;
	*ret_min = (uint16_t)(h * 60 + m);
	*s = p + 2;
	return 0;
}

static int parse_quiet(const char *v, uint16_t *ret_start, uint16_t *ret_end)
{
	uint16_t start;
	uint16_t end;

	if (parse_clock(&v, &start) < 0)
		return -EINVAL;
	while (is_space(*v))
		v++;
	if (*v++ != '-')
		return -EINVAL;
	while (is_space(*v))
		v++;
	if (parse_clock(&v, &end) < 0 || *v != '\0' || start == end)
		return -EINVAL;
	*ret_start = start;
	*ret_end = end;
	return 0;
}

static int set_quiet(struct config *c, const struct key_def *k, const char *v,
		     struct hs_err *e)
{
	uint16_t start;
	uint16_t end;

	(void)k;
	if (v[0] == '\0') {
		c->has_quiet_hours = false;
		c->quiet_start = 0;
		c->quiet_end = 0;
		return 0;
	}
	if (parse_quiet(v, &start, &end) < 0)
		return hs_err_set(
			e, -EINVAL,
			"'%s' is not HH:MM-HH:MM with two different times", v);
	c->has_quiet_hours = true;
	c->quiet_start = start;
	c->quiet_end = end;
	return 0;
}

/* One table row: section, key, parser, field of struct config, bounds. */
#define KEY(sec, key, fn, fld, lo, hi)                                     \
	{                                                                  \
		.section = (sec), .name = (key), .set = (fn),              \
		.off = offsetof(struct config, fld),                       \
		.size = sizeof(((struct config *)NULL)->fld), .min = (lo), \
		.max = (hi)                                                \
	}

static const struct key_def keys[] = {
	KEY("server", "url", set_url, url, 0, 0),
	KEY("server", "mirrors", set_mirrors, mirrors, 0, 0),
	KEY("server", "proxy", set_proxy, proxy, 0, 0),
	KEY("server", "ca_file", set_path_opt, ca_file, 0, 0),
	KEY("trust", "root", set_path, root, 0, 0),
	KEY("paths", "state", set_path, state, 0, 0),
	KEY("paths", "cache", set_path, cache, 0, 0),
	KEY("paths", "install", set_path, install, 0, 0),
	KEY("paths", "socket", set_path, socket, 0, 0),
	KEY("transfer", "max_rate", set_number, max_rate, 0, INT64_MAX),
	KEY("transfer", "stall_timeout", set_number, stall_timeout, 1, 3600),
	KEY("transfer", "connect_timeout", set_number, connect_timeout, 1, 600),
	KEY("transfer", "retries", set_number, retries, 0, 100),
	KEY("transfer", "min_rate", set_number, min_rate, 1, INT64_MAX),
	KEY("transfer", "backoff_initial", set_number, backoff_initial, 0,
	    3600),
	KEY("transfer", "backoff_max", set_number, backoff_max, 1, 86400),
	KEY("transfer", "deltas", set_bool, deltas, 0, 0),
	KEY("transfer", "cache_max", set_number, cache_max, 0, INT64_MAX),
	KEY("schedule", "enabled", set_bool, enabled, 0, 0),
	KEY("schedule", "boot_delay_max", set_number, boot_delay_max, 0, 86400),
	KEY("schedule", "interval", set_number, interval, 60, 30 * 86400),
	KEY("schedule", "quiet_hours", set_quiet, quiet_start, 0, 0),
	KEY("control", "group", set_name, control_group, 0, 0),
	KEY("control", "admin_group", set_name, admin_group, 0, 0),
	KEY("install", "self_update_timeout", set_number, self_update_timeout,
	    1, 3600),
};

#undef KEY

struct parser {
	struct config *c;
	const char *origin;
	size_t line;
	const char *section; /* NULL before the first header */
	size_t set_on[ARRAY_SIZE(keys)]; /* line each key was set on, or 0 */
};

static const struct key_def *find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Returns the table's copy of section's name, or NULL if unknown. */
static const char *find_section(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, name) == 0)
			return keys[i].section;
	return NULL;
}

__attribute__((format(printf, 3, 4))) static int
line_error(const struct parser *p, struct hs_err *e, const char *fmt, ...)
{
	char msg[HS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hs_err_set(e, -EINVAL, "%s:%zu: %s", p->origin, p->line, msg);
}

/* Cuts s at a '#' or ';' that starts it or follows whitespace. */
static void strip_comment(char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] == '#' || s[i] == ';') &&
		    (i == 0 || is_space(s[i - 1]))) {
			s[i] = '\0';
			return;
		}
	}
}

/* Trims whitespace in place; returns the first non-space byte of s. */
static char *trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

static int parse_section(struct parser *p, char *s, struct hs_err *e)
{
	const size_t n = strlen(s);
	const char *section;
	char *name;

	if (n < 2 || s[n - 1] != ']')
		return line_error(p, e, "section header without a ']'");
	s[n - 1] = '\0';
	name = trim(s + 1);
	section = find_section(name);
	if (section == NULL)
		return line_error(p, e, "unknown section [%s]", name);
	p->section = section;
	return 0;
}

static int parse_pair(struct parser *p, char *s, struct hs_err *e)
{
	const struct key_def *k;
	char *eq = strchr(s, '=');
	const char *key;
	size_t i;
	int r;

	if (eq == NULL)
		return line_error(p, e,
				  "expected 'key = value' or '[section]'");
	*eq = '\0';
	key = trim(s);
	if (key[0] == '\0')
		return line_error(p, e, "no key before '='");
	if (p->section == NULL)
		return line_error(p, e, "key '%s' outside a section", key);
	k = find_key(p->section, key);
	if (k == NULL)
		return line_error(p, e, "unknown key '%s' in [%s]", key,
				  p->section);
	i = (size_t)(k - keys);
	if (p->set_on[i] != 0)
		return line_error(p, e,
				  "[%s] %s: set twice (first on line %zu)",
				  k->section, k->name, p->set_on[i]);
	r = k->set(p->c, k, trim(eq + 1), e);
	if (r < 0) {
		hs_err_prefix(e, "%s:%zu: [%s] %s: ", p->origin, p->line,
			      k->section, k->name);
		return r;
	}
	p->set_on[i] = p->line;
	return 0;
}

/* Parses one line of n bytes, without its '\n'. */
static int parse_line(struct parser *p, const char *s, size_t n,
		      struct hs_err *e)
{
	char line[CONFIG_LINE_MAX + 1];
	char *t;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > CONFIG_LINE_MAX)
		return line_error(p, e, "line longer than %d bytes",
				  CONFIG_LINE_MAX);
	if (memchr(s, '\0', n) != NULL)
		return line_error(p, e, "line contains a NUL byte");
	memcpy(line, s, n);
	line[n] = '\0';
	strip_comment(line);
	t = trim(line);
	if (t[0] == '\0')
		return 0;
	if (t[0] == '[')
		return parse_section(p, t, e);
	return parse_pair(p, t, e);
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	(void)hs_strlcpy(c->root, "/etc/haishin/root.json", sizeof(c->root));
	(void)hs_strlcpy(c->state, "/var/lib/haishin", sizeof(c->state));
	(void)hs_strlcpy(c->cache, "/var/cache/haishin", sizeof(c->cache));
	(void)hs_strlcpy(c->install, "/opt/haishin", sizeof(c->install));
	(void)hs_strlcpy(c->socket, "/run/haishin/haishind.sock",
			 sizeof(c->socket));
	c->max_rate = 0;
	c->stall_timeout = 30;
	c->connect_timeout = 15;
	c->retries = 5;
	c->min_rate = 256;
	c->backoff_initial = 2;
	c->backoff_max = 120;
	c->deltas = true;
	c->cache_max = 2ull * 1024 * 1024 * 1024;
	c->enabled = true;
	c->boot_delay_max = 300;
	c->interval = 21600;
	c->has_quiet_hours = false;
	c->self_update_timeout = 120;
}

/* Parses every line; stops at the first bad one unless keep_going, which
 * skips it and returns the first error at the end. */
static int config_parse_lines(struct config *c, const char *buf, size_t len,
			      const char *origin, bool keep_going,
			      struct hs_err *e)
{
	struct hs_err line_e;
	struct parser p;
	size_t pos = 0;
	int first = 0;
	int r;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.origin = origin;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		const size_t end = nl != NULL ? (size_t)(nl - buf) : len;

		p.line++;
		r = parse_line(&p, buf + pos, end - pos, &line_e);
		if (r < 0 && !keep_going)
			return hs_err_copy(e, &line_e);
		if (r < 0 && first == 0)
			first = hs_err_copy(e, &line_e);
		pos = end + 1;
	}
	return first;
}

int config_parse(struct config *c, const char *buf, size_t len,
		 const char *origin, struct hs_err *e)
{
	return config_parse_lines(c, buf, len, origin, false, e);
}

/*
 * Reads path and parses it on top of the defaults into a new *ret_c (the
 * caller frees it).  Strict, the first bad line fails it; lenient, a bad
 * line is skipped and 1 comes back with the first one's error in e.
 */
static int config_read(const char *path, bool lenient, struct config **ret_c,
		       struct hs_err *e)
{
	struct config *c = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = hs_read_file(path, HS_SMALL_FILE_MAX, &buf, &len, e);
	if (r < 0)
		return r;
	c = malloc(sizeof(*c));
	if (c == NULL) {
		free(buf);
		return hs_err_set(e, -ENOMEM, "out of memory reading '%s'",
				  path);
	}
	config_defaults(c);
	r = config_parse_lines(c, buf, len, path, lenient, e);
	free(buf);
	if (r < 0 && !lenient) {
		free(c);
		return r;
	}
	*ret_c = c;
	return r < 0 ? 1 : 0;
}

/* What the daemon cannot run without, beyond a file that parses. */
static int config_check(const struct config *c, const char *path,
			struct hs_err *e)
{
	if (c->url[0] == '\0')
		return hs_err_set(e, -EINVAL, "%s: [server] url is not set",
				  path);
	if (c->max_rate > 0 && c->max_rate < c->min_rate)
		return hs_err_set(e, -EINVAL,
				  "%s: [transfer] max_rate %" PRIu64
				  " is below min_rate %" PRIu64
				  ": every download would stall",
				  path, c->max_rate, c->min_rate);
	return 0;
}

int config_load(const char *path, struct config *ret_c, struct hs_err *e)
{
	struct config *c = NULL;
	int r;

	r = config_read(path, false, &c, e);
	if (r < 0)
		return r;
	r = config_check(c, path, e);
	if (r == 0)
		*ret_c = *c;
	free(c);
	return r;
}

int config_load_lenient(const char *path, struct config *ret_c,
			struct hs_err *e)
{
	struct config *c = NULL;
	int r;

	r = config_read(path, true, &c, e);
	if (r < 0)
		return r;
	*ret_c = *c;
	free(c);
	return r;
}

bool config_is_quiet_at(const struct config *c, unsigned minute)
{
	if (!c->has_quiet_hours)
		return false;
	if (c->quiet_start < c->quiet_end)
		return minute >= c->quiet_start && minute < c->quiet_end;
	return minute >= c->quiet_start || minute < c->quiet_end;
}
