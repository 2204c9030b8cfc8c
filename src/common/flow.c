// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "flow.h"
#include "json.h"
#include "netns.h"
#include "pkt.h"

void flow_set(struct flow_id *f, int family, int proto, const void *saddr, uint16_t sport,
	      const void *daddr, uint16_t dport, uint32_t netns)
{
	size_t alen = family == AF_INET6 ? 16 : 4;

	memset(f, 0, sizeof(*f));
	f->netns = netns;
	f->family = (uint8_t)family;
	f->proto = (uint8_t)proto;
	f->sport = sport;
	f->dport = dport;
	memcpy(f->saddr, saddr, alen);
	memcpy(f->daddr, daddr, alen);
}

void flow_from_seg(struct flow_id *f, const struct tcp_seg *s)
{
	flow_set(f, s->family == 6 ? AF_INET6 : AF_INET, IPPROTO_TCP, s->saddr, s->sport,
		 s->daddr, s->dport, 0);
}

int flow_canon_seg(struct flow_id *f, const struct tcp_seg *s)
{
	/* A segment's addresses are zero-padded to 16 bytes: compare them whole. */
	int c = memcmp(s->saddr, s->daddr, 16);
	int swap = c > 0 || (c == 0 && s->sport > s->dport);

	f->netns = 0;
	f->family = s->family == 6 ? AF_INET6 : AF_INET;
	f->proto = IPPROTO_TCP;
	f->sport = swap ? s->dport : s->sport;
	f->dport = swap ? s->sport : s->dport;
	memcpy(f->saddr, swap ? s->daddr : s->saddr, 16);
	memcpy(f->daddr, swap ? s->saddr : s->daddr, 16);
	f->pad = 0;
	return swap;
}

/* Address and port of @ss (v4-mapped IPv6 shown as IPv4); 0 or -EAFNOSUPPORT. */
static int sock_end(const struct sockaddr_storage *ss, int *family, uint8_t *addr,
		    uint16_t *port)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		*family = AF_INET;
		memcpy(addr, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		*port = ntohs(in6->sin6_port);
		if (!memcmp(&in6->sin6_addr, mapped, sizeof(mapped))) {
			*family = AF_INET;
			memcpy(addr, (const uint8_t *)&in6->sin6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, &in6->sin6_addr, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

int flow_from_socket(struct flow_id *f, int fd)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);
	uint8_t la[16] = { 0 }, pa[16] = { 0 };
	int lf, pf, type, err;
	socklen_t tl = sizeof(type);
	uint32_t netns = 0;
	uint16_t lp, pp;

	if (getsockname(fd, (struct sockaddr *)&l, &ll) || getpeername(fd, (struct sockaddr *)&p, &pl) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl))
		return -errno;
	err = sock_end(&l, &lf, la, &lp);
	if (!err)
		err = sock_end(&p, &pf, pa, &pp);
	if (err)
		return err;
	netns_current_inum(&netns);	/* 0 (unknown) if it cannot be read */
	flow_set(f, lf, type == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP, la, lp, pa, pp, netns);
	return 0;
}

void flow_reverse(struct flow_id *out, const struct flow_id *f)
{
	struct flow_id r = *f;

	memcpy(r.saddr, f->daddr, 16);
	memcpy(r.daddr, f->saddr, 16);
	r.sport = f->dport;
	r.dport = f->sport;
	*out = r;
}

int flow_canon(struct flow_id *out, const struct flow_id *f)
{
	int c = memcmp(f->saddr, f->daddr, 16);
	int swap = c > 0 || (c == 0 && f->sport > f->dport);

	if (swap)
		flow_reverse(out, f);
	else if (out != f)
		*out = *f;
	return swap;
}

bool flow_eq(const struct flow_id *a, const struct flow_id *b)
{
	return !memcmp(a, b, sizeof(*a));
}

bool flow_same(const struct flow_id *a, const struct flow_id *b)
{
	struct flow_id x, y;

	flow_canon(&x, a);
	flow_canon(&y, b);
	if (!x.netns || !y.netns)
		x.netns = y.netns = 0;
	return flow_eq(&x, &y);
}

bool flow_same_addrs(const struct flow_id *a, const struct flow_id *b)
{
	struct flow_id x, y;

	flow_canon(&x, a);
	flow_canon(&y, b);
	x.netns = y.netns = 0;
	return flow_eq(&x, &y);
}

/* inet_ntop() formats IPv4 with sprintf(): ten times this, per event. */
static char *dotted(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

const char *addr_str(int af, const uint8_t *addr, char *buf, size_t len)
{
	if (af != AF_INET6 && len >= INET_ADDRSTRLEN) {
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			p = dotted(p, addr[i]);
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (!inet_ntop(af == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *flow_addr_str(const struct flow_id *f, const uint8_t *addr, char *buf, size_t len)
{
	return addr_str(f->family, addr, buf, len);
}

const char *flow_str(const struct flow_id *f, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *o = f->family == AF_INET6 ? "[" : "", *c = f->family == AF_INET6 ? "]" : "";

	snprintf(buf, len, "%s%s%s:%u > %s%s%s:%u", o, flow_addr_str(f, f->saddr, s, sizeof(s)), c,
		 f->sport, o, flow_addr_str(f, f->daddr, d, sizeof(d)), c, f->dport);
	return buf;
}

void flow_json(struct json *j, const struct flow_id *f, const char *netns_name)
{
	char a[INET6_ADDRSTRLEN], ns[24];

	if (netns_name)
		json_str(j, "netns", netns_name);
	else if (f->netns)
		json_str(j, "netns", netns_unnamed(f->netns, ns, sizeof(ns)));
	json_str(j, "saddr", flow_addr_str(f, f->saddr, a, sizeof(a)));
	json_u64(j, "sport", f->sport);
	json_str(j, "daddr", flow_addr_str(f, f->daddr, a, sizeof(a)));
	json_u64(j, "dport", f->dport);
}
