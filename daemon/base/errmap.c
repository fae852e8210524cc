/*
 * errmap.c - the table of errors of the download path: retry class and
 * terminal state per errno (errmap.h).  The rows follow fetch.h's list.
 */
#include "errmap.h"

#include <errno.h>

#define FC STATE_FAILED_CONNECT
#define FV STATE_FAILED_VERIFY

static const struct errmap_row errmap_table[] = {
	{-EHOSTUNREACH, "EHOSTUNREACH",
	 "proxy or DNS: the name did not resolve", ERRMAP_NEXT_MIRROR, FC, FC},
	{-ECONNREFUSED, "ECONNREFUSED", "TCP: no connection", ERRMAP_TRANSIENT,
	 FC, FC},
	{-EHOSTDOWN, "EHOSTDOWN", "TCP: the connection timed out",
	 ERRMAP_TRANSIENT, FC, FC},
	{-EPROTO, "EPROTO", "TLS: handshake or certificate", ERRMAP_NEXT_MIRROR,
	 FC, FC},
	{-ELOOP, "ELOOP", "HTTP: too many redirects", ERRMAP_NEXT_MIRROR, FC,
	 FC},
	{-ENOENT, "ENOENT", "HTTP 404/410: the file is not on the server",
	 ERRMAP_NEXT_MIRROR, FC, FC},
	{-ERANGE, "ERANGE", "HTTP 416, or a 206 for another range than asked",
	 ERRMAP_NEXT_MIRROR, FC, FC},
	{-EAGAIN, "EAGAIN", "HTTP 429/503: the server is busy",
	 ERRMAP_TRANSIENT, STATE_INTERRUPTED, FC},
	{-EREMOTEIO, "EREMOTEIO",
	 "HTTP: another 5xx, or a 304 to a GET without validators",
	 ERRMAP_TRANSIENT, FC, FC},
	{-EACCES, "EACCES", "HTTP: another 4xx (403, 401, ...)",
	 ERRMAP_NEXT_MIRROR, FC, FC},
	{-ETIMEDOUT, "ETIMEDOUT", "stalled (below min_rate), or the deadline",
	 ERRMAP_TRANSIENT, STATE_INTERRUPTED, FC},
	{-ECONNRESET, "ECONNRESET", "the transfer broke off", ERRMAP_TRANSIENT,
	 STATE_INTERRUPTED, FC},
	{-EFBIG, "EFBIG", "more bytes than the signed size or the cap",
	 ERRMAP_WRONG_FILE, FV, FV},
	{-EMSGSIZE, "EMSGSIZE",
	 "the server's file has another size than signed", ERRMAP_WRONG_FILE,
	 FV, FV},
	{-EBADMSG, "EBADMSG", "the SHA-256 is not the signed one",
	 ERRMAP_REFETCH, FV, FV},
	{-ECANCELED, "ECANCELED", "haishind is shutting down", ERRMAP_FINAL,
	 STATE_STOPPED, STATE_STOPPED},
	/* Any other: the sink's own error, libcurl's setup, a URL too long. */
	{0, "other", "any other error", ERRMAP_FINAL, STATE_INTERRUPTED, FC},
};

#undef FC
#undef FV

#define ERRMAP_N (sizeof(errmap_table) / sizeof(errmap_table[0]))

const struct errmap_row *errmap_row(int code)
{
	size_t i;

	for (i = 0; i + 1 < ERRMAP_N; i++)
		if (errmap_table[i].code == code)
			return &errmap_table[i];
	return &errmap_table[ERRMAP_N - 1];
}

const struct errmap_row *errmap_rows(size_t *ret_n)
{
	*ret_n = ERRMAP_N;
	return errmap_table;
}

enum errmap_retry errmap_retry(int code)
{
	return errmap_row(code)->retry;
}

enum state errmap_state(int code, enum errmap_origin from)
{
	const struct errmap_row *row = errmap_row(code);

	switch (from) {
	case ERRMAP_DOWNLOAD:
		return row->download;
	case ERRMAP_META:
		return row->meta;
	case ERRMAP_LOCAL:
	default:
		return STATE_FAILED_INSTALL;
	}
}

const char *errmap_retry_name(enum errmap_retry r)
{
	switch (r) {
	case ERRMAP_TRANSIENT:
		return "transient";
	case ERRMAP_NEXT_MIRROR:
		return "next mirror";
	case ERRMAP_WRONG_FILE:
		return "wrong file";
	case ERRMAP_REFETCH:
		return "refetch";
	case ERRMAP_FINAL:
	default:
		return "final";
	}
}
