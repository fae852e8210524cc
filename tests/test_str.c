/*
 * test_str.c - unit tests for common/str.h, common/fileio.h, manifest/b64.h and common/hs_err.h: bounded
 * copies, checked numbers, base64, RFC 3339 time, whole-file reads, exact
 * reads and the one short-read error (-ENODATA naming both sizes, told
 * apart from read(2)'s own errors), atomic writes and renames, fsync of
 * directories, and error prefixes.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_err.h"
#include "fileio.h"
#include "b64.h"
#include "str.h"

static void test_strlcpy(void **state)
{
	static const struct {
		const char *src;
		size_t n;
		int want_r;
		const char *want_dst;
	} cases[] = {
		{"abc", 4, 0, "abc"},
		{"abc", 10, 0, "abc"},
		{"", 1, 0, ""},
		{"abcd", 4, -ENAMETOOLONG, "abc"},
		{"a", 1, -ENAMETOOLONG, ""},
		{"hello world", 6, -ENAMETOOLONG, "hello"},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char dst[16];
		int r;

		memset(dst, 'X', sizeof(dst));
		r = hs_strlcpy(dst, cases[i].src, cases[i].n);
		if (r != cases[i].want_r || strcmp(dst, cases[i].want_dst) != 0)
			tu_report_bad(
				&bad,
				"hs_strlcpy('%s', %zu): got %d '%s', want "
				"%d '%s'",
				cases[i].src, cases[i].n, r, dst,
				cases[i].want_r, cases[i].want_dst);
	}
	assert_int_equal(bad, 0);
}

static void test_strlcpy_size_zero(void **state)
{
	char dst[4] = "old";

	(void)state;
	/* Nothing may be written into a zero-sized buffer. */
	assert_int_equal(hs_strlcpy(dst, "x", 0), -ENAMETOOLONG);
	assert_string_equal(dst, "old");
}

static void test_snprintf(void **state)
{
	char dst[8];

	(void)state;
	assert_int_equal(hs_snprintf(dst, sizeof(dst), "%s-%d", "ab", 12), 0);
	assert_string_equal(dst, "ab-12");
	assert_int_equal(hs_snprintf(dst, sizeof(dst), "%s", "12345678"),
			 -ENAMETOOLONG);
	assert_string_equal(dst, "1234567");
}

