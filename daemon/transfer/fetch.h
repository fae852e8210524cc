/*
 * fetch.h - HTTP(S) GETs with libcurl: the only module that touches the
 * network.
 *
 * A GET may ask for a range (resuming a download) guarded by a validator
 * (If-Range); the server's answer says where the body starts, and the
 * caller's begin() hook learns it before the first byte.  A GET may be
 * conditional (If-None-Match, If-Modified-Since): a 304 answer to it is a
 * success without a body, while a 304 to a GET that sent no validators is
 * an error (-EREMOTEIO), since nothing can stand in for the body.  Every size the
 * server controls is capped by the caller's signed size (a body over it
 * stops with -EFBIG, whether or not the server announced a length).  When
 * the size is signed, an answer that states another size for the file - the
 * Content-Length of a whole body, the total of a Content-Range (206 or
 * 416) - is refused before its first byte reaches the sink, and a whole
 * body whose end is marked (Content-Length, chunked, HTTP/2) but comes
 * short of the signed size fails after it: both -EMSGSIZE, the server has
 * another file.  A body that ends only with the connection may be a drop:
 * it is a success the caller sees short.  One
 * handle is reused, so connections to a server are kept alive; HTTP/2 is
 * used where the server offers it over TLS.
 *
 * Errors name the stage that failed, and map to negative errnos:
 *
 *	-EHOSTUNREACH	proxy or DNS: the name did not resolve
 *	-ECONNREFUSED	TCP: no connection
 *	-EHOSTDOWN	TCP: the connection timed out
 *	-EPROTO		TLS: handshake or certificate
 *	-ELOOP		HTTP: too many redirects
 *	-ENOENT		HTTP 404/410: the file is not on the server (for a
 *			file:// URL: the file is not there)
 *	-ERANGE		HTTP 416, or a 206 for another range than asked
 *	-EAGAIN		HTTP 429/503: busy; see retry_after
 *	-EREMOTEIO	HTTP: another 5xx, or a 304 to a GET without validators
 *	-EACCES		HTTP: another 4xx (403, 401, ...)
 *	-ETIMEDOUT	stalled (below min_rate for stall_timeout) or deadline
 *	-ECONNRESET	the transfer broke off
 *	-EFBIG		the body exceeds the signed size (endless data)
 *	-EMSGSIZE	the server's file has another size than the signed one
 *	-ECANCELED	cfg->cancel was set
 *	-ENOMEM		libcurl ran out of memory
 *	other		the sink's own error (e.g. -ENOSPC), unchanged
 *
 * fetch_from_curl() is the one place a CURLcode becomes one of these; the
 * connection check (daemon/diag) uses it too.
 */
#ifndef HAISHIN_FETCH_H
#define HAISHIN_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "hs_err.h"

#define FETCH_VALIDATOR_MAX 128

/* Where a request failed, as its CURLcode tells. */
enum fetch_stage {
	FETCH_STAGE_LOCAL, /* this side: a callback, a cancel, memory */
	FETCH_STAGE_PROXY, /* the proxy's name did not resolve */
	FETCH_STAGE_DNS, /* the server's name did not resolve */
	FETCH_STAGE_TCP, /* no connection */
	FETCH_STAGE_TLS, /* the handshake */
	FETCH_STAGE_TLS_CA, /* the CA file ([server] ca_file) cannot be used */
	FETCH_STAGE_TLS_PEER, /* the server's certificate is not trusted */
	FETCH_STAGE_HTTP, /* a redirect loop */
	FETCH_STAGE_TRANSFER, /* a drop or a timeout, anything else */
};

/*
 * Translates libcurl's rc (not CURLE_OK) into the negative errno of the
 * table above, with e's message naming the stage and quoting libcurl's own
 * text: errbuf (its CURLOPT_ERRORBUFFER, may be NULL) when not empty, else
 * curl_easy_strerror(rc).  "DNS: Could not resolve host: example.invalid".
 * fetch_get() says more where it knows more: the sink's reason for a
 * CURLE_WRITE_ERROR (-EIO here), -EHOSTDOWN for a timeout before any
 * connection, the URL of a redirect loop, the bytes before a drop.
 */
int fetch_from_curl(CURLcode rc, const char *errbuf, struct hs_err *e);

/* The stage of rc, from the same table as fetch_from_curl(). */
enum fetch_stage fetch_curl_stage(CURLcode rc);

/* "proxy", "DNS", "TCP", "TLS" (all three), "HTTP"; NULL for the others. */
const char *fetch_stage_name(enum fetch_stage stage);

