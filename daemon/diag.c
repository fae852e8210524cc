/*
 * diag.c - the staged connection check.
 *
 * Each stage is a function that returns 0 and writes its detail, or a
 * negative errno with the reason in e; where it knows why, it also writes
 * the advice for the vendor (diag_advise), else the runner writes a generic
 * one.  The runner times each stage, copies the reason into the detail and
 * stops at the first failure.  What a stage learns for the next ones (the
 * parsed URLs, the server's addresses, the fetch handle, manifest.json, the
 * root, the parsed manifest) lives in struct diag and is released at the
 * end.  Nothing is written to disk or the database, and nothing is logged.
 */
#include "diag.h"

#include "cycle.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dsse.h"
#include "fetch.h"
#include "hs_limits.h"
#include "i18n.h"
#include "manifest.h"
#include "root.h"
#include "str.h"
#include "trust.h"

#define DIAG_MAX_ADDRS 4 /* addresses shown, and tried in turn */
#define DIAG_MAX_ROOT_STEPS 64 /* as far as an update check walks */
#define DIAG_ROOT_FILE "root.json"
#define DIAG_MANIFEST_FILE "manifest.json"
#define DIAG_PORT_MAX 8 /* "65535" */
#define DIAG_WHERE_MAX (HS_URL_MAX + DIAG_PORT_MAX + 4) /* "[host]:port" */
#define DIAG_WHERE_ADDR_MAX (DIAG_WHERE_MAX + NI_MAXHOST + 3)
#define DIAG_URL_MAX (HS_URL_MAX + 32) /* base URL + a metadata file */
#define DIAG_TEXT_MAX (HS_URL_MAX + DIAG_ADVICE_MAX) /* before it is cut */
#define DIAG_DAY 86400
/* What libcurl's OpenSSL backend says once the handshake is done. */
#define DIAG_TLS_SAYS "SSL connection using "
#define DIAG_TLS_VERSION_MAX 128

/* Where a URL points: scheme, host (IPv6 without brackets) and port. */
struct diag_endpoint {
	char scheme[16];
	char host[HS_URL_MAX];
	char port[DIAG_PORT_MAX];
};

