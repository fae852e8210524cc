/*
 * diag.h - the staged connection check behind "haishinctl check-connection":
 * proxy, DNS, TCP, TLS, HTTP, manifest signature, manifest freshness.
 *
 * The stages run in that order against the base URL ([server] url, never a
 * mirror) and stop at the first failure; the later ones are marked not run.
 * A stage that does not apply passes and says why in its detail: with a
 * proxy, the proxy resolves the server's name (except socks4:// and
 * socks5://, which resolve locally) and makes the TCP connection, so those
 * stages say "through the proxy"; TLS still runs, end to end through the
 * proxy's tunnel.  Over http:// the TLS stage says "not used (http)".
 *
 * The signature stage verifies manifest.json the way an update check does:
 * from the pinned root, or the newer verified root in the state directory,
 * along the server's root chain (root.json, N.root.json; read only, nothing
 * is stored), against the last accepted serial when a database is given
 * (so a rollback shows).  Expiry is left to the freshness stage, so an
 * expired manifest fails as "freshness", not "signature".
 *
 * Nothing here logs or writes: the caller reports the result.
 */
#ifndef HAISHIN_DIAG_H
#define HAISHIN_DIAG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"

/* A library's error text plus the host or URL it names fits; longer text is
 * cut and ends in "...". */
#define DIAG_DETAIL_MAX 256
/* Two sentences naming a host, a path or a date. */
#define DIAG_ADVICE_MAX 512

enum diag_stage {
	DIAG_PROXY,
	DIAG_DNS,
	DIAG_TCP,
	DIAG_TLS,
	DIAG_HTTP,
	DIAG_SIGNATURE,
	DIAG_FRESHNESS,
	DIAG_STAGES
};

struct diag_result {
	enum diag_stage stage;
	bool ran; /* false: an earlier stage failed */
	bool ok;
	uint32_t ms; /* how long the stage took (CLOCK_MONOTONIC) */
	char detail[DIAG_DETAIL_MAX]; /* what was found, or why it failed */
};

struct diag_report {
	struct diag_result stages[DIAG_STAGES]; /* indexed by enum diag_stage */
	bool all_ok;
	int failed; /* the failed stage's index, or -1 */
	char advice[DIAG_ADVICE_MAX]; /* for the maintenance vendor; "" if ok */
};

/* "proxy", "dns", "tcp", "tls", "http", "signature", "freshness"; "?" for
 * anything else. */
const char *diag_stage_name(enum diag_stage s);

/*
 * What the report means as an outcome: the terminal state an attempt
 * failing at the same stage would end in (FAILED_CONNECT for proxy ... http,
 * FAILED_VERIFY for signature and freshness; "" when all passed), and its
 * exit code (0 when all passed).
 */
const char *diag_failed_state(const struct diag_report *rep);
int diag_exit_code(const struct diag_report *rep);

/*
 * Runs the stages with cfg's settings ([server] proxy, ca_file, url,
 * [transfer] timeouts, [trust] root, [paths] state) and fills *ret whole.
 * It never fails itself: every failure, including out of memory or an
 * unreadable root, is a stage's result.  db may be NULL: then there is no
 * rollback check.  now is the wall clock (seconds since the epoch) that the
 * freshness stage judges by.  curl_global_init is the caller's.  It takes
 * up to a few connect timeouts when the network is down, unless cancel
 * (may be NULL) is set: then the stage under way stops within a fraction
 * of a second (a name lookup runs to its end) and reports that it was
 * stopped.
 */
void diag_run(const struct config *cfg, struct db *db, int64_t now,
	      const atomic_bool *cancel, struct diag_report *ret);

#endif
