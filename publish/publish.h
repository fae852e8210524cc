/*
 * publish.h - what the verbs of haishin-publish share: the option parser
 * (a verb describes its options in a table of publish_opt), the keys named
 * on the command line, the repository a verb opens, and the verbs
 * themselves.  A verb is one cmd_NAME(argc, argv, e), which sets the
 * defaults of its options struct and hands it to publish_cmd_run() with the
 * verb's publish_cmd (its options, its arguments, its run function), and
 * one line in publish.c's table, which also holds its usage text.
 *
 *	publish.c		main, the table of verbs, keygen, init
 *	publish_cli.c		the option parser, keys, opening the repository
 *	publish_root.c		rotate, vendor: the next root.json
 *	publish_entry.c		add, endorse, sign: entries and manifest.json
 *	deltafile.c		delta: one delta between two packages or tars
 *	publish_bundle.c	bundle: one file for haishinctl push
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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
 * threshold of them: else -EKEYREJECTED naming the option that gave the
 * keys ("--root-key"), the key or the count.  what names the role in
 * messages ("the root role of root 2").
 */
int keyset_check_role(const struct keyset *ks, const char *option,
		      struct key *const *keys, size_t n_keys, size_t threshold,
		      const char *what, struct hs_err *e);

/* Now plus days, in seconds since the epoch. */
int64_t publish_days_from_now(uint64_t days);

/* -EINVAL with verb's usage line from the table (an unknown option, a
 * missing argument). */
int publish_usage_error(const char *verb, struct hs_err *e);

#define PUBLISH_MAX_OPTS 8 /* options of one verb */

/* What an option is, and the type of the field it fills. */
enum publish_opt_kind {
	PUBLISH_OPT_FLAG, /* bool: given */
	PUBLISH_OPT_STRING, /* const char *: the argument */
	PUBLISH_OPT_COUNT, /* uint64_t: 1 to max */
	PUBLISH_OPT_SECRET_KEYS, /* struct keyset, PREFIX...: PREFIX.key */
	PUBLISH_OPT_PUBLIC_KEYS, /* struct keyset, PREFIX...: PREFIX.pub */
	PUBLISH_OPT_PARSE, /* parse(field, argument, e) */
};

/* One option of a verb: --name (and -letter) into the field at off. */
struct publish_opt {
	const char *name;
	enum publish_opt_kind kind;
	size_t off; /* offsetof() the field in the verb's options struct */
	bool required; /* a usage error when not given */
	uint64_t max; /* PUBLISH_OPT_COUNT's */
	int (*parse)(void *field, const char *arg, struct hs_err *e);
	char letter; /* a short form, or 0 */
};

/* The start of a publish_opt: PUBLISH_OPT("expires", COUNT, struct
 * sign_opts, days) reads --expires into a sign_opts' days. */
#define PUBLISH_OPT(name_, kind_, type_, field_)      \
	.name = (name_), .kind = PUBLISH_OPT_##kind_, \
	.off = offsetof(type_, field_)

/* A verb: its command line, and what it does. */
struct publish_cmd {
	const char *verb;
	const struct publish_opt *opts;
	size_t n_opts; /* at most PUBLISH_MAX_OPTS */
	int n_args; /* positional arguments, exactly */
	/* The verb's own rules on what was parsed, or NULL. */
	int (*check)(void *o, struct hs_err *e);
	/* The verb, on o and its n_args positional arguments. */
	int (*run)(void *o, char *const *args, struct hs_err *e);
};

/*
 * Runs a verb: parses argv (argv[0] is the verb) into the verb's options
 * struct o, whose defaults the caller set: every option as its publish_opt
 * says (a PREFIX option may be repeated), then the positional arguments
 * and the required options, then cmd->check, then the keys of every key
 * option, loaded in the table's order; then cmd->run; then frees the keys.
 * Returns 0, or -EINVAL with the verb's usage line (an unknown option, a
 * missing argument, a required option or argument missing), or an
 * option's, the check's, the keys' or the verb's own error.
 */
int publish_cmd_run(const struct publish_cmd *cmd, int argc, char **argv,
		    void *o, struct hs_err *e);

/* The repository a verb works on, and its current root. */
struct publish_repo {
	struct repo *repo;
	struct root *root; /* REPO/root.json, verified; NULL when not asked */
};

/*
 * Opens REPO at dir and, when with_root, loads its root.json (signed by a
 * threshold of its own root keys).  *ret is written only on success; the
 * caller then closes it with publish_repo_close(), which accepts a
 * publish_repo set to {NULL, NULL} too.
 */
int publish_repo_open(const char *dir, bool with_root, struct publish_repo *ret,
		      struct hs_err *e);
void publish_repo_close(struct publish_repo *pr);

/* Writes env as REPO/N.root.json and REPO/root.json (same bytes, 0644). */
int publish_root_write(const struct repo *repo, uint64_t version,
		       const char *env, struct hs_err *e);

int cmd_rotate(int argc, char **argv, struct hs_err *e);
int cmd_vendor(int argc, char **argv, struct hs_err *e);
int cmd_add(int argc, char **argv, struct hs_err *e);
int cmd_endorse(int argc, char **argv, struct hs_err *e);
int cmd_sign(int argc, char **argv, struct hs_err *e);
int cmd_delta(int argc, char **argv, struct hs_err *e);
int cmd_bundle(int argc, char **argv, struct hs_err *e);

#endif
