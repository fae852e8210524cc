/*
 * handover.c - what haishin updating itself needs besides the daemon's
 * loop: the start-up exec of the active haishin, which installed haishin a
 * running executable is, the judgement of a new haishind's 'status'
 * answer, the marker of a hand-over under way, and putting haishin back
 * when a hand-over failed or was cut off.
 *
 * The marker STATE/handover is written (atomically, already locked) by the
 * old daemon before it starts the new one, and removed once the hand-over
 * is decided.  A marker that exists while no process holds its lock is a
 * hand-over cut off by a power cut or a kill: whatever the new haishin
 * did, it never reported healthy to anyone, so the previous one is put
 * back.
 */
#include "handover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "daemon_int.h"
#include "fileio.h"
#include "i18n.h"
#include "install.h"
#include "log.h"
#include "patch.h"
#include "selfproc.h"
#include "str.h"
#include "switch.h"
#include "version.h"

#define HANDOVER_MARKER_MAX 512 /* five short fields */

/* ---- which haishin runs ------------------------------------------------ */

int handover_exe_version(const char *install, const char *exe, char *out,
			 size_t n)
{
	char prefix[PATH_MAX];
	const char *v;
	const char *slash;
	size_t len;

	out[0] = '\0';
	if (hs_snprintf(prefix, sizeof(prefix), "%s/%s/", install, CYCLE_SELF) <
	    0)
		return 0;
	len = strlen(prefix);
	if (strncmp(exe, prefix, len) != 0)
		return 0;
	v = exe + len;
	slash = strchr(v, '/');
	if (slash == NULL || strcmp(slash + 1, HANDOVER_DAEMON) != 0 ||
	    (size_t)(slash - v) >= n || (size_t)(slash - v) > HS_VERSION_MAX)
		return 0;
	memcpy(out, v, (size_t)(slash - v));
	out[slash - v] = '\0';
	if (version_is_valid(out) && strcmp(out, SWITCH_CURRENT) != 0)
		return 1;
	out[0] = '\0';
	return 0;
}

void handover_identify(struct handover_self *s, const char *install)
{
	char root[PATH_MAX];
	struct hs_err e;

	s->version[0] = '\0';
	if (selfproc_exe(s->exe, sizeof(s->exe), &e) < 0) {
		log_warn("%s, ignoring", e.msg);
		s->exe[0] = '\0';
		return;
	}
	if (realpath(install, root) == NULL)
		(void)hs_strlcpy(root, install, sizeof(root));
	(void)handover_exe_version(root, s->exe, s->version,
				   sizeof(s->version));
}

/* ---- the new haishind's answer ------------------------------------------ */

static const char *json_str(const json_t *o, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : def;
}

enum handover_verdict handover_judge(const json_t *end, pid_t pid,
				     const char *version, const char *socket,
				     char *why, size_t n)
{
	const json_t *d = json_object_get(end, "daemon");
	const json_t *jpid = json_object_get(d, "pid");
	const char *have = json_str(d, "haishin", NULL);

	why[0] = '\0';
	if (!json_is_object(d) || !json_is_integer(jpid) ||
	    !json_is_true(json_object_get(end, "ok")))
		return HANDOVER_WAIT;
	if (json_integer_value(jpid) != (json_int_t)pid) {
		(void)hs_snprintf(why, n,
				  _("another haishind (pid %lld) answered on "
				    "'%s'"),
				  (long long)json_integer_value(jpid), socket);
	} else if (have == NULL || strcmp(have, version) != 0) {
		(void)hs_snprintf(why, n,
				  _("it answered as haishind %s from '%s', "
				    "not as haishin %s"),
				  json_str(d, "version", "?"),
				  json_str(d, "executable", "?"), version);
	} else {
		return HANDOVER_HEALTHY;
	}
	hs_utf8_fix(why);
	return HANDOVER_WRONG;
}

/* ---- the marker ----------------------------------------------------------- */

static const char *dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

int handover_marker_format(const struct handover_marker *m, char *out, size_t n)
{
	if (!m->has_row)
		return hs_snprintf(out, n, "%s %s - - -\n", dash(m->from),
				   m->to);
	return hs_snprintf(out, n, "%s %s %s %s %lld\n", dash(m->from), m->to,
			   dash(m->row.previous), dash(m->row.sha256),
			   (long long)m->row.installed_at);
}

/* The next space-separated field of *p into out ("-" gives ""). */
static int marker_field(const char **p, char *out, size_t n)
{
	const char *s = *p;
	size_t len = strcspn(s, " \n");

	if (len == 0 || len >= n)
		return -EBADMSG;
	memcpy(out, s, len);
	out[len] = '\0';
	if (strcmp(out, "-") == 0)
		out[0] = '\0';
	s += len;
	if (*s == ' ' || *s == '\n')
		s++;
	*p = s;
	return 0;
}

static bool marker_version_ok(const char *v, bool may_be_empty)
{
	return v[0] == '\0' ? may_be_empty : version_is_valid(v);
}

