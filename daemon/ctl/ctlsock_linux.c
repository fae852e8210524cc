/*
 * ctlsock_linux.c - ctlsock.h over a Unix stream socket, in the manner of
 * OpenBSD ntpd's control.c: check the length of sun_path, replace a stale
 * socket, bind under a restrictive umask, then chmod and chown.  The peer is
 * who SO_PEERCRED says; a descriptor travels as SCM_RIGHTS.  It is named for
 * Linux because of SO_PEERCRED's struct ucred, accept4(), MSG_NOSIGNAL and
 * MSG_CMSG_CLOEXEC; the rest is POSIX.
 */
#include "ctlsock.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "str.h"

#define CTLSOCK_PASSED_MAX 4 /* descriptors looked at in one message */
#define CTLSOCK_GROUPS_MAX 256 /* supplementary groups looked through */

static int ctlsock_sockaddr(const char *path, struct sockaddr_un *sa,
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
static int ctlsock_remove_stale(const struct sockaddr_un *sa, struct hs_err *e)
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

static int ctlsock_set_owner(const char *path, const char *group,
			     struct hs_err *e)
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

static int ctlsock_make_parent(const char *path, struct hs_err *e)
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

/* Binds fd at sa with no permission for others, and listens. */
static int ctlsock_bind(int fd, const struct sockaddr_un *sa, int backlog,
			struct hs_err *e)
{
	mode_t old_umask;
	int r;

	old_umask = umask(S_IXUSR | S_IXGRP | S_IRWXO);
	r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
	(void)umask(old_umask);
	if (r == 0 && listen(fd, backlog) < 0)
		r = -errno;
	if (r < 0)
		return hs_err_set(e, r, "cannot listen on '%s': %s",
				  sa->sun_path, strerror(-r));
	return 0;
}

int ctlsock_listen(const char *path, const char *group, int backlog,
		   int *ret_fd, struct hs_err *e)
{
	struct sockaddr_un sa;
	int fd;
	int r;

	r = ctlsock_sockaddr(path, &sa, e);
	if (r == 0)
		r = ctlsock_make_parent(path, e);
	if (r == 0)
		r = ctlsock_remove_stale(&sa, e);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return hs_err_set(e, -errno, "socket: %s", strerror(errno));
	r = ctlsock_bind(fd, &sa, backlog, e);
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	r = ctlsock_set_owner(path, group, e);
	if (r < 0) {
		ctlsock_unlisten(fd, path);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

void ctlsock_unlisten(int fd, const char *path)
{
	(void)close(fd);
	(void)unlink(path);
}

int ctlsock_accept(int lfd, int *ret_fd)
{
	const int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*ret_fd = fd;
	return 0;
}

int ctlsock_peer(int fd, struct ctlsock_peer *ret_p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	ret_p->pid = cred.pid;
	ret_p->uid = cred.uid;
	ret_p->gid = cred.gid;
	return 0;
}

bool ctlsock_uid_in_group(uid_t uid, gid_t gid, const char *group)
{
	gid_t groups[CTLSOCK_GROUPS_MAX];
	int n = CTLSOCK_GROUPS_MAX;
	struct passwd *pw;
	struct group *g;
	int i;

	if (group[0] == '\0')
		return false;
	g = getgrnam(group);
	if (g == NULL)
		return false;
	if (gid == g->gr_gid)
		return true;
	pw = getpwuid(uid);
	if (pw == NULL || getgrouplist(pw->pw_name, gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

bool ctlsock_uid_is_self_or_root(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Keeps the first descriptor of an SCM_RIGHTS message in *keep (when keep
 * is not NULL and holds none yet) and closes the others. */
static void ctlsock_take_fds(const struct cmsghdr *h, int *keep)
{
	const size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int fds[CTLSOCK_PASSED_MAX];
	size_t i;

	memcpy(fds, CMSG_DATA(h),
	       (k < CTLSOCK_PASSED_MAX ? k : CTLSOCK_PASSED_MAX) * sizeof(int));
	for (i = 0; i < k && i < CTLSOCK_PASSED_MAX; i++) {
		if (keep != NULL && *keep < 0)
			*keep = fds[i];
		else
			(void)close(fds[i]);
	}
}

ssize_t ctlsock_recv(int fd, void *buf, size_t n, int *ret_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * CTLSOCK_PASSED_MAX)];
	} cm;
	struct iovec iov = {buf, n};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *h;
	ssize_t got;

	if (ret_fd != NULL)
		*ret_fd = -1;
	got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (h = CMSG_FIRSTHDR(&msg); h != NULL; h = CMSG_NXTHDR(&msg, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			ctlsock_take_fds(h, ret_fd);
	return got;
}

ssize_t ctlsock_send(int fd, const void *buf, size_t n)
{
	const ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

	if (w < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return w;
}

ssize_t ctlsock_send_fd(int fd, const void *buf, size_t n, int pass_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = {(void *)buf, n};
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
	memcpy(CMSG_DATA(h), &pass_fd, sizeof(int));
	w = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (w < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return w;
}

void ctlsock_shutdown(int fd)
{
	(void)shutdown(fd, SHUT_WR);
}

void ctlsock_close(int fd)
{
	(void)close(fd);
}

int ctlsock_connect(const char *path, int *ret_fd, struct hs_err *e)
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

int ctlsock_set_timeout(int fd, unsigned seconds, struct hs_err *e)
{
	struct timeval tv;

	memset(&tv, 0, sizeof(tv));
	tv.tv_sec = (time_t)seconds;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return hs_err_set(e, -errno, "setsockopt: %s", strerror(errno));
	return 0;
}
