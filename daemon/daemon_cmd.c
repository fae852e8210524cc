/*
 * daemon_cmd.c - what haishind's control requests mean: one handler per
 * command of docs/protocol.md (status, history, verify, enable and disable,
 * download-now, check-connection, push, rollback and resume), who may
 * change state, and the JSON each reply is encoded in, events included.
 *
 * Requests arrive parsed (ctlproto.c) on the loop's thread; the handlers
 * read state from the database and the last verified manifest, change only
 * settings, and leave starting attempts and the diagnosis to daemon.c.
 * Every request ends in exactly one end line: a result with "ok": true, or
 * a refusal with a fixed code and a person's text.
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"
#include "ctlsock.h"
#include "db.h"
#include "dsse.h"
#include "i18n.h"
#include "log.h"
#include "manifest.h"
#include "rollback.h"
#include "schedule.h"
#include "state.h"
#include "str.h"
#include "version.h"
#include "worker.h"

/* RFC 3339 or JSON null. */
static json_t *json_time(int64_t t)
{
	char buf[21];

	if (t <= 0)
		return json_null();
	hs_time_format(t, buf);
	return json_string(buf);
}

/* Sends a JSON object as one line and frees it. */
void daemon_send_json(struct ctl_client *c, json_t *j, bool end)
{
	char *line = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	if (line == NULL && !end) {
		json_decref(j); /* a lost progress event, never a false end */
		return;
	}
	if (line == NULL) {
		(void)ctl_send(c,
			       "{\"type\":\"end\",\"ok\":false,"
			       "\"error\":\"out of memory\"}",
			       true);
	} else {
		(void)ctl_send(c, line, end);
	}
	free(line);
	json_decref(j);
	if (end) {
		c->closing = true;
		c->waiting = WAIT_NONE;
	}
}

/* A refusal: code is one of ctlproto.h's CTL_ERR_*, error a person's text. */
void daemon_send_error(struct ctl_client *c, const char *code,
		       const char *error)
{
	daemon_send_json(c,
			 json_pack("{s:s, s:b, s:s, s:s}", "type", "end", "ok",
				   0, "code", code, "error", error),
			 true);
}

/* A refused download-now: no attempt ran, yet the contract wants it to end
 * in a terminal state, so its end also says STOPPED with the reason. */
static void send_refused_attempt(struct ctl_client *c, const char *code,
				 const char *error)
{
	daemon_send_json(c,
			 json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:i}",
				   "type", "end", "ok", 0, "code", code,
				   "error", error, "state",
				   state_name(STATE_STOPPED), "reason", error,
				   "exit", state_exit_code(STATE_STOPPED)),
			 true);
}

/* Adds "type": "end" and, unless the result says it, "ok": true to a
 * result object and sends it. */
void daemon_send_end(struct ctl_client *c, json_t *j)
{
	if (j != NULL) {
		(void)json_object_set_new(j, "type", json_string("end"));
		if (json_object_get(j, "ok") == NULL)
			(void)json_object_set_new(j, "ok", json_true());
	}
	daemon_send_json(c, j, true);
}

/* ---- reading state ------------------------------------------------------- */

static json_t *json_attempt(const struct db_attempt *a)
{
	return json_pack(
		"{s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, "
		"s:s}",
		"id", (json_int_t)a->id, "started", json_time(a->started),
		"finished", json_time(a->finished), "trigger", a->trigger,
		"component", a->component, "from", a->from_version, "to",
		a->to_version, "method", a->method, "bytes",
		(json_int_t)a->bytes, "saved", (json_int_t)a->saved, "state",
		a->state, "reason", a->reason);
}

static int take_attempt(void *ctx, const struct db_attempt *a)
{
	*(struct db_attempt *)ctx = *a;
	return -EINTR; /* the newest is enough */
}

