/*
 * test_proc.c - hooks and commands run bounded: the exit status and the
 * last line, a clean environment and working directory, the deadline that
 * kills the whole process group, cancel, signals back to their defaults,
 * and programs that cannot be started.
 */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_err.h"
#include "proc.h"
#include "str.h"

/* Writes an executable shell script dir/name; returns its path. */
static char *script(const char *dir, const char *name, const char *body)
{
	char text[2048];

	(void)hs_snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	tu_write(dir, name, text, strlen(text), 0755);
	return tu_path(dir, name);
}

/* Whether pid is a live process: not gone, not a zombie. */
static bool is_running(pid_t pid)
{
	char path[64];
	char stat[256];
	const char *close;
	FILE *f;
	size_t n;

	(void)hs_snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (int tries = 0; tries < 50; tries++) {
		f = fopen(path, "r");
		if (f == NULL)
			return false;
		n = fread(stat, 1, sizeof(stat) - 1, f);
		(void)fclose(f);
		stat[n] = '\0';
		close = strrchr(stat, ')');
		if (close != NULL && close[1] == ' ' &&
		    (close[2] == 'Z' || close[2] == 'X'))
			return false;
		usleep(20 * 1000);
	}
	return true;
}

static int run(const char *path, const char *cwd, const char *const *env,
	       uint32_t timeout, struct proc_result *res)
{
	const char *argv[] = {path, NULL};
	const struct proc_cmd cmd = {argv, cwd, env, timeout, NULL};
	struct hs_err e;

	return proc_run(&cmd, res, &e);
}

static void test_exit_status_and_last_line(void **state)
{
	const char *dir = *state;
	char *p = script(dir, "h",
			 "echo first\necho 'to stderr' >&2\n"
			 "printf '\\n\\n'\necho 'the last one  '\n"
			 "printf '\\n'\nexit 3");
	struct proc_result res;
	char text[512];

	assert_int_equal(run(p, NULL, NULL, 10, &res), 0);
	assert_int_equal(res.exit_code, 3);
	assert_false(res.timed_out);
	assert_false(proc_succeeded(&res));
	assert_string_equal(res.last_line, "the last one");
	proc_describe(&(struct proc_cmd){.timeout = 10}, &res, text,
		      sizeof(text));
	assert_string_equal(text, "exit status 3: the last one");
	free(p);
}

static void test_clean_env_and_cwd(void **state)
{
	const char *dir = *state;
	const char *env[] = {"HAISHIN_COMPONENT=app", NULL};
	char *p = script(dir, "h",
			 "echo \"$HAISHIN_COMPONENT|${HOME-}|$PATH|"
			 "$(pwd)\"");
	struct proc_result res;
	char want[1024];

	assert_int_equal(setenv("HOME", "/leaked", 1), 0);
	assert_int_equal(run(p, dir, env, 10, &res), 0);
	assert_true(proc_succeeded(&res));
	(void)hs_snprintf(want, sizeof(want), "app||%s|%s",
			  PROC_PATH + strlen("PATH="), dir);
	assert_string_equal(res.last_line, want);
	free(p);
}

static void test_deadline_kills_the_group(void **state)
{
	const char *dir = *state;
	char *pidfile = tu_path(dir, "bg.pid");
	char body[512];
	char *p;
	struct proc_result res;
	char text[512];
	size_t n = 0;
	char *pid_text;
	long bg;

	(void)hs_snprintf(body, sizeof(body),
			  "sleep 30 &\necho $! > '%s'\necho waiting\n"
			  "sleep 30",
			  pidfile);
	p = script(dir, "h", body);
	assert_int_equal(run(p, NULL, NULL, 1, &res), 0);
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGKILL);
	assert_string_equal(res.last_line, "waiting");
	proc_describe(&(struct proc_cmd){.timeout = 1}, &res, text,
		      sizeof(text));
	assert_string_equal(text, "timed out after 1 s: waiting");
	pid_text = tu_read(pidfile, &n);
	bg = strtol(pid_text, NULL, 10);
	assert_true(bg > 0);
	/* The program's own child went with it: nothing is left running
	 * (gone, or a zombie its new parent has not reaped yet). */
	assert_false(is_running((pid_t)bg));
	free(pid_text);
	free(pidfile);
	free(p);
}

static void *cancel_later(void *arg)
{
	usleep(300 * 1000);
	atomic_store((atomic_bool *)arg, true);
	return NULL;
}

static void test_cancel_stops_it(void **state)
{
	const char *dir = *state;
	char *p = script(dir, "h", "sleep 30");
	const char *argv[] = {p, NULL};
	atomic_bool cancel = false;
	const struct proc_cmd cmd = {argv, NULL, NULL, 30, &cancel};
	struct proc_result res;
	struct hs_err e;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, cancel_later, &cancel), 0);
	assert_int_equal(proc_run(&cmd, &res, &e), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	assert_false(proc_succeeded(&res));
	free(p);
}

/* The daemon blocks SIGTERM for its signalfd: a hook must not inherit it. */
static void test_signals_back_to_default(void **state)
{
	const char *dir = *state;
	char *p = script(dir, "h", "kill -TERM $$\nsleep 5\necho survived");
	struct proc_result res;
	sigset_t set;
	sigset_t old;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
	assert_int_equal(run(p, NULL, NULL, 10, &res), 0);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_equal(res.exit_code, -1);
	assert_string_equal(res.last_line, "");
	free(p);
}

static void test_cannot_start(void **state)
{
	const char *dir = *state;
	char *missing = tu_path(dir, "missing");
	char *plain = tu_path(dir, "plain");
	const char *argv[] = {missing, NULL};
	struct proc_cmd cmd = {argv, NULL, NULL, 10, NULL};
	struct proc_result res;
	struct hs_err e;

	tu_assert_err(proc_run(&cmd, &res, &e), &e, -ENOENT, "missing");
	tu_write(dir, "plain", "#!/bin/sh\n", 10, 0644);
	argv[0] = plain;
	/* No execute bit: refused, for root too. */
	tu_assert_err(proc_run(&cmd, &res, &e), &e, -EACCES, "plain");
	cmd.timeout = 0;
	tu_assert_err(proc_run(&cmd, &res, &e), &e, -EINVAL, "");
	free(missing);
	free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_dir_test(test_exit_status_and_last_line),
		tu_dir_test(test_clean_env_and_cwd),
		tu_dir_test(test_deadline_kills_the_group),
		tu_dir_test(test_cancel_stops_it),
		tu_dir_test(test_signals_back_to_default),
		tu_dir_test(test_cannot_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
