/*
 * diag_trust.c - the trust stages of the connection check: signature and
 * freshness.
 *
 * The signature stage verifies the manifest.json the HTTP stage fetched as
 * an update check does: from the root the terminal trusts now
 * (cycle_trusted_root), along the server's root chain, against the last
 * accepted serial when there is a database, and at the earliest time, so
 * that expiry is left to the freshness stage.  Nothing is stored: the chain
 * is walked in memory.  Each failure writes its advice.
 */
#include "diag_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "dsse.h"
#include "fetch.h"
#include "hs_limits.h"
#include "i18n.h"
#include "manifest.h"
#include "root.h"
#include "str.h"
#include "trust.h"

#define DIAG_MAX_ROOT_STEPS 64 /* as far as an update check walks */
#define DIAG_ROOT_FILE "root.json"
#define DIAG_DAY 86400

/* Whole days from b to a (negative when a is earlier). */
static int64_t diag_days(int64_t a, int64_t b)
{
	return (a - b) / DIAG_DAY;
}

/* --- signature ------------------------------------------------------- */

/* Advice for trust.h's errors. */
static int diag_trust_advise(struct diag *d, int code)
{
	switch (code) {
	case -EKEYREJECTED:
		return diag_advise(
			d, code,
			_("The manifest is not signed by the keys this "
			  "terminal trusts: the terminal's root.json "
			  "([trust] root) may be outdated, or the "
			  "server is not genuine."));
	case -ESTALE:
		return diag_advise(
			d, code,
			_("The server serves older metadata than this "
			  "terminal accepted before (see the detail): "
			  "a mirror or cache serves stale files, or "
			  "old files are replayed. Tell the "
			  "publisher."));
	default:
		return diag_advise(
			d, code,
			_("The server's metadata is not valid haishin "
			  "metadata (see the detail): check [server] "
			  "url, or tell the publisher."));
	}
}

static int diag_trust_get(struct diag *d, struct hs_err *e)
{
	int r;

	if (d->db == NULL)
		return 0;
	r = db_trust_get(d->db, &d->trust, e);
	if (r < 0) {
		hs_err_prefix(e, "the state database: ");
		return diag_advise(d, r,
				   _("The terminal's state database ([paths] "
				     "state) cannot be read: check its disk."));
	}
	return 0;
}

/* The root the terminal trusts now (see cycle_trusted_root). */
static int diag_root_load(struct diag *d, struct hs_err *e)
{
	bool damaged = false;
	int r;

	r = cycle_trusted_root(d->cfg, &d->root, &damaged, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The terminal's root of trust '%s' ([trust] "
			  "root) cannot be read or is damaged: install "
			  "it again."),
			d->cfg->root);
	return 0;
}

static int diag_meta_fetch(struct diag *d, const char *name, size_t max,
			   char **ret_buf, size_t *ret_len, struct hs_err *e)
{
	char url[DIAG_URL_MAX];
	int r;

	r = diag_url(d, name, url, sizeof(url), e);
	if (r == 0)
		r = fetch_buf(d->fetch, url, max, ret_buf, ret_len, NULL, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The server does not serve '%s', which the "
			  "terminal needs to follow its keys: the "
			  "repository is incomplete. Tell the "
			  "publisher."),
			url);
	return 0;
}

/* The version the server's root.json claims: how far to walk. */
static int diag_root_target(struct diag *d, uint64_t *ret, struct hs_err *e)
{
	uint64_t target = 0;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = diag_meta_fetch(d, DIAG_ROOT_FILE, HS_ROOT_MAX_BYTES, &buf, &len,
			    e);
	if (r < 0)
		return r;
	r = trust_root_peek_version(buf, len, &target, e);
	free(buf);
	if (r == 0 && target > root_version(d->root) + DIAG_MAX_ROOT_STEPS)
		r = hs_err_set(e, -ESTALE,
			       "root: version %" PRIu64
			       " is too far ahead of %" PRIu64,
			       target, root_version(d->root));
	if (r < 0)
		return diag_trust_advise(d, r);
	*ret = target;
	return 0;
}

/* Verifies the next N.root.json and makes it the current root. */
static int diag_root_step(struct diag *d, struct hs_err *e)
{
	char name[32];
	struct root *next = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	(void)hs_snprintf(name, sizeof(name), "%" PRIu64 ".root.json",
			  root_version(d->root) + 1);
	r = diag_meta_fetch(d, name, HS_ROOT_MAX_BYTES, &buf, &len, e);
	if (r < 0)
		return r;
	r = trust_root_next(d->root, buf, len, &next, e);
	free(buf);
	if (r < 0)
		return diag_trust_advise(d, r);
	root_free(d->root);
	d->root = next;
	return 0;
}

