/*
 * test_version.c - unit tests for manifest/version.h: the order of versions
 * (numbers as numbers, missing parts as 0, pre-releases as in Semantic
 * Versioning 2.0.0, build metadata ignored), and which versions and
 * component names are valid.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "hs_limits.h"
#include "version.h"

static int sign(int c)
{
	return (c > 0) - (c < 0);
}

static void test_compare(void **state)
{
	static const struct {
		const char *a;
		const char *b;
		int want; /* sign of version_compare(a, b) */
	} cases[] = {
		{"1.10", "1.9", 1},
		{"1.9", "1.10", -1},
		{"2.0.1", "2.0", 1},
		{"2.0", "2.0.0", 0},
		{"2", "2.0.0.0.0.0.0.0", 0},
		{"2.0.0.0.0.0.0.1", "2", 1},
		{"1.0-rc.1", "1.0", -1},
		{"1.0-rc.1", "1.0.0", -1},
		{"1.0.1-rc.1", "1.0", 1},
		{"1.0+build", "1.0", 0},
		{"1.0+build.5", "1.0+build.7", 0},
		{"1.0-rc.1+b1", "1.0-rc.1+b2", 0},
		{"1.0-rc.1+b1", "1.0", -1},
		{"01.2", "1.2", 0},
		{"1.002", "1.2", 0},
		{"0.0", "0", 0},
		{"10", "9", 1},
		{"100.0", "99.99", 1},
		{"123456789012345678", "123456789012345677", 1},
		{"123456789012345678", "99999999999999999", 1},
		{"1.123456789012345678", "1.123456789012345678", 0},
		{"999999999999999999.1", "999999999999999999.0", 1},
		{"1.0-1", "1.0-a", -1},
		{"1.0-2", "1.0-10", -1},
		{"1.0-A", "1.0-a", -1},
		{"1.0-a", "1.0-a-b", -1},
		{"1.0-rc.01", "1.0-rc.1", 0},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		const int ab = sign(version_compare(cases[i].a, cases[i].b));
		const int ba = sign(version_compare(cases[i].b, cases[i].a));

		if (ab != cases[i].want || ba != -cases[i].want)
			tu_report_bad(&bad,
				      "compare('%s', '%s') = %d, reversed %d; "
				      "want %d",
				      cases[i].a, cases[i].b, ab, ba,
				      cases[i].want);
	}
	assert_int_equal(bad, 0);
}

/* Semantic Versioning 2.0.0, section 11: each is older than the next. */
static void test_compare_semver_chain(void **state)
{
	static const char *const chain[] = {
		"1.0-alpha",  "1.0-alpha.1", "1.0-alpha.beta", "1.0-beta",
		"1.0-beta.2", "1.0-beta.11", "1.0-rc.1",       "1.0",
		"1.0.1",      "1.1",	     "2.0-0",	       "2.0",
	};
	const size_t n = TU_ARRAY_SIZE(chain);
	size_t bad = 0;
	size_t i;
	size_t j;

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			const int want = i < j ? -1 : (i > j ? 1 : 0);
			const int got =
				sign(version_compare(chain[i], chain[j]));

			if (got != want)
				tu_report_bad(
					&bad,
					"compare('%s', '%s') = %d, want %d",
					chain[i], chain[j], got, want);
		}
	assert_int_equal(bad, 0);
}

/* A string, and whether a validity check must accept it. */
struct validity {
	const char *s;
	bool want;
};

/* Checks each row with is_valid (called name in messages). */
static void check_validity(bool (*is_valid)(const char *), const char *name,
			   const struct validity *cases, size_t n)
{
	size_t bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (is_valid(cases[i].s) != cases[i].want)
			tu_report_bad(&bad, "%s('%s') is not %s", name,
				      cases[i].s,
				      cases[i].want ? "true" : "false");
	assert_int_equal(bad, 0);
}

static void test_version_is_valid(void **state)
{
	char longest[HS_VERSION_MAX + 1];
	char too_long[HS_VERSION_MAX + 2];
	static const struct validity cases[] = {
		{"1", true},
		{"1.0", true},
		{"2.0.1", true},
		{"01.2", true},
		{"1.2.3.4.5.6.7.8", true},
		{"1.0-rc.1", true},
		{"1.0-alpha.beta", true},
		{"1.0-rc-1", true},
		{"1.0-0", true},
		{"1.0+build", true},
		{"1.0+build.5-x", true},
		{"1.0-rc.1+build.5", true},
		{"123456789012345678", true},
		{"1.0-staging", true},
		{"", false},
		{"v1", false},
		{"1..2", false},
		{"1.", false},
		{".1", false},
		{".", false},
		{"1.0-", false},
		{"1.0+", false},
		{"1.0-rc+", false},
		{"1.0-rc..1", false},
		{"1.0-.rc", false},
		{"1.0+b+c", false},
		{"-rc.1", false},
		{"+build", false},
		{"1.0.staging", false},
		{"1.0-rc.staging", false},
		{"1.2.3.4.5.6.7.8.9", false},
		{"1234567890123456789", false},
		{"1. 0", false},
		{" 1.0", false},
		{"1.0 ", false},
		{"1.0/2", false},
		{"../1.0", false},
		{"1.0-rc/1", false},
		{"1.0-rc_1", false},
		{"1,0", false},
		{"1.a", false},
		{"-1", false},
		{"1.0-\xc3\xa9", false},
	};

	(void)state;
	check_validity(version_is_valid, "version_is_valid", cases,
		       TU_ARRAY_SIZE(cases));

	/* Exactly HS_VERSION_MAX bytes is valid; one more is not. */
	memset(longest, '1', sizeof(longest) - 1);
	longest[1] = '.';
	longest[sizeof(longest) - 1] = '\0';
	memcpy(longest + 2, "0-", 2);
	assert_int_equal(strlen(longest), HS_VERSION_MAX);
	assert_true(version_is_valid(longest));
	memcpy(too_long, longest, HS_VERSION_MAX);
	too_long[HS_VERSION_MAX] = 'x';
	too_long[HS_VERSION_MAX + 1] = '\0';
	assert_false(version_is_valid(too_long));
}

static void test_name_is_valid(void **state)
{
	char longest[HS_NAME_MAX + 1];
	char too_long[HS_NAME_MAX + 2];
	static const struct validity cases[] = {
		{"cardreader", true},
		{"face-lib_2", true},
		{"haishin", true},
		{"a", true},
		{"0day", true},
		{"lib.so", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a..b", false},
		{"a..", false},
		{"A", false},
		{"Card", false},
		{"-x", false},
		{".x", false},
		{"_x", false},
		{"a/b", false},
		{"/a", false},
		{"a b", false},
		{"a\\b", false},
		{"caf\xc3\xa9", false},
	};

	(void)state;
	check_validity(version_name_is_valid, "version_name_is_valid", cases,
		       TU_ARRAY_SIZE(cases));

	memset(longest, 'n', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_true(version_name_is_valid(longest));
	memset(too_long, 'n', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	assert_false(version_name_is_valid(too_long));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_compare_semver_chain),
		cmocka_unit_test(test_version_is_valid),
		cmocka_unit_test(test_name_is_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
