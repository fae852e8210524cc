/*
 * repo.h - a publisher's repository directory: the signed root.json and
 * manifest.json, content-addressed packages under packages/NAME/, and
 * index.json, the publisher's own record of every version it added (plain,
 * public data: what the next "sign" turns into a manifest).
 *
 * Everything written into a repository is readable by everyone (files 0644,
 * directories 0755), since a web server serves it; no private key is ever
 * written there.
 */
#ifndef HAISHIN_REPO_H
#define HAISHIN_REPO_H

#include <stdint.h>

#include "hs_err.h"
#include "manifest.h"

struct repo;

/* Opens REPO (which must hold root.json and index.json). */
int repo_open(const char *dir, struct repo **ret_repo, struct hs_err *e);

/* Creates REPO (if missing) with an empty index; refuses if it has one. */
int repo_create(const char *dir, struct hs_err *e);

/*
 * Packs tree into packages/NAME/<sha256>.tar.zst and records VERSION in the
 * index.  minimum NULL keeps the component's minimum (or VERSION for a new
 * component); restart NULL keeps its restart (or "none").  Re-adding a
 * version with the same contents is a no-op; with other contents, -EEXIST.
 */
int repo_add(struct repo *repo, const char *name, const char *version,
	     const char *tree, const char *minimum, const char *restart,
	     struct manifest_package *ret_pkg, struct hs_err *e);

/*
 * Builds the next manifest: serial one above the last signed, each
 * component at its highest version, expiring at expires.  The caller frees
 * *ret_m with manifest_free().
 */
int repo_next_manifest(struct repo *repo, int64_t expires,
		       struct manifest **ret_m, struct hs_err *e);

/* Records that the manifest with this serial was signed and written. */
int repo_set_serial(struct repo *repo, uint64_t serial, struct hs_err *e);

/* Writes a file of the repository atomically, mode 0644. */
int repo_write(const struct repo *repo, const char *name, const void *p,
	       size_t n, struct hs_err *e);

/* The repository's directory. */
const char *repo_dir(const struct repo *repo);

void repo_free(struct repo *repo);

#endif
