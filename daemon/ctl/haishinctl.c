/*
 * haishinctl.c - the client of haishind (DESIGN.md, docs/protocol.md).
 *
 *	haishinctl [--socket PATH | -c CONFIG] [--json] COMMAND [OPTIONS]
 *
 * One request per run: connect, send one JSON line, read reply lines until
 * {"type": "end"}, print them for a person (or as they came with --json),
 * and exit with the code the reply means.  A daemon that cannot be reached
 * is never silent: the answer is "STOPPED <why>" and STOPPED's exit code.
 * Exit codes are those of sysexits.h and DESIGN.md: 0 ok, 1 a negative
 * answer (verify, an error), 64 usage, 65/69/73/75/78 terminal states,
 * 66 push FILE cannot be opened, 74 stdout could not be written, 77
 * permission denied.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctlclient.h"
#include "ctlproto.h"
#include "ctlprint.h"
#include "hs_err.h"
#include "i18n.h"
#include "state.h"
#include "fileio.h"
#include "str.h"
#include "version.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

#define CTL_DEFAULT_SOCKET "/run/haishin/haishind.sock"
#define CTL_TIMEOUT 60 /* seconds for a reply, but ... */
#define CTL_TIMEOUT_CHECK 300 /* ... check-connection runs every stage */

#define EXIT_FAIL 1
#define EXIT_USAGE 64
#define EXIT_NOINPUT 66
#define EXIT_IOERR 74
#define EXIT_NOPERM 77

/* The options a command takes. */
enum {
	OPT_COMPONENT = 1 << 0,
	OPT_SINCE = 1 << 1,
	OPT_LIMIT = 1 << 2,
	OPT_REASON = 1 << 3,
	OPT_UNTIL = 1 << 4,
};

struct ctl_opts {
	const char *socket; /* --socket, or NULL */
	const char *config; /* -c, or NULL */
	bool json;
	unsigned given; /* OPT_* */
	const char *component;
	const char *since;
	const char *until;
	const char *limit;
	const char *reason;
	const char *file; /* push FILE */
	const char *name; /* rollback, resume NAME */
	const char *version; /* rollback NAME VERSION, or NULL */
	const struct cli_cmd *cmd;
};

struct cli_cmd {
	const char *name;
	unsigned opts; /* OPT_* it accepts */
	unsigned timeout; /* seconds; 0 waits as long as it takes */
	void (*print)(FILE *f, const json_t *end);
	int (*exit_code)(const json_t *end);
};

/* One run: the options, the socket, and download-now's progress. */
struct ctl_run {
	const struct ctl_opts *o;
	char socket[PATH_MAX];
	struct ctlprint_progress progress;
};

static void usage(FILE *f)
{
	fprintf(f, "%s",
		_("usage: haishinctl [--socket PATH | -c CONFIG] [--json] COMMAND\n"));
	fprintf(f, "%s",
		_("commands:\n"
		  "  status            the daemon's state and every component's\n"
		  "  check-connection  try each step of reaching the server\n"
		  "  download-now      check and update now, showing progress\n"
		  "  history [--component NAME] [--since TIME] [--until TIME]\n"
		  "          [--limit N]\n"
		  "                    update attempts, newest first\n"
		  "  verify            installed versions against their minimums\n"
		  "  enable            turn automatic updates on\n"
		  "  disable [--reason TEXT]\n"
		  "                    turn automatic updates off\n"
		  "  push FILE         install from a bundle made by haishin-publish\n"
		  "  rollback NAME [VERSION]\n"
		  "                    switch NAME back to a version still on disk (the\n"
		  "                    previous one by default), health-checked, and hold\n"
		  "                    its automatic updates\n"
		  "  resume NAME       lift that hold: automatic updates of NAME go on\n"));
	fprintf(f,
		_("options:\n"
		  "  --socket PATH  the daemon's socket (default: from the configuration,\n"
		  "                 else %s)\n"
		  "  -c CONFIG      the configuration to read it from (default %s)\n"
		  "  --json         print the daemon's replies as JSON lines\n"
		  "TIME is YYYY-MM-DD or \"YYYY-MM-DD HH:MM\" in local time, or RFC 3339 UTC.\n"),
		CTL_DEFAULT_SOCKET, CONFIG_DEFAULT_PATH);
}

