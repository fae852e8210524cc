/*
 * ctlserver.c - the control socket's plumbing: slots, framing with a hard
 * cap (every message is size-checked before it is parsed), deadlines and
 * output buffers.  The socket calls themselves are the platform's
 * (ctlsock.h); what a request means is the daemon's.
 *
 * Fairness: ctl_admit() is the whole admission rule, a pure function of the
 * slot table; ctl_accept() applies it, ctl_sweep() the deadlines, ctl_send()
 * the output cap.  A client is closed only once nothing it sent is left
 * unread (ctl_read, ctl_flush), so what it is told arrives before an end of
 * file, not a reset.
 */
#include "ctlserver.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctlsock.h"
#include "i18n.h"
#include "log.h"
#include "str.h"

int64_t ctl_clock(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

int ctl_listen(struct ctl_server *s, const char *path, const char *group,
	       struct hs_err *e)
{
	size_t i;
	int r;

	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	if (hs_strlcpy(s->path, path, sizeof(s->path)) < 0)
		return hs_err_set(e, -ENAMETOOLONG,
				  "socket path '%s' is longer than %zu bytes",
				  path, sizeof(s->path) - 1);
	r = ctlsock_listen(path, group, CTL_MAX_CLIENTS, &s->lfd, e);
	if (r < 0)
		s->lfd = -1;
	return r;
}

void ctl_drop(struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	if (c->has_passed_fd)
		ctlsock_close(c->passed_fd);
	ctlsock_close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_close(struct ctl_server *s)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_drop(&s->clients[i]);
	if (s->lfd >= 0)
		ctlsock_unlisten(s->lfd, s->path);
	s->lfd = -1;
}

size_t ctl_poll_fds(const struct ctl_server *s, struct pollfd *fds, size_t max)
{
	size_t n = 0;
	size_t i;

	if (s->lfd >= 0 && n < max)
		fds[n++] = (struct pollfd){s->lfd, POLLIN, 0};
	for (i = 0; i < CTL_MAX_CLIENTS && n < max; i++) {
		const struct ctl_client *c = &s->clients[i];
		short ev = 0;

		if (c->fd < 0)
			continue;
		if (!c->has_request)
			ev |= POLLIN;
		if (c->out_len > 0)
			ev |= POLLOUT;
		fds[n++] = (struct pollfd){c->fd, ev, 0};
	}
	return n;
}

/* The peer of a new connection; one the system cannot name gets uid
 * (uid_t)-1, which may read and never change state. */
static void ctl_identify(int fd, struct ctlsock_peer *p)
{
	if (ctlsock_peer(fd, p) < 0) {
		p->pid = 0;
		p->uid = (uid_t)-1;
		p->gid = (gid_t)-1;
	}
}

/*
 * Whether read-only client a goes before b when one must be evicted: first
 * those that hold a slot for nothing (no request yet, or a reply they do
 * not read), then the one connected first.
 */
static bool ctl_evicts_before(const struct ctl_client *a,
			      const struct ctl_client *b)
{
	const bool a_idle = !a->has_request || a->out_len > 0;
	const bool b_idle = !b->has_request || b->out_len > 0;

	if (a_idle != b_idle)
		return a_idle;
	return a->since < b->since;
}

enum ctl_verdict ctl_admit(const struct ctl_server *s, uid_t uid,
			   bool privileged, size_t *ret_slot)
{
	size_t free_slot = CTL_MAX_CLIENTS;
	size_t victim = CTL_MAX_CLIENTS;
	size_t readonly = 0;
	size_t mine = 0;
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		const struct ctl_client *c = &s->clients[i];

		if (c->fd < 0 && free_slot == CTL_MAX_CLIENTS)
			free_slot = i;
		if (c->fd < 0 || c->privileged)
			continue;
		readonly++;
		mine += c->uid == uid;
		if (victim == CTL_MAX_CLIENTS ||
		    ctl_evicts_before(c, &s->clients[victim]))
			victim = i;
	}
	if (!privileged && mine >= CTL_PER_UID_MAX)
		return CTL_REFUSE_SHARE;
	if (!privileged && readonly >= CTL_MAX_CLIENTS - CTL_RESERVED)
		return CTL_REFUSE_FULL;
	if (free_slot < CTL_MAX_CLIENTS) {
		*ret_slot = free_slot;
		return CTL_ADMIT;
	}
	if (!privileged || victim == CTL_MAX_CLIENTS)
		return CTL_REFUSE_FULL;
	*ret_slot = victim;
	return CTL_ADMIT_EVICT;
}