/* The newest attempt (of a component, or of anything): null when none. */
static json_t *json_last_result(struct daemon *d, const char *component)
{
	struct db_attempt a;

	memset(&a, 0, sizeof(a));
	(void)db_history_foreach(d->db, component, 1, take_attempt, &a, NULL);
	if (a.id == 0)
		return json_null();
	return json_pack("{s:s, s:s, s:o}", "state", a.state, "reason",
			 a.reason, "at", json_time(a.finished));
}

/* The newest attempt that checked the server: a rollback by hand did
 * not. */
static int take_check(void *ctx, const struct db_attempt *a)
{
	if (strcmp(a->method, ROLLBACK_METHOD) == 0)
		return 0;
	*(struct db_attempt *)ctx = *a;
	return -EINTR;
}

/* When the last check began, whatever started it (the schedule, a person,
 * a push), as the history keeps it across restarts; among the newest
 * rows, a few rollbacks by hand are passed over. */
static int64_t last_check_started(struct daemon *d)
{
	struct db_attempt a;

	memset(&a, 0, sizeof(a));
	(void)db_history_foreach(d->db, NULL, 64, take_check, &a, NULL);
	return a.started > d->last_check ? a.started : d->last_check;
}

static const char *component_state(const struct manifest_component *mc,
				   const struct db_installed *in, bool have)
{
	if (!have)
		return "NOT_INSTALLED";
	if (!version_is_valid(in->version) ||
	    version_compare(in->version, mc->minimum) < 0)
		return "BELOW_MINIMUM";
	if (version_compare(in->version, mc->version) < 0)
		return "UPDATE_AVAILABLE";
	return "UP_TO_DATE";
}

/* A forced entry's terms, or null. */
static json_t *json_forced(const struct manifest_component *mc)
{
	if (!mc->forced)
		return json_null();
	return json_pack("{s:o, s:b}", "deadline",
			 mc->deadline != 0 ? json_time(mc->deadline)
					   : json_null(),
			 "allow_downgrade", mc->allow_downgrade);
}

/* A forced entry not yet in (at another version than the entry's). */
static bool forced_pending(const struct manifest_component *mc,
			   const struct db_installed *in, bool have)
{
	int cmp;

	if (!mc->forced)
		return false;
	if (!have || !version_is_valid(in->version))
		return true;
	cmp = version_compare(in->version, mc->version);
	return cmp < 0 || (cmp > 0 && mc->allow_downgrade);
}

/* The progress state of the component the attempt under way is working
 * on (DOWNLOADING, VERIFYING, INSTALLING), or NULL. */
static const char *component_progress(struct daemon *d, const char *name)
{
	struct cycle_event ev;

	if (!worker_progress(d->worker, &ev) || strcmp(ev.component, name) != 0)
		return NULL;
	if (ev.state != STATE_DOWNLOADING && ev.state != STATE_VERIFYING &&
	    ev.state != STATE_INSTALLING && ev.state != STATE_WAITING)
		return NULL;
	return state_name(ev.state);
}

/* The last health check of a component: {ok, detail, at}, or null. */
static json_t *json_health(const struct db_component_state *cs, bool have)
{
	if (!have || cs->health_at == 0)
		return json_null();
	return json_pack("{s:b, s:s, s:o}", "ok", cs->health_ok, "detail",
			 cs->health_detail, "at", json_time(cs->health_at));
}

/* The set a component belongs to, or null. */
static json_t *json_set(const struct manifest_component *mc)
{
	return mc->set[0] != '\0' ? json_string(mc->set) : json_null();
}

/* ---- holds of rollbacks by hand ------------------------------------------ */

/* Whether version a is newer than b (both valid). */
static bool version_newer(const char *a, const char *b)
{
	return b != NULL && version_is_valid(a) && version_is_valid(b) &&
	       version_compare(a, b) > 0;
}

/* A hold as status and resume show it: from, since, reason. */
static json_t *json_hold(const struct db_hold *h)
{
	return json_pack("{s:s, s:o, s:s}", "from", h->from_version, "since",
			 json_time(h->held_at), "reason", h->reason);
}

