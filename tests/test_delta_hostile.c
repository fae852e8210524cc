/*
 * test_delta_hostile.c - deltas that must be refused: every flipped byte
 * and every truncation of a real delta, a flipped byte in each compressed
 * sufdiff stream, a damaged header, and a table of hand-made hostile
 * sufdiff deltas (seeks and reads outside the base, lengths past the
 * result, huge declared sizes, streams that disagree).  Each is refused
 * with -EBADMSG and a message naming the fault.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deltautil.h"
#include "hash.h"
#include "hs_limits.h"

/*
 * Every byte of a delta flipped (two ways), and every truncation: refused
 * with -EBADMSG, or (a flip that changes nothing that matters) the right
 * result.  Under ASan this is the corrupt-input test.
 */
static void check_corruptions(const struct blob *d, const struct blob *b,
			      const struct blob *r)
{
	static const uint8_t flips[] = {0x01, 0x80};
	size_t refused = 0;
	size_t bad = 0;
	struct hs_err e;

	for (size_t i = 0; i < d->n; i++) {
		for (size_t f = 0; f < sizeof(flips); f++) {
			struct blob out = {NULL, 0};
			int rc;

			d->p[i] ^= flips[f];
			rc = dt_apply(d, b, &out, &e);
			d->p[i] ^= flips[f];
			/* A flip in the base's size or SHA-256 names a
			 * base the delta was not made from: -ESTALE. */
			if ((rc == -EBADMSG || rc == -ESTALE) &&
			    e.msg[0] != '\0')
				refused++;
			else if (rc != 0 || !blob_eq(&out, r))
				tu_report_bad(&bad, "flip %zu^%02x: %d %s", i,
					      flips[f], rc, e.msg);
			blob_free(&out);
		}
	}
	for (size_t n = 0; n < d->n; n++) {
		const struct blob cut = {d->p, n};

		if (dt_apply(&cut, b, NULL, &e) != -EBADMSG)
			tu_report_bad(&bad, "cut at %zu: %s", n, e.msg);
	}
	assert_int_equal(bad, 0);
	assert_true(refused + 8 >= 2 * d->n);
}

static void test_corrupt(void **state)
{
	struct blob b = gen_text(300, 60);
	struct blob r = edit_text(&b, 61);

	(void)state;
	blob_put(&r, "tail of new material 0123456789", 31);
	for (int m = DELTA_ZSTD; m <= DELTA_SUFDIFF; m++) {
		struct blob d = dt_make(m, &b, &r);

		print_message("%s delta of %zu bytes\n", delta_method_name(m),
			      d.n);
		check_corruptions(&d, &b, &r);
		blob_free(&d);
	}
	blob_free(&b);
	blob_free(&r);
}

/* A flipped byte in the middle of each compressed stream of sufdiff. */
static void test_corrupt_streams(void **state)
{
	struct blob b = gen_random(100000, 70);
	struct blob r = edit_binary(&b, 71);
	struct blob d;
	size_t off = SD_HEAD_END;
	struct hs_err e;

	(void)state;
	d = dt_make(DELTA_SUFDIFF, &b, &r);
	for (int i = 0; i < 3; i++) {
		const uint8_t *h = d.p + OFF_STREAM(i);
		uint64_t comp = 0;

		for (int k = 7; k >= 0; k--)
			comp = comp << 8 | h[1 + k];
		print_message("stream %d: codec %u, %llu bytes\n", i, h[0],
			      (unsigned long long)comp);
		assert_true(off + comp <= d.n);
		if (comp == 0)
			continue;
		d.p[off + comp / 2] ^= 0x10;
		tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, -EBADMSG,
			      "delta: ");
		d.p[off + comp / 2] ^= 0x10;
		off += comp;
	}
	assert_int_equal(off, d.n);
	tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, 0, "");
	blob_free(&d);
	blob_free(&b);
	blob_free(&r);
}

