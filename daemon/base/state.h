/*
 * state.h - the terminal and progress states of an attempt, with their fixed
 * names and exit codes (DESIGN.md).  Pure data: no I/O.
 */
#ifndef HAISHIN_STATE_H
#define HAISHIN_STATE_H

#include <stdbool.h>

enum state {
	/* Terminal states: every attempt ends in exactly one. */
	STATE_UP_TO_DATE,
	STATE_COMPLETED,
	STATE_COMPLETED_RESTART_REQUIRED,
	STATE_INTERRUPTED,
	STATE_FAILED_CONNECT,
	STATE_FAILED_VERIFY,
	STATE_FAILED_INSTALL,
	STATE_STOPPED,
	/* Progress states. */
	STATE_CHECKING,
	STATE_DOWNLOADING,
	STATE_VERIFYING,
	STATE_INSTALLING,
	STATE_WAITING, /* between attempts: a backoff or a Retry-After */
};

/* "UP_TO_DATE", "COMPLETED", ... */
const char *state_name(enum state s);

/*
 * The state named name (exactly as state_name() writes it, terminal or
 * progress).  Returns 0 with *ret_s, or -EINVAL for any other string.
 */
int state_from_name(const char *name, enum state *ret_s);

/* Whether s is one of the terminal states, the ones with an exit code. */
bool state_is_terminal(enum state s);

/* The process exit code of a terminal state (0, 65, 69, 73, 75, 78). */
int state_exit_code(enum state s);

/*
 * Combines the outcomes of two components into the outcome of the attempt:
 * the more severe wins.  From least to most severe: UP_TO_DATE, COMPLETED,
 * COMPLETED_RESTART_REQUIRED, INTERRUPTED, FAILED_CONNECT, FAILED_VERIFY,
 * FAILED_INSTALL (the one that needs a person soonest), STOPPED.
 */
enum state state_merge(enum state a, enum state b);

#endif
