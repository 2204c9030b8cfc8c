/* SPDX-License-Identifier: GPL-2.0 */
/* Name resolution and printing for IPv4/IPv6 endpoints. */
#ifndef DS_NETADDR_H
#define DS_NETADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
};

/**
 * endpoint_resolve() - resolve @host (name or literal; NULL for the
 * wildcard when @passive) and @port into @ep.
 * @family: AF_UNSPEC, AF_INET or AF_INET6.
 * Return: 0, or a getaddrinfo() EAI_* code (use gai_strerror()).
 */
int endpoint_resolve(const char *host, uint16_t port, int family, bool passive,
		     struct endpoint *ep);

uint16_t endpoint_port(const struct endpoint *ep);
void endpoint_set_port(struct endpoint *ep, uint16_t port);
/* "198.18.0.2:12867" or "[2001:2::2]:12867" */
const char *endpoint_str(const struct endpoint *ep, char *buf, size_t len);
int endpoint_local(int fd, struct endpoint *ep);
int endpoint_peer(int fd, struct endpoint *ep);

#endif

/**
 * tcp_connect() - connected TCP socket to @dst within @timeout_ms.
 * @src: optional local address/port to bind first (SO_REUSEADDR set).
 * Return: blocking fd with TCP_NODELAY, or -errno (-ETIMEDOUT on timeout).
 */
int tcp_connect(const struct endpoint *dst, const struct endpoint *src,
		int timeout_ms);

/**
 * tcp_listen() - listening socket on @ep; an IPv6 wildcard also takes IPv4.
 * Return: fd or -errno.
 */
int tcp_listen(const struct endpoint *ep, int backlog);

/* SO_RCVTIMEO and SO_SNDTIMEO in one call; 0 or -errno. */
int sock_set_timeouts(int fd, int rcv_ms, int snd_ms);
