/*
 * fuzzutil.c - checks shared by the fuzz targets (see fuzzutil.h).
 */
#include "fuzzutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_err.h"

void fuzz_assert(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

void fuzz_check_err(int r, const struct hs_err *e)
{
	const size_t n = strnlen(e->msg, sizeof(e->msg));
	size_t i;

	if (r >= 0)
		return;
	fuzz_assert(r > -4096, "error code is not a negative errno");
	fuzz_assert(e->code == r, "e->code differs from the returned code");
	fuzz_assert(n > 0, "error without a message");
	fuzz_assert(n < sizeof(e->msg), "error message not NUL-terminated");
	for (i = 0; i < n; i++)
		fuzz_assert((unsigned char)e->msg[i] >= 0x20 &&
				    (unsigned char)e->msg[i] != 0x7f,
			    "control byte in an error message");
}
