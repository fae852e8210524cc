/*
 * cycle.c - one attempt, from the pinned root to an installed component.
 *
 * The order of the work is the order of trust: the root chain first, then
 * the manifest (signatures, rollback, freeze), and only then any package,
 * which is hashed as it is written, checked against the signed size and
 * SHA-256, and extracted from the very file descriptor that was checked.
 */
#include "cycle.h"
#include "cycle_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decide.h"
#include "errmap.h"
#include "floor.h"
#include "i18n.h"
#include "install.h"
#include "log.h"
#include "manifest.h"
#include "patch.h"
#include "plan.h"
#include "pushed.h"
#include "root.h"
#include "fileio.h"
#include "str.h"
#include "transfer.h"
#include "trust.h"

#define CYCLE_ROOT_FILE "root.json" /* the newest verified root, in state */
#define CYCLE_MAX_ROOT_STEPS 64
#define CYCLE_MANIFEST_FILE "manifest.json" /* the last verified, in state */
/* The manifest role the last accepted manifest was verified by (its
 * threshold and sorted key ids): the serial baseline belongs to those keys. */
#define CYCLE_MANIFEST_KEYS_KEY "manifest_keys"

int64_t cycle_now(const struct cycle *c)
{
	return c->env->clock.now(c->env->clock.ctx);
}

static bool cycle_cancelled(const struct cycle *c)
{
	return c->env->cancel != NULL && atomic_load(c->env->cancel);
}

