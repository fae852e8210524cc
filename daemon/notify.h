/*
 * notify.h - tells systemd how the daemon is doing (Type=notify), through
 * sd_notify(3) from libsystemd.  Outside systemd, with NOTIFY_SOCKET unset,
 * every call does nothing and succeeds, so callers need no special case.
 * Nothing here is worth failing the daemon for: only notify_ready returns a
 * result, for the caller to log.
 */
#ifndef HAISHIN_NOTIFY_H
#define HAISHIN_NOTIFY_H

/*
 * Says READY=1: the control socket is listening and the configuration is
 * loaded.  Returns 1 if systemd was told, 0 when not under systemd, or a
 * negative errno.
 */
int notify_ready(void);

/* Sets the one-line STATUS= that systemctl status shows; errors ignored. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Says STOPPING=1: shutdown has begun (SIGTERM). */
void notify_stopping(void);

/*
 * Says RELOADING=1 (SIGHUP); the caller says notify_ready() again when the
 * new configuration is in force.
 */
void notify_reloading(void);

#endif