static void test_parse_u64(void **state)
{
	static const struct {
		const char *s;
		uint64_t max;
		int want_r;
		uint64_t want_v;
	} cases[] = {
		{"", UINT64_MAX, -EINVAL, 0},
		{"+1", UINT64_MAX, -EINVAL, 0},
		{"-1", UINT64_MAX, -EINVAL, 0},
		{"-0", UINT64_MAX, -EINVAL, 0},
		{" 1", UINT64_MAX, -EINVAL, 0},
		{"1 ", UINT64_MAX, -EINVAL, 0},
		{"1 2", UINT64_MAX, -EINVAL, 0},
		{"1a", UINT64_MAX, -EINVAL, 0},
		{"0x10", UINT64_MAX, -EINVAL, 0},
		{"1.0", UINT64_MAX, -EINVAL, 0},
		{"0", UINT64_MAX, 0, 0},
		{"007", UINT64_MAX, 0, 7},
		{"42", UINT64_MAX, 0, 42},
		{"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
		{"18446744073709551616", UINT64_MAX, -ERANGE, 0},
		{"18446744073709551620", UINT64_MAX, -ERANGE, 0},
		{"99999999999999999999", UINT64_MAX, -ERANGE, 0},
		{"184467440737095516150", UINT64_MAX, -ERANGE, 0},
		{"9223372036854775807", INT64_MAX, 0, INT64_MAX},
		{"9223372036854775808", INT64_MAX, -ERANGE, 0},
		{"100", 100, 0, 100},
		{"101", 100, -ERANGE, 0},
		{"1000", 100, -ERANGE, 0},
		{"0100", 100, 0, 100},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		uint64_t v = 12345;
		const int r = hs_parse_u64(cases[i].s, cases[i].max, &v);
		const uint64_t want_v =
			cases[i].want_r == 0 ? cases[i].want_v : 12345;

		if (r != cases[i].want_r || v != want_v)
			tu_report_bad(
				&bad,
				"hs_parse_u64('%s', %llu): got %d %llu, want "
				"%d %llu",
				cases[i].s, (unsigned long long)cases[i].max, r,
				(unsigned long long)v, cases[i].want_r,
				(unsigned long long)want_v);
	}
	assert_int_equal(bad, 0);
}

/* A maximum below 9: a single digit above max must still be refused. */
static void test_parse_u64_small_max(void **state)
{
	static const struct {
		const char *s;
		uint64_t max;
		int want_r;
	} cases[] = {
		{"5", 5, 0},	    {"6", 5, -ERANGE}, {"7", 5, -ERANGE},
		{"9", 8, -ERANGE},  {"0", 0, 0},       {"1", 0, -ERANGE},
		{"10", 9, -ERANGE},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		uint64_t v = 12345;
		const int r = hs_parse_u64(cases[i].s, cases[i].max, &v);

		if (r != cases[i].want_r)
			tu_report_bad(
				&bad,
				"hs_parse_u64('%s', %llu): got %d (v=%llu), "
				"want %d",
				cases[i].s, (unsigned long long)cases[i].max, r,
				(unsigned long long)v, cases[i].want_r);
	}
	assert_int_equal(bad, 0);
}

static void test_hex_and_sha256(void **state)
{
	static const uint8_t bytes[] = {0x00, 0x01, 0xab, 0xff};
	char out[2 * sizeof(bytes) + 1];
	char sha[65];

	(void)state;
	hs_hex(bytes, sizeof(bytes), out);
	assert_string_equal(out, "0001abff");

	memset(sha, 'a', 64);
	sha[64] = '\0';
	assert_true(hs_is_sha256_hex(sha));
	sha[10] = 'A';
	assert_false(hs_is_sha256_hex(sha));
	sha[10] = 'g';
	assert_false(hs_is_sha256_hex(sha));
	sha[10] = '0';
	sha[63] = '\0';
	assert_false(hs_is_sha256_hex(sha));

	assert_true(hs_str_endswith("a.staging", ".staging"));
	assert_true(hs_str_endswith("x", ""));
	assert_false(hs_str_endswith("ing", ".staging"));
}

static void test_b64_vectors(void **state)
{
	/* RFC 4648, section 10. */
	static const struct {
		const char *plain;
		const char *enc;
	} cases[] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		const size_t n = strlen(cases[i].plain);
		char *enc = hs_b64_encode((const uint8_t *)cases[i].plain, n);
		uint8_t *dec = NULL;
		size_t dn = 99;

		assert_non_null(enc);
		assert_string_equal(enc, cases[i].enc);
		assert_int_equal(hs_b64_decode(enc, strlen(enc), &dec, &dn), 0);
		assert_int_equal(dn, n);
		assert_memory_equal(dec, cases[i].plain, n);
		free(dec);
		free(enc);
	}
}

static void test_b64_round_trip(void **state)
{
	uint8_t buf[300];
	size_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 0xf0);
	for (n = 0; n <= sizeof(buf); n += (n < 10 ? 1 : 29)) {
		char *enc = hs_b64_encode(buf, n);
		uint8_t *dec = NULL;
		size_t dn = 0;

		assert_non_null(enc);
		assert_int_equal(strlen(enc), 4 * ((n + 2) / 3));
		assert_int_equal(hs_b64_decode(enc, strlen(enc), &dec, &dn), 0);
		assert_int_equal(dn, n);
		if (n > 0)
			assert_memory_equal(dec, buf, n);
		free(dec);
		free(enc);
	}
}

static void test_b64_invalid(void **state)
{
	static const struct {
		const char *what;
		const char *s;
		size_t len;
	} cases[] = {
		{"length 1", "Z", 1},
		{"length 3", "Zm9", 3},
		{"length 5", "Zm9vY", 5},
		{"length 6 unpadded", "Zm9vYg", 6},
		{"bad char *", "Zm9*", 4},
		{"bad char space", "Zm 9", 4},
		{"bad char newline", "Zm9v\nZm9v", 9},
		{"trailing newline", "Zm9vYmFy\n\n\n\n", 12},
		{"url-safe -", "ab-d", 4},
		{"url-safe _", "ab_d", 4},
		{"non-ASCII", "Zm9\xc3", 4},
		{"NUL inside", "Zm\0v", 4},
		{"'=' in the middle", "Zg==Zm9v", 8},
		{"'=' inside a quantum", "Z=9v", 4},
		{"'=' second of three", "Zm=v", 4},
		{"three pads", "Z===", 4},
		{"only pads", "====", 4},
		{"pad then data", "Zm8=Zm8=", 8},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		uint8_t *dec = NULL;
		size_t dn = 77;
		const int r =
			hs_b64_decode(cases[i].s, cases[i].len, &dec, &dn);

		if (r != -EBADMSG || dec != NULL || dn != 77)
			tu_report_bad(&bad,
				      "base64 %s: got %d, want -EBADMSG and no "
				      "output",
				      cases[i].what, r);
	}
	assert_int_equal(bad, 0);
}