int handover_marker_parse(const char *text, struct handover_marker *ret)
{
	struct handover_marker m;
	char at[24];
	uint64_t t = 0;
	const char *p = text;

	memset(&m, 0, sizeof(m));
	if (marker_field(&p, m.from, sizeof(m.from)) < 0 ||
	    marker_field(&p, m.to, sizeof(m.to)) < 0 ||
	    marker_field(&p, m.row.previous, sizeof(m.row.previous)) < 0 ||
	    marker_field(&p, m.row.sha256, sizeof(m.row.sha256)) < 0 ||
	    marker_field(&p, at, sizeof(at)) < 0 || *p != '\0')
		return -EBADMSG;
	if (!marker_version_ok(m.from, true) ||
	    !marker_version_ok(m.to, false) ||
	    !marker_version_ok(m.row.previous, true))
		return -EBADMSG;
	m.has_row = at[0] != '\0';
	if (m.has_row &&
	    (m.from[0] == '\0' || hs_parse_u64(at, INT64_MAX, &t) < 0))
		return -EBADMSG;
	if (m.has_row) {
		(void)hs_strlcpy(m.row.name, CYCLE_SELF, sizeof(m.row.name));
		(void)hs_strlcpy(m.row.version, m.from, sizeof(m.row.version));
		m.row.installed_at = (int64_t)t;
	}
	*ret = m;
	return 0;
}

/* ---- putting haishin back ---------------------------------------------- */

void handover_active_text(const struct config *cfg,
			  const struct handover_marker *m,
			  const char *back_error, const char *exe, char *out,
			  size_t n)
{
	char cur[HS_VERSION_MAX + 1];
	char path[PATH_MAX];
	struct hs_err e;
	int r;

	r = switch_current(cfg->install, CYCLE_SELF, cur, sizeof(cur), &e);
	(void)hs_snprintf(path, sizeof(path), "%s/%s/%s", cfg->install,
			  CYCLE_SELF, SWITCH_CURRENT);
	if (r == 0 && m->from[0] != '\0' && strcmp(cur, m->from) == 0)
		(void)hs_snprintf(out, n, _("haishin %s is active again"),
				  m->from);
	else if (r == -ENOENT && m->from[0] == '\0')
		(void)hs_snprintf(out, n,
				  _("no haishin is installed again; haishind "
				    "%s from '%s' goes on"),
				  DAEMON_VERSION, exe);
	else if (r < 0)
		(void)hs_snprintf(out, n,
				  _("switching haishin back failed (%s), and "
				    "which version '%s' names cannot be read "
				    "(%s)"),
				  back_error != NULL ? back_error : "-", path,
				  e.msg);
	else
		(void)hs_snprintf(out, n,
				  _("switching haishin back failed (%s): '%s' "
				    "names %s, which haishind runs from its "
				    "next start"),
				  back_error != NULL ? back_error : "-", path,
				  cur);
	hs_utf8_fix(out);
}

/* current back at m->from, which must still be on disk, or removed. */
static int put_back_switch(const struct config *cfg,
			   const struct handover_marker *m, struct hs_err *e)
{
	char dir[PATH_MAX];

	if (m->from[0] != '\0' &&
	    (hs_snprintf(dir, sizeof(dir), "%s/%s/%s", cfg->install, CYCLE_SELF,
			 m->from) < 0 ||
	     access(dir, F_OK) < 0))
		return hs_err_set(e, -ENOENT,
				  _("haishin %s is no longer in '%s'"), m->from,
				  dir);
	return install_activate(cfg->install, CYCLE_SELF, m->from, e);
}

int handover_put_back(const struct config *cfg, const struct handover_marker *m,
		      const char *exe, char *active, size_t n, struct hs_err *e)
{
	char cur[HS_VERSION_MAX + 1];
	struct hs_err be;
	struct hs_err re;
	int r = 0;

	hs_err_clear(&be);
	if (switch_current(cfg->install, CYCLE_SELF, cur, sizeof(cur), NULL) ==
		    0 &&
	    strcmp(cur, m->to) == 0)
		r = put_back_switch(cfg, m, &be);
	if (r == 0 && strcmp(m->from, m->to) != 0 &&
	    install_remove(cfg->install, CYCLE_SELF, m->to, &re) < 0)
		log_warn("%s, ignoring", re.msg);
	/* The cached base is the new version's tar, no base for a delta
	 * from the version put back. */
	patch_forget(cfg, CYCLE_SELF);
	if (r < 0)
		log_err("%s", be.msg);
	handover_active_text(cfg, m, r < 0 ? be.msg : NULL, exe, active, n);
	return hs_err_copy(e, &be);
}

