// SPDX-License-Identifier: GPL-2.0
/*
 * One captured frame to a struct tcp_seg: link header, IPv4 or IPv6 with its
 * extension headers, through any tunnels (VXLAN, Geneve, GRE, ERSPAN, MPLS,
 * IP in IP) to the TCP header and its options. No I/O, no allocation.
 *
 * This runs once per packet of a capture that may hold hundreds of millions,
 * so the common path (Ethernet, IPv4, TCP with the aligned timestamp option)
 * stays short: every field read once, no memset of the whole segment.
 * Every read is checked against caplen; lengths are checked against the IP
 * header and the wire length so that payload_len can be trusted downstream.
 * Every header moves the offset on by at least 4 bytes and every tunnel
 * counts against PKT_MAX_DEPTH, so no input makes the walk loop.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#include "pkt.h"


/*
 * Link types whose DLT_ value is not the same on every platform, by number:
 * libpcap hands us DLT_RAW as 12 on Linux, BSD/OS used 14, and pcap files
 * written elsewhere may carry the LINKTYPE_ value itself.
 */
#define LT_RAW_12	12
#define LT_RAW_14	14
#define LT_RAW		101	/* LINKTYPE_RAW */
#define LT_LOOP		108	/* DLT_LOOP on Linux, LINKTYPE_LOOP */
#define LT_PPP		9	/* DLT_PPP: RFC 1661 framing, address/control optional */
#define LT_PPP_HDLC	50	/* LINKTYPE_PPP_HDLC (DLT_PPP_SERIAL): 0xff 0x03, protocol */
#define LT_C_HDLC	104	/* Cisco HDLC: address, control, an EtherType */
#define LT_PPP_DIR	204	/* LINKTYPE_PPP_WITH_DIR: a direction byte, then PPP */

#define PPP_IP		0x0021
#define PPP_IPV6	0x0057
#define PPP_MPLS_UC	0x0281
#define PPP_MPLS_MC	0x0283
#define ETH_P_PPPOE_SES	0x8864
#define GRE_P_WCCP	0x883e	/* Cisco WCCP redirection */

#define MAX_IP6_EXT	8

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_MSS	2
#define TCPOPT_WS	3
#define TCPOPT_SACK_OK	4
#define TCPOPT_SACK	5
#define TCPOPT_TS	8

/* NOP, NOP, kind 8, length 10: RFC 7323 appendix A, what Linux sends. */
#define TCPOPT_TS_ALIGNED	0x0101080aU

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

/*
 * Where decoding is: the capture, the next header, and the end of the bytes
 * the enclosing headers say are on the wire (the frame's wirelen at first,
 * then each IP or UDP header's own length).
 */
struct dec {
	const uint8_t *d;
	uint32_t cap;
	uint32_t off;
	uint32_t end;
	int depth;		/* tunnels entered */
};

/*
 * The decoders below return the pkt_status to stop with, or the next header
 * to decode (NX_BASE and up; IP version + NX_BASE for IP). Statuses pass
 * through unchanged, so the common path ends in a tail call.
 */
enum {
	NX_BASE = 16,
	NX_ETH = NX_BASE, NX_GRE, NX_UDP, NX_MPLS,
	NX_IP4 = NX_BASE + 4, NX_IP6 = NX_BASE + 6,
	NX_IN_IP4, NX_IN_IP6,	/* IP in IP: the walk counts the tunnel */
};

static inline void vlan_push(struct tcp_seg *seg, uint16_t tci)
{
	if (seg->nvlan < PKT_MAX_VLAN)
		seg->vlan[seg->nvlan++] = tci & 0xfff;
}

/*
 * A PPP protocol field at *@off + @skip (RFC 1661: two bytes, or one when
 * compressed: then it is odd), after an address/control 0xff 0x03 if there
 * is one; what follows it is IPv4, IPv6 or MPLS. @skip: a PPPoE session
 * header (RFC 2516) before it.
 */
static int ppp_proto(const uint8_t *d, uint32_t caplen, uint32_t *off, uint32_t skip)
{
	uint32_t o = *off + skip;
	uint16_t proto;

	if (o + 2 > caplen)
		return PKT_TRUNCATED;
	if (d[o] == 0xff && d[o + 1] == 0x03)
		o += 2;
	if (o + 1 > caplen)
		return PKT_TRUNCATED;
	if (d[o] & 1) {
		proto = d[o];
		o += 1;
	} else {
		if (o + 2 > caplen)
			return PKT_TRUNCATED;
		proto = ld16(d + o);
		o += 2;
	}
	*off = o;
	switch (proto) {
	case PPP_IP:
		return NX_IP4;
	case PPP_IPV6:
		return NX_IP6;
	case PPP_MPLS_UC:
	case PPP_MPLS_MC:
		return NX_MPLS;
	}
	return PKT_OTHER;
}

