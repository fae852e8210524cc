/*
 * config.h - haishin.conf: one INI-style file, parsed into a plain struct.
 *
 * Syntax: "[section]" lines, "key = value" lines, comments from '#' or ';'
 * at the start of a line or after whitespace, blank lines.  Unknown sections
 * or keys, a key outside a section, a value that does not parse, and a line
 * over CONFIG_LINE_MAX are errors naming the file and line: a typo must not
 * silently turn a setting off.  Keys are those of DESIGN.md plus the ones
 * documented in docs/config.md.
 *
 * Mid-line, a comment needs whitespace before it: "url = http://h/r/ # base"
 * works, and "http://h/a;b" keeps its ';'.
 * A key set twice in one parse is an error (first line named), not "last one
 * wins": it is usually a copy-paste mistake.  A section may be reopened.
 * CRLF line ends, a UTF-8 BOM and a missing final newline are accepted.
 * URLs (url, mirrors) must be http:// or https:// with a host and no query
 * or fragment, and get a final '/' so relative package URLs join; mirrors
 * is a list separated by whitespace or commas.  An empty value unsets url,
 * mirrors, proxy, ca_file and quiet_hours; paths must be absolute.
 * quiet_hours is "HH:MM-HH:MM" (start inclusive, end exclusive, may wrap
 * past midnight; equal times are rejected).
 *
 * [restart] is free-form: each key is a component name (the manifest's
 * rule: [a-z0-9][a-z0-9._-]*, no "..", at most HS_NAME_MAX bytes) and its
 * value the command that restarts it, run by /bin/sh -c (never empty, at
 * most CONFIG_RESTART_CMD_MAX bytes; CONFIG_RESTART_MAX of them).
 */
#ifndef HAISHIN_CONFIG_H
#define HAISHIN_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "hs_limits.h"

#define CONFIG_DEFAULT_PATH "/etc/haishin/haishin.conf"
#define CONFIG_MAX_MIRRORS 8
#define CONFIG_LINE_MAX 4096
/* [restart]: at most one command per component of a manifest, each at most
 * CONFIG_RESTART_CMD_MAX bytes, all of them with their names together in
 * CONFIG_RESTART_TEXT_MAX bytes. */
#define CONFIG_RESTART_MAX HS_MANIFEST_MAX_COMPONENTS
#define CONFIG_RESTART_CMD_MAX 1024
#define CONFIG_RESTART_TEXT_MAX (32 * 1024)

struct config {
	/* [server] */
	char url[HS_URL_MAX]; /* base URL, ends in '/' */
	char mirrors[CONFIG_MAX_MIRRORS][HS_URL_MAX]; /* each ends in '/' */
	size_t n_mirrors;
	char proxy[HS_URL_MAX]; /* empty: libcurl's default (environment) */
	char ca_file[PATH_MAX]; /* empty: the system's CA store */
	/* [trust] */
	char root[PATH_MAX];
	/* [paths] */
	char state[PATH_MAX];
	char cache[PATH_MAX];
	char install[PATH_MAX];
	char socket[108]; /* sizeof(sun_path) */
	/* [transfer] */
	uint64_t max_rate; /* bytes per second, 0 = no limit */
	uint32_t stall_timeout; /* seconds */
	uint32_t connect_timeout; /* seconds */
	uint32_t retries; /* attempts per download and run (0 = 1) */
	uint64_t min_rate; /* below it for stall_timeout = stalled */
	uint32_t backoff_initial; /* seconds before the first retry */
	uint32_t backoff_max; /* longest backoff, and longest wait */
	bool deltas; /* update by delta when the manifest offers one */
	uint64_t cache_max; /* bytes of delta bases the cache may keep */
	/* [schedule] */
	bool enabled;
	uint32_t boot_delay_max; /* seconds */
	uint32_t interval; /* seconds */
	bool has_quiet_hours;
	uint16_t quiet_start; /* minutes after midnight, local time */
	uint16_t quiet_end;
	/* [control] */
	char control_group[33]; /* owns the socket; "" = the daemon's group */
	char admin_group[33]; /* may change state; "" = root and the daemon */
	/* [install] */
	uint32_t hook_timeout; /* seconds for each hook and restart command */
	uint32_t health_tries; /* runs of a failing health check, at least 1 */
	uint32_t health_interval; /* seconds between two of them */
	uint32_t self_update_timeout; /* seconds for a new haishind to answer */
	uint32_t keep; /* versions kept on disk per component, at least 2 */
	/* [restart]: n_restart pairs "NAME\0COMMAND\0" one after the other in
	 * restart_text (config_restart() finds one). */
	size_t n_restart;
	size_t restart_used; /* bytes of restart_text in use */
	char restart_text[CONFIG_RESTART_TEXT_MAX];
};

/* Fills c with the defaults of a real terminal (DESIGN.md). */
void config_defaults(struct config *c);

/*
 * Parses buf (len bytes) on top of the values already in c.  origin names
 * the source in messages ("/etc/haishin/haishin.conf").  Returns 0, or
 * -EINVAL with e naming origin, line and key.  c may be partly updated on
 * failure; callers parse into a copy.
 */
int config_parse(struct config *c, const char *buf, size_t len,
		 const char *origin, struct hs_err *e);

/*
 * config_defaults + reads and parses the file at path into *ret_c, which is
 * written only on success.  Fails with -EINVAL "path: [server] url is not
 * set" when no url is configured, or hs_read_file's error (-ENOENT ...,
 * message naming path).
 */
int config_load(const char *path, struct config *ret_c, struct hs_err *e);

/*
 * As config_load, but a bad line is skipped instead of failing the load,
 * and a missing url is no error: for a client that needs one key (the
 * socket) of a file the daemon may have refused.  Returns 0 for a clean
 * file; 1 when some lines were bad: *ret_c holds every good line and e the
 * first bad line's error, to show as a warning; or hs_read_file's error or
 * -ENOMEM (*ret_c untouched).
 */
int config_load_lenient(const char *path, struct config *ret_c,
			struct hs_err *e);

/*
 * The restart command configured for component name ([restart] NAME =
 * command), or NULL when there is none.  Points into c.
 */
const char *config_restart(const struct config *c, const char *name);

/*
 * True when minute (minutes after local midnight, 0..1439) falls inside the
 * quiet hours of c; false when c has none.
 */
bool config_is_quiet_at(const struct config *c, unsigned minute);

#endif
