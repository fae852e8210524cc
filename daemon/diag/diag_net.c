/*
 * diag_net.c - the network stages of the connection check: proxy, DNS, TCP,
 * TLS and HTTP.
 *
 * The URLs are parsed with libcurl's URL API; names are resolved with
 * getaddrinfo and connections tried with non-blocking sockets, at most
 * DIAG_MAX_ADDRS addresses each within the connect timeout, and closed
 * again.  The TLS stage is a connect-only libcurl handle; the HTTP stage
 * fetches manifest.json through fetch.h, as an update check does, and keeps
 * it in struct diag for the signature stage.  With a proxy, the stages that
 * the proxy does say "through the proxy".  Each failure writes its advice.
 */
#include "diag_int.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "hs_limits.h"
#include "i18n.h"
#include "str.h"

#define DIAG_MAX_ADDRS 4 /* addresses shown, and tried in turn */
#define DIAG_MANIFEST_FILE "manifest.json"
#define DIAG_WHERE_MAX (HS_URL_MAX + DIAG_PORT_MAX + 4) /* "[host]:port" */
#define DIAG_WHERE_ADDR_MAX (DIAG_WHERE_MAX + NI_MAXHOST + 3)
/* What libcurl's OpenSSL backend says once the handshake is done. */
#define DIAG_TLS_SAYS "SSL connection using "
#define DIAG_TLS_VERSION_MAX 128

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

#define DIAG_SLICE_MS 200 /* how often a wait looks at the cancel flag */

/* Waits for a non-blocking connect: 0, -ETIMEDOUT, -ECANCELED, or its
 * errno. */
static int diag_connect_wait(const struct diag *d, int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	struct timespec t0;
	socklen_t len = sizeof(int);
	int left = timeout_ms;
	int err = 0;
	int n;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = poll(&p, 1, left < DIAG_SLICE_MS ? left : DIAG_SLICE_MS);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (diag_cancelled(d))
			return -ECANCELED;
		left = timeout_ms - (int)diag_ms_since(&t0);
		if (left <= 0)
			return -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return err > 0 ? -err : 0;
}

static int diag_connect_one(const struct diag *d, const struct addrinfo *ai,
			    int timeout_ms)
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
		r = diag_connect_wait(d, fd, timeout_ms);
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
static int diag_connect(const struct diag *d, const struct diag_endpoint *ep,
			const struct addrinfo *ai, uint32_t timeout_s,
			char *ret_where, size_t n, struct hs_err *e)
{
	char addr[NI_MAXHOST] = "no address";
	char where[DIAG_WHERE_ADDR_MAX];
	int r = -EHOSTUNREACH;
	int k;

	for (k = 0; ai != NULL && k < DIAG_MAX_ADDRS; ai = ai->ai_next, k++) {
		diag_addr_text(ai, addr, sizeof(addr));
		r = diag_connect_one(d, ai, (int)timeout_s * 1000);
		if (r == 0 || r == -ECANCELED)
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

int diag_proxy(struct diag *d, char *detail, size_t n, struct hs_err *e)
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
	r = diag_connect(d, &d->proxy, ai, d->cfg->connect_timeout, via,
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

int diag_dns(struct diag *d, char *detail, size_t n, struct hs_err *e)
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

int diag_tcp(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	char where[DIAG_WHERE_ADDR_MAX];
	int r;

	if (d->has_proxy)
		return diag_detail(detail, n, _("through the proxy"));
	r = diag_connect(d, &d->server, d->addrs, d->cfg->connect_timeout,
			 where, sizeof(where), e);
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

/* libcurl's progress callback: non-zero aborts the handshake. */
static int diag_tls_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
			     curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return diag_cancelled(ud) ? 1 : 0;
}

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
	ok = ok && DIAG_SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	ok = ok && DIAG_SETOPT(h, CURLOPT_XFERINFOFUNCTION, diag_tls_progress);
	ok = ok && DIAG_SETOPT(h, CURLOPT_XFERINFODATA, (void *)d);
	if (d->has_proxy)
		ok = ok && DIAG_SETOPT(h, CURLOPT_PROXY, c->proxy);
	if (c->ca_file[0] != '\0')
		ok = ok && DIAG_SETOPT(h, CURLOPT_CAINFO, c->ca_file);
	return ok;
}

/* Translates the handshake's CURLcode (fetch.h's one translation), with
 * advice for its stage. */
static int diag_tls_error(struct diag *d, CURLcode rc, const char *errbuf,
			  struct hs_err *e)
{
	const int code = fetch_from_curl(rc, errbuf, e);
	const enum fetch_stage stage = fetch_curl_stage(rc);
	char where[DIAG_WHERE_MAX];

	if (stage == FETCH_STAGE_TLS_CA)
		return diag_advise(
			d, code,
			_("The CA file '%s' ([server] ca_file) cannot "
			  "be read: install it again or correct the "
			  "setting."),
			d->cfg->ca_file);
	if (stage == FETCH_STAGE_TLS_PEER)
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

int diag_tls(struct diag *d, char *detail, size_t n, struct hs_err *e)
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

int diag_http(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	const struct config *c = d->cfg;
	const struct fetch_cfg fc = {.proxy = c->proxy,
				     .ca_file = c->ca_file,
				     .connect_timeout = c->connect_timeout,
				     .stall_timeout = c->stall_timeout,
				     .min_rate = c->min_rate,
				     .max_rate = c->max_rate,
				     .cancel = d->cancel};
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