/* Says how many refusals went unlogged, once their second is over. */
static void ctl_log_flush(struct ctl_server *s, int64_t now)
{
	if (now == s->log_second)
		return;
	if (s->log_hushed > 0)
		log_warn("control: %u more connections refused in a burst, "
			 "not logged one by one",
			 s->log_hushed);
	s->log_second = now;
	s->log_count = 0;
	s->log_hushed = 0;
}

/* Whether a refusal may be logged: CTL_LOG_BURST a second, then counted. */
static bool ctl_log_allowed(struct ctl_server *s)
{
	ctl_log_flush(s, ctl_clock());
	if (s->log_count >= CTL_LOG_BURST) {
		s->log_hushed++;
		return false;
	}
	s->log_count++;
	return true;
}

static void ctl_log_refusal(struct ctl_server *s, const struct ctlsock_peer *p,
			    enum ctl_verdict v, bool privileged)
{
	if (!ctl_log_allowed(s))
		return;
	if (v == CTL_REFUSE_SHARE)
		log_warn("control client uid %ld pid %ld: refused: it holds "
			 "the %d connections a user who may only read gets at "
			 "most",
			 (long)p->uid, (long)p->pid, CTL_PER_UID_MAX);
	else if (!privileged)
		log_warn("control client uid %ld pid %ld: refused: the %d "
			 "slots open to users who may only read are all taken",
			 (long)p->uid, (long)p->pid,
			 CTL_MAX_CLIENTS - CTL_RESERVED);
	else
		log_warn("control client uid %ld pid %ld: refused: all %d "
			 "slots are taken by peers allowed to change state",
			 (long)p->uid, (long)p->pid, CTL_MAX_CLIENTS);
}

/* What a refused peer reads, in the daemon's language. */
static void ctl_refusal_text(const struct ctlsock_peer *p, enum ctl_verdict v,
			     bool privileged, char *out, size_t n)
{
	if (v == CTL_REFUSE_SHARE)
		(void)hs_snprintf(out, n,
				  _("too many connections from uid %ld: a "
				    "user who may only read gets %d at once; "
				    "close one and try again"),
				  (long)p->uid, CTL_PER_UID_MAX);
	else if (!privileged)
		(void)hs_snprintf(out, n, "%s",
				  _("too many clients: the connections open "
				    "to users who may only read are all in "
				    "use; try again later"));
	else
		(void)hs_snprintf(out, n,
				  _("too many clients: all %d connections "
				    "are in use; try again later"),
				  CTL_MAX_CLIENTS);
}

/*
 * Tells a refused peer why and closes it: shut for writing, then what the
 * peer already sent is read away, so that it reads the answer and an end of
 * file rather than a reset.
 */
static void ctl_refuse(int fd, const char *why)
{
	json_t *j = json_pack("{s:s, s:b, s:s, s:s}", "type", "end", "ok", 0,
			      "code", CTL_ERR_UNAVAILABLE, "error", why);
	char *line = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	char buf[CTL_LINE_MAX]; /* the answer, then the request read away */
	size_t left;
	ssize_t n;

	if (line != NULL && hs_snprintf(buf, sizeof(buf), "%s\n", line) == 0)
		(void)ctlsock_send(fd, buf, strlen(buf));
	free(line);
	json_decref(j);
	ctlsock_shutdown(fd);
	for (left = sizeof(buf); left > 0; left -= (size_t)n) {
		n = ctlsock_recv(fd, buf, left, NULL);
		if (n <= 0)
			break;
	}
	ctlsock_close(fd);
}