struct diag {
	const struct config *cfg;
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

/* One stage: 0 with detail written, or a negative errno with e set. */
typedef int diag_stage_fn(struct diag *d, char *detail, size_t n,
			  struct hs_err *e);

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

/* Writes a stage's detail; returns 0, so a stage ends with it. */
static int diag_detail(char *detail, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int diag_detail(char *detail, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vformat(detail, n, fmt, ap);
	va_end(ap);
	return 0;
}

/* Writes the advice for the vendor; returns code. */
static int diag_advise(struct diag *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int diag_advise(struct diag *d, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vformat(d->advice, DIAG_ADVICE_MAX, fmt, ap);
	va_end(ap);
	return code;
}

static uint32_t diag_ms_since(const struct timespec *t0)
{
	struct timespec t;
	int64_t ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (int64_t)(t.tv_sec - t0->tv_sec) * 1000 +
	     (t.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* Whole days from b to a (negative when a is earlier). */
static int64_t diag_days(int64_t a, int64_t b)
{
	return (a - b) / DIAG_DAY;
}

/* "host:port", with brackets around an IPv6 address. */
static void diag_where(const struct diag_endpoint *ep, char *out, size_t n)
{
	const bool v6 = strchr(ep->host, ':') != NULL;

	(void)snprintf(out, n, "%s%s%s:%s", v6 ? "[" : "", ep->host,
		       v6 ? "]" : "", ep->port);
}

/* --- URLs ------------------------------------------------------------ */

/* Copies one part of a parsed URL into out (cap bytes). */
static int diag_url_part(CURLU *u, CURLUPart part, unsigned flags, char *out,
			 size_t cap, struct hs_err *e)
{
	char *s = NULL;
	CURLUcode uc;
	int r = 0;

	uc = curl_url_get(u, part, &s, flags);
	if (uc == CURLUE_OUT_OF_MEMORY)
		r = hs_err_set(e, -ENOMEM, "out of memory");
	else if (uc != CURLUE_OK)
		r = hs_err_set(e, -EINVAL, "%s", curl_url_strerror(uc));
	else if (hs_strlcpy(out, s, cap) < 0)
		r = hs_err_set(e, -ENAMETOOLONG, "a part is too long");
	curl_free(s);
	return r;
}

/* A proxy without a port: libcurl's default, 443 for https://, else 1080. */
static int diag_proxy_port(CURLU *u, const char *scheme, char *out, size_t cap,
			   struct hs_err *e)
{
	char *s = NULL;
	CURLUcode uc;

	uc = curl_url_get(u, CURLUPART_PORT, &s, 0);
	curl_free(s);
	if (uc == CURLUE_NO_PORT)
		return hs_strlcpy(out,
				  strcmp(scheme, "https") == 0 ? "443" : "1080",
				  cap);
	return diag_url_part(u, CURLUPART_PORT, 0, out, cap, e);
}

static void diag_unbracket(char *host)
{
	const size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
}

/*
 * Parses url with libcurl's URL API into *ret (written only on success).  A
 * proxy URL may have a scheme libcurl does not fetch (socks5h://).  The
 * message does not quote url: a proxy URL may hold a password.
 */
static int diag_endpoint_parse(const char *url, bool is_proxy,
			       struct diag_endpoint *ret, struct hs_err *e)
{
	struct diag_endpoint ep;
	CURLUcode uc;
	CURLU *u;
	int r;

	u = curl_url();
	if (u == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	uc = curl_url_set(u, CURLUPART_URL, url,
			  is_proxy ? CURLU_NON_SUPPORT_SCHEME : 0);
	if (uc != CURLUE_OK)
		r = hs_err_set(e, -EINVAL, "%s", curl_url_strerror(uc));
	else
		r = diag_url_part(u, CURLUPART_SCHEME, 0, ep.scheme,
				  sizeof(ep.scheme), e);
	if (r == 0)
		r = diag_url_part(u, CURLUPART_HOST, 0, ep.host,
				  sizeof(ep.host), e);
	if (r == 0 && is_proxy)
		r = diag_proxy_port(u, ep.scheme, ep.port, sizeof(ep.port), e);
	else if (r == 0)
		r = diag_url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT,
				  ep.port, sizeof(ep.port), e);
	curl_url_cleanup(u);
	if (r < 0)
		return r;
	diag_unbracket(ep.host);
	*ret = ep;
	return 0;
}

/* The base URL joined with a metadata file name. */
static int diag_url(const struct diag *d, const char *name, char *out, size_t n,
		    struct hs_err *e)
{
	if (hs_snprintf(out, n, "%s%s", d->cfg->url, name) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "[server] url is too long");
	return 0;
}

/* --- Names and connections ------------------------------------------- */

static int diag_resolve(const struct diag_endpoint *ep, struct addrinfo **ret,
			struct hs_err *e)
{
	struct addrinfo hints;
	int rc;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(ep->host, ep->port, &hints, ret);
	err = errno;
	if (rc == 0)
		return 0;
	if (rc == EAI_MEMORY)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (rc == EAI_SYSTEM && err > 0)
		return hs_err_set(e, -err, "cannot resolve '%s': %s", ep->host,
				  strerror(err));
	return hs_err_set(e, -EHOSTUNREACH, "cannot resolve '%s': %s", ep->host,
			  gai_strerror(rc));
}

static void diag_addr_text(const struct addrinfo *ai, char *out, size_t n)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)n, NULL, 0,
			NI_NUMERICHOST) != 0)
		(void)hs_strlcpy(out, "?", n);
}

/* The first DIAG_MAX_ADDRS addresses, separated by ", ". */
static void diag_addrs_text(const struct addrinfo *ai, char *out, size_t n)
{
	char one[NI_MAXHOST];
	size_t used = 0;
	int k;

	out[0] = '\0';
	for (k = 0; ai != NULL && k < DIAG_MAX_ADDRS; ai = ai->ai_next, k++) {
		diag_addr_text(ai, one, sizeof(one));
		if (used + 1 >= n)
			break;
		if (snprintf(out + used, n - used, "%s%s", k > 0 ? ", " : "",
			     one) >= (int)(n - used))
			break; /* cut: the detail says enough */
		used += strlen(out + used);
	}
}

/* Waits for a non-blocking connect: 0, -ETIMEDOUT, or its errno. */
static int diag_connect_wait(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	struct timespec t0;
	socklen_t len = sizeof(int);
	int left = timeout_ms;
	int err = 0;
	int n;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = poll(&p, 1, left);
		if (n > 0)
			break;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
		left = timeout_ms - (int)diag_ms_since(&t0);
		if (left <= 0)
			return -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return err > 0 ? -err : 0;
}

static int diag_connect_one(const struct addrinfo *ai, int timeout_ms)
{
	int fd;
	int r;

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r < 0 && errno == EINPROGRESS)
		r = diag_connect_wait(fd, timeout_ms);
	else if (r < 0)
		r = -errno;
	(void)close(fd);
	return r;
}

