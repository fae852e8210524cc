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
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CTLCLIENT_BUF_SIZE (CTLCLIENT_LINE_MAX + 1)

struct ctlclient {
	int fd;
	size_t start; /* first unread byte in buf */
	size_t len; /* unread bytes from start */
	char buf[CTLCLIENT_BUF_SIZE];
};

static int client_open(const char *path, int *ret_fd, struct hs_err *e)
{
	struct sockaddr_un sa;
	int fd;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return hs_err_set(e, -ENAMETOOLONG,
				  "socket path '%s' is too long", path);
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hs_err_set(e, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		(void)close(fd);
		return hs_err_set(e, r, "cannot connect to '%s': %s", path,
				  strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

int ctlclient_connect(const char *path, struct ctlclient **ret_c,
		      struct hs_err *e)
{
	struct ctlclient *c;
	int fd = -1;
	int r;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = client_open(path, &fd, e);
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
		(void)close(c->fd);
	free(c);
}

int ctlclient_set_timeout(struct ctlclient *c, unsigned seconds,
			  struct hs_err *e)
{
	struct timeval tv;

	memset(&tv, 0, sizeof(tv));
	tv.tv_sec = (time_t)seconds;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return hs_err_set(e, -errno, "setsockopt: %s", strerror(errno));
	return 0;
}

/* Sends the first bytes of p with fd attached; returns how many went. */
static ssize_t client_send_with_fd(struct ctlclient *c, const char *p, size_t n,
				   int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = {(void *)p, n};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
	ssize_t w;

	memset(&cm, 0, sizeof(cm));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	do
		w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w;
}

static int client_send_all(struct ctlclient *c, const char *p, size_t n, int fd,
			   struct hs_err *e)
{
	ssize_t w;

	while (n > 0) {
		if (fd >= 0) {
			w = client_send_with_fd(c, p, n, fd);
			if (w > 0)
				fd = -1; /* it went with the first bytes */
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return hs_err_set(e, -errno, "sending the request: %s",
					  strerror(errno));
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
		got = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	} while (got < 0 && errno == EINTR);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return hs_err_set(e, -ETIMEDOUT, "no reply in time");
	if (got < 0)
		return hs_err_set(e, -errno, "reading the reply: %s",
				  strerror(errno));
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