struct fetch_cfg {
	const char *proxy; /* NULL or "": libcurl's default */
	const char *ca_file; /* NULL or "": the system store */
	uint32_t connect_timeout;
	uint32_t stall_timeout;
	uint64_t min_rate; /* bytes per second below which a transfer stalls */
	uint64_t max_rate; /* bytes per second, 0 = no limit */
	const atomic_bool *cancel; /* set: abort the transfer (NULL: never) */
	/* Read file:// URLs only (a pushed bundle, unpacked in the cache)
	 * instead of http and https; a file is always read whole. */
	bool local_files;
};

struct fetch;

/* The caller frees *ret_f with fetch_free().  curl_global_init is main's. */
int fetch_new(const struct fetch_cfg *cfg, struct fetch **ret_f,
	      struct hs_err *e);
void fetch_free(struct fetch *f);

/* Called once, before the first body byte: the body starts at byte start
 * of the resource (0 when the server sent it whole).  Negative aborts. */
typedef int fetch_begin_fn(void *ctx, uint64_t start);

/* Called with each piece of the body; a negative errno aborts. */
typedef int fetch_sink_fn(void *ctx, const uint8_t *p, size_t n);

struct fetch_req {
	const char *url;
	uint64_t size; /* the whole resource's size cap */
	bool size_signed; /* size is the signed size, not only a limit */
	uint64_t offset; /* ask for the bytes from here (Range), 0 = all */
	const char *if_range; /* validator guarding the range, or NULL */
	/* A conditional GET: the ETag and the Last-Modified of the copy the
	 * caller holds, sent as If-None-Match and If-Modified-Since (NULL or
	 * "": not sent). */
	const char *if_none_match;
	const char *if_modified_since;
	long deadline; /* seconds for the request, 0 = none */
	fetch_begin_fn *begin; /* may be NULL */
	fetch_sink_fn *sink;
	void *ctx;
};

/* What the server said; filled as far as known, also on failure. */
struct fetch_resp {
	long status;
	char etag[FETCH_VALIDATOR_MAX]; /* "" when none */
	char last_modified[FETCH_VALIDATOR_MAX];
	char date[FETCH_VALIDATOR_MAX]; /* the Date header, "" when none */
	int64_t retry_after; /* seconds from now (at most a day), -1: none */
	uint64_t start; /* where the body began in the resource */
	uint64_t bytes; /* body bytes given to the sink */
	long http_version; /* 1 or 2 */
};

/*
 * Performs one GET as req says; fills *resp.  0 or an error above; a
 * conditional GET answered 304 is 0 with resp->status 304 and no body.
 */
int fetch_get(struct fetch *f, const struct fetch_req *req,
	      struct fetch_resp *resp, struct hs_err *e);

/*
 * Whether resp's validators may be sent back later in a conditional GET:
 * each is visible ASCII, and a Last-Modified is at least a second older
 * than the answer's Date.  A server that derives its validators from the
 * file's modification time in seconds (nginx's ETag is mtime-size) gives a
 * file rewritten within that second the same ones, so validators of a file
 * that was still that young could later match different bytes (RFC 9110
 * 8.8.2.2 calls such a Last-Modified weak).
 */
bool fetch_validators_usable(const struct fetch_resp *resp);

/*
 * GETs url into a malloc'ed, NUL-terminated buffer of at most max bytes,
 * within a fixed deadline (metadata is small; a trickle must not hold a run).
 * *ret_retry_after (when not NULL) gets the server's Retry-After, or -1,
 * also on failure.
 */
int fetch_buf(struct fetch *f, const char *url, size_t max, char **ret_buf,
	      size_t *ret_len, int64_t *ret_retry_after, struct hs_err *e);

/* The validators of the copy a conditional GET is for. */
struct fetch_cond {
	const char *etag; /* sent as If-None-Match; NULL or "": not sent */
	const char *last_modified; /* sent as If-Modified-Since; likewise */
};

/*
 * fetch_buf, conditional on cond (NULL: not conditional): returns 1 when
 * the server answered 304 Not Modified (*ret_buf untouched, the caller's
 * copy stands), 0 with the body, or an error above.  *resp gets the answer's
 * headers (validators, Date, Retry-After), also on failure.
 */
int fetch_buf_cond(struct fetch *f, const char *url, size_t max,
		   const struct fetch_cond *cond, struct fetch_resp *resp,
		   char **ret_buf, size_t *ret_len, struct hs_err *e);

#endif