/*
 * An EtherType at @type_at, then any stacked VLAN tags from *@off on: each
 * tag is a TCI and the next EtherType, as in Ethernet. libpcap re-inserts
 * tags the NIC stripped the same way, for cooked (SLL) captures too. Every
 * tag takes 4 bytes of the capture, so a deep stack ends with it.
 */
static inline int l2_proto(const uint8_t *d, uint32_t caplen, uint32_t type_at,
			   uint32_t *off, struct tcp_seg *seg)
{
	uint32_t o = *off;
	uint16_t type;

	if (unlikely(type_at + 2 > caplen))
		return PKT_TRUNCATED;
	type = ld16(d + type_at);
	while (unlikely(type == ETH_P_8021Q || type == ETH_P_8021AD ||
			type == ETH_P_QINQ1)) {
		if (o + 4 > caplen)
			return PKT_TRUNCATED;
		vlan_push(seg, ld16(d + o));
		type = ld16(d + o + 2);
		o += 4;
	}
	*off = o;
	if (likely(type == ETH_P_IP))
		return NX_IP4;
	if (type == ETH_P_IPV6)
		return NX_IP6;
	if (type == ETH_P_MPLS_UC || type == ETH_P_MPLS_MC)
		return NX_MPLS;
	if (type == ETH_P_PPPOE_SES)
		return ppp_proto(d, caplen, off, 6);
	return PKT_OTHER;
}

/*
 * DLT_NULL holds the address family in the capturing host's byte order,
 * DLT_LOOP in network order; the value is small, so whichever end of the
 * word holds it tells the order. AF_INET6 differs between systems.
 */
static inline int null_af(const uint8_t *d, uint32_t caplen)
{
	uint32_t af;

	if (caplen < 4)
		return PKT_TRUNCATED;
	af = ld32(d);
	if (af > 0xffff)
		af = __builtin_bswap32(af);
	switch (af) {
	case 2:
		return NX_IP4;
	case 10:	/* Linux */
	case 24:	/* NetBSD, OpenBSD */
	case 28:	/* FreeBSD */
	case 30:	/* macOS */
		return NX_IP6;
	}
	return PKT_OTHER;
}

static inline int link_decode(int linktype, const uint8_t *d, uint32_t caplen,
			      uint32_t *off, struct tcp_seg *seg)
{
	switch (linktype) {
	case DLT_EN10MB:
		*off = 14;
		return l2_proto(d, caplen, 12, off, seg);
	case DLT_LINUX_SLL:
		*off = 16;
		return l2_proto(d, caplen, 14, off, seg);
	case DLT_LINUX_SLL2:
		*off = 20;
		return l2_proto(d, caplen, 0, off, seg);
	case LT_RAW_12:
	case LT_RAW_14:
	case LT_RAW:
		*off = 0;
		if (!caplen)
			return PKT_TRUNCATED;
		if (d[0] >> 4 == 4 || d[0] >> 4 == 6)
			return NX_BASE + (d[0] >> 4);
		return PKT_MALFORMED;
	case DLT_IPV4:
		*off = 0;
		return NX_IP4;
	case DLT_IPV6:
		*off = 0;
		return NX_IP6;
	case DLT_NULL:
	case LT_LOOP:
		*off = 4;
		return null_af(d, caplen);
	case LT_PPP:
	case LT_PPP_HDLC:
		*off = 0;
		return ppp_proto(d, caplen, off, 0);
	case LT_PPP_DIR:
		*off = 0;
		return ppp_proto(d, caplen, off, 1);
	case LT_C_HDLC:
		*off = 4;
		return l2_proto(d, caplen, 2, off, seg);
	}
	return PKT_BAD_LINK;
}

/*
 * Options as far as they were captured (@len is already clipped to both the
 * header and the capture). An option that runs past the end is dropped, and
 * what came before it kept; a length of 0 or 1 would never advance, so the
 * header is lying. Out of line: most segments only carry the aligned TS.
 */
static enum pkt_status tcp_options(const uint8_t *p, uint32_t len,
				   struct tcp_seg *seg)
{
	const uint8_t *end = p + len;
	uint32_t i, n;
	uint8_t olen;