/* Commands. */

static void print_status(FILE *f, const json_t *end)
{
	ctlprint_status(f, end, (int64_t)time(NULL));
}

static int exit_ok(const json_t *end)
{
	(void)end;
	return 0;
}

static const struct cli_cmd commands[] = {
	{"status", 0, CTL_TIMEOUT, print_status, exit_ok},
	{"check-connection", 0, CTL_TIMEOUT_CHECK, ctlprint_connection,
	 ctlprint_connection_exit},
	{"download-now", 0, 0, NULL, NULL},
	{"history", OPT_COMPONENT | OPT_SINCE | OPT_UNTIL | OPT_LIMIT,
	 CTL_TIMEOUT, ctlprint_history, exit_ok},
	{"verify", 0, CTL_TIMEOUT, ctlprint_verify, ctlprint_verify_exit},
	{"enable", 0, CTL_TIMEOUT, ctlprint_setting, exit_ok},
	{"disable", OPT_REASON, CTL_TIMEOUT, ctlprint_setting, exit_ok},
	{"push", 0, 0, NULL, NULL},
	{"rollback", 0, 0, NULL, NULL},
	{"resume", 0, CTL_TIMEOUT, ctlprint_resume, exit_ok},
};

static bool is_push(const struct ctl_opts *o)
{
	return strcmp(o->cmd->name, "push") == 0;
}

static bool is_rollback(const struct ctl_opts *o)
{
	return strcmp(o->cmd->name, "rollback") == 0;
}

static bool is_resume(const struct ctl_opts *o)
{
	return strcmp(o->cmd->name, "resume") == 0;
}

/* download-now, push and rollback run an attempt: progress, then a
 * terminal state. */
static bool is_download(const struct ctl_opts *o)
{
	return strcmp(o->cmd->name, "download-now") == 0 || is_push(o) ||
	       is_rollback(o);
}

static const struct cli_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Options. */

/* Returns 0, 1 for --help, or -EINVAL after a message on stderr. */
static int parse_opt(int c, struct ctl_opts *o)
{
	switch (c) {
	case 's':
		o->socket = optarg;
		return 0;
	case 'c':
		o->config = optarg;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'h':
		return 1;
	case 'C':
		o->component = optarg;
		o->given |= OPT_COMPONENT;
		return 0;
	case 'S':
		o->since = optarg;
		o->given |= OPT_SINCE;
		return 0;
	case 'U':
		o->until = optarg;
		o->given |= OPT_UNTIL;
		return 0;
	case 'L':
		o->limit = optarg;
		o->given |= OPT_LIMIT;
		return 0;
	case 'R':
		o->reason = optarg;
		o->given |= OPT_REASON;
		return 0;
	default:
		return -EINVAL; /* getopt said why */
	}
}

