/*
 * ctlprint.c - what haishinctl shows a person: the formatters first (sizes,
 * durations, times, the bar), then one printer per reply of the protocol.
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

#include "i18n.h"
#include "str.h"

#define BAR_MIN 5 /* a narrower bar is dropped */
#define BAR_MAX 40
#define BAR_TAIL_ROOM 40 /* columns kept for the text after the bar */
#define DEFAULT_WIDTH 80
#define TABLE_MAX_COLS 8
#define TABLE_CELL_MAX 512
#define KV_MAX_ROWS 24
#define KV_VALUE_MAX 512

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
__attribute__((format(printf, 3, 0))) static void
vcat(char *out, size_t size, const char *f, va_list ap)
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

__attribute__((format(printf, 3, 4))) static void cat(char *out, size_t size,
						      const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vcat(out, size, f, ap);
	va_end(ap);
}

/* Sets out to the formatted text. */
__attribute__((format(printf, 3, 4))) static void fmt(char *out, size_t size,
						      const char *f, ...)
{
	va_list ap;

	if (size == 0)
		return;
	out[0] = '\0';
	va_start(ap, f);
	vcat(out, size, f, ap);
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
static void cut_columns(char *s, size_t cols)
{
	size_t used;

	s[fit_columns(s, cols, &used)] = '\0';
}

/* Pads to cols columns with spaces. */
static void put_padded(FILE *f, const char *s, size_t cols)
{
	size_t w = ctlprint_width(s);

	fputs(s, f);
	for (; w < cols; w++)
		fputc(' ', f);
}

/* "→" where the terminal speaks UTF-8, else "->". */
static const char *arrow(void)
{
	return strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "\u2192" : "->";
}

/* JSON fields: absent or of the wrong type reads as empty or zero. */

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static uint64_t ju64(const json_t *o, const char *key)
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
		fmt(out, size, "%u B", (unsigned)n);
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
	fmt(out, size, "%llu.%u %s", (unsigned long long)whole, (unsigned)tenth,
	    units[i]);
}

void ctlprint_rate(uint64_t bytes_per_s, char *out, size_t size)
{
	ctlprint_bytes(bytes_per_s, out, size);
	cat(out, size, "/s");
}

void ctlprint_duration(uint64_t seconds, char *out, size_t size)
{
	const unsigned s = (unsigned)(seconds % 60);
	const unsigned m = (unsigned)(seconds / 60 % 60);
	const unsigned h = (unsigned)(seconds / 3600 % 24);

	if (seconds < 60) {
		/* TRANSLATORS: durations have at most two units: "45 s",
		 * "3 min 05 s", "1 h 02 min", "2 d 03 h". */
		fmt(out, size, _("%u s"), s);
	} else if (seconds < 3600) {
		fmt(out, size, _("%u min %02u s"), m, s);
	} else if (seconds < 86400) {
		fmt(out, size, _("%u h %02u min"), h, m);
	} else {
		fmt(out, size, _("%llu d %02u h"),
		    (unsigned long long)(seconds / 86400), h);
	}
}

void ctlprint_eta(int64_t seconds, char *out, size_t size)
{
	const unsigned s = (unsigned)(seconds % 60);
	const unsigned m = (unsigned)(seconds / 60 % 60);

	if (seconds < 0)
		fmt(out, size, "--:--");
	else if (seconds < 3600)
		fmt(out, size, "%u:%02u", (unsigned)(seconds / 60), s);
	else if (seconds < 100 * 3600)
		fmt(out, size, "%u:%02u:%02u", (unsigned)(seconds / 3600), m,
		    s);
	else
		fmt(out, size, _(">99 h"));
}

void ctlprint_time(int64_t t, char *out, size_t size)
{
	const time_t tt = (time_t)t;
	struct tm tm;

	if (size == 0)
		return;
	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M", &tm) == 0)
		fmt(out, size, "?");
}

void ctlprint_time_rel(int64_t t, int64_t now, char *out, size_t size)
{
	char d[CTLPRINT_SHORT_MAX];

	if (t == now) {
		fmt(out, size, "%s", _("now"));
		return;
	}
	ctlprint_duration((uint64_t)(t > now ? t - now : now - t), d,
			  sizeof(d));
	if (t < now) {
		/* TRANSLATORS: %s is a duration: "3 min 00 s ago". */
		fmt(out, size, _("%s ago"), d);
		return;
	}
	/* TRANSLATORS: %s is a duration: "in 2 h 10 min". */
	fmt(out, size, _("in %s"), d);
}

