/*
 * plan.h - what an attempt must do: the manifest compared with what is
 * installed.  Pure: no I/O, so every trigger (boot, download-now, a push)
 * shares it and tests need nothing but structs.
 */
#ifndef HAISHIN_PLAN_H
#define HAISHIN_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "hs_limits.h"
#include "manifest.h"

enum plan_action {
	PLAN_INSTALL, /* not installed yet */
	PLAN_UPDATE, /* installed below the manifest's version */
	PLAN_DOWNGRADE, /* installed above it, and a forced entry allows */
};

/* Why an item is in the plan: anything but PLAN_NEWER is required, and
 * does not wait for the schedule. */
enum plan_why {
	PLAN_NEWER, /* a newer version is out */
	PLAN_BELOW_MINIMUM, /* the installed version is below the minimum */
	PLAN_FORCED, /* the signed entry is forced */
};

struct plan_item {
	enum plan_action action;
	enum plan_why why;
	const struct manifest_component *target; /* points into the manifest */
	char from[HS_VERSION_MAX + 1]; /* "" for PLAN_INSTALL */
};

struct plan {
	struct plan_item items[HS_MANIFEST_MAX_COMPONENTS];
	size_t n;
};

/*
 * Fills *ret with one item per component of m that is missing or older than
 * m says.  installed[] lists what is installed (any order).  A component
 * installed at a newer version than m's is left alone, unless its signed
 * entry is forced and allows a downgrade.  A component installed but absent
 * from m is left alone too.  The items point into m, which must outlive
 * *ret.
 */
void plan_make(const struct manifest *m, const struct db_installed *installed,
	       size_t n_installed, struct plan *ret);

/* True when the item does not wait for the schedule (forced, or below the
 * minimum). */
bool plan_item_required(const struct plan_item *item);

/* ---- holds: components rolled back by hand ------------------------------ */

/* True when version lifts hold h: it is newer than the version rolled back
 * from. */
bool plan_hold_lifted_by(const struct db_hold *h, const char *version);

/*
 * Takes out of plan the items of held components (holds[0..n_holds), any
 * order) that the manifest's version does not lift: a hold outranks every
 * reason to update, a forced entry or a minimum included, until a person
 * resumes or a newer version than the one rolled back from is out.  The
 * items taken out go to *ret_held in plan order; the others keep theirs.
 */
void plan_hold_back(struct plan *plan, const struct db_hold *holds,
		    size_t n_holds, struct plan *ret_held);

/* The hold of name among holds[0..n), or NULL. */
const struct db_hold *plan_find_hold(const struct db_hold *holds, size_t n,
				     const char *name);

#endif
