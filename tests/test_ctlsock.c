/*
 * test_ctlsock.c - the control channel's socket calls (ctlsock.h): who the
 * peer is, descriptors passed along (one kept, the others closed, never
 * leaked), listening at a path (mode 0660, a stale socket replaced, a live
 * one or another file refused, nothing left behind on failure), connect,
 * accept, timeouts, and a send to a peer that is gone.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"
#include "hs_err.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
}

/* True when the pipe whose read end is rfd has no writer left. */
static bool pipe_orphaned(int rfd)
{
	char c;

	assert_int_equal(fcntl(rfd, F_SETFL, O_NONBLOCK), 0);
	return read(rfd, &c, 1) == 0;
}

static void test_peer_is_me(void **state)
{
	struct ctlsock_peer p;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(ctlsock_peer(sv[0], &p), 0);
	assert_int_equal(p.pid, getpid());
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());
	ctlsock_close(sv[0]);
	ctlsock_close(sv[1]);
}

/* Not a socket: the system cannot say who is there. */
static void test_peer_of_a_pipe(void **state)
{
	struct ctlsock_peer p;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(ctlsock_peer(fds[0], &p), -ENOTSOCK);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

/* The receiver gets its own close-on-exec copy; the sender keeps its own. */
static void test_pass_fd(void **state)
{
	int sv[2];
	int fds[2];
	int got = -1;
	char buf[8];

	(void)state;
	pair(sv);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "bundle", 6), 6);
	assert_int_equal(ctlsock_send_fd(sv[0], "x\n", 2, fds[0]), 2);
	assert_int_equal(ctlsock_recv(sv[1], buf, sizeof(buf), &got), 2);
	assert_memory_equal(buf, "x\n", 2);
	assert_true(got >= 0 && got != fds[0]);
	assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(read(got, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "bundle", 6);
	assert_true(fcntl(fds[0], F_GETFD) >= 0);
	(void)close(got);
	(void)close(fds[0]);
	(void)close(fds[1]);
	ctlsock_close(sv[0]);
	ctlsock_close(sv[1]);
}

/* No descriptor came: *ret_fd says -1. */
static void test_recv_without_fd(void **state)
{
	int sv[2];
	int got = 7;
	char buf[8];

	(void)state;
	pair(sv);
	assert_int_equal(ctlsock_send(sv[0], "ab", 2), 2);
	assert_int_equal(ctlsock_recv(sv[1], buf, sizeof(buf), &got), 2);
	assert_int_equal(got, -1);
	ctlsock_close(sv[0]);
	ctlsock_close(sv[1]);
}

/* A descriptor nobody asked for is closed, not leaked. */
static void test_unwanted_fd_is_closed(void **state)
{
	int sv[2];
	int fds[2];
	char buf[8];

	(void)state;
	pair(sv);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(ctlsock_send_fd(sv[0], "x", 1, fds[1]), 1);
	(void)close(fds[1]);
	assert_int_equal(ctlsock_recv(sv[1], buf, sizeof(buf), NULL), 1);
	assert_true(pipe_orphaned(fds[0]));
	(void)close(fds[0]);
	ctlsock_close(sv[0]);
	ctlsock_close(sv[1]);
}

/* Two descriptors in one message: the first is kept, the second closed. */
static void test_second_fd_is_closed(void **state)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct iovec iov = {"x", 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *h;
	int sv[2];
	int a[2];
	int b[2];
	int two[2];
	int got = -1;
	char buf[8];

	(void)state;
	pair(sv);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	memset(&cm, 0, sizeof(cm));
	h = CMSG_FIRSTHDR(&msg);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(2 * sizeof(int));
	two[0] = a[1];
	two[1] = b[1];
	memcpy(CMSG_DATA(h), two, sizeof(two));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 1);
	(void)close(a[1]);
	(void)close(b[1]);
	assert_int_equal(ctlsock_recv(sv[1], buf, sizeof(buf), &got), 1);
	assert_true(got >= 0);
	assert_false(pipe_orphaned(a[0])); /* got still writes into a */
	assert_true(pipe_orphaned(b[0]));
	(void)close(got);
	assert_true(pipe_orphaned(a[0]));
	(void)close(a[0]);
	(void)close(b[0]);
	ctlsock_close(sv[0]);
	ctlsock_close(sv[1]);
}

/* A peer that is gone: -EPIPE, and no SIGPIPE kills the test. */
static void test_send_to_gone_peer(void **state)
{
	int sv[2];

	(void)state;
	pair(sv);
	ctlsock_close(sv[1]);
	assert_int_equal(ctlsock_send(sv[0], "x", 1), -EPIPE);
	ctlsock_close(sv[0]);
}

static char *sock_path(const char *dir)
{
	return tu_path(dir, "run/haishin.sock");
}

