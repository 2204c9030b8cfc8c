/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one run loop every command shares: epoll over a signalfd (SIGINT,
 * SIGTERM: stop), a timerfd for periodic ticks (they come on an idle link
 * too), an optional deadline, and the engines' own fds (pcap's selectable
 * fd, a BPF ring buffer's epoll fd, sockets). One stop flag, readable from
 * other threads. xdp-tools' sample_run() has the same shape.
 */
#ifndef DS_LOOP_H
#define DS_LOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX_FDS 8

/* Return <0 (-errno) to stop the loop with that error. */
typedef int (*loop_fd_cb)(void *ctx, int fd, uint32_t events);
typedef int (*loop_tick_cb)(void *ctx, uint64_t now_ns);

struct loop_fd {
	int fd;
	loop_fd_cb cb;
	void *ctx;
};

struct loop {
	int epfd, sigfd, tickfd, deadfd;
	atomic_bool stop;
	int signo;			/* the signal that stopped it, 0 if none */
	int err;			/* the callback error that stopped it */
	loop_tick_cb tick_cb;
	void *tick_ctx;
	uint64_t ticks;
	struct loop_fd fds[LOOP_MAX_FDS];
	int nfds;
};

/**
 * loop_init() - block SIGINT and SIGTERM (in this thread and every thread
 * it creates after) and read them from a signalfd; SIGPIPE is ignored.
 * Call before starting threads. Return: 0 or -errno.
 */
int loop_init(struct loop *l);
/* Watch @fd for @events (EPOLLIN ...). Return: 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *ctx);
int loop_del_fd(struct loop *l, int fd);
/* Call @cb every @interval_ns (0: no ticks). Return: 0 or -errno. */
int loop_set_tick(struct loop *l, uint64_t interval_ns, loop_tick_cb cb, void *ctx);
/* Stop by itself @after_ns from now (0: never). Return: 0 or -errno. */
int loop_set_deadline(struct loop *l, uint64_t after_ns);
/**
 * loop_run() - wait and dispatch until stopped: a signal, the deadline,
 * loop_stop(), or a callback's error. One wait lasts 100 ms at most, so a
 * loop_stop() from another thread is seen without an fd of its own.
 * Return: 0, or the callback's -errno.
 */
int loop_run(struct loop *l);
/*
 * One wait of at most @timeout_ms (0: just look) and its dispatch, for a
 * caller with a loop of its own (reading a file as fast as it can).
 * Return: 0, or the callback's -errno (the loop is then stopped).
 */
int loop_run_once(struct loop *l, int timeout_ms);
/* Any thread, any time: loop_run() returns within one wait. */
void loop_stop(struct loop *l);
/*
 * After a stop that was no signal's and no error's (a deadline, a
 * loop_stop()), run on: false, and still stopped, otherwise.
 */
bool loop_resume(struct loop *l);
static inline bool loop_stopped(struct loop *l)
{
	return atomic_load_explicit(&l->stop, memory_order_relaxed);
}
void loop_free(struct loop *l);

#endif