/* The hold of name as a status row shows it, or null. */
static json_t *json_component_hold(struct daemon *d, const char *name)
{
	struct db_hold h;

	if (db_hold_get(d->db, name, &h, NULL) < 0)
		return json_null();
	return json_hold(&h);
}

/* Adds one blocked_by entry per hold (at most one per possible component
 * of a manifest) to arr. */
struct holds_walk {
	json_t *arr;
	size_t n;
};

static int holds_take(void *ctx, const struct db_hold *h)
{
	struct holds_walk *w = ctx;

	if (w->n++ >= HS_MANIFEST_MAX_COMPONENTS)
		return -EINTR;
	return json_array_append_new(
		       w->arr,
		       json_pack("{s:s, s:s, s:s, s:o, s:n}", "what", "held",
				 "component", h->name, "from", h->from_version,
				 "since", json_time(h->held_at), "until")) < 0
		       ? -ENOMEM
		       : 0;
}

static void json_blocks_held(struct daemon *d, json_t *arr)
{
	struct holds_walk w = {arr, 0};

	if (arr != NULL)
		(void)db_hold_foreach(d->db, holds_take, &w, NULL);
}

static json_t *json_components(struct daemon *d, const struct manifest *m)
{
	json_t *arr = json_array();
	struct db_component_state cs;
	struct db_installed in;
	const char *busy;
	json_t *j;
	size_t i;

	for (i = 0; m != NULL && arr != NULL && i < m->n_components; i++) {
		const struct manifest_component *mc = &m->components[i];
		const bool have =
			db_installed_get(d->db, mc->name, &in, NULL) == 0;
		const char *state = component_state(mc, &in, have);
		const bool have_cs =
			db_component_state_get(d->db, mc->name, &cs, NULL) == 0;
		json_t *held = json_component_hold(d, mc->name);
		/* A hold outranks every reason to update but a newer
		 * version than the one rolled back from. */
		const bool waits =
			json_is_object(held) &&
			!version_newer(mc->version,
				       json_string_value(
					       json_object_get(held, "from")));

		busy = component_progress(d, mc->name);
		if (busy != NULL)
			state = busy;

		j = json_pack("{s:s, s:o, s:s, s:s, s:s, s:b, s:o, s:o, s:o}",
			      "name", mc->name, "installed",
			      have ? json_string(in.version) : json_null(),
			      "latest", mc->version, "minimum", mc->minimum,
			      "state", state, "required",
			      !waits && (forced_pending(mc, &in, have) ||
					 strcmp(state, "BELOW_MINIMUM") == 0),
			      "forced", json_forced(mc), "held", held,
			      "last_result", json_last_result(d, mc->name));
		if (j != NULL) {
			(void)json_object_set_new(j, "set", json_set(mc));
			(void)json_object_set_new(j, "health",
						  json_health(&cs, have_cs));
		}
		(void)json_array_append_new(arr, j);
	}
	return arr;
}

/* ---- progress: rate and ETA ------------------------------------------- */

static double elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Bytes per second since the component's first DOWNLOADING event. */
static uint64_t daemon_rate(struct daemon *d, const struct cycle_event *ev)
{
	double dt;

	if (strcmp(d->rate_component, ev->component) != 0 ||
	    ev->done < d->rate_done0) {
		(void)hs_strlcpy(d->rate_component, ev->component,
				 sizeof(d->rate_component));
		d->rate_done0 = ev->done;
		(void)clock_gettime(CLOCK_MONOTONIC, &d->rate_t0);
		return 0;
	}
	dt = elapsed_since(&d->rate_t0);
	return dt > 0.5 ? (uint64_t)((double)(ev->done - d->rate_done0) / dt)
			: 0;
}

