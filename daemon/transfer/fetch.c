/*
 * fetch.c - libcurl easy transfers: ranges with If-Range, conditional GETs,
 * capped bodies, response headers the caller needs (validators, Date,
 * Retry-After), and errors that name their stage.  CURLcodes are translated
 * here, once (fetch_from_curl, one table for the errno and the stage, which
 * check-connection uses too), and so are HTTP statuses (fetch_from_status),
 * keeping curl's own text.
 */
#include "fetch.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "str.h"

#define FETCH_USER_AGENT "haishin/0.1"
#define FETCH_MAX_REDIRECTS 5
/* Metadata is small: a server that trickles it must not hold a run. */
#define FETCH_METADATA_DEADLINE 120
#define FETCH_HEADER_MAX 1024
/* The longest Retry-After honoured: a server cannot park a terminal. */
#define FETCH_RETRY_AFTER_MAX 86400
/* Large reads: fewer callbacks, fewer writes, less locking per byte. */
#define FETCH_BUFFER_SIZE (512 * 1024)

struct fetch {
	CURL *curl;
	struct fetch_cfg cfg;
	char errbuf[CURL_ERROR_SIZE];
};

/* One transfer, as the callbacks see it. */
struct fetch_xfer {
	struct fetch *f;
	const struct fetch_req *req;
	struct fetch_resp *resp;
	bool has_range; /* a Content-Range header came */
	uint64_t range_start; /* its first byte */
	bool has_total; /* it stated the resource's size */
	uint64_t range_total; /* that size */
	bool chunked; /* the body is chunked: its end is marked */
	uint64_t wrong_size; /* the size the server stated, when not signed */
	bool wrong_total; /* that size is a Content-Range total */
	bool begun; /* begin() was called */
	bool answered; /* a status line came */
	int error; /* why a callback stopped the transfer */
	struct timespec paced_from; /* the first body byte, for max_rate */
};

void fetch_free(struct fetch *f)
{
	if (f == NULL)
		return;
	curl_easy_cleanup(f->curl);
	free(f);
}

int fetch_new(const struct fetch_cfg *cfg, struct fetch **ret_f,
	      struct hs_err *e)
{
	struct fetch *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	f->curl = curl_easy_init();
	if (f->curl == NULL) {
		free(f);
		return hs_err_set(e, -ENOMEM, "cannot start libcurl");
	}
	f->cfg = *cfg;
	*ret_f = f;
	return 0;
}

static int fetch_from_status(long status, const char *url, struct hs_err *e)
{
	if (status == 404 || status == 410)
		return hs_err_set(e, -ENOENT,
				  "HTTP: %ld, '%s' is not on the server",
				  status, url);
	if (status == 416)
		return hs_err_set(e, -ERANGE,
				  "HTTP: 416, the server has no such range of "
				  "'%s'",
				  url);
	if (status == 429 || status == 503)
		return hs_err_set(e, -EAGAIN, "HTTP: %ld, the server is busy",
				  status);
	return hs_err_set(e, status >= 500 ? -EREMOTEIO : -EACCES,
			  "HTTP: the server answered %ld for '%s'", status,
			  url);
}

/* A size the server stated, or sent, that is not the signed one. */
static int fetch_wrong_size(const struct fetch_xfer *x, struct hs_err *e)
{
	if (x->wrong_total)
		return hs_err_set(e, -EMSGSIZE,
				  "'%s': the server's file is %" PRIu64
				  " bytes where the signed size is %" PRIu64
				  " (a wrong file on the server)",
				  x->req->url, x->wrong_size, x->req->size);
	return hs_err_set(e, -EMSGSIZE,
			  "'%s': the server sent %" PRIu64
			  " bytes where the signed size is %" PRIu64
			  " (a wrong file on the server)",
			  x->req->url, x->wrong_size, x->req->size);
}

/*
 * The size of the whole resource as the answer states it: the total of a
 * Content-Range (206, 416), else the Content-Length of a whole body.
 */
static bool fetch_stated_size(const struct fetch_xfer *x, long status,
			      uint64_t *ret_size)
{
	curl_off_t len = -1;

	if (status == 206 || status == 416) {
		if (!x->has_total)
			return false;
		*ret_size = x->range_total;
		return true;
	}
	if (curl_easy_getinfo(x->f->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
			      &len) != CURLE_OK ||
	    len < 0)
		return false;
	*ret_size = (uint64_t)len;
	return true;
}

