/*
 * handover_daemon.c - the daemon's side of haishin updating itself: the old
 * daemon hands over to the new haishind and watches it answer, or puts the
 * previous haishin back; the new daemon takes the hand-over in and records
 * it once the old one is gone.
 *
 * While the old daemon waits it serves nobody: the socket and the lock are
 * the new one's to take.  It reads the new one's standard error (passing
 * it on to its own) until the new one takes its real standard error back,
 * which it does once it listens; the last line read is what a failure
 * quotes.  A new haishind that is killed is killed with its whole process
 * group before the old one takes the lock and the socket again, so a half
 * started one cannot keep them.
 */
#include "handover.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "ctlclient.h"
#include "daemon_int.h"
#include "fileio.h"
#include "i18n.h"
#include "log.h"
#include "notify.h"
#include "selfproc.h"
#include "signals.h"
#include "str.h"
#include "switch.h"
#include "version.h"

#define HANDOVER_SLICE_MS 200 /* between two questions to the new one */
#define HANDOVER_ASK_S 2 /* for one answer */
#define HANDOVER_LINE_MAX 256

/* One hand-over under way in the old daemon. */
struct handover {
	struct handover_marker m;
	char path[PATH_MAX]; /* the new daemon: INSTALL/haishin/current/... */
	int64_t started;
	int marker_fd; /* the marker, locked; -1 */
	pid_t pid; /* the new daemon, or 0 */
	int err_fd; /* its standard error, or -1 */
	char cur[HANDOVER_LINE_MAX]; /* the line being read */
	size_t cur_len;
	char last[HANDOVER_LINE_MAX]; /* its last non-empty line */
};

enum handover_end {
	HANDOVER_END_HEALTHY,
	HANDOVER_END_FAILED,
	HANDOVER_END_STOPPED,
};

static int64_t now_ms(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the new daemon's standard error ------------------------------------ */

/* A finished line: kept when not empty, without the log's "<N>" prefix. */
static void line_end(struct handover *h)
{
	const char *p = h->cur;
	size_t n = h->cur_len;

	while (n > 0 && (h->cur[n - 1] == '\r' || h->cur[n - 1] == ' '))
		n--;
	h->cur[n] = '\0';
	if (n >= 3 && p[0] == '<' && p[1] >= '0' && p[1] <= '7' && p[2] == '>')
		p += 3;
	if (p[0] != '\0') {
		(void)hs_strlcpy(h->last, p, sizeof(h->last));
		hs_utf8_fix(h->last);
	}
	h->cur_len = 0;
}

static void line_feed(struct handover *h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			line_end(h);
			continue;
		}
		if (h->cur_len + 1 < sizeof(h->cur))
			h->cur[h->cur_len++] =
				(unsigned char)p[i] < 0x20 ? '?' : p[i];
	}
}

/* Reads what the new daemon wrote, passing it on to this standard error;
 * at its end the descriptor is closed. */
static void handover_read_err(struct handover *h)
{
	char buf[4096];
	ssize_t n;

	while (h->err_fd >= 0) {
		n = read(h->err_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			line_end(h);
			(void)close(h->err_fd);
			h->err_fd = -1;
			return;
		}
		(void)!write(STDERR_FILENO, buf, (size_t)n);
		line_feed(h, buf, (size_t)n);
	}
}

/* ": LAST LINE" when the new daemon wrote one, else "". */
static void last_line(const struct handover *h, char *out, size_t n)
{
	if (h->last[0] != '\0')
		(void)hs_snprintf(out, n, ": %s", h->last);
	else
		out[0] = '\0';
}

/* ---- starting the new daemon --------------------------------------------- */

/* Writes the marker, locked before it is in place. */
static int handover_mark(const struct daemon *d, struct handover *h,
			 struct hs_err *e)
{
	char text[512];
	char path[PATH_MAX];
	char tmp[PATH_MAX + 8];
	int r;

