/*
 * test_plan.c - the pure core of an attempt: which components to update
 * (plan_make), which a hold of a rollback keeps back (plan_hold_back), and
 * how outcomes combine into one terminal state (state.h).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "state.h"
#include "str.h"

static void component(struct manifest_component *c, const char *name,
		      const char *version)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(hs_strlcpy(c->name, name, sizeof(c->name)), 0);
	assert_int_equal(hs_strlcpy(c->version, version, sizeof(c->version)),
			 0);
	assert_int_equal(hs_strlcpy(c->minimum, version, sizeof(c->minimum)),
			 0);
}

static void installed(struct db_installed *in, const char *name,
		      const char *version)
{
	memset(in, 0, sizeof(*in));
	assert_int_equal(hs_strlcpy(in->name, name, sizeof(in->name)), 0);
	assert_int_equal(hs_strlcpy(in->version, version, sizeof(in->version)),
			 0);
}

/* One row: the manifest's version, the installed one (NULL: none), and
 * the expected action (-1: nothing to do). */
static const struct {
	const char *latest;
	const char *have;
	int action;
} plan_cases[] = {
	{"1.0", NULL, PLAN_INSTALL},
	{"1.1", "1.0", PLAN_UPDATE},
	{"1.10", "1.9", PLAN_UPDATE},
	{"2.0.1", "2.0", PLAN_UPDATE},
	{"1.0", "1.0-rc.2", PLAN_UPDATE},
	{"1.0", "1.0", -1},
	{"1.0", "1.0.0", -1},
	{"1.0", "1.1", -1}, /* never a downgrade */
	{"1.0", "garbage!", PLAN_UPDATE}, /* a damaged record is repaired */
};

static void test_plan_table(void **state)
{
	struct manifest_component c;
	struct db_installed in;
	struct manifest m;
	struct plan *plan;
	size_t i;

	(void)state;
	plan = calloc(1, sizeof(*plan));
	assert_non_null(plan);
	for (i = 0; i < TU_ARRAY_SIZE(plan_cases); i++) {
		component(&c, "cardreader", plan_cases[i].latest);
		m.components = &c;
		m.n_components = 1;
		if (plan_cases[i].have != NULL)
			installed(&in, "cardreader", plan_cases[i].have);
		plan_make(&m, &in, plan_cases[i].have != NULL ? 1 : 0, plan);
		if (plan_cases[i].action < 0) {
			assert_int_equal(plan->n, 0);
			continue;
		}
		assert_int_equal(plan->n, 1);
		assert_int_equal(plan->items[0].action, plan_cases[i].action);
		assert_ptr_equal(plan->items[0].target, &c);
		assert_string_equal(
			plan->items[0].from,
			plan_cases[i].have != NULL ? plan_cases[i].have : "");
	}
	free(plan);
}

static void test_plan_several(void **state)
{
	struct manifest_component cs[3];
	struct db_installed in[3];
	struct manifest m;
	struct plan *plan;

	(void)state;
	component(&cs[0], "cardreader", "2.0");
	component(&cs[1], "facelib", "1.0");
	component(&cs[2], "linkage", "3.0");
	m.components = cs;
	m.n_components = 3;
	installed(&in[0], "linkage", "3.0");
	installed(&in[1], "other", "9.9"); /* not in the manifest: left alone */
	installed(&in[2], "cardreader", "1.0");
	plan = calloc(1, sizeof(*plan));
	assert_non_null(plan);
	plan_make(&m, in, 3, plan);
	assert_int_equal(plan->n, 2);
	assert_string_equal(plan->items[0].target->name, "cardreader");
	assert_int_equal(plan->items[0].action, PLAN_UPDATE);
	assert_string_equal(plan->items[1].target->name, "facelib");
	assert_int_equal(plan->items[1].action, PLAN_INSTALL);
	free(plan);
}

