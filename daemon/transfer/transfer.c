/*
 * transfer.c - one package (or delta) from the mirrors into the cache,
 * resumed, retried and verified.  The journal is written only after the
 * bytes it promises are synced, so it never claims more than the disk holds.
 * What an error means for the run - a fault of this terminal, the network,
 * or bytes that are not the signed ones - is errmap.h's table: each local
 * call site records that its error is its own (transfer_fault), since the
 * errno alone cannot tell.
 */
#include "transfer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "errmap.h"
#include "i18n.h"
#include "log.h"
#include "retry.h"
#include "str.h"

/*
 * Journal progress about once a second while bytes arrive (at least 64 KiB
 * of them): a crash or a power cut loses about a second of transfer, and the
 * syncs are spread over the download instead of piling up at its end.
 */
#define TRANSFER_JOURNAL_BYTES (64u * 1024)
#define TRANSFER_MAX_BASES (1 + CONFIG_MAX_MIRRORS)
#define TRANSFER_REPORT_MS 250
_Static_assert(TRANSFER_MAX_BASES <= RETRY_MAX_BASES, "too many mirrors");

/* Where a fault of this terminal happened. */
enum transfer_at {
	TRANSFER_AT_OPEN, /* opening the part file */
	TRANSFER_AT_FILE, /* writing, reading back or syncing it */
	TRANSFER_AT_JOURNAL, /* the state database */
};

struct transfer {
	const struct transfer_env *env;
	const struct transfer_job *job;
	struct transfer_result *res;
	struct part *part;
	struct db_partial journal;
	const char *bases[TRANSFER_MAX_BASES];
	size_t n_bases;
	time_t journaled_at;
	int64_t reported_ms; /* when progress was last reported */
	const char *base; /* of the request under way */
	struct fetch_resp *resp; /* its answer, as far as it came */
	struct hs_err local; /* the first fault of this terminal (code 0:
			      * none); it ends the run */
	enum transfer_at local_at;
	char wrong[HS_ERR_MSG_MAX]; /* the first server's wrong file, or "" */
};

/* Records a fault of this terminal (the first one counts); returns code. */
static int transfer_fault(struct transfer *t, enum transfer_at at, int code,
			  const struct hs_err *e)
{
	if (t->local.code != 0)
		return code;
	t->local_at = at;
	t->local.code = code;
	(void)hs_strlcpy(t->local.msg,
			 e != NULL && e->code == code ? e->msg
						      : strerror(-code),
			 sizeof(t->local.msg));
	return code;
}

/* The server's base URL, then its mirrors, in order. */
static size_t transfer_bases(const struct config *cfg,
			     const char *bases[TRANSFER_MAX_BASES])
{
	size_t n = 0;
	size_t i;

	bases[n++] = cfg->url;
	for (i = 0; i < cfg->n_mirrors && n < TRANSFER_MAX_BASES; i++)
		bases[n++] = cfg->mirrors[i];
	return n;
}

static struct retry_policy transfer_policy(const struct config *cfg,
					   size_t n_bases)
{
	const struct retry_policy p = {cfg->retries > 0 ? cfg->retries : 1,
				       cfg->backoff_initial, cfg->backoff_max,
				       n_bases};

	return p;
}

/* Records the bytes on disk as durable: sync first, then the journal. */
static int transfer_checkpoint(struct transfer *t, struct hs_err *e)
{
	int r;

	r = part_sync(t->part, e);
	if (r < 0)
		return transfer_fault(t, TRANSFER_AT_FILE, r, e);
	t->journal.offset = part_size(t->part);
	t->journal.updated = (int64_t)time(NULL);
	t->journaled_at = time(NULL);
	r = db_partial_put(t->env->db, &t->journal, e);
	return r < 0 ? transfer_fault(t, TRANSFER_AT_JOURNAL, r, e) : 0;
}

/* The component a job's progress is reported for. */
static const char *transfer_who(const struct transfer_job *job)
{
	return job->component != NULL ? job->component : job->name;
}

