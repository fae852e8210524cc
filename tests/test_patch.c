/*
 * test_patch.c - which delta is taken from the cache's base (the kept
 * SHA-256 read by patch_base_sha256(), judged by decide_path()), and
 * what it says when it takes none: no base, a base of another version, and
 * a base whose SHA-256 file was cut short (fileio.h's short read, named as
 * such rather than taken for a missing base).
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "manifest.h"
#include "decide.h"
#include "patch.h"
#include "str.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* app 2.0 with a delta from 1.0 (base SHA_A) a tenth of the package. */
static void component(struct manifest_component *c)
{
	memset(c, 0, sizeof(*c));
	(void)hs_strlcpy(c->name, "app", sizeof(c->name));
	(void)hs_strlcpy(c->version, "2.0", sizeof(c->version));
	c->package.size = 1000;
	c->n_deltas = 1;
	(void)hs_strlcpy(c->deltas[0].from, "1.0", sizeof(c->deltas[0].from));
	(void)hs_strlcpy(c->deltas[0].method, "zstd",
			 sizeof(c->deltas[0].method));
	(void)hs_strlcpy(c->deltas[0].base_sha256, SHA_A,
			 sizeof(c->deltas[0].base_sha256));
	c->deltas[0].size = 100;
}

static void cache_config(struct config *cfg, const char *dir)
{
	config_defaults(cfg);
	(void)hs_strlcpy(cfg->cache, dir, sizeof(cfg->cache));
	cfg->deltas = true;
}

/* What the engine does for an update of 1.0: read the base, then decide. */
static const struct manifest_delta *pick(const struct config *cfg,
					 const struct manifest_component *c,
					 const char *from, char *why)
{
	char base[HASH_SHA256_HEX_LEN + 1] = "";
	struct decide_path_in in = {
		.target = c,
		.from = from,
		.update = true,
		.deltas = cfg->deltas,
		.base_sha256 = base,
		.refused_sha256 = "",
	};
	struct hs_err e;
	const int r = patch_base_sha256(cfg, c->name, base, &e);

	if (r < 0 && r != -ENOENT)
		in.base_error = e.msg;
	return decide_path(&in, why);
}

struct pick_case {
	const char *what;
	const char *sha_file; /* NULL: none */
	bool picked;
	const char *why;
};

static const struct pick_case pick_cases[] = {
	{"the base of 1.0", SHA_A, true, ""},
	{"no base", NULL, false, "no base of 1.0 in the cache"},
	{"another version's base", SHA_B, false,
	 "the cached base is not the tar of 1.0"},
	{"a SHA-256 file cut short", "aaaaaaaaaa", false,
	 "the cached base of 1.0 cannot be used: '"},
	{"an empty SHA-256 file", "", false, "ended after 0 of 64 bytes"},
	{"more than a SHA-256", SHA_A "\n", false, "holds more than a SHA-256"},
};

static void test_pick(void **state)
{
	const char *dir = *state;
	struct manifest_component c;
	char why[DECIDE_WHY_MAX];
	struct config cfg;
	size_t i;

	component(&c);
	cache_config(&cfg, dir);
	for (i = 0; i < TU_ARRAY_SIZE(pick_cases); i++) {
		const struct pick_case *pc = &pick_cases[i];
		char *path = tu_path(dir, "app.base.sha256");

		(void)unlink(path);
		free(path);
		if (pc->sha_file != NULL)
			tu_write(dir, "app.base.sha256", pc->sha_file,
				 strlen(pc->sha_file), 0644);
		print_message("%s\n", pc->what);
		if (pc->picked)
			assert_ptr_equal(pick(&cfg, &c, "1.0", why),
					 &c.deltas[0]);
		else
			assert_null(pick(&cfg, &c, "1.0", why));
		assert_non_null(strstr(why, pc->why));
	}
}

/* The short file is named with both sizes. */
static void test_pick_short_names_the_file(void **state)
{
	const char *dir = *state;
	struct manifest_component c;
	char why[DECIDE_WHY_MAX];
	char want[DECIDE_WHY_MAX];
	struct config cfg;

	component(&c);
	cache_config(&cfg, dir);
	tu_write(dir, "app.base.sha256", "abc", 3, 0644);
	assert_null(pick(&cfg, &c, "1.0", why));
	(void)snprintf(want, sizeof(want),
		       "the cached base of 1.0 cannot be used: "
		       "'%s/app.base.sha256' ended after 3 of 64 bytes",
		       dir);
	assert_string_equal(why, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_dir_test(test_pick),
		tu_dir_test(test_pick_short_names_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
