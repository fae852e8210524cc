/*
 * fuzz_ctlproto.c - ctl_request_parse() on untrusted bytes: every peer of the
 * control socket is one, and whatever it sends must be a parsed request or a
 * refusal, never a crash.
 *
 * Oracles: a failure follows hs_err.h (fuzz_check_err) and is -EINVAL; a
 * success has a known command, a limit of 1 to CTL_HISTORY_MAX, since at or
 * before until, a component that is "" or a valid name (never "" for
 * rollback and resume), a version that is "" or a valid version, and a
 * reason without control bytes; and writing the request back as JSON
 * parses to the same request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctlproto.h"
#include "fuzz.h"
#include "fuzzutil.h"
#include "str.h"
#include "version.h"

static void check_request(const struct ctl_request *req)
{
	fuzz_assert(strcmp(ctl_cmd_name(req->cmd), "?") != 0,
		    "a request with an unknown command");
	fuzz_assert(req->limit >= 1 && req->limit <= CTL_HISTORY_MAX,
		    "history limit out of range");
	fuzz_assert(req->since <= req->until, "since after until");
	fuzz_assert(strnlen(req->component, sizeof(req->component)) <
			    sizeof(req->component),
		    "component not terminated");
	fuzz_assert(req->component[0] == '\0' ||
			    version_name_is_valid(req->component),
		    "an invalid component name passed");
	fuzz_assert(
		(req->cmd != CTL_CMD_ROLLBACK && req->cmd != CTL_CMD_RESUME) ||
			req->component[0] != '\0',
		"a rollback or resume without a component");
	fuzz_assert(req->version[0] == '\0' || version_is_valid(req->version),
		    "an invalid version passed");
	fuzz_assert(strnlen(req->reason, sizeof(req->reason)) <
			    sizeof(req->reason),
		    "reason not terminated");
	for (const char *p = req->reason; *p != '\0'; p++)
		fuzz_assert((unsigned char)*p >= 0x20 && *p != 0x7f,
			    "a control byte in the reason");
}

static void set_time(json_t *o, const char *key, int64_t t)
{
	char when[21];

	if (t == INT64_MIN || t == INT64_MAX)
		return;
	hs_time_format(t, when);
	(void)json_object_set_new(o, key, json_string(when));
}

/* The request as a client would send it. */
static char *encode(const struct ctl_request *req)
{
	json_t *o = json_pack("{s:s}", "cmd", ctl_cmd_name(req->cmd));
	char *s;

	if (req->cmd == CTL_CMD_HISTORY) {
		if (req->has_component)
			(void)json_object_set_new(o, "component",
						  json_string(req->component));
		set_time(o, "since", req->since);
		set_time(o, "until", req->until);
		(void)json_object_set_new(o, "limit",
					  json_integer((json_int_t)req->limit));
	}
	if (req->cmd == CTL_CMD_ROLLBACK || req->cmd == CTL_CMD_RESUME)
		(void)json_object_set_new(o, "component",
					  json_string(req->component));
	if (req->cmd == CTL_CMD_ROLLBACK && req->version[0] != '\0')
		(void)json_object_set_new(o, "version",
					  json_string(req->version));
	if (req->cmd == CTL_CMD_DISABLE && req->reason[0] != '\0')
		(void)json_object_set_new(o, "reason",
					  json_string(req->reason));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	struct ctl_request again;
	struct hs_err e;
	char *line;
	int r;

	hs_err_clear(&e);
	r = ctl_request_parse((const char *)data, size, &req, &e);
	if (r < 0) {
		fuzz_check_err(r, &e);
		fuzz_assert(r == -EINVAL, "a refusal that is not -EINVAL");
		return 0;
	}
	check_request(&req);
	line = encode(&req);
	fuzz_assert(line != NULL, "cannot encode a parsed request");
	r = ctl_request_parse(line, strlen(line), &again, &e);
	fuzz_assert(r == 0, "a written-back request does not parse");
	fuzz_assert(again.cmd == req.cmd && again.limit == req.limit &&
			    again.since == req.since &&
			    again.until == req.until &&
			    again.has_component == req.has_component &&
			    strcmp(again.component, req.component) == 0 &&
			    strcmp(again.version, req.version) == 0 &&
			    strcmp(again.reason, req.reason) == 0,
		    "a written-back request parses differently");
	free(line);
	return 0;
}
