/*
 * ctlprint.c - what haishinctl shows a person, part one: the formatters
 * (strings, sizes, durations, times, states) and the helpers the other
 * parts share (ctlprint_int.h).  The download line, the bar and
 * download-now's progress are in ctlprint_progress.c; one printer per reply
 * of the protocol in ctlprint_reply.c.
 *
 * Invariants: every string from the daemon is sanitized before it reaches
 * the terminal; every buffer is fixed-size and cut at a character boundary
 * when full; numbers are formatted with integer arithmetic, so "1.5 MiB"
 * does not depend on the locale's decimal point.
 */
#include "ctlprint.h"

#include <errno.h>
#include <langinfo.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "ctlprint_int.h"
#include "state.h"
#include "i18n.h"
#include "str.h"

/* Strings. */

/* The length of a UTF-8 sequence from its lead byte (1 for a stray byte). */
static size_t utf8_seq_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Drops an incomplete UTF-8 sequence at the end of s (after a cut). */
static void utf8_trim(char *s)
{
	size_t n = strlen(s);
	size_t i = n;

	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0xc0 &&
	    utf8_seq_len((unsigned char)s[i - 1]) > n - i + 1)
		s[i - 1] = '\0';
}

/* Appends to out (a NUL-terminated string in size bytes). */
void ctlprint_vcat(char *out, size_t size, const char *f, va_list ap)
{
	size_t len = strnlen(out, size);
	int nr;

	if (len + 1 >= size)
		return;
	nr = vsnprintf(out + len, size - len, f, ap);
	if (nr < 0)
		out[len] = '\0';
	else if ((size_t)nr >= size - len)
		utf8_trim(out);
}

void ctlprint_cat(char *out, size_t size, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	ctlprint_vcat(out, size, f, ap);
	va_end(ap);
}

/* Sets out to the formatted text. */
void ctlprint_fmt(char *out, size_t size, const char *f, ...)
{
	va_list ap;

	if (size == 0)
		return;
	out[0] = '\0';
	va_start(ap, f);
	ctlprint_vcat(out, size, f, ap);
	va_end(ap);
}

