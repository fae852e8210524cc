/*
 * fuzzutil.h - checks shared by the fuzz targets.  A failed check prints
 * what broke and calls abort(), which libFuzzer and replay.c both report as
 * a crash with the input that caused it.
 */
#ifndef HAISHIN_FUZZUTIL_H
#define HAISHIN_FUZZUTIL_H

#include <stdbool.h>

struct hs_err;

/* Aborts with "fuzz: what" unless ok. */
void fuzz_assert(bool ok, const char *what);

/*
 * Checks the error convention of hs_err.h after a call that returned r into
 * e: a failure is a negative errno stored in e->code too, with a message
 * that is NUL-terminated, not empty, and free of control bytes.
 */
void fuzz_check_err(int r, const struct hs_err *e);

#endif
