/*
 * sufdiff.c - making a sufdiff delta: the algorithm of bsdiff as Colin
 * Percival published it ("Naive differences of executable code", 2003),
 * written here from that description.
 *
 * A suffix array of the base (libdivsufsort) finds, for each position of the
 * result, the longest exact match in the base.  The scan does not stop at
 * every exact match: it extends the current alignment (base offset minus
 * result offset) for as long as that alignment still agrees with the result
 * about as well as a new match would, so that an executable whose addresses
 * all moved by a constant is covered by a few long approximate matches.
 * Each region then becomes one control entry:
 *
 *   add    bytes rebuilt as base byte + difference byte (the difference
 *          stream: mostly zeros, which compress to almost nothing);
 *   extra  bytes copied from the extra stream (new material);
 *   seek   how far the base cursor moves before the next entry.
 *
 * The control stream is a zigzag varint (the first base offset) then three
 * varints per entry (add, extra, zigzag seek); an entry never makes zero
 * bytes (a seek alone is folded into the previous one), and the last seek is
 * 0.  The difference stream is dense (one byte per added byte) or sparse
 * (sd_sparse()), whichever compresses smaller.  docs/delta.md has the bytes.  Memory: the base and the result mapped,
 * 4 bytes of suffix array per base byte, the three streams (about the
 * result's size), and the compressors (delta_stream.c).
 */
#include <divsufsort.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "delta_int.h"

/* Bytes the approximate extension may trail the exact match by. */
#define SD_SLACK 8

struct sd_in {
	const uint8_t *old;
	size_t oldn;
	const uint8_t *new;
	size_t newn;
	const saidx_t *sa;
};

/* The three streams being built, and the entry not yet written. */
struct sd_out {
	struct ds_buf ctrl;
	struct ds_buf diff;
	struct ds_buf extra;
	bool started; /* false: only the first base offset is pending */
	uint64_t add;
	uint64_t extra_n;
	int64_t seek;
};

static int sd_put_varint(struct ds_buf *b, uint64_t v, struct hs_err *e)
{
	uint8_t p[10];
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return ds_buf_put(b, p, n, e);
}

