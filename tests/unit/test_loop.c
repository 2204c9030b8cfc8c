// SPDX-License-Identifier: GPL-2.0
/* The run loop: ticks with no traffic, signals stop it fast, fds dispatch. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "unit.h"

struct ticker {
	struct loop *l;
	int n, want;
	uint64_t first_ns;
};

static int on_tick(void *ctx, uint64_t now)
{
	struct ticker *t = ctx;

	if (!t->n++)
		t->first_ns = now;
	if (t->n == t->want)
		loop_stop(t->l);
	return 0;
}

/* Nothing but the timer: ticks still come (the shaper needs them idle). */
static void test_loop_tick_idle(void)
{
	struct loop l;
	struct ticker t = { &l, 0, 3, 0 };
	uint64_t t0 = now_ns(), dt;

	CHECK(loop_init(&l) == 0, "init");
	CHECK(loop_set_tick(&l, 20 * NSEC_PER_MSEC, on_tick, &t) == 0, "tick");
	CHECK(loop_run(&l) == 0, "run");
	dt = now_ns() - t0;
	CHECK(t.n == 3 && l.ticks >= 3, "ticks %d", t.n);
	CHECK(dt >= 60 * NSEC_PER_MSEC && dt < 2 * NSEC_PER_SEC, "3 ticks of 20 ms in %llu ns",
	      (unsigned long long)dt);
	loop_free(&l);
}

struct killer {
	int signo;
	uint64_t sent_ns;
};

static void *send_later(void *arg)
{
	struct killer *k = arg;
	struct timespec ts = { 0, 50 * 1000000L };

	nanosleep(&ts, NULL);
	k->sent_ns = now_ns();
	kill(getpid(), k->signo);
	return NULL;
}

/* SIGINT or SIGTERM stops the loop within 100 ms, with no tick set. */
static void stop_by(int signo)
{
	struct loop l;
	struct killer k = { signo, 0 };
	pthread_t th;
	uint64_t dt;

	CHECK(loop_init(&l) == 0, "init");
	pthread_create(&th, NULL, send_later, &k);
	CHECK(loop_run(&l) == 0, "run");
	dt = now_ns() - k.sent_ns;
	pthread_join(th, NULL);
	CHECK(l.signo == signo, "stopped by %d", l.signo);
	CHECK(dt < 100 * NSEC_PER_MSEC, "stopped %llu us after the signal",
	      (unsigned long long)(dt / 1000));
	loop_free(&l);
}

static void test_loop_sigint(void)
{
	stop_by(SIGINT);
}

static void test_loop_sigterm(void)
{
	stop_by(SIGTERM);
}

static void *stop_later(void *arg)
{
	struct timespec ts = { 0, 30 * 1000000L };

	nanosleep(&ts, NULL);
	loop_stop(arg);
	return NULL;
}

/* loop_stop() from another thread, no fd of its own: seen within a wait. */
static void test_loop_stop_thread(void)
{
	struct loop l;
	pthread_t th;
	uint64_t t0 = now_ns(), dt;

	CHECK(loop_init(&l) == 0, "init");
	pthread_create(&th, NULL, stop_later, &l);
	CHECK(loop_run(&l) == 0, "run");
	dt = now_ns() - t0;
	pthread_join(th, NULL);
	CHECK(dt < 200 * NSEC_PER_MSEC, "stopped after %llu ms",
	      (unsigned long long)(dt / NSEC_PER_MSEC));
	loop_free(&l);
}

static void test_loop_deadline(void)
{
	struct loop l;
	uint64_t t0 = now_ns(), dt;

	CHECK(loop_init(&l) == 0, "init");
	CHECK(loop_set_deadline(&l, 40 * NSEC_PER_MSEC) == 0, "deadline");
	CHECK(loop_run(&l) == 0, "run");
	dt = now_ns() - t0;
	CHECK(dt >= 40 * NSEC_PER_MSEC && dt < 140 * NSEC_PER_MSEC, "ran %llu ms",
	      (unsigned long long)(dt / NSEC_PER_MSEC));
	CHECK(l.signo == 0, "no signal");
	loop_free(&l);
}

struct reader {
	int got;
	char buf[8];
};

static int on_read(void *ctx, int fd, uint32_t events)
{
	struct reader *r = ctx;
	ssize_t n = read(fd, r->buf, sizeof(r->buf));

	if (n > 0)
		r->got += (int)n;
	return r->got >= 3 ? -EPIPE : 0;	/* an error stops the loop with it */
}

static void test_loop_fd_and_error(void)
{
	struct loop l;
	struct reader r = { 0 };
	int p[2];

	CHECK(pipe(p) == 0, "pipe");
	CHECK(loop_init(&l) == 0, "init");
	CHECK(loop_add_fd(&l, p[0], EPOLLIN, on_read, &r) == 0, "add");
	CHECK(write(p[1], "abc", 3) == 3, "write");
	CHECK(loop_run(&l) == -EPIPE, "the callback's error: %d", l.err);
	CHECK(r.got == 3 && !strncmp(r.buf, "abc", 3), "read %d", r.got);
	CHECK(loop_del_fd(&l, p[0]) == 0 && loop_del_fd(&l, p[0]) == -ENOENT, "del");
	loop_free(&l);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	RUN(test_loop_tick_idle);
	RUN(test_loop_sigint);
	RUN(test_loop_sigterm);
	RUN(test_loop_stop_thread);
	RUN(test_loop_deadline);
	RUN(test_loop_fd_and_error);
	return unit_done();
}
