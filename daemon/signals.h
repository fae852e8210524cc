/*
 * signals.h - what the operating system asks of haishind: stop, or read the
 * configuration again.  The event loop polls one readable descriptor and,
 * when it is ready, takes the requests one by one; it never sees a signal
 * number.  Each platform has its own file (docs/platform.md):
 * signals_linux.c turns SIGTERM and SIGINT into SIGNALS_STOP and SIGHUP into
 * SIGNALS_RELOAD through a signalfd, and swallows SIGPIPE.
 *
 * The signals are blocked in the calling thread from signals_open() on, and
 * stay blocked until the process ends (signals_free() only closes the
 * descriptor): threads started afterwards inherit the mask, so no thread is
 * ever killed by them, and one that arrives during shutdown is not fatal.
 */
#ifndef HAISHIN_SIGNALS_H
#define HAISHIN_SIGNALS_H

#include "hs_err.h"

/* A request from the operating system. */
enum signals_event {
	SIGNALS_NONE, /* nothing (more) is waiting */
	SIGNALS_STOP, /* shut down cleanly (SIGTERM, SIGINT) */
	SIGNALS_RELOAD, /* read the configuration again (SIGHUP) */
};

struct signals;

/*
 * Starts catching the requests.  Returns 0 and *ret_s, which the caller
 * frees with signals_free(); or a negative errno with e set.
 */
int signals_open(struct signals **ret_s, struct hs_err *e);

/* Closes what signals_open() opened; NULL is allowed. */
void signals_free(struct signals *s);

/* The descriptor to poll for POLLIN: readable while a request waits. */
int signals_fd(const struct signals *s);

/*
 * The next waiting request, or SIGNALS_NONE when none is left (it never
 * blocks).  A signal sent again before it was taken counts once; signals
 * that ask for nothing (SIGPIPE) are consumed on the way.
 */
enum signals_event signals_next(struct signals *s);

#endif