static void test_time_round_trip(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} cases[] = {
		{"1970-01-01T00:00:00Z", 0},
		{"2000-02-29T12:34:56Z", 951827696},
		{"2026-11-25T08:00:00Z", 1795593600},
		{"2038-01-19T03:14:08Z", 2147483648},
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char out[21];
		int64_t t = 42;

		if (hs_time_parse(cases[i].s, &t) != 0 || t != cases[i].t)
			tu_report_bad(
				&bad,
				"hs_time_parse('%s'): got %lld, want %lld",
				cases[i].s, (long long)t,
				(long long)cases[i].t);
		hs_time_format(cases[i].t, out);
		assert_string_equal(out, cases[i].s);
	}
	assert_int_equal(bad, 0);
}

static const char *const time_rejects[] = {
	"",
	"garbage",
	"2026-11-25",
	"2026-11-25T08:00:00",
	"2026-11-25T08:00:00z",
	"2026-11-25T08:00:00+00:00",
	"2026-11-25T08:00:00+01:00",
	"2026-11-25T08:00:00-05:00",
	"2026-11-25T08:00:00.123Z",
	"2026-11-25 08:00:00Z",
	"2026-11-25T08:00:00Z ",
	"2026-11-25T08:00:00Zx",
	"2026-11-25T08:00:00ZZ",
	" 2026-11-25T08:00:00Z",
	"2026-11-25T08:00Z",
	"2026-13-01T00:00:00Z",
	"2026-00-10T00:00:00Z",
	"2026-11-32T00:00:00Z",
	"2026-11-25T24:00:00Z",
	"2026-11-25T08:60:00Z",
	"26-11-25T08:00:00Z",
};

static void test_time_rejects(void **state)
{
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(time_rejects); i++) {
		int64_t t = 42;
		const int r = hs_time_parse(time_rejects[i], &t);

		if (r != -EINVAL || t != 42)
			tu_report_bad(
				&bad,
				"hs_time_parse('%s'): got %d (t=%lld), want "
				"-EINVAL",
				time_rejects[i], r, (long long)t);
	}
	assert_int_equal(bad, 0);
}

/*
 * Strings of the right length that are not RFC 3339 either: a day that the
 * month does not have, and blanks or a short year inside the numbers.  A
 * time that is accepted must format back to the same string.
 */
static void test_time_rejects_non_canonical(void **state)
{
	static const char *const cases[] = {
		"2026-02-31T00:00:00Z", "2026-04-31T00:00:00Z",
		"2025-02-29T00:00:00Z", "2026- 1-25T08:00:00Z",
		"2026-11- 5T08:00:00Z", "2026-11-25T 8:00:00Z",
		" 026-11-25T08:00:00Z",
	};
	size_t bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		char out[21];
		int64_t t = 42;
		const int r = hs_time_parse(cases[i], &t);

		if (r == 0)
			hs_time_format(t, out);
		if (r != -EINVAL)
			tu_report_bad(
				&bad,
				"hs_time_parse('%s'): got %d (read as '%s'), "
				"want -EINVAL",
				cases[i], r, r == 0 ? out : "");
	}
	assert_int_equal(bad, 0);
}

