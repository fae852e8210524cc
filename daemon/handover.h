/*
 * handover.h - haishin updating itself (docs/daemon.md, "haishin updates
 * itself").
 *
 * The component CYCLE_SELF ("haishin") is installed by the engine like any
 * other; its package holds sbin/haishind and bin/haishinctl.  An attempt
 * that switched it says so in its result, and once it has ended the
 * resident daemon hands over: it stops serving, releases the control
 * socket and the state directory's lock, starts
 * INSTALL/haishin/current/sbin/haishind with HAISHIN_HANDOVER in its
 * environment, and waits up to [install] self_update_timeout for it to
 * answer 'status' over the socket as that version (its own pid, its
 * executable INSTALL/haishin/VERSION/sbin/haishind).  Then the old one
 * names the new one the service's main process and exits; otherwise it
 * kills the new one's process group, switches haishin back, records
 * FAILED_INSTALL, takes the lock and the socket again and goes on.
 *
 * While a hand-over runs, STATE/handover (HANDOVER_MARKER) says what to put
 * back, locked by the old daemon; one found unlocked was cut off (power
 * lost, killed): handover_recover() switches haishin back and records it.
 *
 * handover.c holds the start-up exec of the active haishin, the marker and
 * the pure decisions; handover_daemon.c the daemon's side of a hand-over,
 * old and new.  The process calls are selfproc.h's.
 */
#ifndef HAISHIN_HANDOVER_H
#define HAISHIN_HANDOVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "cycle.h"
#include "db.h"
#include "hs_err.h"
#include "hs_limits.h"

/* The environment of a hand-over, set by the old daemon for the new one:
 * the haishin version handed over from ("" when none was installed), the
 * old daemon's pid, and the descriptor of the real standard error. */
#define HANDOVER_ENV "HAISHIN_HANDOVER"
#define HANDOVER_ENV_PID "HAISHIN_HANDOVER_PID"
#define HANDOVER_ENV_LOG "HAISHIN_HANDOVER_LOG"
/* Set for a haishind that is the active one: it does not look for it. */
#define HANDOVER_ENV_ACTIVE "HAISHIN_ACTIVE"

/* STATE/HANDOVER_MARKER exists while a hand-over runs. */
#define HANDOVER_MARKER "handover"
/* The history's trigger and method of a hand-over's row. */
#define HANDOVER_TRIGGER "handover"
/* The daemon in a haishin package, and its path in INSTALL/haishin. */
#define HANDOVER_DAEMON "sbin/haishind"

struct daemon;

/* What a hand-over puts back when it fails: haishin's versions, and its
 * row in the database before the attempt (has_row false: there was none). */
struct handover_marker {
	char from[HS_VERSION_MAX + 1]; /* "" when none was installed */
	char to[HS_VERSION_MAX + 1];
	bool has_row;
	struct db_installed row;
};

/* What a daemon knows of itself, and of the hand-over it is part of. */
struct handover_self {
	char exe[PATH_MAX]; /* the running executable, or "" */
	char version[HS_VERSION_MAX + 1]; /* the installed haishin it is */
	/* The new daemon of a hand-over, until the old one has exited and
	 * the hand-over is recorded (pending). */
	bool adopted;
	bool pending;
	char from[HS_VERSION_MAX + 1];
	pid_t parent;
	int log_fd; /* the real standard error, or -1 */
	int64_t adopted_at;
	/* The resident daemon: what to put back, taken before each attempt,
	 * and the attempt's result once it asks for a hand-over (due). */
	struct handover_marker back;
	bool due;
	struct cycle_result result;
	bool handed_over; /* a new haishind serves: this one exits */
	int exit_code; /* when it cannot go on after a failed hand-over */
};

/*
 * At start, before anything else is opened: runs
 * INSTALL/haishin/current/sbin/haishind in this process's place when it
 * exists, is executable and is not this executable, with HAISHIN_ACTIVE=1
 * (which skips this step, so nothing loops); a hand-over cut off before
 * is put back first (handover_recover() without a database).  Returns
 * when this process is the one to run.
 */
