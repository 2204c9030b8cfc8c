// SPDX-License-Identifier: GPL-2.0
/*
 * rr client: connects the control and N data connections, runs the
 * transactions from worker threads, then collects the server's view of the
 * same connections. A worker that owns a single stream uses blocking
 * send/recv (two syscalls per transaction, as netperf does); a worker with
 * several multiplexes them with epoll.
 */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "netaddr.h"
#include "rr.h"
#include "rr_proto.h"
#include "rr_record.h"

#define IO_CHUNK	(64 * 1024)
#define CTL_TIMEOUT_MS	10000
/*
 * Signals are read by the main thread's loop, so no worker's syscall is
 * ever interrupted: a worker waits at most this long before it looks at
 * the stop and abort flags (SO_RCVTIMEO/SO_SNDTIMEO, epoll_wait).
 */
#define IO_SLICE_MS	50

static const char zeros[IO_CHUNK];

struct stream {
	int fd;
	uint32_t idx;
	bool busy;
	uint32_t to_send, to_recv;
	uint64_t t0;
	struct rr_stream_result *res;
	struct rr_track track;		/* flow and sequence bases: --events only */
};

struct run {
	const struct rr_config *cfg;
	struct loop *loop;		/* stopped: start no more transactions */
	uint64_t timeout_ns;
	atomic_llong remaining;		/* transactions left to start */
	atomic_int failed;
	atomic_bool abort;		/* a signal: drop in-flight transactions too */
	atomic_uint running;		/* workers; the last one out stops the loop */
	pthread_mutex_t lock;
	char *error;			/* first failure wins; points into rr_result */
	size_t error_len;
};

struct worker {
	pthread_t tid;
	struct run *run;
	struct stream *streams;
	uint32_t nstreams;
	char scratch[IO_CHUNK];
};

static void run_fail(struct run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void run_fail(struct run *run, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run->lock);
	if (!atomic_exchange(&run->failed, 1)) {
		va_start(ap, fmt);
		vsnprintf(run->error, run->error_len, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&run->lock);
}

/* Whether a stream may begin another transaction now. */
static bool may_start(struct run *run)
{
	if (loop_stopped(run->loop) || atomic_load_explicit(&run->failed, memory_order_relaxed))
		return false;
	if (!run->cfg->transactions)
		return true;		/* the loop's deadline ends the run */
	return atomic_fetch_sub(&run->remaining, 1) > 0;
}

/* Whether to give up on a transaction in flight: Ctrl-C, or another stream failed. */
static bool abandoned(struct run *run)
{
	return atomic_load_explicit(&run->abort, memory_order_relaxed) ||
	       atomic_load_explicit(&run->failed, memory_order_relaxed);
}

static void complete(const struct rr_config *cfg, struct stream *st, uint64_t t1)
{
	rr_record(cfg, &st->track, st->res, st->t0, t1, cfg->req_size, cfg->resp_size);
	st->busy = false;
}

static void io_fail(struct run *run, struct stream *st, ssize_t n, int err)
{
	if (n == 0)
		run_fail(run, "stream %u: server closed the connection", st->idx);
	else if (err == EAGAIN || err == EWOULDBLOCK)
		run_fail(run, "stream %u: no response within %g s", st->idx,
			 run->cfg->timeout_s);
	else
		run_fail(run, "stream %u: %s", st->idx, strerror(err));
}

/*
 * Send (@buf NULL: zeros) or receive into @buf @len bytes on a blocking
 * socket whose timeouts are IO_SLICE_MS: each slice that passes checks for
 * a stop, and the transaction's own timeout. Return: false after a failure
 * (reported) or when abandoned.
 */
static bool io_all(struct run *run, struct stream *st, char *buf, uint32_t len)
{
	while (len) {
		size_t chunk = len < IO_CHUNK ? len : IO_CHUNK;
		ssize_t n = buf ? recv(st->fd, buf, chunk, 0)
				: send(st->fd, zeros, chunk, MSG_NOSIGNAL);

		if (n > 0) {
			len -= (uint32_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (abandoned(run))
				return false;	/* the user's stop is not a failure */
			if (now_ns() - st->t0 < run->timeout_ns)
				continue;
			errno = EAGAIN;
		}
		io_fail(run, st, n, errno);
		return false;
	}
	return true;
}

/* One stream per worker: plain blocking I/O; SO_RCVTIMEO bounds a stall. */
static void serve_blocking(struct worker *w)
{
	struct run *run = w->run;
	struct stream *st = &w->streams[0];
	const struct rr_config *cfg = run->cfg;

	while (may_start(run)) {
		st->t0 = now_ns();
		st->busy = true;
		if (!io_all(run, st, NULL, cfg->req_size) ||
		    !io_all(run, st, w->scratch, cfg->resp_size))
			return;
		complete(cfg, st, now_ns());
	}
}

static int arm(int epfd, struct stream *st, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = st };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, st->fd, &ev) ? -errno : 0;
}

