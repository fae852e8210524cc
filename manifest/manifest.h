/*
 * manifest.h - the manifest payload: what the latest and minimum versions
 * are, and where each package lies.
 *
 *	{"_type": "manifest", "serial": 7, "expires": "2026-12-25T00:00:00Z",
 *	 "components": {
 *	   "cardreader": {"version": "2.1.0", "minimum": "2.0.0",
 *	                  "restart": "app",
 *	                  "package": {"url": "packages/cardreader/<sha256>.tar.zst",
 *	                              "size": 123456, "sha256": "<hex>"},
 *	                  "forced": {"deadline": "2026-12-01T00:00:00Z",
 *	                             "allow_downgrade": false}}}}
 *
 * "package" may also give "tar_size" and "tar_sha256": the uncompressed
 * tar's, which a delta rebuilds.  "deltas", optional, lists deltas to that
 * tar from earlier versions, at most HS_MANIFEST_MAX_DELTAS:
 *
 *	"deltas": [{"from": "2.0.0", "method": "sufdiff",
 *		    "base_sha256": "<hex of 2.0.0's tar>",
 *		    "url": "packages/cardreader/<sha256>.delta",
 *		    "size": 4567, "sha256": "<hex>"}]
 *
 * A component with deltas must give tar_size and tar_sha256.
 *
 * "set", optional, names the set the component belongs to (a name like a
 * component's): components of one set are installed, checked and reverted
 * together (docs/install.md).
 *
 * "forced" is optional: the update is installed at once, not waiting for
 * the schedule (and, with allow_downgrade, even when it is older than the
 * installed version); deadline, optional, says by when it must be in.
 *
 * A component that a vendor role owns (root.h) comes signed by the vendor:
 *
 *	"cardreader": {"vendor": "acme", "entry": <DSSE envelope>}
 *
 * where the envelope (type DSSE_TYPE_ENTRY) holds {"_type": "entry",
 * "name": "cardreader", ...the fields above...}.  Parsing takes the fields
 * from the envelope's payload and keeps the envelope; trust_manifest()
 * checks it against the owner's keys before anything acts on it.
 *
 * A url is relative to the repository's base URL (so every mirror serves
 * the same manifest): it is a path of [A-Za-z0-9._~/-] with no "..", no
 * leading '/', no scheme, query or fragment.  Fields not listed here are
 * ignored, so later versions can add them.  A manifest is plain data once
 * parsed: the struct is public and read-only for its users.
 */
#ifndef HAISHIN_MANIFEST_H
#define HAISHIN_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "hs_limits.h"

enum manifest_restart {
	MANIFEST_RESTART_NONE,
	MANIFEST_RESTART_APP,
	MANIFEST_RESTART_SYSTEM,
};

struct manifest_package {
	char url[HS_URL_MAX];
	uint64_t size;
	char sha256[65];
	uint64_t tar_size; /* 0 and "" when not given */
	char tar_sha256[65];
};

/* A delta from an earlier version's tar to this version's (pkg/delta.h). */
struct manifest_delta {
	char from[HS_VERSION_MAX + 1];
	char method[16]; /* "zstd" or "sufdiff" */
	char base_sha256[65]; /* the tar of version from */
	char url[HS_URL_MAX];
	uint64_t size;
	char sha256[65]; /* of the delta file */
};

struct manifest_component {
	char name[HS_NAME_MAX + 1];
	char version[HS_VERSION_MAX + 1];
	char minimum[HS_VERSION_MAX + 1];
	enum manifest_restart restart;
	char set[HS_NAME_MAX + 1]; /* the set it belongs to, "" for none */
	struct manifest_package package;
	struct manifest_delta deltas[HS_MANIFEST_MAX_DELTAS];
	size_t n_deltas;
	bool forced;
	int64_t deadline; /* forced: by when, or 0 */
	bool allow_downgrade; /* forced: may replace a newer version */
	/* A vendor-signed entry: the vendor it names and its envelope
	 * (malloc'ed, owned by the manifest); "" and NULL when plain. */
	char vendor[HS_NAME_MAX + 1];
	char *entry;
	size_t entry_len;
};

struct manifest {
	uint64_t serial;
	int64_t expires;
	struct manifest_component *components; /* sorted by name */
	size_t n_components;
};

/*
 * Parses a manifest payload.  Malformed JSON, a missing or ill-typed field,
 * an invalid name, version or url, and minimum > version give -EBADMSG
 * naming the component and field.  The caller frees *ret_m.
 */
int manifest_parse(const uint8_t *payload, size_t n, struct manifest **ret_m,
		   struct hs_err *e);

/*
 * The payload a vendor signs for component c (type DSSE_TYPE_ENTRY), as
 * JSON malloc'ed into *ret_json.
 */
int manifest_entry_build(const struct manifest_component *c, char **ret_json,
			 struct hs_err *e);

/*
 * Builds a payload from m (compact JSON, malloc'ed into *ret_json).  A
 * component with an entry is written as its vendor and envelope.
 */
int manifest_build(const struct manifest *m, char **ret_json, struct hs_err *e);

/* Finds a component by name, or NULL. */
const struct manifest_component *manifest_find(const struct manifest *m,
					       const char *name);

/* "none", "app", "system"; and back (-EINVAL for anything else). */
const char *manifest_restart_name(enum manifest_restart r);
int manifest_restart_parse(const char *s, enum manifest_restart *ret);

/* True when url is an acceptable relative package url. */
bool manifest_url_is_valid(const char *url);

/* Releases m; NULL is allowed. */
void manifest_free(struct manifest *m);

#endif
