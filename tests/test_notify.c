/*
 * test_notify.c - notify.h as systemd reads it (notify_systemd.c): each call
 * sends one datagram to $NOTIFY_SOCKET, here a socket of the test's own, and
 * a status stays one line and one bounded message.  Without NOTIFY_SOCKET
 * every call does nothing and notify_ready says 0.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

struct listener {
	char *dir;
	char *path;
	int fd;
};

static int setup(void **state)
{
	struct listener *l = calloc(1, sizeof(*l));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	assert_non_null(l);
	l->dir = tu_mkdtemp();
	l->path = tu_path(l->dir, "notify");
	assert_true(strlen(l->path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, l->path, strlen(l->path));
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->path, 1), 0);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct listener *l = *state;

	(void)unsetenv("NOTIFY_SOCKET");
	(void)close(l->fd);
	tu_rmtree(l->dir);
	free(l->path);
	free(l->dir);
	free(l);
	return 0;
}

/* The next datagram, which must be there, NUL-terminated. */
static void expect_message(const struct listener *l, const char *want)
{
	char buf[1024];
	ssize_t n;

	n = recv(l->fd, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void expect_no_message(const struct listener *l)
{
	char buf[16];

	assert_true(recv(l->fd, buf, sizeof(buf), 0) < 0);
}

static void test_ready_stopping_reloading(void **state)
{
	struct listener *l = *state;

	assert_int_equal(notify_ready(), 1);
	expect_message(l, "READY=1\nSTATUS=ready");
	notify_reloading();
	expect_message(l, "RELOADING=1\nSTATUS=reloading the configuration");
	notify_stopping();
	expect_message(l, "STOPPING=1\nSTATUS=stopping");
	expect_no_message(l);
}

/* A newline would start another assignment: it becomes a space. */
static void test_status_is_one_line(void **state)
{
	struct listener *l = *state;

	notify_status("%s %s", "FAILED_VERIFY", "bad\nREADY=1\rx");
	expect_message(l, "STATUS=FAILED_VERIFY bad READY=1 x");
}

/* A long status is cut to 255 bytes, not refused. */
static void test_status_is_cut(void **state)
{
	struct listener *l = *state;
	char text[600];
	char want[sizeof("STATUS=") + 255];

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	notify_status("%s", text);
	memcpy(want, "STATUS=", 7);
	memset(want + 7, 'a', 255);
	want[7 + 255] = '\0';
	expect_message(l, want);
}

/* A hand-over names the new main process. */
static void test_main_pid(void **state)
{
	struct listener *l = *state;

	assert_int_equal(notify_main_pid(4321), 1);
	expect_message(l, "MAINPID=4321");
	expect_no_message(l);
}

static void test_outside_systemd(void **state)
{
	struct listener *l = *state;

	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(notify_ready(), 0);
	notify_status("quiet");
	notify_stopping();
	assert_int_equal(notify_main_pid(4321), 0);
	expect_no_message(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_stopping_reloading,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_is_one_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_is_cut, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_main_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_systemd, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