void ctlprint_time_json(const json_t *v, int64_t now, const char *if_null,
			char *out, size_t size)
{
	char rel[CTLPRINT_SHORT_MAX];
	const char *s = json_string_value(v);
	int64_t t;

	if (v == NULL || json_is_null(v)) {
		fmt(out, size, "%s", if_null);
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
	cat(out, size, " (%s)", rel);
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
		fmt(out, size, "%s", state);
	else
		fmt(out, size, "%s %s", state, reason);
	ctlprint_sanitize(out, out, size);
}

int ctlprint_state_exit(const char *state)
{
	static const struct {
		const char *name;
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
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(state, codes[i].name) == 0)
			return codes[i].code;
	return -1;
}

void ctlprint_unreachable(const char *socket, int err, char *out, size_t size)
{
	if (err == -EACCES || err == -EPERM)
		fmt(out, size,
		    _("permission denied on '%s': add this user to the haishin group"),
		    socket);
	else if (err == -ENAMETOOLONG)
		fmt(out, size, _("the socket path '%s' is too long"), socket);
	else
		fmt(out, size,
		    _("haishind is not running: cannot connect to '%s' (%s); start it with 'systemctl start haishind'"),
		    socket, strerror(-err));
	ctlprint_sanitize(out, out, size);
}

/* Downloads. */

void ctlprint_dl_from_json(const json_t *j, struct ctlprint_dl *d)
{
	const json_t *eta = json_object_get(j, "eta");

	d->state = jstr(j, "state");
	d->text = jstr(j, "text");
	if (d->text[0] == '\0')
		d->text = jstr(j, "component");
	d->done = ju64(j, "done");
	d->total = ju64(j, "total");
	d->rate = ju64(j, "rate");
	d->eta = json_is_integer(eta) && json_integer_value(eta) >= 0
			 ? (int64_t)json_integer_value(eta)
			 : -1;
}

static unsigned dl_percent(const struct ctlprint_dl *d)
{
	if (d->total == 0)
		return 0;
	if (d->done >= d->total)
		return 100;
	return (unsigned)((double)d->done * 100.0 / (double)d->total);
}

/* "  33% 1.0 MiB/3.0 MiB 512.0 KiB/s ETA 0:04" */
static void bar_tail(const struct ctlprint_dl *d, char *out, size_t size)
{
	char a[CTLPRINT_SHORT_MAX];
	char b[CTLPRINT_SHORT_MAX];

	ctlprint_bytes(d->done, a, sizeof(a));
	if (d->total > 0) {
		ctlprint_bytes(d->total, b, sizeof(b));
		fmt(out, size, " %3u%% %s/%s", dl_percent(d), a, b);
	} else {
		fmt(out, size, " %s", a);
	}
	if (d->rate > 0) {
		ctlprint_rate(d->rate, a, sizeof(a));
		cat(out, size, " %s", a);
	}
	if (d->eta >= 0) {
		ctlprint_eta(d->eta, a, sizeof(a));
		cat(out, size, " ");
		/* TRANSLATORS: time left in the progress bar, "ETA 0:04";
		 * keep it short. */
		cat(out, size, _("ETA %s"), a);
	}
}

static void bar_fill(unsigned percent, size_t cols, char *out, size_t size)
{
	const size_t full = cols * percent / 100;
	size_t i;

	if (size < cols + 3)
		return;
	out[0] = '[';
	for (i = 0; i < cols; i++)
		out[1 + i] = i < full ? '#' : '-';
	out[cols + 1] = ']';
	out[cols + 2] = '\0';
}

void ctlprint_bar(const struct ctlprint_dl *d, unsigned width, char *out,
		  size_t size)
{
	char head[CTLPRINT_LINE_MAX];
	char tail[CTLPRINT_LINE_MAX];
	char bar[BAR_MAX + 3] = "";
	size_t used;
	size_t room;

	if (width == 0)
		width = DEFAULT_WIDTH;
	fmt(head, sizeof(head), "%s%s%s", d->state, d->text[0] ? " " : "",
	    d->text);
	ctlprint_sanitize(head, head, sizeof(head));
	bar_tail(d, tail, sizeof(tail));
	/* Sizing the bar for a tail of at least BAR_TAIL_ROOM keeps it
	 * steady while the numbers after it change width. */
	used = ctlprint_width(tail);
	used = ctlprint_width(head) + 3 +
	       (used > BAR_TAIL_ROOM ? used : BAR_TAIL_ROOM);
	room = used < width - 1 ? width - 1 - used : 0;
	if (d->total > 0 && room >= BAR_MIN)
		bar_fill(dl_percent(d), room < BAR_MAX ? room : BAR_MAX, bar,
			 sizeof(bar));
	fmt(out, size, "%s%s%s%s", head, bar[0] ? " " : "", bar, tail);
	cut_columns(out, width - 1);
}

void ctlprint_dl_line(const struct ctlprint_dl *d, char *out, size_t size)
{
	char a[CTLPRINT_SHORT_MAX];
	char b[CTLPRINT_SHORT_MAX];

	fmt(out, size, "%s%s%s: ", d->state, d->text[0] ? " " : "", d->text);
	ctlprint_bytes(d->done, a, sizeof(a));
	if (d->total > 0) {
		ctlprint_bytes(d->total, b, sizeof(b));
		/* TRANSLATORS: "1.0 MiB of 3.0 MiB (33 %)". */
		cat(out, size, _("%s of %s (%u %%)"), a, b, dl_percent(d));
	} else {
		cat(out, size, "%s", a);
	}
	if (d->rate > 0) {
		ctlprint_rate(d->rate, a, sizeof(a));
		cat(out, size, ", %s", a);
	}
	if (d->eta >= 0) {
		ctlprint_duration((uint64_t)d->eta, a, sizeof(a));
		cat(out, size, ", ");
		cat(out, size, _("%s left"), a);
	}
	ctlprint_sanitize(out, out, size);
}

/* download-now's progress. */

void ctlprint_progress_init(struct ctlprint_progress *p, FILE *f, bool tty)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->tty = tty;
	p->tenth = -1;
}