/* -EMSGSIZE when the answer states another size than the signed one: the
 * server has another file, and none of its bytes is to be stored. */
static int fetch_check_size(struct fetch_xfer *x, long status)
{
	uint64_t size;

	if (!x->req->size_signed || !fetch_stated_size(x, status, &size) ||
	    size == x->req->size)
		return 0;
	x->wrong_size = size;
	x->wrong_total = status == 206 || status == 416;
	return -EMSGSIZE;
}

/* An error status; a 416 whose total is not the signed size says that the
 * server has another file. */
static int fetch_from_error_status(struct fetch_xfer *x, struct hs_err *e)
{
	if (x->resp->status == 416 && fetch_check_size(x, 416) < 0)
		return fetch_wrong_size(x, e);
	return fetch_from_status(x->resp->status, x->req->url, e);
}

/* A callback's own reason for stopping the transfer. */
static int fetch_from_callback(struct fetch_xfer *x, const char *url,
			       struct hs_err *e)
{
	switch (x->error) {
	case -EMSGSIZE:
		return fetch_wrong_size(x, e);
	case -EFBIG:
		if (x->req->size_signed)
			return hs_err_set(e, -EFBIG,
					  "'%s': endless data: the server sent "
					  "more than the %" PRIu64
					  " bytes signed (a wrong file on the "
					  "server)",
					  url, x->req->size);
		return hs_err_set(e, -EFBIG,
				  "endless data: '%s' sent more than the "
				  "%" PRIu64 " bytes allowed for it",
				  url, x->req->size);
	case -ECANCELED:
		return hs_err_set(e, -ECANCELED,
				  "stopped: haishind is shutting down");
	case -ERANGE:
		return hs_err_set(e, -ERANGE,
				  "HTTP: asked for bytes from %" PRIu64
				  ", got a range from %" PRIu64,
				  x->req->offset, x->range_start);
	case 0:
		return hs_err_set(e, -EIO, "cannot store '%s'", url);
	default:
		if (x->resp->status >= 400)
			return fetch_from_error_status(x, e);
		return hs_err_set(e, x->error, "cannot store '%s': %s", url,
				  strerror(-x->error));
	}
}

static int fetch_timeout(struct fetch *f, const struct fetch_xfer *x,
			 const char *why, struct hs_err *e)
{
	curl_off_t connect = 0;

	/* No answer and no connection made: the connect itself timed out.  A
	 * reused connection has no connect time, but it has an answer or is
	 * a stall before one. */
	(void)curl_easy_getinfo(f->curl, CURLINFO_CONNECT_TIME_T, &connect);
	if (!x->answered && connect == 0 && x->resp->bytes == 0 &&
	    strstr(why, "too slow") == NULL)
		return hs_err_set(e, -EHOSTDOWN, "TCP: %s", why);
	return hs_err_set(e, -ETIMEDOUT,
			  "stalled: less than %" PRIu64 " bytes/s for %u s "
			  "after %" PRIu64 " bytes (%s)",
			  f->cfg.min_rate, f->cfg.stall_timeout, x->resp->bytes,
			  why);
}

/*
 * The one translation of libcurl's codes: the errno and the stage of each
 * code fetch.h names.  Any other code is a transfer that broke off.
 */
