/*
 * worker.c - the attempt thread.  Everything shared with the loop is under
 * one mutex: the event queue, the latest progress, the result.  The cancel
 * flag is atomic, read by libcurl's callbacks deep in the transfer.
 */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "db.h"
#include "fetch.h"
#include "rollback.h"
#include "str.h"

struct worker {
	int efd;
	pthread_t thread;
	bool running; /* a thread exists (until joined) */
	atomic_bool cancel;
	struct config *cfg;
	char trigger[16];
	enum cycle_mode mode;
	char hold[CYCLE_REASON_MAX];
	int bundle_fd; /* -1, or owned by the attempt */
	bool rollback; /* a rollback by hand of rollback_name */
	char rollback_name[HS_NAME_MAX + 1];
	char rollback_version[HS_VERSION_MAX + 1]; /* "": the previous one */

	pthread_mutex_t mu; /* guards what follows */
	struct worker_queue queue;
	struct cycle_event latest;
	bool has_latest;
	bool done;
	struct cycle_result result;
};

static void worker_wake(struct worker *w)
{
	const uint64_t one = 1;

	(void)!write(w->efd, &one, sizeof(one));
}

/* The oldest DOWNLOADING event, else the oldest event: the one a full
 * queue drops. */
static size_t worker_queue_victim(const struct worker_queue *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (q->ev[i].state == STATE_DOWNLOADING)
			return i;
	return 0;
}

void worker_queue_push(struct worker_queue *q, const struct cycle_event *ev)
{
	struct cycle_event *last = q->n > 0 ? &q->ev[q->n - 1] : NULL;
	size_t i;

	if (last != NULL && last->state == STATE_DOWNLOADING &&
	    ev->state == STATE_DOWNLOADING &&
	    strcmp(last->component, ev->component) == 0) {
		*last = *ev;
		return;
	}
	if (q->n == WORKER_QUEUE) {
		i = worker_queue_victim(q);
		memmove(&q->ev[i], &q->ev[i + 1],
			sizeof(q->ev[0]) * (WORKER_QUEUE - 1 - i));
		q->n--;
	}
	q->ev[q->n++] = *ev;
}

size_t worker_queue_take(struct worker_queue *q, struct cycle_event *out,
			 size_t n)
{
	const size_t k = q->n < n ? q->n : n;

	memcpy(out, q->ev, k * sizeof(*out));
	memmove(&q->ev[0], &q->ev[k], (q->n - k) * sizeof(q->ev[0]));
	q->n -= k;
	return k;
}

/* Queues an event for the loop (worker_queue_push) and wakes it. */
static void worker_on_event(void *ctx, const struct cycle_event *ev)
{
	struct worker *w = ctx;

	(void)pthread_mutex_lock(&w->mu);
	w->latest = *ev;
	w->has_latest = true;
	worker_queue_push(&w->queue, ev);
	(void)pthread_mutex_unlock(&w->mu);
	worker_wake(w);
}

static void worker_attempt(struct worker *w, struct cycle_result *res)
{
	const struct fetch_cfg fc = {
		.proxy = w->cfg->proxy,
		.ca_file = w->cfg->ca_file,
		.connect_timeout = w->cfg->connect_timeout,
		.stall_timeout = w->cfg->stall_timeout,
		.min_rate = w->cfg->min_rate,
		.max_rate = w->cfg->max_rate,
		.cancel = &w->cancel,
	};
	struct cycle_env env;
	struct fetch *fetch = NULL;
	struct db *db = NULL;
	struct hs_err e;

	hs_err_clear(&e);
	if (db_open(w->cfg->state, &db, &e) < 0 ||
	    fetch_new(&fc, &fetch, &e) < 0) {
		memset(res, 0, sizeof(*res));
		res->state = STATE_FAILED_INSTALL;
		(void)hs_snprintf(res->reason, sizeof(res->reason),
				  "cannot start the attempt: %s", e.msg);
		goto out;
	}
	cycle_env_init(&env, w->cfg, db, fetch);
	env.trigger = w->trigger;
	env.mode = w->mode;
	env.hold = w->hold;
	env.progress = worker_on_event;
	env.progress_ctx = w;
	env.cancel = &w->cancel;
	if (w->rollback)
		rollback_run(&env, w->rollback_name, w->rollback_version, res);
	else if (w->bundle_fd >= 0)
		cycle_run_bundle(&env, w->bundle_fd, res);
	else
		cycle_run(&env, res);
out:
	if (w->bundle_fd >= 0)
		(void)close(w->bundle_fd);
	w->bundle_fd = -1;
	fetch_free(fetch);
	db_free(db);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cycle_result res;

	worker_attempt(w, &res);
	(void)pthread_mutex_lock(&w->mu);
	w->result = res;
	w->done = true;
	w->has_latest = false;
	(void)pthread_mutex_unlock(&w->mu);
	worker_wake(w);
	return NULL;
}

