/*
 * repo_int.h - what repo.c shares with repo_delta.c: the repository's
 * struct and a few helpers.  Not for the verbs: they use repo.h.
 */
#ifndef HAISHIN_REPO_INT_H
#define HAISHIN_REPO_INT_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include "repo.h"

struct repo {
	char dir[PATH_MAX];
	json_t *index; /* {"_type", "serial", "components": {NAME: {...}}} */
	int lock_fd; /* REPO/.lock, held while the repository is open */
};

/*
 * Takes the repository's lock (REPO/.lock, flock) for as long as repo is
 * open, then removes what a publisher killed mid-work left.  -EBUSY when
 * another publisher holds it.
 */
int repo_lock(struct repo *repo, struct hs_err *e);

/* REPO/name into out (n bytes); -ENAMETOOLONG. */
int repo_path(const struct repo *repo, const char *name, char *out, size_t n,
	      struct hs_err *e);

/* Writes index.json (atomically, 0644). */
int repo_save_index(const struct repo *repo, struct hs_err *e);

/* NAME's record in the index, or NULL. */
json_t *repo_component(const struct repo *repo, const char *name);

/*
 * The record v of NAME's version gets "tar_size" and "tar_sha256" when it
 * has none, from its package on disk (in memory: the next save keeps
 * them).  Returns 0, or an error naming the package.
 */
int repo_tar_ensure(const struct repo *repo, json_t *v, struct hs_err *e);

/*
 * Makes the deltas to NAME's version (whose record is v, with its tar
 * fields) from the max highest earlier versions whose packages are on disk,
 * and sets v's "deltas" to them, newest base first (none when max is 0).
 * A delta already recorded from the same base tar whose file is in place
 * is kept, not made again.  A base whose package is missing or damaged
 * gives no delta, with a note on stderr.  The url of each delta file this
 * call wrote anew is appended to created, for the caller to remove should
 * the add fail after all.
 */
int repo_deltas_make(struct repo *repo, const char *name, const char *version,
		     json_t *v, unsigned max, json_t *created,
		     struct hs_err *e);

/*
 * Fills c's package tar fields and deltas from v (the record of c's
 * version): at most HS_MANIFEST_MAX_DELTAS, newest base first.  A delta
 * whose file is missing or of another size is left out, with a note on
 * stderr.  -EBADMSG for a damaged record.
 */
int repo_deltas_fill(const struct repo *repo, json_t *v,
		     struct manifest_component *c, struct hs_err *e);

#endif