	while (p < end) {
		if (*p == TCPOPT_EOL)
			break;
		if (*p == TCPOPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2)
			break;
		olen = p[1];
		if (olen < 2)
			return PKT_MALFORMED;
		if (olen > end - p)
			break;
		switch (*p) {
		case TCPOPT_MSS:
			if (olen == 4) {
				seg->has_mss = 1;
				seg->mss = ld16(p + 2);
			}
			break;
		case TCPOPT_WS:
			if (olen == 3) {
				seg->has_wscale = 1;
				seg->wscale = p[2];
			}
			break;
		case TCPOPT_SACK_OK:
			if (olen == 2)
				seg->sack_ok = 1;
			break;
		case TCPOPT_SACK:
			/* 40 option bytes hold 4 blocks; checked anyway for sack[]. */
			n = (olen - 2u) / 8;
			if ((olen - 2u) % 8 || n > PKT_MAX_SACK)
				break;
			for (i = 0; i < n; i++) {
				seg->sack[i].start = ld32(p + 2 + 8 * i);
				seg->sack[i].end = ld32(p + 6 + 8 * i);
			}
			seg->nsack = n;
			break;
		case TCPOPT_TS:
			if (olen == 10) {
				seg->has_ts = 1;
				seg->tsval = ld32(p + 2);
				seg->tsecr = ld32(p + 6);
			}
			break;
		}
		p += olen;
	}
	return PKT_TCP;
}

/*
 * @th: TCP header with @cap bytes captured; @l4len: TCP header plus payload
 * according to the IP header.
 */
static inline enum pkt_status tcp_decode(const uint8_t *th, uint32_t cap,
					 uint32_t l4len, struct tcp_seg *seg)
{
	const uint8_t *opt;
	uint32_t doff, optlen;

	if (unlikely(cap < 20))
		return PKT_TRUNCATED;
	doff = (th[12] >> 4) * 4u;
	if (unlikely(doff < 20 || doff > l4len))
		return PKT_MALFORMED;
	seg->sport = ld16(th);
	seg->dport = ld16(th + 2);
	seg->seq = ld32(th + 4);
	seg->ack = ld32(th + 8);
	seg->flags = th[13];
	seg->win = ld16(th + 14);
	seg->payload_len = l4len - doff;
	seg->hdr_len += doff;
	seg->nsack = 0;
	seg->has_ts = 0;
	seg->has_mss = 0;
	seg->has_wscale = 0;
	seg->sack_ok = 0;
	opt = th + 20;
	optlen = (doff < cap ? doff : cap) - 20;
	if (likely(optlen >= 12 && ld32(opt) == TCPOPT_TS_ALIGNED)) {
		seg->has_ts = 1;
		seg->tsval = ld32(opt + 4);
		seg->tsecr = ld32(opt + 8);
		opt += 12;
		optlen -= 12;
	}
	if (likely(!optlen))
		return PKT_TCP;
	return tcp_options(opt, optlen, seg);
}


/* One more tunnel of @kind on the way in; too deep is not ours to follow. */
static inline int enter(struct dec *x, struct tcp_seg *seg, int kind, int next)
{
	seg->tunnels |= 1u << kind;
	return ++x->depth > PKT_MAX_DEPTH ? PKT_OTHER : next;
}

/*
 * An IP header of @hlen bytes (with IPv6's extensions) in a packet of @len
 * (already cut to the wire) carries @proto, not TCP: a tunnel, or not ours.
 */
static inline __attribute__((always_inline)) int ip_next(struct dec *x, struct tcp_seg *seg,
							 uint8_t proto, uint32_t hlen,
							 uint32_t len)
{
	if (proto != IPPROTO_IPIP && proto != IPPROTO_IPV6 && proto != IPPROTO_GRE &&
	    proto != IPPROTO_UDP)
		return PKT_OTHER;
	if (len < hlen)
		return PKT_MALFORMED;
	if (x->off + hlen > x->cap)
		return PKT_TRUNCATED;
	x->end = x->off + len;
	x->off += hlen;
	if (proto == IPPROTO_IPIP)
		return NX_IN_IP4;
	if (proto == IPPROTO_IPV6)
		return NX_IN_IP6;
	return proto == IPPROTO_GRE ? NX_GRE : NX_UDP;
}