static void test_bad_header(void **state)
{
	struct blob b = gen_text(100, 80);
	struct blob r = edit_text(&b, 81);
	struct blob d = dt_make(DELTA_ZSTD, &b, &r);
	struct blob longer = {NULL, 0};
	struct delta_info info;
	struct hs_err e;
	int fd;

	(void)state;
	d.p[0] ^= 0x20;
	tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, -EBADMSG, "bad magic");
	fd = dt_memfd(d.p, d.n);
	tu_assert_err(delta_read_info(fd, &info, &e), &e, -EBADMSG,
		      "bad magic");
	(void)close(fd);
	d.p[0] ^= 0x20;
	d.p[OFF_METHOD] = 3;
	tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "unknown method 3");
	d.p[OFF_METHOD] = DELTA_ZSTD;
	put_u64(d.p + OFF_RESULT_SIZE, HS_PACKAGE_MAX_BYTES + 1);
	tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "declared result size");
	put_u64(d.p + OFF_RESULT_SIZE, r.n + 1);
	tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "does not declare the header's result size");
	put_u64(d.p + OFF_RESULT_SIZE, r.n);
	put_u64(d.p + OFF_BASE_SIZE, HS_PACKAGE_MAX_BYTES + 1);
	tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, -EBADMSG,
		      "declared base size");
	put_u64(d.p + OFF_BASE_SIZE, b.n);
	blob_put(&longer, d.p, d.n);
	blob_byte(&longer, 0);
	tu_assert_err(dt_apply(&longer, &b, NULL, &e), &e, -EBADMSG,
		      "bytes after its frame");
	tu_assert_err(dt_apply(&d, &b, NULL, &e), &e, 0, "");
	blob_free(&longer);
	blob_free(&d);
	blob_free(&b);
	blob_free(&r);
}

/* Stream of a hand-made sufdiff delta: stored raw unless codec is set. */
struct hstream {
	uint8_t codec;
	struct blob bytes;
	uint64_t raw_len; /* 0: bytes.n */
};

/* The base and result every hostile delta claims. */
static const char hostile_base[] = "0123456789abcdef0123456789abcdef"
				   "0123456789abcdef0123456789abcdef";
static const char hostile_result[] = "0123456789ABCDEF";

