/*
 * main.c - haishind.
 *
 *	haishind [-c CONFIG] [--once] [-v]
 *
 * Without --once, the resident daemon (daemon.c): the control socket, the
 * schedule, updates in a worker thread, until SIGTERM.
 * --once runs one full cycle (check, download, verify, install) and exits
 * with the cycle's exit code; its last line on stdout is the terminal state
 * and its reason.  Progress goes to stdout, the log to stderr.
 *
 * Every run that works on the state (the daemon, --once, --reinit) first
 * runs the active haishin, INSTALL/haishin/current/sbin/haishind, in its
 * place when that is another executable (handover.h): that is how
 * /usr/sbin/haishind, which the unit starts, runs the version haishin
 * updated itself to.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "cycle.h"
#include "daemon.h"
#include "db.h"
#include "fetch.h"
#include "floor.h"
#include "handover.h"
#include "i18n.h"
#include "log.h"
#include "selfproc.h"
#include "state.h"
#include "str.h"
#include "sweep.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

#define MAIN_LOCK_FILE "haishind.lock"
#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: haishind [-c CONFIG] [--once [--bundle FILE] | "
		"--reinit] [-v]\n"
		"  -c, --config FILE  configuration (default %s)\n"
		"      --once         run one update cycle and exit with "
		"its state's code\n"
		"      --bundle FILE  with --once: install from a bundle made "
		"by haishin-publish\n"
		"      --reinit       rebuild a lost or damaged state database "
		"from the state\n"
		"                     directory and the install root (haishind "
		"stopped)\n"
		"  -v, --verbose      log debugging detail\n",
		CONFIG_DEFAULT_PATH);
}

/*
 * Reasons and advice follow the locale (HAISHIN_LOCALEDIR overrides where
 * the catalogue is); numbers stay in the C format, as the log's do.
 * Without the locale or a catalogue, messages stay in English.
 */
static void i18n_init(void)
{
	const char *dir = getenv("HAISHIN_LOCALEDIR");

	(void)setlocale(LC_ALL, "");
	(void)setlocale(LC_NUMERIC, "C");
	if (dir == NULL || dir[0] == '\0')
		dir = LOCALEDIR;
	(void)bindtextdomain(HAISHIN_TEXTDOMAIN, dir);
	(void)textdomain(HAISHIN_TEXTDOMAIN);
}

/*
 * Prints progress lines, "STATE text": every state change, and the bytes
 * of a download at most once per tenth of it (stdout is often a log).
 */
static void print_progress(void *ctx, const struct cycle_event *ev)
{
	uint64_t *printed_tenth = ctx;
	uint64_t tenth;

	if (ev->state == STATE_DOWNLOADING && ev->total > 0) {
		tenth = ev->done * 10 / ev->total;
		if (ev->done > 0 && tenth == *printed_tenth)
			return;
		*printed_tenth = tenth;
		if (ev->done > 0) {
			printf("%s %s %llu of %llu bytes\n",
			       state_name(ev->state), ev->component,
			       (unsigned long long)ev->done,
			       (unsigned long long)ev->total);
			(void)fflush(stdout);
			return;
		}
	}
	printf("%s %s\n", state_name(ev->state), ev->text);
	(void)fflush(stdout);
}

