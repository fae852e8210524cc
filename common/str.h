/*
 * str.h - string and number helpers that report truncation and overflow
 * instead of hiding them.
 */
#ifndef HAISHIN_STR_H
#define HAISHIN_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

/*
 * Copies src into dst of size n, always NUL-terminated.  Returns 0, or
 * -ENAMETOOLONG when src did not fit (dst then holds a truncated copy).
 */
int hs_strlcpy(char *dst, const char *src, size_t n);

/*
 * Makes s valid UTF-8 in place: every byte that does not belong to a
 * well-formed sequence becomes '?', and a sequence cut at the end (by a
 * bounded copy) is dropped.  Text from files, servers and the database
 * passes through it before it is put into JSON.
 */
void hs_utf8_fix(char *s);

/* snprintf that returns 0, or -ENAMETOOLONG on truncation. */
int hs_snprintf(char *dst, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parses a whole decimal string (no sign, no spaces, no trailing bytes) into
 * an unsigned 64-bit value no larger than max.  Writes *ret only on success.
 * Returns 0, -EINVAL (not a number) or -ERANGE (above max).
 */
int hs_parse_u64(const char *s, uint64_t max, uint64_t *ret);

/* Lowercase hex of n bytes into out, which holds 2 * n + 1 bytes. */
void hs_hex(const uint8_t *p, size_t n, char *out);

/* True when s is exactly 64 lowercase hex digits (a SHA-256). */
bool hs_is_sha256_hex(const char *s);

/* True when s ends with suffix. */
bool hs_str_endswith(const char *s, const char *suffix);

/*
 * Time: RFC 3339 UTC ("2026-11-25T08:00:00Z") to and from seconds since the
 * epoch.  hs_time_parse returns 0 or -EINVAL; out holds at least 21 bytes.
 */
int hs_time_parse(const char *s, int64_t *ret_t);
void hs_time_format(int64_t t, char out[static 21]);

#endif