void ctlprint_sanitize(const char *s, char *out, size_t size)
{
	size_t i = 0;
	size_t o = 0;
	unsigned char c;

	if (size == 0)
		return;
	for (; s[i] != '\0' && o + 1 < size; i++) {
		c = (unsigned char)s[i];
		if (c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f) {
			i++; /* a C1 control, U+0080..U+009F */
			c = '?';
		} else if (c < 0x20 || c == 0x7f) {
			c = '?';
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (s[i] != '\0')
		utf8_trim(out);
}

/*
 * The number of bytes of s that fit in cols columns; *ret_cols gets the
 * columns they take.  A byte that is not a character counts as one.
 */
static size_t fit_columns(const char *s, size_t cols, size_t *ret_cols)
{
	size_t n = strlen(s);
	size_t used = 0;
	size_t off = 0;
	mbstate_t st;
	wchar_t wc;
	size_t k;
	int w;

	memset(&st, 0, sizeof(st));
	while (off < n) {
		k = mbrtowc(&wc, s + off, n - off, &st);
		w = 1;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			k = 1;
		} else if (wcwidth(wc) >= 0) {
			w = wcwidth(wc);
		}
		if (used + (size_t)w > cols)
			break;
		used += (size_t)w;
		off += k;
	}
	*ret_cols = used;
	return off;
}

size_t ctlprint_width(const char *s)
{
	size_t cols;

	(void)fit_columns(s, SIZE_MAX, &cols);
	return cols;
}

/* Cuts s so that it takes at most cols columns. */
void ctlprint_cut_columns(char *s, size_t cols)
{
	size_t used;

	s[fit_columns(s, cols, &used)] = '\0';
}

/* Pads to cols columns with spaces. */
void ctlprint_put_padded(FILE *f, const char *s, size_t cols)
{
	size_t w = ctlprint_width(s);

	fputs(s, f);
	for (; w < cols; w++)
		fputc(' ', f);
}

/* "→" where the terminal speaks UTF-8, else "->". */
const char *ctlprint_arrow(void)
{
	return strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "\u2192" : "->";
}

/* JSON fields: absent or of the wrong type reads as empty or zero. */

const char *ctlprint_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

uint64_t ctlprint_ju64(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* Numbers and times. */

void ctlprint_bytes(uint64_t n, char *out, size_t size)
{
	static const char *const units[] = {"KiB", "MiB", "GiB",
					    "TiB", "PiB", "EiB"};
	const size_t last = sizeof(units) / sizeof(units[0]) - 1;
	uint64_t u = 1024;
	uint64_t whole;
	uint64_t tenth;
	size_t i = 0;

	if (n < 1024) {
		ctlprint_fmt(out, size, "%u B", (unsigned)n);
		return;
	}
	while (i < last && n / u >= 1024) {
		u *= 1024;
		i++;
	}
	whole = n / u;
	tenth = ((n % u) * 10 + u / 2) / u; /* n % u < 2^60: no overflow */
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	if (whole == 1024 && i < last) {
		whole = 1;
		i++;
	}
	ctlprint_fmt(out, size, "%llu.%u %s", (unsigned long long)whole,
		     (unsigned)tenth, units[i]);
}

void ctlprint_rate(uint64_t bytes_per_s, char *out, size_t size)
{
	ctlprint_bytes(bytes_per_s, out, size);
	ctlprint_cat(out, size, "/s");
}

void ctlprint_duration(uint64_t seconds, char *out, size_t size)
{
	const unsigned s = (unsigned)(seconds % 60);
	const unsigned m = (unsigned)(seconds / 60 % 60);
	const unsigned h = (unsigned)(seconds / 3600 % 24);

	if (seconds < 60) {
		/* TRANSLATORS: durations have at most two units: "45 s",
		 * "3 min 05 s", "1 h 02 min", "2 d 03 h". */
		ctlprint_fmt(out, size, _("%u s"), s);
	} else if (seconds < 3600) {
		ctlprint_fmt(out, size, _("%u min %02u s"), m, s);
	} else if (seconds < 86400) {
		ctlprint_fmt(out, size, _("%u h %02u min"), h, m);
	} else {
		ctlprint_fmt(out, size, _("%llu d %02u h"),
			     (unsigned long long)(seconds / 86400), h);
	}
}

void ctlprint_eta(int64_t seconds, char *out, size_t size)
{
	const unsigned s = (unsigned)(seconds % 60);
	const unsigned m = (unsigned)(seconds / 60 % 60);

	if (seconds < 0)
		ctlprint_fmt(out, size, "--:--");
	else if (seconds < 3600)
		ctlprint_fmt(out, size, "%u:%02u", (unsigned)(seconds / 60), s);
	else if (seconds < 100 * 3600)
		ctlprint_fmt(out, size, "%u:%02u:%02u",
			     (unsigned)(seconds / 3600), m, s);
	else
		ctlprint_fmt(out, size, _(">99 h"));
}

void ctlprint_time(int64_t t, char *out, size_t size)
{
	const time_t tt = (time_t)t;
	struct tm tm;

	if (size == 0)
		return;
	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M", &tm) == 0)
		ctlprint_fmt(out, size, "?");
}

void ctlprint_time_rel(int64_t t, int64_t now, char *out, size_t size)
{
	char d[CTLPRINT_SHORT_MAX];

	if (t == now) {
		ctlprint_fmt(out, size, "%s", _("now"));
		return;
	}
	ctlprint_duration((uint64_t)(t > now ? t - now : now - t), d,
			  sizeof(d));
	if (t < now) {
		/* TRANSLATORS: %s is a duration: "3 min 00 s ago". */
		ctlprint_fmt(out, size, _("%s ago"), d);
		return;
	}
	/* TRANSLATORS: %s is a duration: "in 2 h 10 min". */
	ctlprint_fmt(out, size, _("in %s"), d);
}

void ctlprint_time_json(const json_t *v, int64_t now, const char *if_null,
			char *out, size_t size)
{
	char rel[CTLPRINT_SHORT_MAX];
	const char *s = json_string_value(v);
	int64_t t;

	if (v == NULL || json_is_null(v)) {
		ctlprint_fmt(out, size, "%s", if_null);
		return;
	}
	if (s == NULL || hs_time_parse(s, &t) < 0) {
		ctlprint_sanitize(s != NULL ? s : "?", out, size);
		return;
	}
	ctlprint_time(t, out, size);
	if (now <= 0)
		return;
	ctlprint_time_rel(t, now, rel, sizeof(rel));
	ctlprint_cat(out, size, " (%s)", rel);
}

/* mktime() of tm, refusing a date it had to normalise ("02-31"). */
static int when_local(struct tm *tm, int64_t *ret_t)
{
	const struct tm want = *tm;
	time_t t;

	tm->tm_isdst = -1;
	t = mktime(tm);
	if (t == (time_t)-1 || tm->tm_year != want.tm_year ||
	    tm->tm_mon != want.tm_mon || tm->tm_mday != want.tm_mday)
		return -EINVAL;
	*ret_t = (int64_t)t;
	return 0;
}

int ctlprint_parse_when(const char *s, int64_t *ret_t)
{
	static const char *const formats[] = {"%Y-%m-%d %H:%M", "%Y-%m-%d"};
	const char *end;
	struct tm tm;
	size_t i;

	if (hs_time_parse(s, ret_t) == 0)
		return 0;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, formats[i], &tm);
		if (end != NULL && *end == '\0' && s[0] >= '0' && s[0] <= '9')
			return when_local(&tm, ret_t);
	}
	return -EINVAL;
}

/* States. */

void ctlprint_state_line(const char *state, const char *reason, char *out,
			 size_t size)
{
	if (reason == NULL || reason[0] == '\0')
		ctlprint_fmt(out, size, "%s", state);
	else
		ctlprint_fmt(out, size, "%s %s", state, reason);
	ctlprint_sanitize(out, out, size);
}

int ctlprint_state_exit(const char *state)
{
	enum state s;

	if (state_from_name(state, &s) < 0 || !state_is_terminal(s))
		return -1;
	return state_exit_code(s);
}

void ctlprint_unreachable(const char *socket, int err, char *out, size_t size)
{
	if (err == -EACCES || err == -EPERM)
		ctlprint_fmt(
			out, size,
			_("permission denied on '%s': add this user to the haishin group"),
			socket);
	else if (err == -ENAMETOOLONG)
		ctlprint_fmt(out, size, _("the socket path '%s' is too long"),
			     socket);
	else
		ctlprint_fmt(
			out, size,
			_("haishind is not running: cannot connect to '%s' (%s); start it with 'systemctl start haishind'"),
			socket, strerror(-err));
	ctlprint_sanitize(out, out, size);
}
