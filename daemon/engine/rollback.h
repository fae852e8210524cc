/*
 * rollback.h - a rollback by hand (haishinctl rollback NAME [VERSION]):
 * switch a component back to a version still on disk, check it as an
 * install checks a new version, and hold its automatic updates back.
 *
 * The version defaults to the database's previous one of NAME; it must be
 * a complete version directory INSTALL/NAME/VERSION (never a .staging one)
 * and not the active one.  The steps: the switch of current (the
 * installer of the environment, cycle.h), the [restart] command of NAME if
 * the configuration names one, then the version's .haishin/health, tried
 * [install] health_tries times [install] health_interval seconds apart,
 * each run bounded by [install] hook_timeout (hook.h).  Any failure
 * switches the version rolled back from back (and runs the restart command
 * again) and ends FAILED_INSTALL saying what is active.  Success records,
 * in one transaction, NAME installed at VERSION with the version rolled
 * back from as its previous one, and a hold (db.h): the plan keeps NAME
 * back until 'haishinctl resume NAME' or a version newer than the one
 * rolled back from (plan_hold_back()).
 *
 * Like an attempt, a rollback sets the attempt marker while it runs and
 * records one history row (trigger, method "rollback"), so a kill at any
 * point leaves the version rolled back from recorded, and floor_repair()
 * at the next start switches it back: the old version is active.
 */
#ifndef HAISHIN_ROLLBACK_H
#define HAISHIN_ROLLBACK_H

#include "cycle.h"

/* The history's method of a rollback row. */
#define ROLLBACK_METHOD "rollback"

/*
 * Rolls component name back to version (NULL or "": the database's
 * previous one) with env's configuration, database, installer, clock,
 * progress, cancel flag and trigger, and fills *ret with the terminal state
 * and its reason.  Never fails: a refusal (not installed, no previous
 * version, not on disk, already active) is FAILED_INSTALL with nothing
 * changed; a database behind the floor is STOPPED (floor.h); a shutdown
 * while it runs switches back and is STOPPED.
 */
void rollback_run(const struct cycle_env *env, const char *name,
		  const char *version, struct cycle_result *ret);

#endif