/* An event as the protocol shows it. */
json_t *daemon_json_event(struct daemon *d, const struct cycle_event *ev)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "type", "event", "state",
			      state_name(ev->state), "component", ev->component,
			      "text", ev->text);
	uint64_t rate;

	if (j == NULL)
		return NULL;
	if (ev->state == STATE_DOWNLOADING) {
		rate = daemon_rate(d, ev);
		(void)json_object_set_new(j, "done",
					  json_integer((json_int_t)ev->done));
		(void)json_object_set_new(j, "total",
					  json_integer((json_int_t)ev->total));
		(void)json_object_set_new(j, "rate",
					  json_integer((json_int_t)rate));
		if (rate > 0 && ev->total >= ev->done)
			(void)json_object_set_new(
				j, "eta",
				json_integer(
					(json_int_t)((ev->total - ev->done) /
						     rate)));
	}
	if (ev->state == STATE_WAITING)
		(void)json_object_set_new(j, "until", json_time(ev->until));
	return j;
}

/* ---- status ----------------------------------------------------------- */

/* A component whose manifest version failed to install before: that
 * version is not tried again until the manifest names a newer one. */
static void json_failed_blocks(struct daemon *d, const struct manifest *m,
			       json_t *arr)
{
	struct db_component_state cs;
	size_t i;

	for (i = 0; m != NULL && arr != NULL && i < m->n_components; i++) {
		const struct manifest_component *mc = &m->components[i];

		if (db_component_state_get(d->db, mc->name, &cs, NULL) < 0 ||
		    strcmp(cs.failed_version, mc->version) != 0)
			continue;
		(void)json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:n}", "what",
				       "failed_version", "component", mc->name,
				       "version", mc->version, "until"));
	}
}

static json_t *json_blocks(struct daemon *d, const struct sched_in *in,
			   const struct manifest *m)
{
	struct sched_block b[SCHED_MAX_BLOCKS];
	const size_t n = sched_blocks(in, b);
	json_t *arr = json_array();
	json_t *j;
	size_t i;

	for (i = 0; arr != NULL && i < n; i++) {
		j = json_pack("{s:s, s:o}", "what", sched_block_name(b[i].kind),
			      "until", json_time(b[i].until));
		/* A fact that could not be read says why. */
		if (j != NULL && b[i].reason != NULL)
			(void)json_object_set_new(j, "reason",
						  json_string(b[i].reason));
		(void)json_array_append_new(arr, j);
	}
	json_failed_blocks(d, m, arr);
	json_blocks_held(d, arr);
	return arr;
}

static json_t *json_daemon(struct daemon *d, const struct manifest *m)
{
	struct cycle_event ev;
	struct sched_in in;
	struct db_trust t;
	char reason[256];
	char stopped[CTL_REASON_MAX + 64];
	json_t *j;

	daemon_sched_in(d, &in, reason, sizeof(reason));
	/* Off is STOPPED with its reason, the word the staff look for. */
	(void)hs_snprintf(stopped, sizeof(stopped),
			  _("automatic updates are disabled: %s"), reason);
	memset(&t, 0, sizeof(t));
	(void)db_trust_get(d->db, &t, NULL);
	j = json_pack("{s:s, s:I, s:s, s:s, s:b, s:s, s:o, s:o, s:o, s:o, "
		      "s:o}",
		      "version", DAEMON_VERSION, "pid", (json_int_t)getpid(),
		      "state", in.enabled ? "IDLE" : state_name(STATE_STOPPED),
		      "reason", in.enabled ? "" : stopped, "enabled",
		      in.enabled, "disabled_reason", reason, "blocked_by",
		      json_blocks(d, &in, m), "next_check",
		      json_time(sched_due(&in)), "last_check",
		      json_time(last_check_started(d)), "last_contact",
		      json_time(t.last_contact), "last_result",
		      json_last_result(d, NULL));
	if (j == NULL)
		return NULL;
	if (t.manifest_serial > 0)
		(void)json_object_set_new(
			j, "manifest",
			json_pack("{s:I, s:o}", "serial",
				  (json_int_t)t.manifest_serial, "expires",
				  json_time(t.manifest_expires)));
	if (worker_progress(d->worker, &ev)) {
		(void)json_object_set_new(j, "state",
					  json_string(state_name(ev.state)));
		(void)json_object_set_new(j, "progress",
					  daemon_json_event(d, &ev));
	} else if (worker_running(d->worker)) {
		(void)json_object_set_new(j, "state", json_string("CHECKING"));
	}
	return j;
}

