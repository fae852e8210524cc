/*
 * hook.c - running a package's hooks and a restart command (hook.h) with
 * proc.h: the paths, the four variables, the timeout.  Nothing here decides
 * what a failure means (decide.h does).
 */
#include "hook.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "hs_limits.h"
#include "str.h"

/* The environment of a run: its variables and their room. */
struct hook_env {
	char component[HS_NAME_MAX + 32];
	char version[HS_VERSION_MAX + 32];
	char previous[HS_VERSION_MAX + 32];
	char dir[PATH_MAX + 32];
	const char *v[5];
};

/* The directory t runs in: INSTALL/NAME/VERSION, or INSTALL/NAME. */
static int hook_dir(const struct hook_target *t, char *out, size_t n,
		    struct hs_err *e)
{
	int r;

	if (t->version[0] != '\0')
		r = hs_snprintf(out, n, "%s/%s/%s", t->root, t->name,
				t->version);
	else
		r = hs_snprintf(out, n, "%s/%s", t->root, t->name);
	if (r < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s/%s'",
				  t->root, t->name);
	return 0;
}

static int hook_env_make(const struct hook_target *t, const char *dir,
			 struct hook_env *env, struct hs_err *e)
{
	if (hs_snprintf(env->component, sizeof(env->component),
			"HAISHIN_COMPONENT=%s", t->name) < 0 ||
	    hs_snprintf(env->version, sizeof(env->version),
			"HAISHIN_VERSION=%s", t->version) < 0 ||
	    hs_snprintf(env->previous, sizeof(env->previous),
			"HAISHIN_PREVIOUS=%s", t->previous) < 0 ||
	    hs_snprintf(env->dir, sizeof(env->dir), "HAISHIN_DIR=%s",
			t->version[0] != '\0' ? dir : "") < 0)
		return hs_err_set(e, -ENAMETOOLONG,
				  "the environment of %s %s is too long",
				  t->name, t->version);
	env->v[0] = env->component;
	env->v[1] = env->version;
	env->v[2] = env->previous;
	env->v[3] = env->dir;
	env->v[4] = NULL;
	return 0;
}

/* Runs argv for t in its directory dir. */
static int hook_exec(const struct hook_target *t, const char *dir,
		     const char *const *argv, struct proc_result *ret,
		     struct hs_err *e)
{
	struct hook_env env;
	struct proc_cmd cmd;
	int r;

	r = hook_env_make(t, dir, &env, e);
	if (r < 0)
		return r;
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.cwd = dir;
	cmd.env = env.v;
	cmd.timeout = t->timeout;
	cmd.cancel = t->cancel;
	return proc_run(&cmd, ret, e);
}

int hook_run(const struct hook_target *t, const char *hook,
	     struct proc_result *ret, struct hs_err *e)
{
	char dir[PATH_MAX];
	char path[PATH_MAX];
	const char *argv[2] = {path, NULL};
	struct stat st;
	int r;

	r = hook_dir(t, dir, sizeof(dir), e);
	if (r < 0)
		return r;
	if (hs_snprintf(path, sizeof(path), "%s/%s/%s", dir, HOOK_DIR, hook) <
	    0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
	if (lstat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	r = hook_exec(t, dir, argv, ret, e);
	return r < 0 ? r : 1;
}

int hook_command(const struct hook_target *t, const char *command,
		 struct proc_result *ret, struct hs_err *e)
{
	const char *argv[4] = {HOOK_SHELL, "-c", command, NULL};
	char dir[PATH_MAX];
	int r;

	r = hook_dir(t, dir, sizeof(dir), e);
	if (r < 0)
		return r;
	return hook_exec(t, dir, argv, ret, e);
}

void hook_describe(const struct hook_target *t, const struct proc_result *res,
		   char *out, size_t n)
{
	struct proc_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.timeout = t->timeout;
	proc_describe(&cmd, res, out, n);
}