/* "WAITING cardreader: HTTP: 503 ... (until 2026-11-25 17:40)" */
static void event_line(const json_t *ev, char *out, size_t size)
{
	const char *comp = jstr(ev, "component");
	const char *text = jstr(ev, "text");
	const json_t *until = json_object_get(ev, "until");
	char t[CTLPRINT_SHORT_MAX];

	fmt(out, size, "%s", jstr(ev, "state"));
	if (comp[0] != '\0' && strncmp(text, comp, strlen(comp)) != 0)
		cat(out, size, " %s:", comp);
	if (text[0] != '\0')
		cat(out, size, " %s", text);
	if (json_is_string(until)) {
		ctlprint_time_json(until, 0, "", t, sizeof(t));
		cat(out, size, " (");
		cat(out, size, _("until %s"), t);
		cat(out, size, ")");
	}
	ctlprint_sanitize(out, out, size);
}

static void progress_close_bar(struct ctlprint_progress *p)
{
	if (!p->bar_open)
		return;
	fputc('\n', p->f);
	p->bar_open = false;
}

static void progress_download(struct ctlprint_progress *p, const json_t *ev,
			      bool changed, unsigned width)
{
	char line[CTLPRINT_LINE_MAX];
	struct ctlprint_dl d;
	int tenth;

	ctlprint_dl_from_json(ev, &d);
	if (p->tty) {
		if (changed)
			progress_close_bar(p);
		ctlprint_bar(&d, width, line, sizeof(line));
		fprintf(p->f, "\r\033[K%s", line);
		p->bar_open = true;
		return;
	}
	tenth = d.total > 0 ? (int)(dl_percent(&d) / 10) : 0;
	if (!changed && tenth <= p->tenth)
		return;
	p->tenth = tenth;
	ctlprint_dl_line(&d, line, sizeof(line));
	fprintf(p->f, "%s\n", line);
}

void ctlprint_progress_event(struct ctlprint_progress *p, const json_t *ev,
			     unsigned width)
{
	const char *state = jstr(ev, "state");
	const char *comp = jstr(ev, "component");
	const char *text = jstr(ev, "text");
	char line[CTLPRINT_LINE_MAX];
	bool changed;

	changed =
		strcmp(state, p->state) != 0 || strcmp(comp, p->component) != 0;
	if (strcmp(state, "DOWNLOADING") == 0) {
		if (changed)
			p->tenth = -1;
		progress_download(p, ev, changed, width);
	} else if (changed || strcmp(text, p->text) != 0) {
		progress_close_bar(p);
		event_line(ev, line, sizeof(line));
		fprintf(p->f, "%s\n", line);
	}
	fmt(p->state, sizeof(p->state), "%s", state);
	fmt(p->component, sizeof(p->component), "%s", comp);
	fmt(p->text, sizeof(p->text), "%s", text);
	(void)fflush(p->f);
}

