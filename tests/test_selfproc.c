/*
 * test_selfproc.c - selfproc.h as Linux does it (selfproc_linux.c): the
 * running executable, "another executable" by file and not by name, a
 * started haishind's standard error on the pipe and the lent one on
 * descriptor 3, its environment, its exit status, its whole process group
 * killed, and the standard error taken back.  Scripts stand in for the
 * next haishind.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "selfproc.h"
#include "str.h"

static char *script(const char *dir, const char *name, const char *body)
{
	tu_write(dir, name, body, strlen(body), 0755);
	return tu_path(dir, name);
}

/* Everything the child writes to the pipe until it closes it. */
static void read_all(int fd, char *out, size_t n)
{
	size_t used = 0;
	ssize_t k;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};

		assert_true(poll(&p, 1, 5000) > 0);
		k = read(fd, out + used, n - 1 - used);
		if (k < 0 && errno == EAGAIN)
			continue;
		assert_true(k >= 0);
		if (k == 0)
			break;
		used += (size_t)k;
	}
	out[used] = '\0';
}

/* Waits for pid (at most 5 s): its exit status and signal. */
static void reap(pid_t pid, int *code, int *sig)
{
	int i;

	for (i = 0; i < 500; i++) {
		const int r = selfproc_reap(pid, code, sig);

		assert_true(r >= 0);
		if (r == 1)
			return;
		(void)poll(NULL, 0, 10);
	}
	fail_msg("pid %d did not end", (int)pid);
}

static void test_exe(void **state)
{
	char want[PATH_MAX];
	char got[PATH_MAX];

	(void)state;
	assert_non_null(realpath("/proc/self/exe", want));
	assert_int_equal(selfproc_exe(got, sizeof(got), NULL), 0);
	assert_string_equal(got, want);
	assert_int_equal(selfproc_exe(got, 4, NULL), -ENAMETOOLONG);
}

/* The same file under another name is not another executable; a copy is,
 * unless it cannot be run. */
static void test_is_other(void **state)
{
	const char *dir = *state;
	char self[PATH_MAX];
	char *link = tu_path(dir, "link");
	char *copy;
	size_t n;
	void *p;

	assert_int_equal(selfproc_exe(self, sizeof(self), NULL), 0);
	assert_int_equal(selfproc_is_other(self, NULL), 0);
	assert_int_equal(symlink(self, link), 0);
	assert_int_equal(selfproc_is_other(link, NULL), 0);
	p = tu_read(self, &n);
	tu_write(dir, "copy", p, n, 0755);
	free(p);
	copy = tu_path(dir, "copy");
	assert_int_equal(selfproc_is_other(copy, NULL), 1);
	assert_int_equal(chmod(copy, 0644), 0);
	assert_int_equal(selfproc_is_other(copy, NULL), 0);
	assert_int_equal(selfproc_is_other(dir, NULL), 0);
	free(link);
	link = tu_path(dir, "missing");
	assert_int_equal(selfproc_is_other(link, NULL), 0);
	free(link);
	free(copy);
}

/*
 * The child's standard error is the pipe; descriptor 3 is this process's
 * standard error (here a file); its environment has set's variables,
 * replacing those of the same name; its exit status comes back.
 */
