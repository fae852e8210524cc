/*
 * selfproc_linux.c - selfproc.h on Linux: the running executable is
 * /proc/self/exe; another haishind takes this process's place with
 * execv(2), and the next one of a hand-over is started with posix_spawn(3)
 * (safe from the daemon's threads, unlike fork) in a process group of its
 * own, so that killing the group ends whatever it started too.
 */
#include "selfproc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "str.h"

extern char **environ;

#define SELFPROC_ARGS_MAX 16 /* haishind's own options, with room */

int selfproc_exe(char *out, size_t n, struct hs_err *e)
{
	char buf[PATH_MAX];
	ssize_t len;

	len = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (len < 0)
		return hs_err_set(e, -errno, "cannot read '/proc/self/exe': %s",
				  strerror(errno));
	buf[len] = '\0';
	if (hs_strlcpy(out, buf, n) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", buf);
	return 0;
}

int selfproc_is_other(const char *path, struct hs_err *e)
{
	struct stat self;
	struct stat st;

	if (stat("/proc/self/exe", &self) < 0)
		return hs_err_set(e, -errno,
				  "cannot look at '/proc/self/exe': %s",
				  strerror(errno));
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    access(path, X_OK) < 0)
		return 0;
	return st.st_dev != self.st_dev || st.st_ino != self.st_ino;
}

/* Whether entry ("NAME=value") sets a variable that one of set sets. */
static bool selfproc_overridden(const char *entry, const char *const *set)
{
	const char *eq = strchr(entry, '=');
	const size_t n = eq != NULL ? (size_t)(eq - entry) : strlen(entry);
	size_t i;

	for (i = 0; set != NULL && set[i] != NULL; i++)
		if (strncmp(set[i], entry, n) == 0 && set[i][n] == '=')
			return true;
	return false;
}

/* This environment plus set, in a malloc'ed array the caller frees (the
 * strings stay the environment's and set's). */
static char **selfproc_env(const char *const *set)
{
	size_t n_env = 0;
	size_t n_set = 0;
	size_t k = 0;
	size_t i;
	char **env;

	while (environ[n_env] != NULL)
		n_env++;
	while (set != NULL && set[n_set] != NULL)
		n_set++;
	env = calloc(n_env + n_set + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < n_env; i++)
		if (!selfproc_overridden(environ[i], set))
			env[k++] = environ[i];
	for (i = 0; i < n_set; i++)
		env[k++] = (char *)set[i];
	env[k] = NULL;
	return env;
}

/* argv with path as argv[0], into out (SELFPROC_ARGS_MAX + 1 places). */
static int selfproc_args(const char *path, char *const *argv, char **out,
			 struct hs_err *e)
{
	size_t i;

	out[0] = (char *)path;
	for (i = 1; argv[0] != NULL && argv[i] != NULL; i++) {
		if (i == SELFPROC_ARGS_MAX)
			return hs_err_set(e, -E2BIG, "too many arguments");
		out[i] = argv[i];
	}
	out[i] = NULL;
	return 0;
}

int selfproc_exec(const char *path, char *const *argv, const char *const *set,
		  struct hs_err *e)
{
	char *args[SELFPROC_ARGS_MAX + 1];
	char **env;
	int r;

	r = selfproc_args(path, argv, args, e);
	if (r < 0)
		return r;
	env = selfproc_env(set);
	if (env == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	(void)execve(path, args, env);
	r = -errno;
	free(env);
	return hs_err_set(e, r, _("cannot run '%s': %s"), path, strerror(-r));
}

static int selfproc_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at,
			  int wfd)
{
	sigset_t none;
	sigset_t all;
	int r;

	(void)sigemptyset(&none);
	(void)sigfillset(&all);
	r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(fa, STDERR_FILENO,
						     SELFPROC_LOG_FD);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(fa, wfd, STDERR_FILENO);
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

/* posix_spawn of path with args and env, its standard error into wfd. */
static int selfproc_start(const char *path, char **args, char **env, int wfd,
			  pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int r;

	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	r = posix_spawnattr_init(&at);
	if (r != 0)
		goto out_fa;
	r = -selfproc_setup(&fa, &at, wfd);
	if (r == 0)
		r = posix_spawn(ret_pid, path, &fa, &at, args, env);
	(void)posix_spawnattr_destroy(&at);
out_fa:
	(void)posix_spawn_file_actions_destroy(&fa);
	return -r;
}

/* Moves *fd above SELFPROC_LOG_FD, which the child's standard error is
 * copied onto before the pipe becomes its standard error. */
static int selfproc_above_log_fd(int *fd)
{
	int moved;

	if (*fd > SELFPROC_LOG_FD)
		return 0;
	moved = fcntl(*fd, F_DUPFD_CLOEXEC, SELFPROC_LOG_FD + 1);
	if (moved < 0) {
		const int r = -errno;

		(void)close(*fd);
		return r;
	}
	(void)close(*fd);
	*fd = moved;
	return 0;
}

int selfproc_spawn(const char *path, char *const *argv, const char *const *set,
		   pid_t *ret_pid, int *ret_err_fd, struct hs_err *e)
{
	char *args[SELFPROC_ARGS_MAX + 1];
	int fds[2] = {-1, -1};
	char **env = NULL;
	pid_t pid;
	int r;

	r = selfproc_args(path, argv, args, e);
	if (r < 0)
		return r;
	env = selfproc_env(set);
	if (env == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = hs_err_set(e, -errno, "pipe: %s", strerror(errno));
		goto out_env;
	}
	r = selfproc_above_log_fd(&fds[1]);
	if (r < 0) {
		(void)close(fds[0]);
		r = hs_err_set(e, r, "fcntl: %s", strerror(-r));
		goto out_env;
	}
	r = selfproc_start(path, args, env, fds[1], &pid);
	(void)close(fds[1]);
	if (r < 0) {
		(void)close(fds[0]);
		r = hs_err_set(e, r, _("cannot run '%s': %s"), path,
			       strerror(-r));
		goto out_env;
	}
	*ret_pid = pid;
	*ret_err_fd = fds[0];
out_env:
	free(env);
	return r;
}

int selfproc_reap(pid_t pid, int *ret_code, int *ret_signal)
{
	int status = 0;
	pid_t r;

	r = waitpid(pid, &status, WNOHANG);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	*ret_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	*ret_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 1;
}

void selfproc_kill(pid_t pid)
{
	int status;

	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL); /* should it have left its group */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
}

int selfproc_take_log(int fd)
{
	if (dup2(fd, STDERR_FILENO) < 0)
		return -errno;
	(void)close(fd);
	return 0;
}

int selfproc_keep_private(int fd)
{
	const int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

bool selfproc_parent_is(pid_t pid)
{
	return getppid() == pid;
}