/* Starts the journal afresh for job, or keeps a matching one. */
static int transfer_open(struct transfer *t, struct hs_err *e)
{
	const struct transfer_job *job = t->job;
	struct db_partial old;
	uint64_t kept = 0;
	int r;

	if (strlen(job->name) > DB_PARTIAL_NAME_MAX)
		return hs_err_set(e, -ENAMETOOLONG,
				  "download name '%s' too long", job->name);
	r = part_open(t->env->cfg->cache, job->name, &t->part, e);
	if (r < 0)
		return transfer_fault(t, TRANSFER_AT_OPEN, r, e);
	r = db_partial_get(t->env->db, job->name, &old, e);
	if (r < 0 && r != -ENOENT)
		return transfer_fault(t, TRANSFER_AT_JOURNAL, r, e);
	if (r == 0 && strcmp(old.url, job->url) == 0 &&
	    strcmp(old.sha256, job->sha256) == 0 && old.size == job->size)
		t->journal = old;
	else
		memset(&t->journal, 0, sizeof(t->journal));
	(void)hs_strlcpy(t->journal.name, job->name, sizeof(t->journal.name));
	(void)hs_strlcpy(t->journal.url, job->url, sizeof(t->journal.url));
	(void)hs_strlcpy(t->journal.sha256, job->sha256,
			 sizeof(t->journal.sha256));
	t->journal.size = job->size;
	r = part_resume(t->part, t->journal.offset, &kept, e);
	if (r < 0)
		return transfer_fault(t, TRANSFER_AT_FILE, r, e);
	if (kept > 0)
		log_info("%s: resuming from byte %" PRIu64 " of %" PRIu64,
			 job->name, kept, job->size);
	t->res->resumed_from = kept;
	return transfer_checkpoint(t, e);
}

/* The server's validators go into the journal as soon as its answer
 * starts, so even a run killed mid-transfer resumes with If-Range. */
static void transfer_take_validators(struct transfer *t)
{
	(void)hs_strlcpy(t->journal.base, t->base, sizeof(t->journal.base));
	(void)hs_strlcpy(t->journal.etag, t->resp->etag,
			 sizeof(t->journal.etag));
	(void)hs_strlcpy(t->journal.last_modified, t->resp->last_modified,
			 sizeof(t->journal.last_modified));
}

static int transfer_begin(void *ctx, uint64_t start)
{
	struct transfer *t = ctx;
	struct hs_err e;
	int r;

	if (start != 0 && start != part_size(t->part))
		return -ERANGE;
	transfer_take_validators(t);
	if (start == part_size(t->part))
		return 0;
	/* A 200: the server sent the whole file (it changed, or it ignores
	 * ranges).  Start over cleanly. */
	log_info("%s: the server sent the whole file; restarting it",
		 t->job->name);
	r = part_reset(t->part, &e);
	if (r < 0)
		return transfer_fault(t, TRANSFER_AT_FILE, r, &e);
	return transfer_checkpoint(t, &e);
}

/*
 * Journals what the background sync has made durable, about once a second:
 * the transfer never waits for the disk, and the journal never promises
 * more than the disk holds.
 */
static int transfer_journal_synced(struct transfer *t)
{
	const uint64_t synced = part_synced(t->part);
	struct hs_err e;
	int r;

	if (synced < t->journal.offset + TRANSFER_JOURNAL_BYTES ||
	    time(NULL) == t->journaled_at)
		return 0;
	t->journal.offset = synced;
	t->journal.updated = (int64_t)time(NULL);
	t->journaled_at = time(NULL);
	r = db_partial_put(t->env->db, &t->journal, &e);
	return r < 0 ? transfer_fault(t, TRANSFER_AT_JOURNAL, r, &e) : 0;
}

/* Byte counts for whoever watches, about four times a second. */
static void transfer_report(struct transfer *t)
{
	struct timespec now;
	int64_t ms;

	if (t->env->progress == NULL)
		return;
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (ms - t->reported_ms < TRANSFER_REPORT_MS &&
	    part_size(t->part) < t->job->size)
		return;
	t->reported_ms = ms;
	t->env->progress(t->env->ctx, transfer_who(t->job), part_size(t->part),
			 t->job->size);
}

static int transfer_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct transfer *t = ctx;
	int r;

	if (t->env->cancel != NULL && atomic_load(t->env->cancel))
		return -ECANCELED;
	r = part_append(t->part, p, n);
	if (r < 0)
		return transfer_fault(t, TRANSFER_AT_FILE, r, NULL);
	t->res->bytes += n;
	transfer_report(t);
	return transfer_journal_synced(t);
}