void ctlprint_progress_end(struct ctlprint_progress *p, const char *state,
			   const char *reason)
{
	char line[CTLPRINT_LINE_MAX];

	progress_close_bar(p);
	ctlprint_state_line(state, reason, line, sizeof(line));
	fprintf(p->f, "%s\n", line);
	(void)fflush(p->f);
}

/* Tables: a header row, then one row per element of a JSON array. */

typedef void table_row_fn(const json_t *item, char cells[][TABLE_CELL_MAX]);

struct table_def {
	size_t ncols;
	const char *head[TABLE_MAX_COLS]; /* N_() strings */
	table_row_fn *row;
};

/* Two spaces between columns; the last column is not padded. */
static void table_line(FILE *f, size_t ncols, const size_t *w,
		       const char *const *cells)
{
	size_t i;

	for (i = 0; i + 1 < ncols; i++) {
		put_padded(f, cells[i], w[i]);
		fputs("  ", f);
	}
	fprintf(f, "%s\n", cells[ncols - 1]);
}

static void table_row(const struct table_def *t, const json_t *item,
		      char cells[][TABLE_CELL_MAX], const char **ptrs)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		cells[i][0] = '\0';
	t->row(item, cells);
	for (i = 0; i < t->ncols; i++) {
		ctlprint_sanitize(cells[i], cells[i], TABLE_CELL_MAX);
		ptrs[i] = cells[i];
	}
}

static void table_print(FILE *f, const struct table_def *t, const json_t *items)
{
	char cells[TABLE_MAX_COLS][TABLE_CELL_MAX];
	const char *ptrs[TABLE_MAX_COLS];
	size_t w[TABLE_MAX_COLS];
	const json_t *item;
	size_t i;
	size_t k;

	for (k = 0; k < t->ncols; k++) {
		ptrs[k] = _(t->head[k]);
		w[k] = ctlprint_width(ptrs[k]);
	}
	json_array_foreach(items, i, item)
	{
		table_row(t, item, cells, ptrs);
		for (k = 0; k < t->ncols; k++)
			if (ctlprint_width(ptrs[k]) > w[k])
				w[k] = ctlprint_width(ptrs[k]);
	}
	for (k = 0; k < t->ncols; k++)
		ptrs[k] = _(t->head[k]);
	table_line(f, t->ncols, w, ptrs);
	json_array_foreach(items, i, item)
	{
		table_row(t, item, cells, ptrs);
		table_line(f, t->ncols, w, ptrs);
	}
}

/* "label:  value" blocks with the values aligned. */

struct kv_rows {
	size_t n;
	const char *label[KV_MAX_ROWS]; /* NULL: continues the row above */
	char value[KV_MAX_ROWS][KV_VALUE_MAX];
};

__attribute__((format(printf, 3, 4))) static void
kv_add(struct kv_rows *kv, const char *label, const char *f, ...)
{
	va_list ap;

	if (kv->n >= KV_MAX_ROWS)
		return;
	kv->value[kv->n][0] = '\0';
	va_start(ap, f);
	vcat(kv->value[kv->n], KV_VALUE_MAX, f, ap);
	va_end(ap);
	ctlprint_sanitize(kv->value[kv->n], kv->value[kv->n], KV_VALUE_MAX);
	kv->label[kv->n++] = label;
}

static void kv_print(FILE *f, const struct kv_rows *kv)
{
	char label[KV_VALUE_MAX];
	size_t w = 0;
	size_t i;

	for (i = 0; i < kv->n; i++)
		if (kv->label[i] != NULL && ctlprint_width(kv->label[i]) > w)
			w = ctlprint_width(kv->label[i]);
	for (i = 0; i < kv->n; i++) {
		label[0] = '\0';
		if (kv->label[i] != NULL)
			fmt(label, sizeof(label), "%s:", kv->label[i]);
		fputs("  ", f);
		put_padded(f, label, w + 1);
		fprintf(f, " %s\n", kv->value[i]);
	}
}

/* status */

/* "COMPLETED cardreader 2.1.0 installed (2026-11-25 12:01, 3 h ago)";
 * without the relative time when now is 0. */
