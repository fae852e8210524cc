/*
 * daemon.c - haishind's event loop: start and stop, signals, the schedule's
 * ticks, and the plumbing of the worker (attempts) and diagnosis threads.
 * What the control requests mean is in daemon_cmd.c.
 *
 * State owned here: the configuration, a database connection for reading
 * state and writing settings, the control socket and its clients, and the
 * schedule's memory (start, last check, backoff).  The worker thread owns
 * the attempt; its events reach every client that asked for them
 * ("download-now" started or joined it), and its end line reaches them all
 * alike.  Every attempt ends in a terminal state recorded in the history by
 * the cycle itself, so nothing here can leave it "in progress".
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "config.h"
#include "ctlserver.h"
#include "cycle.h"
#include "daemon_int.h"
#include "db.h"
#include "diag.h"
#include "floor.h"
#include "i18n.h"
#include "dsse.h"
#include "log.h"
#include "manifest.h"
#include "notify.h"
#include "plan.h"
#include "schedule.h"
#include "selfproc.h"
#include "signals.h"
#include "state.h"
#include "fileio.h"
#include "str.h"
#include "sweep.h"
#include "worker.h"

#define DAEMON_TICK_MAX 30 /* seconds between schedule looks */
#define DAEMON_FLUSH_MS 3000 /* for the clients' last lines at a hand-over */
#define DAEMON_RETAKE_TRIES 50 /* a tenth of a second apart */
#define DAEMON_LOW_DISK (64ull * 1024 * 1024) /* free bytes in the cache */

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t mono_ms(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint32_t random_below(uint32_t n)
{
	uint32_t v = 0;

	if (n == 0)
		return 0;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint32_t)time(NULL) * 2654435761u;
	return v % n;
}

/* ---- settings and the schedule ---------------------------------------- */

/*
 * Records why fact cannot be read now (why "" when it can): each change is
 * logged once, however often status asks.
 */
static void daemon_fact(struct daemon *d, enum daemon_fact fact,
			const char *why)
{
	char *last = d->unknown[fact];

	if (strcmp(last, why) == 0)
		return;
	if (why[0] != '\0')
		log_warn("%s", why);
	else
		log_info("%s",
			 fact == DAEMON_FACT_DISK
				 ? "the cache's free space can be read again"
			 : fact == DAEMON_FACT_RESTART
				 ? "the restart flag can be read again"
				 : "the enable/disable setting can be "
				   "read again");
	(void)hs_strlcpy(last, why, sizeof(d->unknown[fact]));
}

/* Automatic updates: the run-time setting (enable/disable) wins over the
 * configuration.  Fills reason when they are off.  A setting that cannot
 * be read counts as off: a disable must not be lost to a read error. */
bool daemon_enabled(struct daemon *d, char *reason, size_t n)
{
	struct hs_err e;
	char v[16];
	int r;

	reason[0] = '\0';
	r = db_setting_get(d->db, "enabled", v, sizeof(v), &e);
	if (r < 0 && r != -ENOENT)
		(void)hs_snprintf(reason, n,
				  _("the enable/disable setting cannot be "
				    "read from the state database (%s)"),
				  e.msg);
	hs_utf8_fix(reason); /* a cut reason may end inside a character */
	daemon_fact(d, DAEMON_FACT_ENABLED, reason);
	if (reason[0] != '\0')
		return false;
	if (r == 0) {
		if (strcmp(v, "no") != 0)
			return true;
		if (db_setting_get(d->db, "disabled_reason", reason, n, NULL) <
			    0 ||
		    reason[0] == '\0')
			(void)hs_strlcpy(reason, _("disabled with haishinctl"),
					 n);
		return false;
	}
	if (d->cfg.enabled)
		return true;
	(void)hs_strlcpy(reason, _("disabled in the configuration"), n);
	return false;
}

/*
 * Whether the cache has too little free space.  Free space that cannot be
 * read counts as too little (a download might fill the disk), with the
 * reason in d->unknown.
 */
