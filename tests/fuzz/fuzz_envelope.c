/*
 * fuzz_envelope.c - the signed metadata on untrusted bytes, as a client gets
 * them from a server: the input is parsed as a DSSE envelope (dsse_parse)
 * and its payload as what its type says (manifest_parse, root_parse); the
 * same bytes go to trust_root_load() and trust_root_peek_version() as a
 * self-signed root, and straight to manifest_parse() as a bare payload.
 * Signatures only verify for inputs that carry real ones (the seed roots);
 * the point is the parsers.
 *
 * Oracles: every failure follows hs_err.h (fuzz_check_err), and a manifest
 * that parses is sorted, findable by name, and survives manifest_build()
 * and a second parse unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "dsse.h"
#include "fuzz.h"
#include "fuzzutil.h"
#include "hs_limits.h"
#include "manifest.h"
#include "root.h"
#include "trust.h"

static bool component_is_same(const struct manifest_component *x,
			      const struct manifest_component *y)
{
	return strcmp(x->name, y->name) == 0 &&
	       strcmp(x->version, y->version) == 0 &&
	       strcmp(x->minimum, y->minimum) == 0 &&
	       x->restart == y->restart &&
	       strcmp(x->package.url, y->package.url) == 0 &&
	       x->package.size == y->package.size &&
	       strcmp(x->package.sha256, y->package.sha256) == 0;
}

static bool manifest_is_same(const struct manifest *a, const struct manifest *b)
{
	size_t i;

	if (a->serial != b->serial || a->expires != b->expires ||
	    a->n_components != b->n_components)
		return false;
	for (i = 0; i < a->n_components; i++)
		if (!component_is_same(&a->components[i], &b->components[i]))
			return false;
	return true;
}

/* Sorted by name, and manifest_find() finds each component. */
static void check_lookup(const struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n_components; i++) {
		const struct manifest_component *c = &m->components[i];

		fuzz_assert(i == 0 || strcmp(m->components[i - 1].name,
					     c->name) < 0,
			    "manifest components not sorted");
		fuzz_assert(manifest_find(m, c->name) == c,
			    "manifest_find misses a component");
	}
}

/* manifest_build() of m parses back into the same manifest. */
static void check_round_trip(const struct manifest *m)
{
	struct manifest *again = NULL;
	struct hs_err e;
	char *json = NULL;
	int r;

	hs_err_clear(&e);
	r = manifest_build(m, &json, &e);
	fuzz_assert(r == 0, "manifest_build fails on a parsed manifest");
	r = manifest_parse((const uint8_t *)json, strlen(json), &again, &e);
	fuzz_assert(r == 0, "a built manifest does not parse");
	fuzz_assert(manifest_is_same(m, again),
		    "manifest changes through build and parse");
	manifest_free(again);
	free(json);
}

static void fuzz_manifest(const uint8_t *p, size_t n)
{
	struct manifest *m = NULL;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	r = manifest_parse(p, n, &m, &e);
	fuzz_check_err(r, &e);
	if (r < 0)
		return;
	check_lookup(m);
	check_round_trip(m);
	manifest_free(m);
}

static void fuzz_root_payload(const uint8_t *p, size_t n)
{
	struct root *rt = NULL;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	r = root_parse(p, n, &rt, &e);
	fuzz_check_err(r, &e);
	root_free(rt);
}

static void fuzz_dsse(const char *buf, size_t len)
{
	struct dsse *d = NULL;
	const uint8_t *payload;
	struct hs_err e;
	const char *type;
	size_t n = 0;
	int r;

	hs_err_clear(&e);
	r = dsse_parse(buf, len, HS_MANIFEST_MAX_BYTES, &d, &e);
	fuzz_check_err(r, &e);
	if (r < 0)
		return;
	type = dsse_payload_type(d);
	payload = dsse_payload(d, &n);
	fuzz_assert(type != NULL && payload != NULL, "envelope without parts");
	if (strcmp(type, DSSE_TYPE_ROOT) == 0)
		fuzz_root_payload(payload, n);
	else
		fuzz_manifest(payload, n);
	/* No trusted key: every signature is by an unknown key. */
	r = dsse_verify(d, "manifest", NULL, 0, 1, &e);
	fuzz_assert(r < 0, "an envelope verifies without keys");
	fuzz_check_err(r, &e);
	dsse_free(d);
}

static void fuzz_trust(const char *buf, size_t len)
{
	struct root *rt = NULL;
	uint64_t version = 0;
	struct hs_err e;
	int r;

	hs_err_clear(&e);
	r = trust_root_load(buf, len, &rt, &e);
	fuzz_check_err(r, &e);
	root_free(rt);
	hs_err_clear(&e);
	r = trust_root_peek_version(buf, len, &version, &e);
	fuzz_check_err(r, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	fuzz_dsse(buf, size);
	fuzz_trust(buf, size);
	fuzz_manifest(data, size);
	return 0;
}