/* Gives a new connection its slot, or turns it away. */
static void ctl_take(struct ctl_server *s, int fd, ctl_trust_fn *trusted,
		     void *ctx)
{
	struct ctl_client *c;
	struct ctlsock_peer p;
	enum ctl_verdict v;
	bool privileged;
	char why[512]; /* a translated sentence */
	size_t slot = 0;

	ctl_identify(fd, &p);
	privileged = p.uid != (uid_t)-1 && trusted(ctx, p.uid, p.gid);
	v = ctl_admit(s, p.uid, privileged, &slot);
	if (v == CTL_REFUSE_SHARE || v == CTL_REFUSE_FULL) {
		ctl_log_refusal(s, &p, v, privileged);
		ctl_refusal_text(&p, v, privileged, why, sizeof(why));
		ctl_refuse(fd, why);
		return;
	}
	c = &s->clients[slot];
	if (v == CTL_ADMIT_EVICT) {
		log_warn(
			"control client uid %ld pid %ld: evicted after %lld s: "
			"every slot is taken and uid %ld pid %ld may change "
			"state",
			(long)c->uid, (long)c->pid,
			(long long)(ctl_clock() - c->since), (long)p.uid,
			(long)p.pid);
		ctl_drop(c);
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->pid = p.pid;
	c->uid = p.uid;
	c->gid = p.gid;
	c->privileged = privileged;
	c->since = ctl_clock();
	c->stamp = c->since;
}

void ctl_accept(struct ctl_server *s, ctl_trust_fn *trusted, void *ctx)
{
	size_t k;
	int fd;

	for (k = 0; k < 2 * CTL_MAX_CLIENTS; k++) {
		if (ctlsock_accept(s->lfd, &fd) < 0)
			return;
		ctl_take(s, fd, trusted, ctx);
	}
}

/*
 * Reads what the peer sent, and a descriptor passed with it (the bundle of
 * a push, opened by the peer with its own permissions).  One descriptor is
 * kept; any other is closed at once.  Returns ctlsock_recv()'s result.
 */
static ssize_t ctl_recv(struct ctl_client *c)
{
	ssize_t n;
	int fd = -1;

	n = ctlsock_recv(c->fd, c->in + c->in_len, CTL_LINE_MAX - c->in_len,
			 &fd);
	if (fd >= 0 && c->has_passed_fd) {
		ctlsock_close(fd);
	} else if (fd >= 0) {
		c->passed_fd = fd;
		c->has_passed_fd = true;
	}
	return n;
}

/* After an oversized line: reads away what the peer sends until it hangs
 * up, then closes once the answer is out (ctl_flush). */
static int ctl_discard(struct ctl_client *c, ssize_t n)
{
	if (n > 0) {
		c->in_len = 0;
		return 0;
	}
	if (n == 0)
		c->has_request = true; /* nothing more will come */
	if (n < 0 || c->out_len == 0) {
		ctl_drop(c);
		return -ECONNRESET;
	}
	return 0;
}

int ctl_read(struct ctl_client *c)
{
	char *nl;
	ssize_t n;

	n = ctl_recv(c);
	if (n == -EAGAIN || n == -EINTR)
		return 0;
	if (c->discarding)
		return ctl_discard(c, n);
	if (n <= 0) {
		ctl_drop(c);
		return -ECONNRESET;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	nl = memchr(c->in, '\n', c->in_len);
	if (nl == NULL && c->in_len < CTL_LINE_MAX)
		return 0;
	if (nl == NULL) {
		log_warn("control client uid %ld pid %ld: refused: request "
			 "longer than %d bytes",
			 (long)c->uid, (long)c->pid, CTL_LINE_MAX);
		c->discarding = true;
		c->in_len = 0;
		return -E2BIG;
	}
	*nl = '\0';
	c->has_request = true;
	return 1;
}

int ctl_send(struct ctl_client *c, const char *line, bool must_send)
{
	const size_t n = strlen(line);
	size_t cap;
	char *p;

	if (c->fd < 0)
		return 0;
	if (!must_send && c->out_len + n + 1 > CTL_EVENTS_MAX)
		return 0; /* a slow reader misses progress, never the end */
	if (c->out_len + n + 1 > CTL_OUT_MAX) {
		log_warn("control client uid %ld pid %ld: dropped: its unsent "
			 "reply would reach %zu bytes, over the cap of %u",
			 (long)c->uid, (long)c->pid, c->out_len + n + 1,
			 CTL_OUT_MAX);
		ctl_drop(c);
		return -ENOBUFS;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		cap = c->out_cap > 0 ? c->out_cap : 4096;
		while (cap < c->out_len + n + 1)
			cap *= 2;
		p = realloc(c->out, cap);
		if (p == NULL)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	if (c->out_len == 0)
		c->stamp = ctl_clock(); /* the write deadline starts */
	memcpy(c->out + c->out_len, line, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return 0;
}

/*
 * All that was owed is sent: close.  After an oversized request the peer
 * may still be sending; closing then would reset the connection, so it is
 * shut for writing (the peer reads an end of file) and closed when the peer
 * hangs up (ctl_discard) or at the request deadline.
 */
static void ctl_done(struct ctl_client *c)
{
	if (!c->discarding || c->has_request) {
		ctl_drop(c);
		return;
	}
	if (!c->shut)
		ctlsock_shutdown(c->fd);
	c->shut = true;
}

void ctl_flush(struct ctl_client *c)
{
	ssize_t n;

	while (c->fd >= 0 && c->out_len > 0) {
		n = ctlsock_send(c->fd, c->out, c->out_len);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			ctl_drop(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
		c->stamp = ctl_clock();
	}
	if (c->fd >= 0 && c->closing && c->out_len == 0)
		ctl_done(c);
}

/* What a deadline is: its length in seconds, and what a drop says. */
struct ctl_deadline {
	int secs;
	const char *why;
};

/* Seconds left before client c's nearest deadline (INT_MAX: it has none),
 * and which deadline it is. */
static int64_t ctl_left(const struct ctl_client *c, int64_t now,
			struct ctl_deadline *ret_d)
{
	int64_t left = INT_MAX;
	int64_t t;

	if (!c->has_request) {
		left = c->since + CTL_REQUEST_DEADLINE + 1 - now;
		ret_d->secs = CTL_REQUEST_DEADLINE;
		ret_d->why = c->discarding ? "it did not hang up after the "
					     "answer to its oversized request"
					   : "it sent no request line";
	}
	t = c->stamp + CTL_WRITE_DEADLINE + 1 - now;
	if (c->out_len > 0 && t < left) {
		left = t;
		ret_d->secs = CTL_WRITE_DEADLINE;
		ret_d->why = "its reply made no progress: it does not read";
	}
	return left;
}

int ctl_sweep(struct ctl_server *s, int64_t now)
{
	struct ctl_deadline d = {0, ""};
	int64_t next = INT_MAX;
	int64_t left;
	size_t i;

	ctl_log_flush(s, now);
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		left = ctl_left(c, now, &d);
		if (left > 0) {
			next = left < next ? left : next;
			continue;
		}
		log_warn(
			"control client uid %ld pid %ld: dropped after %d s: %s",
			(long)c->uid, (long)c->pid, d.secs, d.why);
		ctl_drop(c);
	}
	return (int)next;
}

struct ctl_client *ctl_find(struct ctl_server *s, int fd)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd == fd)
			return &s->clients[i];
	return NULL;
}
