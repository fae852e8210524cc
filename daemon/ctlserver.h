/*
 * ctlserver.h - the control socket: a local stream socket speaking JSON
 * lines (docs/protocol.md).  This module owns the connections and the bytes:
 * the slots, framing request lines with a hard cap, and buffered,
 * non-blocking replies with a cap.  Listening, accepting and who the peer is
 * are the platform's (ctlsock.h); what a request means is the daemon's.
 *
 * No local user can jam it: the slots are shared out per uid, a few are kept
 * for the peers allowed to change state, and a client that does not send its
 * request, or does not read its reply, is dropped at a deadline.  Refusals,
 * evictions and drops are logged once each, naming the peer's uid and pid.
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

/*
 * Who gets a slot (ctl_admit).  A peer allowed to change state (root, the
 * daemon's user, [control] admin_group: the caller's ctl_trust_fn) may take
 * any free slot and, when none is free, evicts a read-only client: one that
 * has sent no request or does not read its reply if there is one, else one
 * waiting for its answer; the one connected first among them.  A peer that
 * may only read gets at most CTL_PER_UID_MAX slots per uid, and never the
 * last CTL_RESERVED free ones.
 */
#define CTL_MAX_CLIENTS 32
#define CTL_RESERVED 4 /* slots kept for peers allowed to change state */
#define CTL_PER_UID_MAX 4 /* connections at once per read-only uid */

/*
 * Deadlines, in seconds (ctl_sweep): to send the request line, and for
 * pending output to make progress.  A client that reads its reply, however
 * slowly, is never dropped; one waiting for an event with nothing pending
 * has no deadline.
 */
#define CTL_REQUEST_DEADLINE 10
#define CTL_WRITE_DEADLINE 10

/*
 * A client's unsent output never exceeds CTL_OUT_MAX: the longest reply
 * line haishinctl reads (CTLCLIENT_LINE_MAX, 1000 history rows).  Progress
 * events are queued only while less than CTL_EVENTS_MAX waits, so a slow
 * reader misses intermediate progress, never its end line.
 */
#define CTL_OUT_MAX (2u * 1024 * 1024)
#define CTL_EVENTS_MAX (256u * 1024)

#define CTL_LOG_BURST 10 /* refusals logged a second; the others are counted */

struct ctl_client {
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool privileged; /* may change state, as judged when it connected */
	char in[CTL_LINE_MAX + 1];
	size_t in_len;
	bool has_request; /* a line was taken (or input ended): no more reads */
	bool discarding; /* after an oversized line: input is thrown away */
	bool has_passed_fd; /* the peer passed a descriptor (push) */
	int passed_fd;
	char *out;
	size_t out_len;
	size_t out_cap;
	bool closing; /* close once out is sent */
	bool shut; /* shut for writing: closed when the peer hangs up */
	int waiting; /* what the daemon owes it (its own enum), 0: nothing */
	int64_t since; /* when it connected (ctl_clock) */
	int64_t stamp; /* when its output last made progress (ctl_clock) */
};

struct ctl_server {
	int lfd;
	char path[108];
	struct ctl_client clients[CTL_MAX_CLIENTS];
	/* Refusals are logged at most CTL_LOG_BURST a second. */
	int64_t log_second;
	unsigned log_count;
	unsigned log_hushed;
};

/* Whether a peer may change state (then it is served before read-only ones). */
typedef bool ctl_trust_fn(void *ctx, uid_t uid, gid_t gid);

/* What ctl_admit() decides for a new peer. */
enum ctl_verdict {
	CTL_ADMIT, /* into the free slot *ret_slot */
	CTL_ADMIT_EVICT, /* into *ret_slot, once its read-only client is gone */
	CTL_REFUSE_SHARE, /* read-only, and its uid holds CTL_PER_UID_MAX */
	CTL_REFUSE_FULL, /* no slot this peer may take */
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

/* Seconds on a monotonic clock: what since, stamp and ctl_sweep use. */
int64_t ctl_clock(void);

/*
 * The admission rule, a pure function of the slot table: where a peer with
 * uid (privileged: trusted() said it may change state) goes.  *ret_slot is
 * written for CTL_ADMIT and CTL_ADMIT_EVICT only.
 */
enum ctl_verdict ctl_admit(const struct ctl_server *s, uid_t uid,
			   bool privileged, size_t *ret_slot);

/*
 * Accepts pending connections (at most 2 * CTL_MAX_CLIENTS a call, so a
 * flood cannot hold the loop), each as ctl_admit() says; trusted(ctx, ...)
 * judges the peer.  A refused peer is told why in an end line ("code":
 * "unavailable") and closed; refusals and evictions are logged.
 */
void ctl_accept(struct ctl_server *s, ctl_trust_fn *trusted, void *ctx);

/*
 * Drops, with a log line each, the clients past a deadline (see
 * CTL_REQUEST_DEADLINE).  Returns the seconds until the next deadline, or
 * INT_MAX when no client has one.
 */
int ctl_sweep(struct ctl_server *s, int64_t now);

/*
 * Reads what client c sent.  Returns 1 when a whole request line is in
 * c->in (NUL-terminated, without the newline), 0 when more is needed, and a
 * negative errno when the client is gone (-ECONNRESET: already closed) or
 * sent more than CTL_LINE_MAX bytes without a newline (-E2BIG: the caller
 * answers; from then on what the peer sends is read and thrown away, and
 * once the answer is out the connection is shut for writing and closed when
 * the peer hangs up, so the peer reads the answer and an end of file, not a
 * reset).
 */
int ctl_read(struct ctl_client *c);

/*
 * Queues a reply line (a newline is added).  An event (must_send false) is
 * skipped when CTL_EVENTS_MAX or more waits unsent; a line that would take
 * the unsent output over CTL_OUT_MAX drops the client (logged).  Returns 0,
 * -ENOBUFS (dropped) or -ENOMEM.
 */
int ctl_send(struct ctl_client *c, const char *line, bool must_send);

/* Writes what is queued; closes the client when it is done or gone (after
 * an oversized request: shuts it for writing, see ctl_read). */
void ctl_flush(struct ctl_client *c);

/* Closes client c at once. */
void ctl_drop(struct ctl_client *c);

/* The client that owns fd, or NULL. */
struct ctl_client *ctl_find(struct ctl_server *s, int fd);

#endif
