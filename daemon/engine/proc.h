/*
 * proc.h - running a package's hook or a configured command, bounded.
 *
 * A program runs with a working directory, an environment made only of
 * what the caller gives (plus a fixed PATH), no standard input, its
 * standard output and error captured together, and a deadline: past it the
 * program and everything it started (its process group) are killed.  The
 * result keeps the exit status and the last non-empty line the program
 * wrote, which is what a person reads when a hook fails.  The POSIX
 * implementation is proc_posix.c; another platform adds its own file.
 */
#ifndef HAISHIN_PROC_H
#define HAISHIN_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hs_err.h"

#define PROC_LINE_MAX 256 /* the last line kept, with its NUL */
#define PROC_ENV_MAX 16 /* variables a caller may pass */
/* The PATH every spawned program gets: the system's, nothing of ours. */
#define PROC_PATH \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct proc_cmd {
	const char *const *argv; /* argv[0] is the program's path */
	const char *cwd; /* NULL: stay where the daemon is */
	const char *const *env; /* "NAME=value", NULL-terminated; may be NULL */
	uint32_t timeout; /* seconds; 0 is refused */
	const atomic_bool *cancel; /* set: kill it now (NULL: never) */
};

struct proc_result {
	int exit_code; /* 0..255 when it exited, -1 otherwise */
	int signal; /* the signal that ended it, or 0 */
	bool timed_out; /* killed at the deadline */
	bool cancelled; /* killed because cancel was set */
	uint64_t output_bytes; /* all it wrote (only the last line is kept) */
	char last_line[PROC_LINE_MAX]; /* "" when it wrote nothing */
};

/*
 * Runs cmd and waits for it (and its output) to end, or kills its process
 * group at the deadline.  Returns 0 when it ran, whatever its exit status
 * (read *ret); a negative errno when it could not be started (-ENOENT,
 * -EACCES for a program that is not there or not executable), e naming the
 * program.  *ret is filled whenever 0 is returned.
 */
int proc_run(const struct proc_cmd *cmd, struct proc_result *ret,
	     struct hs_err *e);

/*
 * What a person reads about a finished run, into out (n bytes): "exit
 * status 3", "killed by signal 9", "timed out after 60 s", "stopped",
 * followed by ": LAST LINE" when it wrote one.
 */
void proc_describe(const struct proc_cmd *cmd, const struct proc_result *res,
		   char *out, size_t n);

/* True when the run ended in exit status 0. */
bool proc_succeeded(const struct proc_result *res);

#endif