int worker_new(struct worker **ret_w, struct hs_err *e)
{
	struct worker *w = calloc(1, sizeof(*w));
	int r;

	if (w == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = hs_err_set(e, -errno, "eventfd: %s", strerror(errno));
		free(w);
		return r;
	}
	r = pthread_mutex_init(&w->mu, NULL);
	if (r != 0) {
		(void)close(w->efd);
		free(w);
		return hs_err_set(e, -r, "cannot create a mutex");
	}
	atomic_init(&w->cancel, false);
	w->bundle_fd = -1;
	*ret_w = w;
	return 0;
}

int worker_fd(const struct worker *w)
{
	return w->efd;
}

bool worker_running(const struct worker *w)
{
	return w->running;
}

int worker_start(struct worker *w, const struct config *cfg,
		 const struct worker_job *job, struct hs_err *e)
{
	int r;

	if (w->running) {
		r = hs_err_set(e, -EBUSY, "an attempt is already running");
		goto refuse;
	}
	free(w->cfg);
	w->cfg = malloc(sizeof(*w->cfg));
	if (w->cfg == NULL) {
		r = hs_err_set(e, -ENOMEM, "out of memory");
		goto refuse;
	}
	*w->cfg = *cfg;
	(void)hs_strlcpy(w->trigger, job->trigger, sizeof(w->trigger));
	w->mode = job->mode;
	(void)hs_strlcpy(w->hold, job->hold != NULL ? job->hold : "",
			 sizeof(w->hold));
	w->bundle_fd = job->bundle_fd;
	w->rollback = job->rollback != NULL;
	(void)hs_strlcpy(w->rollback_name,
			 job->rollback != NULL ? job->rollback : "",
			 sizeof(w->rollback_name));
	(void)hs_strlcpy(w->rollback_version,
			 job->rollback_version != NULL ? job->rollback_version
						       : "",
			 sizeof(w->rollback_version));
	atomic_store(&w->cancel, false);
	w->done = false;
	w->queue.n = 0;
	w->has_latest = false;
	r = pthread_create(&w->thread, NULL, worker_main, w);
	if (r != 0) {
		w->bundle_fd = -1;
		r = hs_err_set(e, -r, "cannot start a thread: %s", strerror(r));
		goto refuse;
	}
	w->running = true;
	return 0;
refuse:
	if (job->bundle_fd >= 0)
		(void)close(job->bundle_fd);
	return r;
}

size_t worker_drain(struct worker *w, struct cycle_event *out, size_t n,
		    bool *ret_done, struct cycle_result *ret_res)
{
	uint64_t count;
	size_t k;
	bool done;
	bool more;

	(void)!read(w->efd, &count, sizeof(count));
	(void)pthread_mutex_lock(&w->mu);
	k = worker_queue_take(&w->queue, out, n);
	done = w->done && w->queue.n == 0;
	more = w->queue.n > 0;
	if (done)
		*ret_res = w->result;
	(void)pthread_mutex_unlock(&w->mu);
	if (more)
		worker_wake(w); /* more to take on the next turn */
	*ret_done = done && w->running;
	if (done && w->running) {
		(void)pthread_join(w->thread, NULL);
		w->running = false;
	}
	return k;
}

bool worker_progress(struct worker *w, struct cycle_event *ret)
{
	bool has;

	(void)pthread_mutex_lock(&w->mu);
	has = w->running && w->has_latest;
	if (has)
		*ret = w->latest;
	(void)pthread_mutex_unlock(&w->mu);
	return has;
}

void worker_cancel(struct worker *w)
{
	atomic_store(&w->cancel, true);
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	if (w->running) {
		worker_cancel(w);
		(void)pthread_join(w->thread, NULL);
	}
	(void)pthread_mutex_destroy(&w->mu);
	(void)close(w->efd);
	free(w->cfg);
	free(w);
}
