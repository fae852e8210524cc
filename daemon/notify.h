/*
 * notify.h - tells the service manager how the daemon is doing: ready,
 * reloading, stopping, the new main process after a hand-over, and a
 * one-line status for a person.  Each platform
 * has its own file (docs/platform.md): notify_systemd.c speaks sd_notify(3)
 * to systemd (haishind.service is Type=notify).  Outside a service manager
 * every call does nothing and succeeds, so callers need no special case.
 * Nothing here is worth failing the daemon for: only notify_ready and
 * notify_main_pid return a result, for the caller to log.
 */
#ifndef HAISHIN_NOTIFY_H
#define HAISHIN_NOTIFY_H

#include <sys/types.h>

/*
 * Says the daemon is ready: the control socket is listening and the
 * configuration is loaded.  Returns 1 if the service manager was told, 0
 * when there is none, or a negative errno.
 */
int notify_ready(void);

/* Sets the one-line status the service manager shows (systemctl status);
 * errors ignored. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Says shutdown has begun (a stop request, signals.h). */
void notify_stopping(void);

/*
 * Says the configuration is being read again (a reload request); the caller
 * says notify_ready() again when the new configuration is in force.
 */
void notify_reloading(void);

/*
 * Says the service's main process is now pid: a new haishind this one
 * handed over to (docs/daemon.md, "haishin updates itself"), which goes on
 * after this one exits.  The unit needs NotifyAccess=all, so that the new
 * process may speak for the service before and after.  Returns 1 if the
 * service manager was told, 0 when there is none, or a negative errno.
 */
int notify_main_pid(pid_t pid);

#endif