/* "host:port", or "host:port (address)" when host is a name. */
static void diag_where_addr(const struct diag_endpoint *ep, const char *addr,
			    char *out, size_t n)
{
	char where[DIAG_WHERE_MAX];

	diag_where(ep, where, sizeof(where));
	if (strcmp(addr, ep->host) == 0)
		(void)hs_strlcpy(out, where, n);
	else
		(void)hs_snprintf(out, n, "%s (%s)", where, addr);
}

/*
 * TCP-connects to ep through the first of ai's addresses that answers
 * (trying at most DIAG_MAX_ADDRS, each for timeout_s), then closes.  Where
 * it connected goes to ret_where.  -EHOSTDOWN when the last one timed out
 * (as fetch.h says), else its connect errno (-ECONNREFUSED, -ENETUNREACH).
 */
static int diag_connect(const struct diag_endpoint *ep,
			const struct addrinfo *ai, uint32_t timeout_s,
			char *ret_where, size_t n, struct hs_err *e)
{
	char addr[NI_MAXHOST] = "no address";
	char where[DIAG_WHERE_ADDR_MAX];
	int r = -EHOSTUNREACH;
	int k;

	for (k = 0; ai != NULL && k < DIAG_MAX_ADDRS; ai = ai->ai_next, k++) {
		diag_addr_text(ai, addr, sizeof(addr));
		r = diag_connect_one(ai, (int)timeout_s * 1000);
		if (r == 0)
			break;
	}
	diag_where_addr(ep, addr, where, sizeof(where));
	if (r == 0) {
		(void)hs_strlcpy(ret_where, where, n);
		return 0;
	}
	if (r == -ETIMEDOUT)
		return hs_err_set(e, -EHOSTDOWN,
				  "%s: no answer within %" PRIu32 " s", where,
				  timeout_s);
	return hs_err_set(e, r, "%s: %s", where, strerror(-r));
}

/* --- proxy, dns, tcp ------------------------------------------------- */

/* socks4:// and socks5:// leave the server's name to the client. */
static bool diag_proxy_resolves(const struct diag *d)
{
	return strcmp(d->proxy.scheme, "socks4") != 0 &&
	       strcmp(d->proxy.scheme, "socks5") != 0;
}