/* Why an item is planned, and when a forced entry may go down. */
static void test_plan_why(void **state)
{
	static const struct {
		const char *latest;
		const char *minimum;
		const char *have; /* NULL: not installed */
		bool forced;
		bool downgrade;
		int action; /* -1: nothing to do */
		enum plan_why why;
	} rows[] = {
		{"2.0", "1.0", "1.5", false, false, PLAN_UPDATE, PLAN_NEWER},
		{"2.0", "1.8", "1.5", false, false, PLAN_UPDATE,
		 PLAN_BELOW_MINIMUM},
		{"2.0", "1.0", "1.5", true, false, PLAN_UPDATE, PLAN_FORCED},
		{"2.0", "1.0", NULL, false, false, PLAN_INSTALL, PLAN_NEWER},
		{"2.0", "1.0", NULL, true, false, PLAN_INSTALL, PLAN_FORCED},
		{"2.0", "1.0", "2.0", true, true, -1, PLAN_FORCED},
		{"2.0", "1.0", "2.1", true, false, -1, PLAN_FORCED},
		{"2.0", "1.0", "2.1", false, true, -1, PLAN_NEWER},
		{"2.0", "1.0", "2.1", true, true, PLAN_DOWNGRADE, PLAN_FORCED},
	};
	struct manifest_component c;
	struct db_installed in;
	struct manifest m;
	struct plan *plan;
	size_t i;

	(void)state;
	plan = calloc(1, sizeof(*plan));
	assert_non_null(plan);
	for (i = 0; i < TU_ARRAY_SIZE(rows); i++) {
		component(&c, "cardreader", rows[i].latest);
		(void)hs_strlcpy(c.minimum, rows[i].minimum, sizeof(c.minimum));
		c.forced = rows[i].forced;
		c.allow_downgrade = rows[i].downgrade;
		m.components = &c;
		m.n_components = 1;
		if (rows[i].have != NULL)
			installed(&in, "cardreader", rows[i].have);
		plan_make(&m, &in, rows[i].have != NULL ? 1 : 0, plan);
		if (rows[i].action < 0) {
			assert_int_equal(plan->n, 0);
			continue;
		}
		assert_int_equal(plan->n, 1);
		assert_int_equal(plan->items[0].action, rows[i].action);
		assert_int_equal(plan->items[0].why, rows[i].why);
		assert_int_equal(plan_item_required(&plan->items[0]),
				 rows[i].why != PLAN_NEWER);
	}
	free(plan);
}

/* ---- holds ------------------------------------------------------------- */

static void hold(struct db_hold *h, const char *name, const char *from)
{
	memset(h, 0, sizeof(*h));
	(void)hs_strlcpy(h->name, name, sizeof(h->name));
	(void)hs_strlcpy(h->from_version, from, sizeof(h->from_version));
	(void)hs_strlcpy(h->reason, "rolled back by hand", sizeof(h->reason));
	h->held_at = 1800000000;
}

/* app rolled back from 2.0 to 1.0 and held: which manifest versions stay
 * held back and which lift the hold, whatever else asks for them. */
static void test_plan_held_skip_and_newer_clears(void **state)
{
	static const struct {
		const char *latest;
		const char *minimum;
		bool forced;
		bool held; /* true: taken out of the plan */
	} rows[] = {
		{"2.0", "1.0", false, true}, /* the version rolled back from */
		{"1.5", "1.0", false, true}, /* newer than 1.0, not than 2.0 */
		{"2.0", "2.0", false, true}, /* below the minimum: still held */
		{"2.0", "1.0", true, true}, /* forced: still held */
		{"2.0.1", "1.0", false, false}, /* newer: lifts the hold */
		{"3.0", "1.0", true, false},
	};
	struct manifest_component c;
	struct db_installed in;
	struct db_hold h;
	struct manifest m;
	struct plan *plan = calloc(2, sizeof(*plan));
	struct plan *held;
	size_t bad = 0;
	size_t i;

	(void)state;
	assert_non_null(plan);
	held = &plan[1];
	hold(&h, "app", "2.0");
	for (i = 0; i < TU_ARRAY_SIZE(rows); i++) {
		component(&c, "app", rows[i].latest);
		(void)hs_strlcpy(c.minimum, rows[i].minimum, sizeof(c.minimum));
		c.forced = rows[i].forced;
		m.components = &c;
		m.n_components = 1;
		installed(&in, "app", "1.0");
		plan_make(&m, &in, 1, plan);
		assert_int_equal(plan->n, 1);
		plan_hold_back(plan, &h, 1, held);
		if (plan->n != (rows[i].held ? 0u : 1u) ||
		    held->n != (rows[i].held ? 1u : 0u) ||
		    plan_hold_lifted_by(&h, rows[i].latest) == rows[i].held)
			tu_report_bad(&bad, "row %zu: %s: plan %zu, held %zu",
				      i, rows[i].latest, plan->n, held->n);
		else if (rows[i].held &&
			 (strcmp(held->items[0].from, "1.0") != 0 ||
			  held->items[0].target != &c))
			tu_report_bad(&bad, "row %zu: the held item", i);
	}
	assert_int_equal(bad, 0);
	free(plan);
}

