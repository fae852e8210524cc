/*
 * ctlprint_int.h - the helpers the files of ctlprint share: appending to a
 * fixed-size buffer, reading a reply's fields, and measuring and padding by
 * terminal columns.
 *
 * ctlprint.c holds them with the formatters (sizes, durations, times,
 * states); ctlprint_progress.c has the download line, the bar and
 * download-now's progress; ctlprint_reply.c one printer per reply.  Nothing
 * outside these files includes this header: ctlprint.h is the module's
 * interface.
 */
#ifndef HAISHIN_CTLPRINT_INT_H
#define HAISHIN_CTLPRINT_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Appends to out (a NUL-terminated string in size bytes); text that does
 * not fit is cut at a character boundary. */
void ctlprint_vcat(char *out, size_t size, const char *f, va_list ap)
	__attribute__((format(printf, 3, 0)));
void ctlprint_cat(char *out, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets out to the formatted text, cut the same way. */
void ctlprint_fmt(char *out, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

/* A reply's fields: absent or of the wrong type reads as "" or 0.  The
 * string points into o. */
const char *ctlprint_jstr(const json_t *o, const char *key);
uint64_t ctlprint_ju64(const json_t *o, const char *key);

/* Cuts s so that it takes at most cols columns. */
void ctlprint_cut_columns(char *s, size_t cols);

/* Writes s padded to cols columns with spaces. */
void ctlprint_put_padded(FILE *f, const char *s, size_t cols);

/* "→" where the terminal speaks UTF-8, else "->". */
const char *ctlprint_arrow(void);

#endif