static bool daemon_low_disk(struct daemon *d)
{
	char why[CYCLE_REASON_MAX] = "";
	struct statvfs st;
	bool low = true;

	if (statvfs(d->cfg.cache, &st) < 0)
		(void)hs_snprintf(why, sizeof(why),
				  _("the free space of the cache '%s' cannot "
				    "be read (%s); until it can, scheduled "
				    "updates wait, as for a full disk "
				    "(download-now still runs)"),
				  d->cfg.cache, strerror(errno));
	else
		low = (uint64_t)st.f_bavail * st.f_frsize < DAEMON_LOW_DISK;
	hs_utf8_fix(why);
	daemon_fact(d, DAEMON_FACT_DISK, why);
	return low;
}

/* Fills why when the restart flag or the boot time cannot be read; else
 * whether a reboot asked for at the recorded time has not happened. */
static bool daemon_restart_asked(struct daemon *d, char *why, size_t n)
{
	struct sysinfo si;
	struct hs_err e;
	uint64_t asked;
	char v[24];
	int r;

	r = db_setting_get(d->db, CYCLE_SYSTEM_RESTART_KEY, v, sizeof(v), &e);
	if (r == -ENOENT)
		return false;
	if (r < 0)
		(void)hs_snprintf(why, n,
				  _("whether an update waits for a restart of "
				    "the system cannot be read from the state "
				    "database (%s)"),
				  e.msg);
	else if (hs_parse_u64(v, INT64_MAX, &asked) < 0)
		(void)hs_snprintf(why, n,
				  _("the state database holds '%s' as the "
				    "time a restart of the system was asked "
				    "for, which is not a time"),
				  v);
	else if (sysinfo(&si) < 0)
		(void)hs_snprintf(why, n,
				  _("the time since the system started cannot "
				    "be read (%s)"),
				  strerror(errno));
	else
		return (int64_t)asked > now_s() - (int64_t)si.uptime;
	return true;
}

/*
 * An installed update asked for a reboot that has not happened since (the
 * cycle records when, whatever the language of the reason).  A flag that
 * cannot be read counts as pending: only required updates go in, and the
 * reason in d->unknown says why.
 */
static bool daemon_restart_pending(struct daemon *d)
{
	char cause[CYCLE_REASON_MAX] = "";
	char why[CYCLE_REASON_MAX] = "";
	bool pending;

	pending = daemon_restart_asked(d, cause, sizeof(cause));
	if (cause[0] != '\0')
		(void)hs_snprintf(why, sizeof(why),
				  _("%s; until it can, only required updates "
				    "go in, as while a restart is pending "
				    "(download-now installs the others)"),
				  cause);
	hs_utf8_fix(why);
	daemon_fact(d, DAEMON_FACT_RESTART, why);
	return pending;
}

/* The last verified manifest, kept by the cycle in the state directory. */
struct manifest *daemon_manifest(const struct daemon *d)
{
	char path[PATH_MAX];
	struct manifest *m = NULL;
	struct dsse *env = NULL;
	const uint8_t *p;
	char *buf = NULL;
	size_t len = 0;
	size_t n;

	if (hs_snprintf(path, sizeof(path), "%s/manifest.json", d->cfg.state) <
		    0 ||
	    hs_read_file(path, HS_MANIFEST_MAX_BYTES, &buf, &len, NULL) < 0)
		return NULL;
	if (dsse_parse(buf, len, HS_MANIFEST_MAX_BYTES, &env, NULL) == 0) {
		p = dsse_payload(env, &n);
		(void)manifest_parse(p, n, &m, NULL);
	}
	dsse_free(env);
	free(buf);
	return m;
}

/* Takes out of plan what a rollback by hand holds back (plan_hold_back):
 * a held component is required by nobody until it is resumed. */
static void daemon_hold_back(struct daemon *d, const struct manifest *m,
			     struct plan *plan)
{
	struct db_hold *holds = calloc(m->n_components + 1, sizeof(*holds));
	struct plan *held = malloc(sizeof(*held));
	size_t n = 0;
	size_t i;