static const struct fetch_curl_code {
	CURLcode rc;
	int code;
	enum fetch_stage stage;
} fetch_curl_codes[] = {
	{CURLE_COULDNT_RESOLVE_PROXY, -EHOSTUNREACH, FETCH_STAGE_PROXY},
	{CURLE_COULDNT_RESOLVE_HOST, -EHOSTUNREACH, FETCH_STAGE_DNS},
	{CURLE_COULDNT_CONNECT, -ECONNREFUSED, FETCH_STAGE_TCP},
	{CURLE_SSL_CONNECT_ERROR, -EPROTO, FETCH_STAGE_TLS},
	{CURLE_SSL_CIPHER, -EPROTO, FETCH_STAGE_TLS},
	{CURLE_SSL_CERTPROBLEM, -EPROTO, FETCH_STAGE_TLS},
	{CURLE_SSL_CLIENTCERT, -EPROTO, FETCH_STAGE_TLS},
	{CURLE_SSL_CACERT_BADFILE, -EPROTO, FETCH_STAGE_TLS_CA},
	{CURLE_SSL_CRL_BADFILE, -EPROTO, FETCH_STAGE_TLS},
	{CURLE_PEER_FAILED_VERIFICATION, -EPROTO, FETCH_STAGE_TLS_PEER},
	{CURLE_SSL_ISSUER_ERROR, -EPROTO, FETCH_STAGE_TLS_PEER},
	{CURLE_SSL_PINNEDPUBKEYNOTMATCH, -EPROTO, FETCH_STAGE_TLS_PEER},
	{CURLE_SSL_INVALIDCERTSTATUS, -EPROTO, FETCH_STAGE_TLS_PEER},
	{CURLE_TOO_MANY_REDIRECTS, -ELOOP, FETCH_STAGE_HTTP},
	/* file:// (a pushed bundle): the file is not there, as a 404 */
	{CURLE_FILE_COULDNT_READ_FILE, -ENOENT, FETCH_STAGE_LOCAL},
	{CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT, FETCH_STAGE_TRANSFER},
	{CURLE_ABORTED_BY_CALLBACK, -ECANCELED, FETCH_STAGE_LOCAL},
	{CURLE_WRITE_ERROR, -EIO, FETCH_STAGE_LOCAL},
	{CURLE_OUT_OF_MEMORY, -ENOMEM, FETCH_STAGE_LOCAL},
};

static struct fetch_curl_code fetch_curl_lookup(CURLcode rc)
{
	const struct fetch_curl_code other = {rc, -ECONNRESET,
					      FETCH_STAGE_TRANSFER};
	size_t i;

	for (i = 0; i < sizeof(fetch_curl_codes) / sizeof(fetch_curl_codes[0]);
	     i++)
		if (fetch_curl_codes[i].rc == rc)
			return fetch_curl_codes[i];
	return other;
}

enum fetch_stage fetch_curl_stage(CURLcode rc)
{
	return fetch_curl_lookup(rc).stage;
}

const char *fetch_stage_name(enum fetch_stage stage)
{
	switch (stage) {
	case FETCH_STAGE_PROXY:
		return "proxy";
	case FETCH_STAGE_DNS:
		return "DNS";
	case FETCH_STAGE_TCP:
		return "TCP";
	case FETCH_STAGE_TLS:
	case FETCH_STAGE_TLS_CA:
	case FETCH_STAGE_TLS_PEER:
		return "TLS";
	case FETCH_STAGE_HTTP:
		return "HTTP";
	default:
		return NULL;
	}
}

/* libcurl's own text: its error buffer when it wrote one. */
static const char *fetch_curl_text(CURLcode rc, const char *errbuf)
{
	return errbuf != NULL && errbuf[0] != '\0' ? errbuf
						   : curl_easy_strerror(rc);
}

int fetch_from_curl(CURLcode rc, const char *errbuf, struct hs_err *e)
{
	const struct fetch_curl_code c = fetch_curl_lookup(rc);
	const char *why = fetch_curl_text(rc, errbuf);
	const char *stage = fetch_stage_name(c.stage);

	assert(rc != CURLE_OK);
	if (stage != NULL)
		return hs_err_set(e, c.code, "%s: %s", stage, why);
	switch (c.code) {
	case -ECANCELED:
		return hs_err_set(e, c.code,
				  "stopped: haishind is shutting down");
	case -EIO:
		return hs_err_set(e, c.code, "cannot store the body: %s", why);
	case -ENOMEM:
		return hs_err_set(e, c.code, "out of memory: %s", why);
	case -ECONNRESET:
		return hs_err_set(e, c.code, "the transfer broke off: %s", why);
	default:
		return hs_err_set(e, c.code, "%s", why);
	}
}

/*
 * fetch_from_curl() with what this transfer knows: the reason one of its
 * callbacks stopped it, whether a timeout came before any connection, the
 * URL of a redirect loop, the bytes received before a drop.
 */
static int fetch_from_perform(struct fetch *f, CURLcode rc,
			      struct fetch_xfer *x, struct hs_err *e)
{
	const char *why = fetch_curl_text(rc, f->errbuf);
	const int r = fetch_from_curl(rc, f->errbuf, e);

	switch (r) {
	case -EIO:
		return fetch_from_callback(x, x->req->url, e);
	case -ETIMEDOUT:
		return fetch_timeout(f, x, why, e);
	case -ELOOP:
		return hs_err_set(e, r, "HTTP: redirect loop at '%s'",
				  x->req->url);
	case -ECONNRESET:
		return hs_err_set(e, r,
				  "the transfer broke off after %" PRIu64
				  " bytes: %s",
				  x->resp->bytes, why);
	default:
		return r;
	}
}