static inline __attribute__((always_inline)) int ip4_decode(struct dec *x,
								  struct tcp_seg *seg)
{
	const uint8_t *ip;
	uint32_t ihl, tot, wire_ip, off = x->off;

	if (unlikely(off + 20 > x->cap))
		return PKT_TRUNCATED;
	ip = x->d + off;
	ihl = (ip[0] & 0xf) * 4u;
	tot = ld16(ip + 2);
	if (unlikely(ip[0] >> 4 != 4 || ihl < 20 || (tot && tot < ihl)))
		return PKT_MALFORMED;
	/*
	 * Offset != 0 or MF set: either way this fragment's share of the
	 * segment (or of the inner packet) is unknown.
	 */
	if (unlikely(ld16(ip + 6) & 0x3fff))
		return PKT_OTHER;
	wire_ip = x->end > off ? x->end - off : 0;
	/* TSO/GSO super-packets captured on the host may carry length 0. */
	if (unlikely(!tot))
		tot = wire_ip;
	/* Padding or truncation lies: keep what the frame holds. */
	if (unlikely(tot > wire_ip)) {
		tot = wire_ip;
		seg->ip_trimmed = 1;
	}
	if (unlikely(ip[9] != IPPROTO_TCP))
		return ip_next(x, seg, ip[9], ihl, tot);
	if (unlikely(tot < ihl + 20))
		return PKT_MALFORMED;
	if (unlikely(off + ihl > x->cap))
		return PKT_TRUNCATED;
	seg->family = 4;
	seg->has_ip_id = 1;
	seg->ip_id = ld16(ip + 4);
	seg->dscp = ip[1] >> 2;
	seg->hdr_len = ihl;
	memcpy(seg->saddr, ip + 12, 4);
	memset(seg->saddr + 4, 0, 12);
	memcpy(seg->daddr, ip + 16, 4);
	memset(seg->daddr + 4, 0, 12);
	return tcp_decode(ip + ihl, x->cap - off - ihl, tot - ihl, seg);
}

static inline int ip6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_AH;
}

static int ip6_decode(struct dec *x, struct tcp_seg *seg)
{
	const uint8_t *ip, *d = x->d;
	uint32_t plen, wire_pl, p, hlen, ext = 0, off = x->off;
	uint8_t nh;
	int n;

	if (unlikely(off + 40 > x->cap))
		return PKT_TRUNCATED;
	ip = d + off;
	if (unlikely(ip[0] >> 4 != 6))
		return PKT_MALFORMED;
	plen = ld16(ip + 4);
	nh = ip[6];
	wire_pl = x->end > off + 40 ? x->end - off - 40 : 0;
	if (unlikely(!plen)) {
		/* RFC 2675 jumbogram: the real length hides in an option. */
		if (nh == IPPROTO_HOPOPTS)
			return PKT_OTHER;
		/* BIG TCP / GSO on the capturing host, as for IPv4. */
		plen = wire_pl;
	}
	if (unlikely(plen > wire_pl)) {
		plen = wire_pl;
		seg->ip_trimmed = 1;
	}

	p = off + 40;
	/* ESP, no next header, ICMPv6 ... end the chain: ip_next() says. */
	for (n = 0; ip6_is_ext(nh); n++) {
		if (n == MAX_IP6_EXT)
			return PKT_MALFORMED;
		if (p + 4 > x->cap)
			return PKT_TRUNCATED;
		if (nh == IPPROTO_FRAGMENT) {
			/* Offset (bits 15..3) or M (bit 0): see IPv4. */
			if (ld16(d + p + 2) & 0xfff9)
				return PKT_OTHER;
			hlen = 8;
		} else if (nh == IPPROTO_AH) {
			hlen = (d[p + 1] + 2u) * 4;	/* RFC 4302: 32-bit words */
		} else {
			hlen = (d[p + 1] + 1u) * 8;
		}
		ext += hlen;
		if (ext > plen)
			return PKT_MALFORMED;
		nh = d[p];
		p += hlen;
	}
	if (nh != IPPROTO_TCP)
		return ip_next(x, seg, nh, 40 + ext, 40 + plen);
	if (unlikely(plen - ext < 20))
		return PKT_MALFORMED;
	if (unlikely(p > x->cap))
		return PKT_TRUNCATED;
	seg->family = 6;
	seg->has_ip_id = 0;
	seg->dscp = (uint8_t)((ld16(ip) >> 6) & 0x3f);
	seg->hdr_len = 40 + ext;
	memcpy(seg->saddr, ip + 8, 16);
	memcpy(seg->daddr, ip + 24, 16);
	return tcp_decode(d + p, x->cap - p, plen - ext, seg);
}

