/*
 * publish_cli.c - what every verb of haishin-publish does with its command
 * line (publish.h): one option parser driven by the verb's table of
 * options, the keys named by PREFIX options, and the repository the verb
 * opens with its root.
 *
 * The parser reads --NAME options (and -L letters) with getopt_long into
 * the fields of the verb's own options struct, then checks the positional
 * arguments and the required options, then the verb's own rules, and only
 * then loads the keys: nothing is read from a key file for a command line
 * that is wrong.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "str.h"
#include "trust.h"

#include "publish.h"

void keyset_clear(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		key_free(ks->keys[i]);
	ks->n = 0;
}

int keyset_add_prefix(struct keyset *ks, const char *prefix, struct hs_err *e)
{
	if (ks->n == PUBLISH_MAX_KEYS)
		return hs_err_set(e, -E2BIG, "more than %d keys",
				  PUBLISH_MAX_KEYS);
	ks->prefixes[ks->n] = prefix;
	ks->keys[ks->n] = NULL;
	ks->n++;
	return 0;
}

int keyset_load(struct keyset *ks, bool private, struct hs_err *e)
{
	char path[PATH_MAX];
	size_t i;
	size_t j;
	int r;

	for (i = 0; i < ks->n; i++) {
		if (hs_snprintf(path, sizeof(path), "%s.%s", ks->prefixes[i],
				private ? "key" : "pub") < 0)
			return hs_err_set(e, -ENAMETOOLONG,
					  "key prefix too long");
		r = private ? key_load_private(path, &ks->keys[i], e)
			    : key_load_public(path, &ks->keys[i], e);
		if (r < 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(key_id(ks->keys[j]), key_id(ks->keys[i])) ==
			    0)
				return hs_err_set(e, -EINVAL,
						  "'%s' and '%s' are the same "
						  "key",
						  ks->prefixes[j],
						  ks->prefixes[i]);
	}
	return 0;
}

int keyset_check_role(const struct keyset *ks, const char *option,
		      struct key *const *keys, size_t n_keys, size_t threshold,
		      const char *what, struct hs_err *e)
{
	size_t i;
	size_t j;
	bool found;

	for (i = 0; i < ks->n; i++) {
		found = false;
		for (j = 0; j < n_keys; j++)
			found = found || strcmp(key_id(keys[j]),
						key_id(ks->keys[i])) == 0;
		if (!found)
			return hs_err_set(e, -EKEYREJECTED,
					  "%s: key '%s' is not in %s", option,
					  ks->prefixes[i], what);
	}
	if (ks->n < threshold)
		return hs_err_set(e, -EKEYREJECTED,
				  "%s: %s needs %zu signatures (its "
				  "threshold); %zu of its keys given",
				  option, what, threshold, ks->n);
	return 0;
}

int64_t publish_days_from_now(uint64_t days)
{
	return (int64_t)time(NULL) + (int64_t)days * 86400;
}

/* The field of o that opt fills. */
static void *opt_field(const struct publish_opt *opt, void *o)
{
	return (char *)o + opt->off;
}

static bool opt_has_arg(const struct publish_opt *opt)
{
	return opt->kind != PUBLISH_OPT_FLAG;
}

static bool opt_is_keys(const struct publish_opt *opt)
{
	return opt->kind == PUBLISH_OPT_SECRET_KEYS ||
	       opt->kind == PUBLISH_OPT_PUBLIC_KEYS;
}

/* A count of 1 to max for option opt. */
static int opt_count(const struct publish_opt *opt, const char *s,
		     uint64_t *ret, struct hs_err *e)
{
	if (hs_parse_u64(s, opt->max, ret) < 0 || *ret == 0)
		return hs_err_set(e, -EINVAL,
				  "--%s must be 1 to %llu, not '%s'", opt->name,
				  (unsigned long long)opt->max, s);
	return 0;
}

/* Stores one occurrence of opt, with its argument arg. */
static int opt_take(const struct publish_opt *opt, const char *arg, void *o,
		    struct hs_err *e)
{
	void *field = opt_field(opt, o);

	switch (opt->kind) {
	case PUBLISH_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case PUBLISH_OPT_STRING:
		*(const char **)field = arg;
		return 0;
	case PUBLISH_OPT_COUNT:
		return opt_count(opt, arg, field, e);
	case PUBLISH_OPT_SECRET_KEYS:
	case PUBLISH_OPT_PUBLIC_KEYS:
		return keyset_add_prefix(field, arg, e);
	case PUBLISH_OPT_PARSE:
		return opt->parse(field, arg, e);
	}
	return hs_err_set(e, -EINVAL, "--%s: unknown kind", opt->name);
}

/* getopt_long's tables for cmd: a letter returns itself, a long name
 * PUBLISH_OPT_BASE plus its index. */
#define PUBLISH_OPT_BASE 256