/* The validator for If-Range: only toward the server that gave it. */
static const char *transfer_validator(const struct transfer *t,
				      const char *base)
{
	if (strcmp(t->journal.base, base) != 0)
		return NULL;
	if (t->journal.etag[0] == '"') /* strong ETag only */
		return t->journal.etag;
	if (t->journal.last_modified[0] != '\0')
		return t->journal.last_modified;
	return NULL;
}

/* An answer of a wrong file: from this server, not from the network. */
static bool transfer_wrong_file(const struct transfer *t, int r)
{
	return t->local.code == 0 && errmap_retry(r) == ERRMAP_WRONG_FILE;
}

/*
 * Cuts off what an answer of a wrong file stored (one whose size showed only
 * at its end): none of its bytes may stay as the start of the signed file.
 * An answer refused by its headers stored nothing.
 */
static void transfer_drop_answer(struct transfer *t,
				 const struct fetch_resp *resp)
{
	struct hs_err e;
	uint64_t kept;
	int r;

	if (resp->bytes == 0 || part_size(t->part) <= resp->start)
		return;
	r = part_resume(t->part, resp->start, &kept, &e);
	if (r < 0)
		(void)transfer_fault(t, TRANSFER_AT_FILE, r, &e);
}

/* Names the download in front of a server's error: "package 'app' from ". */
static void transfer_prefix(const struct transfer *t, struct hs_err *e)
{
	if (t->job->delta)
		hs_err_prefix(e, "the delta of '%s' from ",
			      transfer_who(t->job));
	else
		hs_err_prefix(e, "package '%s' from ", transfer_who(t->job));
}

/* One GET from base for the bytes still missing; then a checkpoint. */
static int transfer_attempt(struct transfer *t, const char *base,
			    struct fetch_resp *resp, struct hs_err *e)
{
	char url[HS_URL_MAX * 2];
	struct fetch_req req;
	struct hs_err e2;
	int r;

	if (hs_snprintf(url, sizeof(url), "%s%s", base, t->job->url) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "URL too long");
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.size = t->job->size;
	req.size_signed = true;
	req.offset = part_size(t->part);
	req.if_range = transfer_validator(t, base);
	req.begin = transfer_begin;
	req.sink = transfer_sink;
	req.ctx = t;
	t->base = base;
	t->resp = resp;
	r = fetch_get(t->env->fetch, &req, resp, e);
	if (transfer_wrong_file(t, r)) {
		transfer_drop_answer(t, resp);
		transfer_prefix(t, e);
	}
	if (r == 0 && part_size(t->part) < t->job->size)
		r = hs_err_set(e, -ECONNRESET,
			       "the server ended the transfer at %" PRIu64
			       " of %" PRIu64 " bytes",
			       part_size(t->part), t->job->size);
	/* A complete file is verified at once: syncing it first would only
	 * wait for the disk.  What broke off is kept, durably. */
	if (r < 0 && transfer_checkpoint(t, &e2) < 0)
		log_warn("%s, ignoring", e2.msg);
	return r;
}

/* Compares the file's hash with the signed one; a mismatch starts over. */
static int transfer_verify(struct transfer *t, struct hs_err *e)
{
	char got[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e2;
	int r;

	r = part_digest(t->part, got, e);
	if (r < 0)
		return transfer_fault(t, TRANSFER_AT_FILE, r, e);
	if (strcmp(got, t->job->sha256) == 0)
		return 0;
	(void)hs_err_set(e, -EBADMSG,
			 "hash mismatch: the download's sha256 is %.16s…, "
			 "the manifest says %.16s…; it was discarded",
			 got, t->job->sha256);
	r = part_reset(t->part, &e2);
	if (r < 0)
		(void)transfer_fault(t, TRANSFER_AT_FILE, r, &e2);
	else
		(void)transfer_checkpoint(t, &e2);
	return -EBADMSG;
}

static double transfer_jitter(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint32_t)time(NULL) * 2654435761u;
	return (double)v / 4294967296.0;
}