#define GRE_C		0x8000	/* checksum (and reserved1) present */
#define GRE_R		0x4000	/* RFC 1701 source routing: obsolete */
#define GRE_K		0x2000
#define GRE_S		0x1000
#define GRE_VER		0x0007	/* 1 is PPTP's enhanced GRE */

/*
 * ERSPAN inside GRE (draft-foschiano-erspan): type I is 0x88BE without a
 * sequence number and no header of its own, type II 0x88BE with one and an
 * 8-byte header (version 1), type III 0x22EB with a 12-byte header (version
 * 2), then 8 more when its O bit says a platform-specific subheader follows.
 * Type III's frame type 0 is Ethernet; others (IP) are not followed.
 */
static int erspan_decode(struct dec *x, uint16_t proto, int seq)
{
	const uint8_t *e = x->d + x->off;
	uint32_t hlen = proto == ETH_P_ERSPAN ? 8 : 12;

	if (proto == ETH_P_ERSPAN && !seq)
		return NX_ETH;
	if (x->off + hlen > x->cap)
		return PKT_TRUNCATED;
	if (e[0] >> 4 != (hlen == 8 ? 1 : 2))
		return PKT_OTHER;
	if (hlen == 12) {
		if ((e[10] >> 2) & 0x1f)
			return PKT_OTHER;
		if (e[11] & 1)
			hlen += 8;
		if (x->off + hlen > x->cap)
			return PKT_TRUNCATED;
	}
	x->off += hlen;
	return NX_ETH;
}

/* RFC 2784 with RFC 2890's key and sequence number. */
static int gre_decode(struct dec *x, struct tcp_seg *seg)
{
	const uint8_t *g = x->d + x->off;
	uint16_t flags, proto;
	uint32_t hlen = 4;
	int next;

	if (x->off + 4 > x->cap)
		return PKT_TRUNCATED;
	flags = ld16(g);
	proto = ld16(g + 2);
	if (flags & (GRE_R | GRE_VER))
		return PKT_OTHER;
	hlen += (flags & GRE_C ? 4 : 0) + (flags & GRE_K ? 4 : 0) + (flags & GRE_S ? 4 : 0);
	if (x->off + hlen > x->cap)
		return PKT_TRUNCATED;
	x->off += hlen;
	switch (proto) {
	case ETH_P_IP:
		next = NX_IP4;
		break;
	case ETH_P_IPV6:
		next = NX_IP6;
		break;
	case ETH_P_TEB:
		next = NX_ETH;
		break;
	case ETH_P_MPLS_UC:
	case ETH_P_MPLS_MC:
		next = NX_MPLS;
		break;
	case GRE_P_WCCP:
		/* WCCPv2 puts a 4-byte redirect header first, v1 none: IPv4 starts with 4. */
		if (x->off + 1 > x->cap)
			return PKT_TRUNCATED;
		if (x->d[x->off] >> 4 != 4)
			x->off += 4;
		next = NX_IP4;
		break;
	case ETH_P_ERSPAN:
	case ETH_P_ERSPAN2:
		next = erspan_decode(x, proto, flags & GRE_S);
		if (next < NX_BASE)
			return next;
		seg->tunnels |= 1u << PKT_TUN_ERSPAN;
		break;
	default:
		return PKT_OTHER;
	}
	return enter(x, seg, PKT_TUN_GRE, next);
}

#define VXLAN_PORT		4789	/* RFC 7348 */
#define VXLAN_LINUX_PORT	8472	/* Linux's default, from before the IANA port */
#define GENEVE_PORT		6081	/* RFC 8926 */

/*
 * UDP to a tunnel port: VXLAN (flags, VNI; Ethernet follows) or Geneve
 * (version 0, options in 4-byte words, protocol, VNI). Any other UDP is
 * not ours, even cut before its port.
 */