/* Push the request; switch to EPOLLOUT only when the socket buffer is full. */
static int pump_send(struct worker *w, int epfd, struct stream *st)
{
	while (st->to_send) {
		ssize_t n = send(st->fd, zeros,
				 st->to_send < IO_CHUNK ? st->to_send : IO_CHUNK,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN)
			return arm(epfd, st, EPOLLOUT);
		if (n <= 0) {
			io_fail(w->run, st, n, errno);
			return -EIO;
		}
		st->to_send -= (uint32_t)n;
	}
	return 0;
}

static int begin(struct worker *w, int epfd, struct stream *st, uint64_t now)
{
	const struct rr_config *cfg = w->run->cfg;

	st->t0 = now;
	st->busy = true;
	st->to_send = cfg->req_size;
	st->to_recv = cfg->resp_size;
	return pump_send(w, epfd, st);
}

static int on_event(struct worker *w, int epfd, struct stream *st,
		    uint32_t *active)
{
	struct run *run = w->run;
	uint64_t now;
	ssize_t n;

	if (st->to_send) {
		if (pump_send(w, epfd, st))
			return -EIO;
		return st->to_send ? 0 : arm(epfd, st, EPOLLIN);
	}
	n = recv(st->fd, w->scratch, st->to_recv < IO_CHUNK ? st->to_recv : IO_CHUNK,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0 || !st->busy) {
		/* Bytes while idle: the server sent more than it was asked. */
		if (n > 0)
			run_fail(run, "stream %u: unexpected data from server", st->idx);
		else
			io_fail(run, st, n, errno);
		return -EIO;
	}
	st->to_recv -= (uint32_t)n;
	if (st->to_recv)
		return 0;
	now = now_ns();
	complete(run->cfg, st, now);
	if (may_start(run))
		return begin(w, epfd, st, now);
	(*active)--;
	return 0;
}

static bool any_stalled(struct worker *w, uint64_t now)
{
	for (uint32_t i = 0; i < w->nstreams; i++) {
		struct stream *st = &w->streams[i];

		if (st->busy && now - st->t0 > w->run->timeout_ns) {
			run_fail(w->run, "stream %u: no response within %g s",
				 st->idx, w->run->cfg->timeout_s);
			return true;
		}
	}
	return false;
}

static void serve_epoll(struct worker *w)
{
	struct epoll_event evs[64];
	uint32_t active = 0;
	uint64_t next_check;
	int epfd;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		run_fail(w->run, "epoll: %s", strerror(errno));
		return;
	}
	for (uint32_t i = 0; i < w->nstreams; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->streams[i] };

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, w->streams[i].fd, &ev)) {
			run_fail(w->run, "epoll: %s", strerror(errno));
			goto out;
		}
	}
	for (uint32_t i = 0; i < w->nstreams; i++) {
		if (!may_start(w->run))
			break;
		if (begin(w, epfd, &w->streams[i], now_ns()))
			goto out;
		active++;
	}
	next_check = now_ns() + IO_SLICE_MS * NSEC_PER_MSEC;
	while (active) {
		int n = epoll_wait(epfd, evs, 64, IO_SLICE_MS);
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			run_fail(w->run, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			if (on_event(w, epfd, evs[i].data.ptr, &active))
				goto out;
		/* Ctrl-C or another worker failed: stop waiting for our stragglers. */
		if (abandoned(w->run))
			break;
		now = now_ns();
		if (now >= next_check) {
			if (any_stalled(w, now))
				break;
			next_check = now + IO_SLICE_MS * NSEC_PER_MSEC;
		}
	}
out:
	close(epfd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->nstreams == 1)
		serve_blocking(w);
	else
		serve_epoll(w);
	/* Transactions done or a failure: the main thread's loop_run() returns. */
	if (atomic_fetch_sub(&w->run->running, 1) == 1)
		loop_stop(w->run->loop);
	return NULL;
}

