// SPDX-License-Identifier: GPL-2.0
/*
 * rr server: one thread per session (a control connection), so a client
 * that stalls or sends garbage only holds its own thread; each session has
 * its own data listener and worker threads. Memory per data connection is
 * a few counters: payload is read into a per-worker scratch buffer and
 * responses are sent from a shared zero page.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
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

#define IO_CHUNK		(64 * 1024)
#define MAX_SESSIONS		64
#define HELLO_TIMEOUT_MS	10000
#define ACCEPT_TIMEOUT_MS	10000
#define TICK_MS			200

static const char zeros[IO_CHUNK];
static atomic_int nsessions;

struct conn {
	int fd;
	uint16_t peer_port;
	uint32_t need_rd;	/* request bytes still to read */
	uint32_t need_wr;	/* response bytes still to send */
	uint64_t served;
	bool open;
	bool want_out;		/* armed for EPOLLOUT instead of EPOLLIN */
};

struct session {
	int ctl_fd;
	struct endpoint peer;
	struct rr_hello hello;
	struct conn *conns;
	uint32_t nconns;
	atomic_int stop;
	char peer_str[64];
};

struct sworker {
	pthread_t tid;
	struct session *s;
	struct conn *conns;
	uint32_t nconns;
	char scratch[IO_CHUNK];
};

/* Consume @n request bytes; each completed request owes one response. */
static void account_request(struct conn *c, const struct rr_hello *h, size_t n)
{
	while (n) {
		size_t take = n < c->need_rd ? n : c->need_rd;

		c->need_rd -= (uint32_t)take;
		n -= take;
		if (!c->need_rd) {
			c->need_rd = h->req_size;
			c->need_wr += h->resp_size;
			c->served++;
		}
	}
}

/* Returns false when the connection is finished (EOF, error, stop). */
static bool conn_send(struct sworker *w, struct conn *c, int flags)
{
	while (c->need_wr) {
		ssize_t n = send(c->fd, zeros, c->need_wr < IO_CHUNK ? c->need_wr : IO_CHUNK,
				 MSG_NOSIGNAL | flags);

		if (n < 0 && (errno == EINTR ||
			      (errno == EAGAIN && !(flags & MSG_DONTWAIT) &&
			       !atomic_load(&w->s->stop))))
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		c->need_wr -= (uint32_t)n;
	}
	return true;
}

static bool conn_recv(struct sworker *w, struct conn *c, int flags)
{
	ssize_t n = recv(c->fd, w->scratch, IO_CHUNK, flags);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	account_request(c, &w->s->hello, (size_t)n);
	return true;
}

/* One connection: blocking I/O; teardown wakes recv() with shutdown(SHUT_RD). */
static void sworker_blocking(struct sworker *w)
{
	struct conn *c = &w->conns[0];

	while (conn_recv(w, c, 0) && !atomic_load(&w->s->stop))
		if (c->need_wr && !conn_send(w, c, 0))
			break;
	c->open = false;
}

static void sworker_epoll(struct sworker *w)
{
	struct epoll_event evs[64];
	uint32_t open = 0;
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		return;
	for (uint32_t i = 0; i < w->nconns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->conns[i] };

		if (!epoll_ctl(epfd, EPOLL_CTL_ADD, w->conns[i].fd, &ev))
			open++;
		else
			w->conns[i].open = false;
	}
	while (open && !atomic_load(&w->s->stop)) {
		int n = epoll_wait(epfd, evs, 64, TICK_MS);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			struct epoll_event ev = { .data.ptr = c };
			bool ok;

			if (c->need_wr)
				ok = conn_send(w, c, MSG_DONTWAIT);
			else
				ok = conn_recv(w, c, MSG_DONTWAIT) &&
				     conn_send(w, c, MSG_DONTWAIT);
			if (!ok) {
				epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
				c->open = false;
				open--;
				continue;
			}
			/* Back-pressure: read no request while a response is owed. */
			if (c->want_out != !!c->need_wr) {
				c->want_out = c->need_wr;
				ev.events = c->want_out ? EPOLLOUT : EPOLLIN;
				epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
	close(epfd);
}

static void *sworker_main(void *arg)
{
	struct sworker *w = arg;

	if (w->nconns == 1)
		sworker_blocking(w);
	else
		sworker_epoll(w);
	return NULL;
}

static bool same_host(const struct endpoint *a, const struct endpoint *b)
{
	const struct sockaddr_in6 *a6 = (const void *)&a->ss, *b6 = (const void *)&b->ss;
	const struct sockaddr_in *a4 = (const void *)&a->ss, *b4 = (const void *)&b->ss;

	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET6)
		return !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
	return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
}

