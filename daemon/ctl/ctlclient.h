/*
 * ctlclient.h - the client side of the control protocol (docs/protocol.md):
 * connect to haishind's Unix socket, send one request line, read reply
 * lines.  It never prints; failures are a negative errno and a struct
 * hs_err.  haishinctl and the tests share it.
 *
 * Reading is capped: a reply line longer than CTLCLIENT_LINE_MAX bytes is an
 * error, never an allocation, so a broken or hostile daemon cannot make the
 * client grow without bound.
 */
#ifndef HAISHIN_CTLCLIENT_H
#define HAISHIN_CTLCLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "hs_err.h"

/* A request line with its '\n' (the daemon's limit). */
#define CTLCLIENT_REQUEST_MAX 4096
/* A reply line without its '\n'. */
#define CTLCLIENT_LINE_MAX (2u * 1024 * 1024) /* 1000 history rows */

struct ctlclient;

/*
 * Connects to the Unix stream socket at path.  Returns 0 and *ret_c, which
 * the caller frees with ctlclient_free(); or connect()'s negative errno
 * (-ENOENT, -ECONNREFUSED, -EACCES, -ENOTSOCK, ...), -ENAMETOOLONG when
 * path does not fit in sun_path, or -ENOMEM, with e naming path.
 */
int ctlclient_connect(const char *path, struct ctlclient **ret_c,
		      struct hs_err *e);

/* Closes the connection and frees c; NULL is allowed. */
void ctlclient_free(struct ctlclient *c);

/*
 * Makes a read that waits more than seconds fail with -ETIMEDOUT; 0 waits
 * forever (the default).  Returns 0 or a negative errno.
 */
int ctlclient_set_timeout(struct ctlclient *c, unsigned seconds,
			  struct hs_err *e);

/*
 * Sends line (len bytes, no '\n' in it) followed by '\n'.  No size check:
 * tests use it to send what a well-behaved client would not.  Returns 0,
 * -EINVAL when line holds a '\n', or send()'s negative errno (-EPIPE ...).
 */
int ctlclient_send_line(struct ctlclient *c, const char *line, size_t len,
			struct hs_err *e);

/*
 * Sends req as one compact JSON line.  Returns 0, -EMSGSIZE when the line
 * would exceed CTLCLIENT_REQUEST_MAX, -ENOMEM, or ctlclient_send_line()'s error.
 */
int ctlclient_send(struct ctlclient *c, const json_t *req, struct hs_err *e);

/* ctlclient_send(), passing fd along (SCM_RIGHTS) when fd >= 0: the daemon
 * reads the file with the descriptor, not by its path. */
int ctlclient_send_fd(struct ctlclient *c, const json_t *req, int fd,
		      struct hs_err *e);

/*
 * Reads the next reply line.  Returns 1 with *ret_line (NUL-terminated,
 * without its '\n', owned by c and valid until the next call on c) and
 * *ret_len; 0 when the daemon closed the connection after a whole line (or
 * before any); -EMSGSIZE for a line over CTLCLIENT_LINE_MAX; -ENODATA when
 * the connection closed in the middle of a line; -ETIMEDOUT (see
 * ctlclient_set_timeout); or recv()'s negative errno.
 */
int ctlclient_read_line(struct ctlclient *c, const char **ret_line,
			size_t *ret_len, struct hs_err *e);

/*
 * ctlclient_read_line() and parses the line.  Returns 1 with *ret_j, a JSON
 * object the caller releases with json_decref(), and the raw line as above;
 * 0 at the end of the stream; -EBADMSG when the line is not a JSON object;
 * or ctlclient_read_line()'s error.
 */
int ctlclient_read_json(struct ctlclient *c, const char **ret_line,
			json_t **ret_j, struct hs_err *e);

#endif
