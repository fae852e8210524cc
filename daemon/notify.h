/*
 * notify.h - tells the service manager how the daemon is doing: ready,
 * reloading, stopping, and a one-line status for a person.  Each platform
 * has its own file (docs/platform.md): notify_systemd.c speaks sd_notify(3)
 * to systemd (haishind.service is Type=notify).  Outside a service manager
 * every call does nothing and succeeds, so callers need no special case.
 * Nothing here is worth failing the daemon for: only notify_ready returns a
 * result, for the caller to log.
 */
#ifndef HAISHIN_NOTIFY_H
#define HAISHIN_NOTIFY_H

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

#endif