static void test_spawn(void **state)
{
	const char *dir = *state;
	char *prog = script(dir, "next",
			    "#!/bin/sh\n"
			    "echo \"line one $HS_SP_A $HS_SP_B\" >&2\n"
			    "echo 'the last line' >&2\n"
			    "echo 'to the real log' >&3\n"
			    "exit 3\n");
	const char *const set[] = {"HS_SP_A=new", NULL};
	char *const argv[] = {(char *)"next", NULL};
	char *logp = tu_path(dir, "log");
	char out[256];
	pid_t pid = 0;
	int err = -1;
	int saved;
	int logfd;
	int code;
	int sig;

	assert_int_equal(setenv("HS_SP_A", "old", 1), 0);
	assert_int_equal(setenv("HS_SP_B", "kept", 1), 0);
	logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(logfd >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(logfd, STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(selfproc_spawn(prog, argv, set, &pid, &err, NULL), 0);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	(void)close(saved);
	(void)close(logfd);
	read_all(err, out, sizeof(out));
	assert_string_equal(out, "line one new kept\nthe last line\n");
	reap(pid, &code, &sig);
	assert_int_equal(code, 3);
	assert_int_equal(sig, 0);
	tu_assert_file(dir, "log", "to the real log\n");
	(void)close(err);
	(void)unsetenv("HS_SP_A");
	(void)unsetenv("HS_SP_B");
	free(logp);
	free(prog);
}

static void test_spawn_missing(void **state)
{
	const char *dir = *state;
	char *prog = tu_path(dir, "none");
	char *const argv[] = {(char *)"none", NULL};
	struct hs_err e;
	pid_t pid = 0;
	int err = -1;

	assert_int_equal(selfproc_spawn(prog, argv, NULL, &pid, &err, &e),
			 -ENOENT);
	assert_non_null(strstr(e.msg, prog));
	assert_int_equal(err, -1);
	free(prog);
}

/* Whether pid is gone or only a zombie waiting for its new parent. */
static bool dead(pid_t pid)
{
	char path[64];
	char buf[512];
	FILE *f;
	char *p;
	bool zombie = false;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return true;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		p = strrchr(buf, ')');
		zombie = p != NULL && p[1] == ' ' && p[2] == 'Z';
	}
	(void)fclose(f);
	return zombie;
}

/* Killing the started one kills what it started too (its group). */
static void test_kill_group(void **state)
{
	const char *dir = *state;
	char *prog = script(dir, "sleeper",
			    "#!/bin/sh\n"
			    "sleep 1000 &\n"
			    "echo $! >&2\n"
			    "wait\n");
	char *const argv[] = {(char *)"sleeper", NULL};
	char line[64];
	size_t used = 0;
	uint64_t child;
	pid_t pid = 0;
	int err = -1;
	ssize_t k;
	int i;

	assert_int_equal(selfproc_spawn(prog, argv, NULL, &pid, &err, NULL), 0);
	while (used == 0 || line[used - 1] != '\n') {
		struct pollfd p = {err, POLLIN, 0};

		assert_true(poll(&p, 1, 5000) > 0);
		k = read(err, line + used, sizeof(line) - 1 - used);
		assert_true(k > 0 || (k < 0 && errno == EAGAIN));
		if (k > 0)
			used += (size_t)k;
	}
	line[used - 1] = '\0';
	assert_int_equal(hs_parse_u64(line, INT32_MAX, &child), 0);
	assert_false(dead((pid_t)child));
	selfproc_kill(pid);
	assert_true(kill(pid, 0) < 0);
	for (i = 0; i < 200 && !dead((pid_t)child); i++)
		(void)poll(NULL, 0, 10);
	assert_true(dead((pid_t)child));
	(void)close(err);
	free(prog);
}

/* The lent standard error becomes standard error again. */
static void test_take_log(void **state)
{
	const char *dir = *state;
	char *logp = tu_path(dir, "taken");
	int saved = dup(STDERR_FILENO);
	int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(selfproc_take_log(fd), 0);
	assert_true(write(STDERR_FILENO, "x\n", 2) == 2);
	assert_true(fcntl(fd, F_GETFD) < 0); /* closed */
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	(void)close(saved);
	tu_assert_file(dir, "taken", "x\n");
	free(logp);
}

static void test_parent_is(void **state)
{
	(void)state;
	assert_true(selfproc_parent_is(getppid()));
	assert_false(selfproc_parent_is(getpid()));
}

static void test_keep_private(void **state)
{
	int fd = dup(STDIN_FILENO);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(selfproc_keep_private(fd), 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	(void)close(fd);
	assert_int_equal(selfproc_keep_private(fd), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exe),
		cmocka_unit_test_setup_teardown(test_is_other, tu_dir_setup,
						tu_dir_teardown),
		cmocka_unit_test_setup_teardown(test_spawn, tu_dir_setup,
						tu_dir_teardown),
		cmocka_unit_test_setup_teardown(test_spawn_missing,
						tu_dir_setup, tu_dir_teardown),
		cmocka_unit_test_setup_teardown(test_kill_group, tu_dir_setup,
						tu_dir_teardown),
		cmocka_unit_test_setup_teardown(test_take_log, tu_dir_setup,
						tu_dir_teardown),
		cmocka_unit_test(test_parent_is),
		cmocka_unit_test(test_keep_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
