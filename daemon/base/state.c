/*
 * state.c - names, exit codes and severity of the attempt states.
 */
#include "state.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sysexits.h>

static const struct {
	const char *name;
	int exit_code;
	int severity;
} states[] = {
	[STATE_UP_TO_DATE] = {"UP_TO_DATE", EX_OK, 0},
	[STATE_COMPLETED] = {"COMPLETED", EX_OK, 1},
	[STATE_COMPLETED_RESTART_REQUIRED] = {"COMPLETED_RESTART_REQUIRED",
					      EX_OK, 2},
	[STATE_INTERRUPTED] = {"INTERRUPTED", EX_TEMPFAIL, 3},
	[STATE_FAILED_CONNECT] = {"FAILED_CONNECT", EX_UNAVAILABLE, 4},
	[STATE_FAILED_VERIFY] = {"FAILED_VERIFY", EX_DATAERR, 5},
	[STATE_FAILED_INSTALL] = {"FAILED_INSTALL", EX_CANTCREAT, 6},
	[STATE_STOPPED] = {"STOPPED", EX_CONFIG, 7},
	[STATE_CHECKING] = {"CHECKING", -1, -1},
	[STATE_DOWNLOADING] = {"DOWNLOADING", -1, -1},
	[STATE_VERIFYING] = {"VERIFYING", -1, -1},
	[STATE_INSTALLING] = {"INSTALLING", -1, -1},
	[STATE_WAITING] = {"WAITING", -1, -1},
};

const char *state_name(enum state s)
{
	return states[s].name;
}

int state_from_name(const char *name, enum state *ret_s)
{
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(name, states[i].name) == 0) {
			*ret_s = (enum state)i;
			return 0;
		}
	return -EINVAL;
}

bool state_is_terminal(enum state s)
{
	return states[s].exit_code >= 0;
}

int state_exit_code(enum state s)
{
	assert(states[s].exit_code >= 0);
	return states[s].exit_code;
}

enum state state_merge(enum state a, enum state b)
{
	assert(states[a].severity >= 0 && states[b].severity >= 0);
	return states[a].severity >= states[b].severity ? a : b;
}
