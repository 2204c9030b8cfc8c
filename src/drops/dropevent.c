// SPDX-License-Identifier: GPL-2.0
/*
 * Ring records to flows. TCP goes through pkt_decode(), the decoder every
 * engine shares; UDP needs only the ports, found by the short walk below.
 * The record comes from the kernel, but its bytes are a packet's: every
 * read is bounded by caplen, and caplen by DROP_HDR_LEN.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>
#include <sys/socket.h>

#include "dropevent.h"
#include "pkt.h"

#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define MAX_IP6_EXT	8

static uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The IP version the bytes should hold: skb->protocol, else (0) what they say. */
static int ip_version(uint16_t protocol, const uint8_t *d, uint32_t cap)
{
	int v = cap ? d[0] >> 4 : 0;

	if (protocol == ETH_P_IPV4)
		return v == 4 ? 4 : 0;
	if (protocol == ETH_P_IPV6)
		return v == 6 ? 6 : 0;
	return protocol == 0 && (v == 4 || v == 6) ? v : 0;
}

/* IPv6 extension headers up to the transport: its offset, or a dpkt_kind negated. */
static int ip6_l4(const uint8_t *d, uint32_t cap, uint8_t *proto)
{
	uint32_t p = 40, hlen;
	uint8_t nh;

	if (cap < 40)
		return -DPKT_TRUNCATED;
	nh = d[6];
	for (int n = 0; n <= MAX_IP6_EXT; n++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT) {
			*proto = nh;
			return (int)p;
		}
		if (p + 4 > cap)
			return -DPKT_TRUNCATED;
		/* A later fragment holds no transport header. */
		if (nh == IPPROTO_FRAGMENT && (ld16(d + p + 2) & 0xfff8))
			return -DPKT_IP;
		hlen = nh == IPPROTO_FRAGMENT ? 8 : (d[p + 1] + 1u) * 8;
		nh = d[p];
		p += hlen;
	}
	return -DPKT_NONE;
}

/* The transport header's offset in @d, or a dpkt_kind negated. */
static int ip_l4(int ver, const uint8_t *d, uint32_t cap, uint8_t *proto)
{
	uint32_t ihl;

	if (ver == 6)
		return ip6_l4(d, cap, proto);
	if (cap < 20)
		return -DPKT_TRUNCATED;
	ihl = (d[0] & 0xf) * 4u;
	if (ihl < 20)
		return -DPKT_NONE;
	if (ld16(d + 6) & 0x1fff)
		return -DPKT_IP;
	*proto = d[9];
	return (int)ihl;
}

static void set_flow(struct drop_pkt *p, int ver, const uint8_t *d, int proto,
		     uint16_t sport, uint16_t dport, uint32_t netns)
{
	if (ver == 6)
		flow_set(&p->flow, AF_INET6, proto, d + 8, sport, d + 24, dport, netns);
	else
		flow_set(&p->flow, AF_INET, proto, d + 12, sport, d + 16, dport, netns);
}

static enum dpkt_kind tcp_pkt(const struct drop_event *e, uint32_t cap, struct drop_pkt *p)
{
	struct tcp_seg s;
	uint32_t wire = e->net_len >= cap ? e->net_len : cap;

	switch (pkt_decode(DLT_RAW, e->data, cap, wire, &s)) {
	case PKT_TCP:
		break;
	case PKT_TRUNCATED:
		return DPKT_TRUNCATED;
	default:
		return DPKT_NONE;	/* lengths that contradict each other */
	}
	/* The kernel's own IP length cannot exceed its packet: a lie, not padding. */
	if (s.ip_trimmed)
		return DPKT_NONE;
	flow_from_seg(&p->flow, &s);
	p->flow.netns = e->key.netns;
	p->seq = s.seq;
	p->len = s.payload_len;
	p->flags = s.flags;
	p->dsack = tcp_seg_dsack(&s);
	return DPKT_TCP;
}

static enum dpkt_kind classify(const struct drop_event *e, struct drop_pkt *p)
{
	uint32_t cap = e->caplen < DROP_HDR_LEN ? e->caplen : DROP_HDR_LEN;
	int ver = ip_version(e->key.protocol, e->data, cap), off;
	uint8_t proto = 0;

	if (!ver)
		return DPKT_NONE;
	off = ip_l4(ver, e->data, cap, &proto);
	if (off < 0)
		return (enum dpkt_kind)-off;
	if (proto == IPPROTO_TCP)
		return tcp_pkt(e, cap, p);
	if (proto != IPPROTO_UDP)
		return DPKT_IP;
	if ((uint32_t)off + 4 > cap)
		return DPKT_TRUNCATED;
	set_flow(p, ver, e->data, IPPROTO_UDP, ld16(e->data + off), ld16(e->data + off + 2),
		 e->key.netns);
	return DPKT_UDP;
}

int drop_event_decode(const void *rec, size_t len, struct drop_pkt *p)
{
	const struct drop_event *e = rec;

	memset(p, 0, sizeof(*p));
	p->kind = DPKT_NONE;
	if (len < sizeof(*e) || e->type != EVT_DROP)
		return -EINVAL;
	p->kind = classify(e, p);
	return 0;
}

const char *tcp_flags_str(uint8_t flags, char *buf, size_t len)
{
	static const char names[] = "FSRPAUEW";	/* bit 0 (FIN) to bit 7 (CWR) */
	size_t n = 0;

	if (!len)
		return buf;
	for (int b = 0; b < 8 && n + 1 < len; b++)
		if (flags & (1u << b))
			buf[n++] = names[b];
	if (!n && len > 1)
		buf[n++] = '.';
	buf[n] = '\0';
	return buf;
}

int rtx_event_decode(const void *rec, size_t len, struct flow_id *f)
{
	const struct rtx_event *e = rec;

	if (len < sizeof(*e) || e->type != EVT_RTX ||
	    (e->key.family != AF_INET && e->key.family != AF_INET6))
		return -EINVAL;
	flow_set(f, e->key.family, IPPROTO_TCP, e->key.saddr, e->key.sport, e->key.daddr,
		 e->key.dport, e->key.netns);
	return 0;
}

const char *rtx_kind_name(unsigned int kind)
{
	static const char *const names[RK_NKINDS] = { "rto", "fast", "probe", "syn", "other" };

	return kind < RK_NKINDS ? names[kind] : "other";
}