static uint64_t sd_zigzag(int64_t v)
{
	return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

/* Writes the pending entry (or the first offset) with the given seek. */
static int sd_flush(struct sd_out *o, int64_t seek, struct hs_err *e)
{
	int r;

	if (!o->started)
		return sd_put_varint(&o->ctrl, sd_zigzag(seek), e);
	r = sd_put_varint(&o->ctrl, o->add, e);
	if (r == 0)
		r = sd_put_varint(&o->ctrl, o->extra_n, e);
	if (r == 0)
		r = sd_put_varint(&o->ctrl, sd_zigzag(seek), e);
	return r;
}

static int sd_entry(struct sd_out *o, uint64_t add, uint64_t extra_n,
		    int64_t seek, struct hs_err *e)
{
	int r;

	if (add == 0 && extra_n == 0) {
		o->seek += seek;
		return 0;
	}
	r = sd_flush(o, o->seek, e);
	if (r < 0)
		return r;
	o->started = true;
	o->add = add;
	o->extra_n = extra_n;
	o->seek = seek;
	return 0;
}

/* Difference bytes new[ns + i] - old[os + i] for i < n. */
static int sd_put_diff(struct sd_out *o, const struct sd_in *in, size_t ns,
		       size_t os, size_t n, struct hs_err *e)
{
	uint8_t buf[4096];
	int r;

	while (n > 0) {
		const size_t k = n < sizeof(buf) ? n : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = (uint8_t)(in->new[ns + i] - in->old[os + i]);
		r = ds_buf_put(&o->diff, buf, k, e);
		if (r < 0)
			return r;
		ns += k;
		os += k;
		n -= k;
	}
	return 0;
}

/* The length of the common prefix of a and b, both n bytes long. */
static size_t sd_common(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		uint64_t y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return i + (size_t)__builtin_ctzll(x ^ y) / 8;
	}
#endif
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/*
 * Compares base suffix p with t[0, tn), skipping the first skip bytes (known
 * equal): *ret_lcp gets their common prefix; returns true when the suffix
 * sorts below t.
 */
static bool sd_below(const struct sd_in *in, size_t p, const uint8_t *t,
		     size_t tn, size_t skip, size_t *ret_lcp)
{
	const size_t sn = in->oldn - p;
	const size_t n = sn < tn ? sn : tn;
	const size_t l =
		skip + sd_common(in->old + p + skip, t + skip, n - skip);

	*ret_lcp = l;
	if (l == n)
		return sn < tn;
	return in->old[p + l] < t[l];
}

/*
 * The longest prefix of new[at..] that occurs in the base, and where: a
 * binary search for where it would sort among the base's suffixes, whose two
 * neighbours there share the longest prefix with it.  Every suffix between
 * the bounds shares at least the smaller of the bounds' common prefixes with
 * it, so comparisons start there.
 */
static size_t sd_search(const struct sd_in *in, size_t at, size_t *ret_pos)
{
	const uint8_t *t = in->new + at;
	const size_t tn = in->newn - at;
	size_t lo = 0;
	size_t hi = in->oldn;
	size_t lo_lcp = 0; /* of suffix lo - 1, when lo > 0 */
	size_t hi_lcp = 0; /* of suffix hi, when hi < oldn */

	while (lo < hi) {
		const size_t mid = lo + (hi - lo) / 2;
		const size_t skip = lo_lcp < hi_lcp ? lo_lcp : hi_lcp;
		size_t l;

		if (sd_below(in, (size_t)in->sa[mid], t, tn, skip, &l)) {
			lo = mid + 1;
			lo_lcp = l;
		} else {
			hi = mid;
			hi_lcp = l;
		}
	}
	if (lo < in->oldn && (lo == 0 || hi_lcp > lo_lcp)) {
		*ret_pos = (size_t)in->sa[lo];
		return hi_lcp;
	}
	*ret_pos = lo > 0 ? (size_t)in->sa[lo - 1] : 0;
	return lo > 0 ? lo_lcp : 0;
}

/* Does new[i] equal the base byte the alignment off puts beside it? */
static bool sd_agrees(const struct sd_in *in, size_t i, int64_t off)
{
	const int64_t j = (int64_t)i + off;

	return j >= 0 && (uint64_t)j < in->oldn && in->old[j] == in->new[i];
}

/* The scan's position: where the last region ended, in both files. */
struct sd_pos {
	size_t lastscan;
	size_t lastpos;
	int64_t lastoff;
};

/* How far the previous alignment carries forward from lastscan. */
static size_t sd_extend_fwd(const struct sd_in *in, const struct sd_pos *p,
			    size_t scan)
{
	int64_t s = 0;
	int64_t best = 0;
	size_t len = 0;

	for (size_t i = 0;
	     p->lastscan + i < scan && p->lastpos + i < in->oldn;) {
		if (in->old[p->lastpos + i] == in->new[p->lastscan + i])
			s++;
		i++;
		if (s * 2 - (int64_t)i > best * 2 - (int64_t)len) {
			best = s;
			len = i;
		}
	}
	return len;
}

/* How far the new match at (scan, pos) carries backward. */
static size_t sd_extend_back(const struct sd_in *in, const struct sd_pos *p,
			     size_t scan, size_t pos)
{
	int64_t s = 0;
	int64_t best = 0;
	size_t len = 0;

	if (scan >= in->newn)
		return 0;
	for (size_t i = 1; scan >= p->lastscan + i && pos >= i; i++) {
		if (in->old[pos - i] == in->new[scan - i])
			s++;
		if (s * 2 - (int64_t)i > best * 2 - (int64_t)len) {
			best = s;
			len = i;
		}
	}
	return len;
}

/* Where the two extensions overlap, splits them where it costs least. */
static void sd_split_overlap(const struct sd_in *in, const struct sd_pos *p,
			     size_t scan, size_t pos, size_t *lenf,
			     size_t *lenb)
{
	const size_t overlap = (p->lastscan + *lenf) - (scan - *lenb);
	const size_t fs = p->lastscan + *lenf - overlap;
	const size_t fo = p->lastpos + *lenf - overlap;
	int64_t s = 0;
	int64_t best = 0;
	size_t lens = 0;

	for (size_t i = 0; i < overlap; i++) {
		if (in->new[fs + i] == in->old[fo + i])
			s++;
		if (in->new[scan - *lenb + i] == in->old[pos - *lenb + i])
			s--;
		if (s > best) {
			best = s;
			lens = i + 1;
		}
	}
	*lenf = *lenf + lens - overlap;
	*lenb -= lens;
}

/* Ends the region [lastscan, scan) at the match (scan, pos). */
static int sd_region(const struct sd_in *in, struct sd_out *o, struct sd_pos *p,
		     size_t scan, size_t pos, struct hs_err *e)
{
	size_t lenf = sd_extend_fwd(in, p, scan);
	size_t lenb = sd_extend_back(in, p, scan, pos);
	size_t xs;
	int r;

	if (p->lastscan + lenf > scan - lenb)
		sd_split_overlap(in, p, scan, pos, &lenf, &lenb);
	xs = p->lastscan + lenf;
	r = sd_put_diff(o, in, p->lastscan, p->lastpos, lenf, e);
	if (r == 0)
		r = ds_buf_put(&o->extra, in->new + xs, scan - lenb - xs, e);
	if (r == 0)
		r = sd_entry(o, lenf, scan - lenb - xs,
			     (int64_t)(pos - lenb) -
				     (int64_t)(p->lastpos + lenf),
			     e);
	if (r < 0)
		return r;
	p->lastscan = scan - lenb;
	p->lastpos = pos - lenb;
	p->lastoff = (int64_t)pos - (int64_t)scan;
	return 0;
}

/*
 * The scan.  oldscore counts the bytes of [scan, scsc) on which the current
 * alignment agrees with the result; a new exact match of length len is taken
 * when it is longer than that by more than SD_SLACK (or is that alignment).
 */
static int sd_scan(const struct sd_in *in, struct sd_out *o, struct hs_err *e)
{
	struct sd_pos p = {0, 0, 0};
	size_t scan = 0;
	size_t len = 0;
	size_t pos = 0;
	int r;

	while (scan < in->newn) {
		int64_t oldscore = 0;
		size_t scsc;

		scan += len;
		for (scsc = scan; scan < in->newn; scan++) {
			len = sd_search(in, scan, &pos);
			for (; scsc < scan + len; scsc++)
				if (sd_agrees(in, scsc, p.lastoff))
					oldscore++;
			if (((int64_t)len == oldscore && len != 0) ||
			    (int64_t)len > oldscore + SD_SLACK)
				break;
			if (sd_agrees(in, scan, p.lastoff))
				oldscore--;
		}
		if ((int64_t)len != oldscore || scan == in->newn) {
			r = sd_region(in, o, &p, scan, pos, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int sd_suffix_array(const struct delta_map *base, saidx_t **ret_sa,
			   struct hs_err *e)
{
	saidx_t *sa;

	if (base->n == 0) {
		*ret_sa = NULL;
		return 0;
	}
	sa = malloc(base->n * sizeof(*sa));
	if (sa == NULL)
		return hs_err_set(
			e, -ENOMEM,
			"sufdiff: out of memory for the suffix array");
	if (divsufsort(base->p, sa, (saidx_t)base->n) != 0) {
		free(sa);
		return hs_err_set(e, -EIO, "sufdiff: divsufsort failed");
	}
	*ret_sa = sa;
	return 0;
}

/*
 * The difference stream in sparse form: for each nonzero byte, the number of
 * zero bytes before it (a varint) and the byte.  Zeros after the last one
 * are implied.  Executables whose addresses moved leave scattered nonzero
 * bytes in long zero runs, which this form often codes smaller.
 */
static int sd_sparse(const struct ds_buf *diff, struct ds_buf *ret,
		     struct hs_err *e)
{
	size_t last = 0;
	int r = 0;

	for (size_t i = 0; i < diff->n && r == 0; i++) {
		if (diff->p[i] == 0)
			continue;
		r = sd_put_varint(ret, i - last, e);
		if (r == 0)
			r = ds_buf_put(ret, &diff->p[i], 1, e);
		last = i + 1;
	}
	return r;
}

/*
 * Compresses the difference stream in both forms and keeps the smaller
 * (dense on a tie); *ret_form says which.  When sparse wins, *diff is
 * replaced by its sparse form.
 */
static int sd_diff_best(struct ds_buf *diff, struct ds_hdr *ret_hdr,
			struct ds_buf *ret_comp, uint8_t *ret_form,
			struct hs_err *e)
{
	struct ds_buf sparse = {NULL, 0, 0};
	struct ds_buf comp = {NULL, 0, 0};
	struct ds_hdr h;
	int r;

	r = ds_compress_best(diff, ret_hdr, ret_comp, e);
	if (r < 0)
		return r;
	*ret_form = SUFDIFF_DENSE;
	r = sd_sparse(diff, &sparse, e);
	if (r == 0)
		r = ds_compress_best(&sparse, &h, &comp, e);
	if (r == 0 && h.comp_len < ret_hdr->comp_len) {
		ds_buf_free(ret_comp);
		ds_buf_free(diff);
		*ret_comp = comp;
		*diff = sparse;
		*ret_hdr = h;
		*ret_form = SUFDIFF_SPARSE;
		return 0;
	}
	ds_buf_free(&comp);
	ds_buf_free(&sparse);
	return r;
}

/*
 * Compresses the three streams and writes the form byte and their headers,
 * then their bytes.
 */
static int sd_write(struct sd_out *o, int out_fd, struct hs_err *e)
{
	const struct ds_buf *raw[3] = {&o->ctrl, &o->diff, &o->extra};
	struct ds_buf comp[3] = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}};
	uint8_t head[1 + 3 * DS_HDR_SIZE];
	struct ds_hdr h[3];
	int r;

	r = ds_compress_best(&o->ctrl, &h[0], &comp[0], e);
	if (r == 0)
		r = sd_diff_best(&o->diff, &h[1], &comp[1], &head[0], e);
	if (r == 0)
		r = ds_compress_best(&o->extra, &h[2], &comp[2], e);
	for (int i = 0; i < 3 && r == 0; i++)
		ds_hdr_put(head + 1 + i * DS_HDR_SIZE, &h[i]);
	if (r == 0)
		r = delta_write_all(out_fd, head, sizeof(head), "delta", e);
	for (int i = 0; i < 3 && r == 0; i++) {
		const struct ds_buf *b =
			h[i].codec == DS_RAW ? raw[i] : &comp[i];

		r = delta_write_all(out_fd, b->p, b->n, "delta", e);
	}
	for (int i = 0; i < 3; i++)
		ds_buf_free(&comp[i]);
	return r;
}

int sufdiff_make(const struct delta_map *base, const struct delta_map *res,
		 int out_fd, struct hs_err *e)
{
	struct sd_out o;
	struct sd_in in;
	saidx_t *sa = NULL;
	int r;

	if (base->n > SUFDIFF_BASE_MAX)
		return hs_err_set(
			e, -EFBIG,
			"sufdiff: base of %zu bytes, over the %" PRIu64
			" its suffix array indexes",
			base->n, SUFDIFF_BASE_MAX);
	memset(&o, 0, sizeof(o));
	r = sd_suffix_array(base, &sa, e);
	if (r < 0)
		return r;
	in.old = base->p;
	in.oldn = base->n;
	in.new = res->p;
	in.newn = res->n;
	in.sa = sa;
	r = sd_scan(&in, &o, e);
	free(sa);
	if (r == 0)
		r = sd_flush(&o, 0, e);
	if (r == 0)
		r = sd_write(&o, out_fd, e);
	ds_buf_free(&o.ctrl);
	ds_buf_free(&o.diff);
	ds_buf_free(&o.extra);
	return r;
}
