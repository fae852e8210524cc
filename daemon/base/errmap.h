/*
 * errmap.h - what an error of the download path means, in one table.
 *
 * Each negative errno that a GET can end with (fetch.h lists them) has one
 * row: the retry class within a run (retry.h acts on it) and the terminal
 * state of a run that ends on it.  The state has two readings, for the two
 * kinds of file:
 *  - a download (a package or a delta) keeps the bytes that arrived, so a
 *    transfer that broke off - a drop, a stall, a busy server - ends
 *    INTERRUPTED and resumes at the next run;
 *  - a metadata GET (root.json, manifest.json) keeps nothing: the same
 *    error means that the server could not be reached, FAILED_CONNECT.
 * A fault of this terminal (its disk, its cache, its state database) is
 * FAILED_INSTALL whatever its errno: the errno alone cannot tell (-EACCES
 * is also a 403, -ELOOP a redirect loop, -ENOENT a 404), so the caller says
 * where an error came from (ERRMAP_LOCAL).  Pure data: no I/O.
 */
#ifndef HAISHIN_ERRMAP_H
#define HAISHIN_ERRMAP_H

#include <stddef.h>

#include "state.h"

/* What to do next within a run, after a failed GET. */
enum errmap_retry {
	ERRMAP_TRANSIENT, /* the next base at once; after a full round of
			   * bases the backoff (or Retry-After) */
	ERRMAP_NEXT_MIRROR, /* this base cannot help: the next one at once */
	ERRMAP_WRONG_FILE, /* this base has another file than the signed
			    * one: not asked again in the run */
	ERRMAP_REFETCH, /* bytes that arrived wrong: discarded, and the file
			 * fetched again from zero, from the next base, up to
			 * ERRMAP_REFETCH_TRIES times in all */
	ERRMAP_FINAL, /* the run ends at once */
};

/* The fetches of a file whose bytes arrive wrong: a first mismatch is
 * fetched again from zero, a second one ends the run. */
#define ERRMAP_REFETCH_TRIES 2

/* Where an error came from. */
enum errmap_origin {
	ERRMAP_DOWNLOAD, /* a package or a delta, whose bytes are kept */
	ERRMAP_META, /* a metadata GET, which keeps nothing */
	ERRMAP_LOCAL, /* this terminal: FAILED_INSTALL for any code */
};

struct errmap_row {
	int code; /* a negative errno; 0 in the last row: any other code */
	const char *name; /* "ECONNRESET" */
	const char *what; /* what it stands for, for a person */
	enum errmap_retry retry;
	enum state download; /* a run of a download that ends on it */
	enum state meta; /* a metadata GET that ends on it */
};

/* The row of code; the last row (code 0) for a code the table lacks. */
const struct errmap_row *errmap_row(int code);

/* All rows, the catch-all last; *ret_n gets their number. */
const struct errmap_row *errmap_rows(size_t *ret_n);

/* The retry class of code. */
enum errmap_retry errmap_retry(int code);

/* The terminal state of a run that ends on code from where. */
enum state errmap_state(int code, enum errmap_origin from);

/* "transient", "next mirror", "wrong file", "refetch", "final". */
const char *errmap_retry_name(enum errmap_retry r);

#endif