/*
 * Copies a header's value, trimmed, into out.  A value that does not fit is
 * dropped whole (out becomes ""): a cut validator would never match, and
 * sending it back would restart every resume from zero.
 */
static void fetch_header_value(const char *v, size_t n, char *out, size_t cap)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= cap)
		n = 0;
	memcpy(out, v, n);
	out[n] = '\0';
}

static bool fetch_header_is(const char *line, size_t n, const char *name,
			    const char **ret_v, size_t *ret_vn)
{
	const size_t k = strlen(name);

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return false;
	*ret_v = line + k + 1;
	*ret_vn = n - k - 1;
	return true;
}

/* Retry-After: delta-seconds or an HTTP-date, at most a day away. */
static int64_t fetch_retry_after(const char *v)
{
	uint64_t secs;
	time_t when;

	if (hs_parse_u64(v, UINT64_MAX, &secs) == 0)
		return secs > FETCH_RETRY_AFTER_MAX ? FETCH_RETRY_AFTER_MAX
						    : (int64_t)secs;
	when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	if (when <= time(NULL))
		return 0;
	return when - time(NULL) > FETCH_RETRY_AFTER_MAX
		       ? FETCH_RETRY_AFTER_MAX
		       : (int64_t)(when - time(NULL));
}

/* A Content-Range, "bytes FIRST-LAST/TOTAL": TOTAL is "*" when the server
 * does not say, FIRST-LAST is "*" in a 416. */
static void fetch_content_range(struct fetch_xfer *x, const char *v)
{
	unsigned long long start;
	uint64_t total;
	const char *slash = strchr(v, '/');

	if (sscanf(v, "bytes %llu-", &start) == 1) {
		x->has_range = true;
		x->range_start = start;
	}
	if (slash != NULL && hs_parse_u64(slash + 1, UINT64_MAX, &total) == 0) {
		x->has_total = true;
		x->range_total = total;
	}
}

static size_t fetch_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct fetch_xfer *x = ud;
	const size_t n = size * nmemb;
	char value[FETCH_HEADER_MAX];
	const char *v;
	size_t vn;

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a redirect): forget the last one. */
		x->answered = true;
		x->resp->etag[0] = '\0';
		x->resp->last_modified[0] = '\0';
		x->resp->date[0] = '\0';
		x->resp->retry_after = -1;
		x->has_range = false;
		x->has_total = false;
		x->chunked = false;
		return n;
	}
	if (fetch_header_is(line, n, "ETag", &v, &vn))
		fetch_header_value(v, vn, x->resp->etag, sizeof(x->resp->etag));
	else if (fetch_header_is(line, n, "Last-Modified", &v, &vn))
		fetch_header_value(v, vn, x->resp->last_modified,
				   sizeof(x->resp->last_modified));
	else if (fetch_header_is(line, n, "Date", &v, &vn))
		fetch_header_value(v, vn, x->resp->date, sizeof(x->resp->date));
	else if (fetch_header_is(line, n, "Retry-After", &v, &vn)) {
		fetch_header_value(v, vn, value, sizeof(value));
		x->resp->retry_after = fetch_retry_after(value);
	} else if (fetch_header_is(line, n, "Content-Range", &v, &vn)) {
		fetch_header_value(v, vn, value, sizeof(value));
		fetch_content_range(x, value);
	} else if (fetch_header_is(line, n, "Transfer-Encoding", &v, &vn)) {
		fetch_header_value(v, vn, value, sizeof(value));
		x->chunked = strcasestr(value, "chunked") != NULL;
	}
	return n;
}

/* Decides, at the first body byte, where the body starts. */
static int fetch_begin(struct fetch_xfer *x)
{
	long status = 0;
	int r;

	x->begun = true;
	(void)curl_easy_getinfo(x->f->curl, CURLINFO_RESPONSE_CODE, &status);
	x->resp->status = status;
	if (status >= 300)
		return -EREMOTEIO; /* an error body is never stored */
	r = fetch_check_size(x, status);
	if (r < 0)
		return r;
	if (status == 206) {
		if (!x->has_range || x->range_start != x->req->offset)
			return -ERANGE;
		x->resp->start = x->range_start;
	} else {
		x->resp->start = 0;
	}
	if (x->resp->start > x->req->size)
		return -EFBIG;
	return x->req->begin != NULL
		       ? x->req->begin(x->req->ctx, x->resp->start)
		       : 0;
}