/* Which haishind answers: its executable, and the installed haishin it is
 * (null when it runs from elsewhere, e.g. /usr/sbin/haishind). */
static void json_self(const struct daemon *d, json_t *j)
{
	(void)json_object_set_new(j, "executable", json_string(d->ho.exe));
	(void)json_object_set_new(j, "haishin",
				  d->ho.version[0] != '\0'
					  ? json_string(d->ho.version)
					  : json_null());
}

/* A daemon whose state database cannot be trusted: STOPPED, and why. */
static json_t *json_damaged(const struct daemon *d)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:b, s:s, s:[], s:n, s:n, "
			 "s:n, s:n}",
			 "version", DAEMON_VERSION, "pid", (json_int_t)getpid(),
			 "state", state_name(STATE_STOPPED), "reason",
			 d->damaged, "enabled", 0, "disabled_reason",
			 d->damaged, "blocked_by", "next_check", "last_check",
			 "last_contact", "last_result");
}

static void cmd_status(struct daemon *d, struct ctl_client *c)
{
	struct manifest *m = daemon_manifest(d);
	json_t *dj;

	if (d->db == NULL) {
		dj = json_damaged(d);
		if (dj != NULL)
			json_self(d, dj);
	} else {
		dj = json_daemon(d, m);
		if (dj != NULL)
			json_self(d, dj);
		if (dj != NULL && d->damaged[0] != '\0' &&
		    !worker_running(d->worker)) {
			(void)json_object_set_new(
				dj, "state",
				json_string(state_name(STATE_STOPPED)));
			(void)json_object_set_new(dj, "reason",
						  json_string(d->damaged));
		}
	}
	daemon_send_end(c, json_pack("{s:o, s:o}", "daemon", dj, "components",
				     d->db != NULL ? json_components(d, m)
						   : json_array()));
	manifest_free(m);
}

/* ---- history, verify --------------------------------------------------- */

struct history_walk {
	json_t *arr;
	const struct ctl_request *req;
	size_t n;
};

static int history_take(void *ctx, const struct db_attempt *a)
{
	struct history_walk *w = ctx;
	json_t *j;

	if (a->started < w->req->since || w->n >= w->req->limit)
		return -EINTR; /* newest first: the rest is older */
	if (a->started >= w->req->until)
		return 0;
	j = json_attempt(a);
	if (j == NULL)
		return 0; /* one row that cannot be shown hides nothing else */
	w->n++;
	return json_array_append_new(w->arr, j) < 0 ? -ENOMEM : 0;
}

static void cmd_history(struct daemon *d, struct ctl_client *c,
			const struct ctl_request *req)
{
	struct history_walk w = {json_array(), req, 0};
	struct hs_err e;
	int r;

	/* The time bounds are applied while walking, so the walk has no
	 * row limit of its own; it stops at the first row too old. */
	r = db_history_foreach(d->db,
			       req->has_component ? req->component : NULL,
			       SIZE_MAX, history_take, &w, &e);
	if (r < 0 && r != -EINTR) {
		json_decref(w.arr);
		daemon_send_error(c, CTL_ERR_UNAVAILABLE, e.msg);
		return;
	}
	daemon_send_end(c, json_pack("{s:o}", "attempts", w.arr));
}