static void transfer_wait(const struct transfer_env *env, const char *name,
			  uint32_t seconds, const char *why)
{
	struct timespec ts = {(time_t)seconds, 0};

	if (env->wait != NULL) {
		env->wait(env->ctx, name, seconds, why);
		return;
	}
	log_info("%s: %s; trying again in %u s", name, why, seconds);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

/* Handles what needs no retry policy; returns true to try again now. */
static bool transfer_recover(struct transfer *t,
			     const struct retry_policy *policy,
			     struct retry_state *rs, int r,
			     unsigned *mismatches, bool *range_reset)
{
	struct hs_err e;

	if (errmap_retry(r) == ERRMAP_REFETCH) {
		/* Bytes that arrived wrong: a corrupting cache or mirror may
		 * serve them again, so the next base gets the second try. */
		retry_rotate(policy, rs);
		return ++*mismatches < ERRMAP_REFETCH_TRIES;
	}
	if (r == -ERANGE && !*range_reset && part_size(t->part) > 0) {
		/* 416 for our offset: the kept bytes are not a prefix of
		 * what the server has.  Start over once. */
		*range_reset = true;
		r = part_reset(t->part, &e);
		if (r < 0) {
			(void)transfer_fault(t, TRANSFER_AT_FILE, r, &e);
			return false;
		}
		return transfer_checkpoint(t, &e) == 0;
	}
	return false;
}

static int transfer_loop(struct transfer *t, uint32_t *ret_delay,
			 struct hs_err *e)
{
	const struct retry_policy policy =
		transfer_policy(t->env->cfg, t->n_bases);
	struct retry_state rs;
	struct fetch_resp resp;
	unsigned mismatches = 0;
	bool range_reset = false;
	int r;

	retry_init(&rs);
	for (;;) {
		if (t->env->cancel != NULL && atomic_load(t->env->cancel))
			return hs_err_set(e, -ECANCELED,
					  "stopped: haishind is shutting down");
		memset(&resp, 0, sizeof(resp));
		resp.retry_after = -1;
		r = 0;
		t->res->attempts++;
		if (part_size(t->part) < t->job->size)
			r = transfer_attempt(t, t->bases[rs.base], &resp, e);
		if (r == 0)
			r = transfer_verify(t, e);
		if (r == 0 || t->local.code != 0)
			return r;
		if (r == -ENOENT)
			t->res->not_found = true;
		if (transfer_wrong_file(t, r) && t->wrong[0] == '\0')
			memcpy(t->wrong, e->msg, sizeof(t->wrong));
		if (transfer_recover(t, &policy, &rs, r, &mismatches,
				     &range_reset))
			continue;
		if (errmap_retry(r) == ERRMAP_REFETCH || r == -ECANCELED ||
		    t->local.code != 0 ||
		    retry_next(&policy, &rs, r, resp.bytes > 0,
			       resp.retry_after, transfer_jitter(),
			       (int64_t)time(NULL), ret_delay) == RETRY_STOP)
			return r;
		transfer_wait(t->env, transfer_who(t->job), *ret_delay, e->msg);
	}
}

/* "package 'app'" or "the delta of 'app'", for a reason. */
static void transfer_what(const struct transfer_job *job, char *out, size_t n)
{
	(void)hs_snprintf(
		out, n, job->delta ? _("the delta of '%s'") : _("package '%s'"),
		transfer_who(job));
}

/* Bytes in MiB for a person, rounded up, at least 1. */
static uint64_t transfer_mib(uint64_t bytes)
{
	const uint64_t mib = (bytes + (1u << 20) - 1) >> 20;

	return mib > 0 ? mib : 1;
}

int transfer_disk_full(int code, const char *dir, uint64_t need,
		       const char *what, struct hs_err *e)
{
	struct statvfs st;
	uint64_t avail;

	if (code == -EDQUOT) /* a quota is not in statvfs(3) */
		return hs_err_set(e, code,
				  "the disk quota is used up: free at least "
				  "%" PRIu64 " MiB in '%s' (needed for %s), "
				  "then try again",
				  transfer_mib(need), dir, what);
	if (statvfs(dir, &st) < 0)
		return hs_err_set(e, code,
				  "the disk is full: %s needs %" PRIu64
				  " MiB more in '%s', whose free space cannot "
				  "be read (%s); free space there, then try "
				  "again",
				  what, transfer_mib(need), dir,
				  strerror(errno));
	avail = (uint64_t)st.f_bavail * st.f_frsize;
	return hs_err_set(e, code,
			  "the disk is full: free at least %" PRIu64
			  " MiB in '%s' (needed for %s), then try again",
			  transfer_mib(need > avail ? need - avail : 0), dir,
			  what);
}

/* An errno's name, "ELOOP", for a reason. */
static const char *transfer_errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name != NULL ? name : "?";
}