	if (holds == NULL || held == NULL) {
		plan->n = 0; /* no room to tell: nothing counts as required */
		goto out;
	}
	for (i = 0; i < m->n_components; i++)
		if (db_hold_get(d->db, m->components[i].name, &holds[n],
				NULL) == 0)
			n++;
	plan_hold_back(plan, holds, n, held);
out:
	free(held);
	free(holds);
}

/* The last verified manifest names a required update (forced, or a
 * component below its minimum) that is not installed nor held. */
static bool daemon_required_pending(struct daemon *d)
{
	struct manifest *m = daemon_manifest(d);
	struct db_installed *in = NULL;
	struct plan *plan = NULL;
	bool required = false;
	size_t n = 0;
	size_t i;

	if (m != NULL) {
		in = calloc(m->n_components + 1, sizeof(*in));
		plan = malloc(sizeof(*plan));
	}
	if (in == NULL || plan == NULL)
		goto out;
	for (i = 0; i < m->n_components; i++)
		if (db_installed_get(d->db, m->components[i].name, &in[n],
				     NULL) == 0)
			n++;
	plan_make(m, in, n, plan);
	daemon_hold_back(d, m, plan);
	for (i = 0; i < plan->n && !required; i++)
		required = plan_item_required(&plan->items[i]);
out:
	free(plan);
	free(in);
	manifest_free(m);
	return required;
}

void daemon_sched_in(struct daemon *d, struct sched_in *in, char *reason,
		     size_t n)
{
	const time_t t = time(NULL);
	struct tm tm;

	memset(in, 0, sizeof(*in));
	in->cfg = &d->cfg;
	in->now = (int64_t)t;
	if (localtime_r(&t, &tm) != NULL)
		in->local_minute = (unsigned)(tm.tm_hour * 60 + tm.tm_min);
	in->enabled = daemon_enabled(d, reason, n);
	in->boot_due = d->boot_due;
	in->last_check = d->last_check;
	in->jitter = d->jitter;
	in->backoff_until = d->backoff_until;
	in->low_disk = daemon_low_disk(d);
	in->restart_pending = daemon_restart_pending(d);
	if (d->unknown[DAEMON_FACT_DISK][0] != '\0')
		in->low_disk_why = d->unknown[DAEMON_FACT_DISK];
	if (d->unknown[DAEMON_FACT_RESTART][0] != '\0')
		in->restart_why = d->unknown[DAEMON_FACT_RESTART];
	in->required_pending = daemon_required_pending(d);
}

/* ---- attempts --------------------------------------------------------------- */

int daemon_start_attempt(struct daemon *d, const struct worker_job *job)
{
	struct hs_err e;

	if (d->ho.due)
		return -EBUSY; /* a hand-over is about to start */
	d->rate_component[0] = '\0';
	handover_before_attempt(d);
	if (worker_start(d->worker, &d->cfg, job, &e) < 0) {
		log_err("cannot start an update: %s", e.msg);
		return e.code;
	}
	d->rollback_running = job->rollback != NULL;
	if (job->rollback != NULL) {
		log_info("rollback of %s started (%s)", job->rollback,
			 job->trigger);
		notify_status("rolling back %s (%s)", job->rollback,
			      job->trigger);
		return 0;
	}
	log_info("update started (%s)%s%s", job->trigger,
		 job->hold != NULL ? ": " : "",
		 job->hold != NULL ? job->hold : "");
	notify_status("checking for updates (%s)", job->trigger);
	return 0;
}