void cycle_progress(const struct cycle *c, enum state s, const char *component,
		    const char *fmt, ...)
{
	struct cycle_event ev;
	va_list ap;

	if (c->env->progress == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.state = s;
	(void)hs_strlcpy(ev.component, component, sizeof(ev.component));
	va_start(ap, fmt);
	(void)vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
	va_end(ap);
	hs_utf8_fix(ev.text);
	c->env->progress(c->env->progress_ctx, &ev);
}

/* The transfer's byte counts, as DOWNLOADING events. */
static void cycle_transfer_progress(void *ctx, const char *name, uint64_t done,
				    uint64_t total)
{
	const struct cycle *c = ctx;
	struct cycle_event ev;

	if (c->env->progress == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.state = STATE_DOWNLOADING;
	(void)hs_strlcpy(ev.component, name, sizeof(ev.component));
	(void)hs_strlcpy(ev.text, name, sizeof(ev.text));
	ev.done = done;
	ev.total = total;
	c->env->progress(c->env->progress_ctx, &ev);
}

/* Waits between attempts: a WAITING event, then a sleep that a cancel
 * cuts short. */
static void cycle_transfer_wait(void *ctx, const char *name, uint32_t seconds,
				const char *why)
{
	const struct cycle *c = ctx;
	struct cycle_event ev;
	const int64_t until = cycle_now(c) + seconds;

	log_info("%s: %s; trying again in %u s", name, why, seconds);
	if (c->env->progress != NULL) {
		memset(&ev, 0, sizeof(ev));
		ev.state = STATE_WAITING;
		(void)hs_strlcpy(ev.component, name, sizeof(ev.component));
		(void)hs_strlcpy(ev.text, why, sizeof(ev.text));
		ev.until = until;
		c->env->progress(c->env->progress_ctx, &ev);
	}
	if (!cycle_cancelled(c))
		c->env->clock.sleep_until(c->env->clock.ctx, until,
					  c->env->cancel);
}

void cycle_record(const struct cycle *c, const char *component,
		  const char *from, const char *to,
		  const struct cycle_outcome *o)
{
	struct db_attempt a;
	struct hs_err e;

	memset(&a, 0, sizeof(a));
	a.started = c->started;
	a.finished = cycle_now(c);
	(void)hs_strlcpy(a.trigger, c->env->trigger, sizeof(a.trigger));
	(void)hs_strlcpy(a.component, component, sizeof(a.component));
	(void)hs_strlcpy(a.from_version, from, sizeof(a.from_version));
	(void)hs_strlcpy(a.to_version, to, sizeof(a.to_version));
	(void)hs_strlcpy(a.method, o->method != NULL ? o->method : "",
			 sizeof(a.method));
	a.bytes = o->bytes;
	a.saved = o->saved;
	(void)hs_strlcpy(a.state, state_name(o->state), sizeof(a.state));
	(void)hs_strlcpy(a.reason, o->reason, sizeof(a.reason));
	if (db_history_add(c->env->db, &a, &e) < 0)
		log_warn("cannot record the attempt in the history: %s", e.msg);
}

int cycle_trusted_root(const struct config *cfg, struct root **ret_root,
		       bool *ret_stored_damaged, struct hs_err *e)
{
	char stored[PATH_MAX];
	struct root *root = NULL;
	struct root *newer = NULL;
	int r;

	*ret_stored_damaged = false;
	r = trust_root_load_file(cfg->root, &root, e);
	if (r < 0) {
		hs_err_prefix(e, "the pinned root of trust: ");
		return r;
	}
	if (hs_snprintf(stored, sizeof(stored), "%s/%s", cfg->state,
			CYCLE_ROOT_FILE) == 0 &&
	    access(stored, F_OK) == 0) {
		if (trust_root_load_file(stored, &newer, NULL) < 0)
			*ret_stored_damaged = true;
		else if (root_version(newer) > root_version(root)) {
			root_free(root);
			root = newer;
			newer = NULL;
		}
	}
	root_free(newer);
	*ret_root = root;
	return 0;
}

/* The trusted root; one that cannot be read means the terminal is not set
 * up: STOPPED. */
static int cycle_load_root(struct cycle *c, struct hs_err *e)
{
	bool damaged = false;
	int r;

	c->fail_as = STATE_STOPPED;
	r = cycle_trusted_root(c->env->cfg, &c->root, &damaged, e);
	if (r == 0 && damaged)
		log_warn("the stored root in '%s' is damaged; the chain is "
			 "walked again from the pinned root",
			 c->env->cfg->state);
	return r;
}

struct transfer_env cycle_transfer_env(const struct cycle *c)
{
	const struct transfer_env env = {
		.cfg = c->env->cfg,
		.db = c->env->db,
		.fetch = NULL, /* the network's own (cycle_net) */
		.wait = cycle_transfer_wait,
		.progress = cycle_transfer_progress,
		.ctx = (void *)c,
		.cancel = c->env->cancel,
	};

	return env;
}

static int cycle_fetch_meta(struct cycle *c, const char *name, size_t max,
			    char **ret_buf, size_t *ret_len, struct hs_err *e)
{
	const struct transfer_env env = cycle_transfer_env(c);
	const struct cycle_net *net = &c->env->net;
	struct transfer_validators got;
	int r;

	r = net->get_meta(net->ctx, &env, name, max, NULL, ret_buf, ret_len,
			  &got, e);
	if (r == 1) /* nothing was sent that a 304 could answer */
		r = hs_err_set(e, -EREMOTEIO,
			       "HTTP: the server answered 304 (not modified) "
			       "for '%s', but the request sent no validators "
			       "(If-None-Match, If-Modified-Since): the server "
			       "or a proxy in between is broken",
			       name);
	if (r < 0)
		c->fail_as = errmap_state(r, ERRMAP_META);
	return r;
}

/* cycle_fetch_meta, conditional on have's validators: 1 for a 304. */
static int cycle_fetch_cond(struct cycle *c, const char *name, size_t max,
			    const struct cycle_meta *have, char **ret_buf,
			    size_t *ret_len,
			    struct transfer_validators *ret_got,
			    struct hs_err *e)
{
	const struct transfer_env env = cycle_transfer_env(c);
	const struct cycle_net *net = &c->env->net;
	int r;

	r = net->get_meta(net->ctx, &env, name, max, &have->v, ret_buf, ret_len,
			  ret_got, e);
	if (r < 0)
		c->fail_as = errmap_state(r, ERRMAP_META);
	return r;
}

/* Writes a verified file into the state directory. */
static int cycle_store(const struct cycle *c, const char *name, const char *buf,
		       size_t len, struct hs_err *e)
{
	char path[PATH_MAX];

	if (hs_snprintf(path, sizeof(path), "%s/%s", c->env->cfg->state, name) <
	    0)
		return hs_err_set(e, -ENAMETOOLONG, "state path too long");
	return hs_write_file_atomic(path, buf, len, 0644, e);
}

/*
 * Verifies one step of the chain and makes it the current root.  The first
 * root at or above trusted_version is kept as the baseline for a change of
 * the manifest keys: a walk that starts lower (the stored root lost or
 * replaced) re-walks steps whose keys the client has already moved past.
 */
static int cycle_root_step(struct cycle *c, uint64_t trusted_version,
			   const char *buf, size_t len, struct hs_err *e)
{
	struct root *next = NULL;
	int r;

	c->fail_as = STATE_FAILED_VERIFY;
	r = trust_root_next(c->root, buf, len, &next, e);
	if (r < 0)
		return r;
	if (c->first_root == NULL && root_version(c->root) >= trusted_version)
		c->first_root = c->root;
	else
		root_free(c->root);
	c->root = next;
	log_info("trusting root version %llu",
		 (unsigned long long)root_version(c->root));
	c->fail_as = STATE_FAILED_INSTALL;
	return cycle_store(c, CYCLE_ROOT_FILE, buf, len, e);
}

/*
 * The version the server's root.json announces (in ret_seen->version): read
 * from its body, or, when it answers 304 to the validators kept at the last
 * check, the version that one announced.  1 for a 304, when there is
 * nothing new to keep.
 */
static int cycle_root_target(struct cycle *c, struct cycle_meta *ret_seen,
			     struct hs_err *e)
{
	struct cycle_meta have;
	struct cycle_meta seen;
	char *buf = NULL;
	size_t len = 0;
	int r;

	cycle_meta_have(c, CYCLE_META_ROOT, &have);
	memset(&seen, 0, sizeof(seen));
	r = cycle_fetch_cond(c, "root.json", HS_ROOT_MAX_BYTES, &have, &buf,
			     &len, &seen.v, e);
	if (r == 1) {
		log_info("root.json: not modified (304): version %llu, as at "
			 "the last check",
			 (unsigned long long)have.version);
		*ret_seen = have;
		return 1;
	}
	if (r < 0)
		return r;
	c->fail_as = STATE_FAILED_VERIFY;
	r = trust_root_peek_version(buf, len, &seen.version, e);
	free(buf);
	if (r == 0)
		*ret_seen = seen;
	return r;
}

/*
 * Follows the server's root.json: if it is newer, walks N.root.json from the
 * current version + 1 to it, each signed by its predecessor's keys.  The
 * chain must reach at least the version trusted before (trusted_version):
 * anything less is a rollback.
 */
static int cycle_update_root(struct cycle *c, uint64_t trusted_version,
			     struct hs_err *e)
{
	struct cycle_meta seen;
	char name[32];
	uint64_t target;
	char *buf = NULL;
	size_t len = 0;
	bool changed;
	int r;

	r = cycle_root_target(c, &seen, e);
	if (r < 0)
		return r;
	changed = r == 0;
	target = seen.version;
	c->fail_as = STATE_FAILED_VERIFY;
	r = 0;
	if (target > root_version(c->root) + CYCLE_MAX_ROOT_STEPS)
		r = hs_err_set(e, -ESTALE,
			       "root: version %llu is too far ahead of %llu",
			       (unsigned long long)target,
			       (unsigned long long)root_version(c->root));
	while (r == 0 && root_version(c->root) < target) {
		(void)hs_snprintf(name, sizeof(name), "%llu.root.json",
				  (unsigned long long)root_version(c->root) +
					  1);
		buf = NULL;
		r = cycle_fetch_meta(c, name, HS_ROOT_MAX_BYTES, &buf, &len, e);
		if (r == 0)
			r = cycle_root_step(c, trusted_version, buf, len, e);
		free(buf);
	}
	if (r < 0)
		return r;
	if (c->first_root != NULL &&
	    !root_role_equal(c->first_root, c->root, ROOT_ROLE_MANIFEST))
		c->manifest_keys_changed = true;
	c->fail_as = STATE_FAILED_VERIFY;
	if (root_version(c->root) < trusted_version)
		return hs_err_set(e, -ESTALE,
				  "root: rollback: version %llu was trusted "
				  "before, but the chain ends at %llu",
				  (unsigned long long)trusted_version,
				  (unsigned long long)root_version(c->root));
	r = trust_check_fresh(c->root, cycle_now(c), e);
	if (r == 0 && changed)
		cycle_meta_keep(c, CYCLE_META_ROOT, &seen);
	return r;
}

static int cycle_key_id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void cycle_manifest_keys(const struct root *r, char *out, size_t n)
{
	const struct root_role *role = root_role(r, ROOT_ROLE_MANIFEST);
	const char *ids[HS_ROLE_MAX_KEYS];
	size_t len;
	size_t i;

	out[0] = '\0';
	if (role->n_keys > HS_ROLE_MAX_KEYS)
		return; /* root_parse refuses it */
	for (i = 0; i < role->n_keys; i++)
		ids[i] = key_id(role->keys[i]);
	qsort(ids, role->n_keys, sizeof(ids[0]), cycle_key_id_cmp);
	(void)snprintf(out, n, "%zu", role->threshold);
	for (i = 0; i < role->n_keys; i++) {
		len = strlen(out);
		(void)snprintf(out + len, n - len, " %s", ids[i]);
	}
}

/*
 * Whether the manifest keys differ from those the last accepted manifest was
 * verified by.  A database from before they were kept falls back on the
 * roots walked in this check.
 */
int cycle_manifest_keys_differ(struct db *db, const char *keys)
{
	char stored[CYCLE_MANIFEST_KEYS_MAX];

	if (db_setting_get(db, CYCLE_MANIFEST_KEYS_KEY, stored, sizeof(stored),
			   NULL) < 0 ||
	    stored[0] == '\0')
		return -ENOENT;
	return strcmp(stored, keys) != 0;
}

static bool cycle_manifest_keys_changed(const struct cycle *c, const char *keys)
{
	const int r = cycle_manifest_keys_differ(c->env->db, keys);

	return r >= 0 ? r == 1 : c->manifest_keys_changed;
}

/* The accepted manifest's trust state and keys, together. */
static int cycle_trust_put(const struct cycle *c, const struct db_trust *t,
			   const char *keys, struct hs_err *e)
{
	int r;

	r = db_begin(c->env->db, e);
	if (r < 0)
		return r;
	r = db_trust_put(c->env->db, t, e);
	if (r == 0)
		r = db_setting_put(c->env->db, CYCLE_MANIFEST_KEYS_KEY, keys,
				   e);
	if (r == 0)
		r = db_commit(c->env->db, e);
	if (r < 0)
		db_rollback(c->env->db);
	return r;
}

/*
 * manifest.json's bytes: the server's, or after a 304 those of the stored
 * copy, read before the GET, which is conditional only when that copy is
 * the one the validators were kept with.  1 for a 304; *ret_seen is what
 * to keep once a body is verified and stored.
 */
static int cycle_manifest_bytes(struct cycle *c, char **ret_buf,
				size_t *ret_len, struct cycle_meta *ret_seen,
				struct hs_err *e)
{
	struct cycle_meta have;
	struct cycle_meta seen;
	char *local = NULL;
	size_t local_len = 0;
	int r;

	cycle_meta_have(c, CYCLE_META_MANIFEST, &have);
	cycle_meta_local(c, &have, &local, &local_len);
	memset(&seen, 0, sizeof(seen));
	r = cycle_fetch_cond(c, "manifest.json", HS_MANIFEST_MAX_BYTES, &have,
			     ret_buf, ret_len, &seen.v, e);
	if (r == 1) {
		log_info("manifest.json: not modified (304): the stored copy "
			 "is verified again");
		*ret_buf = local;
		*ret_len = local_len;
		local = NULL;
		seen = have;
	} else if (r == 0 &&
		   hash_buf(*ret_buf, *ret_len, seen.sha256, NULL) < 0) {
		memset(&seen, 0, sizeof(seen)); /* kept without validators */
	}
	free(local);
	if (r >= 0)
		*ret_seen = seen;
	return r;
}

static int cycle_fetch_manifest(struct cycle *c, struct db_trust *t,
				struct hs_err *e)
{
	char keys[CYCLE_MANIFEST_KEYS_MAX];
	char sha256[65];
	struct trust_prev prev;
	struct cycle_meta seen;
	char *buf = NULL;
	size_t len = 0;
	bool changed;
	int r;

	prev.serial = t->manifest_serial;
	(void)hs_strlcpy(prev.sha256, t->manifest_sha256, sizeof(prev.sha256));
	cycle_manifest_keys(c->root, keys, sizeof(keys));
	if (prev.serial > 0 && cycle_manifest_keys_changed(c, keys)) {
		/* Fast-forward recovery: a serial pushed up by a manifest key
		 * that a new root revoked must not freeze the client, so the
		 * serial starts over under the new keys.  "New" is against
		 * the keys that signed the last accepted manifest (kept with
		 * it), not against the roots walked now: a check that walked
		 * to the new root but failed before the manifest still
		 * resets the next time, and re-walking old roots (the stored
		 * root lost or replaced) resets nothing. */
		log_warn("the manifest keys changed with root %llu: the "
			 "manifest serial starts over (was %llu)",
			 (unsigned long long)root_version(c->root),
			 (unsigned long long)prev.serial);
		prev.serial = 0;
		prev.sha256[0] = '\0';
	}
	r = cycle_manifest_bytes(c, &buf, &len, &seen, e);
	changed = r == 0;
	if (r >= 0) {
		c->fail_as = STATE_FAILED_VERIFY;
		r = trust_manifest(c->root, buf, len, &prev, cycle_now(c),
				   &c->m, sha256, e);
	}
	if (r == 0 && changed) {
		/* The verified copy, for status and verify between checks. */
		c->fail_as = STATE_FAILED_INSTALL;
		r = cycle_store(c, CYCLE_MANIFEST_FILE, buf, len, e);
	}
	free(buf);
	if (r < 0)
		return r;
	t->root_version = root_version(c->root);
	t->manifest_serial = c->m->serial;
	(void)hs_strlcpy(t->manifest_sha256, sha256,
			 sizeof(t->manifest_sha256));
	t->manifest_expires = c->m->expires;
	if (!c->env->from_bundle)
		t->last_contact = cycle_now(c); /* a 304 is an answer too */
	c->fail_as = STATE_FAILED_INSTALL;
	r = cycle_trust_put(c, t, keys, e);
	if (r == 0 && changed)
		cycle_meta_keep(c, CYCLE_META_MANIFEST, &seen);
	return r;
}

/*
 * The check: root chain, then manifest.  On failure, c->fail_as says what
 * kind of step failed: not set up (STOPPED), not reaching the server
 * (FAILED_CONNECT), a refused signature, rollback, freeze, cap or format
 * (FAILED_VERIFY), or the terminal's own storage (FAILED_INSTALL).
 */
static int cycle_check(struct cycle *c, struct cycle_outcome *o)
{
	struct db_trust t;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	cycle_progress(c, STATE_CHECKING, "", "%smanifest.json",
		       c->env->cfg->url);
	/* A database behind the floor kept outside it was lost or damaged:
	 * trusting it would let an older manifest roll the terminal back. */
	c->fail_as = STATE_STOPPED;
	r = floor_check(c->env->cfg, c->env->db, &e);
	if (r == 0) {
		c->fail_as = STATE_FAILED_INSTALL;
		r = db_trust_get(c->env->db, &t, &e);
	}
	if (r == 0)
		r = cycle_load_root(c, &e);
	if (r == 0)
		r = cycle_update_root(c, t.root_version, &e);
	if (r == 0)
		r = cycle_fetch_manifest(c, &t, &e);
	if (r < 0) {
		o->state = c->fail_as;
		(void)hs_strlcpy(o->reason, e.msg, sizeof(o->reason));
	}
	return r;
}

void cycle_outcome_set(struct cycle_outcome *o, enum state s, const char *fmt,
		       ...)
{
	va_list ap;

	o->state = s;
	va_start(ap, fmt);
	(void)vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
	hs_utf8_fix(o->reason);
}

/*
 * What is installed of the manifest's components: at most one row each, so
 * the list is bounded by the manifest's own cap whatever the database holds.
 */
static int cycle_installed(const struct cycle *c, struct db_installed *out,
			   size_t *ret_n, struct hs_err *e)
{
	size_t n = 0;
	size_t i;
	int r;

	for (i = 0; i < c->m->n_components; i++) {
		r = db_installed_get(c->env->db, c->m->components[i].name,
				     &out[n], e);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		n++;
	}
	*ret_n = n;
	return 0;
}

/* The attempt's result from one outcome: the check's, or the only one. */
static void cycle_tell_one(struct cycle_result *ret,
			   const struct cycle_outcome *o)
{
	ret->state = o->state;
	ret->next_attempt = o->next_attempt;
	(void)hs_strlcpy(ret->reason, o->reason, sizeof(ret->reason));
}

/* What to do: the plan, less what holds keep back (*held). */
static int cycle_plan(const struct cycle *c, struct plan *plan,
		      struct cycle_held *held, struct hs_err *e)
{
	struct db_installed *in;
	size_t n = 0;
	int r;

	in = calloc(c->m->n_components + 1, sizeof(*in));
	if (in == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = cycle_installed(c, in, &n, e);
	if (r == 0)
		r = cycle_holds(c, held, e);
	if (r == 0) {
		plan_make(c->m, in, n, plan);
		plan_hold_back(plan, held->holds, held->n_holds, &held->plan);
	}
	free(in);
	return r;
}

static void cycle_components(struct cycle *c, struct cycle_result *ret)
{
	struct cycle_held *held = calloc(1, sizeof(*held));
	struct cycle_outcome *v = NULL;
	struct cycle_outcome o;
	struct plan plan;
	struct hs_err e;
	size_t total = 0;
	int r;

	hs_err_clear(&e);
	memset(&o, 0, sizeof(o));
	r = held != NULL ? cycle_plan(c, &plan, held, &e)
			 : hs_err_set(&e, -ENOMEM, "out of memory");
	if (r == 0)
		total = plan.n + held->plan.n;
	if (total > 0)
		v = calloc(total + 1, sizeof(*v));
	if (r < 0)
		cycle_outcome_set(&o, STATE_FAILED_INSTALL,
				  _("cannot read the installed components: %s"),
				  e.msg);
	else if (total > 0 && v == NULL)
		cycle_outcome_set(&o, STATE_FAILED_INSTALL, "%s",
				  _("out of memory"));
	else if (total == 0 && c->env->mode == CYCLE_CHECK)
		/* Off is STOPPED even with nothing to do: never silence. */
		cycle_outcome_set(&o, STATE_STOPPED,
				  _("%s; nothing is waiting (manifest serial "
				    "%llu)"),
				  c->env->hold != NULL ? c->env->hold : "?",
				  (unsigned long long)c->m->serial);
	else if (total == 0)
		cycle_outcome_set(&o, STATE_UP_TO_DATE,
				  _("%zu component(s) at the latest version "
				    "(manifest serial %llu)"),
				  c->m->n_components,
				  (unsigned long long)c->m->serial);
	if (v == NULL) {
		cycle_record(c, "", "", "", &o);
		cycle_tell_one(ret, &o);
	} else {
		cycle_update_all(c, &plan, held, v, ret);
	}
	free(v);
	free(held);
}

/*
 * While an attempt runs, the settings hold its start and trigger, cleared
 * once its last row is recorded; a process killed in between leaves the
 * marker for cycle_recover().
 */
static void cycle_mark_running(const struct cycle *c, bool running)
{
	char v[64];
	struct hs_err e;

	v[0] = '\0';
	if (running)
		(void)hs_snprintf(v, sizeof(v), "%lld %s",
				  (long long)c->started, c->env->trigger);
	if (db_setting_put(c->env->db, CYCLE_RUNNING_KEY, v, &e) < 0)
		log_warn("cannot record that an attempt %s: %s",
			 running ? "runs" : "ended", e.msg);
}

int cycle_recover(const struct config *cfg, struct db *db, struct hs_err *e)
{
	char repaired[CYCLE_REASON_MAX];
	struct db_attempt a;
	char v[64];
	char *end;
	long long started;
	int r;

	r = db_setting_get(db, CYCLE_RUNNING_KEY, v, sizeof(v), e);
	if (r == -ENOENT || (r == 0 && v[0] == '\0'))
		return 0;
	if (r < 0)
		return r;
	memset(&a, 0, sizeof(a));
	errno = 0;
	started = strtoll(v, &end, 10);
	a.started = errno == 0 && *end == ' ' ? (int64_t)started : 0;
	a.finished = (int64_t)time(NULL); /* at start: no attempt's clock */
	(void)hs_strlcpy(a.trigger, *end == ' ' ? end + 1 : "?",
			 sizeof(a.trigger));
	(void)hs_strlcpy(a.state, state_name(STATE_INTERRUPTED),
			 sizeof(a.state));
	(void)hs_strlcpy(a.method, "", sizeof(a.method));
	(void)hs_strlcpy(
		a.reason,
		_("haishind stopped during this attempt (killed, crashed or "
		  "the power was cut); the bytes it kept resume on the next "
		  "attempt"),
		sizeof(a.reason));
	r = db_history_add(db, &a, e);
	if (r == 0)
		r = floor_repair(cfg, db, repaired, sizeof(repaired), e);
	if (r > 0)
		log_warn("the attempt that was cut off left its last step "
			 "half done; put back: %s",
			 repaired);
	if (r >= 0)
		r = db_setting_put(db, CYCLE_RUNNING_KEY, "", e);
	return r < 0 ? r : 1;
}

void cycle_run(const struct cycle_env *env, struct cycle_result *ret)
{
	struct cycle c;
	struct cycle_outcome o;

	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	memset(ret, 0, sizeof(*ret));
	c.env = env;
	c.ret = ret;
	c.started = cycle_now(&c);
	cycle_mark_running(&c, true);
	patch_sweep(env->cfg);
	if (cycle_check(&c, &o) < 0) {
		if (env->mode == CYCLE_CHECK) {
			/* Off stays STOPPED; the failed check is its detail. */
			char why[CYCLE_REASON_MAX];

			memcpy(why, o.reason, sizeof(why));
			cycle_outcome_set(&o, STATE_STOPPED,
					  _("%s; the check failed: %s"),
					  env->hold != NULL ? env->hold : "?",
					  why);
		}
		cycle_record(&c, "", "", "", &o);
		cycle_tell_one(ret, &o);
	} else {
		cycle_components(&c, ret);
	}
	cycle_mark_running(&c, false);
	ret->bytes = c.bytes;
	manifest_free(c.m);
	root_free(c.first_root);
	root_free(c.root);
}

void cycle_run_bundle(const struct cycle_env *env, int fd,
		      struct cycle_result *ret)
{
	struct cycle_env benv = *env;
	struct config cfg = *env->cfg;
	const struct fetch_cfg fc = {.connect_timeout = cfg.connect_timeout,
				     .stall_timeout = cfg.stall_timeout,
				     .cancel = env->cancel,
				     .local_files = true};
	struct fetch *fetch = NULL;
	struct cycle_outcome o;
	struct cycle c;
	char dir[PATH_MAX];
	struct hs_err e;
	int r;

	memset(&c, 0, sizeof(c));
	memset(ret, 0, sizeof(*ret));
	c.env = env;
	c.started = cycle_now(&c);
	cycle_progress(&c, STATE_CHECKING, "", "%s", _("unpacking the bundle"));
	r = pushed_unpack(fd, cfg.cache, dir, sizeof(dir), &e);
	if (r == 0) {
		/* The same cycle, reading the unpacked bundle as its only
		 * server: every check of the network path applies. */
		r = pushed_url(dir, cfg.url, sizeof(cfg.url), &e);
		cfg.n_mirrors = 0;
		if (r == 0)
			r = fetch_new(&fc, &fetch, &e);
		if (r == 0) {
			/* A bundle carries full packages, no deltas. */
			cfg.deltas = false;
			benv.cfg = &cfg;
			benv.net = cycle_net_transfer(fetch);
			benv.from_bundle = true;
			cycle_run(&benv, ret);
		}
		fetch_free(fetch);
		pushed_remove(dir);
	}
	if (r < 0) {
		memset(&o, 0, sizeof(o));
		cycle_outcome_set(&o, STATE_FAILED_VERIFY, "%s; %s", e.msg,
				  _("nothing was installed"));
		cycle_record(&c, "", "", "", &o);
		cycle_tell_one(ret, &o);
	}
}