static void opt_tables(const struct publish_cmd *cmd,
		       struct option longs[PUBLISH_MAX_OPTS + 1],
		       char shorts[2 * PUBLISH_MAX_OPTS + 1])
{
	const struct publish_opt *opt;
	size_t n = 0;
	size_t i;

	for (i = 0; i < cmd->n_opts; i++) {
		opt = &cmd->opts[i];
		longs[i].name = opt->name;
		longs[i].has_arg =
			opt_has_arg(opt) ? required_argument : no_argument;
		longs[i].flag = NULL;
		longs[i].val = opt->letter != 0 ? opt->letter
						: PUBLISH_OPT_BASE + (int)i;
		if (opt->letter != 0) {
			shorts[n++] = opt->letter;
			if (opt_has_arg(opt))
				shorts[n++] = ':';
		}
	}
	memset(&longs[cmd->n_opts], 0, sizeof(longs[0]));
	shorts[n] = '\0';
}

/* The option getopt_long returned as c, or NULL for '?' and ':'. */
static const struct publish_opt *opt_find(const struct publish_cmd *cmd, int c)
{
	size_t i;

	if (c >= PUBLISH_OPT_BASE &&
	    (size_t)(c - PUBLISH_OPT_BASE) < cmd->n_opts)
		return &cmd->opts[c - PUBLISH_OPT_BASE];
	for (i = 0; i < cmd->n_opts; i++)
		if (cmd->opts[i].letter != 0 && cmd->opts[i].letter == c)
			return &cmd->opts[i];
	return NULL;
}

/* Reads the options; marks in seen each one given. */
static int opt_read(const struct publish_cmd *cmd, int argc, char **argv,
		    void *o, bool seen[PUBLISH_MAX_OPTS], struct hs_err *e)
{
	struct option longs[PUBLISH_MAX_OPTS + 1];
	char shorts[2 * PUBLISH_MAX_OPTS + 1];
	const struct publish_opt *opt;
	int r = 0;
	int c;

	opt_tables(cmd, longs, shorts);
	while (r == 0) {
		c = getopt_long(argc, argv, shorts, longs, NULL);
		if (c == -1)
			break;
		opt = opt_find(cmd, c);
		if (opt == NULL)
			return publish_usage_error(cmd->verb, e);
		seen[opt - cmd->opts] = true;
		r = opt_take(opt, optarg, o, e);
	}
	return r;
}

/* Every required option was given, and the positional arguments. */
static bool opt_complete(const struct publish_cmd *cmd, int argc,
			 const bool seen[PUBLISH_MAX_OPTS])
{
	size_t i;

	for (i = 0; i < cmd->n_opts; i++)
		if (cmd->opts[i].required && !seen[i])
			return false;
	return optind == argc - cmd->n_args;
}

/* Every key option's keys, in the table's order. */
static int opt_load_keys(const struct publish_cmd *cmd, void *o,
			 struct hs_err *e)
{
	const struct publish_opt *opt;
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < cmd->n_opts; i++) {
		opt = &cmd->opts[i];
		if (opt_is_keys(opt))
			r = keyset_load(opt_field(opt, o),
					opt->kind == PUBLISH_OPT_SECRET_KEYS,
					e);
	}
	return r;
}

static void opt_clear_keys(const struct publish_cmd *cmd, void *o)
{
	size_t i;

	for (i = 0; i < cmd->n_opts; i++)
		if (opt_is_keys(&cmd->opts[i]))
			keyset_clear(opt_field(&cmd->opts[i], o));
}

int publish_cmd_run(const struct publish_cmd *cmd, int argc, char **argv,
		    void *o, struct hs_err *e)
{
	bool seen[PUBLISH_MAX_OPTS] = {false};
	int r;

	if (cmd->n_opts > PUBLISH_MAX_OPTS)
		return hs_err_set(e, -E2BIG, "%s: too many options", cmd->verb);
	r = opt_read(cmd, argc, argv, o, seen, e);
	if (r == 0 && !opt_complete(cmd, argc, seen))
		r = publish_usage_error(cmd->verb, e);
	if (r == 0 && cmd->check != NULL)
		r = cmd->check(o, e);
	if (r == 0)
		r = opt_load_keys(cmd, o, e);
	if (r == 0)
		r = cmd->run(o, argv + optind, e);
	opt_clear_keys(cmd, o);
	return r;
}

int publish_repo_open(const char *dir, bool with_root, struct publish_repo *ret,
		      struct hs_err *e)
{
	struct publish_repo pr = {NULL, NULL};
	int r;

	r = repo_open(dir, &pr.repo, e);
	if (r == 0 && with_root)
		r = repo_root(pr.repo, &pr.root, e);
	if (r < 0) {
		publish_repo_close(&pr);
		return r;
	}
	*ret = pr;
	return 0;
}

void publish_repo_close(struct publish_repo *pr)
{
	root_free(pr->root);
	repo_free(pr->repo);
	pr->root = NULL;
	pr->repo = NULL;
}
