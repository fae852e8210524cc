/*
 * ctlserver.c - the control socket's plumbing, in the manner of OpenBSD
 * ntpd's control.c: check the length of sun_path, replace a stale socket,
 * bind under a restrictive umask, then chmod and chown; size-check every
 * message before parsing it.
 */
#include "ctlserver.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "str.h"

static int ctl_sockaddr(const char *path, struct sockaddr_un *sa,
			struct hs_err *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (hs_strlcpy(sa->sun_path, path, sizeof(sa->sun_path)) < 0)
		return hs_err_set(e, -ENAMETOOLONG,
				  "socket path '%s' is longer than %zu bytes",
				  path, sizeof(sa->sun_path) - 1);
	return 0;
}

/* A socket file nobody answers on is left over from a crash. */
static int ctl_remove_stale(const struct sockaddr_un *sa, struct hs_err *e)
{
	struct stat st;
	int fd;
	int r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT
			       ? 0
			       : hs_err_set(e, -errno, "'%s': %s", sa->sun_path,
					    strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return hs_err_set(e, -EEXIST, "'%s' exists and is not a socket",
				  sa->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hs_err_set(e, -errno, "socket: %s", strerror(errno));
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	(void)close(fd);
	if (r == 0)
		return hs_err_set(e, -EADDRINUSE,
				  "another haishind answers on '%s'",
				  sa->sun_path);
	if (unlink(sa->sun_path) < 0)
		return hs_err_set(e, -errno, "cannot remove '%s': %s",
				  sa->sun_path, strerror(errno));
	return 0;
}

static int ctl_set_owner(const char *path, const char *group, struct hs_err *e)
{
	struct group *g;

	if (chmod(path, 0660) < 0)
		return hs_err_set(e, -errno, "cannot chmod '%s': %s", path,
				  strerror(errno));
	if (group[0] == '\0')
		return 0;
	g = getgrnam(group);
	if (g == NULL)
		return hs_err_set(e, -ENOENT,
				  "[control] group '%s' does not "
				  "exist",
				  group);
	if (chown(path, (uid_t)-1, g->gr_gid) < 0)
		return hs_err_set(e, -errno,
				  "cannot give '%s' to group '%s': "
				  "%s",
				  path, group, strerror(errno));
	return 0;
}

static int ctl_make_parent(const char *path, struct hs_err *e)
{
	char dir[PATH_MAX];
	char *slash;

	if (hs_strlcpy(dir, path, sizeof(dir)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return hs_err_set(e, -errno, "cannot create '%s': %s", dir,
				  strerror(errno));
	return 0;
}

int ctl_listen(struct ctl_server *s, const char *path, const char *group,
	       struct hs_err *e)
{
	struct sockaddr_un sa;
	mode_t old_umask;
	size_t i;
	int r;

	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	r = ctl_sockaddr(path, &sa, e);
	if (r == 0)
		r = ctl_make_parent(path, e);
	if (r == 0)
		r = ctl_remove_stale(&sa, e);
	if (r < 0)
		return r;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		return hs_err_set(e, -errno, "socket: %s", strerror(errno));
	old_umask = umask(S_IXUSR | S_IXGRP | S_IRWXO);
	r = bind(s->lfd, (const struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno
								       : 0;
	(void)umask(old_umask);
	if (r == 0 && listen(s->lfd, CTL_MAX_CLIENTS) < 0)
		r = -errno;
	if (r < 0) {
		(void)close(s->lfd);
		s->lfd = -1;
		return hs_err_set(e, r, "cannot listen on '%s': %s", path,
				  strerror(-r));
	}
	(void)hs_strlcpy(s->path, path, sizeof(s->path));
	return ctl_set_owner(path, group, e);
}

void ctl_drop(struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	if (c->has_passed_fd)
		(void)close(c->passed_fd);
	(void)close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_close(struct ctl_server *s)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_drop(&s->clients[i]);
	if (s->lfd >= 0) {
		(void)close(s->lfd);
		(void)unlink(s->path);
	}
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

static void ctl_identify(struct ctl_client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
	} else {
		c->uid = (uid_t)-1; /* unknown: may read, never change */
		c->gid = (gid_t)-1;
	}
}

void ctl_accept(struct ctl_server *s)
{
	static const char busy[] = "{\"type\": \"end\", \"ok\": false, "
				   "\"error\": \"too many clients\"}\n";
	size_t i;
	int fd;

	for (;;) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		for (i = 0; i < CTL_MAX_CLIENTS && s->clients[i].fd >= 0; i++)
			continue;
		if (i == CTL_MAX_CLIENTS) {
			(void)!write(fd, busy, sizeof(busy) - 1);
			(void)close(fd);
			continue;
		}
		memset(&s->clients[i], 0, sizeof(s->clients[i]));
		s->clients[i].fd = fd;
		s->clients[i].since = (int64_t)time(NULL);
		ctl_identify(&s->clients[i]);
	}
}

/*
 * Reads what the peer sent, and a descriptor passed with it (SCM_RIGHTS:
 * the bundle of a push, opened by the peer with its own permissions).  One
 * descriptor is kept; any other is closed at once.
 */
static ssize_t ctl_recv(struct ctl_client *c)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov = {c->in + c->in_len, CTL_LINE_MAX - c->in_len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *h;
	ssize_t n;

	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (h = CMSG_FIRSTHDR(&msg); h != NULL; h = CMSG_NXTHDR(&msg, h)) {
		const size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[4];
		size_t i;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(fds, CMSG_DATA(h), (k < 4 ? k : 4) * sizeof(int));
		for (i = 0; i < k && i < 4; i++) {
			if (!c->has_passed_fd) {
				c->passed_fd = fds[i];
				c->has_passed_fd = true;
			} else {
				(void)close(fds[i]);
			}
		}
	}
	return n;
}

int ctl_read(struct ctl_client *c)
{
	char *nl;
	ssize_t n;

	n = ctl_recv(c);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		ctl_drop(c);
		return -ECONNRESET;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	nl = memchr(c->in, '\n', c->in_len);
	if (nl == NULL)
		return c->in_len == CTL_LINE_MAX ? -E2BIG : 0;
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
	if (!must_send && c->out_len + n + 1 > CTL_OUT_MAX)
		return 0; /* a slow reader misses progress, never the end */
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
	memcpy(c->out + c->out_len, line, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return 0;
}

void ctl_flush(struct ctl_client *c)
{
	ssize_t n;

	while (c->fd >= 0 && c->out_len > 0) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			ctl_drop(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->fd >= 0 && c->closing && c->out_len == 0)
		ctl_drop(c);
}

struct ctl_client *ctl_find(struct ctl_server *s, int fd)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd == fd)
			return &s->clients[i];
	return NULL;
}
