/*
 * ctlprint.h - haishinctl's human output: sizes, durations, times, the
 * progress bar, and the text of each reply of docs/protocol.md.
 *
 * Every word a person reads goes through gettext; state names (COMPLETED,
 * DOWNLOADING, ...) are the contract and are printed as they are.  Text
 * that comes from the daemon is printed with control bytes replaced by '?',
 * so a reply can never move the cursor or fake a line.  Times are shown in
 * local time.  The string functions are pure (locale aside) and always
 * NUL-terminate out; a result that does not fit is cut at a character
 * boundary.  The print functions write to f and never fail: the caller
 * checks ferror(f) once at the end.
 */
#ifndef HAISHIN_CTLPRINT_H
#define HAISHIN_CTLPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "hs_limits.h"

/* Big enough for every result of the short formatters below. */
#define CTLPRINT_SHORT_MAX 64
/* One line of output (a state line, a progress line). */
#define CTLPRINT_LINE_MAX 1024

/* "0 B", "512 B", "1.5 KiB", "1.5 MiB", "3.0 GiB": binary units, one
 * decimal, rounded to nearest. */
void ctlprint_bytes(uint64_t n, char *out, size_t size);

/* ctlprint_bytes() per second: "512.0 KiB/s". */
void ctlprint_rate(uint64_t bytes_per_s, char *out, size_t size);

/* "45 s", "3 min 05 s", "1 h 02 min", "2 d 03 h" (two units at most). */
void ctlprint_duration(uint64_t seconds, char *out, size_t size);

/* A clock-like time left: "0:04", "12:30", "1:02:05"; "--:--" when seconds
 * is negative (unknown); ">99 h" beyond that. */
void ctlprint_eta(int64_t seconds, char *out, size_t size);

/* t (seconds since the epoch) in local time: "2026-11-25 17:00". */
void ctlprint_time(int64_t t, char *out, size_t size);

/* t relative to now: "in 2 h 10 min", "3 min ago", "now". */
void ctlprint_time_rel(int64_t t, int64_t now, char *out, size_t size);

/*
 * An RFC 3339 time from a reply (a JSON string, or null/absent) as local
 * time, followed by the relative time in parentheses when now > 0.  null
 * gives if_null; a string that does not parse is shown as it is.
 */
void ctlprint_time_json(const json_t *v, int64_t now, const char *if_null,
			char *out, size_t size);

/*
 * Parses a time a person types for "history --since": RFC 3339 UTC
 * ("2026-11-01T00:00:00Z"), or local "YYYY-MM-DD" (midnight) or
 * "YYYY-MM-DD HH:MM".  Returns 0 and *ret_t, or -EINVAL.
 */
int ctlprint_parse_when(const char *s, int64_t *ret_t);

/* Copies s into out with control characters (C0, DEL, C1) replaced by '?';
 * s and out may be the same buffer. */
void ctlprint_sanitize(const char *s, char *out, size_t size);

/* The number of terminal columns s takes (wide characters count 2). */
size_t ctlprint_width(const char *s);

/* "<STATE> <reason>", or "<STATE>" alone when reason is empty. */
void ctlprint_state_line(const char *state, const char *reason, char *out,
			 size_t size);

/* The exit code of a terminal state's name (DESIGN.md, from state.c's table),
 * or -1 for a progress state or any other string. */
int ctlprint_state_exit(const char *state);

/* The reason given when the socket cannot be reached (err: connect()'s
 * negative errno); the caller prints it after "STOPPED ". */
void ctlprint_unreachable(const char *socket, int err, char *out, size_t size);

/* One download, as an event or status's progress describes it. */
struct ctlprint_dl {
	const char *state; /* "DOWNLOADING" */
	const char *text; /* "cardreader 2.1.0" */
	uint64_t done;
	uint64_t total; /* 0: unknown */
	uint64_t rate; /* bytes per second, 0: unknown */
	int64_t eta; /* seconds, -1: unknown */
};

/* Fills d from a DOWNLOADING event or status's "progress" object; d's
 * strings point into j (or are ""). */
void ctlprint_dl_from_json(const json_t *j, struct ctlprint_dl *d);

/*
 * The progress bar line for a terminal of width columns, at most width - 1
 * columns long (the last column would wrap):
 * "DOWNLOADING cardreader 2.1.0 [#####-----]  33% 1.0 MiB/3.0 MiB
 * 512.0 KiB/s ETA 0:04".  The bar takes the room left (up to 40 columns);
 * on a narrow terminal the bar goes first, then the end of the line is cut.
 */
void ctlprint_bar(const struct ctlprint_dl *d, unsigned width, char *out,
		  size_t size);

/* The plain line of a download: "DOWNLOADING cardreader 2.1.0: 1.0 MiB of
 * 3.0 MiB (33 %), 512.0 KiB/s, 4 s left". */
void ctlprint_dl_line(const struct ctlprint_dl *d, char *out, size_t size);

/*
 * download-now's events.  On a terminal a DOWNLOADING event redraws one bar
 * line in place (\r); any other change of state or component starts a new
 * line.  Otherwise each change prints one plain line, and a download at
 * most one line per tenth.  ctlprint_progress_end() prints the last line,
 * "<STATE> <reason>".  The fields are private to ctlprint_progress.c.
 */
struct ctlprint_progress {
	FILE *f;
	bool tty;
	bool bar_open; /* a bar is drawn and its line not ended */
	int tenth; /* the last tenth printed as a plain line */
	char state[32];
	char component[HS_NAME_MAX];
	char text[256];
};

void ctlprint_progress_init(struct ctlprint_progress *p, FILE *f, bool tty);

/* Shows one {"type": "event"} reply; width is the terminal's columns. */
void ctlprint_progress_event(struct ctlprint_progress *p, const json_t *ev,
			     unsigned width);

/* Ends a drawn bar and prints the final state line. */
void ctlprint_progress_end(struct ctlprint_progress *p, const char *state,
			   const char *reason);

/* The end lines of docs/protocol.md, each as a person reads it.  now is
 * the current time, for "in 2 h" and "3 min ago". */
void ctlprint_status(FILE *f, const json_t *end, int64_t now);
void ctlprint_history(FILE *f, const json_t *end);
void ctlprint_verify(FILE *f, const json_t *end);
void ctlprint_connection(FILE *f, const json_t *end);
void ctlprint_setting(FILE *f, const json_t *end);
void ctlprint_resume(FILE *f, const json_t *end);

/* Exit codes: verify 0 when all_ok, else 1; check-connection the daemon's
 * "exit" (0 when all passed, 69 for a failed proxy/dns/tcp/tls/http stage,
 * 65 for signature or freshness), or 1 without one. */
int ctlprint_verify_exit(const json_t *end);
int ctlprint_connection_exit(const json_t *end);

#endif