static void cmd_verify(struct daemon *d, struct ctl_client *c)
{
	struct manifest *m = daemon_manifest(d);
	json_t *arr = json_array();
	struct db_installed in;
	bool all_ok = true;
	size_t i;

	if (m == NULL) {
		json_decref(arr);
		daemon_send_error(
			c, CTL_ERR_UNAVAILABLE,
			_("no verified manifest yet: run 'haishinctl "
			  "download-now' or wait for the next check"));
		return;
	}
	for (i = 0; i < m->n_components; i++) {
		const struct manifest_component *mc = &m->components[i];
		const bool have =
			db_installed_get(d->db, mc->name, &in, NULL) == 0;
		/* A forced entry still not in after its deadline fails too:
		 * its publisher said by when it must be. */
		const bool overdue = forced_pending(mc, &in, have) &&
				     mc->deadline != 0 &&
				     (int64_t)time(NULL) >= mc->deadline;
		const bool ok = have && version_is_valid(in.version) &&
				version_compare(in.version, mc->minimum) >= 0 &&
				!overdue;

		all_ok = all_ok && ok;
		(void)json_array_append_new(
			arr,
			json_pack("{s:s, s:o, s:s, s:b, s:b, s:o}", "name",
				  mc->name, "installed",
				  have ? json_string(in.version) : json_null(),
				  "minimum", mc->minimum, "ok", ok, "overdue",
				  overdue, "forced", json_forced(mc)));
	}
	manifest_free(m);
	daemon_send_end(c, json_pack("{s:o, s:b}", "components", arr, "all_ok",
				     all_ok));
}

/* ---- changing state -------------------------------------------------------- */

/* Root, the daemon's own user, and [control] admin_group may change. */
bool daemon_may_change(const struct daemon *d, uid_t uid, gid_t gid)
{
	return ctlsock_uid_is_self_or_root(uid) ||
	       ctlsock_uid_in_group(uid, gid, d->cfg.admin_group);
}

static bool may_change(const struct daemon *d, const struct ctl_client *c)
{
	return daemon_may_change(d, c->uid, c->gid);
}

static void cmd_enable(struct daemon *d, struct ctl_client *c,
		       const struct ctl_request *req)
{
	const bool on = req->cmd == CTL_CMD_ENABLE;
	char reason[CTL_REASON_MAX];
	struct hs_err e;

	if (db_setting_put(d->db, "enabled", on ? "yes" : "no", &e) < 0 ||
	    db_setting_put(d->db, "disabled_reason", req->reason, &e) < 0) {
		daemon_send_error(c, CTL_ERR_UNAVAILABLE, e.msg);
		return;
	}
	log_info("automatic updates %s by uid %ld%s%s",
		 on ? "enabled" : "disabled", (long)c->uid,
		 req->reason[0] != '\0' ? ": " : "", req->reason);
	daemon_send_end(c, json_pack("{s:b, s:s}", "enabled",
				     daemon_enabled(d, reason, sizeof(reason)),
				     "disabled_reason", reason));
}

/* ---- attempts --------------------------------------------------------------- */

static void cmd_download_now(struct daemon *d, struct ctl_client *c)
{
	static const struct worker_job manual = {
		.trigger = "manual", .mode = CYCLE_ALL, .bundle_fd = -1};
	struct cycle_event ev;

	/* An attempt already running is joined, not started twice. */
	if (!worker_running(d->worker) &&
	    daemon_start_attempt(d, &manual) < 0) {
		send_refused_attempt(
			c, CTL_ERR_UNAVAILABLE,
			_("cannot start an update: see the daemon's log"));
		return;
	}
	c->waiting = WAIT_ATTEMPT;
	if (worker_progress(d->worker, &ev))
		daemon_send_json(c, daemon_json_event(d, &ev), false);
}

/*
 * A pushed bundle: the peer passed it open (it may read it; the daemon's
 * sandbox need not see its path).  It runs as an attempt of its own, with
 * the events and end line of download-now; while another attempt runs it is
 * refused rather than queued, so the technician knows to push again.
 */
