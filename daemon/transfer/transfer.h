/*
 * transfer.h - resumable, verified downloads into the cache.
 *
 * A download writes CACHE/NAME.part and journals, in the state database, how
 * many of its bytes are durable and which server's validators they came
 * with.  The next attempt - in the same run after a drop or a stall, in the
 * next run, after kill -9 or a reboot - keeps exactly the journaled bytes,
 * re-hashes them from disk (so the hash always covers what is really on
 * disk, whatever a crash left), and asks for the rest with a Range request
 * guarded by If-Range.  A server that answers 200 instead of 206 (its file
 * changed, or it ignores ranges) restarts the file cleanly.  On a mirror
 * other than the one the validators came from, the range is asked without
 * If-Range: package URLs are content-addressed, and the final SHA-256
 * decides anyway.
 *
 * Failures are retried within the run by retry.h's policy (backoff with
 * jitter, Retry-After, the next mirror).  Bytes that arrive wrong end in a
 * hash mismatch: the file is discarded and fetched once more from zero;
 * a second mismatch is FAILED_VERIFY.  A server whose file has another size
 * than the signed one (its Content-Length, its Content-Range total, or a
 * complete body says so) has a wrong file: what it sent is not kept, it is
 * not asked again in the run, and when no server is left the run ends
 * FAILED_VERIFY.  A fault of this terminal - the part file cannot be opened
 * or written, a full disk, the state database - ends FAILED_INSTALL at once
 * with a reason that says what to do here; the bytes kept stay resumable.
 * Nothing unverified is ever returned.
 */
#ifndef HAISHIN_TRANSFER_H
#define HAISHIN_TRANSFER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "hs_err.h"
#include "fetch.h"
#include "part.h"
#include "state.h"

/* Waits seconds between attempts, for the reason why (NULL: sleep). */
typedef void transfer_wait_fn(void *ctx, const char *name, uint32_t seconds,
			      const char *why);

/* Reports bytes so far, a few times a second (NULL: nothing). */
typedef void transfer_progress_fn(void *ctx, const char *name, uint64_t done,
				  uint64_t total);

struct transfer_env {
	const struct config *cfg;
	struct db *db;
	struct fetch *fetch;
	transfer_wait_fn *wait;
	transfer_progress_fn *progress;
	void *ctx;
	const atomic_bool *cancel; /* set: stop at once (NULL: never) */
};

struct transfer_job {
	const char *name; /* the part file and journal key */
	const char *url; /* relative to each base URL */
	uint64_t size; /* signed */
	const char *sha256; /* signed */
	const char *component; /* whom progress and waits are reported for
				* (NULL: name) */
	bool delta; /* a delta of component, not its package (for reasons) */
};

struct transfer_result {
	enum state state; /* on failure: errmap.h's, for the error the run
			   * ended on: INTERRUPTED, FAILED_CONNECT,
			   * FAILED_VERIFY, STOPPED (a shutdown) or
			   * FAILED_INSTALL (a local fault) */
	uint64_t bytes; /* bytes received in this run */
	uint64_t resumed_from; /* bytes kept from an earlier run */
	uint64_t kept; /* bytes on disk at the end */
	bool not_found; /* some server answered that the file is not there */
	int64_t next_attempt; /* on failure: when trying again makes sense */
	uint32_t attempts;
};

/*
 * Downloads and verifies job.  On success returns 0 and *ret_part holds the
 * verified file (read it through part_fd(); the caller frees or discards
 * it) and the journal stays until transfer_forget().  On failure returns a negative errno with e naming the cause and
 * *res saying the state, the bytes kept and when to try again.
 */
int transfer_run(const struct transfer_env *env, const struct transfer_job *job,
		 struct part **ret_part, struct transfer_result *res,
		 struct hs_err *e);

/*
 * Journals the verified file p of job as complete, after making it durable:
 * a download that could not be installed yet (the disk was full) is then
 * re-hashed by the next attempt instead of fetched again.  p stays the
 * caller's.
 */
int transfer_keep(const struct transfer_env *env,
		  const struct transfer_job *job, const struct part *p,
		  struct hs_err *e);

/*
 * Forgets a download whose file was installed, or that is given up: its
 * journal and what is left of its part file.  Until then a crash resumes
 * from the journal.
 */
int transfer_forget(const struct transfer_env *env, const char *name,
		    struct hs_err *e);

/*
 * The reason for a full disk (code -ENOSPC or -EDQUOT) in dir, where need
 * more bytes were to be written for what (a translated "package 'app'"):
 * how many MiB to free there, from statvfs(3), or that its free space
 * cannot be read.  Returns code.
 */
int transfer_disk_full(int code, const char *dir, uint64_t need,
		       const char *what, struct hs_err *e);

/*
 * Fetches a small file (metadata) of at most max bytes into a malloc'ed
 * buffer, with the same retries and mirror order as a download.  The caller
 * frees *ret_buf.
 */
int transfer_buf(const struct transfer_env *env, const char *url, size_t max,
		 char **ret_buf, size_t *ret_len, struct hs_err *e);

/* A server's validators for a metadata file, and the base URL they came
 * from: another server (a mirror) has validators of its own. */
struct transfer_validators {
	char base[HS_URL_MAX];
	char etag[FETCH_VALIDATOR_MAX]; /* "" when none */
	char last_modified[FETCH_VALIDATOR_MAX]; /* "" when none */
};

/*
 * transfer_buf, conditional: a GET to have->base carries have's validators
 * (If-None-Match, If-Modified-Since), a GET to another base none; have NULL
 * sends none.  Returns 1 when have->base answered 304 Not Modified (nothing
 * in *ret_buf: the copy have describes stands), or 0 with the body, and
 * *ret_got names the base that answered and its validators ("" where
 * fetch_validators_usable() refuses them; have's own after a 304).
 */
int transfer_buf_cond(const struct transfer_env *env, const char *url,
		      size_t max, const struct transfer_validators *have,
		      char **ret_buf, size_t *ret_len,
		      struct transfer_validators *ret_got, struct hs_err *e);

#endif