static int diag_proxy(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	char where[DIAG_WHERE_MAX];
	char via[DIAG_WHERE_ADDR_MAX];
	struct addrinfo *ai = NULL;
	int r;

	if (!d->has_proxy)
		return diag_detail(detail, n, _("none (direct connection)"));
	r = diag_endpoint_parse(d->cfg->proxy, true, &d->proxy, e);
	if (r < 0) {
		hs_err_prefix(e, "[server] proxy: ");
		return diag_advise(
			d, r,
			_("The proxy setting ([server] proxy) cannot "
			  "be understood: correct it."));
	}
	diag_where(&d->proxy, where, sizeof(where));
	r = diag_resolve(&d->proxy, &ai, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The terminal cannot resolve its proxy '%s'. "
			  "Check its DNS server or the proxy setting "
			  "([server] proxy)."),
			d->proxy.host);
	r = diag_connect(&d->proxy, ai, d->cfg->connect_timeout, via,
			 sizeof(via), e);
	freeaddrinfo(ai);
	if (r < 0)
		return diag_advise(d, r,
				   _("The terminal cannot reach its proxy %s: "
				     "the proxy is down, or a firewall blocks "
				     "it. Check the proxy and the setting "
				     "([server] proxy)."),
				   where);
	return diag_detail(detail, n, _("via proxy %s"), via);
}

static int diag_dns(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	char addrs[DIAG_DETAIL_MAX];
	int r;

	if (d->cfg->url[0] == '\0')
		r = hs_err_set(e, -EINVAL, "[server] url is not set");
	else
		r = diag_endpoint_parse(d->cfg->url, false, &d->server, e);
	if (r < 0) {
		hs_err_prefix(e, "[server] url: ");
		return diag_advise(d, r,
				   _("The server address ([server] url) is "
				     "missing or cannot be understood: "
				     "correct it."));
	}
	if (d->has_proxy && diag_proxy_resolves(d))
		return diag_detail(detail, n, _("through the proxy"));
	r = diag_resolve(&d->server, &d->addrs, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The terminal cannot resolve '%s'. Check its "
			  "DNS server or the proxy setting ([server] "
			  "proxy)."),
			d->server.host);
	diag_addrs_text(d->addrs, addrs, sizeof(addrs));
	if (strcmp(addrs, d->server.host) == 0)
		return diag_detail(detail, n, _("%s is an address: no lookup"),
				   addrs);
	return diag_detail(detail, n, "%s: %s", d->server.host, addrs);
}

static int diag_tcp_advise(struct diag *d, int code)
{
	char where[DIAG_WHERE_MAX];

	diag_where(&d->server, where, sizeof(where));
	return diag_advise(d, code,
			   _("The terminal cannot reach %s: a firewall blocks "
			     "the connection or the server is down. Check the "
			     "network and the firewall, or whether a proxy is "
			     "needed ([server] proxy)."),
			   where);
}

static int diag_tcp(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	char where[DIAG_WHERE_ADDR_MAX];
	int r;

	if (d->has_proxy)
		return diag_detail(detail, n, _("through the proxy"));
	r = diag_connect(&d->server, d->addrs, d->cfg->connect_timeout, where,
			 sizeof(where), e);
	if (r < 0)
		return diag_tcp_advise(d, r);
	return diag_detail(detail, n, "%s", where);
}

/* --- tls ------------------------------------------------------------- */

/* Picks the protocol and cipher out of libcurl's verbose text. */
static int diag_tls_debug(CURL *h, curl_infotype type, char *data, size_t size,
			  void *ud)
{
	const size_t k = strlen(DIAG_TLS_SAYS);
	char *version = ud;
	size_t len;

	(void)h;
	if (type != CURLINFO_TEXT || size <= k ||
	    memcmp(data, DIAG_TLS_SAYS, k) != 0)
		return 0;
	len = size - k;
	while (len > 0 &&
	       (data[k + len - 1] == '\n' || data[k + len - 1] == '\r'))
		len--;
	if (len >= DIAG_TLS_VERSION_MAX)
		len = DIAG_TLS_VERSION_MAX - 1;
	memcpy(version, data + k, len);
	version[len] = '\0';
	return 0;
}

#define DIAG_SETOPT(h, opt, val) \
	(curl_easy_setopt((h), (opt), (val)) == CURLE_OK)

