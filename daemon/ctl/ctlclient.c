/*
 * ctlclient.c - one connection to haishind's control socket: a request line
 * out, reply lines in.
 *
 * Invariant: buf[start .. start + len) holds the bytes received and not yet
 * returned; a line is returned in place (its '\n' becomes a NUL), so the
 * buffer never grows beyond CTLCLIENT_LINE_MAX + 1 bytes, the longest line with
 * its '\n'.
 */
#include "ctlclient.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctlsock.h"

#define CTLCLIENT_BUF_SIZE (CTLCLIENT_LINE_MAX + 1)

struct ctlclient {
	int fd;
	size_t start; /* first unread byte in buf */
	size_t len; /* unread bytes from start */
	char buf[CTLCLIENT_BUF_SIZE];
};

int ctlclient_connect(const char *path, struct ctlclient **ret_c,
		      struct hs_err *e)
{
	struct ctlclient *c;
	int fd = -1;
	int r;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = ctlsock_connect(path, &fd, e);
	if (r < 0) {
		free(c);
		return r;
	}
	c->fd = fd;
	*ret_c = c;
	return 0;
}

void ctlclient_free(struct ctlclient *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		ctlsock_close(c->fd);
	free(c);
}

int ctlclient_set_timeout(struct ctlclient *c, unsigned seconds,
			  struct hs_err *e)
{
	return ctlsock_set_timeout(c->fd, seconds, e);
}

static int client_send_all(struct ctlclient *c, const char *p, size_t n, int fd,
			   struct hs_err *e)
{
	ssize_t w;

	while (n > 0) {
		if (fd >= 0) {
			w = ctlsock_send_fd(c->fd, p, n, fd);
			if (w > 0)
				fd = -1; /* it went with the first bytes */
		} else {
			w = ctlsock_send(c->fd, p, n);
		}
		if (w == -EINTR)
			continue;
		if (w < 0)
			return hs_err_set(e, (int)w, "sending the request: %s",
					  strerror((int)-w));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int client_send_line_fd(struct ctlclient *c, const char *line,
			       size_t len, int fd, struct hs_err *e)
{
	int r;

	if (memchr(line, '\n', len) != NULL)
		return hs_err_set(e, -EINVAL, "a request line holds a newline");
	r = client_send_all(c, line, len, fd, e);
	if (r < 0)
		return r;
	return client_send_all(c, "\n", 1, -1, e);
}

int ctlclient_send_line(struct ctlclient *c, const char *line, size_t len,
			struct hs_err *e)
{
	return client_send_line_fd(c, line, len, -1, e);
}

int ctlclient_send(struct ctlclient *c, const json_t *req, struct hs_err *e)
{
	return ctlclient_send_fd(c, req, -1, e);
}

int ctlclient_send_fd(struct ctlclient *c, const json_t *req, int fd,
		      struct hs_err *e)
{
	char *line;
	size_t len;
	int r;

	line = json_dumps(req, JSON_COMPACT);
	if (line == NULL)
		return hs_err_set(e, -ENOMEM, "cannot encode the request");
	len = strlen(line);
	if (len + 1 > CTLCLIENT_REQUEST_MAX)
		r = hs_err_set(e, -EMSGSIZE,
			       "the request is %zu bytes, over the limit of %d",
			       len + 1, CTLCLIENT_REQUEST_MAX);
	else
		r = client_send_line_fd(c, line, len, fd, e);
	free(line);
	return r;
}

/* Moves the unread bytes to the front and receives more after them. */
static int client_fill(struct ctlclient *c, struct hs_err *e)
{
	ssize_t got;

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->len);
		c->start = 0;
	}
	if (c->len >= sizeof(c->buf))
		return hs_err_set(e, -EMSGSIZE,
				  "a reply line is longer than %u bytes",
				  CTLCLIENT_LINE_MAX);
	do {
		got = ctlsock_recv(c->fd, c->buf + c->len,
				   sizeof(c->buf) - c->len, NULL);
	} while (got == -EINTR);
	if (got == -EAGAIN)
		return hs_err_set(e, -ETIMEDOUT, "no reply in time");
	if (got < 0)
		return hs_err_set(e, (int)got, "reading the reply: %s",
				  strerror((int)-got));
	c->len += (size_t)got;
	return got > 0 ? 1 : 0;
}

int ctlclient_read_line(struct ctlclient *c, const char **ret_line,
			size_t *ret_len, struct hs_err *e)
{
	char *line;
	char *nl;
	int r;

	for (;;) {
		line = c->buf + c->start;
		nl = memchr(line, '\n', c->len);
		if (nl != NULL)
			break;
		r = client_fill(c, e);
		if (r < 0)
			return r;
		if (r == 0 && c->len > 0) /* fileio.h's short read */
			return hs_err_set(e, -ENODATA,
					  "haishind's reply ended after %zu "
					  "bytes, in the middle of a line",
					  c->len);
		if (r == 0)
			return 0;
	}
	*nl = '\0';
	*ret_len = (size_t)(nl - line);
	*ret_line = line;
	c->start += *ret_len + 1;
	c->len -= *ret_len + 1;
	return 1;
}

int ctlclient_read_json(struct ctlclient *c, const char **ret_line,
			json_t **ret_j, struct hs_err *e)
{
	json_error_t jerr;
	const char *line;
	size_t len;
	json_t *j;
	int r;

	r = ctlclient_read_line(c, &line, &len, e);
	if (r <= 0)
		return r;
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return hs_err_set(e, -EBADMSG, "a reply line is not JSON: %s",
				  jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return hs_err_set(e, -EBADMSG,
				  "a reply line is not a JSON object");
	}
	*ret_line = line;
	*ret_j = j;
	return 1;
}