static uint32_t start_workers(struct run *run, struct worker *w, uint32_t nthreads,
			      struct stream *streams)
{
	const struct rr_config *cfg = run->cfg;
	uint32_t first, started = 0;

	for (uint32_t t = 0; t < nthreads; t++) {
		w[t].run = run;
		w[t].nstreams = rr_slice(cfg->streams, nthreads, t, &first);
		w[t].streams = &streams[first];
		atomic_fetch_add(&run->running, 1);
		if (pthread_create(&w[t].tid, NULL, worker_main, &w[t])) {
			atomic_fetch_sub(&run->running, 1);
			run_fail(run, "cannot start thread: %s", strerror(errno));
			break;
		}
		started++;
	}
	return started;
}

/*
 * Runs the transactions on already connected streams while this thread
 * runs the loop: its deadline (--duration) or the last worker (--transactions,
 * a failure) stops it, and a signal besides abandons what is in flight.
 * Fills res->elapsed_s.
 */
static void run_workers(const struct rr_config *cfg, struct stream *streams,
			struct rr_result *res)
{
	uint32_t nthreads = rr_workers(cfg->streams, cfg->threads), started;
	struct worker *w = calloc(nthreads, sizeof(*w));
	struct run run = {
		.cfg = cfg,
		.loop = cfg->loop,
		.timeout_ns = (uint64_t)(cfg->timeout_s * 1e9),
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.error = res->error,
		.error_len = sizeof(res->error),
	};
	uint64_t t_start;
	int err = 0;

	if (!w) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		return;
	}
	atomic_init(&run.remaining, (long long)cfg->transactions);
	atomic_init(&run.failed, 0);
	atomic_init(&run.abort, false);
	atomic_init(&run.running, 0);
	t_start = now_ns();
	if (!cfg->transactions)
		err = loop_set_deadline(run.loop, (uint64_t)(cfg->duration_s * 1e9));
	if (err)
		run_fail(&run, "timer: %s", strerror(-err));
	started = err ? 0 : start_workers(&run, w, nthreads, streams);
	if (started && loop_run(run.loop))
		run_fail(&run, "run loop: %s", strerror(-run.loop->err));
	if (run.loop->signo)
		atomic_store(&run.abort, true);
	loop_stop(run.loop);	/* a loop error: the workers start nothing more */
	for (uint32_t t = 0; t < started; t++)
		pthread_join(w[t].tid, NULL);
	res->elapsed_s = (double)(now_ns() - t_start) / 1e9;
	res->interrupted = run.loop->signo != 0;
	free(w);
}

