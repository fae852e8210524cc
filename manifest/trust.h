/*
 * trust.h - the chain from the pinned root to a manifest the client may act
 * on.  Each check that fails names itself:
 *
 *	signature	missing, bad, unknown keys, or below the threshold
 *	type		an envelope of the wrong payload type
 *	rollback	a root version or manifest serial below the last accepted
 *	serial reuse	the same serial with a different payload
 *	freeze		an expired root or manifest
 *	wrong vendor	a component's entry not signed by the vendor that
 *			owns it (root.h), or signed by one that does not
 *	size		an envelope over its cap
 *	format		malformed JSON or a missing field
 *
 * All errors are negative errnos: -EKEYREJECTED (signature, type),
 * -ESTALE (rollback, reuse, freeze), -EFBIG (size), -EBADMSG (format).
 */
#ifndef HAISHIN_TRUST_H
#define HAISHIN_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "manifest.h"
#include "root.h"

/* What the client accepted last; zeros and "" before the first manifest. */
struct trust_prev {
	uint64_t serial;
	char sha256[65]; /* of that manifest's payload */
};

/*
 * Loads a root envelope that is trusted by where it came from (the pinned
 * file, or the copy the client stored after verifying it): it must still be
 * signed by a threshold of its own root keys.  Expiry is not checked here: an
 * expired root may still vouch for its successor (see trust_check_fresh).
 */
int trust_root_load(const char *buf, size_t len, struct root **ret_root,
		    struct hs_err *e);

/* trust_root_load() of the file at path (errors name the path). */
int trust_root_load_file(const char *path, struct root **ret_root,
			 struct hs_err *e);

/*
 * Verifies the root envelope that follows cur: its version must be exactly
 * cur's + 1, and it must be signed by a threshold of cur's root keys and of
 * its own.  A version at or below cur's gives -ESTALE (rollback).
 */
int trust_root_next(const struct root *cur, const char *buf, size_t len,
		    struct root **ret_root, struct hs_err *e);

/*
 * Reads the version of a root envelope WITHOUT verifying it: only a hint of
 * how far the chain goes, so the client knows which N.root.json to fetch.
 * Every root it then acts on is verified by trust_root_next.
 */
int trust_root_peek_version(const char *buf, size_t len, uint64_t *ret_version,
			    struct hs_err *e);

/* The root the client acts on must not have expired at now: -ESTALE. */
int trust_check_fresh(const struct root *root, int64_t now, struct hs_err *e);

/*
 * Verifies a manifest envelope against root's manifest role and prev, and
 * parses it.  *ret_sha256 receives its payload's SHA-256 for the next prev.
 */
int trust_manifest(const struct root *root, const char *buf, size_t len,
		   const struct trust_prev *prev, int64_t now,
		   struct manifest **ret_m, char ret_sha256[static 65],
		   struct hs_err *e);

#endif
