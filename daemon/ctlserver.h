/*
 * ctlserver.h - the control socket: a Unix stream socket speaking JSON
 * lines (docs/protocol.md).  This module owns the sockets and the bytes:
 * binding safely, accepting, who the peer is (SO_PEERCRED), framing request
 * lines with a hard cap, and buffered, non-blocking replies with a cap.  What
 * a request means is the daemon's business.
 */
#ifndef HAISHIN_CTLSERVER_H
#define HAISHIN_CTLSERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctlproto.h"
#include "hs_err.h"

#define CTL_MAX_CLIENTS 32
#define CTL_OUT_MAX (256u * 1024)

struct ctl_client {
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char in[CTL_LINE_MAX + 1];
	size_t in_len;
	bool has_request; /* a line was taken; no more are read */
	bool has_passed_fd; /* the peer passed a descriptor (push) */
	int passed_fd;
	char *out;
	size_t out_len;
	size_t out_cap;
	bool closing; /* close once out is sent */
	int waiting; /* what the daemon owes it (its own enum), 0: nothing */
	int64_t since; /* when it connected, seconds since the epoch */
};

struct ctl_server {
	int lfd;
	char path[108];
	struct ctl_client clients[CTL_MAX_CLIENTS];
};

/*
 * Binds path (mode 0660, group `group` when not ""; a stale socket is
 * replaced, a live one is an error) and listens.  The parent directory is
 * created (0755) when missing.
 */
int ctl_listen(struct ctl_server *s, const char *path, const char *group,
	       struct hs_err *e);

/* Closes every client and the socket, and removes the socket file. */
void ctl_close(struct ctl_server *s);

/* Adds the server's and clients' descriptors to fds; returns how many. */
size_t ctl_poll_fds(const struct ctl_server *s, struct pollfd *fds, size_t max);

/* Accepts pending connections (too many: the newest is told and closed). */
void ctl_accept(struct ctl_server *s);

/*
 * Reads what client c sent.  Returns 1 when a whole request line is in
 * c->in (NUL-terminated, without the newline), 0 when more is needed, and a
 * negative errno when the client is gone or sent too much (then it is
 * already closed, or -E2BIG: the caller answers and closes).
 */
int ctl_read(struct ctl_client *c);

/*
 * Queues a reply line (a newline is added).  An event (must_send false)
 * is dropped when the client's buffer is full; an end line is always
 * queued.  Returns 0 or -ENOMEM.
 */
int ctl_send(struct ctl_client *c, const char *line, bool must_send);

/* Writes what is queued; closes the client when it is done or gone. */
void ctl_flush(struct ctl_client *c);

/* Closes client c at once. */
void ctl_drop(struct ctl_client *c);

/* The client that owns fd, or NULL. */
struct ctl_client *ctl_find(struct ctl_server *s, int fd);

#endif
