/*
 * trust.c - signatures, thresholds, rollback and freeze checks, in the order
 * that does the least work on untrusted input: size, envelope, type,
 * signatures, and only then the payload is parsed.
 */
#include "trust.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dsse.h"
#include "hs_limits.h"
#include "fileio.h"
#include "str.h"

/* Parses an envelope and checks its payload type. */
static int trust_open(const char *buf, size_t len, size_t max, const char *type,
		      const char *what, struct dsse **ret_d, struct hs_err *e)
{
	struct dsse *d = NULL;
	int r;

	r = dsse_parse(buf, len, max, &d, e);
	if (r < 0) {
		hs_err_prefix(e, "%s: ", what);
		return r;
	}
	if (strcmp(dsse_payload_type(d), type) != 0) {
		r = hs_err_set(e, -EKEYREJECTED,
			       "%s: payload type '%.64s' is not '%s'", what,
			       dsse_payload_type(d), type);
		dsse_free(d);
		return r;
	}
	*ret_d = d;
	return 0;
}

static int trust_verify_role(const struct dsse *d, const char *what,
			     const struct root *root, enum root_role_id id,
			     struct hs_err *e)
{
	const struct root_role *role = root_role(root, id);

	return dsse_verify(d, what, role->keys, role->n_keys, role->threshold,
			   e);
}

static int trust_parse_root(const struct dsse *d, struct root **ret_root,
			    struct hs_err *e)
{
	const uint8_t *p;
	size_t n;

	p = dsse_payload(d, &n);
	return root_parse(p, n, ret_root, e);
}

int trust_root_load(const char *buf, size_t len, struct root **ret_root,
		    struct hs_err *e)
{
	struct root *root = NULL;
	struct dsse *d = NULL;
	int r;

	r = trust_open(buf, len, HS_ROOT_MAX_BYTES, DSSE_TYPE_ROOT, "root", &d,
		       e);
	if (r < 0)
		return r;
	r = trust_parse_root(d, &root, e);
	if (r == 0)
		r = trust_verify_role(d, "root", root, ROOT_ROLE_ROOT, e);
	if (r == 0) {
		*ret_root = root;
		root = NULL;
	}
	root_free(root);
	dsse_free(d);
	return r;
}

int trust_root_load_file(const char *path, struct root **ret_root,
			 struct hs_err *e)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = hs_read_file(path, HS_ROOT_MAX_BYTES, &buf, &len, e);
	if (r == 0)
		r = trust_root_load(buf, len, ret_root, e);
	free(buf);
	if (r < 0)
		hs_err_prefix(e, "'%s': ", path);
	return r;
}

int trust_root_next(const struct root *cur, const char *buf, size_t len,
		    struct root **ret_root, struct hs_err *e)
{
	struct root *next = NULL;
	struct dsse *d = NULL;
	int r;

	r = trust_open(buf, len, HS_ROOT_MAX_BYTES, DSSE_TYPE_ROOT, "root", &d,
		       e);
	if (r < 0)
		return r;
	/* The old keys vouch first: nothing unsigned is parsed further. */
	r = trust_verify_role(d, "new root (by the current root's keys)", cur,
			      ROOT_ROLE_ROOT, e);
	if (r == 0)
		r = trust_parse_root(d, &next, e);
	if (r == 0 && root_version(next) != root_version(cur) + 1)
		r = hs_err_set(e, -ESTALE,
			       "root: rollback or skip: version %llu does not "
			       "follow %llu",
			       (unsigned long long)root_version(next),
			       (unsigned long long)root_version(cur));
	if (r == 0)
		r = trust_verify_role(d, "new root (by its own keys)", next,
				      ROOT_ROLE_ROOT, e);
	if (r == 0) {
		*ret_root = next;
		next = NULL;
	}
	root_free(next);
	dsse_free(d);
	return r;
}

int trust_root_peek_version(const char *buf, size_t len, uint64_t *ret_version,
			    struct hs_err *e)
{
	struct root *root = NULL;
	struct dsse *d = NULL;
	int r;

	r = trust_open(buf, len, HS_ROOT_MAX_BYTES, DSSE_TYPE_ROOT, "root", &d,
		       e);
	if (r < 0)
		return r;
	r = trust_parse_root(d, &root, e);
	if (r == 0)
		*ret_version = root_version(root);
	root_free(root);
	dsse_free(d);
	return r;
}

static int trust_check_expiry(const char *what, int64_t expires, int64_t now,
			      struct hs_err *e)
{
	char when[21];

	if (now < expires)
		return 0;
	hs_time_format(expires, when);
	return hs_err_set(e, -ESTALE,
			  "%s: freeze: expired at %s (the server may be "
			  "serving stale metadata)",
			  what, when);
}

int trust_check_fresh(const struct root *root, int64_t now, struct hs_err *e)
{
	return trust_check_expiry("root", root_expires(root), now, e);
}

