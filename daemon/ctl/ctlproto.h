/*
 * ctlproto.h - the control protocol's requests, parsed and checked
 * (docs/protocol.md).
 *
 * A request is one JSON object on one line.  ctl_request_parse() turns it
 * into a struct ctl_request or refuses it with a message naming the bad
 * field; the daemon acts only on parsed requests, so everything a peer can
 * send is checked here, in one place, which the fuzz target exercises.
 *
 * A refusal's end line carries a fixed "code" for tools (and haishinctl's
 * exit status) next to its translated "error" text.
 */
#ifndef HAISHIN_CTLPROTO_H
#define HAISHIN_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "hs_limits.h"

#define CTL_LINE_MAX 4096 /* a request line, with its '\n' */
#define CTL_HISTORY_DEFAULT 50
#define CTL_HISTORY_MAX 1000
#define CTL_REASON_MAX 256 /* a disable reason, with its NUL */

/* The "code" of an end line with "ok": false. */
#define CTL_ERR_INVALID "invalid" /* a malformed or unknown request */
#define CTL_ERR_DENIED "denied" /* the peer may not change state */
#define CTL_ERR_UNAVAILABLE "unavailable" /* cannot be answered now */

enum ctl_cmd {
	CTL_CMD_STATUS,
	CTL_CMD_HISTORY,
	CTL_CMD_VERIFY,
	CTL_CMD_CHECK_CONNECTION,
	CTL_CMD_DOWNLOAD_NOW,
	CTL_CMD_ENABLE,
	CTL_CMD_DISABLE,
	CTL_CMD_PUSH, /* the bundle comes as a passed descriptor */
	CTL_CMD_ROLLBACK, /* component, optional version */
	CTL_CMD_RESUME, /* component */
};

struct ctl_request {
	enum ctl_cmd cmd;
	/* history (optional), rollback and resume (required): */
	bool has_component; /* history: component "" asks for whole-check
			     * rows */
	char component[HS_NAME_MAX + 1];
	/* rollback: the version to go to, "" for the previous one */
	char version[HS_VERSION_MAX + 1];
	int64_t since; /* attempts started at or after, INT64_MIN: all */
	int64_t until; /* ... and before, INT64_MAX: all */
	size_t limit;
	/* disable: */
	char reason[CTL_REASON_MAX];
};

/* The command's name as the protocol spells it. */
const char *ctl_cmd_name(enum ctl_cmd cmd);

/* Parses one request line of n bytes (without its '\n'); -EINVAL with a
 * message naming the problem when it is not a valid request. */
int ctl_request_parse(const char *line, size_t n, struct ctl_request *req,
		      struct hs_err *e);

/* True for the commands that change state (download-now, enable, disable,
 * push, rollback, resume), which only some peers may send. */
bool ctl_cmd_changes(enum ctl_cmd cmd);

#endif