	if (hs_snprintf(path, sizeof(path), "%s/%s", d->cfg.state,
			HANDOVER_MARKER) < 0 ||
	    hs_snprintf(tmp, sizeof(tmp), "%s.new", path) < 0 ||
	    handover_marker_format(&h->m, text, sizeof(text)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	(void)unlink(tmp);
	h->marker_fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (h->marker_fd < 0)
		return hs_err_set(e, -errno, "cannot create '%s': %s", tmp,
				  strerror(errno));
	r = flock(h->marker_fd, LOCK_EX) < 0 ? -errno : 0;
	if (r == 0 &&
	    write(h->marker_fd, text, strlen(text)) != (ssize_t)strlen(text))
		r = -EIO;
	if (r == 0 && fsync(h->marker_fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r == 0)
		r = hs_fsync_parent(path, e);
	if (r < 0) {
		(void)unlink(tmp);
		return hs_err_set(e, r, "cannot write '%s': %s", path,
				  strerror(-r));
	}
	return 0;
}

/* Removes the marker and lets go of its lock. */
static void handover_unmark(const struct daemon *d, struct handover *h)
{
	char path[PATH_MAX];

	if (hs_snprintf(path, sizeof(path), "%s/%s", d->cfg.state,
			HANDOVER_MARKER) == 0 &&
	    unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove '%s': %s, ignoring", path,
			 strerror(errno));
	if (h->marker_fd >= 0)
		(void)close(h->marker_fd);
	h->marker_fd = -1;
}

static int handover_spawn(struct daemon *d, struct handover *h,
			  struct hs_err *e)
{
	char from[sizeof(HANDOVER_ENV) + HS_VERSION_MAX + 2];
	char pid[sizeof(HANDOVER_ENV_PID) + 24];
	char log[sizeof(HANDOVER_ENV_LOG) + 24];
	const char *const set[] = {from, pid, log, HANDOVER_ENV_ACTIVE "=1",
				   NULL};
	char *const argv[] = {h->path, (char *)"-c", d->config_path, NULL};

	(void)hs_snprintf(from, sizeof(from), "%s=%s", HANDOVER_ENV, h->m.from);
	(void)hs_snprintf(pid, sizeof(pid), "%s=%lld", HANDOVER_ENV_PID,
			  (long long)getpid());
	(void)hs_snprintf(log, sizeof(log), "%s=%d", HANDOVER_ENV_LOG,
			  SELFPROC_LOG_FD);
	return selfproc_spawn(h->path, argv, set, &h->pid, &h->err_fd, e);
}

/* ---- watching it ----------------------------------------------------------- */

/* Asks the new daemon for 'status' once: its verdict (why as
 * handover_judge's). */
static enum handover_verdict handover_ask(const struct daemon *d,
					  const struct handover *h, char *why,
					  size_t n)
{
	json_t *req = json_pack("{s:s}", "cmd", "status");
	json_t *end_type = json_string("end");
	enum handover_verdict v = HANDOVER_WAIT;
	struct ctlclient *c = NULL;
	const char *line;
	json_t *j = NULL;

	if (req == NULL || ctlclient_connect(d->cfg.socket, &c, NULL) < 0 ||
	    ctlclient_set_timeout(c, HANDOVER_ASK_S, NULL) < 0 ||
	    ctlclient_send(c, req, NULL) < 0)
		goto out;
	while (ctlclient_read_json(c, &line, &j, NULL) == 1) {
		if (json_equal(json_object_get(j, "type"), end_type)) {
			v = handover_judge(j, h->pid, h->m.to, d->cfg.socket,
					   why, n);
			break;
		}
		json_decref(j);
		j = NULL;
	}
out:
	json_decref(j);
	json_decref(end_type);
	json_decref(req);
	ctlclient_free(c);
	return v;
}

/* Whether the new daemon has ended; what it did then goes into what. */
static bool handover_exited(struct handover *h, char *what, size_t n)
{
	char tail[HANDOVER_LINE_MAX + 2];
	int code = 0;
	int sig = 0;

	if (selfproc_reap(h->pid, &code, &sig) != 1)
		return false;
	h->pid = 0;
	handover_read_err(h);
	last_line(h, tail, sizeof(tail));
	if (sig != 0)
		(void)hs_snprintf(what, n, _("it was killed by signal %d%s"),
				  sig, tail);
	else
		(void)hs_snprintf(what, n, _("it exited with status %d%s"),
				  code, tail);
	return true;
}

/* Waits a slice for its output or a signal; true when asked to stop. */
static bool handover_pause(struct daemon *d, struct handover *h)
{
	struct pollfd p[2] = {{signals_fd(d->sig), POLLIN, 0},
			      {h->err_fd, POLLIN, 0}};

	if (poll(p, h->err_fd >= 0 ? 2 : 1, HANDOVER_SLICE_MS) > 0 &&
	    (p[0].revents & POLLIN))
		daemon_signal(d);
	handover_read_err(h);
	return d->stop;
}

/* Waits for the new daemon to answer as the new version, at most
 * [install] self_update_timeout; what happened otherwise goes into what. */
static enum handover_end handover_watch(struct daemon *d, struct handover *h,
					char *what, size_t n)
{
	const int64_t deadline =
		now_ms() + (int64_t)d->cfg.self_update_timeout * 1000;
	char tail[HANDOVER_LINE_MAX + 2];
	enum handover_verdict v;

	for (;;) {
		handover_read_err(h);
		if (handover_exited(h, what, n))
			return HANDOVER_END_FAILED;
		v = handover_ask(d, h, what, n);
		if (v == HANDOVER_HEALTHY)
			return HANDOVER_END_HEALTHY;
		if (v == HANDOVER_WRONG)
			return HANDOVER_END_FAILED;
		if (handover_pause(d, h))
			return HANDOVER_END_STOPPED;
		if (now_ms() >= deadline)
			break;
	}
	last_line(h, tail, sizeof(tail));
	(void)hs_snprintf(what, n, _("it did not answer 'status' on '%s'%s"),
			  d->cfg.socket, tail);
	return HANDOVER_END_FAILED;
}

/* ---- the outcome ------------------------------------------------------------ */

static void handover_done(struct daemon *d, struct handover *h)
{
	const int r = notify_main_pid(h->pid);

	if (r < 0)
		log_warn("cannot name pid %lld the service's main process: %s",
			 (long long)h->pid, strerror(-r));
	handover_unmark(d, h);
	log_info("handed over to haishin %s: haishind pid %lld ('%s') "
		 "serves now; this one exits",
		 h->m.to, (long long)h->pid, h->path);
	if (h->err_fd >= 0)
		(void)close(h->err_fd);
	h->err_fd = -1;
	d->ho.handed_over = true;
	d->stop = true;
}

/* Why the new haishin failed (what happened), the failed version's
 * reason: into cause. */
static void handover_cause(const struct daemon *d, const struct handover *h,
			   const char *what, char *cause, size_t n)
{
	(void)hs_snprintf(cause, n,
			  _("the new haishin %s did not report healthy "
			    "within %u s: %s"),
			  h->m.to, (unsigned)d->cfg.self_update_timeout, what);
	hs_utf8_fix(cause);
}

/* The reason of a hand-over that failed because of cause (stopped: one
 * given up). */
static void handover_reason(const struct handover *h, bool stopped,
			    const char *cause, const char *active, char *out,
			    size_t n)
{
	if (stopped)
		(void)hs_snprintf(out, n,
				  _("haishin %s was not handed over to: "
				    "haishind was asked to stop first; %s; "
				    "the next attempt installs %s again"),
				  h->m.to, active, h->m.to);
	else
		(void)hs_snprintf(out, n, "%s; %s", cause, active);
	hs_utf8_fix(out);
}

/* Puts the previous haishin back and records why (the lock is held). */
static void handover_back(struct daemon *d, struct handover *h, bool stopped,
			  const char *what)
{
	char active[CYCLE_REASON_MAX];
	char reason[CYCLE_REASON_MAX];
	char cause[CYCLE_REASON_MAX];
	struct hs_err e;

	const bool back = handover_put_back(&d->cfg, &h->m, d->ho.exe, active,
					    sizeof(active), &e) == 0;

	handover_cause(d, h, what, cause, sizeof(cause));
	handover_reason(h, stopped, cause, active, reason, sizeof(reason));
	if (stopped)
		log_warn("%s", reason);
	else
		log_err("%s", reason);
	notify_status(
		"%s %s",
		state_name(stopped ? STATE_STOPPED : STATE_FAILED_INSTALL),
		reason);
	if (handover_record(d->db, &h->m, back, stopped ? NULL : cause,
			    stopped ? STATE_STOPPED : STATE_FAILED_INSTALL,
			    reason, h->started, &e) < 0)
		log_err("cannot record the failed hand-over: %s", e.msg);
	handover_unmark(d, h);
}

/* The new daemon did not answer as it should: it goes, the old haishin
 * comes back, and this daemon serves again. */
static void handover_fail(struct daemon *d, struct handover *h,
			  enum handover_end end, const char *what)
{
	struct hs_err e;

	if (h->pid > 0)
		selfproc_kill(h->pid);
	h->pid = 0;
	handover_read_err(h);
	if (h->err_fd >= 0)
		(void)close(h->err_fd);
	h->err_fd = -1;
	if (daemon_retake(d, end != HANDOVER_END_STOPPED, &e) < 0) {
		log_err("after the failed hand-over to haishin %s: %s; "
			"haishind exits",
			h->m.to, e.msg);
		handover_unmark(d, h);
		d->ho.exit_code = state_exit_code(STATE_STOPPED);
		d->stop = true;
		return;
	}
	handover_back(d, h, end == HANDOVER_END_STOPPED, what);
	if (end != HANDOVER_END_STOPPED)
		log_info("haishind serves again on '%s'", d->cfg.socket);
}

static void handover_init(const struct daemon *d, struct handover *h)
{
	memset(h, 0, sizeof(*h));
	h->marker_fd = -1;
	h->err_fd = -1;
	h->started = (int64_t)time(NULL);
	h->m = d->ho.back;
	(void)hs_strlcpy(h->m.from, d->ho.result.handover_from,
			 sizeof(h->m.from));
	(void)hs_strlcpy(h->m.to, d->ho.result.handover, sizeof(h->m.to));
	if (h->m.from[0] == '\0')
		h->m.has_row = false;
	(void)hs_strlcpy(h->m.row.version, h->m.from, sizeof(h->m.row.version));
	(void)hs_snprintf(h->path, sizeof(h->path), "%s/%s/%s/%s",
			  d->cfg.install, CYCLE_SELF, SWITCH_CURRENT,
			  HANDOVER_DAEMON);
}

void handover_run(struct daemon *d)
{
	char what[CYCLE_REASON_MAX];
	enum handover_end end;
	struct handover h;
	struct hs_err e;

	d->ho.due = false;
	handover_init(d, &h);
	if (d->stop) {
		handover_back(d, &h, true, "");
		return;
	}
	log_info("haishin %s is installed: handing over to '%s', which has "
		 "%u s to answer",
		 h.m.to, h.path, (unsigned)d->cfg.self_update_timeout);
	daemon_quiesce(d);
	if (handover_mark(d, &h, &e) < 0)
		log_warn("%s: a power cut during the hand-over would leave "
			 "haishin %s active unchecked",
			 e.msg, h.m.to);
	if (handover_spawn(d, &h, &e) < 0) {
		(void)hs_strlcpy(what, e.msg, sizeof(what));
		end = HANDOVER_END_FAILED;
	} else {
		end = handover_watch(d, &h, what, sizeof(what));
	}
	if (end == HANDOVER_END_HEALTHY)
		handover_done(d, &h);
	else
		handover_fail(d, &h, end, what);
}

/* ---- before an attempt ----------------------------------------------------- */

void handover_before_attempt(struct daemon *d)
{
	struct handover_marker *b = &d->ho.back;

	memset(b, 0, sizeof(*b));
	b->has_row = d->db != NULL &&
		     db_installed_get(d->db, CYCLE_SELF, &b->row, NULL) == 0;
}

/* ---- the new daemon ------------------------------------------------------- */

/* The number in variable name, at most max: 0, or -EINVAL. */
static int env_number(const char *name, uint64_t max, uint64_t *ret,
		      struct hs_err *e)
{
	const char *v = getenv(name);

	if (v == NULL || hs_parse_u64(v, max, ret) < 0)
		return hs_err_set(e, -EINVAL,
				  "%s='%s' is not a number: haishind was not "
				  "started by a hand-over as it expects",
				  name, v != NULL ? v : "");
	return 0;
}

int handover_adopt(struct handover_self *s, struct hs_err *e)
{
	const char *from = getenv(HANDOVER_ENV);
	uint64_t pid;
	uint64_t fd;
	int r;

	s->log_fd = -1;
	if (from == NULL)
		return 0;
	if (from[0] != '\0' && !version_is_valid(from))
		return hs_err_set(e, -EINVAL, "%s='%s' is not a version",
				  HANDOVER_ENV, from);
	r = env_number(HANDOVER_ENV_PID, INT32_MAX, &pid, e);
	if (r < 0)
		return r;
	if (getenv(HANDOVER_ENV_LOG) != NULL &&
	    env_number(HANDOVER_ENV_LOG, 1024, &fd, NULL) == 0 &&
	    selfproc_keep_private((int)fd) == 0)
		s->log_fd = (int)fd;
	(void)hs_strlcpy(s->from, from, sizeof(s->from));
	s->parent = (pid_t)pid;
	s->adopted = true;
	s->pending = true;
	s->adopted_at = (int64_t)time(NULL);
	(void)unsetenv(HANDOVER_ENV);
	(void)unsetenv(HANDOVER_ENV_PID);
	(void)unsetenv(HANDOVER_ENV_LOG);
	return 0;
}

/* The hand-over is over: the old daemon has exited. */
static void handover_adopted(struct daemon *d)
{
	char reason[CYCLE_REASON_MAX];
	const char *to = d->ho.version[0] != '\0' ? d->ho.version : "?";
	struct db_attempt a;
	struct hs_err e;

	if (d->ho.from[0] != '\0')
		(void)hs_snprintf(reason, sizeof(reason),
				  _("haishin %s handed over to %s"), d->ho.from,
				  to);
	else
		(void)hs_snprintf(reason, sizeof(reason),
				  _("the haishind that installed haishin %s "
				    "handed over to it"),
				  to);
	memset(&a, 0, sizeof(a));
	a.started = d->ho.adopted_at;
	a.finished = (int64_t)time(NULL);
	(void)hs_strlcpy(a.trigger, HANDOVER_TRIGGER, sizeof(a.trigger));
	(void)hs_strlcpy(a.component, CYCLE_SELF, sizeof(a.component));
	(void)hs_strlcpy(a.from_version, d->ho.from, sizeof(a.from_version));
	(void)hs_strlcpy(a.to_version, d->ho.version, sizeof(a.to_version));
	(void)hs_strlcpy(a.method, HANDOVER_TRIGGER, sizeof(a.method));
	(void)hs_strlcpy(a.state, state_name(STATE_COMPLETED), sizeof(a.state));
	(void)hs_strlcpy(a.reason, reason, sizeof(a.reason));
	if (db_history_add(d->db, &a, &e) < 0)
		log_err("cannot record the hand-over: %s", e.msg);
	log_info("%s", reason);
}

int handover_tick(struct daemon *d)
{
	char path[PATH_MAX];

	if (!d->ho.pending)
		return -1;
	if (selfproc_parent_is(d->ho.parent))
		return 1;
	d->ho.pending = false;
	handover_adopted(d);
	if (hs_snprintf(path, sizeof(path), "%s/%s", d->cfg.state,
			HANDOVER_MARKER) == 0 &&
	    unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove '%s': %s, ignoring", path,
			 strerror(errno));
	return -1;
}