static void test_read_file(void **state)
{
	const char *dir = *state;
	char *path = tu_path(dir, "ten");
	struct hs_err e;
	char *buf = NULL;
	size_t len = 0;

	tu_write(dir, "ten", "0123456789", 10, 0644);
	hs_err_clear(&e);
	assert_int_equal(hs_read_file(path, 10, &buf, &len, &e), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "0123456789", 11); /* NUL after the data */
	free(buf);
	buf = NULL;

	assert_int_equal(hs_read_file(path, 100, &buf, &len, &e), 0);
	assert_int_equal(len, 10);
	free(buf);
	buf = NULL;

	len = 999;
	assert_int_equal(hs_read_file(path, 9, &buf, &len, &e), -EFBIG);
	assert_int_equal(e.code, -EFBIG);
	assert_non_null(strstr(e.msg, path));
	assert_null(buf);
	assert_int_equal(len, 999);

	tu_write(dir, "empty", "", 0, 0644);
	free(path);
	path = tu_path(dir, "empty");
	assert_int_equal(hs_read_file(path, 0, &buf, &len, &e), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	buf = NULL;

	free(path);
}

static void test_read_file_missing_and_dir(void **state)
{
	const char *dir = *state;
	char *path = tu_path(dir, "missing");
	struct hs_err e;
	char *buf = NULL;
	size_t len = 0;

	hs_err_clear(&e);
	assert_int_equal(hs_read_file(path, 100, &buf, &len, &e), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	assert_non_null(strstr(e.msg, path));
	assert_null(buf);

	/* A directory is not a regular file. */
	assert_int_equal(hs_read_file(dir, 100, &buf, &len, &e), -EINVAL);
	assert_null(buf);

	/* A NULL e still returns the code. */
	assert_int_equal(hs_read_file(path, 100, &buf, &len, NULL), -ENOENT);

	free(path);
}

static void test_write_file_atomic(void **state)
{
	static const struct {
		const char *content;
		unsigned mode;
	} cases[] = {
		{"first version\n", 0640},
		{"second, longer version\n", 0600},
		{"", 0644},
		{"last", 0444},
	};
	const char *dir = *state;
	char *path = tu_path(dir, "out.json");
	const mode_t old_umask = umask(077);
	struct hs_err e;
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		const size_t n = strlen(cases[i].content);
		struct stat st;
		char *back;
		size_t bn;

		hs_err_clear(&e);
		assert_int_equal(hs_write_file_atomic(path, cases[i].content, n,
						      cases[i].mode, &e),
				 0);
		back = tu_read(path, &bn);
		assert_int_equal(bn, n);
		assert_memory_equal(back, cases[i].content, n);
		free(back);
		assert_int_equal(stat(path, &st), 0);
		/* The mode is exact, whatever the umask. */
		assert_int_equal(st.st_mode & 07777, cases[i].mode);
		/* No temporary file is left behind. */
		assert_int_equal(tu_count_entries(dir), 1);
	}
	(void)umask(old_umask);
	free(path);
}

static void test_write_file_atomic_fails(void **state)
{
	const char *dir = *state;
	char *path = tu_path(dir, "no/such/dir/file");
	struct hs_err e;

	hs_err_clear(&e);
	assert_int_equal(hs_write_file_atomic(path, "x", 1, 0644, &e), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	assert_true(strlen(e.msg) > 0);
	free(path);
}

/* The file is replaced whole; a failure names both paths. */
static void test_rename_durable(void **state)
{
	const char *dir = *state;
	char *from = tu_path(dir, "new.tmp");
	char *to = tu_path(dir, "kept");
	struct hs_err e;

	tu_write(dir, "kept", "old", 3, 0644);
	tu_write(dir, "new.tmp", "new", 3, 0644);
	assert_int_equal(hs_rename_durable(from, to, &e), 0);
	tu_assert_file(dir, "kept", "new");
	assert_int_equal(tu_count_entries(dir), 1);
	tu_assert_err(hs_rename_durable(from, to, &e), &e, -ENOENT,
		      "cannot rename '");
	assert_non_null(strstr(e.msg, "new.tmp' to '"));
	tu_assert_file(dir, "kept", "new");
	free(to);
	free(from);
}

static void test_fsync_dir(void **state)
{
	const char *dir = *state;
	char *missing = tu_path(dir, "missing");
	char *file = tu_path(dir, "file");
	struct hs_err e;

	assert_int_equal(hs_fsync_dir(dir, &e), 0);
	tu_assert_err(hs_fsync_dir(missing, &e), &e, -ENOENT, "cannot open '");
	tu_write(dir, "file", "x", 1, 0644);
	tu_assert_err(hs_fsync_dir(file, &e), &e, -ENOTDIR, "cannot open '");
	assert_int_equal(hs_fsync_parent(file, &e), 0);
	tu_assert_err(hs_fsync_parent("/no/such/dir/f", &e), &e, -ENOENT,
		      "cannot open directory of '/no/such/dir/f'");
	free(file);
	free(missing);
}

static void test_err_set_and_prefix(void **state)
{
	struct hs_err e;
	struct hs_err copy;

	(void)state;
	hs_err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.msg, "");
	assert_int_equal(hs_err_set(&e, -EBADMSG, "line %d: bad hash", 3),
			 -EBADMSG);
	assert_string_equal(e.msg, "line 3: bad hash");
	hs_err_prefix(&e, "package '%s': ", "cardreader");
	assert_string_equal(e.msg, "package 'cardreader': line 3: bad hash");
	assert_int_equal(e.code, -EBADMSG);

	assert_int_equal(hs_err_copy(&copy, &e), -EBADMSG);
	assert_int_equal(copy.code, -EBADMSG);
	assert_string_equal(copy.msg, e.msg);

	/* NULL is allowed everywhere; the code is still returned. */
	assert_int_equal(hs_err_set(NULL, -EIO, "dropped"), -EIO);
	hs_err_prefix(NULL, "x: ");
	assert_int_equal(hs_err_copy(NULL, &e), -EBADMSG);
	assert_int_equal(hs_err_copy(&copy, NULL), 0);
}

/* Untrusted text in a message can never fake a line of output. */
static void test_err_control_bytes(void **state)
{
	struct hs_err e;

	(void)state;
	(void)hs_err_set(&e, -EBADMSG, "type '%s'", "x\nUP_TO_DATE\r\x1b[2J");
	assert_string_equal(e.msg, "type 'x?UP_TO_DATE??[2J'");
	hs_err_prefix(&e, "%s: ", "a\tb");
	assert_string_equal(e.msg, "a?b: type 'x?UP_TO_DATE??[2J'");
	(void)hs_err_set(&e, -EBADMSG, "%s", "caf\xc3\xa9 UTF-8 stays");
	assert_string_equal(e.msg, "caf\xc3\xa9 UTF-8 stays");
}

static void test_err_prefix_truncation(void **state)
{
	char body[HS_ERR_MSG_MAX + 100];
	char longhead[HS_ERR_MSG_MAX + 100];
	struct hs_err e;
	size_t n;

	(void)state;
	/* The message fills the buffer: "START" ... "END". */
	memset(body, 'm', sizeof(body));
	memcpy(body, "START", 5);
	body[HS_ERR_MSG_MAX - 1 - 3] = '\0';
	hs_err_clear(&e);
	(void)hs_err_set(&e, -EIO, "%sEND", body);
	assert_int_equal(strlen(e.msg), HS_ERR_MSG_MAX - 1);

	hs_err_prefix(&e, "context '%s': ", "x");
	assert_int_equal(e.code, -EIO);
	n = strlen(e.msg);
	assert_int_equal(n, HS_ERR_MSG_MAX - 1);
	/* The head (prefix and the start of the old message) survives. */
	assert_memory_equal(e.msg, "context 'x': START", 18);
	/* The tail is what was cut. */
	assert_null(strstr(e.msg, "END"));

	/* A prefix longer than the buffer keeps only the prefix's head. */
	memset(longhead, 'p', sizeof(longhead));
	longhead[sizeof(longhead) - 1] = '\0';
	(void)hs_err_set(&e, -EIO, "old");
	hs_err_prefix(&e, "%s", longhead);
	assert_int_equal(e.code, -EIO);
	assert_int_equal(strlen(e.msg), HS_ERR_MSG_MAX - 1);
	assert_int_equal(e.msg[0], 'p');
	assert_null(strstr(e.msg, "old"));
}

/* Cut text never ends inside a character; bad bytes become '?'. */
static void test_utf8(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{"caf\xc3\xa9", "caf\xc3\xa9"},
		{"\xe6\x94\xb9\xe8\xa3\x85", "\xe6\x94\xb9\xe8\xa3\x85"},
		{"ab\xe6\x94", "ab"}, /* cut inside the last character */
		{"a\xff"
		 "b",
		 "a?b"}, /* a byte that starts nothing */
		{"a\xc3(b", "a?(b"}, /* a lead without its follower */
		{"\xc0\xaf", "??"}, /* an overlong '/' */
		{"\xf0\x9f\x98\x80"
		 "!",
		 "\xf0\x9f\x98\x80"
		 "!"}, /* 4 bytes */
	};
	char buf[32];
	char small[6];
	size_t i;

	(void)state;
	for (i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		assert_int_equal(hs_strlcpy(buf, cases[i].in, sizeof(buf)), 0);
		hs_utf8_fix(buf);
		assert_string_equal(buf, cases[i].out);
	}
	/* 7 bytes of two 3-byte characters and "x" into 6: the second
	 * character is cut, so it goes whole. */
	assert_int_equal(
		hs_strlcpy(small, "x\xe6\x94\xb9\xe8\xa3\x85", sizeof(small)),
		-ENAMETOOLONG);
	assert_string_equal(small, "x\xe6\x94\xb9");
}

