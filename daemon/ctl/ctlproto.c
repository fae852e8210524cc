/*
 * ctlproto.c - parsing and checking control requests.
 */
#include "ctlproto.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "str.h"
#include "version.h"

static const char *const ctl_names[] = {
	[CTL_CMD_STATUS] = "status",
	[CTL_CMD_HISTORY] = "history",
	[CTL_CMD_VERIFY] = "verify",
	[CTL_CMD_CHECK_CONNECTION] = "check-connection",
	[CTL_CMD_DOWNLOAD_NOW] = "download-now",
	[CTL_CMD_ENABLE] = "enable",
	[CTL_CMD_DISABLE] = "disable",
	[CTL_CMD_PUSH] = "push",
	[CTL_CMD_ROLLBACK] = "rollback",
	[CTL_CMD_RESUME] = "resume",
};

#define CTL_N_CMDS (sizeof(ctl_names) / sizeof(ctl_names[0]))

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
	return (size_t)cmd < CTL_N_CMDS ? ctl_names[cmd] : "?";
}

bool ctl_cmd_changes(enum ctl_cmd cmd)
{
	return cmd == CTL_CMD_DOWNLOAD_NOW || cmd == CTL_CMD_ENABLE ||
	       cmd == CTL_CMD_DISABLE || cmd == CTL_CMD_PUSH ||
	       cmd == CTL_CMD_ROLLBACK || cmd == CTL_CMD_RESUME;
}

/* The fields each command takes; any other is refused, so a typo such as
 * "sinse" is an error rather than a silently unfiltered answer. */
static bool ctl_field_allowed(enum ctl_cmd cmd, const char *key)
{
	if (strcmp(key, "cmd") == 0)
		return true;
	if (cmd == CTL_CMD_HISTORY)
		return strcmp(key, "component") == 0 ||
		       strcmp(key, "since") == 0 || strcmp(key, "until") == 0 ||
		       strcmp(key, "limit") == 0;
	if (cmd == CTL_CMD_DISABLE)
		return strcmp(key, "reason") == 0;
	if (cmd == CTL_CMD_ROLLBACK)
		return strcmp(key, "component") == 0 ||
		       strcmp(key, "version") == 0;
	if (cmd == CTL_CMD_RESUME)
		return strcmp(key, "component") == 0;
	return false;
}

static int ctl_time(const json_t *v, const char *key, int64_t *t,
		    struct hs_err *e)
{
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || hs_time_parse(json_string_value(v), t) < 0)
		return hs_err_set(e, -EINVAL,
				  "'%s' is not a time like "
				  "2026-11-01T00:00:00Z",
				  key);
	return 0;
}

static int ctl_history(const json_t *o, struct ctl_request *req,
		       struct hs_err *e)
{
	const json_t *comp = json_object_get(o, "component");
	const json_t *limit = json_object_get(o, "limit");
	int r;

	if (comp != NULL) {
		const char *s = json_string_value(comp);

		/* "" is the whole-check rows; otherwise a component name. */
		if (s == NULL || (s[0] != '\0' && !version_name_is_valid(s)) ||
		    hs_strlcpy(req->component, s, sizeof(req->component)) < 0)
			return hs_err_set(e, -EINVAL,
					  "'component' is not a component "
					  "name");
		req->has_component = true;
	}
	r = ctl_time(json_object_get(o, "since"), "since", &req->since, e);
	if (r == 0)
		r = ctl_time(json_object_get(o, "until"), "until", &req->until,
			     e);
	if (r < 0)
		return r;
	if (req->since > req->until)
		return hs_err_set(e, -EINVAL, "'since' is after 'until'");
	if (limit != NULL) {
		const json_int_t n = json_integer_value(limit);

		if (!json_is_integer(limit) || n < 1 || n > CTL_HISTORY_MAX)
			return hs_err_set(e, -EINVAL, "'limit' must be 1 to %d",
					  CTL_HISTORY_MAX);
		req->limit = (size_t)n;
	}
	return 0;
}