static double fetch_elapsed(const struct timespec *from)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - from->tv_sec) +
	       (double)(now.tv_nsec - from->tv_nsec) / 1e9;
}

/*
 * Holds the transfer to max_rate: libcurl 7.88's own receive limit lets the
 * first megabytes through at full speed, which is what a clinic's line must
 * not see.  Not reading makes TCP slow the sender down.
 */
static void fetch_pace(struct fetch_xfer *x)
{
	const uint64_t rate = x->f->cfg.max_rate;
	double ahead;
	struct timespec ts;

	if (rate == 0)
		return;
	if (x->paced_from.tv_sec == 0 && x->paced_from.tv_nsec == 0) {
		(void)clock_gettime(CLOCK_MONOTONIC, &x->paced_from);
		return;
	}
	ahead = (double)x->resp->bytes / (double)rate -
		fetch_elapsed(&x->paced_from);
	if (ahead <= 0)
		return;
	ts.tv_sec = (time_t)ahead;
	ts.tv_nsec = (long)((ahead - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

static size_t fetch_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct fetch_xfer *x = ud;
	const size_t n = size * nmemb;
	int r;

	if (!x->begun) {
		r = fetch_begin(x);
		if (r < 0) {
			x->error = r;
			return 0;
		}
	}
	if (n > x->req->size - x->resp->start - x->resp->bytes) {
		x->error = -EFBIG;
		return 0;
	}
	r = x->req->sink(x->req->ctx, (const uint8_t *)p, n);
	if (r < 0) {
		x->error = r;
		return 0;
	}
	x->resp->bytes += n;
	fetch_pace(x);
	return n;
}

/* Aborts a transfer, even one that stalls, once cancel is set. */
static int fetch_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow,
			  curl_off_t ultotal, curl_off_t ulnow)
{
	const struct fetch *f = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(f->cfg.cancel) ? 1 : 0;
}

/* Sets one option; failing means a build without a feature we rely on. */
#define FETCH_SETOPT(f, opt, val) \
	(curl_easy_setopt((f)->curl, (opt), (val)) == CURLE_OK)

static bool fetch_setup_common(struct fetch *f)
{
	const struct fetch_cfg *c = &f->cfg;
	bool ok = true;

	ok = ok && FETCH_SETOPT(f, CURLOPT_ERRORBUFFER, f->errbuf);
	ok = ok && FETCH_SETOPT(f, CURLOPT_NOSIGNAL, 1L);
	ok = ok && FETCH_SETOPT(f, CURLOPT_PROTOCOLS_STR,
				c->local_files ? "file" : "http,https");
	ok = ok && FETCH_SETOPT(f, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_FOLLOWLOCATION, c->local_files ? 0L : 1L);
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	ok = ok && FETCH_SETOPT(f, CURLOPT_USERAGENT, FETCH_USER_AGENT);
	ok = ok && FETCH_SETOPT(f, CURLOPT_BUFFERSIZE, (long)FETCH_BUFFER_SIZE);
	ok = ok && FETCH_SETOPT(f, CURLOPT_HTTP_VERSION,
				(long)CURL_HTTP_VERSION_2TLS);
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout);
	ok = ok && FETCH_SETOPT(f, CURLOPT_LOW_SPEED_LIMIT,
				(long)(c->min_rate > 0 ? c->min_rate : 1));
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_LOW_SPEED_TIME, (long)c->stall_timeout);
	if (c->max_rate > 0)
		ok = ok && FETCH_SETOPT(f, CURLOPT_MAX_RECV_SPEED_LARGE,
					(curl_off_t)c->max_rate);
	if (c->proxy != NULL && c->proxy[0] != '\0')
		ok = ok && FETCH_SETOPT(f, CURLOPT_PROXY, c->proxy);
	if (c->ca_file != NULL && c->ca_file[0] != '\0')
		ok = ok && FETCH_SETOPT(f, CURLOPT_CAINFO, c->ca_file);
	if (c->cancel != NULL) {
		ok = ok &&
		     FETCH_SETOPT(f, CURLOPT_XFERINFOFUNCTION, fetch_xferinfo);
		ok = ok && FETCH_SETOPT(f, CURLOPT_XFERINFODATA, f);
		ok = ok && FETCH_SETOPT(f, CURLOPT_NOPROGRESS, 0L);
	}
	return ok;
}

