/*
 * test_fetch.c - the one translation of libcurl's codes (fetch_from_curl):
 * each code's errno, stage and message, libcurl's own text kept, and the
 * codes fetch.h does not name taken as a transfer that broke off.  No
 * network: the translation is a table.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "fetch.h"
#include "hs_err.h"

struct curl_case {
	CURLcode rc;
	const char *errbuf; /* NULL: libcurl wrote none */
	int code;
	enum fetch_stage stage;
	const char *text; /* the message is exactly this */
};

static const struct curl_case curl_cases[] = {
	{CURLE_COULDNT_RESOLVE_PROXY, "Could not resolve proxy: p.invalid",
	 -EHOSTUNREACH, FETCH_STAGE_PROXY,
	 "proxy: Could not resolve proxy: p.invalid"},
	{CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: h.invalid",
	 -EHOSTUNREACH, FETCH_STAGE_DNS,
	 "DNS: Could not resolve host: h.invalid"},
	{CURLE_COULDNT_CONNECT, "Failed to connect to 127.0.0.1 port 1",
	 -ECONNREFUSED, FETCH_STAGE_TCP,
	 "TCP: Failed to connect to 127.0.0.1 port 1"},
	{CURLE_SSL_CONNECT_ERROR, "", -EPROTO, FETCH_STAGE_TLS,
	 "TLS: SSL connect error"},
	{CURLE_SSL_CIPHER, NULL, -EPROTO, FETCH_STAGE_TLS,
	 "TLS: Couldn't use specified SSL cipher"},
	{CURLE_SSL_CERTPROBLEM, "bad client cert", -EPROTO, FETCH_STAGE_TLS,
	 "TLS: bad client cert"},
	{CURLE_SSL_CACERT_BADFILE, "error setting certificate file: /x.pem",
	 -EPROTO, FETCH_STAGE_TLS_CA,
	 "TLS: error setting certificate file: /x.pem"},
	{CURLE_PEER_FAILED_VERIFICATION,
	 "SSL certificate problem: self-signed certificate", -EPROTO,
	 FETCH_STAGE_TLS_PEER,
	 "TLS: SSL certificate problem: self-signed certificate"},
	{CURLE_SSL_PINNEDPUBKEYNOTMATCH, "", -EPROTO, FETCH_STAGE_TLS_PEER,
	 "TLS: SSL public key does not match pinned public key"},
	{CURLE_TOO_MANY_REDIRECTS, "Maximum (5) redirects followed", -ELOOP,
	 FETCH_STAGE_HTTP, "HTTP: Maximum (5) redirects followed"},
	{CURLE_OPERATION_TIMEDOUT, "Operation too slow", -ETIMEDOUT,
	 FETCH_STAGE_TRANSFER, "Operation too slow"},
	{CURLE_ABORTED_BY_CALLBACK, "Callback aborted", -ECANCELED,
	 FETCH_STAGE_LOCAL, "stopped: haishind is shutting down"},
	{CURLE_WRITE_ERROR, "Failure writing output", -EIO, FETCH_STAGE_LOCAL,
	 "cannot store the body: Failure writing output"},
	{CURLE_OUT_OF_MEMORY, NULL, -ENOMEM, FETCH_STAGE_LOCAL,
	 "out of memory: Out of memory"},
	{CURLE_FILE_COULDNT_READ_FILE, "Couldn't open file /c/app.tar.zst",
	 -ENOENT, FETCH_STAGE_LOCAL, "Couldn't open file /c/app.tar.zst"},
	/* Codes fetch.h does not name: the transfer broke off. */
	{CURLE_RECV_ERROR, "Recv failure: Connection reset by peer",
	 -ECONNRESET, FETCH_STAGE_TRANSFER,
	 "the transfer broke off: Recv failure: Connection reset by peer"},
	{CURLE_PARTIAL_FILE, "", -ECONNRESET, FETCH_STAGE_TRANSFER,
	 "the transfer broke off: Transferred a partial file"},
	{CURLE_GOT_NOTHING, NULL, -ECONNRESET, FETCH_STAGE_TRANSFER,
	 "the transfer broke off: Server returned nothing (no headers, no "
	 "data)"},
};

static void test_from_curl_table(void **state)
{
	struct hs_err e;
	size_t bad = 0;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(curl_cases); i++) {
		const struct curl_case *c = &curl_cases[i];

		hs_err_clear(&e);
		r = fetch_from_curl(c->rc, c->errbuf, &e);
		if (r != c->code || e.code != c->code ||
		    strcmp(e.msg, c->text) != 0)
			tu_report_bad(&bad,
				      "CURLcode %d: %d '%s', want %d '%s'",
				      (int)c->rc, r, e.msg, c->code, c->text);
		if (fetch_curl_stage(c->rc) != c->stage)
			tu_report_bad(&bad, "CURLcode %d: stage %d, want %d",
				      (int)c->rc, (int)fetch_curl_stage(c->rc),
				      (int)c->stage);
	}
	assert_int_equal(bad, 0);
}

/* The code is returned without e, as everywhere (hs_err.h). */
static void test_from_curl_null_err(void **state)
{
	(void)state;
	assert_int_equal(fetch_from_curl(CURLE_COULDNT_CONNECT, NULL, NULL),
			 -ECONNREFUSED);
}

static void test_stage_names(void **state)
{
	(void)state;
	assert_string_equal(fetch_stage_name(FETCH_STAGE_PROXY), "proxy");
	assert_string_equal(fetch_stage_name(FETCH_STAGE_DNS), "DNS");
	assert_string_equal(fetch_stage_name(FETCH_STAGE_TCP), "TCP");
	assert_string_equal(fetch_stage_name(FETCH_STAGE_TLS), "TLS");
	assert_string_equal(fetch_stage_name(FETCH_STAGE_TLS_CA), "TLS");
	assert_string_equal(fetch_stage_name(FETCH_STAGE_TLS_PEER), "TLS");
	assert_string_equal(fetch_stage_name(FETCH_STAGE_HTTP), "HTTP");
	assert_null(fetch_stage_name(FETCH_STAGE_LOCAL));
	assert_null(fetch_stage_name(FETCH_STAGE_TRANSFER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_curl_table),
		cmocka_unit_test(test_from_curl_null_err),
		cmocka_unit_test(test_stage_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
