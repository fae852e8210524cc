/*
 * log.h - the daemon's log, shaped like OpenBSD ntpd's: log_warn, log_info,
 * log_debug.  Lines go to stderr; when stderr is not a terminal each line
 * starts with a syslog priority ("<4>"), which journald reads.  Only daemon/
 * logs; the libraries fill struct hs_err and never print.
 */
#ifndef HAISHIN_LOG_H
#define HAISHIN_LOG_H

#include "hs_err.h"

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Sets the most verbose level printed (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
