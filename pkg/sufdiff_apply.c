/*
 * sufdiff_apply.c - applying a sufdiff delta (sufdiff.c makes them).
 *
 * The three stream headers are checked against each other, the delta's size
 * and the result's size before any stream is read.  Then the control entries
 * are followed one by one, every length checked before it is used: an add
 * must stay inside the result and inside the base, an extra inside the
 * result, and every seek must land inside the base.  A sparse difference
 * stream (sufdiff.c) is expanded as it is read.  The streams are decoded
 * incrementally (delta_stream.c) and the result goes out through one buffer
 * of DELTA_IO_BUF bytes, hashed on the way.  Memory: the base mapped, three
 * stream readers (each a decoder window of at most DS_WINDOW_MAX, bounded
 * further by the stream's own length) and the output buffer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "delta_int.h"

enum { SD_CTRL, SD_DIFF, SD_EXTRA, SD_NSTREAMS };

static const char *const sd_names[SD_NSTREAMS] = {"control", "difference",
						  "extra"};

/* Three varints of at most 10 bytes per entry, each entry making a byte. */
#define SD_CTRL_MAX(result) (10 + 30 * (result))
/* A varint and a byte per nonzero difference byte. */
#define SD_SPARSE_MAX(result) (11 * (result))

/* The form byte and the three stream headers follow the delta's header. */
#define SD_HEAD_END (DELTA_HDR_SIZE + 1 + SD_NSTREAMS * DS_HDR_SIZE)

struct sd_apply {
	const struct delta_map *base;
	uint64_t result_size;
	struct ds_reader *s[SD_NSTREAMS];
	int out_fd;
	struct hash *hash;
	uint64_t made; /* result bytes made so far */
	uint64_t cursor; /* the base offset of the next add */
	uint64_t entry; /* the control entry being applied, from 1 */
	bool sparse; /* the difference stream's form */
	uint64_t zeros; /* sparse: zeros before the pending value */
	bool have_value; /* sparse: value is pending */
	bool tail; /* sparse: the stream ended, the rest is zeros */
	uint8_t value;
	size_t n; /* bytes in buf */
	uint8_t buf[DELTA_IO_BUF];
};

static int sd_hdrs_check(const struct delta_hdr *h, const struct ds_hdr sh[],
			 bool sparse, uint64_t delta_size, struct hs_err *e)
{
	const uint64_t payload = delta_size - SD_HEAD_END;
	uint64_t sum = 0;

	for (int i = 0; i < SD_NSTREAMS; i++) {
		if (sh[i].codec > DS_LZMA2)
			return hs_err_set(e, -EBADMSG,
					  "delta: %s stream: unknown codec %u",
					  sd_names[i], sh[i].codec);
		if (sh[i].codec == DS_RAW && sh[i].comp_len != sh[i].raw_len)
			return hs_err_set(e, -EBADMSG,
					  "delta: raw %s stream stores %" PRIu64
					  " bytes but declares %" PRIu64,
					  sd_names[i], sh[i].comp_len,
					  sh[i].raw_len);
		if (sh[i].comp_len > payload - sum)
			return hs_err_set(
				e, -EBADMSG,
				"delta: %s stream is truncated: %" PRIu64
				" bytes declared, %" PRIu64 " left",
				sd_names[i], sh[i].comp_len, payload - sum);
		sum += sh[i].comp_len;
	}
	if (sum != payload)
		return hs_err_set(e, -EBADMSG,
				  "delta: %" PRIu64 " bytes after its streams",
				  payload - sum);
	if (sparse && (sh[SD_EXTRA].raw_len > h->result_size ||
		       sh[SD_DIFF].raw_len > SD_SPARSE_MAX(h->result_size)))
		return hs_err_set(
			e, -EBADMSG,
			"delta: difference and extra streams declare %" PRIu64
			" and %" PRIu64 " bytes for a result of %" PRIu64,
			sh[SD_DIFF].raw_len, sh[SD_EXTRA].raw_len,
			h->result_size);
	if (!sparse &&
	    (sh[SD_DIFF].raw_len > h->result_size ||
	     sh[SD_EXTRA].raw_len != h->result_size - sh[SD_DIFF].raw_len))
		return hs_err_set(
			e, -EBADMSG,
			"delta: difference and extra streams declare %" PRIu64
			" + %" PRIu64 " bytes for a result of %" PRIu64,
			sh[SD_DIFF].raw_len, sh[SD_EXTRA].raw_len,
			h->result_size);
	if (sh[SD_CTRL].raw_len > SD_CTRL_MAX(h->result_size))
		return hs_err_set(e, -EBADMSG,
				  "delta: control stream declares %" PRIu64
				  " bytes, more than a result of %" PRIu64
				  " can need",
				  sh[SD_CTRL].raw_len, h->result_size);
	return 0;
}

static int sd_flush_out(struct sd_apply *a, struct hs_err *e)
{
	int r;

	r = hash_update(a->hash, a->buf, a->n, e);
	if (r == 0)
		r = delta_write_all(a->out_fd, a->buf, a->n, "output", e);
	a->n = 0;
	return r;
}

