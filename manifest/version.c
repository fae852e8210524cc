/*
 * version.c - parsing and ordering of version strings.  Pure: no allocation,
 * no I/O.  Comparison walks both strings with cursors; nothing is copied.
 */
#include "version.h"

#include <assert.h>
#include <string.h>

#include "hs_limits.h"
#include "str.h"

#define VERSION_MAX_RELEASE_PARTS 8
#define VERSION_MAX_DIGITS 18 /* fits in uint64_t, compared without overflow */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '-';
}

/* Validates dot-separated identifiers made of chars accepted by ok(). */
static bool idents_are_valid(const char *s, size_t n, bool numeric_only,
			     size_t max_parts)
{
	size_t parts = 0;
	size_t len = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (len == 0 ||
			    (numeric_only && len > VERSION_MAX_DIGITS))
				return false;
			if (++parts > max_parts)
				return false;
			len = 0;
			continue;
		}
		if (numeric_only ? !is_digit(s[i]) : !is_ident_char(s[i]))
			return false;
		len++;
	}
	return true;
}

bool version_is_valid(const char *v)
{
	const size_t n = strnlen(v, HS_VERSION_MAX + 1);
	const char *plus;
	const char *dash;
	size_t rel_end;
	size_t pre_end;

	if (n == 0 || n > HS_VERSION_MAX || hs_str_endswith(v, ".staging"))
		return false;
	plus = memchr(v, '+', n);
	pre_end = plus != NULL ? (size_t)(plus - v) : n;
	dash = memchr(v, '-', pre_end);
	rel_end = dash != NULL ? (size_t)(dash - v) : pre_end;
	if (!idents_are_valid(v, rel_end, true, VERSION_MAX_RELEASE_PARTS))
		return false;
	if (dash != NULL &&
	    !idents_are_valid(dash + 1, pre_end - rel_end - 1, false, 32))
		return false;
	if (plus != NULL &&
	    !idents_are_valid(plus + 1, n - pre_end - 1, false, 32))
		return false;
	return true;
}

/* A cursor over one dot-separated identifier list, ended by a stop char. */
struct ident {
	const char *p;
	size_t n;
};

/* Takes the next identifier from *s (stopping at '.', '-', '+' or NUL). */
static bool ident_next(const char **s, const char *stops, struct ident *id)
{
	const char *p = *s;

	if (*p == '\0' || strchr(stops, *p) != NULL)
		return false;
	id->p = p;
	while (*p != '\0' && *p != '.' && strchr(stops, *p) == NULL)
		p++;
	id->n = (size_t)(p - id->p);
	if (*p == '.')
		p++;
	*s = p;
	return true;
}

static bool ident_is_numeric(const struct ident *id)
{
	size_t i;

	for (i = 0; i < id->n; i++)
		if (!is_digit(id->p[i]))
			return false;
	return true;
}

/* Numeric identifiers: skip leading zeros, longer is larger, then bytes. */
static int compare_numeric(const struct ident *a, const struct ident *b)
{
	struct ident x = *a;
	struct ident y = *b;
	int c;

	while (x.n > 1 && x.p[0] == '0') {
		x.p++;
		x.n--;
	}
	while (y.n > 1 && y.p[0] == '0') {
		y.p++;
		y.n--;
	}
	if (x.n != y.n)
		return x.n < y.n ? -1 : 1;
	c = memcmp(x.p, y.p, x.n);
	return c < 0 ? -1 : c > 0;
}

static int compare_ident(const struct ident *a, const struct ident *b)
{
	const bool an = ident_is_numeric(a);
	const bool bn = ident_is_numeric(b);
	int c;

	if (an && bn)
		return compare_numeric(a, b);
	if (an != bn)
		return an ? -1 : 1; /* numeric sorts before alphanumeric */
	c = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return a->n == b->n ? 0 : (a->n < b->n ? -1 : 1);
}

static int compare_release(const char **a, const char **b)
{
	static const struct ident zero = {"0", 1};

	for (;;) {
		struct ident x = {NULL, 0};
		struct ident y = {NULL, 0};
		const bool hx = ident_next(a, "-+", &x);
		const bool hy = ident_next(b, "-+", &y);
		int c;

		if (!hx && !hy)
			return 0;
		c = compare_numeric(hx ? &x : &zero, hy ? &y : &zero);
		if (c != 0)
			return c;
	}
}

static int compare_prerelease(const char *a, const char *b)
{
	const bool pa = *a == '-';
	const bool pb = *b == '-';

	if (!pa || !pb)
		return pa == pb ? 0 : (pa ? -1 : 1); /* pre-release first */
	a++;
	b++;
	for (;;) {
		struct ident x = {NULL, 0};
		struct ident y = {NULL, 0};
		const bool hx = ident_next(&a, "+", &x);
		const bool hy = ident_next(&b, "+", &y);
		int c;

		if (!hx || !hy)
			return hx == hy ? 0 : (hx ? 1 : -1); /* fewer first */
		c = compare_ident(&x, &y);
		if (c != 0)
			return c;
	}
}

int version_compare(const char *a, const char *b)
{
	int c;

	assert(version_is_valid(a) && version_is_valid(b));
	c = compare_release(&a, &b);
	if (c != 0)
		return c;
	return compare_prerelease(a, b);
}

bool version_name_is_valid(const char *name)
{
	const size_t n = strnlen(name, HS_NAME_MAX + 1);
	size_t i;

	if (n == 0 || n > HS_NAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || is_digit(name[0])))
		return false;
	for (i = 0; i < n; i++) {
		const char c = name[i];

		if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '.' ||
		      c == '-' || c == '_'))
			return false;
	}
	return strstr(name, "..") == NULL;
}
