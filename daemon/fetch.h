/*
 * fetch.h - HTTP(S) downloads with libcurl.  The only module that touches
 * the network.
 *
 * Every size the server controls is capped by the caller (a body over the
 * cap stops with -EFBIG, whether or not the server announced a length).
 * Errors name the stage that failed, and map to negative errnos:
 *
 *	-EHOSTUNREACH	proxy or DNS: the name did not resolve
 *	-ECONNREFUSED	TCP: no connection
 *	-EPROTO		TLS: handshake or certificate
 *	-ENOENT		HTTP 404/410: the file is not on the server
 *	-EREMOTEIO	another HTTP error status (e.g. 503)
 *	-ELOOP		too many redirects
 *	-ETIMEDOUT	connect timeout, or no progress for stall_timeout
 *	-ECONNRESET	the transfer broke off
 *	-EFBIG		the body exceeds the cap
 *	other		the sink's own error (e.g. -ENOSPC), unchanged
 */
#ifndef HAISHIN_FETCH_H
#define HAISHIN_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct fetch_cfg {
	const char *proxy; /* NULL or "": libcurl's default */
	const char *ca_file; /* NULL or "": the system store */
	uint32_t connect_timeout;
	uint32_t stall_timeout;
	uint64_t max_rate; /* bytes per second, 0 = no limit */
};

struct fetch;

/* The caller frees *ret_f with fetch_free().  curl_global_init is main's. */
int fetch_new(const struct fetch_cfg *cfg, struct fetch **ret_f,
	      struct hs_err *e);
void fetch_free(struct fetch *f);

/*
 * The sink for a body: called with each piece as it arrives.  Returns 0 or a
 * negative errno that aborts the transfer and becomes fetch_stream's result.
 */
typedef int fetch_sink_fn(void *ctx, const uint8_t *p, size_t n);

/*
 * GETs url, passing the body to sink; at most max bytes.  *ret_bytes gets
 * the number of body bytes passed to sink, also on failure.
 */
int fetch_stream(struct fetch *f, const char *url, uint64_t max,
		 fetch_sink_fn *sink, void *ctx, uint64_t *ret_bytes,
		 struct hs_err *e);

/*
 * GETs url into a malloc'ed, NUL-terminated buffer of at most max bytes,
 * within a fixed deadline (metadata is small; a trickle must not hold a run).
 */
int fetch_buf(struct fetch *f, const char *url, size_t max, char **ret_buf,
	      size_t *ret_len, struct hs_err *e);

/* True for the errors of fetch.h's list that mean "could not connect". */
bool fetch_error_is_connect(int code);

#endif
