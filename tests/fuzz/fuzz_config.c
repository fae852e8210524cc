/*
 * fuzz_config.c - config_parse() on untrusted bytes: haishin.conf is written
 * by people and tools, and every odd line must give an error, never a crash.
 * The input is parsed on top of config_defaults(), as config_load() does.
 *
 * Oracles: every failure follows hs_err.h (fuzz_check_err) and is -EINVAL;
 * after any parse every string field is NUL-terminated; after a successful
 * one (a failed one may leave the struct half-set, as config.h says) URLs
 * end in '/', paths are absolute, and quiet hours are two different times
 * of day.
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "fuzzutil.h"

#define MINUTES_PER_DAY (24u * 60)

static void check_string(const char *s, size_t size)
{
	fuzz_assert(strnlen(s, size) < size, "config string not terminated");
}

static void check_url(const char *s, size_t size)
{
	const size_t n = strnlen(s, size);

	check_string(s, size);
	fuzz_assert(n == 0 || s[n - 1] == '/', "config URL without a final /");
}

/* Paths are absolute; "" is allowed where it means "not set". */
static void check_path(const char *s, size_t size, bool may_be_empty)
{
	check_string(s, size);
	fuzz_assert(s[0] == '/' || (may_be_empty && s[0] == '\0'),
		    "config path is not absolute");
}

/* Holds after any parse, successful or not. */
static void check_strings(const struct config *c)
{
	size_t i;

	check_string(c->url, sizeof(c->url));
	fuzz_assert(c->n_mirrors <= CONFIG_MAX_MIRRORS, "too many mirrors");
	for (i = 0; i < c->n_mirrors; i++)
		check_string(c->mirrors[i], sizeof(c->mirrors[i]));
	check_string(c->proxy, sizeof(c->proxy));
	check_string(c->ca_file, sizeof(c->ca_file));
	check_string(c->root, sizeof(c->root));
	check_string(c->state, sizeof(c->state));
	check_string(c->cache, sizeof(c->cache));
	check_string(c->install, sizeof(c->install));
	check_string(c->socket, sizeof(c->socket));
	check_string(c->control_group, sizeof(c->control_group));
	check_string(c->admin_group, sizeof(c->admin_group));
}

/* Holds after a successful parse (a failed one may leave c half-set). */
static void check_values(const struct config *c)
{
	size_t i;

	check_url(c->url, sizeof(c->url));
	for (i = 0; i < c->n_mirrors; i++)
		check_url(c->mirrors[i], sizeof(c->mirrors[i]));
	check_path(c->ca_file, sizeof(c->ca_file), true);
	check_path(c->root, sizeof(c->root), false);
	check_path(c->state, sizeof(c->state), false);
	check_path(c->cache, sizeof(c->cache), false);
	check_path(c->install, sizeof(c->install), false);
	check_path(c->socket, sizeof(c->socket), false);
	if (c->has_quiet_hours)
		fuzz_assert(c->quiet_start < MINUTES_PER_DAY &&
				    c->quiet_end < MINUTES_PER_DAY &&
				    c->quiet_start != c->quiet_end,
			    "quiet hours out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct hs_err e;
	int r;

	config_defaults(&c);
	hs_err_clear(&e);
	r = config_parse(&c, (const char *)data, size, "fuzz.conf", &e);
	fuzz_check_err(r, &e);
	fuzz_assert(r == 0 || r == -EINVAL, "config error other than -EINVAL");
	check_strings(&c);
	if (r == 0)
		check_values(&c);
	return 0;
}
