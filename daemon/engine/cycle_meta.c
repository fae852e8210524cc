/*
 * cycle_meta.c - what the check keeps of root.json and manifest.json for
 * its next conditional GET: the server's validators (ETag, Last-Modified),
 * the base URL they came from, and what a 304 then stands for - the version
 * that root.json announced, the SHA-256 of the manifest.json kept in the
 * state directory.  One settings row per file ("validators FILE"), its
 * fields on lines of their own.
 *
 * Invariants:
 *  - a record is kept only after its file was verified (and, for
 *    manifest.json, stored and its trust state committed): a crash in
 *    between leaves the older record, whose validators no longer match the
 *    server's file, or whose hash no longer matches the stored copy;
 *  - validators go only to the base they came from, and only with the very
 *    copy they describe: a stored manifest.json that is missing, unreadable
 *    or other bytes sends none, so no 304 can stand for it;
 *  - a pushed bundle neither uses nor keeps validators.
 */
#include "cycle_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "fileio.h"
#include "str.h"

#define CYCLE_META_KEY_MAX 64
#define CYCLE_META_FIELDS 5 /* base, etag, last_modified, sha256, version */
/* The longest value a record can have, and room to see a longer one. */
#define CYCLE_META_VALUE_MAX \
	(HS_URL_MAX + 2 * FETCH_VALIDATOR_MAX + HASH_SHA256_HEX_LEN + 32)

static void cycle_meta_key(const char *file, char *out, size_t n)
{
	(void)hs_snprintf(out, n, "validators %s", file);
}

/* Splits s at '\n' into exactly n fields, in place. */
static bool cycle_meta_split(char *s, char **fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fields[i] = s;
		s = strchr(s, '\n');
		if ((s == NULL) != (i == n - 1))
			return false;
		if (s != NULL)
			*s++ = '\0';
	}
	return true;
}

static int cycle_meta_parse(char *s, struct cycle_meta *ret)
{
	char *f[CYCLE_META_FIELDS];
	struct cycle_meta m;

	memset(&m, 0, sizeof(m));
	if (!cycle_meta_split(s, f, CYCLE_META_FIELDS) ||
	    hs_strlcpy(m.v.base, f[0], sizeof(m.v.base)) < 0 ||
	    hs_strlcpy(m.v.etag, f[1], sizeof(m.v.etag)) < 0 ||
	    hs_strlcpy(m.v.last_modified, f[2], sizeof(m.v.last_modified)) <
		    0 ||
	    hs_strlcpy(m.sha256, f[3], sizeof(m.sha256)) < 0 ||
	    hs_parse_u64(f[4], UINT64_MAX, &m.version) < 0)
		return -EBADMSG;
	*ret = m;
	return 0;
}

void cycle_meta_have(const struct cycle *c, const char *file,
		     struct cycle_meta *ret)
{
	char key[CYCLE_META_KEY_MAX];
	char v[CYCLE_META_VALUE_MAX];

	memset(ret, 0, sizeof(*ret));
	if (c->env->from_bundle)
		return;
	cycle_meta_key(file, key, sizeof(key));
	if (db_setting_get(c->env->db, key, v, sizeof(v), NULL) < 0 ||
	    strlen(v) + 1 >= sizeof(v) || cycle_meta_parse(v, ret) < 0 ||
	    (ret->v.etag[0] == '\0' && ret->v.last_modified[0] == '\0'))
		memset(ret, 0, sizeof(*ret));
}

void cycle_meta_local(const struct cycle *c, struct cycle_meta *have,
		      char **ret_buf, size_t *ret_len)
{
	char sha256[HASH_SHA256_HEX_LEN + 1];
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;

	*ret_buf = NULL;
	*ret_len = 0;
	if (have->v.base[0] == '\0')
		return;
	if (hs_snprintf(path, sizeof(path), "%s/%s", c->env->cfg->state,
			CYCLE_META_MANIFEST) == 0 &&
	    hs_read_file(path, HS_MANIFEST_MAX_BYTES, &buf, &len, NULL) == 0 &&
	    hash_buf(buf, len, sha256, NULL) == 0 &&
	    strcmp(sha256, have->sha256) == 0) {
		*ret_buf = buf;
		*ret_len = len;
		return;
	}
	log_info("'%s' is missing, unreadable or not the copy the server's "
		 "validators were kept with: %s is fetched whole",
		 path, CYCLE_META_MANIFEST);
	free(buf);
	memset(have, 0, sizeof(*have));
}

/* A field of a record is one line. */
static bool cycle_meta_is_line(const char *s)
{
	return strchr(s, '\n') == NULL;
}

void cycle_meta_keep(const struct cycle *c, const char *file,
		     const struct cycle_meta *m)
{
	char key[CYCLE_META_KEY_MAX];
	char v[CYCLE_META_VALUE_MAX];
	struct hs_err e;

	if (c->env->from_bundle)
		return;
	hs_err_clear(&e);
	cycle_meta_key(file, key, sizeof(key));
	if (!cycle_meta_is_line(m->v.base) || !cycle_meta_is_line(m->v.etag) ||
	    !cycle_meta_is_line(m->v.last_modified) ||
	    hs_snprintf(v, sizeof(v), "%s\n%s\n%s\n%s\n%llu", m->v.base,
			m->v.etag, m->v.last_modified, m->sha256,
			(unsigned long long)m->version) < 0)
		v[0] = '\0'; /* nothing usable: the next GET is whole */
	if (db_setting_put(c->env->db, key, v, &e) < 0)
		log_warn(
			"cannot keep the validators of %s (%s): the next check "
			"fetches it whole, ignoring",
			file, e.msg);
}