/* Listen, connect, accept, talk; the socket is 0660; unlisten removes it. */
static void test_listen_connect_accept(void **state)
{
	char *path = sock_path(*state);
	struct ctlsock_peer p;
	struct stat st;
	char buf[8];
	int lfd = -1;
	int cfd = -1;
	int sfd = -1;

	assert_int_equal(ctlsock_listen(path, "", 4, &lfd, NULL), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(ctlsock_accept(lfd, &sfd), -EAGAIN);
	assert_int_equal(ctlsock_connect(path, &cfd, NULL), 0);
	assert_int_equal(ctlsock_accept(lfd, &sfd), 0);
	assert_true(fcntl(sfd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(ctlsock_peer(sfd, &p), 0);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(ctlsock_recv(sfd, buf, sizeof(buf), NULL), -EAGAIN);
	assert_int_equal(ctlsock_send(cfd, "hi\n", 3), 3);
	assert_int_equal(ctlsock_recv(sfd, buf, sizeof(buf), NULL), 3);
	ctlsock_shutdown(sfd);
	assert_int_equal(ctlsock_recv(cfd, buf, sizeof(buf), NULL), 0);
	ctlsock_close(sfd);
	ctlsock_close(cfd);
	ctlsock_unlisten(lfd, path);
	assert_int_equal(lstat(path, &st), -1);
	free(path);
}

/* A socket file left by a crash is replaced; a live one is refused. */
static void test_stale_and_live_socket(void **state)
{
	char *path = sock_path(*state);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct hs_err e;
	int fd;
	int lfd = -1;
	int other = -1;

	tu_write(*state, "run/.keep", "", 0, 0600);
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	(void)close(fd); /* the file stays, nobody answers */
	assert_int_equal(ctlsock_listen(path, "", 4, &lfd, NULL), 0);
	tu_assert_err(ctlsock_listen(path, "", 4, &other, &e), &e, -EADDRINUSE,
		      "another haishind answers on");
	assert_int_equal(other, -1);
	ctlsock_unlisten(lfd, path);
	free(path);
}

static void test_other_file_is_kept(void **state)
{
	char *path = sock_path(*state);
	struct hs_err e;
	int lfd = -1;

	tu_write(*state, "run/haishin.sock", "data", 4, 0600);
	tu_assert_err(ctlsock_listen(path, "", 4, &lfd, &e), &e, -EEXIST,
		      "exists and is not a socket");
	tu_assert_file(*state, "run/haishin.sock", "data");
	free(path);
}

/* A group that does not exist: refused, and no socket file left behind. */
static void test_missing_group(void **state)
{
	char *path = sock_path(*state);
	struct hs_err e;
	struct stat st;
	int lfd = -1;

	tu_assert_err(ctlsock_listen(path, "hs-no-such-group", 4, &lfd, &e), &e,
		      -ENOENT, "group 'hs-no-such-group' does not exist");
	assert_int_equal(lfd, -1);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	free(path);
}

static void test_own_group(void **state)
{
	char *path = sock_path(*state);
	const struct group *g = getgrgid(getgid());
	struct stat st;
	int lfd = -1;

	assert_non_null(g);
	assert_true(ctlsock_uid_in_group(getuid(), getgid(), g->gr_name));
	assert_false(ctlsock_uid_in_group(getuid(), getgid(), ""));
	assert_false(
		ctlsock_uid_in_group(getuid(), getgid(), "hs-no-such-group"));
	assert_int_equal(ctlsock_listen(path, g->gr_name, 4, &lfd, NULL), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_gid, getgid());
	ctlsock_unlisten(lfd, path);
	free(path);
}

static void test_self_or_root(void **state)
{
	(void)state;
	assert_true(ctlsock_uid_is_self_or_root(0));
	assert_true(ctlsock_uid_is_self_or_root(geteuid()));
	if (geteuid() != 65534)
		assert_false(ctlsock_uid_is_self_or_root(65534));
}

static void test_connect_errors(void **state)
{
	char *path = sock_path(*state);
	char longer[200];
	struct hs_err e;
	int fd = -1;

	tu_assert_err(ctlsock_connect(path, &fd, &e), &e, -ENOENT,
		      "cannot connect to");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	tu_assert_err(ctlsock_connect(longer, &fd, &e), &e, -ENAMETOOLONG,
		      "is too long");
	tu_assert_err(ctlsock_listen(longer, "", 4, &fd, &e), &e, -ENAMETOOLONG,
		      "is longer than 107 bytes");
	assert_int_equal(fd, -1);
	free(path);
}

/* A receive that waits longer than the timeout: -EAGAIN. */
static void test_timeout(void **state)
{
	int sv[2];
	char buf[4];

	(void)state;
	pair(sv);
	assert_int_equal(ctlsock_set_timeout(sv[0], 1, NULL), 0);
	assert_int_equal(ctlsock_recv(sv[0], buf, sizeof(buf), NULL), -EAGAIN);
	ctlsock_close(sv[0]);
	ctlsock_close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_is_me),
		cmocka_unit_test(test_peer_of_a_pipe),
		cmocka_unit_test(test_pass_fd),
		cmocka_unit_test(test_recv_without_fd),
		cmocka_unit_test(test_unwanted_fd_is_closed),
		cmocka_unit_test(test_second_fd_is_closed),
		cmocka_unit_test(test_send_to_gone_peer),
		tu_dir_test(test_listen_connect_accept),
		tu_dir_test(test_stale_and_live_socket),
		tu_dir_test(test_other_file_is_kept),
		tu_dir_test(test_missing_group),
		tu_dir_test(test_own_group),
		cmocka_unit_test(test_self_or_root),
		tu_dir_test(test_connect_errors),
		cmocka_unit_test(test_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