int handover_record(struct db *db, const struct handover_marker *m,
		    bool put_back, const char *failed, enum state state,
		    const char *reason, int64_t started, struct hs_err *e)
{
	struct db_attempt a;
	int r;

	memset(&a, 0, sizeof(a));
	a.started = started;
	a.finished = (int64_t)time(NULL);
	(void)hs_strlcpy(a.trigger, HANDOVER_TRIGGER, sizeof(a.trigger));
	(void)hs_strlcpy(a.component, CYCLE_SELF, sizeof(a.component));
	(void)hs_strlcpy(a.from_version, m->from, sizeof(a.from_version));
	(void)hs_strlcpy(a.to_version, m->to, sizeof(a.to_version));
	(void)hs_strlcpy(a.method, HANDOVER_TRIGGER, sizeof(a.method));
	(void)hs_strlcpy(a.state, state_name(state), sizeof(a.state));
	(void)hs_strlcpy(a.reason, reason, sizeof(a.reason));
	r = db_begin(db, e);
	if (r < 0)
		return r;
	if (put_back)
		r = m->has_row ? db_installed_put(db, &m->row, e)
			       : db_installed_delete(db, CYCLE_SELF, e);
	if (r == 0 && failed != NULL)
		r = db_component_failed_put(db, CYCLE_SELF, m->to, failed,
					    a.finished, e);
	if (r == 0)
		r = db_history_add(db, &a, e);
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0)
		db_rollback(db);
	return r;
}

/* ---- a hand-over cut off ------------------------------------------------- */

/* Reads the marker open at fd: 0, or -EBADMSG when it is not one. */
static int marker_read(int fd, struct handover_marker *ret)
{
	char buf[HANDOVER_MARKER_MAX];
	ssize_t n;

	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return handover_marker_parse(buf, ret);
}

/* Records the cut-off hand-over m and removes the marker at path. */
static void recover_record(struct db *db, const struct handover_marker *m,
			   bool back, const char *active, const char *path)
{
	char cause[CYCLE_REASON_MAX];
	char reason[CYCLE_REASON_MAX];
	struct hs_err e;

	(void)hs_snprintf(cause, sizeof(cause),
			  _("the hand-over to haishin %s was cut off before "
			    "it reported healthy (haishind stopped, was "
			    "killed or lost power)"),
			  m->to);
	(void)hs_snprintf(reason, sizeof(reason), "%s; %s", cause, active);
	hs_utf8_fix(cause);
	hs_utf8_fix(reason);
	log_warn("%s", reason);
	if (handover_record(db, m, back, cause, STATE_FAILED_INSTALL, reason,
			    (int64_t)time(NULL), &e) < 0)
		log_err("cannot record the hand-over that was cut off: %s",
			e.msg);
	else if (unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove '%s': %s, ignoring", path,
			 strerror(errno));
}

int handover_recover(const struct config *cfg, struct db *db, const char *exe,
		     struct hs_err *e)
{
	char active[CYCLE_REASON_MAX];
	struct handover_marker m;
	char path[PATH_MAX];
	bool back;
	int fd;
	int r;

	if (hs_snprintf(path, sizeof(path), "%s/%s", cfg->state,
			HANDOVER_MARKER) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", path,
				  strerror(errno));
	r = 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto out_close; /* a hand-over runs: its daemon decides */
	r = marker_read(fd, &m);
	if (r < 0) {
		log_warn("'%s' is not a hand-over's record (%s); removing it",
			 path, strerror(-r));
		(void)unlink(path);
		r = 0;
		goto out_close;
	}
	back = handover_put_back(cfg, &m, exe, active, sizeof(active), e) == 0;
	if (db != NULL)
		recover_record(db, &m, back, active, path);
	r = 1;
out_close:
	(void)close(fd);
	return r;
}

/* ---- the start-up exec ----------------------------------------------------- */

/* Puts back a hand-over cut off, under the state directory's lock, so
 * that the exec runs the previous haishin; the daemon records it. */
static void exec_recover(const struct config *cfg, const char *exe)
{
	char path[PATH_MAX];
	struct hs_err e;
	int fd;

	if (hs_snprintf(path, sizeof(path), "%s/haishind.lock", cfg->state) < 0)
		return;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return; /* never started here: nothing to put back */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    handover_recover(cfg, NULL, exe, &e) < 0)
		log_warn("%s, ignoring", e.msg);
	(void)close(fd);
}

void handover_exec_active(const char *config_path, char *const *argv)
{
	static const char *const set[] = {HANDOVER_ENV_ACTIVE "=1", NULL};
	char path[PATH_MAX];
	char exe[PATH_MAX];
	struct config cfg;
	struct hs_err e;
	int r;

	if (getenv(HANDOVER_ENV_ACTIVE) != NULL ||
	    config_load(config_path, &cfg, NULL) < 0 ||
	    hs_snprintf(path, sizeof(path), "%s/%s/%s/%s", cfg.install,
			CYCLE_SELF, SWITCH_CURRENT, HANDOVER_DAEMON) < 0)
		return;
	if (selfproc_exe(exe, sizeof(exe), &e) < 0)
		(void)hs_strlcpy(exe, "haishind", sizeof(exe));
	exec_recover(&cfg, exe);
	r = selfproc_is_other(path, &e);
	if (r < 0)
		log_warn("%s; not looking for the active haishin", e.msg);
	if (r <= 0)
		return;
	log_debug("running the active haishin '%s'", path);
	(void)selfproc_exec(path, argv, set, &e);
	log_warn("%s; going on with '%s' instead", e.msg, exe);
}