static int fetch_setup(struct fetch *f, struct fetch_xfer *x, char *range,
		       size_t range_len, struct hs_err *e)
{
	const struct fetch_req *req = x->req;
	bool ok;

	curl_easy_reset(f->curl); /* keeps the connection cache */
	f->errbuf[0] = '\0';
	ok = fetch_setup_common(f);
	ok = ok && FETCH_SETOPT(f, CURLOPT_URL, req->url);
	ok = ok && FETCH_SETOPT(f, CURLOPT_TIMEOUT, req->deadline);
	/* No CURLOPT_MAXFILESIZE: libcurl applies it to error pages too, and
	 * the write callback enforces the signed size on every body. */
	ok = ok && FETCH_SETOPT(f, CURLOPT_HEADERFUNCTION, fetch_header);
	ok = ok && FETCH_SETOPT(f, CURLOPT_HEADERDATA, x);
	ok = ok && FETCH_SETOPT(f, CURLOPT_WRITEFUNCTION, fetch_write);
	ok = ok && FETCH_SETOPT(f, CURLOPT_WRITEDATA, x);
	/* A file:// answer has no Content-Range to say where it starts:
	 * it is read whole, and the part starts over. */
	if (req->offset > 0 && !f->cfg.local_files) {
		(void)hs_snprintf(range, range_len, "%" PRIu64 "-",
				  req->offset);
		ok = ok && FETCH_SETOPT(f, CURLOPT_RANGE, range);
	}
	if (!ok)
		return hs_err_set(e, -EINVAL,
				  "libcurl refused an option for '%s'",
				  req->url);
	return 0;
}

static bool fetch_is_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Appends "name: value" to *list when value is set. */
static int fetch_header_add(struct curl_slist **list, const char *name,
			    const char *value, struct hs_err *e)
{
	char line[FETCH_VALIDATOR_MAX + 32];
	struct curl_slist *l;

	if (!fetch_is_set(value))
		return 0;
	if (hs_snprintf(line, sizeof(line), "%s: %s", name, value) < 0)
		return hs_err_set(e, -EINVAL, "validator too long");
	l = curl_slist_append(*list, line);
	if (l == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	*list = l;
	return 0;
}

/*
 * The validators go in as headers of their own: curl has no option for
 * If-Range, and its If-Modified-Since would not be the server's own text.
 */
static int fetch_conditions(struct fetch *f, const struct fetch_req *req,
			    struct curl_slist **ret_list, struct hs_err *e)
{
	struct curl_slist *list = NULL;
	int r;

	*ret_list = NULL;
	r = fetch_header_add(&list, "If-Range",
			     req->offset > 0 ? req->if_range : NULL, e);
	if (r == 0)
		r = fetch_header_add(&list, "If-None-Match", req->if_none_match,
				     e);
	if (r == 0)
		r = fetch_header_add(&list, "If-Modified-Since",
				     req->if_modified_since, e);
	if (r == 0 && list != NULL &&
	    !FETCH_SETOPT(f, CURLOPT_HTTPHEADER, list))
		r = hs_err_set(e, -EINVAL, "libcurl refused a header");
	if (r < 0) {
		curl_slist_free_all(list);
		return r;
	}
	*ret_list = list;
	return 0;
}

/* A 304 stands for the caller's copy: only a request that named one by its
 * validators can be answered so. */
static int fetch_not_modified(const struct fetch_req *req, struct hs_err *e)
{
	if (fetch_is_set(req->if_none_match) ||
	    fetch_is_set(req->if_modified_since))
		return 0;
	return hs_err_set(e, -EREMOTEIO,
			  "HTTP: the server answered 304 (not modified) for "
			  "'%s', but the request sent no validators "
			  "(If-None-Match, If-Modified-Since): the server or a "
			  "proxy in between is broken",
			  req->url);
}

/*
 * A whole body (not a range) that ended where the server marked its end -
 * its Content-Length, the last chunk, the end of an HTTP/2 or HTTP/3
 * stream - short of the signed size.  A body that ends only with the
 * connection is not marked: its end may be a drop.
 */
static bool fetch_ended_short(const struct fetch_xfer *x, long version)
{
	curl_off_t len = -1;

	if (!x->req->size_signed || x->resp->status == 206 ||
	    x->resp->bytes == x->req->size)
		return false;
	(void)curl_easy_getinfo(x->f->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
				&len);
	return len >= 0 || x->chunked || version == CURL_HTTP_VERSION_2_0 ||
	       version == CURL_HTTP_VERSION_3;
}

/* After a transfer libcurl called a success: statuses it let through. */
static int fetch_finish(struct fetch *f, struct fetch_xfer *x, struct hs_err *e)
{
	long version = 0;

	(void)curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE,
				&x->resp->status);
	(void)curl_easy_getinfo(f->curl, CURLINFO_HTTP_VERSION, &version);
	x->resp->http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : 1;
	if (x->resp->status >= 400)
		return fetch_from_error_status(x, e);
	if (x->resp->status == 304)
		return fetch_not_modified(x->req, e);
	if (!x->begun) { /* an empty body */
		x->error = fetch_begin(x);
		if (x->error < 0)
			return fetch_from_callback(x, x->req->url, e);
	}
	if (fetch_ended_short(x, version)) {
		x->wrong_size = x->resp->bytes;
		x->wrong_total = false;
		return fetch_wrong_size(x, e);
	}
	return 0;
}

