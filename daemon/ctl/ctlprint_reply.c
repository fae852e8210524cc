/*
 * ctlprint_reply.c - one printer per end line of docs/protocol.md: status,
 * history, verify, check-connection, enable and disable, resume, with the
 * tables
 * and "label: value" blocks they are laid out in, and the exit codes of
 * verify and check-connection.
 *
 * Invariants: as in ctlprint.c, every string from the daemon is sanitized
 * (each table cell and block value once, when it is filled) and every
 * buffer is fixed-size; columns are measured in terminal columns, so
 * Japanese headings line up.
 */
#include "ctlprint.h"

#include <stdarg.h>
#include <string.h>

#include "ctlprint_int.h"
#include "i18n.h"
#include "str.h"

#define TABLE_MAX_COLS 8
#define TABLE_CELL_MAX 512
#define KV_MAX_ROWS 24
#define KV_VALUE_MAX 512

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
		ctlprint_put_padded(f, cells[i], w[i]);
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
	ctlprint_vcat(kv->value[kv->n], KV_VALUE_MAX, f, ap);
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
			ctlprint_fmt(label, sizeof(label), "%s:", kv->label[i]);
		fputs("  ", f);
		ctlprint_put_padded(f, label, w + 1);
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
		ctlprint_fmt(out, size, "%s", _("none yet"));
		return;
	}
	ctlprint_state_line(ctlprint_jstr(res, "state"),
			    ctlprint_jstr(res, "reason"), out, size);
	if (hs_time_parse(ctlprint_jstr(res, "at"), &at) < 0)
		return;
	ctlprint_time(at, t, sizeof(t));
	if (now <= 0) {
		ctlprint_cat(out, size, " (%s)", t);
		return;
	}
	ctlprint_time_rel(at, now, rel, sizeof(rel));
	ctlprint_cat(out, size, " (%s, %s)", t, rel);
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
		{"failed_version", N_("a version that failed to install")},
		{"held", N_("held after a rollback")},
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(what, labels[i].what) == 0)
			return _(labels[i].label);
	return what;
}

/* "held after a rollback: app since 2026-11-25 17:00 (3 min ago), rolled
 * back from 2.0; 'haishinctl resume app' lifts it" */
static void status_held(struct kv_rows *kv, const char *label, const char *what,
			const json_t *b, int64_t now)
{
	const char *name = ctlprint_jstr(b, "component");
	char t[CTLPRINT_SHORT_MAX * 2];

	ctlprint_time_json(json_object_get(b, "since"), now, "?", t, sizeof(t));
	/* TRANSLATORS: "held after a rollback", the component, the time it
	 * was held, the version it was rolled back from, the component. */
	kv_add(kv, label,
	       _("%s: %s since %s, rolled back from %s; 'haishinctl resume "
		 "%s' lifts it"),
	       what, name, t, ctlprint_jstr(b, "from"), name);
}

/* "a version that failed to install: app 2.0 (waiting for a newer
 * version)" */
static void status_failed_version(struct kv_rows *kv, const char *label,
				  const char *what, const json_t *b)
{
	/* TRANSLATORS: the label above, a component and the version of it
	 * that failed to install. */
	kv_add(kv, label, _("%s: %s %s (waiting for a newer version)"), what,
	       ctlprint_jstr(b, "component"), ctlprint_jstr(b, "version"));
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
		const char *kind = ctlprint_jstr(b, "what");
		const char *what = block_label(kind);
		const char *reason = ctlprint_jstr(b, "reason");

		ctlprint_time_json(json_object_get(b, "until"), now, "", t,
				   sizeof(t));
		if (strcmp(kind, "held") == 0)
			status_held(kv, label, what, b, now);
		else if (strcmp(kind, "failed_version") == 0)
			status_failed_version(kv, label, what, b);
		else if (reason[0] != '\0')
			kv_add(kv, label, "%s: %s", what, reason);
		else if (t[0] != '\0')
			kv_add(kv, label, _("%s until %s"), what, t);
		else
			kv_add(kv, label, "%s", what);
		label = NULL;
	}
}

static void status_setting(struct kv_rows *kv, const json_t *d)
{
	const char *label = _("automatic updates");
	const char *why = ctlprint_jstr(d, "disabled_reason");

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
	dl.state = ctlprint_jstr(d, "state");
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
	       (unsigned long long)ctlprint_ju64(m, "serial"), t);
}

