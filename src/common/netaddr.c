// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"

int endpoint_resolve(const char *host, uint16_t port, int family, bool passive,
		     struct endpoint *ep)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = passive ? AI_PASSIVE : 0,
	};
	struct addrinfo *res;
	char sport[8];
	int err;

	/* A passive socket with no address: listen on both families via [::]. */
	if (passive && !host && family == AF_UNSPEC)
		hints.ai_family = AF_INET6;
	snprintf(sport, sizeof(sport), "%u", port);
	err = getaddrinfo(host, sport, &hints, &res);
	if (err)
		return err;
	memcpy(&ep->ss, res->ai_addr, res->ai_addrlen);
	ep->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

uint16_t endpoint_port(const struct endpoint *ep)
{
	if (ep->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&ep->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&ep->ss)->sin_port);
}

void endpoint_set_port(struct endpoint *ep, uint16_t port)
{
	if (ep->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ep->ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ep->ss)->sin_port = htons(port);
}

const char *endpoint_str(const struct endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ep->ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&ep->ss)->sin6_addr,
			  a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, endpoint_port(ep));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&ep->ss)->sin_addr,
			  a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, endpoint_port(ep));
	}
	return buf;
}

int endpoint_local(int fd, struct endpoint *ep)
{
	ep->len = sizeof(ep->ss);
	return getsockname(fd, (struct sockaddr *)&ep->ss, &ep->len) ? -errno : 0;
}

int endpoint_peer(int fd, struct endpoint *ep)
{
	ep->len = sizeof(ep->ss);
	return getpeername(fd, (struct sockaddr *)&ep->ss, &ep->len) ? -errno : 0;
}

int sock_set_timeouts(int fd, int rcv_ms, int snd_ms)
{
	struct timeval r = { rcv_ms / 1000, (rcv_ms % 1000) * 1000 };
	struct timeval s = { snd_ms / 1000, (snd_ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s)))
		return -errno;
	return 0;
}

static int wait_connected(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int n, soerr = 0;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	return -soerr;
}

int tcp_connect(const struct endpoint *dst, const struct endpoint *src,
		int timeout_ms)
{
	int one = 1, fd, err, fl;

	fd = socket(dst->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&src->ss, src->len)) {
			err = -errno;
			goto err_close;
		}
	}
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	err = connect(fd, (const struct sockaddr *)&dst->ss, dst->len) ? -errno : 0;
	if (err == -EINPROGRESS)
		err = wait_connected(fd, timeout_ms);
	if (err)
		goto err_close;
	fcntl(fd, F_SETFL, fl);
	return fd;

err_close:
	close(fd);
	return err;
}

int tcp_listen(const struct endpoint *ep, int backlog)
{
	int one = 1, zero = 0, fd, err;

	fd = socket(ep->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (const struct sockaddr *)&ep->ss, ep->len) ||
	    listen(fd, backlog)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