static void test_short_error(void **state)
{
	struct hs_err e;

	(void)state;
	hs_err_clear(&e);
	assert_int_equal(hs_err_short(&e, 3, 64, "'%s'", "/c/app.sha256"),
			 -ENODATA);
	assert_int_equal(e.code, -ENODATA);
	assert_string_equal(e.msg, "'/c/app.sha256' ended after 3 of 64 bytes");
	assert_int_equal(hs_err_short(&e, 0, 1, "the delta"), -ENODATA);
	assert_string_equal(e.msg, "the delta ended after 0 of 1 bytes");
	assert_int_equal(hs_err_short(NULL, 1, 2, "x"), -ENODATA);
}

/* "0123456789" in dir/f, opened for reading. */
static int ten_bytes(const char *dir, char **ret_path)
{
	int fd;

	tu_write(dir, "f", "0123456789", 10, 0644);
	*ret_path = tu_path(dir, "f");
	fd = open(*ret_path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void test_pread_full(void **state)
{
	const char *dir = *state;
	char buf[16];
	char want[600];
	struct hs_err e;
	char *path;
	int fd;

	fd = ten_bytes(dir, &path);
	hs_err_clear(&e);
	assert_int_equal(hs_pread_full(fd, buf, 4, 3, path, &e), 0);
	assert_memory_equal(buf, "3456", 4);
	assert_int_equal(hs_pread_full(fd, buf, 10, 0, path, &e), 0);
	assert_int_equal(hs_pread_full(fd, buf, 0, 10, path, &e), 0);
	/* Short: the sizes are counted from the file's start. */
	assert_int_equal(hs_pread_full(fd, buf, 8, 6, path, &e), -ENODATA);
	(void)snprintf(want, sizeof(want), "'%s' ended after 10 of 14 bytes",
		       path);
	assert_string_equal(e.msg, want);
	assert_int_equal(hs_pread_full(fd, buf, 1, 10, path, &e), -ENODATA);
	(void)close(fd);
	free(path);
}

/* An I/O error keeps its errno: it is not a short file. */
static void test_pread_error_is_not_short(void **state)
{
	const char *dir = *state;
	char buf[4];
	struct hs_err e;
	char *path;
	int fd;

	fd = ten_bytes(dir, &path);
	(void)close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(hs_pread_full(fd, buf, 4, 0, dir, &e), -EISDIR);
	assert_non_null(strstr(e.msg, "cannot read '"));
	(void)close(fd);
	assert_int_equal(hs_pread_full(-1, buf, 4, 0, path, &e), -EBADF);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strlcpy),
		cmocka_unit_test(test_strlcpy_size_zero),
		cmocka_unit_test(test_snprintf),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_u64_small_max),
		cmocka_unit_test(test_hex_and_sha256),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_invalid),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_time_rejects),
		cmocka_unit_test(test_time_rejects_non_canonical),
		tu_dir_test(test_read_file),
		tu_dir_test(test_read_file_missing_and_dir),
		cmocka_unit_test(test_short_error),
		tu_dir_test(test_pread_full),
		tu_dir_test(test_pread_error_is_not_short),
		tu_dir_test(test_write_file_atomic),
		tu_dir_test(test_write_file_atomic_fails),
		tu_dir_test(test_rename_durable),
		tu_dir_test(test_fsync_dir),
		cmocka_unit_test(test_err_set_and_prefix),
		cmocka_unit_test(test_err_prefix_truncation),
		cmocka_unit_test(test_err_control_bytes),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