int fetch_get(struct fetch *f, const struct fetch_req *req,
	      struct fetch_resp *resp, struct hs_err *e)
{
	struct fetch_xfer x = {.f = f, .req = req, .resp = resp};
	struct curl_slist *headers = NULL;
	char range[32];
	CURLcode rc;
	int r;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	r = fetch_setup(f, &x, range, sizeof(range), e);
	if (r == 0)
		r = fetch_conditions(f, req, &headers, e);
	if (r < 0)
		return r;
	rc = curl_easy_perform(f->curl);
	if (rc != CURLE_OK)
		r = fetch_from_perform(f, rc, &x, e);
	else
		r = fetch_finish(f, &x, e);
	curl_slist_free_all(headers);
	return r;
}

struct fetch_membuf {
	char *p;
	size_t n;
	size_t cap;
	size_t max; /* never more than max + 1 bytes are allocated */
};

static int fetch_mem_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct fetch_membuf *b = ctx;

	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 4096;
		char *q;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		q = realloc(b->p, cap);
		if (q == NULL)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

/* Visible ASCII only: a validator is sent back as a header line. */
static bool fetch_is_visible(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	}
	return true;
}

bool fetch_validators_usable(const struct fetch_resp *resp)
{
	time_t date;
	time_t modified;

	if (!fetch_is_visible(resp->etag) ||
	    !fetch_is_visible(resp->last_modified))
		return false;
	if (resp->last_modified[0] == '\0')
		return resp->etag[0] != '\0';
	date = curl_getdate(resp->date, NULL);
	modified = curl_getdate(resp->last_modified, NULL);
	/* Both have a resolution of one second. */
	return date >= 0 && modified >= 0 && date > modified;
}

int fetch_buf(struct fetch *f, const char *url, size_t max, char **ret_buf,
	      size_t *ret_len, int64_t *ret_retry_after, struct hs_err *e)
{
	struct fetch_resp resp;
	int r;

	r = fetch_buf_cond(f, url, max, NULL, &resp, ret_buf, ret_len, e);
	if (ret_retry_after != NULL)
		*ret_retry_after = resp.retry_after;
	return r;
}

int fetch_buf_cond(struct fetch *f, const char *url, size_t max,
		   const struct fetch_cond *cond, struct fetch_resp *resp,
		   char **ret_buf, size_t *ret_len, struct hs_err *e)
{
	struct fetch_membuf b = {NULL, 0, 0, max};
	struct fetch_req req;
	int r;

	memset(&req, 0, sizeof(req));
	req.url = url;
	req.size = max;
	req.deadline = FETCH_METADATA_DEADLINE;
	req.sink = fetch_mem_sink;
	req.ctx = &b;
	if (cond != NULL) {
		req.if_none_match = cond->etag;
		req.if_modified_since = cond->last_modified;
	}
	r = fetch_get(f, &req, resp, e);
	if (r == 0 && resp->status == 304) {
		free(b.p);
		return 1;
	}
	if (r == 0 && b.p == NULL)
		r = fetch_mem_sink(&b, (const uint8_t *)"", 0);
	if (r < 0) {
		free(b.p);
		return r == -ENOMEM ? hs_err_set(e, r, "out of memory") : r;
	}
	*ret_buf = b.p;
	*ret_len = b.n;
	return 0;
}
