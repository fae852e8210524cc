/*
 * testutil.h - helpers shared by the unit tests: a fresh temporary directory
 * per test, and small file helpers that fail the test on error.
 */
#ifndef HAISHIN_TESTUTIL_H
#define HAISHIN_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* Creates a new empty directory under $TMPDIR; the caller frees the string. */
char *tu_mkdtemp(void);

/* Removes a tree (like rm -rf); NULL is allowed. */
void tu_rmtree(const char *path);

/* Joins dir and name into a static-free malloc'ed path. */
char *tu_path(const char *dir, const char *name);

/* Writes a file (creating parents), failing the test on error. */
void tu_write(const char *dir, const char *name, const void *p, size_t n,
	      unsigned mode);

/* Reads a whole file; returns a malloc'ed buffer and its length. */
void *tu_read(const char *path, size_t *ret_n);

#endif
