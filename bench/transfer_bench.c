/*
 * transfer_bench.c - downloads one file through haishin's transfer layer
 * (resumable download, SHA-256 in the stream, verification), as the daemon
 * does for a package, so bench/transfer.sh can time it against curl.
 *
 *	transfer_bench BASE_URL REL_URL SIZE SHA256 WORKDIR
 *
 * Exit 0 when the file arrived and verified; WORKDIR/bench.part stays.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "config.h"
#include "db.h"
#include "fetch.h"
#include "str.h"
#include "transfer.h"

int main(int argc, char **argv)
{
	struct transfer_result res;
	struct transfer_env env;
	struct transfer_job job;
	struct fetch_cfg fc;
	struct config cfg;
	struct part *part = NULL;
	struct fetch *fetch = NULL;
	struct db *db = NULL;
	struct hs_err e;
	uint64_t size;
	int r;

	if (argc != 6 || hs_parse_u64(argv[3], UINT64_MAX, &size) < 0) {
		fprintf(stderr, "usage: transfer_bench BASE_URL REL_URL SIZE "
				"SHA256 WORKDIR\n");
		return 2;
	}
	config_defaults(&cfg);
	if (hs_strlcpy(cfg.url, argv[1], sizeof(cfg.url)) < 0 ||
	    hs_strlcpy(cfg.cache, argv[5], sizeof(cfg.cache)) < 0)
		return 2;
	memset(&fc, 0, sizeof(fc));
	fc.connect_timeout = cfg.connect_timeout;
	fc.stall_timeout = cfg.stall_timeout;
	fc.min_rate = cfg.min_rate;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	r = db_open(argv[5], &db, &e);
	if (r == 0)
		r = fetch_new(&fc, &fetch, &e);
	if (r == 0) {
		env = (struct transfer_env){
			.cfg = &cfg, .db = db, .fetch = fetch};
		job = (struct transfer_job){"bench", argv[2], size,
					    argv[4], "bench", false};
		r = transfer_run(&env, &job, &part, &res, &e);
	}
	if (r < 0)
		fprintf(stderr, "transfer_bench: %s\n", e.msg);
	part_free(part); /* the script removes the file, as it does curl's */
	fetch_free(fetch);
	db_free(db);
	curl_global_cleanup();
	return r < 0 ? 1 : 0;
}