static void cmd_push(struct daemon *d, struct ctl_client *c)
{
	struct worker_job job = {
		.trigger = "push", .mode = CYCLE_ALL, .bundle_fd = -1};
	struct stat st;

	if (!c->has_passed_fd || fstat(c->passed_fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		send_refused_attempt(c, CTL_ERR_INVALID,
				     _("push needs the bundle as an open "
				       "regular file: use 'haishinctl push "
				       "FILE'"));
		return;
	}
	if (worker_running(d->worker)) {
		send_refused_attempt(c, CTL_ERR_UNAVAILABLE,
				     _("another update is running: push the "
				       "bundle again when it has ended (see "
				       "'haishinctl status')"));
		return;
	}
	job.bundle_fd = c->passed_fd; /* the worker owns it from here */
	c->has_passed_fd = false;
	if (daemon_start_attempt(d, &job) < 0) {
		send_refused_attempt(
			c, CTL_ERR_UNAVAILABLE,
			_("cannot start an update: see the daemon's log"));
		return;
	}
	log_info("bundle pushed by uid %ld (%lld bytes)", (long)c->uid,
		 (long long)st.st_size);
	c->waiting = WAIT_ATTEMPT;
}

/* ---- rollback and resume ------------------------------------------------ */

/*
 * A rollback by hand runs as an attempt of its own, with the events and end
 * line of download-now.  While another attempt runs it is refused rather
 * than queued: it would switch versions under the attempt's feet, and the
 * person who asked learns at once to ask again.
 */
static void cmd_rollback(struct daemon *d, struct ctl_client *c,
			 const struct ctl_request *req)
{
	const struct worker_job job = {.trigger = "manual",
				       .mode = CYCLE_ALL,
				       .bundle_fd = -1,
				       .rollback = req->component,
				       .rollback_version = req->version};
	char msg[CTL_REASON_MAX];

	if (worker_running(d->worker)) {
		(void)hs_snprintf(msg, sizeof(msg),
				  _("another update is running: run "
				    "'haishinctl rollback %s' again when it "
				    "has ended (see 'haishinctl status')"),
				  req->component);
		send_refused_attempt(c, CTL_ERR_UNAVAILABLE, msg);
		return;
	}
	if (daemon_start_attempt(d, &job) < 0) {
		send_refused_attempt(
			c, CTL_ERR_UNAVAILABLE,
			_("cannot start the rollback: see the daemon's log"));
		return;
	}
	log_info("rollback of %s%s%s asked by uid %ld", req->component,
		 req->version[0] != '\0' ? " to " : "", req->version,
		 (long)c->uid);
	c->waiting = WAIT_ATTEMPT;
}

/* Lifts the hold of a rollback; a component not held is no error (the end
 * line's "lifted" is null). */
static void cmd_resume(struct daemon *d, struct ctl_client *c,
		       const struct ctl_request *req)
{
	struct db_hold h;
	struct hs_err e;
	int r;

	r = db_hold_get(d->db, req->component, &h, &e);
	if (r == 0)
		r = db_hold_delete(d->db, req->component, &e) < 0 ? e.code : 0;
	else if (r == -ENOENT)
		r = 1;
	if (r < 0) {
		daemon_send_error(c, CTL_ERR_UNAVAILABLE, e.msg);
		return;
	}
	if (r == 0)
		log_info("automatic updates of %s resumed by uid %ld (held "
			 "since the rollback from %s)",
			 req->component, (long)c->uid, h.from_version);
	daemon_send_end(c, json_pack("{s:s, s:b, s:o}", "component",
				     req->component, "held", 0, "lifted",
				     r == 0 ? json_hold(&h) : json_null()));
}

/* ---- end of rollback and resume ------------------------------------------- */

/* ---- check-connection ------------------------------------------------------- */

static void cmd_check_connection(struct daemon *d, struct ctl_client *c)
{
	c->waiting = WAIT_DIAG;
	if (d->diag_running)
		return; /* it joins the diagnosis under way */
	if (daemon_diag_start(d) < 0)
		daemon_send_error(c, CTL_ERR_UNAVAILABLE,
				  _("cannot start the diagnosis"));
}

json_t *daemon_json_diag(const struct diag_report *rep)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < DIAG_STAGES; i++) {
		const struct diag_result *s = &rep->stages[i];

		if (!s->ran)
			continue;
		(void)json_array_append_new(
			arr, json_pack("{s:s, s:b, s:I, s:s}", "stage",
				       diag_stage_name((enum diag_stage)i),
				       "ok", s->ok, "ms", (json_int_t)s->ms,
				       "detail", s->detail));
	}
	/* One truth: ok is all_ok, and the outcome's state and exit code
	 * come with it, as download-now's end does. */
	return json_pack(
		"{s:o, s:b, s:b, s:s, s:s, s:s, s:i}", "stages", arr, "ok",
		rep->all_ok, "all_ok", rep->all_ok, "failed_stage",
		rep->failed >= 0 ? diag_stage_name((enum diag_stage)rep->failed)
				 : "",
		"advice", rep->advice, "state", diag_failed_state(rep), "exit",
		diag_exit_code(rep));
}

