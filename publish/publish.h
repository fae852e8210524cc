/*
 * publish.h - what the verbs of haishin-publish share: the keys named on
 * the command line, option helpers, and the verbs themselves.  A verb is
 * one cmd_NAME(argc, argv, e) and one line in publish.c's table, which also
 * holds its usage text.
 *
 *	publish.c		main, the table, keys, keygen, init
 *	publish_root.c		rotate, vendor: the next root.json
 *	publish_entry.c		add, endorse, sign: entries and manifest.json
 *	deltafile.c		delta: one delta between two packages or tars
 *	bundle.c		bundle: one file for haishinctl push
 *	repo.c, repo_delta.c	the repository and its index (repo.h)
 */
#ifndef HAISHIN_PUBLISH_H
#define HAISHIN_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "key.h"
#include "repo.h"
#include "root.h"

#define PUBLISH_MAX_KEYS 16
#define PUBLISH_ROOT_DAYS 1825 /* a root lives five years */
#define PUBLISH_MANIFEST_DAYS 30 /* re-sign at least monthly */
#define PUBLISH_MAX_DAYS 36500
#define PUBLISH_DELTAS 3 /* add: deltas from the 3 highest earlier versions */

/* Keys named on the command line (PREFIX.key or PREFIX.pub), owned here. */
struct keyset {
	struct key *keys[PUBLISH_MAX_KEYS];
	const char *prefixes[PUBLISH_MAX_KEYS];
	size_t n;
};

/* Frees the loaded keys; the set can be filled again. */
void keyset_clear(struct keyset *ks);

/* Names one more key; -E2BIG past PUBLISH_MAX_KEYS. */
int keyset_add_prefix(struct keyset *ks, const char *prefix, struct hs_err *e);

/*
 * Loads PREFIX.key (private) or PREFIX.pub (public) for every prefix;
 * -EINVAL when two prefixes name the same key.
 */
int keyset_load(struct keyset *ks, bool private, struct hs_err *e);

/*
 * Every key of ks must be one of a role's keys[], and ks must hold at least
 * threshold of them: else -EKEYREJECTED naming the key or the count.  what
 * names the role in messages ("the root role of root 2").
 */
int keyset_check_role(const struct keyset *ks, struct key *const *keys,
		      size_t n_keys, size_t threshold, const char *what,
		      struct hs_err *e);

/* Parses a count of 1 to max for option what: -EINVAL otherwise. */
int publish_parse_count(const char *s, const char *what, uint64_t max,
			uint64_t *ret, struct hs_err *e);

/* Now plus days, in seconds since the epoch. */
int64_t publish_days_from_now(uint64_t days);

/* -EINVAL with verb's usage line from the table (an unknown option, a
 * missing argument). */
int publish_usage_error(const char *verb, struct hs_err *e);

/* Writes env as REPO/N.root.json and REPO/root.json (same bytes, 0644). */
int publish_root_write(const struct repo *repo, uint64_t version,
		       const char *env, struct hs_err *e);

int cmd_rotate(int argc, char **argv, struct hs_err *e);
int cmd_vendor(int argc, char **argv, struct hs_err *e);
int cmd_add(int argc, char **argv, struct hs_err *e);
int cmd_endorse(int argc, char **argv, struct hs_err *e);
int cmd_sign(int argc, char **argv, struct hs_err *e);
int cmd_delta(int argc, char **argv, struct hs_err *e);

#endif