/* Only the held component is taken out; the others keep their order. */
static void test_plan_hold_spares_the_others(void **state)
{
	struct manifest_component cs[3];
	struct db_installed in[3];
	struct db_hold hs[2];
	struct manifest m;
	struct plan *plan = calloc(2, sizeof(*plan));

	(void)state;
	assert_non_null(plan);
	component(&cs[0], "app", "2.0");
	component(&cs[1], "cardreader", "1.1");
	component(&cs[2], "facelib", "3.0");
	m.components = cs;
	m.n_components = 3;
	installed(&in[0], "app", "1.0");
	installed(&in[1], "cardreader", "1.0");
	installed(&in[2], "facelib", "2.0");
	hold(&hs[0], "facelib", "2.5"); /* 3.0 is newer: it goes in */
	hold(&hs[1], "app", "2.0");
	plan_make(&m, in, 3, plan);
	assert_int_equal(plan->n, 3);
	plan_hold_back(plan, hs, 2, &plan[1]);
	assert_int_equal(plan->n, 2);
	assert_string_equal(plan->items[0].target->name, "cardreader");
	assert_string_equal(plan->items[1].target->name, "facelib");
	assert_int_equal(plan[1].n, 1);
	assert_string_equal(plan[1].items[0].target->name, "app");
	assert_ptr_equal(plan_find_hold(hs, 2, "app"), &hs[1]);
	assert_null(plan_find_hold(hs, 2, "cardreader"));
	free(plan);
}

static void test_state_names_and_codes(void **state)
{
	static const struct {
		enum state s;
		const char *name;
		int code;
	} rows[] = {
		{STATE_UP_TO_DATE, "UP_TO_DATE", 0},
		{STATE_COMPLETED, "COMPLETED", 0},
		{STATE_COMPLETED_RESTART_REQUIRED, "COMPLETED_RESTART_REQUIRED",
		 0},
		{STATE_INTERRUPTED, "INTERRUPTED", 75},
		{STATE_FAILED_CONNECT, "FAILED_CONNECT", 69},
		{STATE_FAILED_VERIFY, "FAILED_VERIFY", 65},
		{STATE_FAILED_INSTALL, "FAILED_INSTALL", 73},
		{STATE_STOPPED, "STOPPED", 78},
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(rows); i++) {
		assert_string_equal(state_name(rows[i].s), rows[i].name);
		assert_int_equal(state_exit_code(rows[i].s), rows[i].code);
	}
	assert_string_equal(state_name(STATE_DOWNLOADING), "DOWNLOADING");
}

static void test_state_merge(void **state)
{
	static const enum state order[] = {
		STATE_UP_TO_DATE,
		STATE_COMPLETED,
		STATE_COMPLETED_RESTART_REQUIRED,
		STATE_INTERRUPTED,
		STATE_FAILED_CONNECT,
		STATE_FAILED_VERIFY,
		STATE_FAILED_INSTALL,
		STATE_STOPPED,
	};
	const size_t n = TU_ARRAY_SIZE(order);
	size_t i;
	size_t j;

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			assert_int_equal(state_merge(order[i], order[j]),
					 order[i > j ? i : j]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_table),
		cmocka_unit_test(test_plan_several),
		cmocka_unit_test(test_plan_why),
		cmocka_unit_test(test_plan_held_skip_and_newer_clears),
		cmocka_unit_test(test_plan_hold_spares_the_others),
		cmocka_unit_test(test_state_names_and_codes),
		cmocka_unit_test(test_state_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