/* The reason for a fault of this terminal: what is wrong here, what to do. */
static int transfer_local_reason(const struct transfer *t, struct hs_err *e)
{
	const struct config *cfg = t->env->cfg;
	const int code = t->local.code;
	const int err = -code;
	char what[HS_NAME_MAX + 64];
	char path[PATH_MAX];
	const uint64_t have = t->part != NULL ? part_size(t->part) : 0;

	transfer_what(t->job, what, sizeof(what));
	if (err == ENOSPC || err == EDQUOT)
		return transfer_disk_full(
			code,
			t->local_at == TRANSFER_AT_JOURNAL ? cfg->state
							   : cfg->cache,
			t->job->size > have ? t->job->size - have : 0, what, e);
	if (t->local_at == TRANSFER_AT_JOURNAL)
		return hs_err_set(e, code,
				  "cannot record the download of %s in the "
				  "state database: %s; check '%s', then try "
				  "again",
				  what, t->local.msg, cfg->state);
	if (part_file_path(cfg->cache, t->job->name, path, NULL) < 0)
		return hs_err_copy(e, &t->local);
	if (t->local_at == TRANSFER_AT_FILE)
		return hs_err_set(e, code,
				  "cannot write the partial download '%s': %s "
				  "(%s); check the disk of '%s', then try "
				  "again",
				  path, strerror(err), transfer_errno_name(err),
				  cfg->cache);
	if (err == ENOENT || err == ENOTDIR || err == EROFS)
		return hs_err_set(e, code,
				  "cannot open the partial download '%s': %s "
				  "(%s); make '%s' a directory haishind can "
				  "write to, then try again",
				  path, strerror(err), transfer_errno_name(err),
				  cfg->cache);
	return hs_err_set(e, code,
			  "cannot open the partial download '%s': %s (%s); "
			  "remove the file '%s' and try again",
			  path, strerror(err), transfer_errno_name(err), path);
}

/*
 * A run that ended on another error after a server had a wrong file: when
 * no server can serve the file (FAILED_CONNECT) it is FAILED_VERIFY, the
 * wrong file first; otherwise (it may yet come) the wrong file follows.
 */
static int transfer_add_wrong(struct transfer *t, int r, struct hs_err *e)
{
	char last[HS_ERR_MSG_MAX];

	memcpy(last, e->msg, sizeof(last));
	if (t->res->state == STATE_FAILED_CONNECT) {
		t->res->state = STATE_FAILED_VERIFY;
		r = -EMSGSIZE;
		(void)hs_snprintf(e->msg, sizeof(e->msg), "%s; %s", t->wrong,
				  last);
	} else {
		(void)hs_snprintf(e->msg, sizeof(e->msg), "%s; %s", last,
				  t->wrong);
	}
	hs_utf8_fix(e->msg);
	e->code = r;
	return r;
}

/* The state, reason and next attempt of a run that stopped on error r. */
static int transfer_end(struct transfer *t, int r, uint32_t delay,
			struct hs_err *e)
{
	t->res->state = errmap_state(r, t->local.code != 0 ? ERRMAP_LOCAL
							   : ERRMAP_DOWNLOAD);
	if (t->local.code != 0)
		r = transfer_local_reason(t, e);
	else if (t->wrong[0] != '\0' && !transfer_wrong_file(t, r))
		r = transfer_add_wrong(t, r, e);
	/* Bytes kept from this or an earlier run: the download goes on
	 * later, whatever the last base said. */
	if (t->res->state == STATE_FAILED_CONNECT && t->part != NULL &&
	    part_size(t->part) > 0)
		t->res->state = STATE_INTERRUPTED;
	t->res->next_attempt = (int64_t)time(NULL) + (delay > 0 ? delay : 1);
	return r;
}

int transfer_run(const struct transfer_env *env, const struct transfer_job *job,
		 struct part **ret_part, struct transfer_result *res,
		 struct hs_err *e)
{
	struct transfer t;
	uint32_t delay = 0;
	int r;

