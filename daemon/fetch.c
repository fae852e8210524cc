/*
 * fetch.c - libcurl easy transfers with capped bodies and errors that name
 * their stage.  CURLcodes are translated here, once (fetch_from_curl), with
 * curl's own text from CURLOPT_ERRORBUFFER.  One easy handle is reused so
 * connections to the same server are kept alive between requests.
 */
#include "fetch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define FETCH_USER_AGENT "haishin/0.1"
#define FETCH_MAX_REDIRECTS 5
/* Metadata is small: a server that trickles it must not hold a run. */
#define FETCH_METADATA_DEADLINE 120

struct fetch {
	CURL *curl;
	struct fetch_cfg cfg;
	char errbuf[CURL_ERROR_SIZE];
};

/* The state of one transfer, seen by the write callback. */
struct fetch_xfer {
	fetch_sink_fn *sink;
	void *ctx;
	uint64_t max;
	uint64_t bytes;
	int sink_error; /* the sink's or the cap's error, 0 if none */
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

bool fetch_error_is_connect(int code)
{
	switch (code) {
	case -EHOSTUNREACH:
	case -ECONNREFUSED:
	case -EPROTO:
	case -ENOENT:
	case -EREMOTEIO:
	case -ELOOP:
		return true;
	default:
		return false;
	}
}

static int fetch_from_http(long status, const char *url, struct hs_err *e)
{
	if (status == 404 || status == 410)
		return hs_err_set(e, -ENOENT,
				  "HTTP: %ld, '%s' is not on the "
				  "server",
				  status, url);
	return hs_err_set(e, -EREMOTEIO,
			  "HTTP: the server answered %ld for "
			  "'%s'",
			  status, url);
}

/* Translates a CURLcode into a negative errno with the stage that failed. */
static int fetch_from_curl(struct fetch *f, CURLcode rc,
			   const struct fetch_xfer *x, const char *url,
			   struct hs_err *e)
{
	const char *why =
		f->errbuf[0] != '\0' ? f->errbuf : curl_easy_strerror(rc);
	long status = 0;

	switch (rc) {
	case CURLE_WRITE_ERROR:
		if (x->sink_error == -EFBIG)
			return hs_err_set(e, -EFBIG,
					  "endless data: '%s' sent more than "
					  "the %llu bytes expected",
					  url, (unsigned long long)x->max);
		if (x->sink_error != 0)
			return hs_err_set(e, x->sink_error,
					  "cannot store '%s': %s", url,
					  strerror(-x->sink_error));
		return hs_err_set(e, -EIO, "cannot store '%s': %s", url, why);
	case CURLE_FILESIZE_EXCEEDED:
		return hs_err_set(e, -EFBIG,
				  "endless data: '%s' announces more than the "
				  "%llu bytes expected",
				  url, (unsigned long long)x->max);
	case CURLE_COULDNT_RESOLVE_PROXY:
		return hs_err_set(e, -EHOSTUNREACH, "proxy: %s", why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return hs_err_set(e, -EHOSTUNREACH, "DNS: %s", why);
	case CURLE_COULDNT_CONNECT:
		return hs_err_set(e, -ECONNREFUSED, "TCP: %s", why);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return hs_err_set(e, -EPROTO, "TLS: %s", why);
	case CURLE_HTTP_RETURNED_ERROR:
		(void)curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE,
					&status);
		return fetch_from_http(status, url, e);
	case CURLE_TOO_MANY_REDIRECTS:
		return hs_err_set(e, -ELOOP, "HTTP: redirect loop at '%s'",
				  url);
	case CURLE_OPERATION_TIMEDOUT:
		return hs_err_set(e, -ETIMEDOUT,
				  "stalled or timed out after "
				  "%llu bytes: %s",
				  (unsigned long long)x->bytes, why);
	default:
		return hs_err_set(e, -ECONNRESET,
				  "transfer broke off after %llu bytes: %s",
				  (unsigned long long)x->bytes, why);
	}
}

static size_t fetch_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct fetch_xfer *x = userdata;
	const size_t n = size * nmemb;
	int r;

