/*
 * engineutil.h - a world for driving whole update attempts (cycle_run)
 * without a network, a clock or root: a server in memory behind the
 * engine's network interface, with faults per request; a clock that never
 * sleeps; an installer whose switch back can be made to fail; a real state
 * database, cache and install root in a temporary directory; real packages
 * (pack.h), deltas (delta.h) and signed metadata (trustutil.h).
 *
 * The fake network keeps transfer_run()'s contract (transfer.h) the way
 * transfer.c does: the part file and its journal in the real cache and
 * database, a resume from the journaled bytes, a file whose hash does not
 * match fetched once more from zero and then FAILED_VERIFY, the state of a
 * run that ends on an error from errmap.h.
 */
#ifndef HAISHIN_ENGINEUTIL_H
#define HAISHIN_ENGINEUTIL_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "cycle.h"
#include "db.h"
#include "manifest.h"

/* What the server does for one request of a file. */
enum ew_fault {
	EW_OK,
	EW_DROP, /* the connection breaks after arg bytes of the file */
	EW_CORRUPT, /* the right size, one byte wrong */
	EW_NOT_FOUND, /* 404 */
	EW_SHUTDOWN, /* haishind is told to stop after arg bytes */
};

#define EW_MAX_FILES 32
#define EW_MAX_FAULTS 8
#define EW_MAX_COMPONENTS 8
#define EW_MAX_TARS 16

/* One file on the server. */
struct ew_file {
	char url[HS_URL_MAX];
	uint8_t *p;
	size_t n;
	/* The faults of the next requests, in order; then it is served. */
	enum ew_fault faults[EW_MAX_FAULTS];
	uint64_t fault_arg[EW_MAX_FAULTS];
	size_t n_faults;
	size_t next_fault;
	unsigned requests; /* GETs of it so far */
	uint64_t first_byte; /* the offset the last GET started at */
};

/* The tar of a published version, for deltas. */
struct ew_tar {
	char name[HS_NAME_MAX + 1];
	char version[HS_VERSION_MAX + 1];
	char path[PATH_MAX];
};

struct ew_world {
	char *dir;
	struct config cfg;
	struct db *db;
	struct cycle_env env;
	struct key *root_key;
	struct key *manifest_key;
	/* the server */
	struct ew_file files[EW_MAX_FILES];
	size_t n_files;
	struct manifest_component comps[EW_MAX_COMPONENTS];
	size_t n_comps;
	uint64_t serial;
	struct ew_tar tars[EW_MAX_TARS];
	size_t n_tars;
	/* the clock */
	int64_t now;
	unsigned sleeps;
	int64_t slept; /* seconds, in all */
	/* the installer */
	unsigned fail_activation; /* switches from this one on fail (1: all),
				   * 0: none */
	unsigned activations; /* switches of current, either way */
	/* what the attempt reported */
	unsigned n_waiting; /* WAITING events */
	atomic_bool cancel;
};

/* Group fixture: a new world per test in *state (cmocka setup and
 * teardown); automatic updates on, deltas on, one attempt per download. */
int ew_setup(void **state);
int ew_teardown(void **state);

/*
 * Publishes NAME VERSION: a package of a tree whose bulk is the same for
 * every version of NAME (so a delta between two is small) and whose file
 * "version" names the version, served at packages/NAME/SHA.tar.zst; it
 * replaces NAME's entry in the next manifest.  Returns the entry.
 */
struct manifest_component *ew_component(struct ew_world *w, const char *name,
					const char *version);

/* The hooks a published version carries in .haishin/: the text of each
 * shell script (after "#!/bin/sh"), or NULL for none. */
struct ew_hooks {
	const char *pre_install;
	const char *post_install;
	const char *health;
};

/* ew_component() of a package with h's hooks. */
struct manifest_component *ew_component_hooks(struct ew_world *w,
					      const char *name,
					      const char *version,
					      const struct ew_hooks *h);

/*
 * Adds to NAME's entry a zstd delta from version from (published before)
 * to its current version, served at deltas/NAME/FROM.delta.  With wrong,
 * the delta rebuilds another tar than the manifest's (a signed but wrong
 * delta).  Returns the delta's URL.
 */
const char *ew_delta(struct ew_world *w, const char *name, const char *from,
		     bool wrong);

/* Signs the manifest of the entries so far (serial one up) and serves it. */
void ew_publish(struct ew_world *w);

/* The file served at url; fails the test when there is none. */
struct ew_file *ew_file(struct ew_world *w, const char *url);

/* The URL of NAME's current package. */
const char *ew_package_url(struct ew_world *w, const char *name);

/* Adds a fault for the next request of url that has none yet. */
void ew_fault(struct ew_world *w, const char *url, enum ew_fault f,
	      uint64_t arg);

/* Runs one attempt. */
void ew_run(struct ew_world *w, struct cycle_result *ret);

/* The newest history row of component (a copy); fails when none. */
void ew_history(struct ew_world *w, const char *component,
		struct db_attempt *ret);

/* What INSTALL/NAME/current points at ("" when it is not there). */
void ew_current(struct ew_world *w, const char *name, char *out, size_t n);

/* INSTALL/NAME/current/version's text ("" when it cannot be read). */
void ew_active_version_file(struct ew_world *w, const char *name, char *out,
			    size_t n);

/* Makes every write of an installed version fail in the database (an
 * SQLite trigger), as a disk that refuses would. */
void ew_refuse_installed(struct ew_world *w);

/* Whether the file CACHE/name exists. */
bool ew_cached(struct ew_world *w, const char *name);

/* Whether INSTALL/NAME/current holds exactly the tree published as NAME
 * VERSION: the same entries, bytes and executable bits. */
bool ew_active_tree_is(struct ew_world *w, const char *name,
		       const char *version);

/* Whether INSTALL/NAME/VERSION exists. */
bool ew_version_dir_exists(struct ew_world *w, const char *name,
			   const char *version);

/* Configures [restart] NAME = command. */
void ew_restart(struct ew_world *w, const char *name, const char *command);

/* The world's DIR/name (malloc'ed), and the text of that file ("" when it
 * cannot be read; malloc'ed). */
char *ew_path(struct ew_world *w, const char *name);
char *ew_read(struct ew_world *w, const char *name);

#endif
