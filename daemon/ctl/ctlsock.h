/*
 * ctlsock.h - the operating system's side of the control channel, for both
 * ends: a local stream connection at a path, who is at the other end, and
 * a descriptor passed along with the bytes.  ctlserver.c (framing,
 * admission, deadlines, buffers) and ctlclient.c (lines, the reply buffer)
 * do the rest and never call the socket API themselves.  Each platform has
 * its own file (docs/platform.md): ctlsock_linux.c uses a Unix stream socket,
 * SO_PEERCRED and SCM_RIGHTS.
 *
 * A connection is an int descriptor the event loop can poll.  Every
 * descriptor made here is close-on-exec; the server's are non-blocking, the
 * client's blocking.  Sending never raises SIGPIPE: a peer that is gone is
 * -EPIPE.  Byte counts are returned as ssize_t: >= 0 bytes, or a negative
 * errno (-EAGAIN when a non-blocking call would wait).
 */
#ifndef HAISHIN_CTLSOCK_H
#define HAISHIN_CTLSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hs_err.h"

/* Who is at the other end of a connection, as the kernel vouches for it. */
struct ctlsock_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/*
 * Listens at path: creates the parent directory (0755) when it is missing,
 * replaces a stale socket left by a crash (a live one is -EADDRINUSE, any
 * other file -EEXIST), binds under a umask that keeps others out, then
 * gives the socket mode 0660 and group `group` when not "" (-ENOENT when
 * it does not exist).  backlog is listen(2)'s.  Returns 0 and *ret_fd, or a
 * negative errno with e naming path; on failure nothing is left listening
 * and no socket file of ours is left behind.
 */
int ctlsock_listen(const char *path, const char *group, int backlog,
		   int *ret_fd, struct hs_err *e);

/* Stops listening: closes fd and removes the socket file at path. */
void ctlsock_unlisten(int fd, const char *path);

/*
 * Takes one pending connection from the listening fd.  Returns 0 and
 * *ret_fd (non-blocking), -EAGAIN when none waits, or another negative
 * errno.
 */
int ctlsock_accept(int lfd, int *ret_fd);

/* Who is at the other end of connection fd.  Returns 0 and *ret_p, or a
 * negative errno when the system cannot say. */
int ctlsock_peer(int fd, struct ctlsock_peer *ret_p);

/*
 * Whether the account uid, whose primary group is gid, belongs to the group
 * named group (as primary or supplementary group).  False for "" and for a
 * group or account that does not exist.
 */
bool ctlsock_uid_in_group(uid_t uid, gid_t gid, const char *group);

/* Whether uid is the superuser or the account the daemon runs as. */
bool ctlsock_uid_is_self_or_root(uid_t uid);

/*
 * Receives at most n bytes into buf.  A descriptor the peer passed along
 * goes to *ret_fd (close-on-exec; the caller owns it), -1 when none came;
 * with ret_fd NULL, or beyond the first, passed descriptors are closed at
 * once.  Returns the bytes received, 0 when the peer closed, or a negative
 * errno.
 */
ssize_t ctlsock_recv(int fd, void *buf, size_t n, int *ret_fd);

/* Sends at most n bytes; returns how many went, or a negative errno. */
ssize_t ctlsock_send(int fd, const void *buf, size_t n);

/*
 * ctlsock_send(), with descriptor pass_fd travelling with the first byte
 * (the peer gets its own copy; pass_fd stays the caller's).
 */
ssize_t ctlsock_send_fd(int fd, const void *buf, size_t n, int pass_fd);

/* Shuts fd for writing: the peer reads an end of file, fd still reads. */
void ctlsock_shutdown(int fd);

/* Closes connection fd. */
void ctlsock_close(int fd);

/*
 * Connects to the server listening at path.  Returns 0 and *ret_fd
 * (blocking), or connect()'s negative errno (-ENOENT, -ECONNREFUSED,
 * -EACCES, -ENOTSOCK, ...), or -ENAMETOOLONG when path is too long for the
 * platform, with e naming path.
 */
int ctlsock_connect(const char *path, int *ret_fd, struct hs_err *e);

/*
 * Makes a receive on fd that waits more than seconds fail with -EAGAIN; 0
 * waits forever.  Returns 0 or a negative errno with e set.
 */
int ctlsock_set_timeout(int fd, unsigned seconds, struct hs_err *e);

#endif
