/*
 * hs_err.c - struct hs_err: a negative errno and a message, filled where the
 * failure is found and prefixed with context on the way up.
 */
#include "hs_err.h"

#include "i18n.h"
#include "str.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * Messages carry text from untrusted input (a server's payload type, an
 * archive's entry name): a control byte becomes '?', so no message can fake
 * a line of output or a terminal escape.
 */
static void err_sanitize(char *s)
{
	hs_utf8_fix(s); /* a cut message may end inside a character */
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * Every message is translated where it is made, in the locale of the program
 * that made it: the daemon's reasons are stored and shown as they were
 * written.  A program that never calls setlocale() (the publisher, the
 * tests) gets the English text unchanged.  msgfmt --check keeps each
 * translation's conversions equal to the original's.
 */
static const char *hs_err_text(const char *fmt)
{
	return dgettext(HAISHIN_TEXTDOMAIN, fmt);
}

void hs_err_clear(struct hs_err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int hs_err_set(struct hs_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), hs_err_text(fmt), ap);
	va_end(ap);
	err_sanitize(e->msg);
	return code;
}

void hs_err_prefix(struct hs_err *e, const char *fmt, ...)
{
	char head[HS_ERR_MSG_MAX];
	size_t hn;
	size_t on;
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(head, sizeof(head), hs_err_text(fmt), ap);
	va_end(ap);
	hn = strlen(head);
	on = strnlen(e->msg, sizeof(e->msg) - 1);
	if (hn + on > sizeof(e->msg) - 1)
		on = sizeof(e->msg) - 1 -
		     hn; /* the tail is cut, not the head */
	memmove(e->msg + hn, e->msg, on);
	memcpy(e->msg, head, hn);
	e->msg[hn + on] = '\0';
	err_sanitize(e->msg);
}

int hs_err_copy(struct hs_err *dst, const struct hs_err *src)
{
	if (dst != NULL && src != NULL && dst != src)
		*dst = *src;
	return src != NULL ? src->code : 0;
}
