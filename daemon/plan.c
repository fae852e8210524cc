/*
 * plan.c - compare the manifest with the installed components.
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

		if (in != NULL && version_is_valid(in->version) &&
		    version_compare(in->version, c->version) >= 0)
			continue;
		item->action = in != NULL ? PLAN_UPDATE : PLAN_INSTALL;
		item->target = c;
		(void)hs_strlcpy(item->from, in != NULL ? in->version : "",
				 sizeof(item->from));
		ret->n++;
	}
}
