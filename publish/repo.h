/*
 * repo.h - a publisher's repository directory: the signed root.json and
 * manifest.json, content-addressed packages under packages/NAME/, and
 * index.json, the publisher's own record of every version it added (plain,
 * public data: what the next "sign" turns into a manifest):
 *
 *	{"_type": "publisher-index", "serial": 7,
 *	 "components": {"cardreader": {"minimum": "2.0", "restart": "app",
 *	   "set": "till",
 *	   "current": "2.1",
 *	   "versions": {"2.1": {"url": ..., "size": ..., "sha256": ...,
 *	                        "tar_size": ..., "tar_sha256": ...,
 *	                        "deltas": [{"from": "2.0", "method": "sufdiff",
 *	                                    "base_sha256": ..., "url": ...,
 *	                                    "size": ..., "sha256": ...}],
 *	                        "forced": {"allow_downgrade": false,
 *	                                   "deadline": "2026-12-01T00:00:00Z"},
 *	                        "vendor": "acme", "entry": <DSSE envelope>}}}}}
 *
 * "current" is the version the next manifest names (absent in older
 * indexes: the highest); "set" (the component's set, manifest.h), "forced"
 * and the vendor's envelope are optional.
 * "tar_size" and "tar_sha256" are the package's uncompressed tar (absent in
 * older indexes: learnt from the package when first needed); "deltas"
 * rebuild that tar from earlier versions' (repo_delta.c), each stored as
 * packages/NAME/<sha256>.delta.
 *
 * Everything written into a repository is readable by everyone (files 0644,
 * directories 0755), since a web server serves it; no private key is ever
 * written there.
 */
#ifndef HAISHIN_REPO_H
#define HAISHIN_REPO_H

#include <stdbool.h>
#include <stdint.h>

#include "hs_err.h"
#include "manifest.h"
#include "root.h"

struct repo;

/* Opens REPO (which must hold root.json and index.json). */
int repo_open(const char *dir, struct repo **ret_repo, struct hs_err *e);

/* Creates REPO (if missing) with an empty index; refuses if it has one. */
int repo_create(const char *dir, struct hs_err *e);

/* What "add" records with a version besides its package. */
struct repo_add_opts {
	const char *minimum; /* NULL: keep the component's (new: VERSION) */
	const char *restart; /* NULL: keep the component's (new: "none") */
	const char *set; /* NULL: keep the component's (new: none); "": none */
	bool forced;
	int64_t deadline; /* forced: by when, or 0 */
	bool allow_downgrade; /* forced: may replace a newer version */
	unsigned deltas; /* deltas from this many earlier versions, 0 to
			  * HS_MANIFEST_MAX_DELTAS */
};

/*
 * Packs tree into packages/NAME/<sha256>.tar.zst and records VERSION in the
 * index with o's fields and its tar's size and SHA-256 (-EINVAL for a
 * deadline or allow_downgrade that is not forced).  Then makes the deltas
 * to its tar from the o->deltas highest lower versions whose packages are
 * in the repository (each the smaller of both methods, pkg/delta.h), and
 * records them as the version's deltas.  VERSION becomes the component's
 * current version (the one the next manifest names) when it is above the
 * current one, or when it is forced; otherwise it is only kept (a base for
 * deltas).  Refuses a minimum above the resulting current version.
 * Re-adding a version with the same contents updates its fields and its
 * deltas (one recorded from the same base tar, whose file is in place, is
 * kept; a vendor's envelope is kept: "sign" finds out whether it still
 * matches); with other contents, -EEXIST.  Nothing is recorded on failure.
 */
int repo_add(struct repo *repo, const char *name, const char *version,
	     const char *tree, const struct repo_add_opts *o,
	     struct manifest_package *ret_pkg, struct hs_err *e);

/*
 * Fills *ret_c with NAME's entry at version (NULL: its current version) as
 * a manifest names it: plain (vendor "", entry NULL), with its tar's size
 * and SHA-256 and its deltas (at most HS_MANIFEST_MAX_DELTAS, newest base
 * first; one whose file is missing is left out, with a note on stderr).  A
 * version recorded without its tar's fields gets them from its package
 * (kept in the index by its next save).  -ENOENT when the index has no such
 * component or version.
 */
int repo_entry(struct repo *repo, const char *name, const char *version,
	       struct manifest_component *ret_c, struct hs_err *e);

/* NAME's current version, or NULL; valid until the index changes. */
const char *repo_current_version(const struct repo *repo, const char *name);

/*
 * The envelope a vendor signed for NAME's version (the vendor's name into
 * ret_vendor, the envelope as compact JSON malloc'ed into *ret_env, which
 * the caller frees); *ret_env NULL when there is none.
 */
int repo_endorsement(const struct repo *repo, const char *name,
		     const char *version, char ret_vendor[HS_NAME_MAX + 1],
		     char **ret_env, struct hs_err *e);

/* Stores env, vendor's envelope for NAME's version, and saves the index. */
int repo_endorse(struct repo *repo, const char *name, const char *version,
		 const char *vendor, const char *env, struct hs_err *e);

/* Calls fn for each component of the index; stops at its first error. */
typedef int repo_name_fn(void *ctx, const char *name, struct hs_err *e);
int repo_foreach_name(const struct repo *repo, repo_name_fn *fn, void *ctx,
		      struct hs_err *e);

/*
 * Builds the next manifest: serial one above the last signed, each
 * component's entry at its current version (plain), expiring at expires.  The caller frees
 * *ret_m with manifest_free().
 */
int repo_next_manifest(struct repo *repo, int64_t expires,
		       struct manifest **ret_m, struct hs_err *e);

/* Loads REPO/root.json, signed by a threshold of its own root keys. */
int repo_root(const struct repo *repo, struct root **ret_root,
	      struct hs_err *e);

/* Records that the manifest with this serial was signed and written. */
int repo_set_serial(struct repo *repo, uint64_t serial, struct hs_err *e);

/* Writes a file of the repository atomically, mode 0644. */
int repo_write(const struct repo *repo, const char *name, const void *p,
	       size_t n, struct hs_err *e);

/* The repository's directory. */
const char *repo_dir(const struct repo *repo);

void repo_free(struct repo *repo);

#endif
