/*
 * test_worker.c - the queue between the attempt's thread and the loop
 * (worker.h): DOWNLOADING events of one component coalesce, and a full
 * queue drops progress before it drops a change of state.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "str.h"
#include "worker.h"

static struct cycle_event event(enum state s, const char *component,
				uint64_t done)
{
	struct cycle_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.state = s;
	(void)hs_strlcpy(ev.component, component, sizeof(ev.component));
	ev.done = done;
	return ev;
}

static void push(struct worker_queue *q, enum state s, const char *component,
		 uint64_t done)
{
	const struct cycle_event ev = event(s, component, done);

	worker_queue_push(q, &ev);
}

static void test_coalesce(void **state)
{
	struct worker_queue q = {.n = 0};
	struct cycle_event out[WORKER_QUEUE];

	(void)state;
	push(&q, STATE_CHECKING, "", 0);
	push(&q, STATE_DOWNLOADING, "app", 1);
	push(&q, STATE_DOWNLOADING, "app", 2);
	push(&q, STATE_DOWNLOADING, "lib", 3); /* another component */
	push(&q, STATE_DOWNLOADING, "lib", 4);
	push(&q, STATE_VERIFYING, "lib", 0);
	push(&q, STATE_DOWNLOADING, "lib", 5); /* not after a DOWNLOADING */
	assert_int_equal(q.n, 5);
	assert_int_equal(worker_queue_take(&q, out, 2), 2);
	assert_int_equal(out[0].state, STATE_CHECKING);
	assert_int_equal(out[1].done, 2);
	assert_int_equal(worker_queue_take(&q, out, WORKER_QUEUE), 3);
	assert_string_equal(out[0].component, "lib");
	assert_int_equal(out[0].done, 4);
	assert_int_equal(out[1].state, STATE_VERIFYING);
	assert_int_equal(out[2].done, 5);
	assert_int_equal(q.n, 0);
	assert_int_equal(worker_queue_take(&q, out, WORKER_QUEUE), 0);
}

/* Full: the oldest DOWNLOADING event makes room; every change of state
 * stays, in order. */
static void test_full_drops_progress_first(void **state)
{
	struct worker_queue q = {.n = 0};
	struct cycle_event out[WORKER_QUEUE];
	char name[16];
	size_t i;
	size_t k;

	(void)state;
	push(&q, STATE_CHECKING, "", 0);
	/* DOWNLOADING and VERIFYING by turns, one component each. */
	for (i = 0; q.n < WORKER_QUEUE; i++) {
		(void)snprintf(name, sizeof(name), "c%zu", i);
		push(&q, i % 2 == 0 ? STATE_DOWNLOADING : STATE_VERIFYING, name,
		     i);
	}
	push(&q, STATE_INSTALLING, "last", 0);
	assert_int_equal(q.n, WORKER_QUEUE);
	k = worker_queue_take(&q, out, WORKER_QUEUE);
	assert_int_equal(k, WORKER_QUEUE);
	assert_int_equal(out[0].state, STATE_CHECKING);
	/* c0, the oldest DOWNLOADING event, is the one dropped. */
	assert_string_equal(out[1].component, "c1");
	assert_int_equal(out[1].state, STATE_VERIFYING);
	assert_int_equal(out[k - 1].state, STATE_INSTALLING);
}

/* Full of changes of state only: the oldest event makes room. */
static void test_full_without_progress(void **state)
{
	struct worker_queue q = {.n = 0};
	struct cycle_event out[WORKER_QUEUE];
	size_t i;

	(void)state;
	for (i = 0; i < WORKER_QUEUE + 3; i++)
		push(&q, STATE_VERIFYING, "app", i);
	assert_int_equal(worker_queue_take(&q, out, WORKER_QUEUE),
			 WORKER_QUEUE);
	assert_int_equal(out[0].done, 3);
	assert_int_equal(out[WORKER_QUEUE - 1].done, WORKER_QUEUE + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_full_drops_progress_first),
		cmocka_unit_test(test_full_without_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
