/*
 * cycle_seam.c - the real network, clock and installer of an attempt
 * (cycle.h): transfer.h over one libcurl handle, time(2) and nanosleep(2),
 * install.h on the install root.  Nothing here decides anything; each
 * function passes its call on.
 */
#include "cycle.h"

#include <string.h>
#include <time.h>

#include "install.h"

/* The network's env with the fetch handle the real network holds. */
static struct transfer_env cycle_seam_env(void *fetch,
					  const struct transfer_env *env)
{
	struct transfer_env real = *env;

	real.fetch = fetch;
	return real;
}

static int cycle_seam_get_file(void *ctx, const struct transfer_env *env,
			       const struct transfer_job *job,
			       struct part **ret_part,
			       struct transfer_result *ret_res,
			       struct hs_err *e)
{
	const struct transfer_env real = cycle_seam_env(ctx, env);

	return transfer_run(&real, job, ret_part, ret_res, e);
}

static int cycle_seam_get_meta(void *ctx, const struct transfer_env *env,
			       const char *url, size_t max,
			       const struct transfer_validators *have,
			       char **ret_buf, size_t *ret_len,
			       struct transfer_validators *ret_got,
			       struct hs_err *e)
{
	const struct transfer_env real = cycle_seam_env(ctx, env);

	return transfer_buf_cond(&real, url, max, have, ret_buf, ret_len,
				 ret_got, e);
}

struct cycle_net cycle_net_transfer(struct fetch *fetch)
{
	const struct cycle_net net = {cycle_seam_get_file, cycle_seam_get_meta,
				      fetch};

	return net;
}

static int64_t cycle_seam_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

/* Sleeps in slices of 200 ms, so a cancel is seen within one. */
static void cycle_seam_sleep_until(void *ctx, int64_t until,
				   const atomic_bool *cancel)
{
	const struct timespec slice = {0, 200 * 1000 * 1000};

	while (cycle_seam_now(ctx) < until &&
	       (cancel == NULL || !atomic_load(cancel)))
		(void)nanosleep(&slice, NULL);
}

struct cycle_clock cycle_clock_system(void)
{
	const struct cycle_clock clock = {cycle_seam_now,
					  cycle_seam_sleep_until, NULL};

	return clock;
}

static int cycle_seam_stage(void *ctx, const char *root, const char *name,
			    const char *version, int pkg_fd,
			    uint64_t *ret_bytes, struct hs_err *e)
{
	(void)ctx;
	return install_stage(root, name, version, pkg_fd, ret_bytes, e);
}

static int cycle_seam_activate(void *ctx, const char *root, const char *name,
			       const char *version, struct hs_err *e)
{
	(void)ctx;
	return install_activate(root, name, version, e);
}

struct cycle_installer cycle_installer_disk(void)
{
	const struct cycle_installer in = {cycle_seam_stage,
					   cycle_seam_activate, NULL};

	return in;
}

void cycle_env_init(struct cycle_env *env, const struct config *cfg,
		    struct db *db, struct fetch *fetch)
{
	memset(env, 0, sizeof(*env));
	env->cfg = cfg;
	env->db = db;
	env->net = cycle_net_transfer(fetch);
	env->clock = cycle_clock_system();
	env->installer = cycle_installer_disk();
}