/* The name of the lowest OPT_* bit in bits. */
static const char *opt_name(unsigned bits)
{
	static const char *const names[] = {"--component", "--since", "--limit",
					    "--reason", "--until"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((bits & (1u << i)) != 0)
			return names[i];
	return "?";
}

/* rollback NAME [VERSION], resume NAME: checked as the daemon checks them,
 * so a typo is a usage error here. */
static int parse_component_args(int argc, char **argv, struct ctl_opts *o)
{
	if (optind + 1 >= argc) {
		fprintf(stderr, _("haishinctl: %s needs a component's name\n"),
			o->cmd->name);
		return -EINVAL;
	}
	o->name = argv[++optind];
	if (!version_name_is_valid(o->name)) {
		fprintf(stderr,
			_("haishinctl: '%s' is not a component name (lower-case letters, digits, '.', '-' and '_')\n"),
			o->name);
		return -EINVAL;
	}
	if (is_resume(o) || optind + 1 >= argc)
		return 0;
	o->version = argv[++optind];
	if (!version_is_valid(o->version)) {
		fprintf(stderr,
			_("haishinctl: '%s' is not a version like 1.2.0\n"),
			o->version);
		return -EINVAL;
	}
	return 0;
}

/* The command word and that it takes the options given. */
static int parse_command(int argc, char **argv, struct ctl_opts *o)
{
	if (optind >= argc) {
		fprintf(stderr, "%s\n", _("haishinctl: no command given"));
		return -EINVAL;
	}
	o->cmd = find_command(argv[optind]);
	if (o->cmd == NULL) {
		fprintf(stderr, _("haishinctl: unknown command '%s'\n"),
			argv[optind]);
		return -EINVAL;
	}
	if (is_push(o)) {
		if (optind + 1 >= argc) {
			fprintf(stderr, "%s\n",
				_("haishinctl: push needs the bundle's file"));
			return -EINVAL;
		}
		o->file = argv[++optind];
	}
	if ((is_rollback(o) || is_resume(o)) &&
	    parse_component_args(argc, argv, o) < 0)
		return -EINVAL;
	if (optind + 1 < argc) {
		fprintf(stderr, _("haishinctl: unexpected argument '%s'\n"),
			argv[optind + 1]);
		return -EINVAL;
	}
	if ((o->given & ~o->cmd->opts) != 0) {
		fprintf(stderr, _("haishinctl: '%s' does not take %s\n"),
			o->cmd->name, opt_name(o->given & ~o->cmd->opts));
		return -EINVAL;
	}
	if (o->socket != NULL && o->config != NULL) {
		fprintf(stderr, "%s\n",
			_("haishinctl: give --socket or -c, not both"));
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, 1 for --help, or -EINVAL after a message on stderr. */
static int parse_args(int argc, char **argv, struct ctl_opts *o)
{
	static const struct option longs[] = {
		{"socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"component", required_argument, NULL, 'C'},
		{"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},
		{"limit", required_argument, NULL, 'L'},
		{"reason", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	int c;
	int r;

	memset(o, 0, sizeof(*o));
	for (;;) {
		c = getopt_long(argc, argv, "c:h", longs, NULL);
		if (c == -1)
			break;
		r = parse_opt(c, o);
		if (r != 0)
			return r;
	}
	return parse_command(argc, argv, o);
}

/* The request. */

/* Sets key to v (a new reference, NULL after a failed json_*()). */
static int req_set(json_t *req, const char *key, json_t *v, struct hs_err *e)
{
	if (v == NULL)
		return hs_err_set(e, -EINVAL, "--%s is not valid UTF-8", key);
	if (json_object_set_new(req, key, v) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

/* --since or --until TIME, sent as RFC 3339 UTC. */
static int req_time(json_t *req, const char *key, const char *arg,
		    struct hs_err *e)
{
	char when[21];
	int64_t t;

	if (ctlprint_parse_when(arg, &t) < 0)
		return hs_err_set(e, -EINVAL, "--%s '%s' is not a time", key,
				  arg);
	hs_time_format(t, when);
	return req_set(req, key, json_string(when), e);
}

static int req_history(const struct ctl_opts *o, json_t *req, struct hs_err *e)
{
	uint64_t limit;
	int r = 0;

	if (o->component != NULL && strlen(o->component) >= HS_NAME_MAX)
		return hs_err_set(e, -EINVAL, "--component is too long");
	if (o->component != NULL)
		r = req_set(req, "component", json_string(o->component), e);
	if (r == 0 && o->since != NULL)
		r = req_time(req, "since", o->since, e);
	if (r == 0 && o->until != NULL)
		r = req_time(req, "until", o->until, e);
	if (r == 0 && o->limit != NULL) {
		if (hs_parse_u64(o->limit, CTL_HISTORY_MAX, &limit) < 0 ||
		    limit == 0)
			return hs_err_set(e, -EINVAL, "--limit must be 1 to %d",
					  CTL_HISTORY_MAX);
		r = req_set(req, "limit", json_integer((json_int_t)limit), e);
	}
	return r;
}

static int req_disable(const struct ctl_opts *o, json_t *req, struct hs_err *e)
{
	if (o->reason == NULL)
		return 0;
	if (strlen(o->reason) >= CTL_REASON_MAX)
		return hs_err_set(e, -EINVAL,
				  "--reason is longer than %d bytes",
				  CTL_REASON_MAX - 1);
	return req_set(req, "reason", json_string(o->reason), e);
}

/* The request must fit in one line of CTLCLIENT_REQUEST_MAX bytes. */
static int check_size(const json_t *req, struct hs_err *e)
{
	size_t n = json_dumpb(req, NULL, 0, JSON_COMPACT);

	if (n == 0 || n + 1 > CTLCLIENT_REQUEST_MAX)
		return hs_err_set(e, -EINVAL,
				  "the request is too long (over %d bytes)",
				  CTLCLIENT_REQUEST_MAX);
	return 0;
}

/* Builds the request line's object into *ret_req (caller decrefs). */
static int build_request(const struct ctl_opts *o, json_t **ret_req,
			 struct hs_err *e)
{
	json_t *req;
	int r;

	req = json_object();
	if (req == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = req_set(req, "cmd", json_string(o->cmd->name), e);
	if (r == 0 && (o->cmd->opts & OPT_LIMIT) != 0)
		r = req_history(o, req, e);
	if (r == 0 && (o->cmd->opts & OPT_REASON) != 0)
		r = req_disable(o, req, e);
	if (r == 0 && o->name != NULL)
		r = req_set(req, "component", json_string(o->name), e);
	if (r == 0 && o->version != NULL)
		r = req_set(req, "version", json_string(o->version), e);
	if (r == 0)
		r = check_size(req, e);
	if (r < 0) {
		json_decref(req);
		return r;
	}
	*ret_req = req;
	return 0;
}

/* The socket. */

/* The socket path of the configuration at path. */
static int config_socket(const char *path, char *out, size_t n,
			 struct hs_err *e)
{
	struct config c;
	int r;

	/* A typo elsewhere in the file (which the daemon refuses) must not
	 * hide the socket it names: the rest of the file still counts. */
	r = config_load_lenient(path, &c, e);
	if (r < 0)
		return r;
	if (r > 0)
		fprintf(stderr, _("haishinctl: warning: %s\n"), e->msg);
	return hs_strlcpy(out, c.socket, n);
}

/*
 * --socket; else the configuration's (-c, or the default file when it can
 * be read); else the built-in default.  Fails only for -c.
 */
static int find_socket(const struct ctl_opts *o, char *out, size_t n,
		       struct hs_err *e)
{
	int r;

	if (o->socket != NULL && hs_strlcpy(out, o->socket, n) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "%s",
				  "--socket is too long");
	if (o->socket != NULL)
		return 0;
	if (o->config != NULL)
		return config_socket(o->config, out, n, e);
	r = config_socket(CONFIG_DEFAULT_PATH, out, n, e);
	if (r < 0 && r != -ENOENT && r != -EACCES)
		fprintf(stderr, _("haishinctl: %s, ignoring\n"), e->msg);
	if (r < 0)
		return hs_strlcpy(out, CTL_DEFAULT_SOCKET, n);
	return 0;
}

/* Answers. */

/*
 * A state the client decides itself (the daemon could not say it): a line
 * "STATE reason" for a person, and with --json an end line of our own on
 * stdout (marked "source": "haishinctl") with the person's line on stderr.
 */
static int say_state(struct ctl_run *run, enum state st, const char *reason)
{
	const char *state = state_name(st);
	const int code = state_exit_code(st);
	char line[CTLPRINT_LINE_MAX];
	json_t *end;
	char *s;

	if (!run->o->json) {
		ctlprint_progress_end(&run->progress, state, reason);
		return code;
	}
	ctlprint_state_line(state, reason, line, sizeof(line));
	fprintf(stderr, "%s\n", line);
	end = json_pack("{s:s, s:b, s:s, s:s, s:i, s:s}", "type", "end", "ok",
			0, "state", state, "reason", reason, "exit", code,
			"source", "haishinctl");
	s = end != NULL ? json_dumps(end, JSON_COMPACT) : NULL;
	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(end);
	return code;
}

static int say_unreachable(struct ctl_run *run, int err)
{
	char why[CTLPRINT_LINE_MAX];

	ctlprint_unreachable(run->socket, err, why, sizeof(why));
	return say_state(run, STATE_STOPPED, why);
}

/* The socket is not known: -c named a file that cannot be used. */
static int say_no_config(struct ctl_run *run, const struct hs_err *e)
{
	char why[CTLPRINT_LINE_MAX];

	(void)hs_snprintf(why, sizeof(why),
			  _("cannot find haishind's socket: %s"), e->msg);
	return say_state(run, STATE_STOPPED, why);
}

/*
 * The reply ended early: r is ctlclient_read_json()'s 0 or error.  Once
 * download-now was sent, the attempt runs on without us: INTERRUPTED.
 */
static int say_lost(struct ctl_run *run, int r, bool sent)
{
	char why[CTLPRINT_LINE_MAX];
	char what[64];

	if (r == -ETIMEDOUT) {
		(void)hs_snprintf(
			why, sizeof(why),
			_("haishind did not answer on '%s' within %u s; see 'systemctl status haishind'"),
			run->socket, run->o->cmd->timeout);
	} else if (r == -EMSGSIZE || r == -EBADMSG) {
		if (r == -EMSGSIZE)
			(void)hs_snprintf(what, sizeof(what),
					  _("a line over %u MiB"),
					  CTLCLIENT_LINE_MAX >> 20);
		else
			(void)hs_strlcpy(what, _("not a JSON object"),
					 sizeof(what));
		(void)hs_snprintf(
			why, sizeof(why),
			_("haishind sent a reply that is not valid (%s); see 'journalctl -u haishind'"),
			what);
	} else if (is_download(run->o) && sent) {
		return say_state(
			run, STATE_INTERRUPTED,
			_("lost the connection to haishind; the update goes on in the background: see 'haishinctl status'"));
	} else {
		(void)hs_snprintf(
			why, sizeof(why), "%s",
			_("the daemon closed the connection without an answer"));
	}
	return say_state(run, STATE_STOPPED, why);
}

static bool is_denied(const json_t *end)
{
	const char *code = json_string_value(json_object_get(end, "code"));

	return code != NULL && strcmp(code, CTL_ERR_DENIED) == 0;
}

/* {"ok": false, "code": ..., "error": ...}: 77 when denied, else 1. */
static int say_refused(const json_t *end)
{
	const char *msg = json_string_value(json_object_get(end, "error"));
	char line[CTLPRINT_LINE_MAX];

	ctlprint_sanitize(msg != NULL ? msg : "?", line, sizeof(line));
	if (is_denied(end)) {
		fprintf(stderr,
			_("haishinctl: %s: changing haishind's settings needs root, the daemon's user or its admin group\n"),
			line);
		return EXIT_NOPERM;
	}
	fprintf(stderr, _("haishinctl: haishind refused: %s\n"), line);
	return EXIT_FAIL;
}

/* download-now's end: its state and reason are the last line. */
static int finish_download(struct ctl_run *run, const json_t *end)
{
	const char *state = json_string_value(json_object_get(end, "state"));
	const char *reason = json_string_value(json_object_get(end, "reason"));
	const json_t *code = json_object_get(end, "exit");
	int r;

	if (state == NULL)
		return say_refused(end);
	r = json_is_integer(code) ? (int)json_integer_value(code)
				  : ctlprint_state_exit(state);
	if (r < 0 || r > 255)
		r = EXIT_FAIL;
	if (!run->o->json)
		ctlprint_progress_end(&run->progress, state,
				      reason != NULL ? reason : "");
	return r;
}

static int finish(struct ctl_run *run, const json_t *end)
{
	const struct cli_cmd *cmd = run->o->cmd;

	if (is_download(run->o))
		return finish_download(run, end);
	/* A refusal names its code; an answer whose ok is false (a failed
	 * check-connection) is still an answer. */
	if (!json_is_true(json_object_get(end, "ok")) &&
	    json_object_get(end, "code") != NULL)
		return say_refused(end);
	if (!run->o->json)
		cmd->print(stdout, end);
	return cmd->exit_code(end);
}

/* A terminal that can redraw a line: not a pipe, not TERM=dumb. */
static bool stdout_is_terminal(void)
{
	const char *term = getenv("TERM");

	if (isatty(STDOUT_FILENO) != 1)
		return false;
	return term == NULL || strcmp(term, "dumb") != 0;
}

static unsigned term_width(void)
{
	struct winsize ws;
	uint64_t cols;
	const char *env = getenv("COLUMNS");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env != NULL && hs_parse_u64(env, 1000, &cols) == 0 && cols > 0)
		return (unsigned)cols;
	return 80;
}

/* One reply line: true with *ret_code after the end line. */
static bool on_line(struct ctl_run *run, const char *line, const json_t *j,
		    int *ret_code)
{
	const char *type = json_string_value(json_object_get(j, "type"));

	if (run->o->json) {
		printf("%s\n", line);
		(void)fflush(stdout);
	}
	if (type != NULL && strcmp(type, "end") == 0) {
		*ret_code = finish(run, j);
		return true;
	}
	if (type != NULL && strcmp(type, "event") == 0 && !run->o->json &&
	    is_download(run->o))
		ctlprint_progress_event(&run->progress, j, term_width());
	return false;
}

/* Sends the request and reads to the end line; returns the exit code. */
static int talk(struct ctl_run *run, struct ctlclient *c, const json_t *req,
		int fd)
{
	const char *line;
	struct hs_err e;
	bool sent;
	bool done;
	json_t *j;
	int code;
	int r;

	hs_err_clear(&e);
	r = ctlclient_set_timeout(c, run->o->cmd->timeout, &e);
	if (r == 0)
		r = ctlclient_send_fd(c, req, fd, &e);
	/* A daemon that turns a client away (too many clients) may answer
	 * and close before it reads the request: read that answer. */
	sent = r == 0;
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		return say_lost(run, r, sent);
	for (;;) {
		r = ctlclient_read_json(c, &line, &j, &e);
		if (r <= 0)
			return say_lost(run, r, sent);
		done = on_line(run, line, j, &code);
		json_decref(j);
		if (done)
			return code;
	}
}

static int run_command(struct ctl_run *run)
{
	struct ctlclient *c = NULL;
	int fd = -1;
	json_t *req = NULL;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	r = build_request(run->o, &req, &e);
	if (r < 0) {
		fprintf(stderr, "haishinctl: %s\n", e.msg);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (run->o->file != NULL) {
		/* Opened here, with the user's rights: the daemon reads the
		 * descriptor, whatever its sandbox lets it see. */
		fd = open(run->o->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, _("haishinctl: cannot open '%s': %s\n"),
				run->o->file, strerror(errno));
			json_decref(req);
			return EXIT_NOINPUT;
		}
	}
	r = ctlclient_connect(run->socket, &c, &e);
	if (r < 0)
		r = say_unreachable(run, r);
	else
		r = talk(run, c, req, fd);
	ctlclient_free(c);
	json_decref(req);
	if (fd >= 0)
		(void)close(fd);
	return r;
}

static void i18n_init(void)
{
	const char *dir = getenv("HAISHIN_LOCALEDIR");

	/* Without the locale or a catalogue, messages stay in English. */
	(void)setlocale(LC_ALL, "");
	if (dir == NULL || dir[0] == '\0')
		dir = LOCALEDIR;
	(void)bindtextdomain(HAISHIN_TEXTDOMAIN, dir);
	(void)textdomain(HAISHIN_TEXTDOMAIN);
}

/* A code of 0 becomes 74 when stdout could not be written. */
static int check_stdout(int code)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return code;
	fprintf(stderr, "%s\n",
		_("haishinctl: cannot write to standard output"));
	return code == 0 ? EXIT_IOERR : code;
}

int main(int argc, char **argv)
{
	struct ctl_opts o;
	struct ctl_run run;
	struct hs_err e;
	int r;

	i18n_init();
	r = parse_args(argc, argv, &o);
	if (r == 1) {
		usage(stdout);
		return check_stdout(0);
	}
	if (r < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	memset(&run, 0, sizeof(run));
	run.o = &o;
	ctlprint_progress_init(&run.progress, stdout, stdout_is_terminal());
	hs_err_clear(&e);
	r = find_socket(&o, run.socket, sizeof(run.socket), &e);
	if (r < 0)
		r = say_no_config(&run, &e);
	else
		r = run_command(&run);
	return check_stdout(r);
}
