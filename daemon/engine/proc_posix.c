/*
 * proc_posix.c - proc.h on POSIX: posix_spawn(3) (safe from the
 * daemon's threaded process, unlike fork), a process group of its own so
 * that a deadline kills everything the program started, every signal back
 * to its default and unblocked (the daemon blocks some for signalfd), and
 * one pipe for standard output and error read until the program exits.
 *
 * Once the program itself has exited, output still arriving is read for a
 * short grace; whatever it left running keeps running, but is no longer
 * listened to (the pipe is closed).
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "str.h"

#define PROC_SLICE_MS 100
#define PROC_GRACE_MS 200 /* output read after the program exited */

/* The last non-empty line of what the program wrote, built as it comes. */
struct proc_lines {
	char cur[PROC_LINE_MAX];
	size_t cur_len;
	struct proc_result *res;
};

static void lines_end(struct proc_lines *l)
{
	size_t n = l->cur_len;

	while (n > 0 && (l->cur[n - 1] == '\r' || l->cur[n - 1] == ' ' ||
			 l->cur[n - 1] == '\t'))
		n--;
	if (n > 0) {
		memcpy(l->res->last_line, l->cur, n);
		l->res->last_line[n] = '\0';
		hs_utf8_fix(l->res->last_line);
	}
	l->cur_len = 0;
}

static void lines_feed(struct proc_lines *l, const char *p, size_t n)
{
	size_t i;

	l->res->output_bytes += n;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			lines_end(l);
			continue;
		}
		/* A control byte never fakes a line of the daemon's output. */
		if (l->cur_len + 1 < sizeof(l->cur))
			l->cur[l->cur_len++] =
				(unsigned char)p[i] < 0x20 && p[i] != '\t'
					? '?'
					: p[i];
	}
}

static int64_t now_ms(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The caller's environment plus PROC_PATH, unless it sets PATH itself. */
static int proc_env(const char *const *env, char **out, size_t max)
{
	bool has_path = false;
	size_t n = 0;

	for (; env != NULL && env[n] != NULL; n++) {
		if (n + 2 > max)
			return -E2BIG;
		out[n] = (char *)env[n];
		has_path = has_path || strncmp(env[n], "PATH=", 5) == 0;
	}
	if (!has_path)
		out[n++] = (char *)PROC_PATH;
	out[n] = NULL;
	return 0;
}

static int proc_setup(const struct proc_cmd *cmd,
		      posix_spawn_file_actions_t *fa, posix_spawnattr_t *at,
		      int wfd)
{
	sigset_t none;
	sigset_t all;
	int r;

	(void)sigemptyset(&none);
	(void)sigfillset(&all);
	r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(fa, wfd, 1);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(fa, wfd, 2);
	if (r == 0 && cmd->cwd != NULL)
		r = posix_spawn_file_actions_addchdir_np(fa, cmd->cwd);
	if (r == 0)
		r = posix_spawnattr_setflags(
			at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				    POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = posix_spawnattr_setpgroup(at, 0);
	if (r == 0)
		r = posix_spawnattr_setsigmask(at, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(at, &all);
	return -r;
}

static void proc_status(int status, struct proc_result *res)
{
	res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Reads what is there; false at the end of the output. */
static bool proc_read(int fd, struct proc_lines *l)
{
	char buf[4096];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		lines_feed(l, buf, (size_t)n);
		return true;
	}
	return n < 0 && (errno == EINTR || errno == EAGAIN);
}

/* Reads the output and waits for pid until it exits, the deadline
 * passes, or cancel is set (then its group is killed). */
static void proc_wait(const struct proc_cmd *cmd, pid_t pid, int rfd,
		      struct proc_result *res)
{
	const int64_t deadline = now_ms() + (int64_t)cmd->timeout * 1000;
	struct proc_lines l = {.cur_len = 0, .res = res};
	int64_t exited_at = -1;
	bool open = true;
	int status = 0;

	for (;;) {
		struct pollfd p = {rfd, POLLIN, 0};
		const int64_t t = now_ms();

		if (exited_at < 0 && waitpid(pid, &status, WNOHANG) == pid)
			exited_at = t;
		if (exited_at >= 0 && (!open || t - exited_at >= PROC_GRACE_MS))
			break;
		if (exited_at < 0 && cmd->cancel != NULL &&
		    atomic_load(cmd->cancel))
			res->cancelled = true;
		if (exited_at < 0 && (t >= deadline || res->cancelled)) {
			res->timed_out = !res->cancelled;
			(void)kill(-pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			break;
		}
		if (open && poll(&p, 1, PROC_SLICE_MS) > 0)
			open = proc_read(rfd, &l);
		else if (!open)
			(void)poll(NULL, 0, PROC_SLICE_MS);
	}
	lines_end(&l);
	proc_status(status, res);
}

int proc_run(const struct proc_cmd *cmd, struct proc_result *ret,
	     struct hs_err *e)
{
	char *env[PROC_ENV_MAX + 2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int fds[2] = {-1, -1};
	pid_t pid;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->exit_code = -1;
	if (cmd->timeout == 0 || cmd->argv == NULL || cmd->argv[0] == NULL)
		return hs_err_set(e, -EINVAL, "proc: no program or no timeout");
	if (proc_env(cmd->env, env, sizeof(env) / sizeof(env[0])) < 0)
		return hs_err_set(e, -E2BIG, "proc: too many variables");
	if (pipe2(fds, O_CLOEXEC) < 0)
		return hs_err_set(e, -errno, "pipe: %s", strerror(errno));
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0) {
		r = hs_err_set(e, -r, "proc: %s", strerror(r));
		goto out_close;
	}
	r = posix_spawnattr_init(&at);
	if (r != 0) {
		r = hs_err_set(e, -r, "proc: %s", strerror(r));
		goto out_fa;
	}
	r = proc_setup(cmd, &fa, &at, fds[1]);
	if (r == 0)
		r = -posix_spawn(&pid, cmd->argv[0], &fa, &at,
				 (char *const *)cmd->argv, env);
	if (r < 0) {
		r = hs_err_set(e, r, _("cannot run '%s': %s"), cmd->argv[0],
			       strerror(-r));
		goto out_attr;
	}
	(void)close(fds[1]);
	fds[1] = -1;
	proc_wait(cmd, pid, fds[0], ret);
	r = 0;
out_attr:
	(void)posix_spawnattr_destroy(&at);
out_fa:
	(void)posix_spawn_file_actions_destroy(&fa);
out_close:
	(void)close(fds[0]);
	if (fds[1] >= 0)
		(void)close(fds[1]);
	return r;
}

bool proc_succeeded(const struct proc_result *res)
{
	return !res->timed_out && !res->cancelled && res->exit_code == 0;
}

void proc_describe(const struct proc_cmd *cmd, const struct proc_result *res,
		   char *out, size_t n)
{
	size_t used;

	if (res->cancelled)
		(void)hs_snprintf(out, n, "%s", _("stopped"));
	else if (res->timed_out)
		(void)hs_snprintf(out, n, _("timed out after %u s"),
				  (unsigned)cmd->timeout);
	else if (res->signal != 0)
		(void)hs_snprintf(out, n, _("killed by signal %d"),
				  res->signal);
	else
		(void)hs_snprintf(out, n, _("exit status %d"), res->exit_code);
	used = strlen(out);
	if (res->last_line[0] != '\0')
		(void)hs_snprintf(out + used, n - used, ": %s", res->last_line);
	hs_utf8_fix(out);
}