static void result_text(const json_t *res, int64_t now, char *out, size_t size)
{
	char t[CTLPRINT_SHORT_MAX];
	char rel[CTLPRINT_SHORT_MAX];
	int64_t at;

	if (!json_is_object(res)) {
		fmt(out, size, "%s", _("none yet"));
		return;
	}
	ctlprint_state_line(jstr(res, "state"), jstr(res, "reason"), out, size);
	if (hs_time_parse(jstr(res, "at"), &at) < 0)
		return;
	ctlprint_time(at, t, sizeof(t));
	if (now <= 0) {
		cat(out, size, " (%s)", t);
		return;
	}
	ctlprint_time_rel(at, now, rel, sizeof(rel));
	cat(out, size, " (%s, %s)", t, rel);
}

static const char *block_label(const char *what)
{
	static const struct {
		const char *what;
		const char *label;
	} labels[] = {
		{"disabled", N_("automatic updates are disabled")},
		{"quiet_hours", N_("quiet hours")},
		{"boot_delay", N_("the delay after boot")},
		{"backoff", N_("waiting after a failure")},
		{"low_disk", N_("low disk space")},
		{"restart_pending", N_("a restart is pending")},
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(what, labels[i].what) == 0)
			return _(labels[i].label);
	return what;
}

static void status_blocked(struct kv_rows *kv, const json_t *d, int64_t now)
{
	const json_t *blocks = json_object_get(d, "blocked_by");
	const char *label = _("blocked by");
	char t[CTLPRINT_SHORT_MAX * 2];
	const json_t *b;
	size_t i;

	if (json_array_size(blocks) == 0)
		kv_add(kv, label, "%s", _("nothing"));
	json_array_foreach(blocks, i, b)
	{
		ctlprint_time_json(json_object_get(b, "until"), now, "", t,
				   sizeof(t));
		if (t[0] != '\0')
			kv_add(kv, label, _("%s until %s"),
			       block_label(jstr(b, "what")), t);
		else
			kv_add(kv, label, "%s", block_label(jstr(b, "what")));
		label = NULL;
	}
}

static void status_setting(struct kv_rows *kv, const json_t *d)
{
	const char *label = _("automatic updates");
	const char *why = jstr(d, "disabled_reason");

	if (json_is_true(json_object_get(d, "enabled")))
		kv_add(kv, label, "%s", _("enabled"));
	else if (why[0] != '\0')
		kv_add(kv, label, _("disabled: %s"), why);
	else
		kv_add(kv, label, "%s", _("disabled"));
}

static void status_progress(struct kv_rows *kv, const json_t *d)
{
	const json_t *pr = json_object_get(d, "progress");
	char line[KV_VALUE_MAX];
	struct ctlprint_dl dl;

	if (!json_is_object(pr))
		return;
	ctlprint_dl_from_json(pr, &dl);
	dl.state = jstr(d, "state");
	ctlprint_dl_line(&dl, line, sizeof(line));
	kv_add(kv, _("in progress"), "%s", line);
}

static void status_times(struct kv_rows *kv, const json_t *d, int64_t now)
{
	static const struct {
		const char *key;
		const char *label;
		const char *if_null;
	} rows[] = {
		{"next_check", N_("next check"), N_("not scheduled")},
		{"last_check", N_("last check"), N_("never")},
		{"last_contact", N_("last server contact"), N_("never")},
	};
	char t[CTLPRINT_SHORT_MAX * 2];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ctlprint_time_json(json_object_get(d, rows[i].key), now,
				   _(rows[i].if_null), t, sizeof(t));
		kv_add(kv, _(rows[i].label), "%s", t);
	}
}

static void status_manifest(struct kv_rows *kv, const json_t *d, int64_t now)
{
	const json_t *m = json_object_get(d, "manifest");
	char t[CTLPRINT_SHORT_MAX * 2];

	if (!json_is_object(m)) {
		kv_add(kv, _("manifest"), "%s", _("none verified yet"));
		return;
	}
	ctlprint_time_json(json_object_get(m, "expires"), now, "?", t,
			   sizeof(t));
	kv_add(kv, _("manifest"), _("serial %llu, expires %s"),
	       (unsigned long long)ju64(m, "serial"), t);
}

