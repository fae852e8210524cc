/*
 * daemon.h - the resident haishind: one event loop (poll) over the control
 * socket, signals, the attempt thread and the schedule's timer.  Attempts
 * run in the worker thread, so the socket answers while a download or an
 * install runs; everything else - requests, the schedule, state - is
 * handled on the loop, in one thread.
 */
#ifndef HAISHIN_DAEMON_H
#define HAISHIN_DAEMON_H

/*
 * Runs until SIGTERM or SIGINT; SIGHUP reloads the configuration.  Returns
 * the process exit code (0 after a clean stop, 78 when it cannot start).
 */
int daemon_run(const char *config_path);

#endif
