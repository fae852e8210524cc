/*
 * hs_err.h - the one error convention of haishin.
 *
 * A function that can fail returns int: >= 0 on success, a negative errno on
 * failure.  The human-readable detail goes into a struct hs_err passed last.
 * hs_err_set() returns the code it stored, so a failure is one line:
 *
 *	return hs_err_set(e, -EBADMSG, "line %zu: bad hash", ln);
 *
 * Context is added on the way up with hs_err_prefix().  A NULL e is allowed
 * everywhere: the code is still returned, the text is dropped.  Control
 * bytes in a message become '?': messages quote untrusted input, and must
 * never fake a line of output.  The format is looked up in the haishin
 * message catalogue (the locale of the calling program decides), so every
 * message a person reads can be translated: scripts/i18n-update.sh extracts
 * the formats of hs_err_set() and hs_err_prefix() with those of _().
 */
#ifndef HAISHIN_HS_ERR_H
#define HAISHIN_HS_ERR_H

#include <stddef.h>

/* Long enough for a path, a URL and a library's own message. */
#define HS_ERR_MSG_MAX 512

struct hs_err {
	int code;
	char msg[HS_ERR_MSG_MAX];
};

/* Resets e to "no error". */
void hs_err_clear(struct hs_err *e);

/* Stores code (negative errno) and a formatted message; returns code. */
int hs_err_set(struct hs_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Puts a formatted prefix in front of e's message.  It returns nothing on
 * purpose: with a NULL e there would be no code to return, so callers return
 * their own:  hs_err_prefix(e, "key %s: ", path); return r;
 */
void hs_err_prefix(struct hs_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies src into dst (either may be NULL); returns src's code. */
int hs_err_copy(struct hs_err *dst, const struct hs_err *src);

#endif