static int udp_decode(struct dec *x, struct tcp_seg *seg)
{
	const uint8_t *u = x->d + x->off, *h = u + 8;
	uint32_t ulen, hlen = 8;
	uint16_t dport;
	int kind, next = NX_ETH;

	if (x->off + 4 > x->cap)
		return PKT_OTHER;
	dport = ld16(u + 2);
	if (dport == VXLAN_PORT || dport == VXLAN_LINUX_PORT)
		kind = PKT_TUN_VXLAN;
	else if (dport == GENEVE_PORT)
		kind = PKT_TUN_GENEVE;
	else
		return PKT_OTHER;
	if (x->off + 16 > x->cap)
		return PKT_TRUNCATED;
	ulen = ld16(u + 4);
	if (kind == PKT_TUN_GENEVE) {
		if (h[0] >> 6)
			return PKT_OTHER;
		hlen += (h[0] & 0x3f) * 4u;
		switch (ld16(h + 2)) {
		case ETH_P_TEB:
			break;
		case ETH_P_IP:
			next = NX_IP4;
			break;
		case ETH_P_IPV6:
			next = NX_IP6;
			break;
		default:
			return PKT_OTHER;
		}
	}
	/* 0 is an IPv6 jumbogram's; otherwise it bounds what the tunnel holds. */
	if (ulen && ulen < 8 + hlen)
		return PKT_MALFORMED;
	if (ulen && x->off + ulen < x->end)
		x->end = x->off + ulen;
	if (x->off + 8 + hlen > x->cap)
		return PKT_TRUNCATED;
	seg->vni = ld32(h + 4) >> 8;
	seg->has_vni = 1;
	x->off += 8 + hlen;
	return enter(x, seg, kind, next);
}

#define MPLS_MAX_LABELS	16

/*
 * RFC 3032 labels to the bottom of the stack, then what the first nibble
 * says, as Wireshark guesses too: 4 or 6 is IP, 0 an RFC 4448 Ethernet
 * pseudowire's control word, with Ethernet after it.
 */
static int mpls_decode(struct dec *x, struct tcp_seg *seg)
{
	uint32_t o = x->off;
	int n, next;

	for (n = 0;; n++) {
		if (n == MPLS_MAX_LABELS)
			return PKT_OTHER;
		if (o + 4 > x->cap)
			return PKT_TRUNCATED;
		o += 4;
		if (x->d[o - 2] & 1)		/* bottom of stack */
			break;
	}
	if (o + 1 > x->cap)
		return PKT_TRUNCATED;
	switch (x->d[o] >> 4) {
	case 4:
		next = NX_IP4;
		break;
	case 6:
		next = NX_IP6;
		break;
	case 0:
		o += 4;
		next = NX_ETH;
		break;
	default:
		return PKT_OTHER;
	}
	x->off = o;
	return enter(x, seg, PKT_TUN_MPLS, next);
}

/* Header after header from @next on, until TCP or a reason to stop. */
static int __attribute__((noinline)) decode_from(const uint8_t *d, uint32_t cap, uint32_t off,
						 uint32_t end, struct tcp_seg *seg, int next)
{
	struct dec y = { .d = d, .cap = cap, .off = off, .end = end }, *x = &y;

	while (next >= NX_BASE) {
		switch (next) {
		case NX_IP4:
			next = ip4_decode(x, seg);
			break;
		case NX_IP6:
			next = ip6_decode(x, seg);
			break;
		case NX_IN_IP4:
		case NX_IN_IP6:
			next = enter(x, seg, PKT_TUN_IP_IN_IP, next == NX_IN_IP4 ? NX_IP4 : NX_IP6);
			break;
		case NX_ETH:
			x->off += 14;
			next = l2_proto(x->d, x->cap, x->off - 2, &x->off, seg);
			break;
		case NX_GRE:
			next = gre_decode(x, seg);
			break;
		case NX_UDP:
			next = udp_decode(x, seg);
			break;
		default:
			next = mpls_decode(x, seg);
			break;
		}
	}
	return next;
}

/*
 * pkt_decode() - see pkt.h. On any status but PKT_TCP, @seg may have been
 * partly written; ts_ns and ifid are never touched.
 */
enum pkt_status pkt_decode(int linktype, const uint8_t *data, uint32_t caplen,
			   uint32_t wirelen, struct tcp_seg *seg)
{
	struct dec x = { .d = data, .cap = caplen, .end = wirelen };
	int next;

	seg->nvlan = 0;
	seg->tunnels = 0;
	seg->has_vni = 0;
	seg->ip_trimmed = 0;
	next = link_decode(linktype, data, caplen, &x.off, seg);
	/* The common case, Ethernet + IPv4 + TCP, without the walk. */
	if (likely(next == NX_IP4)) {
		next = ip4_decode(&x, seg);
		if (likely(next < NX_BASE))
			return next;
	}
	if (next < NX_BASE)
		return next;
	return decode_from(data, caplen, x.off, x.end, seg, next);
}
