// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "rr_proto.h"

int rr_kv_u64(const char *line, const char *key, uint64_t max, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		/* A whole token: at the start or after a space, then '='. */
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			uint64_t v = 0;
			const char *d = p + klen + 1;

			if (*d < '0' || *d > '9')
				return -EINVAL;
			for (; *d >= '0' && *d <= '9'; d++) {
				if (v > (max - (uint64_t)(*d - '0')) / 10)
					return -EINVAL;
				v = v * 10 + (uint64_t)(*d - '0');
			}
			if (*d && *d != ' ')
				return -EINVAL;
			*out = v;
			return 0;
		}
		p += klen;
	}
	return -ENOENT;
}

int rr_hello_parse(const char *line, struct rr_hello *h)
{
	uint64_t streams, req, resp, limit;

	if (strncmp(line, RR_PROTO_MAGIC " ", sizeof(RR_PROTO_MAGIC)))
		return -EPROTO;
	if (rr_kv_u64(line, "streams", RR_MAX_STREAMS, &streams) ||
	    rr_kv_u64(line, "req", RR_MAX_SIZE, &req) ||
	    rr_kv_u64(line, "resp", RR_MAX_SIZE, &resp) ||
	    rr_kv_u64(line, "limit_s", RR_MAX_LIMIT_S, &limit))
		return -EINVAL;
	if (!streams || !req || !resp || !limit)
		return -EINVAL;
	h->streams = (uint32_t)streams;
	h->req_size = (uint32_t)req;
	h->resp_size = (uint32_t)resp;
	h->limit_s = (uint32_t)limit;
	return 0;
}

int rr_conn_parse(const char *line, struct rr_conn_report *c)
{
	uint64_t port, rto;

	if (strncmp(line, "CONN ", 5))
		return -EPROTO;
	if (rr_kv_u64(line, "port", 65535, &port) ||
	    rr_kv_u64(line, "trans", UINT64_MAX, &c->transactions) ||
	    rr_kv_u64(line, "retrans", UINT64_MAX, &c->retrans))
		return -EINVAL;
	c->port = (uint16_t)port;
	/* "rto=-1" fails the decimal parse on purpose: it means unknown. */
	c->rto = rr_kv_u64(line, "rto", INT64_MAX, &rto) ? -1 : (int64_t)rto;
	return 0;
}

uint32_t rr_workers(uint32_t items, uint32_t requested)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t n = requested ? requested : (uint32_t)(ncpu > 0 ? ncpu : 1);

	return n < items ? n : items;
}

uint32_t rr_slice(uint32_t items, uint32_t workers, uint32_t i, uint32_t *first)
{
	uint32_t base = items / workers, extra = items % workers;

	*first = i * base + (i < extra ? i : extra);
	return base + (i < extra);
}

void rr_ctl_init(struct rr_ctl *c, int fd)
{
	c->fd = fd;
	c->have = 0;
}

static int take_line(struct rr_ctl *c, char *line, size_t max)
{
	char *nl = memchr(c->buf, '\n', c->have);
	size_t n;

	if (!nl)
		return c->have >= sizeof(c->buf) ? -EPROTO : -EAGAIN;
	n = (size_t)(nl - c->buf);
	if (n >= max)
		return -EPROTO;
	memcpy(line, c->buf, n);
	line[n] = 0;
	if (n && line[n - 1] == '\r')
		line[n - 1] = 0;
	c->have -= n + 1;
	memmove(c->buf, nl + 1, c->have);
	return 0;
}

int rr_ctl_getline(struct rr_ctl *c, char *line, size_t max, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int64_t left;
		ssize_t n;
		int err;

		err = take_line(c, line, max);
		if (err != -EAGAIN)
			return err;
		left = (int64_t)(deadline - now_ns()) / (int64_t)NSEC_PER_MSEC;
		/* Even with no time left, take what has already arrived. */
		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		c->have += (size_t)n;
	}
}

int rr_ctl_printf(struct rr_ctl *c, const char *fmt, ...)
{
	char line[RR_LINE_MAX];
	size_t off = 0;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(line))
		return -EMSGSIZE;
	while (off < (size_t)len) {
		ssize_t n = send(c->fd, line + off, (size_t)len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}