	memset(&t, 0, sizeof(t));
	memset(res, 0, sizeof(*res));
	t.env = env;
	t.job = job;
	t.res = res;
	t.n_bases = transfer_bases(env->cfg, t.bases);
	res->state = STATE_INTERRUPTED;
	res->next_attempt = (int64_t)time(NULL) + env->cfg->backoff_initial + 1;
	r = transfer_open(&t, e);
	if (r == 0)
		r = transfer_loop(&t, &delay, e);
	res->kept = t.part != NULL ? part_size(t.part) : 0;
	if (r == 0) {
		/* The journal stays until the package is installed: a crash
		 * before that resumes from what was synced. */
		*ret_part = t.part;
		return 0;
	}
	r = transfer_end(&t, r, delay, e);
	if (res->state == STATE_FAILED_VERIFY) {
		/* Never keep bytes that failed a check. */
		(void)db_partial_delete(env->db, job->name, NULL);
		part_discard(t.part);
		res->kept = 0;
	} else {
		/* A local fault keeps them too: they resume once it is
		 * mended. */
		part_free(t.part);
	}
	return r;
}

int transfer_buf(const struct transfer_env *env, const char *url, size_t max,
		 char **ret_buf, size_t *ret_len, struct hs_err *e)
{
	struct transfer_validators got;
	const int r = transfer_buf_cond(env, url, max, NULL, ret_buf, ret_len,
					&got, e);

	return r < 0 ? r : 0; /* no validators sent: never a 304 */
}

/* The validators of an answer from base, as a later GET may send them. */
static void transfer_got(const char *base, const struct fetch_resp *resp,
			 struct transfer_validators *got)
{
	const bool usable = fetch_validators_usable(resp);

	(void)hs_strlcpy(got->base, base, sizeof(got->base));
	(void)hs_strlcpy(got->etag, usable ? resp->etag : "",
			 sizeof(got->etag));
	(void)hs_strlcpy(got->last_modified, usable ? resp->last_modified : "",
			 sizeof(got->last_modified));
}

/* have's validators, for a GET to base: only toward the base they came
 * from. */
static struct fetch_cond transfer_cond(const struct transfer_validators *have,
				       const char *base)
{
	struct fetch_cond cond = {NULL, NULL};

	if (have != NULL && strcmp(have->base, base) == 0) {
		cond.etag = have->etag;
		cond.last_modified = have->last_modified;
	}
	return cond;
}

int transfer_buf_cond(const struct transfer_env *env, const char *url,
		      size_t max, const struct transfer_validators *have,
		      char **ret_buf, size_t *ret_len,
		      struct transfer_validators *ret_got, struct hs_err *e)
{
	const char *bases[TRANSFER_MAX_BASES];
	const size_t n_bases = transfer_bases(env->cfg, bases);
	const struct retry_policy policy = transfer_policy(env->cfg, n_bases);
	char full[HS_URL_MAX * 2];
	struct retry_state rs;
	struct fetch_resp resp;
	struct fetch_cond cond;
	uint32_t delay = 0;
	int r;

	retry_init(&rs);
	for (;;) {
		if (hs_snprintf(full, sizeof(full), "%s%s", bases[rs.base],
				url) < 0)
			return hs_err_set(e, -ENAMETOOLONG, "URL too long");
		cond = transfer_cond(have, bases[rs.base]);
		r = fetch_buf_cond(env->fetch, full, max, &cond, &resp, ret_buf,
				   ret_len, e);
		if (r == 1)
			*ret_got = *have;
		else if (r == 0)
			transfer_got(bases[rs.base], &resp, ret_got);
		if (r >= 0)
			return r;
		/* A retry cannot make metadata that is too big any smaller. */
		if (r == -EFBIG ||
		    retry_next(&policy, &rs, r, false, resp.retry_after,
			       transfer_jitter(), (int64_t)time(NULL),
			       &delay) == RETRY_STOP)
			return r;
		transfer_wait(env, url, delay, e->msg);
	}
}

int transfer_keep(const struct transfer_env *env,
		  const struct transfer_job *job, const struct part *p,
		  struct hs_err *e)
{
	struct db_partial j;
	int r;

	if (fdatasync(part_fd(p)) < 0)
		return hs_err_set(e, -errno, "cannot make '%s' durable: %s",
				  part_path(p), strerror(errno));
	r = db_partial_get(env->db, job->name, &j, e);
	if (r < 0)
		return r;
	j.offset = job->size;
	j.updated = (int64_t)time(NULL);
	return db_partial_put(env->db, &j, e);
}

int transfer_forget(const struct transfer_env *env, const char *name,
		    struct hs_err *e)
{
	/* The file first: a journal without its file starts over, a file
	 * without its journal would stay behind. */
	const int r = part_remove(env->cfg->cache, name, e);

	if (r < 0)
		return r;
	return db_partial_delete(env->db, name, e);
}