/* Tells every client waiting on the attempt how it ended. */
static void daemon_attempt_done(struct daemon *d, const struct cycle_result *r)
{
	size_t i;

	log_info("update ended: %s %s", state_name(r->state), r->reason);
	notify_status("%s %s", state_name(r->state), r->reason);
	if (d->rollback_running)
		d->rollback_running = false; /* no check: the schedule stands */
	else if (r->state == STATE_INTERRUPTED ||
		 r->state == STATE_FAILED_CONNECT)
		d->backoff_until = r->next_attempt > now_s()
					   ? r->next_attempt
					   : now_s() + d->cfg.backoff_max;
	else
		d->backoff_until = 0;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &d->ctl.clients[i];

		if (c->fd < 0 || c->waiting != WAIT_ATTEMPT)
			continue;
		daemon_send_end(c, json_pack("{s:s, s:s, s:i}", "state",
					     state_name(r->state), "reason",
					     r->reason, "exit",
					     state_exit_code(r->state)));
	}
	/* haishin itself was switched: the loop hands over once it is back
	 * (handover.h), or the stop puts the previous haishin back. */
	if (r->handover[0] != '\0') {
		d->ho.due = true;
		d->ho.result = *r;
	}
}

static void daemon_worker_events(struct daemon *d)
{
	struct cycle_event evs[WORKER_QUEUE];
	struct cycle_result res;
	bool done = false;
	size_t n;
	size_t i;
	size_t k;

	n = worker_drain(d->worker, evs, WORKER_QUEUE, &done, &res);
	for (k = 0; k < n; k++)
		for (i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *c = &d->ctl.clients[i];

			if (c->fd >= 0 && c->waiting == WAIT_ATTEMPT)
				daemon_send_json(c,
						 daemon_json_event(d, &evs[k]),
						 false);
		}
	if (done)
		daemon_attempt_done(d, &res);
}

/* ---- check-connection ------------------------------------------------------- */

static void *diag_main(void *arg)
{
	struct daemon *d = arg;
	const uint64_t one = 1;
	struct db *db = NULL;

	/* d->diag_cfg is this thread's own copy: a SIGHUP replaces d->cfg. */
	(void)db_open(d->diag_cfg.state, &db, NULL);
	diag_run(&d->diag_cfg, db, now_s(), &d->diag_cancel, &d->diag);
	db_free(db);
	(void)!write(d->diag_efd, &one, sizeof(one));
	return NULL;
}

/* Starts the diagnosis thread on a copy of the configuration: 0, or a
 * negative errno when the thread cannot start. */
int daemon_diag_start(struct daemon *d)
{
	int r;

	d->diag_cfg = d->cfg;
	atomic_store(&d->diag_cancel, false);
	r = pthread_create(&d->diag_thread, NULL, diag_main, d);
	if (r != 0)
		return -r;
	d->diag_running = true;
	return 0;
}

static void daemon_diag_done(struct daemon *d)
{
	uint64_t count;
	size_t i;

	(void)!read(d->diag_efd, &count, sizeof(count));
	(void)pthread_join(d->diag_thread, NULL);
	d->diag_running = false;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &d->ctl.clients[i];

		if (c->fd >= 0 && c->waiting == WAIT_DIAG)
			daemon_send_end(c, daemon_json_diag(&d->diag));
	}
}

/* ---- requests ---------------------------------------------------------------- */

/* A request over CTL_LINE_MAX: the documented "invalid" end line. */
static void daemon_send_too_long(struct ctl_client *c)
{
	char msg[128];

	(void)hs_snprintf(msg, sizeof(msg), _("request longer than %d bytes"),
			  CTL_LINE_MAX);
	daemon_send_error(c, CTL_ERR_INVALID, msg);
}

static void daemon_client(struct daemon *d, struct ctl_client *c, short revents)
{
	int r;

	if ((revents & (POLLHUP | POLLERR)) && c->has_request) {
		ctl_drop(c); /* gone; what it asked for goes on without it */
		return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->has_request) {
		r = ctl_read(c);
		if (r == -E2BIG)
			daemon_send_too_long(c);
		else if (r == 1)
			daemon_request(d, c);
	}
	if (c->fd >= 0)
		ctl_flush(c);
}

/* ---- the schedule -------------------------------------------------------------- */