/* A connect-only handle: TCP (or the proxy's tunnel) and the handshake. */
static bool diag_tls_setup(const struct diag *d, CURL *h, char *version,
			   char *errbuf)
{
	const struct config *c = d->cfg;
	bool ok = true;

	ok = ok && DIAG_SETOPT(h, CURLOPT_URL, c->url);
	ok = ok && DIAG_SETOPT(h, CURLOPT_CONNECT_ONLY, 1L);
	ok = ok && DIAG_SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	ok = ok && DIAG_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	ok = ok && DIAG_SETOPT(h, CURLOPT_PROTOCOLS_STR, "https");
	ok = ok &&
	     DIAG_SETOPT(h, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout);
	ok = ok && DIAG_SETOPT(h, CURLOPT_DEBUGFUNCTION, diag_tls_debug);
	ok = ok && DIAG_SETOPT(h, CURLOPT_DEBUGDATA, version);
	ok = ok && DIAG_SETOPT(h, CURLOPT_VERBOSE, 1L);
	if (d->has_proxy)
		ok = ok && DIAG_SETOPT(h, CURLOPT_PROXY, c->proxy);
	if (c->ca_file[0] != '\0')
		ok = ok && DIAG_SETOPT(h, CURLOPT_CAINFO, c->ca_file);
	return ok;
}

/* The errno for a handshake's CURLcode, as fetch.h maps them. */
static int diag_tls_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	default:
		return -EPROTO;
	}
}

/* Translates the handshake's CURLcode, with advice for each kind. */
static int diag_tls_error(struct diag *d, CURLcode rc, const char *errbuf,
			  struct hs_err *e)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	const int code = hs_err_set(e, diag_tls_code(rc), "%s", why);
	char where[DIAG_WHERE_MAX];

	if (rc == CURLE_SSL_CACERT_BADFILE)
		return diag_advise(
			d, code,
			_("The CA file '%s' ([server] ca_file) cannot "
			  "be read: install it again or correct the "
			  "setting."),
			d->cfg->ca_file);
	if (rc == CURLE_PEER_FAILED_VERIFICATION)
		return diag_advise(d, code,
				   _("The server's certificate cannot be "
				     "verified: check the system clock and "
				     "[server] ca_file (a proxy that inspects "
				     "HTTPS needs its CA there)."));
	diag_where(&d->server, where, sizeof(where));
	if (d->has_proxy)
		return diag_advise(
			d, code,
			_("The proxy could not open a connection to "
			  "%s: the server is down, or the proxy does "
			  "not allow HTTPS to it. Check [server] url "
			  "and the proxy."),
			where);
	return diag_advise(
		d, code,
		_("No TLS connection to %s could be set up: the "
		  "server may not speak HTTPS on that port (check "
		  "[server] url), or a proxy or firewall interferes."),
		where);
}

static int diag_tls(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	char version[DIAG_TLS_VERSION_MAX] = "";
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *h;
	int r;

	if (strcmp(d->server.scheme, "https") != 0)
		return diag_detail(detail, n, _("not used (http)"));
	h = curl_easy_init();
	if (h == NULL)
		return hs_err_set(e, -ENOMEM, "cannot start libcurl");
	if (!diag_tls_setup(d, h, version, errbuf)) {
		r = hs_err_set(e, -EINVAL, "libcurl refused an option");
	} else {
		rc = curl_easy_perform(h);
		r = rc == CURLE_OK ? 0 : diag_tls_error(d, rc, errbuf, e);
	}
	curl_easy_cleanup(h);
	if (r < 0)
		return r;
	return diag_detail(detail, n, _("%s%s, certificate for '%s' verified"),
			   d->has_proxy ? _("through the proxy: ") : "",
			   version[0] != '\0' ? version : "TLS",
			   d->server.host);
}

/* --- http ------------------------------------------------------------ */