static void status_daemon(FILE *f, const json_t *d, int64_t now)
{
	char line[KV_VALUE_MAX];
	struct kv_rows kv;

	kv.n = 0;
	/* TRANSLATORS: version, process id, and a state name such as IDLE
	 * or DOWNLOADING, which stays untranslated. */
	ctlprint_fmt(line, sizeof(line), _("haishind %s (pid %llu): %s"),
		     ctlprint_jstr(d, "version"),
		     (unsigned long long)ctlprint_ju64(d, "pid"),
		     ctlprint_jstr(d, "state"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
	if (ctlprint_jstr(d, "reason")[0] != '\0')
		kv_add(&kv, _("reason"), "%s", ctlprint_jstr(d, "reason"));
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
	const char *s = ctlprint_jstr(o, key);

	ctlprint_fmt(cell, TABLE_CELL_MAX, "%s", s[0] != '\0' ? s : "-");
}

/* "ok", "FAILED 2.0: exit status 1: LINE", or "-" when never checked. */
static void health_cell(const json_t *c, char *cell)
{
	const json_t *h = json_object_get(c, "health");

	if (!json_is_object(h))
		ctlprint_fmt(cell, TABLE_CELL_MAX, "-");
	else if (json_is_true(json_object_get(h, "ok")))
		ctlprint_fmt(cell, TABLE_CELL_MAX, "%s", _("ok"));
	else
		ctlprint_fmt(cell, TABLE_CELL_MAX, _("FAILED %s"),
			     ctlprint_jstr(h, "detail"));
}

static void component_row(const json_t *c, char cells[][TABLE_CELL_MAX])
{
	const json_t *res = json_object_get(c, "last_result");

	cell_or_dash(cells[0], c, "name");
	cell_or_dash(cells[1], c, "set");
	cell_or_dash(cells[2], c, "installed");
	cell_or_dash(cells[3], c, "latest");
	cell_or_dash(cells[4], c, "minimum");
	cell_or_dash(cells[5], c, "state");
	health_cell(c, cells[6]);
	if (json_is_object(json_object_get(c, "held")))
		ctlprint_cat(cells[5], TABLE_CELL_MAX, " %s", _("(held)"));
	if (json_is_object(res))
		result_text(res, 0, cells[7], TABLE_CELL_MAX);
	else
		ctlprint_fmt(cells[7], TABLE_CELL_MAX, "-");
}

void ctlprint_status(FILE *f, const json_t *end, int64_t now)
{
	static const struct table_def table = {
		8,
		{N_("COMPONENT"), N_("SET"), N_("INSTALLED"), N_("LATEST"),
		 N_("MINIMUM"), N_("STATE"), N_("HEALTH"), N_("LAST RESULT")},
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
	/* The methods of the history (docs/protocol.md). */
	static const char *const known[] = {N_("full"), N_("resumed"),
					    N_("fallback"), N_("delta-zstd"),
					    N_("delta-sufdiff")};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return _(known[i]);
	return method[0] != '\0' ? method : "-";
}

static void history_versions(const json_t *a, char *cell)
{
	const char *from = ctlprint_jstr(a, "from");
	const char *to = ctlprint_jstr(a, "to");

	if (from[0] == '\0' && to[0] == '\0')
		ctlprint_fmt(cell, TABLE_CELL_MAX, "-");
	else
		ctlprint_fmt(cell, TABLE_CELL_MAX, "%s %s %s",
			     from[0] ? from : "-", ctlprint_arrow(),
			     to[0] ? to : "-");
}

static void history_duration(const json_t *a, char *cell)
{
	int64_t t0;
	int64_t t1;

	if (hs_time_parse(ctlprint_jstr(a, "started"), &t0) < 0 ||
	    hs_time_parse(ctlprint_jstr(a, "finished"), &t1) < 0 || t1 < t0)
		ctlprint_fmt(cell, TABLE_CELL_MAX, "-");
	else
		ctlprint_duration((uint64_t)(t1 - t0), cell, TABLE_CELL_MAX);
}

static void history_row(const json_t *a, char cells[][TABLE_CELL_MAX])
{
	const json_t *bytes = json_object_get(a, "bytes");
	const char *comp = ctlprint_jstr(a, "component");

	ctlprint_time_json(json_object_get(a, "started"), 0, "-", cells[0],
			   TABLE_CELL_MAX);
	ctlprint_fmt(cells[1], TABLE_CELL_MAX, "%s",
		     comp[0] ? comp : _("(check)"));
	history_versions(a, cells[2]);
	ctlprint_fmt(cells[3], TABLE_CELL_MAX, "%s",
		     method_label(ctlprint_jstr(a, "method")));
	if (json_is_integer(bytes))
		ctlprint_bytes(ctlprint_ju64(a, "bytes"), cells[4],
			       TABLE_CELL_MAX);
	else
		ctlprint_fmt(cells[4], TABLE_CELL_MAX, "-");
	history_duration(a, cells[5]);
	ctlprint_fmt(cells[6], TABLE_CELL_MAX, "%s", ctlprint_jstr(a, "state"));
	ctlprint_fmt(cells[7], TABLE_CELL_MAX, "%s",
		     ctlprint_jstr(a, "reason"));
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
	const char *inst = ctlprint_jstr(c, "installed");

	cell_or_dash(cells[0], c, "name");
	ctlprint_fmt(cells[1], TABLE_CELL_MAX, "%s",
		     inst[0] ? inst : _("not installed"));
	cell_or_dash(cells[2], c, "minimum");
	ctlprint_fmt(cells[3], TABLE_CELL_MAX, "%s",
		     json_is_true(json_object_get(c, "ok")) ? _("ok")
		     : json_is_true(json_object_get(c, "overdue"))
			     ? _("FORCED, OVERDUE")
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
		ctlprint_fmt(
			line, sizeof(line), "%s",
			_("every component is at or above its minimum version"));
	else
		ctlprint_fmt(
			line, sizeof(line),
			ngettext(
				"%zu component is below its minimum version",
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

	ctlprint_fmt(line, sizeof(line), "[%s] %-9s %5llu ms  %s",
		     json_is_true(json_object_get(s, "ok")) ? " ok " : "FAIL",
		     ctlprint_jstr(s, "stage"),
		     (unsigned long long)ctlprint_ju64(s, "ms"),
		     ctlprint_jstr(s, "detail"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

void ctlprint_connection(FILE *f, const json_t *end)
{
	const char *advice = ctlprint_jstr(end, "advice");
	char line[CTLPRINT_LINE_MAX];
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(end, "stages"), i, s)
	{
		connection_stage(f, s);
	}
	if (json_is_true(json_object_get(end, "all_ok")))
		ctlprint_fmt(
			line, sizeof(line), "%s",
			_("The server is reachable and its manifest is valid."));
	else
		ctlprint_fmt(line, sizeof(line), _("Failed at stage '%s'."),
			     ctlprint_jstr(end, "failed_stage"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
	if (advice[0] == '\0')
		return;
	ctlprint_fmt(line, sizeof(line), _("Advice: %s"), advice);
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

int ctlprint_connection_exit(const json_t *end)
{
	const json_t *code = json_object_get(end, "exit");

	if (json_is_integer(code) && json_integer_value(code) >= 0 &&
	    json_integer_value(code) <= 255)
		return (int)json_integer_value(code);
	return json_is_true(json_object_get(end, "all_ok")) ? 0 : 1;
}

/* enable, disable */

void ctlprint_setting(FILE *f, const json_t *end)
{
	const char *why = ctlprint_jstr(end, "disabled_reason");
	char line[CTLPRINT_LINE_MAX];

	if (json_is_true(json_object_get(end, "enabled")))
		ctlprint_fmt(line, sizeof(line), "%s",
			     _("automatic updates are now enabled"));
	else if (why[0] != '\0')
		ctlprint_fmt(line, sizeof(line),
			     _("automatic updates are now disabled: %s"), why);
	else
		ctlprint_fmt(line, sizeof(line), "%s",
			     _("automatic updates are now disabled"));
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

/* resume */

void ctlprint_resume(FILE *f, const json_t *end)
{
	const json_t *lifted = json_object_get(end, "lifted");
	const char *name = ctlprint_jstr(end, "component");
	char line[CTLPRINT_LINE_MAX];

	if (json_is_object(lifted))
		ctlprint_fmt(line, sizeof(line),
			     _("automatic updates of %s go on again: the hold "
			       "after the rollback from %s is lifted"),
			     name, ctlprint_jstr(lifted, "from"));
	else
		ctlprint_fmt(line, sizeof(line),
			     _("%s was not held: nothing changed"), name);
	ctlprint_sanitize(line, line, sizeof(line));
	fprintf(f, "%s\n", line);
}
