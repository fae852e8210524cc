/*
 * notify_systemd.c - notify.h for systemd: sd_notify(3) messages for
 * haishind.service (Type=notify).
 *
 * sd_notify() returns 0 and sends nothing when NOTIFY_SOCKET is unset, so
 * these are safe to call in the foreground, in --once runs and in tests.
 * The environment is never unset (unset_environment = 0): the daemon keeps
 * reporting for its whole life.
 */
#include "notify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

/*
 * "STATUS=" plus one line; systemctl status shows a line, so a longer text
 * is cut rather than refused, and a newline (which would start another
 * assignment) becomes a space.
 */
#define NOTIFY_STATUS_MAX 256

int notify_ready(void)
{
	return sd_notify(0, "READY=1\nSTATUS=ready");
}

void notify_status(const char *fmt, ...)
{
	char text[NOTIFY_STATUS_MAX];
	char msg[sizeof("STATUS=") + NOTIFY_STATUS_MAX];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '\n' || text[i] == '\r')
			text[i] = ' ';
	(void)snprintf(msg, sizeof(msg), "STATUS=%s", text);
	(void)sd_notify(0, msg);
}

void notify_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

int notify_main_pid(pid_t pid)
{
	return sd_notifyf(0, "MAINPID=%lld", (long long)pid);
}

void notify_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}