/* Advice for a failed GET, by fetch.h's errors. */
static int diag_http_advise(struct diag *d, int code, const char *url)
{
	switch (code) {
	case -EHOSTUNREACH:
		return diag_advise(
			d, code,
			_("The name '%s' cannot be resolved%s. Check "
			  "the DNS server or the proxy setting "
			  "([server] proxy)."),
			d->server.host,
			d->has_proxy ? _(" (by the proxy)") : "");
	case -ECONNREFUSED:
	case -EHOSTDOWN:
		return diag_tcp_advise(d, code);
	case -EPROTO:
		return diag_advise(d, code,
				   _("The server's certificate cannot be "
				     "verified: check the system clock and "
				     "[server] ca_file."));
	case -ENOENT:
		return diag_advise(
			d, code,
			_("The server has no '%s': check [server] url "
			  "(the repository's path)."),
			url);
	case -EACCES:
		return diag_advise(d, code,
				   _("The server refused '%s': check [server] "
				     "url, and whether the server or the proxy "
				     "requires a login."),
				   url);
	case -EAGAIN:
		return diag_advise(d, code,
				   _("The server is busy: try again later (the "
				     "terminal retries by itself)."));
	case -EREMOTEIO:
		return diag_advise(
			d, code,
			_("The server failed with an error%s: tell the "
			  "server's operator."),
			d->has_proxy ? _(", or the proxy could not "
					 "reach it")
				     : "");
	case -EFBIG:
	case -ELOOP:
		return diag_advise(d, code,
				   _("The server does not serve a haishin "
				     "manifest at '%s': check [server] url."),
				   url);
	default:
		return diag_advise(d, code,
				   _("The download of '%s' failed: the line is "
				     "unstable or too slow, or a proxy or "
				     "firewall cuts the connection."),
				   url);
	}
}

static int diag_http(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	const struct config *c = d->cfg;
	const struct fetch_cfg fc = {.proxy = c->proxy,
				     .ca_file = c->ca_file,
				     .connect_timeout = c->connect_timeout,
				     .stall_timeout = c->stall_timeout,
				     .min_rate = c->min_rate,
				     .max_rate = c->max_rate};
	char url[DIAG_URL_MAX];
	int r;

	r = diag_url(d, DIAG_MANIFEST_FILE, url, sizeof(url), e);
	if (r == 0)
		r = fetch_new(&fc, &d->fetch, e);
	if (r < 0)
		return r;
	r = fetch_buf(d->fetch, url, HS_MANIFEST_MAX_BYTES, &d->manifest,
		      &d->manifest_len, NULL, e);
	if (r < 0)
		return diag_http_advise(d, r, url);
	return diag_detail(detail, n, _("HTTP 200, %zu bytes%s"),
			   d->manifest_len,
			   d->has_proxy ? _(" through the proxy") : "");
}

/* --- signature ------------------------------------------------------- */

/* Advice for trust.h's errors. */
static int diag_trust_advise(struct diag *d, int code)
{
	switch (code) {
	case -EKEYREJECTED:
		return diag_advise(
			d, code,
			_("The manifest is not signed by the keys this "
			  "terminal trusts: the terminal's root.json "
			  "([trust] root) may be outdated, or the "
			  "server is not genuine."));
	case -ESTALE:
		return diag_advise(
			d, code,
			_("The server serves older metadata than this "
			  "terminal accepted before (see the detail): "
			  "a mirror or cache serves stale files, or "
			  "old files are replayed. Tell the "
			  "publisher."));
	default:
		return diag_advise(
			d, code,
			_("The server's metadata is not valid haishin "
			  "metadata (see the detail): check [server] "
			  "url, or tell the publisher."));
	}
}

static int diag_trust_get(struct diag *d, struct hs_err *e)
{
	int r;

	if (d->db == NULL)
		return 0;
	r = db_trust_get(d->db, &d->trust, e);
	if (r < 0) {
		hs_err_prefix(e, "the state database: ");
		return diag_advise(d, r,
				   _("The terminal's state database ([paths] "
				     "state) cannot be read: check its disk."));
	}
	return 0;
}

