/*
 * selfproc.h - haishind's own process, as the operating system sees it:
 * which executable runs, putting another haishind in its place at start
 * (the exec of the active haishin), and starting and watching the next
 * haishind of a hand-over (docs/daemon.md, "haishin updates itself").
 * handover.c decides when; this seam only does.  Each platform has its own
 * file (docs/platform.md): selfproc_linux.c reads /proc/self/exe and uses
 * execv(2) and posix_spawn(3).
 */
#ifndef HAISHIN_SELFPROC_H
#define HAISHIN_SELFPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hs_err.h"

/*
 * The descriptor a started haishind finds this process's standard error
 * on, while its own standard error goes to the pipe the starter reads
 * (selfproc_spawn); selfproc_take_log() takes it back.
 */
#define SELFPROC_LOG_FD 3

/* The running executable's path, resolved (no symlinks), into out. */
int selfproc_exe(char *out, size_t n, struct hs_err *e);

/*
 * Whether path (symlinks followed) is an executable regular file other
 * than the running executable (another file, not merely another name):
 * 1 it is, 0 it is not or is not there, or a negative errno with e set
 * when the running executable cannot be looked at.
 */
int selfproc_is_other(const char *path, struct hs_err *e);

/*
 * Runs path in this process's place, with argv (argv[0] becomes path) and
 * this environment plus set ("NAME=value" entries, NULL-terminated, each
 * replacing the variable of its name).  Returns only when it cannot: a
 * negative errno with e naming path.
 */
int selfproc_exec(const char *path, char *const *argv, const char *const *set,
		  struct hs_err *e);

/*
 * Starts path with argv (argv[0] becomes path) and the environment as for
 * selfproc_exec, in a process group of its own, every signal at its
 * default and unblocked, standard input from /dev/null, standard output
 * this process's, standard error a pipe whose reading end (non-blocking,
 * close-on-exec) goes to *ret_err_fd, and SELFPROC_LOG_FD this process's
 * standard error.  0 with *ret_pid and *ret_err_fd, which the caller
 * closes; or a negative errno with e naming path.
 */
int selfproc_spawn(const char *path, char *const *argv, const char *const *set,
		   pid_t *ret_pid, int *ret_err_fd, struct hs_err *e);

/*
 * Whether pid, started by selfproc_spawn, has ended: 0 not yet; 1 it has,
 * with *ret_code its exit status (-1 when a signal ended it) and
 * *ret_signal that signal (0 when it exited); or a negative errno.
 */
int selfproc_reap(pid_t pid, int *ret_code, int *ret_signal);

/* Kills pid's whole process group and waits for pid to end. */
void selfproc_kill(pid_t pid);

/*
 * Takes back the standard error that the starter lent at fd: standard
 * error is fd's file from now on, and fd is closed.  Returns 0 or a
 * negative errno (standard error is then left as it was).
 */
int selfproc_take_log(int fd);

/* Keeps fd from being inherited by what this process starts. */
int selfproc_keep_private(int fd);

/* Whether pid is still this process's parent. */
bool selfproc_parent_is(pid_t pid);

#endif