/* mkdir -p for one of the daemon's own directories. */
static int make_dir(const char *path, mode_t mode, struct hs_err *e)
{
	char buf[PATH_MAX];
	char *p;

	if (hs_strlcpy(buf, path, sizeof(buf)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'",
				  path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return hs_err_set(e, -errno, "cannot create '%s': %s",
					  buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return hs_err_set(e, -errno, "cannot create '%s': %s", buf,
				  strerror(errno));
	return 0;
}

/* Only one haishind works on a state directory at a time. */
static int take_lock(const char *state, int *ret_fd, struct hs_err *e)
{
	char path[PATH_MAX];
	int fd;

	if (hs_snprintf(path, sizeof(path), "%s/%s", state, MAIN_LOCK_FILE) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot open '%s': %s", path,
				  strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		const int r = -errno;

		(void)close(fd);
		return hs_err_set(e, r == -EWOULDBLOCK ? -EBUSY : r,
				  "another haishind is working on '%s'", state);
	}
	*ret_fd = fd;
	return 0;
}

static int prepare(const struct config *cfg, struct db **ret_db,
		   struct fetch **ret_fetch, int *ret_lock, struct hs_err *e)
{
	const struct fetch_cfg fc = {
		.proxy = cfg->proxy,
		.ca_file = cfg->ca_file,
		.connect_timeout = cfg->connect_timeout,
		.stall_timeout = cfg->stall_timeout,
		.min_rate = cfg->min_rate,
		.max_rate = cfg->max_rate,
	};
	char exe[PATH_MAX];
	int r;

	r = make_dir(cfg->state, 0700, e);
	if (r == 0)
		r = make_dir(cfg->cache, 0700, e);
	if (r == 0)
		r = make_dir(cfg->install, 0755, e);
	if (r == 0)
		r = take_lock(cfg->state, ret_lock, e);
	if (r < 0)
		return r;
	r = db_open(cfg->state, ret_db, e);
	(void)sweep_leftovers(cfg, r == 0 ? *ret_db : NULL);
	if (r == -EUCLEAN)
		(void)floor_explain(e);
	if (r == 0 && cycle_recover(cfg, *ret_db, e) < 0)
		log_warn("cannot record the attempt that was cut off: %s",
			 e->msg);
	if (r == 0 && selfproc_exe(exe, sizeof(exe), NULL) < 0)
		(void)hs_strlcpy(exe, "haishind", sizeof(exe));
	if (r == 0 && handover_recover(cfg, *ret_db, exe, e) < 0)
		log_warn("%s, ignoring", e->msg);
	if (r == 0)
		r = fetch_new(&fc, ret_fetch, e);
	return r;
}

static int run_once(const char *config_path, const char *bundle)
{
	struct cycle_result res;
	struct cycle_env env;
	struct config cfg;
	struct fetch *fetch = NULL;
	struct db *db = NULL;
	uint64_t printed_tenth = 0;
	struct hs_err e;
	int lock = -1;
	int code;

	hs_err_clear(&e);
	if (config_load(config_path, &cfg, &e) < 0 ||
	    prepare(&cfg, &db, &fetch, &lock, &e) < 0) {
		/* Not set up to run: the reason is named, never silence. */
		printf("%s %s\n", state_name(STATE_STOPPED), e.msg);
		code = state_exit_code(STATE_STOPPED);
		goto out;
	}
	cycle_env_init(&env, &cfg, db, fetch);
	env.trigger = bundle != NULL ? "push" : "once";
	env.progress = print_progress;
	env.progress_ctx = &printed_tenth;
	if (bundle != NULL) {
		const int fd = open(bundle, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			printf("%s ", state_name(STATE_FAILED_VERIFY));
			printf(_("cannot open the bundle '%s': %s\n"), bundle,
			       strerror(errno));
			code = state_exit_code(STATE_FAILED_VERIFY);
			goto out;
		}
		cycle_run_bundle(&env, fd, &res);
		(void)close(fd);
	} else {
		cycle_run(&env, &res);
	}
	if (res.handover[0] != '\0')
		log_info("haishin %s is installed; --once does not hand over "
			 "to it: haishind runs it from its next start",
			 res.handover);
	printf("%s %s\n", state_name(res.state), res.reason);
	code = state_exit_code(res.state);
out:
	fetch_free(fetch);
	db_free(db);
	if (lock >= 0)
		(void)close(lock);
	return code;
}

/*
 * --reinit: a state database that is lost, emptied, older than the install
 * or damaged is rebuilt from the floor kept outside it (floor.h).  A sound
 * database is left alone: rebuilding it would only lose its history.
 */
static int run_reinit(const char *config_path)
{
	char report[1024];
	struct config cfg;
	struct db *db = NULL;
	struct hs_err e;
	int lock = -1;
	int code = EXIT_FAILURE;
	int r;

	hs_err_clear(&e);
	r = config_load(config_path, &cfg, &e);
	if (r == 0)
		r = make_dir(cfg.state, 0700, &e);
	if (r == 0)
		r = take_lock(cfg.state, &lock, &e);
	if (r == -EBUSY)
		hs_err_prefix(&e, "%s", _("stop haishind first: "));
	if (r == 0 && db_open(cfg.state, &db, NULL) == 0 &&
	    floor_check(&cfg, db, NULL) == 0) {
		r = hs_err_set(&e, -EEXIST,
			       _("the state database in '%s' is sound and "
				 "agrees with the install; nothing to "
				 "rebuild"),
			       cfg.state);
	}
	db_free(db);
	if (r == 0)
		r = floor_reinit(&cfg, report, sizeof(report), &e);
	if (r == 0) {
		printf("%s\n", report);
		code = EXIT_SUCCESS;
	} else {
		fprintf(stderr, "haishind --reinit: %s\n", e.msg);
	}
	if (lock >= 0)
		(void)close(lock);
	return code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, 'o'},
		{"bundle", required_argument, NULL, 'b'},
		{"reinit", no_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = CONFIG_DEFAULT_PATH;
	const char *bundle = NULL;
	bool once = false;
	bool reinit = false;
	int code;
	int c;

	i18n_init();
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'b':
			bundle = optarg;
			break;
		case 'r':
			reinit = true;
			break;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (bundle != NULL && !once) || (reinit && once)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	handover_exec_active(config_path, argv);
	if (reinit)
		return run_reinit(config_path);
	if (!once)
		return daemon_run(config_path);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		printf("%s libcurl cannot start\n", state_name(STATE_STOPPED));
		return state_exit_code(STATE_STOPPED);
	}
	code = run_once(config_path, bundle);
	curl_global_cleanup();
	return code;
}