/* The root the terminal trusts now (see cycle_trusted_root). */
static int diag_root_load(struct diag *d, struct hs_err *e)
{
	bool damaged = false;
	int r;

	r = cycle_trusted_root(d->cfg, &d->root, &damaged, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The terminal's root of trust '%s' ([trust] "
			  "root) cannot be read or is damaged: install "
			  "it again."),
			d->cfg->root);
	return 0;
}

static int diag_meta_fetch(struct diag *d, const char *name, size_t max,
			   char **ret_buf, size_t *ret_len, struct hs_err *e)
{
	char url[DIAG_URL_MAX];
	int r;

	r = diag_url(d, name, url, sizeof(url), e);
	if (r == 0)
		r = fetch_buf(d->fetch, url, max, ret_buf, ret_len, NULL, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The server does not serve '%s', which the "
			  "terminal needs to follow its keys: the "
			  "repository is incomplete. Tell the "
			  "publisher."),
			url);
	return 0;
}

/* The version the server's root.json claims: how far to walk. */
static int diag_root_target(struct diag *d, uint64_t *ret, struct hs_err *e)
{
	uint64_t target = 0;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = diag_meta_fetch(d, DIAG_ROOT_FILE, HS_ROOT_MAX_BYTES, &buf, &len,
			    e);
	if (r < 0)
		return r;
	r = trust_root_peek_version(buf, len, &target, e);
	free(buf);
	if (r == 0 && target > root_version(d->root) + DIAG_MAX_ROOT_STEPS)
		r = hs_err_set(e, -ESTALE,
			       "root: version %" PRIu64
			       " is too far ahead of %" PRIu64,
			       target, root_version(d->root));
	if (r < 0)
		return diag_trust_advise(d, r);
	*ret = target;
	return 0;
}

/* Verifies the next N.root.json and makes it the current root. */
static int diag_root_step(struct diag *d, struct hs_err *e)
{
	char name[32];
	struct root *next = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	(void)hs_snprintf(name, sizeof(name), "%" PRIu64 ".root.json",
			  root_version(d->root) + 1);
	r = diag_meta_fetch(d, name, HS_ROOT_MAX_BYTES, &buf, &len, e);
	if (r < 0)
		return r;
	r = trust_root_next(d->root, buf, len, &next, e);
	free(buf);
	if (r < 0)
		return diag_trust_advise(d, r);
	root_free(d->root);
	d->root = next;
	return 0;
}

/* Follows the server's root chain as an update check does, storing nothing;
 * it must reach the root version accepted before. */
static int diag_root_walk(struct diag *d, struct hs_err *e)
{
	uint64_t target = 0;
	int r;

	r = diag_root_target(d, &target, e);
	while (r == 0 && root_version(d->root) < target)
		r = diag_root_step(d, e);
	if (r < 0)
		return r;
	if (root_version(d->root) < d->trust.root_version)
		return diag_trust_advise(
			d, hs_err_set(e, -ESTALE,
				      "root: rollback: version %" PRIu64
				      " was trusted before, but the chain "
				      "ends at %" PRIu64,
				      d->trust.root_version,
				      root_version(d->root)));
	return 0;
}

/* How many of the manifest role's keys signed (the threshold is met). */
static size_t diag_count_keys(const struct diag *d)
{
	const struct root_role *role = root_role(d->root, ROOT_ROLE_MANIFEST);
	struct dsse *env = NULL;
	size_t count = 0;
	size_t k;

	if (dsse_parse(d->manifest, d->manifest_len, HS_MANIFEST_MAX_BYTES,
		       &env, NULL) < 0)
		return 0;
	for (k = 0; k < role->n_keys; k++)
		if (dsse_verify(env, "manifest", &role->keys[k], 1, 1, NULL) ==
		    0)
			count++;
	dsse_free(env);
	return count;
}

