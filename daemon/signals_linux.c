/*
 * signals_linux.c - signals.h on Linux: the signals are blocked and read
 * from a signalfd(2), so they arrive as data in the event loop instead of
 * interrupting whatever runs.  SIGPIPE is blocked with the others (a write
 * to a closed control socket returns EPIPE) and read away as no request.
 */
#include "signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct signals {
	int fd; /* the signalfd */
};

static void signals_set(sigset_t *set)
{
	(void)sigemptyset(set);
	(void)sigaddset(set, SIGTERM);
	(void)sigaddset(set, SIGINT);
	(void)sigaddset(set, SIGHUP);
	(void)sigaddset(set, SIGPIPE);
}

int signals_open(struct signals **ret_s, struct hs_err *e)
{
	struct signals *s;
	sigset_t set;

	s = malloc(sizeof(*s));
	if (s == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	signals_set(&set);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		free(s);
		return hs_err_set(e, -EINVAL, "cannot block signals");
	}
	s->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->fd < 0) {
		const int r = -errno;

		free(s);
		return hs_err_set(e, r, "signalfd: %s", strerror(-r));
	}
	*ret_s = s;
	return 0;
}

void signals_free(struct signals *s)
{
	if (s == NULL)
		return;
	(void)close(s->fd);
	free(s);
}

int signals_fd(const struct signals *s)
{
	return s->fd;
}

enum signals_event signals_next(struct signals *s)
{
	struct signalfd_siginfo si;

	while (read(s->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			return SIGNALS_RELOAD;
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			return SIGNALS_STOP;
	}
	return SIGNALS_NONE;
}
