/*
 * str.c - bounded strings, checked numbers and RFC 3339 time.
 */
#include "str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int hs_strlcpy(char *dst, const char *src, size_t n)
{
	int nr;

	if (n == 0)
		return -ENAMETOOLONG;
	nr = snprintf(dst, n, "%s", src);
	if (nr < 0 || (size_t)nr >= n) {
		hs_utf8_fix(dst); /* never leave half a character */
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The length of the UTF-8 sequence that starts with byte c, or 0. */
static size_t utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

void hs_utf8_fix(char *s)
{
	size_t i = 0;

	while (s[i] != '\0') {
		const size_t n = utf8_len((unsigned char)s[i]);
		size_t k = 1;

		while (k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k++;
		if (n > 0 && k == n) {
			i += n;
		} else if (n > 1 && s[i + k] == '\0') {
			s[i] = '\0'; /* a sequence cut at the end */
		} else {
			s[i] = '?';
			i++;
		}
	}
}

int hs_snprintf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int nr;

	va_start(ap, fmt);
	nr = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (nr < 0 || (size_t)nr >= n)
		return -ENAMETOOLONG;
	return 0;
}

int hs_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return -EINVAL;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

void hs_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

bool hs_is_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		const char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[64] == '\0';
}

bool hs_str_endswith(const char *s, const char *suffix)
{
	const size_t n = strlen(s);
	const size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int hs_time_parse(const char *s, int64_t *ret_t)
{
	char canon[21];
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0' || strlen(s) != 20)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	/* strptime takes "2026-02-31" and blanks in numbers: only the
	 * canonical spelling of a real time is accepted. */
	hs_time_format((int64_t)t, canon);
	if (strcmp(canon, s) != 0)
		return -EINVAL;
	*ret_t = (int64_t)t;
	return 0;
}

void hs_time_format(int64_t t, char out[static 21])
{
	const time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)hs_strlcpy(out, "1970-01-01T00:00:00Z", 21);
}
