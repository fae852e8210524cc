/*
 * log.c - stderr logging with syslog priority prefixes for journald.  The
 * level is one of the two globals STYLE.md allows.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

static enum log_level log_level = LOG_LEVEL_INFO;

void log_set_level(enum log_level level)
{
	log_level = level;
}

static void log_vprint(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const words[] = {
		[LOG_LEVEL_ERR] = "error: ",
		[LOG_LEVEL_WARNING] = "warning: ",
		[LOG_LEVEL_INFO] = "",
		[LOG_LEVEL_DEBUG] = "debug: ",
	};
	char line[1024];

	if (level > log_level)
		return;
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (isatty(STDERR_FILENO))
		(void)fprintf(stderr, "haishind: %s%s\n", words[level], line);
	else
		(void)fprintf(stderr, "<%d>%s%s\n", (int)level, words[level],
			      line);
}

#define LOG_DEFINE(fn, level)               \
	void fn(const char *fmt, ...)       \
	{                                   \
		va_list ap;                 \
		va_start(ap, fmt);          \
		log_vprint(level, fmt, ap); \
		va_end(ap);                 \
	}

LOG_DEFINE(log_err, LOG_LEVEL_ERR)
LOG_DEFINE(log_warn, LOG_LEVEL_WARNING)
LOG_DEFINE(log_info, LOG_LEVEL_INFO)
LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG)
