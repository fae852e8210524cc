/*
 * diag_int.h - what the files of the connection check share: the state the
 * stages pass along (struct diag), the stage functions the runner calls, and
 * the helpers that write a stage's detail and the vendor's advice.
 *
 * diag.c runs the stages and holds the helpers; diag_net.c has the network
 * stages (proxy, dns, tcp, tls, http); diag_trust.c the trust stages
 * (signature, freshness).  Nothing outside these files includes this header:
 * diag.h is the module's interface.
 */
#ifndef HAISHIN_DIAG_INT_H
#define HAISHIN_DIAG_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "hs_err.h"
#include "hs_limits.h"

#define DIAG_PORT_MAX 8 /* "65535" */
#define DIAG_URL_MAX (HS_URL_MAX + 32) /* base URL + a metadata file */

struct addrinfo;
struct fetch;
struct manifest;
struct root;

/* Where a URL points: scheme, host (IPv6 without brackets) and port. */
struct diag_endpoint {
	char scheme[16];
	char host[HS_URL_MAX];
	char port[DIAG_PORT_MAX];
};

struct diag {
	const struct config *cfg;
	const atomic_bool *cancel; /* set: stop at the next chance */
	struct db *db;
	int64_t now;
	char *advice; /* the report's, DIAG_ADVICE_MAX bytes */
	bool has_proxy;
	struct diag_endpoint proxy;
	struct diag_endpoint server;
	struct addrinfo *addrs; /* the server's, NULL when the proxy resolves */
	struct fetch *fetch;
	char *manifest; /* manifest.json as fetched */
	size_t manifest_len;
	struct db_trust trust; /* accepted last; zeros without a database */
	struct root *root;
	struct manifest *m;
};

/* True once the caller asked the diagnosis to stop. */
bool diag_cancelled(const struct diag *d);

/* One stage: 0 with detail written, or a negative errno with e set. */
typedef int diag_stage_fn(struct diag *d, char *detail, size_t n,
			  struct hs_err *e);

/* The network stages, in the order they run (diag_net.c); each is a
 * diag_stage_fn. */
int diag_proxy(struct diag *d, char *detail, size_t n, struct hs_err *e);
int diag_dns(struct diag *d, char *detail, size_t n, struct hs_err *e);
int diag_tcp(struct diag *d, char *detail, size_t n, struct hs_err *e);
int diag_tls(struct diag *d, char *detail, size_t n, struct hs_err *e);
int diag_http(struct diag *d, char *detail, size_t n, struct hs_err *e);

/* The trust stages, after them (diag_trust.c). */
int diag_signature(struct diag *d, char *detail, size_t n, struct hs_err *e);
int diag_freshness(struct diag *d, char *detail, size_t n, struct hs_err *e);

/* Writes a stage's detail (cut to n bytes, ending in "..."); returns 0, so a
 * stage ends with it. */
int diag_detail(char *detail, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes the advice for the vendor into d->advice; returns code. */
int diag_advise(struct diag *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Milliseconds since t0 (CLOCK_MONOTONIC), capped at UINT32_MAX. */
uint32_t diag_ms_since(const struct timespec *t0);

/* The base URL joined with a metadata file name; -ENAMETOOLONG when it does
 * not fit in n bytes. */
int diag_url(const struct diag *d, const char *name, char *out, size_t n,
	     struct hs_err *e);

#endif