/*
 * Reads one varint of stream i; returns 1, or 0 when at_end and the stream
 * ended cleanly before it.
 */
static int sd_varint(struct sd_apply *a, int i, bool at_end, uint64_t *ret,
		     struct hs_err *e)
{
	uint64_t v = 0;
	uint8_t c;
	int r;

	for (int shift = 0; shift < 70; shift += 7) {
		r = ds_read_byte(a->s[i], &c, e);
		if (r < 0)
			return r;
		if (r == 0 && at_end && shift == 0)
			return 0;
		if (r == 0)
			return hs_err_set(
				e, -EBADMSG,
				"delta: %s stream ends inside a number (entry %" PRIu64
				")",
				sd_names[i], a->entry);
		if (shift == 63 && c > 1)
			break;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80) {
			*ret = v;
			return 1;
		}
	}
	return hs_err_set(e, -EBADMSG,
			  "delta: %s stream: number too large (entry %" PRIu64
			  ")",
			  sd_names[i], a->entry);
}

/* The next (zeros, value) pair of a sparse difference stream. */
static int sd_sparse_next(struct sd_apply *a, struct hs_err *e)
{
	uint64_t gap = 0;
	int r;

	r = sd_varint(a, SD_DIFF, true, &gap, e);
	if (r <= 0) {
		a->tail = r == 0;
		a->zeros = r == 0 ? UINT64_MAX : 0;
		return r;
	}
	if (gap > a->result_size)
		return hs_err_set(e, -EBADMSG,
				  "delta: difference stream: run of %" PRIu64
				  " zeros in a result of %" PRIu64,
				  gap, a->result_size);
	r = ds_read(a->s[SD_DIFF], &a->value, 1, e);
	if (r < 0)
		return r;
	if (a->value == 0)
		return hs_err_set(
			e, -EBADMSG,
			"delta: difference stream: zero value in sparse form");
	a->zeros = gap;
	a->have_value = true;
	return 0;
}

/* n difference bytes, from whichever form the stream has. */
static int sd_diff_read(struct sd_apply *a, uint8_t *p, size_t n,
			struct hs_err *e)
{
	int r;