	if (n > x->max - x->bytes) {
		x->sink_error = -EFBIG;
		return 0;
	}
	r = x->sink(x->ctx, (const uint8_t *)p, n);
	if (r < 0) {
		x->sink_error = r;
		return 0;
	}
	x->bytes += n;
	return n;
}

/* Sets one option; a failure is a programming or build error, reported. */
#define FETCH_SETOPT(f, opt, val) \
	(curl_easy_setopt((f)->curl, (opt), (val)) == CURLE_OK)

static int fetch_setup(struct fetch *f, const char *url, struct fetch_xfer *x,
		       long deadline, struct hs_err *e)
{
	const struct fetch_cfg *c = &f->cfg;
	bool ok = true;

	curl_easy_reset(f->curl);
	f->errbuf[0] = '\0';
	ok = ok && FETCH_SETOPT(f, CURLOPT_URL, url);
	ok = ok && FETCH_SETOPT(f, CURLOPT_ERRORBUFFER, f->errbuf);
	ok = ok && FETCH_SETOPT(f, CURLOPT_NOSIGNAL, 1L);
	ok = ok && FETCH_SETOPT(f, CURLOPT_PROTOCOLS_STR, "http,https");
	ok = ok && FETCH_SETOPT(f, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	ok = ok && FETCH_SETOPT(f, CURLOPT_FOLLOWLOCATION, 1L);
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	ok = ok && FETCH_SETOPT(f, CURLOPT_FAILONERROR, 1L);
	ok = ok && FETCH_SETOPT(f, CURLOPT_USERAGENT, FETCH_USER_AGENT);
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout);
	ok = ok && FETCH_SETOPT(f, CURLOPT_LOW_SPEED_LIMIT, 1L);
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_LOW_SPEED_TIME, (long)c->stall_timeout);
	ok = ok &&
	     FETCH_SETOPT(f, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
	ok = ok && FETCH_SETOPT(f, CURLOPT_TIMEOUT, deadline);
	ok = ok && FETCH_SETOPT(f, CURLOPT_WRITEFUNCTION, fetch_write);
	ok = ok && FETCH_SETOPT(f, CURLOPT_WRITEDATA, x);
	if (c->max_rate > 0)
		ok = ok && FETCH_SETOPT(f, CURLOPT_MAX_RECV_SPEED_LARGE,
					(curl_off_t)c->max_rate);
	if (c->proxy != NULL && c->proxy[0] != '\0')
		ok = ok && FETCH_SETOPT(f, CURLOPT_PROXY, c->proxy);
	if (c->ca_file != NULL && c->ca_file[0] != '\0')
		ok = ok && FETCH_SETOPT(f, CURLOPT_CAINFO, c->ca_file);
	if (!ok)
		return hs_err_set(e, -EINVAL,
				  "libcurl refused an option for '%s'", url);
	return 0;
}

static int fetch_run(struct fetch *f, const char *url, uint64_t max,
		     long deadline, fetch_sink_fn *sink, void *ctx,
		     uint64_t *ret_bytes, struct hs_err *e)
{
	struct fetch_xfer x = {sink, ctx, max, 0, 0};
	CURLcode rc;
	int r;

	r = fetch_setup(f, url, &x, deadline, e);
	if (r < 0)
		return r;
	rc = curl_easy_perform(f->curl);
	*ret_bytes = x.bytes;
	if (rc != CURLE_OK)
		return fetch_from_curl(f, rc, &x, url, e);
	return 0;
}

int fetch_stream(struct fetch *f, const char *url, uint64_t max,
		 fetch_sink_fn *sink, void *ctx, uint64_t *ret_bytes,
		 struct hs_err *e)
{
	return fetch_run(f, url, max, 0, sink, ctx, ret_bytes, e);
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

int fetch_buf(struct fetch *f, const char *url, size_t max, char **ret_buf,
	      size_t *ret_len, struct hs_err *e)
{
	struct fetch_membuf b = {NULL, 0, 0, max};
	uint64_t bytes = 0;
	int r;

	r = fetch_run(f, url, max, FETCH_METADATA_DEADLINE, fetch_mem_sink, &b,
		      &bytes, e);
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