/* Follows the server's root chain as an update check does, storing nothing;
 * it must reach the root version accepted before. */
static int diag_root_walk(struct diag *d, struct hs_err *e)
{
	uint64_t target = 0;
	int r;

	r = diag_root_target(d, &target, e);
	while (r == 0 && root_version(d->root) < target)
		r = diag_root_step(d, e);
	if (r < 0)
		return r;
	if (root_version(d->root) < d->trust.root_version)
		return diag_trust_advise(
			d, hs_err_set(e, -ESTALE,
				      "root: rollback: version %" PRIu64
				      " was trusted before, but the chain "
				      "ends at %" PRIu64,
				      d->trust.root_version,
				      root_version(d->root)));
	return 0;
}

/* How many of the manifest role's keys signed (the threshold is met). */
static size_t diag_count_keys(const struct diag *d)
{
	const struct root_role *role = root_role(d->root, ROOT_ROLE_MANIFEST);
	struct dsse *env = NULL;
	size_t count = 0;
	size_t k;

	if (dsse_parse(d->manifest, d->manifest_len, HS_MANIFEST_MAX_BYTES,
		       &env, NULL) < 0)
		return 0;
	for (k = 0; k < role->n_keys; k++)
		if (dsse_verify(env, "manifest", &role->keys[k], 1, 1, NULL) ==
		    0)
			count++;
	dsse_free(env);
	return count;
}

int diag_signature(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	char keys[CYCLE_MANIFEST_KEYS_MAX];
	struct trust_prev prev;
	char sha256[65];
	int r;

	r = diag_trust_get(d, e);
	if (r == 0)
		r = diag_root_load(d, e);
	if (r == 0)
		r = diag_root_walk(d, e);
	if (r < 0)
		return r;
	memset(&prev, 0, sizeof(prev));
	prev.serial = d->trust.manifest_serial;
	(void)hs_strlcpy(prev.sha256, d->trust.manifest_sha256,
			 sizeof(prev.sha256));
	/* As the cycle judges it: new manifest keys start the serial over. */
	cycle_manifest_keys(d->root, keys, sizeof(keys));
	if (d->db != NULL && cycle_manifest_keys_differ(d->db, keys) == 1)
		memset(&prev, 0, sizeof(prev));
	/* At the earliest time: expiry is the freshness stage's verdict. */
	r = trust_manifest(d->root, d->manifest, d->manifest_len, &prev,
			   INT64_MIN, &d->m, sha256, e);
	if (r < 0)
		return diag_trust_advise(d, r);
	return diag_detail(detail, n,
			   _("serial %" PRIu64 ", signed by %zu valid key(s), "
			     "root version %" PRIu64),
			   d->m->serial, diag_count_keys(d),
			   root_version(d->root));
}

/* --- freshness ------------------------------------------------------- */

int diag_freshness(struct diag *d, char *detail, size_t n, struct hs_err *e)
{
	const int64_t m_exp = d->m->expires;
	const int64_t r_exp = root_expires(d->root);
	char m_when[21];
	char r_when[21];
	int r;

	hs_time_format(m_exp, m_when);
	hs_time_format(r_exp, r_when);
	if (d->now >= m_exp) {
		(void)hs_err_set(e, -ESTALE,
				 "manifest: freeze: expired at %s, %" PRId64
				 " day(s) ago",
				 m_when, diag_days(d->now, m_exp));
		return diag_advise(
			d, -ESTALE,
			_("The manifest expired on %s: the publisher "
			  "must sign it again (haishin-publish sign). "
			  "If that date has not come yet, the "
			  "terminal's clock is wrong."),
			m_when);
	}
	r = trust_check_fresh(d->root, d->now, e);
	if (r < 0)
		return diag_advise(
			d, r,
			_("The root of trust expired on %s: the "
			  "publisher must issue a new root.json. If "
			  "that date has not come yet, the terminal's "
			  "clock is wrong."),
			r_when);
	return diag_detail(detail, n,
			   _("manifest valid until %s (%" PRId64
			     " day(s)), root until %s (%" PRId64 " day(s))"),
			   m_when, diag_days(m_exp, d->now), r_when,
			   diag_days(r_exp, d->now));
}