	if (!a->sparse)
		return ds_read(a->s[SD_DIFF], p, n, e);
	while (n > 0) {
		if (a->zeros > 0) {
			const size_t k = a->zeros < n ? (size_t)a->zeros : n;

			memset(p, 0, k);
			a->zeros -= a->tail ? 0 : k;
			p += k;
			n -= k;
		} else if (a->have_value) {
			*p++ = a->value;
			n--;
			a->have_value = false;
		} else {
			r = sd_sparse_next(a, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* A sparse stream must describe no byte beyond the last add. */
static int sd_sparse_finish(struct sd_apply *a, struct hs_err *e)
{
	int r = 0;

	if (!a->sparse || a->tail)
		return 0;
	if (a->zeros == 0 && !a->have_value)
		r = sd_sparse_next(a, e);
	if (r < 0)
		return r;
	if (!a->tail)
		return hs_err_set(
			e, -EBADMSG,
			"delta: difference stream describes bytes past the last add");
	return 0;
}

/* Moves the base cursor by a zigzag-encoded seek; it must stay in the base. */
static int sd_seek(struct sd_apply *a, uint64_t zz, struct hs_err *e)
{
	const uint64_t mag = zz >> 1;
	uint64_t to;

	if ((zz & 1) == 0 && mag <= a->base->n - a->cursor) {
		a->cursor += mag;
		return 0;
	}
	if ((zz & 1) != 0 && mag < a->cursor) {
		a->cursor -= mag + 1;
		return 0;
	}
	to = (zz & 1) != 0 ? mag + 1 : mag;
	return hs_err_set(e, -EBADMSG,
			  "delta: control entry %" PRIu64
			  " seeks outside the base (%s%" PRIu64
			  " from offset %" PRIu64 ", base of %zu bytes)",
			  a->entry, (zz & 1) != 0 ? "-" : "+", to, a->cursor,
			  a->base->n);
}

/* n bytes of base + difference, from the cursor. */
static int sd_add(struct sd_apply *a, uint64_t n, struct hs_err *e)
{
	const uint8_t *b;
	int r;

	if (n == 0)
		return 0;
	b = a->base->p + a->cursor;
	while (n > 0) {
		size_t k = sizeof(a->buf) - a->n;

		if (k > n)
			k = (size_t)n;
		r = sd_diff_read(a, a->buf + a->n, k, e);
		if (r < 0)
			return r;
		for (size_t i = 0; i < k; i++)
			a->buf[a->n + i] += b[i];
		a->n += k;
		b += k;
		n -= k;
		if (a->n == sizeof(a->buf)) {
			r = sd_flush_out(a, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* n bytes copied from the extra stream. */
static int sd_extra(struct sd_apply *a, uint64_t n, struct hs_err *e)
{
	int r;

	while (n > 0) {
		size_t k = sizeof(a->buf) - a->n;

		if (k > n)
			k = (size_t)n;
		r = ds_read(a->s[SD_EXTRA], a->buf + a->n, k, e);
		if (r < 0)
			return r;
		a->n += k;
		n -= k;
		if (a->n == sizeof(a->buf)) {
			r = sd_flush_out(a, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Checks one entry's lengths against the result and the base. */
static int sd_entry_check(const struct sd_apply *a, uint64_t add,
			  uint64_t extra, struct hs_err *e)
{
	const uint64_t room = a->result_size - a->made;

	if (add == 0 && extra == 0)
		return hs_err_set(e, -EBADMSG,
				  "delta: control entry %" PRIu64
				  " makes no bytes",
				  a->entry);
	if (add > room)
		return hs_err_set(e, -EBADMSG,
				  "delta: control entry %" PRIu64
				  ": add of %" PRIu64
				  " bytes goes past the result's %" PRIu64,
				  a->entry, add, a->result_size);
	if (add > a->base->n - a->cursor)
		return hs_err_set(e, -EBADMSG,
				  "delta: control entry %" PRIu64
				  " reads outside the base (%" PRIu64
				  " bytes at offset %" PRIu64
				  ", base of %zu bytes)",
				  a->entry, add, a->cursor, a->base->n);
	if (extra > room - add)
		return hs_err_set(e, -EBADMSG,
				  "delta: control entry %" PRIu64
				  ": extra of %" PRIu64
				  " bytes goes past the result's %" PRIu64,
				  a->entry, extra, a->result_size);
	return 0;
}

static int sd_entries(struct sd_apply *a, struct hs_err *e)
{
	uint64_t v[3];
	int r;

	r = sd_varint(a, SD_CTRL, false, &v[2], e);
	if (r < 0)
		return r;
	r = sd_seek(a, v[2], e);
	while (r == 0 && a->made < a->result_size) {
		a->entry++;
		for (int i = 0; i < 3 && r >= 0; i++)
			r = sd_varint(a, SD_CTRL, false, &v[i], e);
		if (r >= 0)
			r = sd_entry_check(a, v[0], v[1], e);
		if (r >= 0)
			r = sd_add(a, v[0], e);
		if (r >= 0)
			r = sd_extra(a, v[1], e);
		if (r < 0)
			return r;
		a->made += v[0] + v[1];
		a->cursor += v[0];
		r = sd_seek(a, v[2], e);
	}
	if (r < 0)
		return r;
	r = sd_varint(a, SD_CTRL, true, &v[0], e);
	if (r != 0)
		return r < 0 ? r
			     : hs_err_set(
				       e, -EBADMSG,
				       "delta: control stream has bytes after the last entry");
	return 0;
}

static int sd_open_streams(struct sd_apply *a, int delta_fd,
			   const struct delta_hdr *h, uint64_t delta_size,
			   struct hs_err *e)
{
	uint8_t p[SD_HEAD_END - DELTA_HDR_SIZE];
	struct ds_hdr sh[SD_NSTREAMS];
	uint64_t off = SD_HEAD_END;
	size_t n;
	int r;

	r = delta_pread(delta_fd, p, sizeof(p), DELTA_HDR_SIZE, &n, e);
	if (r < 0)
		return r;
	if (n != sizeof(p) || delta_size < off)
		return hs_err_set(e, -EBADMSG,
				  "delta: truncated in its stream headers");
	if (p[0] != SUFDIFF_DENSE && p[0] != SUFDIFF_SPARSE)
		return hs_err_set(e, -EBADMSG,
				  "delta: unknown difference form %u", p[0]);
	a->sparse = p[0] == SUFDIFF_SPARSE;
	for (int i = 0; i < SD_NSTREAMS; i++)
		ds_hdr_get(p + 1 + i * DS_HDR_SIZE, &sh[i]);
	r = sd_hdrs_check(h, sh, a->sparse, delta_size, e);
	for (int i = 0; i < SD_NSTREAMS && r == 0; i++) {
		r = ds_reader_new(delta_fd, off, &sh[i], sd_names[i], &a->s[i],
				  e);
		off += sh[i].comp_len;
	}
	return r;
}

int sufdiff_apply(const struct delta_hdr *h, int delta_fd, uint64_t delta_size,
		  const struct delta_map *base, int out_fd,
		  char ret_hex[static HASH_SHA256_HEX_LEN + 1],
		  struct hs_err *e)
{
	struct sd_apply *a;
	int r;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return hs_err_set(e, -ENOMEM, "delta: out of memory");
	a->base = base;
	a->result_size = h->result_size;
	a->out_fd = out_fd;
	r = sd_open_streams(a, delta_fd, h, delta_size, e);
	if (r == 0)
		r = hash_new(&a->hash, e);
	if (r == 0)
		r = sd_entries(a, e);
	if (r == 0)
		r = sd_sparse_finish(a, e);
	for (int i = 0; i < SD_NSTREAMS && r == 0; i++)
		r = ds_reader_finish(a->s[i], e);
	if (r == 0)
		r = sd_flush_out(a, e);
	if (r == 0)
		r = hash_final_hex(a->hash, ret_hex, e);
	for (int i = 0; i < SD_NSTREAMS; i++)
		ds_reader_free(a->s[i]);
	hash_free(a->hash);
	free(a);
	return r;
}