static int ctl_disable(const json_t *o, struct ctl_request *req,
		       struct hs_err *e)
{
	const json_t *v = json_object_get(o, "reason");
	const char *s = json_string_value(v);

	if (v == NULL)
		return 0;
	if (s == NULL)
		return hs_err_set(e, -EINVAL, "'reason' is not a string");
	if (hs_strlcpy(req->reason, s, sizeof(req->reason)) < 0)
		return hs_err_set(e, -EINVAL,
				  "the reason is too long (at most %d bytes)",
				  CTL_REASON_MAX - 1);
	/* Shown on terminals and in logs: no control bytes. */
	for (const char *p = req->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return hs_err_set(e, -EINVAL,
					  "the reason holds a control "
					  "character");
	return 0;
}

/* rollback and resume: the component (required), and for rollback the
 * version (optional), each as a manifest would spell it. */
static int ctl_rollback(const json_t *o, struct ctl_request *req,
			struct hs_err *e)
{
	const json_t *version = json_object_get(o, "version");
	const char *name = json_string_value(json_object_get(o, "component"));
	const char *v = json_string_value(version);

	if (name == NULL)
		return hs_err_set(e, -EINVAL, "'%s' needs a 'component'",
				  ctl_cmd_name(req->cmd));
	if (!version_name_is_valid(name) ||
	    hs_strlcpy(req->component, name, sizeof(req->component)) < 0)
		return hs_err_set(e, -EINVAL,
				  "'component' is not a component name");
	req->has_component = true;
	if (version == NULL)
		return 0;
	if (v == NULL || !version_is_valid(v) ||
	    hs_strlcpy(req->version, v, sizeof(req->version)) < 0)
		return hs_err_set(e, -EINVAL,
				  "'version' is not a version like 1.2.0");
	return 0;
}

static int ctl_command(const json_t *o, struct ctl_request *req,
		       struct hs_err *e)
{
	const char *cmd = json_string_value(json_object_get(o, "cmd"));
	const char *key;
	const json_t *v;
	size_t i;

	if (cmd == NULL)
		return hs_err_set(e, -EINVAL,
				  "a request is a JSON object with a \"cmd\"");
	for (i = 0; i < CTL_N_CMDS; i++)
		if (strcmp(cmd, ctl_names[i]) == 0)
			break;
	if (i == CTL_N_CMDS)
		return hs_err_set(e, -EINVAL, "unknown command");
	req->cmd = (enum ctl_cmd)i;
	json_object_foreach((json_t *)o, key, v)
	{
		if (!ctl_field_allowed(req->cmd, key))
			return hs_err_set(e, -EINVAL,
					  "'%s' takes no field '%s'",
					  ctl_names[i], key);
	}
	return 0;
}

int ctl_request_parse(const char *line, size_t n, struct ctl_request *req,
		      struct hs_err *e)
{
	json_error_t jerr;
	json_t *o;
	int r;

	memset(req, 0, sizeof(*req));
	req->since = INT64_MIN;
	req->until = INT64_MAX;
	req->limit = CTL_HISTORY_DEFAULT;
	if (n >= CTL_LINE_MAX)
		return hs_err_set(e, -EINVAL, "request longer than %d bytes",
				  CTL_LINE_MAX);
	o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return hs_err_set(e, -EINVAL,
				  "a request is a JSON object with a \"cmd\"");
	}
	r = ctl_command(o, req, e);
	if (r == 0 && req->cmd == CTL_CMD_HISTORY)
		r = ctl_history(o, req, e);
	if (r == 0 && req->cmd == CTL_CMD_DISABLE)
		r = ctl_disable(o, req, e);
	if (r == 0 &&
	    (req->cmd == CTL_CMD_ROLLBACK || req->cmd == CTL_CMD_RESUME))
		r = ctl_rollback(o, req, e);
	json_decref(o);
	return r;
}