static int fail(struct rr_result *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct rr_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	if (!res->error[0]) {
		va_start(ap, fmt);
		vsnprintf(res->error, sizeof(res->error), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* A line from the server, turning "ERR <reason>" into a failure. */
static int expect_line(struct rr_ctl *ctl, struct rr_result *res,
		       const char *prefix, char *line, int timeout_ms)
{
	int err = rr_ctl_getline(ctl, line, RR_LINE_MAX, timeout_ms);

	if (err == -ECONNRESET)
		return fail(res, err, "server %s closed the control connection",
			    res->server);
	if (err)
		return fail(res, err, "control connection to %s: %s", res->server,
			    strerror(-err));
	if (!strncmp(line, "ERR ", 4))
		return fail(res, -EPROTO, "server %s refused: %s", res->server,
			    line + 4);
	if (strncmp(line, prefix, strlen(prefix)))
		return fail(res, -EPROTO, "server %s: unexpected reply '%.40s'",
			    res->server, line);
	return 0;
}

static uint32_t session_limit_s(const struct rr_config *cfg)
{
	/* What the server may wait for DONE: the run, a drain, and slack. */
	double s = cfg->transactions ? RR_MAX_LIMIT_S
				     : cfg->duration_s + 2 * cfg->timeout_s + 30;

	return s > RR_MAX_LIMIT_S ? RR_MAX_LIMIT_S : (uint32_t)ceil(s);
}

/*
 * With slow events: the stream's flow, and its sequence bases read before
 * any payload (the server sends nothing unasked), so that each event can
 * name its segments. Without the privilege the events carry no seqs.
 */
static void track_init(const struct rr_config *cfg, struct stream *st)
{
	static atomic_bool told;
	struct rr_track *t = &st->track;
	int err;

	t->stream = st->idx;
	if (!cfg->on_slow || flow_from_socket(&t->flow, st->fd))
		return;
	err = tcp_seq_read(st->fd, &t->snd_base, &t->rcv_base);
	t->seq_valid = !err;
	if (err && !atomic_exchange(&told, true))
		pr_info("rr: slow events without req_seq/resp_seq: TCP repair: %s%s\n",
			strerror(-err), err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
}

static int connect_streams(const struct rr_config *cfg, const struct endpoint *srv,
			   uint16_t data_port, struct stream *streams,
			   struct rr_result *res)
{
	int tmo = (int)(cfg->timeout_s * 1000);
	struct endpoint dst = *srv, src, local;

	endpoint_set_port(&dst, data_port);
	for (uint32_t i = 0; i < cfg->streams; i++) {
		struct endpoint *bind_to = NULL;
		int fd;

		if (cfg->sport_base) {
			memset(&src, 0, sizeof(src));
			src.ss.ss_family = dst.ss.ss_family;
			src.len = dst.len;
			endpoint_set_port(&src, (uint16_t)(cfg->sport_base + i));
			bind_to = &src;
		}
		fd = tcp_connect(&dst, bind_to, tmo);
		if (fd < 0)
			return fail(res, fd, "data connection %u to port %u: %s%s", i,
				    data_port, strerror(-fd),
				    fd == -EADDRINUSE ? " (--sport-base port in use)" : "");
		streams[i].fd = fd;
		streams[i].idx = i;
		streams[i].res = &res->streams[i];
		if (!endpoint_local(fd, &local))
			res->streams[i].sport = endpoint_port(&local);
		flow_from_socket(&res->streams[i].flow, fd);
		track_init(cfg, &streams[i]);
		/* Blocking I/O wakes up each slice to check for a stop (io_all). */
		sock_set_timeouts(fd, IO_SLICE_MS, IO_SLICE_MS);
	}
	return 0;
}

/* DONE, then the server's per-connection counts, matched by source port. */
static int collect_remote(struct rr_ctl *ctl, struct rr_result *res)
{
	char line[RR_LINE_MAX];
	uint64_t conns;
	int err;

	err = rr_ctl_printf(ctl, "DONE\n");
	if (err)
		return fail(res, err, "control connection: %s", strerror(-err));
	err = expect_line(ctl, res, "RESULT ", line, CTL_TIMEOUT_MS);
	if (err)
		return err;
	if (rr_kv_u64(line, "conns", RR_MAX_STREAMS, &conns))
		return fail(res, -EPROTO, "server sent a malformed RESULT");
	res->remote_rto = 0;
	for (uint64_t i = 0; i < conns; i++) {
		struct rr_conn_report c;

		err = expect_line(ctl, res, "CONN ", line, CTL_TIMEOUT_MS);
		if (err)
			return err;
		if (rr_conn_parse(line, &c))
			return fail(res, -EPROTO, "server sent a malformed CONN line");
		res->remote_retrans += c.retrans;
		res->remote_rto = (c.rto < 0 || res->remote_rto < 0) ? -1
					: res->remote_rto + c.rto;
		for (uint32_t s = 0; s < res->nstreams; s++) {
			struct rr_stream_result *sr = &res->streams[s];

			if (sr->sport != c.port || sr->remote_valid)
				continue;
			sr->remote_valid = true;
			sr->remote_transactions = c.transactions;
			sr->remote_retrans = c.retrans;
			sr->remote_rto = c.rto;
			break;
		}
	}
	err = expect_line(ctl, res, "END", line, CTL_TIMEOUT_MS);
	if (!err)
		res->remote_valid = true;
	return err;
}

static void sum_results(struct rr_result *res)
{
	hist_init(&res->total);
	res->local_rto = 0;
	for (uint32_t i = 0; i < res->nstreams; i++) {
		struct rr_stream_result *s = &res->streams[i];

		hist_merge(&res->total, &s->hist);
		res->transactions += s->transactions;
		for (int t = 0; t < RR_NTAILS; t++)
			res->tail[t] += s->tail[t];
		res->local_retrans += s->local.total_retrans;
		res->local_rto = (s->local.total_rto < 0 || res->local_rto < 0) ? -1
				 : res->local_rto + s->local.total_rto;
	}
}

static int open_control(const struct rr_config *cfg, struct endpoint *srv,
			struct rr_result *res)
{
	int fd, err;

	err = endpoint_resolve(cfg->host, (uint16_t)cfg->port, cfg->family, false, srv);
	if (err)
		return fail(res, -EHOSTUNREACH, "cannot resolve '%s': %s", cfg->host,
			    gai_strerror(err));
	endpoint_str(srv, res->server, sizeof(res->server));
	fd = tcp_connect(srv, NULL, (int)(cfg->timeout_s * 1000));
	if (fd < 0)
		return fail(res, fd, "cannot connect to %s: %s", res->server,
			    strerror(-fd));
	sock_set_timeouts(fd, CTL_TIMEOUT_MS, CTL_TIMEOUT_MS);
	return fd;
}

int rr_client_run(const struct rr_config *cfg, struct rr_result *res)
{
	struct stream *streams = NULL;
	char line[RR_LINE_MAX];
	struct endpoint srv;
	struct rr_ctl ctl;
	uint64_t port;
	int fd, err;

	memset(res, 0, sizeof(*res));
	res->local_rto = res->remote_rto = -1;
	res->nstreams = cfg->streams;
	res->streams = calloc(cfg->streams, sizeof(*res->streams));
	streams = calloc(cfg->streams, sizeof(*streams));
	if (!res->streams || !streams) {
		free(streams);
		return fail(res, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < cfg->streams; i++) {
		hist_init(&res->streams[i].hist);
		streams[i].fd = -1;
	}
	hist_init(&res->total);

	fd = open_control(cfg, &srv, res);
	if (fd < 0) {
		free(streams);
		return fd;
	}
	rr_ctl_init(&ctl, fd);
	err = rr_ctl_printf(&ctl, RR_PROTO_MAGIC " streams=%u req=%u resp=%u limit_s=%u\n",
			    cfg->streams, cfg->req_size, cfg->resp_size,
			    session_limit_s(cfg));
	if (err) {
		fail(res, err, "control connection to %s: %s", res->server, strerror(-err));
		goto out;
	}
	err = expect_line(&ctl, res, "OK ", line, CTL_TIMEOUT_MS);
	if (err)
		goto out;
	if (rr_kv_u64(line, "port", 65535, &port) || !port) {
		err = fail(res, -EPROTO, "server %s sent no data port", res->server);
		goto out;
	}
	err = connect_streams(cfg, &srv, (uint16_t)port, streams, res);
	if (err)
		goto out;
	err = expect_line(&ctl, res, "READY", line, CTL_TIMEOUT_MS);
	if (err)
		goto out;
	pr_info("rr: %u streams to %s, data port %u\n", cfg->streams, res->server,
		(unsigned)port);

	run_workers(cfg, streams, res);
	for (uint32_t i = 0; i < cfg->streams; i++)
		if (tcpinfo_read(streams[i].fd, &res->streams[i].local))
			res->streams[i].local.total_rto = -1;
	/* Even a failed run asks for the server's counts: partial results. */
	err = collect_remote(&ctl, res);
	if (res->error[0] && !err)
		err = -EIO;
out:
	sum_results(res);
	for (uint32_t i = 0; i < cfg->streams; i++)
		if (streams[i].fd >= 0)
			close(streams[i].fd);
	close(fd);
	free(streams);
	return err;
}

void rr_result_free(struct rr_result *res)
{
	free(res->streams);
	res->streams = NULL;
}