void handover_exec_active(const char *config_path, char *const *argv);

/*
 * The version of the installed haishin whose daemon exe is
 * (INSTALL/haishin/VERSION/sbin/haishind, install resolved like exe),
 * into out: 1, or 0 when exe is not one (out "").
 */
int handover_exe_version(const char *install, const char *exe, char *out,
			 size_t n);

/* Fills s->exe and s->version for this process. */
void handover_identify(struct handover_self *s, const char *install);

/* What a 'status' answer says of the new haishind. */
enum handover_verdict {
	HANDOVER_WAIT, /* not a status answer yet: ask again */
	HANDOVER_HEALTHY, /* pid, executable and version are the new one's */
	HANDOVER_WRONG, /* another pid, or not the new version: why says */
};

/*
 * Judges the end line of a 'status' request on socket: healthy when its
 * daemon.pid is pid and daemon.haishin is version.  why (n bytes) gets the
 * reason of a HANDOVER_WRONG.
 */
enum handover_verdict handover_judge(const json_t *end, pid_t pid,
				     const char *version, const char *socket,
				     char *why, size_t n);

/* The marker's text, and back: "FROM TO PREVIOUS SHA256 AT" ("-" for an
 * empty field, "- - -" for no row), one line. */
int handover_marker_format(const struct handover_marker *m, char *out,
			   size_t n);
int handover_marker_parse(const char *text, struct handover_marker *ret);

/*
 * What is active after switching haishin back to m->from (or removing
 * current for none) failed or not (back_error NULL), into out: "haishin
 * 0.1.0 is active again" or what current really names.
 */
void handover_active_text(const struct config *cfg,
			  const struct handover_marker *m,
			  const char *back_error, const char *exe, char *out,
			  size_t n);

/*
 * Switches haishin back as m says (when current still names m->to),
 * removes the new version's directory, and fills active as
 * handover_active_text().  0, or a negative errno with e set.
 */
int handover_put_back(const struct config *cfg, const struct handover_marker *m,
		      const char *exe, char *active, size_t n,
		      struct hs_err *e);

/*
 * Records a failed hand-over in db, in one transaction: with put_back
 * (haishin was switched back) haishin's row as m->row (or none), with
 * failed (why, or NULL for a hand-over given up) m->to as haishin's failed
 * version, not tried again until the manifest names a newer one
 * (docs/install.md), and a history row (state, reason) from m->from to
 * m->to, started at started.
 */
int handover_record(struct db *db, const struct handover_marker *m,
		    bool put_back, const char *failed, enum state state,
		    const char *reason, int64_t started, struct hs_err *e);

/*
 * Puts back a hand-over that was cut off: STATE/handover exists and no
 * daemon holds it.  The caller holds the state directory's lock.  With db,
 * records it (FAILED_INSTALL) and removes the marker; without, only
 * switches haishin back (the exec at start, before the database is
 * opened).  1 when there was one, 0 when not, or a negative errno.
 */
int handover_recover(const struct config *cfg, struct db *db, const char *exe,
		     struct hs_err *e);

/* ---- the daemon's side (handover_daemon.c) ------------------------------ */

/*
 * At start: takes in a hand-over this process is the new daemon of
 * (HAISHIN_HANDOVER set) and clears its variables.  0, or -EINVAL with e
 * set when they are malformed.
 */
int handover_adopt(struct handover_self *s, struct hs_err *e);

/* Before an attempt: what to put back should it switch haishin. */
void handover_before_attempt(struct daemon *d);

/* The hand-over an ended attempt asked for (s->due): done or failed. */
void handover_run(struct daemon *d);

/*
 * The new daemon, serving: once the old one has exited, records the
 * hand-over (COMPLETED) and removes the marker.  Returns the seconds
 * until it looks again, or -1 when nothing is pending.
 */
int handover_tick(struct daemon *d);

#endif