/* What holds back all but the required updates, for the STOPPED row. */
static void daemon_hold(const struct daemon *d, const struct sched_in *in,
			enum sched_run run, const char *off_reason, char *out,
			size_t n)
{
	if (run == SCHED_RUN_CHECK) {
		(void)hs_snprintf(out, n,
				  _("automatic updates are disabled: %s"),
				  off_reason);
	} else if (in->restart_pending && in->restart_why != NULL) {
		(void)hs_strlcpy(out, in->restart_why, n);
	} else if (in->restart_pending) {
		(void)hs_snprintf(out, n, "%s",
				  _("an installed update waits for a restart "
				    "of the system"));
	} else {
		(void)hs_snprintf(out, n, _("quiet hours until %02u:%02u"),
				  (unsigned)d->cfg.quiet_end / 60,
				  (unsigned)d->cfg.quiet_end % 60);
	}
}

/* Starts what the schedule says is due; returns seconds until the next look. */
static int daemon_tick(struct daemon *d)
{
	struct worker_job job = {.bundle_fd = -1};
	struct sched_in in;
	enum sched_run run;
	char reason[256];
	char hold[CYCLE_REASON_MAX];
	int64_t due;

	if (d->damaged[0] != '\0' || worker_running(d->worker))
		return DAEMON_TICK_MAX;
	daemon_sched_in(d, &in, reason, sizeof(reason));
	due = sched_due(&in);
	if (in.now < due)
		return (int)(due - in.now < DAEMON_TICK_MAX ? due - in.now + 1
							    : DAEMON_TICK_MAX);
	run = sched_decide(&in);
	if (run == SCHED_RUN_NONE)
		return DAEMON_TICK_MAX; /* held back: look again later */
	job.trigger = sched_due_to_required(&in) ? "forced"
		      : d->last_check == 0	 ? "boot"
						 : "schedule";
	job.mode = run == SCHED_RUN_FULL       ? CYCLE_ALL
		   : run == SCHED_RUN_REQUIRED ? CYCLE_REQUIRED
					       : CYCLE_CHECK;
	job.hold = NULL;
	job.bundle_fd = -1;
	if (run != SCHED_RUN_FULL) {
		daemon_hold(d, &in, run, reason, hold, sizeof(hold));
		job.hold = hold;
	}
	d->last_check = in.now;
	d->backoff_until = 0; /* the attempt's end sets the next, if any */
	d->jitter = random_below(d->cfg.interval / 10 + 1);
	if (daemon_start_attempt(d, &job) < 0)
		d->backoff_until = in.now + d->cfg.backoff_max;
	return DAEMON_TICK_MAX;
}

/* ---- signals, start, stop ------------------------------------------------------- */

/*
 * The paths the daemon holds open (its lock and database in state, the
 * socket and its group) keep their values until a restart; a reload that
 * changes them says so instead of half-applying them.
 */
static void daemon_keep_paths(const struct config *old, struct config *cfg)
{
	static const struct {
		const char *key;
		size_t off;
		size_t size;
	} held[] = {
#define HELD(k, f) {k, offsetof(struct config, f), sizeof(old->f)}
		HELD("[paths] state", state),
		HELD("[paths] cache", cache),
		HELD("[paths] install", install),
		HELD("[paths] socket", socket),
		HELD("[control] group", control_group),
#undef HELD
	};
	size_t i;

	for (i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		const char *was = (const char *)old + held[i].off;
		char *now = (char *)cfg + held[i].off;

		if (strcmp(was, now) == 0)
			continue;
		log_warn("reload: %s changed to '%s'; it takes effect when "
			 "haishind restarts, '%s' stays in use until then",
			 held[i].key, now, was);
		memcpy(now, was, held[i].size);
	}
}

static void daemon_reload(struct daemon *d)
{
	struct config cfg;
	struct hs_err e;

	notify_reloading();
	if (config_load(d->config_path, &cfg, &e) < 0) {
		log_err("reload: %s; keeping the configuration in use", e.msg);
	} else {
		daemon_keep_paths(&d->cfg, &cfg);
		d->cfg = cfg;
		log_info("configuration reloaded from '%s'", d->config_path);
	}
	(void)notify_ready();
}