/*
 * The session's data listener on the control connection's local address,
 * ephemeral port; only the control peer's host may connect.
 */
static int accept_conns(struct session *s, struct rr_ctl *ctl)
{
	struct endpoint local, peer;
	uint64_t deadline;
	int lfd, err = 0, one = 1;

	if (endpoint_local(s->ctl_fd, &local))
		return -errno;
	endpoint_set_port(&local, 0);
	lfd = tcp_listen(&local, (int)s->hello.streams);
	if (lfd < 0)
		return lfd;
	endpoint_local(lfd, &local);
	err = rr_ctl_printf(ctl, "OK port=%u\n", endpoint_port(&local));
	deadline = now_ns() + ACCEPT_TIMEOUT_MS * NSEC_PER_MSEC;
	while (!err && s->nconns < s->hello.streams) {
		struct pollfd pfd[2] = { { lfd, POLLIN, 0 }, { s->ctl_fd, POLLIN, 0 } };
		int64_t left = (int64_t)(deadline - now_ns()) / (int64_t)NSEC_PER_MSEC;
		struct conn *c;
		int fd;

		if (left <= 0 || poll(pfd, 2, (int)left) <= 0) {
			err = left <= 0 ? -ETIMEDOUT : 0;
			continue;
		}
		/* Nothing is expected on control now: data or EOF ends it. */
		if (pfd[1].revents) {
			err = -ECONNRESET;
			break;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (endpoint_peer(fd, &peer) || !same_host(&peer, &s->peer)) {
			close(fd);
			continue;
		}
		c = &s->conns[s->nconns++];
		*c = (struct conn){ .fd = fd, .peer_port = endpoint_port(&peer),
				    .need_rd = s->hello.req_size, .open = true };
		/* A response split over several send()s must not wait for an ACK. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* Bounds a blocking send to a client that stopped reading. */
		sock_set_timeouts(fd, 0, TICK_MS);
	}
	close(lfd);
	return err;
}

static int start_workers(struct session *s, struct sworker **out, uint32_t *nout)
{
	uint32_t n = rr_workers(s->nconns, 0), first;
	struct sworker *w;

	w = calloc(n, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*out = w;
	*nout = 0;
	for (uint32_t t = 0; t < n; t++) {
		uint32_t k = rr_slice(s->nconns, n, t, &first);

		w[t] = (struct sworker){ .s = s, .conns = &s->conns[first], .nconns = k };
		if (pthread_create(&w[t].tid, NULL, sworker_main, &w[t]))
			return -EAGAIN;
		(*nout)++;
	}
	return 0;
}

static void stop_workers(struct session *s, struct sworker *w, uint32_t n)
{
	atomic_store(&s->stop, 1);
	/* Wakes a blocked recv() without sending anything to the peer. */
	for (uint32_t i = 0; i < s->nconns; i++)
		shutdown(s->conns[i].fd, SHUT_RD);
	for (uint32_t i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
	free(w);
}

/* Per-connection counts, read after the workers stopped so they are final. */
static int send_results(struct session *s, struct rr_ctl *ctl)
{
	int err = rr_ctl_printf(ctl, "RESULT conns=%u\n", s->nconns);

	for (uint32_t i = 0; i < s->nconns && !err; i++) {
		struct conn *c = &s->conns[i];
		struct tcp_retrans r = { .total_rto = -1 };

		tcpinfo_read(c->fd, &r);
		err = rr_ctl_printf(ctl, "CONN port=%u trans=%llu retrans=%u rto=%d\n",
				    c->peer_port, (unsigned long long)c->served,
				    r.total_retrans, r.total_rto);
	}
	return err ? err : rr_ctl_printf(ctl, "END\n");
}

static int wait_done(struct session *s, struct rr_ctl *ctl)
{
	char line[RR_LINE_MAX];
	int err;

	err = rr_ctl_getline(ctl, line, sizeof(line), (int)(s->hello.limit_s * 1000));
	if (!err && strcmp(line, "DONE"))
		err = -EPROTO;
	return err;
}

static void session_run(struct session *s)
{
	struct sworker *w = NULL;
	char line[RR_LINE_MAX];
	struct rr_ctl ctl;
	uint32_t nw = 0;
	int err;

	rr_ctl_init(&ctl, s->ctl_fd);
	err = rr_ctl_getline(&ctl, line, sizeof(line), HELLO_TIMEOUT_MS);
	if (err) {
		pr_info("rr: %s: no valid request: %s\n", s->peer_str, strerror(-err));
		return;
	}
	if (rr_hello_parse(line, &s->hello)) {
		pr_info("rr: %s: malformed request\n", s->peer_str);
		rr_ctl_printf(&ctl, "ERR malformed request (limits: streams<=%u, sizes<=%u)\n",
			      RR_MAX_STREAMS, RR_MAX_SIZE);
		return;
	}
	s->conns = calloc(s->hello.streams, sizeof(*s->conns));
	if (!s->conns) {
		rr_ctl_printf(&ctl, "ERR out of memory\n");
		return;
	}
	err = accept_conns(s, &ctl);
	if (!err)
		err = start_workers(s, &w, &nw);
	if (!err)
		err = rr_ctl_printf(&ctl, "READY\n");
	if (err) {
		rr_ctl_printf(&ctl, "ERR data connections: %s\n", strerror(-err));
	} else {
		pr_info("rr: %s: %u streams, request %u B, response %u B\n", s->peer_str,
			s->hello.streams, s->hello.req_size, s->hello.resp_size);
		err = wait_done(s, &ctl);
	}
	if (w)
		stop_workers(s, w, nw);
	if (!err)
		err = send_results(s, &ctl);
	pr_info("rr: %s: session ended%s%s\n", s->peer_str, err ? ": " : "",
		err ? strerror(-err) : "");
}

static void *session_main(void *arg)
{
	struct session *s = arg;

	session_run(s);
	for (uint32_t i = 0; i < s->nconns; i++)
		close(s->conns[i].fd);
	close(s->ctl_fd);
	free(s->conns);
	free(s);
	atomic_fetch_sub(&nsessions, 1);
	return NULL;
}

/* @tid non-NULL: the session thread stays joinable and is stored there. */
static int spawn_session(int fd, pthread_t *tid)
{
	struct session *s = calloc(1, sizeof(*s));
	pthread_t t;

	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->ctl_fd = fd;
	endpoint_peer(fd, &s->peer);
	endpoint_str(&s->peer, s->peer_str, sizeof(s->peer_str));
	sock_set_timeouts(fd, HELLO_TIMEOUT_MS, HELLO_TIMEOUT_MS);
	atomic_fetch_add(&nsessions, 1);
	if (pthread_create(&t, NULL, session_main, s)) {
		atomic_fetch_sub(&nsessions, 1);
		close(fd);
		free(s);
		return -EAGAIN;
	}
	if (tid)
		*tid = t;
	else
		pthread_detach(t);
	return 0;
}

struct listener {
	const struct rr_config *cfg;
	bool have_once;		/* --once: the one session is running */
	pthread_t once_tid;
};

/* The listening socket is readable: one new session (the loop keeps running). */
static int on_accept(void *ctx, int lfd, uint32_t events)
{
	struct listener *ls = ctx;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return 0;
	if (atomic_load(&nsessions) >= MAX_SESSIONS) {
		static const char busy[] = "ERR busy: too many sessions\n";

		send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return 0;
	}
	if (!ls->cfg->once) {
		spawn_session(fd, NULL);
		return 0;
	}
	/* --once: accept no more; the session is joined after the loop. */
	ls->have_once = !spawn_session(fd, &ls->once_tid);
	loop_stop(ls->cfg->loop);
	return 0;
}

int rr_server_run(const struct rr_config *cfg)
{
	struct listener ls = { .cfg = cfg };
	struct endpoint ep;
	char buf[64];
	int lfd, err;

	err = endpoint_resolve(cfg->bind, (uint16_t)cfg->port, cfg->family, true, &ep);
	if (err) {
		pr_warn("Error: cannot resolve bind address '%s': %s\n",
			cfg->bind ? cfg->bind : "", gai_strerror(err));
		return -EINVAL;
	}
	lfd = tcp_listen(&ep, 128);
	if (lfd < 0) {
		pr_warn("Error: cannot listen on %s: %s\n",
			endpoint_str(&ep, buf, sizeof(buf)), strerror(-lfd));
		return lfd;
	}
	pr_info("rr: listening on %s\n", endpoint_str(&ep, buf, sizeof(buf)));
	err = loop_add_fd(cfg->loop, lfd, EPOLLIN, on_accept, &ls);
	if (!err)
		err = loop_run(cfg->loop);
	loop_del_fd(cfg->loop, lfd);
	close(lfd);
	/* As before the loop: a signal does not cut the --once session short. */
	if (ls.have_once)
		pthread_join(ls.once_tid, NULL);
	if (err)
		pr_warn("Error: rr server: %s\n", strerror(-err));
	return err;
}
