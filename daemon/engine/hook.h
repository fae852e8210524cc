/*
 * hook.h - a package's hooks and a component's restart command, run for
 * one version of a component (docs/install.md).
 *
 * A hook is INSTALL/NAME/VERSION/.haishin/HOOK, an executable the package
 * may carry (none is required).  It and the restart command run through
 * proc.h: the version's directory as the working directory, an environment
 * of exactly HAISHIN_COMPONENT, HAISHIN_VERSION, HAISHIN_PREVIOUS (empty on
 * a first install), HAISHIN_DIR (the version's directory) and a fixed PATH,
 * no standard input, and [install] hook_timeout, past which the program and
 * everything it started are killed.
 */
#ifndef HAISHIN_HOOK_H
#define HAISHIN_HOOK_H

#include <stdatomic.h>
#include <stdint.h>

#include "hs_err.h"
#include "proc.h"

#define HOOK_DIR ".haishin" /* at the package's root */
#define HOOK_PRE_INSTALL "pre-install"
#define HOOK_POST_INSTALL "post-install"
#define HOOK_HEALTH "health"
#define HOOK_SHELL "/bin/sh" /* runs a restart command: sh -c COMMAND */

/* The version a hook or command runs for. */
struct hook_target {
	const char *root; /* [paths] install */
	const char *name;
	const char *version; /* the directory it runs in; "" for none (a
			      * first install undone): INSTALL/NAME then */
	const char *previous; /* HAISHIN_PREVIOUS, "" for none */
	uint32_t timeout; /* seconds, [install] hook_timeout */
	const atomic_bool *cancel; /* set: kill it now */
};

/*
 * Runs the package's hook (HOOK_PRE_INSTALL ...) of t's version when it
 * has one.  Returns 1 when it ran (*ret holds how it ended, whatever its
 * exit status), 0 when the package has no such hook, or a negative errno
 * when it could not be started (-EACCES: not executable...), e naming it.
 */
int hook_run(const struct hook_target *t, const char *hook,
	     struct proc_result *ret, struct hs_err *e);

/*
 * Runs command as HOOK_SHELL -c command for t, in the same conditions.
 * Returns 0 when it ran (*ret filled), or a negative errno when it could
 * not be started.
 */
int hook_command(const struct hook_target *t, const char *command,
		 struct proc_result *ret, struct hs_err *e);

/* proc_describe() of a run for t: "exit status 3: LINE", "timed out after
 * 60 s: LINE"... into out (n bytes). */
void hook_describe(const struct hook_target *t, const struct proc_result *res,
		   char *out, size_t n);

#endif