void daemon_signal(struct daemon *d)
{
	enum signals_event ev;

	for (ev = signals_next(d->sig); ev != SIGNALS_NONE;
	     ev = signals_next(d->sig)) {
		if (ev == SIGNALS_RELOAD)
			daemon_reload(d);
		else if (ev == SIGNALS_STOP)
			d->stop = true;
	}
}

static int daemon_lock(struct daemon *d, struct hs_err *e)
{
	char path[PATH_MAX];

	if (hs_snprintf(path, sizeof(path), "%s/haishind.lock", d->cfg.state) <
	    0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	d->lock_fd =
		open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", path,
				  strerror(errno));
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		(void)close(d->lock_fd);
		d->lock_fd = -1;
		return hs_err_set(e, -EBUSY,
				  "another haishind is working on "
				  "'%s'",
				  d->cfg.state);
	}
	return 0;
}

/* Sends the clients what is queued for them, for at most DAEMON_FLUSH_MS. */
static void daemon_flush_out(struct daemon *d)
{
	struct pollfd fds[CTL_MAX_CLIENTS];
	const int64_t until = mono_ms() + DAEMON_FLUSH_MS;
	size_t n;
	size_t i;

	for (;;) {
		n = 0;
		for (i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *c = &d->ctl.clients[i];

			if (c->fd >= 0)
				ctl_flush(c);
			if (c->fd >= 0 && c->out_len > 0)
				fds[n++] = (struct pollfd){c->fd, POLLOUT, 0};
		}
		if (n == 0 || mono_ms() >= until)
			return;
		(void)poll(fds, n, 100);
	}
}

void daemon_quiesce(struct daemon *d)
{
	if (d->diag_running) {
		atomic_store(&d->diag_cancel, true);
		daemon_diag_done(d);
	}
	daemon_flush_out(d);
	ctl_close(&d->ctl);
	if (d->lock_fd >= 0)
		(void)close(d->lock_fd);
	d->lock_fd = -1;
}

int daemon_retake(struct daemon *d, bool listen, struct hs_err *e)
{
	int r = 0;
	int i;

	for (i = 0; i < DAEMON_RETAKE_TRIES && d->lock_fd < 0; i++) {
		if (i > 0)
			(void)poll(NULL, 0, 100);
		r = daemon_lock(d, e);
	}
	if (r == 0 && listen)
		r = ctl_listen(&d->ctl, d->cfg.socket, d->cfg.control_group, e);
	return r;
}

static int daemon_mkdirs(const struct config *cfg, struct hs_err *e)
{
	const char *dirs[] = {cfg->state, cfg->cache, cfg->install};
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], i == 2 ? 0755 : 0700) < 0 && errno != EEXIST)
			return hs_err_set(e, -errno, "cannot create '%s': %s",
					  dirs[i], strerror(errno));
	return 0;
}

/*
 * Opens the state database and records an attempt that was cut off.  A
 * damaged file, or one behind the floor kept outside it, does not stop the
 * daemon: it stays up to say so (d->damaged) and updates nothing.
 */
static int daemon_open_db(struct daemon *d, struct hs_err *e)
{
	struct hs_err fe;
	int r;

	r = db_open(d->cfg.state, &d->db, e);
	(void)sweep_leftovers(&d->cfg, r == 0 ? d->db : NULL);
	if (r == -EUCLEAN) {
		(void)floor_explain(e);
		(void)hs_strlcpy(d->damaged, e->msg, sizeof(d->damaged));
		log_err("%s", d->damaged);
		return 0;
	}
	if (r < 0)
		return r;
	r = cycle_recover(&d->cfg, d->db, &fe);
	if (r < 0)
		log_warn("cannot record the attempt that was cut off: %s",
			 fe.msg);
	else if (r > 0)
		log_warn("the last attempt was cut off (killed or power "
			 "lost): recorded as INTERRUPTED");
	if (!d->ho.adopted &&
	    handover_recover(&d->cfg, d->db, d->ho.exe, &fe) < 0)
		log_warn("%s, ignoring", fe.msg);
	if (floor_check(&d->cfg, d->db, &fe) < 0) {
		(void)hs_strlcpy(d->damaged, fe.msg, sizeof(d->damaged));
		log_err("%s", d->damaged);
	}
	return 0;
}