static int trust_check_serial(const struct manifest *m, const char *sha256,
			      const struct trust_prev *prev, struct hs_err *e)
{
	if (m->serial < prev->serial)
		return hs_err_set(e, -ESTALE,
				  "manifest: rollback: serial %llu is below "
				  "the last accepted %llu",
				  (unsigned long long)m->serial,
				  (unsigned long long)prev->serial);
	if (m->serial == prev->serial && prev->sha256[0] != '\0' &&
	    strcmp(sha256, prev->sha256) != 0)
		return hs_err_set(e, -ESTALE,
				  "manifest: serial reuse: serial %llu was "
				  "accepted before with other contents",
				  (unsigned long long)m->serial);
	return 0;
}

static int trust_payload_sha256(const struct dsse *d, char out[static 65],
				struct hs_err *e)
{
	uint8_t digest[32];
	const uint8_t *p;
	size_t n;

	p = dsse_payload(d, &n);
	if (EVP_Digest(p, n, digest, NULL, EVP_sha256(), NULL) != 1)
		return hs_err_set(e, -EIO, "cannot hash the manifest");
	hs_hex(digest, sizeof(digest), out);
	return 0;
}

/*
 * Each component a vendor owns must come signed by that vendor's threshold;
 * a signed entry that no vendor owns, or that names another vendor, is
 * refused.  The whole manifest is refused: acting on the rest of it would
 * let the manifest's signers drop a vendor's update silently.
 */
static int trust_check_entry(const struct root *root,
			     const struct manifest_component *c,
			     struct hs_err *e)
{
	const struct root_vendor *owner = NULL;
	struct dsse *d = NULL;
	char what[HS_NAME_MAX * 2 + 32];
	int r;

	r = root_owner(root, c->name, &owner, e);
	if (r < 0)
		return r;
	if (owner == NULL && c->entry == NULL)
		return 0; /* the manifest role's own */
	if (owner == NULL)
		return hs_err_set(e, -EKEYREJECTED,
				  "wrong vendor: signed by vendor '%s', but "
				  "no vendor owns it in root %llu",
				  c->vendor,
				  (unsigned long long)root_version(root));
	if (c->entry == NULL)
		return hs_err_set(e, -EKEYREJECTED,
				  "vendor '%s' owns it, but its entry is not "
				  "signed by '%s'",
				  owner->name, owner->name);
	if (strcmp(c->vendor, owner->name) != 0)
		return hs_err_set(e, -EKEYREJECTED,
				  "wrong vendor: signed as vendor '%s', but "
				  "root %llu gives it to vendor '%s'",
				  c->vendor,
				  (unsigned long long)root_version(root),
				  owner->name);
	r = dsse_parse(c->entry, c->entry_len, HS_MANIFEST_MAX_BYTES, &d, e);
	(void)hs_snprintf(what, sizeof(what), "entry (vendor '%s')",
			  owner->name);
	if (r == 0)
		r = dsse_verify(d, what, owner->role.keys, owner->role.n_keys,
				owner->role.threshold, e);
	dsse_free(d);
	return r;
}

static int trust_check_vendors(const struct root *root,
			       const struct manifest *m, struct hs_err *e)
{
	size_t i;
	int r;

	for (i = 0; i < m->n_components; i++) {
		r = trust_check_entry(root, &m->components[i], e);
		if (r < 0) {
			hs_err_prefix(e, "manifest: component '%s': ",
				      m->components[i].name);
			return r;
		}
	}
	return 0;
}

int trust_manifest(const struct root *root, const char *buf, size_t len,
		   const struct trust_prev *prev, int64_t now,
		   struct manifest **ret_m, char ret_sha256[static 65],
		   struct hs_err *e)
{
	struct manifest *m = NULL;
	struct dsse *d = NULL;
	char sha256[65];
	const uint8_t *p;
	size_t n;
	int r;

	r = trust_open(buf, len, HS_MANIFEST_MAX_BYTES, DSSE_TYPE_MANIFEST,
		       "manifest", &d, e);
	if (r < 0)
		return r;
	r = trust_verify_role(d, "manifest", root, ROOT_ROLE_MANIFEST, e);
	if (r == 0)
		r = trust_payload_sha256(d, sha256, e);
	if (r == 0) {
		p = dsse_payload(d, &n);
		r = manifest_parse(p, n, &m, e);
	}
	if (r == 0)
		r = trust_check_vendors(root, m, e);
	if (r == 0)
		r = trust_check_serial(m, sha256, prev, e);
	if (r == 0)
		r = trust_check_expiry("manifest", m->expires, now, e);
	if (r == 0) {
		*ret_m = m;
		m = NULL;
		memcpy(ret_sha256, sha256, sizeof(sha256));
	}
	manifest_free(m);
	dsse_free(d);
	return r;
}
