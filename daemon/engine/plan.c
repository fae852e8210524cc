/*
 * plan.c - compare the manifest with the installed components, and keep
 * back what a rollback by hand holds.
 */
#include "plan.h"

#include <string.h>

#include "str.h"
#include "version.h"

static const struct db_installed *find_installed(const struct db_installed *in,
						 size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(in[i].name, name) == 0)
			return &in[i];
	return NULL;
}

bool plan_item_required(const struct plan_item *item)
{
	return item->why != PLAN_NEWER;
}

/* What to do about c, given what is installed; false: nothing. */
static bool plan_decide(const struct manifest_component *c,
			const struct db_installed *in, struct plan_item *item)
{
	int cmp;

	item->why = c->forced ? PLAN_FORCED : PLAN_NEWER;
	if (in == NULL) {
		item->action = PLAN_INSTALL;
		return true;
	}
	/* A version the database holds but cannot be compared is replaced,
	 * as if it were below everything. */
	cmp = version_is_valid(in->version)
		      ? version_compare(in->version, c->version)
		      : -1;
	if (cmp == 0)
		return false;
	if (cmp > 0) {
		item->action = PLAN_DOWNGRADE;
		return c->forced && c->allow_downgrade;
	}
	item->action = PLAN_UPDATE;
	if (!c->forced && (!version_is_valid(in->version) ||
			   version_compare(in->version, c->minimum) < 0))
		item->why = PLAN_BELOW_MINIMUM;
	return true;
}

void plan_make(const struct manifest *m, const struct db_installed *installed,
	       size_t n_installed, struct plan *ret)
{
	size_t i;

	ret->n = 0;
	for (i = 0; i < m->n_components; i++) {
		const struct manifest_component *c = &m->components[i];
		const struct db_installed *in =
			find_installed(installed, n_installed, c->name);
		struct plan_item *item = &ret->items[ret->n];

		if (!plan_decide(c, in, item))
			continue;
		item->target = c;
		(void)hs_strlcpy(item->from, in != NULL ? in->version : "",
				 sizeof(item->from));
		ret->n++;
	}
}

/* ---- holds -------------------------------------------------------------- */

bool plan_hold_lifted_by(const struct db_hold *h, const char *version)
{
	return version_is_valid(version) && version_is_valid(h->from_version) &&
	       version_compare(version, h->from_version) > 0;
}

const struct db_hold *plan_find_hold(const struct db_hold *holds, size_t n,
				     const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(holds[i].name, name) == 0)
			return &holds[i];
	return NULL;
}

void plan_hold_back(struct plan *plan, const struct db_hold *holds,
		    size_t n_holds, struct plan *ret_held)
{
	const struct db_hold *h;
	size_t kept = 0;
	size_t i;

	ret_held->n = 0;
	for (i = 0; i < plan->n; i++) {
		const struct plan_item *it = &plan->items[i];

		h = plan_find_hold(holds, n_holds, it->target->name);
		if (h != NULL && !plan_hold_lifted_by(h, it->target->version))
			ret_held->items[ret_held->n++] = *it;
		else
			plan->items[kept++] = *it;
	}
	plan->n = kept;
}