static void sha_raw(const void *p, size_t n, uint8_t out[32])
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct hs_err e;

	assert_int_equal(hash_buf(p, n, hex, &e), 0);
	for (int i = 0; i < 32; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static struct blob hostile_build(uint8_t form, struct hstream s[3])
{
	struct blob d = {NULL, 0};
	uint8_t h[HDR_SIZE];

	memcpy(h, "HSDELTA1", 8);
	h[OFF_METHOD] = DELTA_SUFDIFF;
	put_u64(h + OFF_BASE_SIZE, sizeof(hostile_base) - 1);
	sha_raw(hostile_base, sizeof(hostile_base) - 1, h + 17);
	put_u64(h + OFF_RESULT_SIZE, sizeof(hostile_result) - 1);
	sha_raw(hostile_result, sizeof(hostile_result) - 1, h + 57);
	blob_put(&d, h, sizeof(h));
	blob_byte(&d, form);
	for (int i = 0; i < 3; i++) {
		uint8_t sh[17];

		sh[0] = s[i].codec;
		put_u64(sh + 1, s[i].bytes.n);
		put_u64(sh + 9,
			s[i].raw_len != 0 ? s[i].raw_len : s[i].bytes.n);
		blob_put(&d, sh, sizeof(sh));
	}
	for (int i = 0; i < 3; i++)
		blob_put(&d, s[i].bytes.p, s[i].bytes.n);
	return d;
}

/* One row: the control entries and streams, and the expected message. */
struct hostile {
	const char *name;
	uint8_t form;
	int64_t first; /* the first base offset */
	uint64_t ents[4][3]; /* add, extra, seek (zigzag applied): 0 ends */
	size_t n_ents;
	size_t diff_n; /* zero difference bytes (dense) */
	size_t extra_n; /* extra bytes */
	const char *sparse; /* sparse difference stream bytes, or NULL */
	size_t sparse_n;
	uint8_t ctrl_codec;
	const char *ctrl_raw; /* control bytes as given, or NULL */
	size_t ctrl_raw_n;
	int patch; /* see hostile_patch() */
	const char *want;
};

enum {
	P_NONE,
	P_HUGE_RESULT,
	P_OVER_LIMIT,
	P_CTRL_PAST_END,
	P_TRAILING,
	P_RAW_MISMATCH,
	P_FORM,
	P_CODEC,
};

static void hostile_patch(struct blob *d, int patch)
{
	switch (patch) {
	case P_HUGE_RESULT:
		put_u64(d->p + OFF_RESULT_SIZE, HS_PACKAGE_MAX_BYTES);
		break;
	case P_OVER_LIMIT:
		put_u64(d->p + OFF_RESULT_SIZE, HS_PACKAGE_MAX_BYTES + 1);
		break;
	case P_CTRL_PAST_END:
		put_u64(d->p + OFF_STREAM(0) + 1, d->n);
		put_u64(d->p + OFF_STREAM(0) + 9, d->n);
		break;
	case P_TRAILING:
		blob_byte(d, 0);
		break;
	case P_RAW_MISMATCH:
		put_u64(d->p + OFF_STREAM(2) + 9, 1);
		break;
	case P_FORM:
		d->p[OFF_FORM] = 5;
		break;
	case P_CODEC:
		d->p[OFF_STREAM(1)] = 7;
		break;
	default:
		break;
	}
}

/* clang-format off */
static const struct hostile hostiles[] = {
	{"first seek past the base", 0, 100, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "seeks outside the base"},
	{"negative first seek", 0, -1, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "seeks outside the base"},
	{"seek before the base", 0, 0, {{8, 0, 1 + 2 * 20}, {8, 0, 0}}, 2,
	 16, 0, NULL, 0, 0, NULL, 0, P_NONE, "entry 1 seeks outside the base"},
	{"add reads past the base", 0, 60, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "entry 1 reads outside the base"},
	{"add past the result", 0, 0, {{32, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "add of 32 bytes goes past the result"},
	{"extra past the result", 0, 0, {{8, 16, 0}}, 1, 8, 8, NULL, 0,
	 0, NULL, 0, P_NONE, "extra of 16 bytes goes past the result"},
	{"entry making nothing", 0, 0, {{0, 0, 0}, {16, 0, 0}}, 2, 16, 0,
	 NULL, 0, 0, NULL, 0, P_NONE, "entry 1 makes no bytes"},
	{"control after the last entry", 0, 0, {{16, 0, 0}, {1, 0, 0}}, 2, 16,
	 0, NULL, 0, 0, NULL, 0, P_NONE, "after the last entry"},
	{"control ends inside an entry", 0, 0, {{0}}, 0, 16, 0, NULL, 0,
	 0, "\x00\x10", 2, P_NONE, "control stream ends inside a number"},
	{"control number too large", 0, 0, {{0}}, 0, 16, 0, NULL, 0, 0,
	 "\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, P_NONE,
	 "number too large"},
	{"streams disagree with the result", 0, 0, {{16, 0, 0}}, 1, 10, 10,
	 NULL, 0, 0, NULL, 0, P_NONE, "difference and extra streams declare"},
	{"difference stream too short", 0, 0, {{16, 0, 0}}, 1, 8, 8,
	 NULL, 0, 0, NULL, 0, P_NONE, "more than the difference stream"},
	{"extra stream unused", 1, 0, {{16, 0, 0}}, 1, 0, 8, NULL, 0,
	 0, NULL, 0, P_NONE, "extra stream has 8 bytes the control does not use"},
	{"huge declared result", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_HUGE_RESULT, "difference and extra streams declare"},
	{"result over the limit", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_OVER_LIMIT, "declared result size 4294967297 exceeds"},
	{"stream past the end", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_CTRL_PAST_END, "control stream is truncated"},
	{"bytes after the streams", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_TRAILING, "1 bytes after its streams"},
	{"raw lengths disagree", 0, 0, {{8, 8, 0}}, 1, 8, 8, NULL, 0,
	 0, NULL, 0, P_RAW_MISMATCH, "raw extra stream stores 8 bytes"},
	{"unknown form", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_FORM, "unknown difference form 5"},
	{"unknown codec", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_CODEC, "difference stream: unknown codec 7"},
	{"sparse run past the adds", 1, 0, {{8, 8, 0}}, 1, 0, 8,
	 "\x0c\x05", 2, 0, NULL, 0, P_NONE, "describes bytes past the last add"},
	{"sparse pair past the adds", 1, 0, {{16, 0, 0}}, 1, 0, 0,
	 "\x10\x05", 2, 0, NULL, 0, P_NONE, "describes bytes past the last add"},
	{"sparse zero value", 1, 0, {{16, 0, 0}}, 1, 0, 0,
	 "\x00\x00", 2, 0, NULL, 0, P_NONE, "zero value in sparse form"},
	{"sparse huge run", 1, 0, {{16, 0, 0}}, 1, 0, 0,
	 "\xff\xff\xff\xff\x0f\x05", 6, 0, NULL, 0, P_NONE, "run of"},
	{"LZMA2 dictionary too large", 0, 0, {{0}}, 0, 16, 0, NULL, 0,
	 2, "\x28\x00", 2, P_NONE, "LZMA2 dictionary over"},
	{"corrupt zstd control", 0, 0, {{0}}, 0, 16, 0, NULL, 0,
	 1, "\x28\xb5\x2f\xfd\x00\x00\x00", 7, P_NONE, "control stream"},
	{"wrong result", 0, 0, {{16, 0, 0}}, 1, 16, 0, NULL, 0,
	 0, NULL, 0, P_NONE, "result does not match"},
};
/* clang-format on */

static struct blob hostile_delta(const struct hostile *h)
{
	struct hstream s[3] = {
		{0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}};
	struct blob d;

	s[0].codec = h->ctrl_codec;
	if (h->ctrl_raw != NULL) {
		blob_put(&s[0].bytes, h->ctrl_raw, h->ctrl_raw_n);
	} else {
		blob_varint(&s[0].bytes, zigzag(h->first));
		for (size_t i = 0; i < h->n_ents; i++)
			for (int k = 0; k < 3; k++)
				blob_varint(&s[0].bytes, h->ents[i][k]);
	}
	if (h->sparse != NULL)
		blob_put(&s[1].bytes, h->sparse, h->sparse_n);
	for (size_t i = 0; i < h->diff_n; i++)
		blob_byte(&s[1].bytes, 0);
	for (size_t i = 0; i < h->extra_n; i++)
		blob_byte(&s[2].bytes, 'x');
	if (h->ctrl_codec != 0)
		s[0].raw_len = 16;
	d = hostile_build(h->form, s);
	hostile_patch(&d, h->patch);
	for (int i = 0; i < 3; i++)
		blob_free(&s[i].bytes);
	return d;
}

static void test_hostile(void **state)
{
	const struct blob base = {(uint8_t *)hostile_base,
				  sizeof(hostile_base) - 1};
	size_t bad = 0;
	struct hs_err e;

	(void)state;
	for (size_t i = 0; i < TU_ARRAY_SIZE(hostiles); i++) {
		struct blob d = hostile_delta(&hostiles[i]);
		const int r = dt_apply(&d, &base, NULL, &e);

		(void)tu_check_err(&bad, hostiles[i].name, r, &e, -EBADMSG,
				   hostiles[i].want);
		blob_free(&d);
	}
	assert_int_equal(bad, 0);
}

/* The same hand-made layout, correct, applies: the table tests the checks. */
static void test_hostile_baseline(void **state)
{
	const struct blob base = {(uint8_t *)hostile_base,
				  sizeof(hostile_base) - 1};
	struct hstream s[3] = {
		{0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}, {0, {NULL, 0}, 0}};
	struct blob out = {NULL, 0};
	struct hs_err e;
	struct blob d;

	(void)state;
	/* 10 bytes from offset 0, then "ABCDEF" as 'A'-'a' over "abcdef". */
	blob_varint(&s[0].bytes, zigzag(0));
	blob_varint(&s[0].bytes, 16);
	blob_varint(&s[0].bytes, 0);
	blob_varint(&s[0].bytes, 0);
	for (int i = 0; i < 6; i++) {
		blob_varint(&s[1].bytes, i == 0 ? 10 : 0);
		blob_byte(&s[1].bytes, (uint8_t)('A' - 'a'));
	}
	d = hostile_build(1, s);
	tu_assert_err(dt_apply(&d, &base, &out, &e), &e, 0, "");
	assert_int_equal(out.n, 16);
	assert_memory_equal(out.p, hostile_result, 16);
	blob_free(&out);
	blob_free(&d);
	for (int i = 0; i < 3; i++)
		blob_free(&s[i].bytes);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_corrupt_streams),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_hostile_baseline),
		cmocka_unit_test(test_hostile),
	};

	if (argc >
	    1) /* test_delta_hostile NAME: only the tests matching NAME */
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