static int daemon_start(struct daemon *d, const char *config_path,
			struct hs_err *e)
{
	int r;

	d->lock_fd = -1;
	d->diag_efd = -1;
	d->ctl.lfd = -1;
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		d->ctl.clients[i].fd = -1;
	if (hs_strlcpy(d->config_path, config_path, sizeof(d->config_path)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "config path too long");
	r = handover_adopt(&d->ho, e);
	if (r == 0)
		r = config_load(config_path, &d->cfg, e);
	if (r == 0) {
		handover_identify(&d->ho, d->cfg.install);
		r = daemon_mkdirs(&d->cfg, e);
	}
	if (r == 0)
		r = daemon_lock(d, e);
	if (r == 0)
		r = daemon_open_db(d, e);
	if (r == 0 && d->ho.adopted && d->damaged[0] != '\0')
		/* The new haishind of a hand-over is healthy or does not
		 * start: the old one then puts the previous one back. */
		r = hs_err_set(e, -EUCLEAN, "%s", d->damaged);
	if (r == 0)
		r = worker_new(&d->worker, e);
	if (r == 0)
		r = signals_open(&d->sig, e);
	if (r == 0) {
		d->diag_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->diag_efd < 0)
			r = hs_err_set(e, -errno, "eventfd: %s",
				       strerror(errno));
	}
	if (r == 0)
		r = ctl_listen(&d->ctl, d->cfg.socket, d->cfg.control_group, e);
	if (r < 0)
		return r;
	d->boot_due = now_s() + random_below(d->cfg.boot_delay_max + 1);
	d->jitter = random_below(d->cfg.interval / 10 + 1);
	return 0;
}

static void daemon_stop(struct daemon *d)
{
	/* After a hand-over the service goes on in the new process. */
	if (!d->ho.handed_over)
		notify_stopping();
	if (d->worker != NULL && worker_running(d->worker)) {
		log_info("stopping the update under way; what arrived is kept");
		worker_cancel(d->worker);
		while (worker_running(d->worker)) {
			struct pollfd p = {worker_fd(d->worker), POLLIN, 0};

			(void)poll(&p, 1, 1000);
			daemon_worker_events(d);
		}
	}
	if (d->ho.due)
		handover_run(d); /* stopping: the previous haishin goes back */
	if (d->diag_running) {
		/* Its clients get the stages run so far, the one under way
		 * marked as stopped. */
		atomic_store(&d->diag_cancel, true);
		daemon_diag_done(d);
	}
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_flush(&d->ctl.clients[i]);
	ctl_close(&d->ctl);
	worker_free(d->worker);
	db_free(d->db);
	if (d->diag_efd >= 0)
		(void)close(d->diag_efd);
	signals_free(d->sig);
	if (d->lock_fd >= 0)
		(void)close(d->lock_fd);
}

/*
 * Started: the new haishind of a hand-over takes its real standard error
 * back now that it listens (the old one reads the lent one until then), and
 * its first check is an interval away: the old one has just checked.
 */
static void daemon_started(struct daemon *d)
{
	char as[2 * HS_VERSION_MAX + 64];

	if (d->ho.log_fd >= 0 && selfproc_take_log(d->ho.log_fd) < 0)
		log_warn("cannot take the standard error back from the "
			 "hand-over, ignoring");
	d->ho.log_fd = -1;
	if (d->ho.adopted)
		d->last_check = now_s();
	as[0] = '\0';
	if (d->ho.version[0] != '\0')
		(void)hs_snprintf(as, sizeof(as), " as haishin %s",
				  d->ho.version);
	if (d->ho.adopted)
		(void)hs_snprintf(as + strlen(as), sizeof(as) - strlen(as),
				  ", handed over to by pid %lld",
				  (long long)d->ho.parent);
	log_info("haishind %s started%s: socket '%s', first check in %lld s",
		 DAEMON_VERSION, as, d->cfg.socket,
		 (long long)(d->last_check != 0
				     ? d->last_check + d->cfg.interval - now_s()
				     : d->boot_due - now_s()));
	(void)notify_ready();
}