/* ---- requests ---------------------------------------------------------------- */

void daemon_request(struct daemon *d, struct ctl_client *c)
{
	struct ctl_request req;
	struct hs_err e;

	if (ctl_request_parse(c->in, strlen(c->in), &req, &e) < 0) {
		daemon_send_error(c, CTL_ERR_INVALID, e.msg);
		return;
	}
	if (ctl_cmd_changes(req.cmd) && !may_change(d, c)) {
		log_info("refused '%s' from uid %ld: not allowed to change "
			 "state",
			 ctl_cmd_name(req.cmd), (long)c->uid);
		if (req.cmd == CTL_CMD_ROLLBACK)
			send_refused_attempt(
				c, CTL_ERR_DENIED,
				_("permission denied: a rollback needs root, "
				  "haishind's user or its admin group"));
		else if (req.cmd == CTL_CMD_DOWNLOAD_NOW ||
			 req.cmd == CTL_CMD_PUSH)
			send_refused_attempt(
				c, CTL_ERR_DENIED,
				_("permission denied: starting an update "
				  "needs root, haishind's user or its admin "
				  "group"));
		else
			daemon_send_error(c, CTL_ERR_DENIED,
					  _("permission denied"));
		return;
	}
	if (d->damaged[0] != '\0' &&
	    (req.cmd == CTL_CMD_DOWNLOAD_NOW || req.cmd == CTL_CMD_PUSH ||
	     req.cmd == CTL_CMD_ROLLBACK)) {
		send_refused_attempt(c, CTL_ERR_UNAVAILABLE, d->damaged);
		return;
	}
	if (d->db == NULL && req.cmd != CTL_CMD_STATUS &&
	    req.cmd != CTL_CMD_CHECK_CONNECTION) {
		daemon_send_error(c, CTL_ERR_UNAVAILABLE, d->damaged);
		return;
	}
	switch (req.cmd) {
	case CTL_CMD_STATUS:
		cmd_status(d, c);
		break;
	case CTL_CMD_HISTORY:
		cmd_history(d, c, &req);
		break;
	case CTL_CMD_VERIFY:
		cmd_verify(d, c);
		break;
	case CTL_CMD_CHECK_CONNECTION:
		cmd_check_connection(d, c);
		break;
	case CTL_CMD_DOWNLOAD_NOW:
		cmd_download_now(d, c);
		break;
	case CTL_CMD_ENABLE:
	case CTL_CMD_DISABLE:
		cmd_enable(d, c, &req);
		break;
	case CTL_CMD_PUSH:
		cmd_push(d, c);
		break;
	case CTL_CMD_ROLLBACK:
		cmd_rollback(d, c, &req);
		break;
	case CTL_CMD_RESUME:
		cmd_resume(d, c, &req);
		break;
	}
}