static void status_daemon(FILE *f, const json_t *d, int64_t now)
{
	char line[KV_VALUE_MAX];
	struct kv_rows kv;

	kv.n = 0;
	/* TRANSLATORS: version, process id, and a state name such as IDLE
	 * or DOWNLOADING, which stays untranslated. */
	fmt(line, sizeof(line), _("haishind %s (pid %llu): %s"),
	    jstr(d, "version"), (unsigned long long)ju64(d, "pid"),
	    jstr(d, "state"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
	status_setting(&kv, d);
	status_blocked(&kv, d, now);
	status_progress(&kv, d);
	status_times(&kv, d, now);
	result_text(json_object_get(d, "last_result"), now, line, sizeof(line));
	kv_add(&kv, _("last result"), "%s", line);
	status_manifest(&kv, d, now);
	kv_print(f, &kv);
}

static void cell_or_dash(char *cell, const json_t *o, const char *key)
{
	const char *s = jstr(o, key);

	fmt(cell, TABLE_CELL_MAX, "%s", s[0] != '\0' ? s : "-");
}

static void component_row(const json_t *c, char cells[][TABLE_CELL_MAX])
{
	const json_t *res = json_object_get(c, "last_result");

	cell_or_dash(cells[0], c, "name");
	cell_or_dash(cells[1], c, "installed");
	cell_or_dash(cells[2], c, "latest");
	cell_or_dash(cells[3], c, "minimum");
	cell_or_dash(cells[4], c, "state");
	if (json_is_object(res))
		result_text(res, 0, cells[5], TABLE_CELL_MAX);
	else
		fmt(cells[5], TABLE_CELL_MAX, "-");
}

void ctlprint_status(FILE *f, const json_t *end, int64_t now)
{
	static const struct table_def table = {
		6,
		{N_("COMPONENT"), N_("INSTALLED"), N_("LATEST"), N_("MINIMUM"),
		 N_("STATE"), N_("LAST RESULT")},
		component_row,
	};
	const json_t *comps = json_object_get(end, "components");

	status_daemon(f, json_object_get(end, "daemon"), now);
	fputc('\n', f);
	if (json_array_size(comps) == 0)
		fprintf(f, "%s\n", _("no components known yet"));
	else
		table_print(f, &table, comps);
}

/* history */

static const char *method_label(const char *method)
{
	static const char *const known[] = {N_("full"), N_("delta"),
					    N_("resumed")};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return _(known[i]);
	return method[0] != '\0' ? method : "-";
}

static void history_versions(const json_t *a, char *cell)
{
	const char *from = jstr(a, "from");
	const char *to = jstr(a, "to");

	if (from[0] == '\0' && to[0] == '\0')
		fmt(cell, TABLE_CELL_MAX, "-");
	else
		fmt(cell, TABLE_CELL_MAX, "%s %s %s", from[0] ? from : "-",
		    arrow(), to[0] ? to : "-");
}

static void history_duration(const json_t *a, char *cell)
{
	int64_t t0;
	int64_t t1;

	if (hs_time_parse(jstr(a, "started"), &t0) < 0 ||
	    hs_time_parse(jstr(a, "finished"), &t1) < 0 || t1 < t0)
		fmt(cell, TABLE_CELL_MAX, "-");
	else
		ctlprint_duration((uint64_t)(t1 - t0), cell, TABLE_CELL_MAX);
}

static void history_row(const json_t *a, char cells[][TABLE_CELL_MAX])
{
	const json_t *bytes = json_object_get(a, "bytes");
	const char *comp = jstr(a, "component");

	ctlprint_time_json(json_object_get(a, "started"), 0, "-", cells[0],
			   TABLE_CELL_MAX);
	fmt(cells[1], TABLE_CELL_MAX, "%s", comp[0] ? comp : _("(check)"));
	history_versions(a, cells[2]);
	fmt(cells[3], TABLE_CELL_MAX, "%s", method_label(jstr(a, "method")));
	if (json_is_integer(bytes))
		ctlprint_bytes(ju64(a, "bytes"), cells[4], TABLE_CELL_MAX);
	else
		fmt(cells[4], TABLE_CELL_MAX, "-");
	history_duration(a, cells[5]);
	fmt(cells[6], TABLE_CELL_MAX, "%s", jstr(a, "state"));
	fmt(cells[7], TABLE_CELL_MAX, "%s", jstr(a, "reason"));
}

void ctlprint_history(FILE *f, const json_t *end)
{
	static const struct table_def table = {
		8,
		{N_("TIME"), N_("COMPONENT"), N_("VERSION"), N_("METHOD"),
		 N_("BYTES"), N_("DURATION"), N_("STATE"), N_("REASON")},
		history_row,
	};
	const json_t *attempts = json_object_get(end, "attempts");

	if (json_array_size(attempts) == 0)
		fprintf(f, "%s\n", _("no attempts recorded"));
	else
		table_print(f, &table, attempts);
}

/* verify */

static void verify_row(const json_t *c, char cells[][TABLE_CELL_MAX])
{
	const char *inst = jstr(c, "installed");

	cell_or_dash(cells[0], c, "name");
	fmt(cells[1], TABLE_CELL_MAX, "%s",
	    inst[0] ? inst : _("not installed"));
	cell_or_dash(cells[2], c, "minimum");
	fmt(cells[3], TABLE_CELL_MAX, "%s",
	    json_is_true(json_object_get(c, "ok")) ? _("ok")
						   : _("BELOW MINIMUM"));
}

void ctlprint_verify(FILE *f, const json_t *end)
{
	static const struct table_def table = {
		4,
		{N_("COMPONENT"), N_("INSTALLED"), N_("MINIMUM"), N_("RESULT")},
		verify_row,
	};
	const json_t *comps = json_object_get(end, "components");
	char line[CTLPRINT_LINE_MAX];
	const json_t *c;
	size_t below = 0;
	size_t i;

	json_array_foreach(comps, i, c)
	{
		if (!json_is_true(json_object_get(c, "ok")))
			below++;
	}
	if (json_array_size(comps) > 0)
		table_print(f, &table, comps);
	if (ctlprint_verify_exit(end) == 0)
		fmt(line, sizeof(line), "%s",
		    _("every component is at or above its minimum version"));
	else
		fmt(line, sizeof(line),
		    ngettext("%zu component is below its minimum version",
			     "%zu components are below their minimum version",
			     below),
		    below);
	fprintf(f, "%s\n", line);
}

int ctlprint_verify_exit(const json_t *end)
{
	return json_is_true(json_object_get(end, "all_ok")) ? 0 : 1;
}

/* check-connection */

static void connection_stage(FILE *f, const json_t *s)
{
	char line[CTLPRINT_LINE_MAX];

	fmt(line, sizeof(line), "[%s] %-9s %5llu ms  %s",
	    json_is_true(json_object_get(s, "ok")) ? " ok " : "FAIL",
	    jstr(s, "stage"), (unsigned long long)ju64(s, "ms"),
	    jstr(s, "detail"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

void ctlprint_connection(FILE *f, const json_t *end)
{
	const char *advice = jstr(end, "advice");
	char line[CTLPRINT_LINE_MAX];
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(end, "stages"), i, s)
	{
		connection_stage(f, s);
	}
	if (json_is_true(json_object_get(end, "all_ok")))
		fmt(line, sizeof(line), "%s",
		    _("The server is reachable and its manifest is valid."));
	else
		fmt(line, sizeof(line), _("Failed at stage '%s'."),
		    jstr(end, "failed_stage"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
	if (advice[0] == '\0')
		return;
	fmt(line, sizeof(line), _("Advice: %s"), advice);
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

int ctlprint_connection_exit(const json_t *end)
{
	static const char *const network[] = {"proxy", "dns", "tcp", "tls",
					      "http"};
	static const char *const trust[] = {"signature", "freshness"};
	const char *stage = jstr(end, "failed_stage");
	size_t i;

	if (json_is_true(json_object_get(end, "all_ok")))
		return 0;
	for (i = 0; i < sizeof(network) / sizeof(network[0]); i++)
		if (strcmp(stage, network[i]) == 0)
			return 69;
	for (i = 0; i < sizeof(trust) / sizeof(trust[0]); i++)
		if (strcmp(stage, trust[i]) == 0)
			return 65;
	return 1;
}

/* enable, disable */

void ctlprint_setting(FILE *f, const json_t *end)
{
	const char *why = jstr(end, "disabled_reason");
	char line[CTLPRINT_LINE_MAX];

	if (json_is_true(json_object_get(end, "enabled")))
		fmt(line, sizeof(line), "%s",
		    _("automatic updates are now enabled"));
	else if (why[0] != '\0')
		fmt(line, sizeof(line),
		    _("automatic updates are now disabled: %s"), why);
	else
		fmt(line, sizeof(line), "%s",
		    _("automatic updates are now disabled"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
}
