/*
 * ctlprint_progress.c - what haishinctl shows of a download: the plain
 * download line, the progress bar, and download-now's events as they
 * arrive (a bar redrawn in place on a terminal, plain lines otherwise).
 *
 * Invariants: as in ctlprint.c, every string from the daemon is sanitized
 * and every buffer is fixed-size; the bar line never takes the terminal's
 * last column, so it never wraps.
 */
#include "ctlprint.h"

#include <string.h>

#include "ctlprint_int.h"
#include "i18n.h"

#define BAR_MIN 5 /* a narrower bar is dropped */
#define BAR_MAX 40
#define BAR_TAIL_ROOM 40 /* columns kept for the text after the bar */
#define DEFAULT_WIDTH 80

/* Downloads. */

void ctlprint_dl_from_json(const json_t *j, struct ctlprint_dl *d)
{
	const json_t *eta = json_object_get(j, "eta");

	d->state = ctlprint_jstr(j, "state");
	d->text = ctlprint_jstr(j, "text");
	if (d->text[0] == '\0')
		d->text = ctlprint_jstr(j, "component");
	d->done = ctlprint_ju64(j, "done");
	d->total = ctlprint_ju64(j, "total");
	d->rate = ctlprint_ju64(j, "rate");
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
		ctlprint_fmt(out, size, " %3u%% %s/%s", dl_percent(d), a, b);
	} else {
		ctlprint_fmt(out, size, " %s", a);
	}
	if (d->rate > 0) {
		ctlprint_rate(d->rate, a, sizeof(a));
		ctlprint_cat(out, size, " %s", a);
	}
	if (d->eta >= 0) {
		ctlprint_eta(d->eta, a, sizeof(a));
		ctlprint_cat(out, size, " ");
		/* TRANSLATORS: time left in the progress bar, "ETA 0:04";
		 * keep it short. */
		ctlprint_cat(out, size, _("ETA %s"), a);
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
	ctlprint_fmt(head, sizeof(head), "%s%s%s", d->state,
		     d->text[0] ? " " : "", d->text);
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
	ctlprint_fmt(out, size, "%s%s%s%s", head, bar[0] ? " " : "", bar, tail);
	ctlprint_cut_columns(out, width - 1);
}

void ctlprint_dl_line(const struct ctlprint_dl *d, char *out, size_t size)
{
	char a[CTLPRINT_SHORT_MAX];
	char b[CTLPRINT_SHORT_MAX];

	ctlprint_fmt(out, size, "%s%s%s: ", d->state, d->text[0] ? " " : "",
		     d->text);
	ctlprint_bytes(d->done, a, sizeof(a));
	if (d->total > 0) {
		ctlprint_bytes(d->total, b, sizeof(b));
		/* TRANSLATORS: "1.0 MiB of 3.0 MiB (33 %)". */
		ctlprint_cat(out, size, _("%s of %s (%u %%)"), a, b,
			     dl_percent(d));
	} else {
		ctlprint_cat(out, size, "%s", a);
	}
	if (d->rate > 0) {
		ctlprint_rate(d->rate, a, sizeof(a));
		ctlprint_cat(out, size, ", %s", a);
	}
	if (d->eta >= 0) {
		ctlprint_duration((uint64_t)d->eta, a, sizeof(a));
		ctlprint_cat(out, size, ", ");
		ctlprint_cat(out, size, _("%s left"), a);
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
	const char *comp = ctlprint_jstr(ev, "component");
	const char *text = ctlprint_jstr(ev, "text");
	const json_t *until = json_object_get(ev, "until");
	char t[CTLPRINT_SHORT_MAX];

	ctlprint_fmt(out, size, "%s", ctlprint_jstr(ev, "state"));
	if (comp[0] != '\0' && strncmp(text, comp, strlen(comp)) != 0)
		ctlprint_cat(out, size, " %s:", comp);
	if (text[0] != '\0')
		ctlprint_cat(out, size, " %s", text);
	if (json_is_string(until)) {
		ctlprint_time_json(until, 0, "", t, sizeof(t));
		ctlprint_cat(out, size, " (");
		ctlprint_cat(out, size, _("until %s"), t);
		ctlprint_cat(out, size, ")");
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
	const char *state = ctlprint_jstr(ev, "state");
	const char *comp = ctlprint_jstr(ev, "component");
	const char *text = ctlprint_jstr(ev, "text");
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
	ctlprint_fmt(p->state, sizeof(p->state), "%s", state);
	ctlprint_fmt(p->component, sizeof(p->component), "%s", comp);
	ctlprint_fmt(p->text, sizeof(p->text), "%s", text);
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
