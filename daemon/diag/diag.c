/*
 * diag.c - the staged connection check: the runner, and the helpers the
 * stages write their detail and advice with.
 *
 * Each stage is a function that returns 0 and writes its detail, or a
 * negative errno with the reason in e; where it knows why, it also writes
 * the advice for the vendor (diag_advise), else the runner writes a generic
 * one.  The runner times each stage, copies the reason into the detail and
 * stops at the first failure.  What a stage learns for the next ones (the
 * parsed URLs, the server's addresses, the fetch handle, manifest.json, the
 * root, the parsed manifest) lives in struct diag (diag_int.h) and is
 * released at the end.  The network stages are in diag_net.c, the trust
 * stages in diag_trust.c.  Nothing is written to disk or the database, and
 * nothing is logged.
 */
#include "diag.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag_int.h"
#include "fetch.h"
#include "hs_limits.h"
#include "i18n.h"
#include "manifest.h"
#include "root.h"
#include "state.h"
#include "str.h"

#define DIAG_TEXT_MAX (HS_URL_MAX + DIAG_ADVICE_MAX) /* before it is cut */

/*
 * Copies src into dst (n bytes); text that does not fit ends in "...", cut
 * at a UTF-8 character boundary (a path may be Japanese).
 */
static void diag_copy_cut(char *dst, size_t n, const char *src)
{
	size_t at;

	if (hs_strlcpy(dst, src, n) == 0 || n < 4)
		return;
	at = n - 4;
	while (at > 0 && ((unsigned char)dst[at] & 0xc0) == 0x80)
		at--;
	memcpy(dst + at, "...", 4);
}

static void diag_vformat(char *dst, size_t n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void diag_vformat(char *dst, size_t n, const char *fmt, va_list ap)
{
	char text[DIAG_TEXT_MAX];

	(void)vsnprintf(text, sizeof(text), fmt, ap);
	diag_copy_cut(dst, n, text);
}

int diag_detail(char *detail, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vformat(detail, n, fmt, ap);
	va_end(ap);
	return 0;
}

int diag_advise(struct diag *d, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vformat(d->advice, DIAG_ADVICE_MAX, fmt, ap);
	va_end(ap);
	return code;
}

uint32_t diag_ms_since(const struct timespec *t0)
{
	struct timespec t;
	int64_t ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (int64_t)(t.tv_sec - t0->tv_sec) * 1000 +
	     (t.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

int diag_url(const struct diag *d, const char *name, char *out, size_t n,
	     struct hs_err *e)
{
	if (hs_snprintf(out, n, "%s%s", d->cfg->url, name) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "[server] url is too long");
	return 0;
}

/* --- the runner ------------------------------------------------------ */

static const struct {
	const char *name;
	diag_stage_fn *run;
	enum state fails_as; /* what an attempt failing there would end in */
} diag_stages[DIAG_STAGES] = {
	[DIAG_PROXY] = {"proxy", diag_proxy, STATE_FAILED_CONNECT},
	[DIAG_DNS] = {"dns", diag_dns, STATE_FAILED_CONNECT},
	[DIAG_TCP] = {"tcp", diag_tcp, STATE_FAILED_CONNECT},
	[DIAG_TLS] = {"tls", diag_tls, STATE_FAILED_CONNECT},
	[DIAG_HTTP] = {"http", diag_http, STATE_FAILED_CONNECT},
	[DIAG_SIGNATURE] = {"signature", diag_signature, STATE_FAILED_VERIFY},
	[DIAG_FRESHNESS] = {"freshness", diag_freshness, STATE_FAILED_VERIFY},
};

int diag_exit_code(const struct diag_report *rep)
{
	if (rep->all_ok || rep->failed < 0 || rep->failed >= DIAG_STAGES)
		return state_exit_code(STATE_UP_TO_DATE);
	return state_exit_code(diag_stages[rep->failed].fails_as);
}

const char *diag_failed_state(const struct diag_report *rep)
{
	if (rep->all_ok || rep->failed < 0 || rep->failed >= DIAG_STAGES)
		return "";
	return state_name(diag_stages[rep->failed].fails_as);
}

const char *diag_stage_name(enum diag_stage s)
{
	if ((unsigned)s >= DIAG_STAGES)
		return "?";
	return diag_stages[s].name;
}

bool diag_cancelled(const struct diag *d)
{
	return d->cancel != NULL && atomic_load(d->cancel);
}

static int diag_stage_run(struct diag *d, enum diag_stage s,
			  struct diag_result *res)
{
	struct timespec t0;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	r = diag_cancelled(d) ? -ECANCELED
			      : diag_stages[s].run(d, res->detail,
						   sizeof(res->detail), &e);
	if (r < 0 && diag_cancelled(d))
		r = hs_err_set(&e, -ECANCELED,
			       "stopped: haishind is shutting down");
	res->ms = diag_ms_since(&t0);
	res->ran = true;
	res->ok = r >= 0;
	if (r >= 0)
		return 0;
	diag_copy_cut(res->detail, sizeof(res->detail),
		      e.msg[0] != '\0' ? e.msg : strerror(-r));
	if (d->advice[0] == '\0' && r != -ECANCELED)
		(void)diag_advise(
			d, r,
			_("The %s check failed (see the detail): tell "
			  "the publisher or the network's "
			  "administrator."),
			diag_stages[s].name);
	return r;
}

static void diag_clear(struct diag *d)
{
	if (d->addrs != NULL)
		freeaddrinfo(d->addrs);
	fetch_free(d->fetch);
	free(d->manifest);
	manifest_free(d->m);
	root_free(d->root);
}

void diag_run(const struct config *cfg, struct db *db, int64_t now,
	      const atomic_bool *cancel, struct diag_report *ret)
{
	struct diag d;
	int s;

	memset(ret, 0, sizeof(*ret));
	ret->failed = -1;
	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.cancel = cancel;
	d.db = db;
	d.now = now;
	d.advice = ret->advice;
	d.has_proxy = cfg->proxy[0] != '\0';
	for (s = 0; s < DIAG_STAGES; s++) {
		ret->stages[s].stage = (enum diag_stage)s;
		if (ret->failed < 0 &&
		    diag_stage_run(&d, (enum diag_stage)s, &ret->stages[s]) < 0)
			ret->failed = s;
	}
	ret->all_ok = ret->failed < 0;
	diag_clear(&d);
}
