// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"

/* epoll data for the loop's own fds; the engines' fds carry their index. */
enum { TAG_SIG = -1, TAG_TICK = -2, TAG_DEAD = -3 };

static int watch(struct loop *l, int fd, uint32_t events, int tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)(int64_t)tag };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int loop_init(struct loop *l)
{
	sigset_t set;
	int err;

	memset(l, 0, sizeof(*l));
	l->epfd = l->sigfd = l->tickfd = l->deadfd = -1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->epfd < 0 || l->sigfd < 0) {
		err = -errno;
		loop_free(l);
		return err;
	}
	err = watch(l, l->sigfd, EPOLLIN, TAG_SIG);
	if (err)
		loop_free(l);
	return err;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *ctx)
{
	int err;

	if (l->nfds == LOOP_MAX_FDS)
		return -ENOSPC;
	err = watch(l, fd, events, l->nfds);
	if (err)
		return err;
	l->fds[l->nfds++] = (struct loop_fd){ fd, cb, ctx };
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	for (int i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->fds[i] = (struct loop_fd){ -1, NULL, NULL };	/* keeps the others' index */
		return 0;
	}
	return -ENOENT;
}

/* A timerfd firing in @ns, then every @period_ns (0: once). */
static int timer(struct loop *l, int *fd, int tag, uint64_t ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) },
		.it_interval = { (time_t)(period_ns / NSEC_PER_SEC), (long)(period_ns % NSEC_PER_SEC) },
	};
	int err;

	if (*fd < 0) {
		*fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (*fd < 0)
			return -errno;
		err = watch(l, *fd, EPOLLIN, tag);
		if (err)
			return err;
	}
	return timerfd_settime(*fd, 0, &its, NULL) ? -errno : 0;
}

int loop_set_tick(struct loop *l, uint64_t interval_ns, loop_tick_cb cb, void *ctx)
{
	l->tick_cb = cb;
	l->tick_ctx = ctx;
	return timer(l, &l->tickfd, TAG_TICK, interval_ns, interval_ns);
}

int loop_set_deadline(struct loop *l, uint64_t after_ns)
{
	return timer(l, &l->deadfd, TAG_DEAD, after_ns, 0);
}

void loop_stop(struct loop *l)
{
	atomic_store(&l->stop, true);
}

bool loop_resume(struct loop *l)
{
	if (l->signo || l->err)
		return false;
	atomic_store(&l->stop, false);
	return true;
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		l->signo = (int)si.ssi_signo;
		loop_stop(l);
	}
}

static int on_tick(struct loop *l)
{
	uint64_t n;

	if (read(l->tickfd, &n, sizeof(n)) != sizeof(n))
		return 0;
	l->ticks += n;
	return l->tick_cb ? l->tick_cb(l->tick_ctx, now_ns()) : 0;
}

/* One wait: 100 ms at most, so loop_stop() from another thread is seen. */
#define LOOP_WAIT_MS 100

static int dispatch(struct loop *l, const struct epoll_event *ev)
{
	int tag = (int)(int64_t)ev->data.u64;
	uint64_t n;

	switch (tag) {
	case TAG_SIG:
		on_signal(l);
		return 0;
	case TAG_TICK:
		return on_tick(l);
	case TAG_DEAD:
		if (read(l->deadfd, &n, sizeof(n)) == sizeof(n))
			loop_stop(l);
		return 0;
	default:
		if (tag < 0 || tag >= l->nfds || !l->fds[tag].cb)
			return 0;
		return l->fds[tag].cb(l->fds[tag].ctx, l->fds[tag].fd, ev->events);
	}
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_MAX_FDS + 3];
	int n, err;

	n = epoll_wait(l->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		l->err = -errno;
		loop_stop(l);
		return l->err;
	}
	for (int i = 0; i < n && !loop_stopped(l); i++) {
		err = dispatch(l, &evs[i]);
		if (err < 0) {
			l->err = err;
			loop_stop(l);
		}
	}
	return l->err;
}

int loop_run(struct loop *l)
{
	while (!loop_stopped(l))
		loop_run_once(l, LOOP_WAIT_MS);
	return l->err;
}

void loop_free(struct loop *l)
{
	int *fds[] = { &l->epfd, &l->sigfd, &l->tickfd, &l->deadfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