static int diag_signature(struct diag *d, char *detail, size_t n,
			  struct hs_err *e)
{
	struct trust_prev prev;
	char sha256[65];
	int r;

	r = diag_trust_get(d, e);
	if (r == 0)
		r = diag_root_load(d, e);
	if (r == 0)
		r = diag_root_walk(d, e);
	if (r < 0)
		return r;
	memset(&prev, 0, sizeof(prev));
	prev.serial = d->trust.manifest_serial;
	(void)hs_strlcpy(prev.sha256, d->trust.manifest_sha256,
			 sizeof(prev.sha256));
	/* At the earliest time: expiry is the freshness stage's verdict. */
	r = trust_manifest(d->root, d->manifest, d->manifest_len, &prev,
			   INT64_MIN, &d->m, sha256, e);
	if (r < 0)
		return diag_trust_advise(d, r);
	return diag_detail(detail, n,
			   _("serial %" PRIu64 ", signed by %zu valid key(s), "
			     "root version %" PRIu64),
			   d->m->serial, diag_count_keys(d),
			   root_version(d->root));
}

/* --- freshness ------------------------------------------------------- */

static int diag_freshness(struct diag *d, char *detail, size_t n,
			  struct hs_err *e)
{
	const int64_t m_exp = d->m->expires;
	const int64_t r_exp = root_expires(d->root);
	char m_when[21];
	char r_when[21];
	int r;

	hs_time_format(m_exp, m_when);
	hs_time_format(r_exp, r_when);
	if (d->now >= m_exp) {
		(void)hs_err_set(e, -ESTALE,
				 "manifest: freeze: expired at %s, %" PRId64
				 " day(s) ago",
				 m_when, diag_days(d->now, m_exp));
		return diag_advise(
			d, -ESTALE,
			_("The manifest expired on %s: the publisher "
			  "must sign it again (haishin-publish sign). "
			  "If that date has not come yet, the "
			  "terminal's clock is wrong."),
			m_when);
	}
	r = trust_check_fresh(d->root, d->now, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The root of trust expired on %s: the "
			  "publisher must issue a new root.json. If "
			  "that date has not come yet, the terminal's "
			  "clock is wrong."),
			r_when);
	return diag_detail(detail, n,
			   _("manifest valid until %s (%" PRId64
			     " day(s)), root until %s (%" PRId64 " day(s))"),
			   m_when, diag_days(m_exp, d->now), r_when,
			   diag_days(r_exp, d->now));
}

/* --- the runner ------------------------------------------------------ */

static const struct {
	const char *name;
	diag_stage_fn *run;
} diag_stages[DIAG_STAGES] = {
	[DIAG_PROXY] = {"proxy", diag_proxy},
	[DIAG_DNS] = {"dns", diag_dns},
	[DIAG_TCP] = {"tcp", diag_tcp},
	[DIAG_TLS] = {"tls", diag_tls},
	[DIAG_HTTP] = {"http", diag_http},
	[DIAG_SIGNATURE] = {"signature", diag_signature},
	[DIAG_FRESHNESS] = {"freshness", diag_freshness},
};

const char *diag_stage_name(enum diag_stage s)
{
	if ((unsigned)s >= DIAG_STAGES)
		return "?";
	return diag_stages[s].name;
}

static int diag_stage_run(struct diag *d, enum diag_stage s,
			  struct diag_result *res)
{
	struct timespec t0;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	r = diag_stages[s].run(d, res->detail, sizeof(res->detail), &e);
	res->ms = diag_ms_since(&t0);
	res->ran = true;
	res->ok = r >= 0;
	if (r >= 0)
		return 0;
	diag_copy_cut(res->detail, sizeof(res->detail),
		      e.msg[0] != '\0' ? e.msg : strerror(-r));
	if (d->advice[0] == '\0')
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
	      struct diag_report *ret)
{
	struct diag d;
	int s;

	memset(ret, 0, sizeof(*ret));
	ret->failed = -1;
	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
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