/* ---- the loop ------------------------------------------------------------------- */

/* The peers allowed to change state are served first (ctl_accept). */
static bool daemon_trusts(void *ctx, uid_t uid, gid_t gid)
{
	return daemon_may_change(ctx, uid, gid);
}

static void daemon_flush_all(struct daemon *d)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (d->ctl.clients[i].fd >= 0)
			ctl_flush(&d->ctl.clients[i]);
}

static void daemon_dispatch(struct daemon *d, const struct pollfd *fds,
			    size_t n)
{
	size_t i;

	if (fds[0].revents & POLLIN)
		daemon_signal(d);
	if (fds[1].revents & POLLIN)
		daemon_worker_events(d);
	if (d->ho.due)
		return; /* the hand-over comes first: nothing else starts */
	if (fds[2].revents & POLLIN)
		daemon_diag_done(d);
	for (i = 3; i < n; i++) {
		struct ctl_client *c;

		if (fds[i].revents == 0)
			continue;
		if (fds[i].fd == d->ctl.lfd) {
			ctl_accept(&d->ctl, daemon_trusts, d);
			continue;
		}
		c = ctl_find(&d->ctl, fds[i].fd);
		if (c != NULL)
			daemon_client(d, c, fds[i].revents);
	}
	daemon_flush_all(d);
}

/* Drops the control clients past a deadline (ctl_sweep); returns the
 * seconds until the next one, at most DAEMON_TICK_MAX. */
static int daemon_sweep(struct daemon *d)
{
	const int next = ctl_sweep(&d->ctl, ctl_clock());

	return next < DAEMON_TICK_MAX ? next : DAEMON_TICK_MAX;
}

static void daemon_loop(struct daemon *d)
{
	struct pollfd fds[3 + 1 + CTL_MAX_CLIENTS];
	size_t n;
	int timeout;
	int sweep;

	while (!d->stop) {
		sweep = daemon_sweep(d);
		timeout = daemon_tick(d);
		if (timeout > sweep)
			timeout = sweep;
		sweep = handover_tick(d);
		if (sweep >= 0 && timeout > sweep)
			timeout = sweep;
		n = 0;
		fds[n++] = (struct pollfd){signals_fd(d->sig), POLLIN, 0};
		fds[n++] = (struct pollfd){worker_fd(d->worker), POLLIN, 0};
		fds[n++] = (struct pollfd){d->diag_efd, POLLIN, 0};
		n += ctl_poll_fds(&d->ctl, fds + n,
				  sizeof(fds) / sizeof(fds[0]) - n);
		if (poll(fds, n, timeout * 1000) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return;
		}
		daemon_dispatch(d, fds, n);
		if (d->ho.due && !d->stop)
			handover_run(d);
	}
}

int daemon_run(const char *config_path)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct hs_err e;
	int code = 0;

	if (d == NULL)
		return state_exit_code(STATE_STOPPED);
	hs_err_clear(&e);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("libcurl cannot start");
		free(d);
		return state_exit_code(STATE_STOPPED);
	}
	if (daemon_start(d, config_path, &e) < 0) {
		log_err("cannot start: %s", e.msg);
		code = state_exit_code(STATE_STOPPED);
	} else {
		daemon_started(d);
		daemon_loop(d);
		if (!d->ho.handed_over)
			log_info("haishind stopping");
		code = d->ho.exit_code;
	}
	daemon_stop(d);
	curl_global_cleanup();
	free(d);
	return code;
}
