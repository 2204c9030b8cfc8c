// SPDX-License-Identifier: GPL-2.0
/*
 * One captured frame to a struct tcp_seg: link header, IPv4 or IPv6 with its
 * extension headers, the TCP header and its options. No I/O, no allocation.
 *
 * This runs once per packet of a capture that may hold hundreds of millions,
 * so the common path (Ethernet, IPv4, TCP with the aligned timestamp option)
 * stays short: every field read once, no memset of the whole segment.
 * Every read is checked against caplen; lengths are checked against the IP
 * header and the wire length so that payload_len can be trusted downstream.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#include "pkt.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/*
 * Link types whose DLT_ value is not the same on every platform, by number:
 * libpcap hands us DLT_RAW as 12 on Linux, BSD/OS used 14, and pcap files
 * written elsewhere may carry the LINKTYPE_ value itself.
 */
#define LT_RAW_12	12
#define LT_RAW_14	14
#define LT_RAW		101	/* LINKTYPE_RAW */
#define LT_LOOP		108	/* DLT_LOOP on Linux, LINKTYPE_LOOP */

#define MAX_VLAN_TAGS	4
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
 * The network-layer decoders below return 4 or 6 to go on, or the negated
 * pkt_status to stop with (PKT_TCP is 0, so it never collides).
 */

/*
 * An EtherType at @type_at, then any stacked VLAN tags from *@off on: each
 * tag is a TCI and the next EtherType, as in Ethernet. libpcap re-inserts
 * tags the NIC stripped the same way, for cooked (SLL) captures too.
 */
static inline int l2_proto(const uint8_t *d, uint32_t caplen, uint32_t type_at,
			   uint32_t *off)
{
	uint32_t o = *off;
	uint16_t type;
	int tags = 0;

	if (unlikely(type_at + 2 > caplen))
		return -PKT_TRUNCATED;
	type = ld16(d + type_at);
	while (unlikely(type == ETH_P_8021Q || type == ETH_P_8021AD ||
			type == ETH_P_QINQ1)) {
		if (tags++ == MAX_VLAN_TAGS)
			return -PKT_OTHER;
		if (o + 4 > caplen)
			return -PKT_TRUNCATED;
		type = ld16(d + o + 2);
		o += 4;
	}
	*off = o;
	if (likely(type == ETH_P_IP))
		return 4;
	if (type == ETH_P_IPV6)
		return 6;
	return -PKT_OTHER;
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
		return -PKT_TRUNCATED;
	af = ld32(d);
	if (af > 0xffff)
		af = __builtin_bswap32(af);
	switch (af) {
	case 2:
		return 4;
	case 10:	/* Linux */
	case 24:	/* NetBSD, OpenBSD */
	case 28:	/* FreeBSD */
	case 30:	/* macOS */
		return 6;
	}
	return -PKT_OTHER;
}

static inline int link_decode(int linktype, const uint8_t *d, uint32_t caplen,
			      uint32_t *off)
{
	switch (linktype) {
	case DLT_EN10MB:
		*off = 14;
		return l2_proto(d, caplen, 12, off);
	case DLT_LINUX_SLL:
		*off = 16;
		return l2_proto(d, caplen, 14, off);
	case DLT_LINUX_SLL2:
		*off = 20;
		return l2_proto(d, caplen, 0, off);
	case LT_RAW_12:
	case LT_RAW_14:
	case LT_RAW:
		*off = 0;
		if (!caplen)
			return -PKT_TRUNCATED;
		if (d[0] >> 4 == 4 || d[0] >> 4 == 6)
			return d[0] >> 4;
		return -PKT_MALFORMED;
	case DLT_IPV4:
		*off = 0;
		return 4;
	case DLT_IPV6:
		*off = 0;
		return 6;
	case DLT_NULL:
	case LT_LOOP:
		*off = 4;
		return null_af(d, caplen);
	}
	return -PKT_BAD_LINK;
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

static inline enum pkt_status ip4_decode(const uint8_t *d, uint32_t caplen,
					 uint32_t wirelen, uint32_t off,
					 struct tcp_seg *seg)
{
	const uint8_t *ip;
	uint32_t ihl, tot, wire_ip;

	if (unlikely(off + 20 > caplen))
		return PKT_TRUNCATED;
	ip = d + off;
	ihl = (ip[0] & 0xf) * 4u;
	tot = ld16(ip + 2);
	if (unlikely(ip[0] >> 4 != 4 || ihl < 20 || (tot && tot < ihl)))
		return PKT_MALFORMED;
	/*
	 * Offset != 0 or MF set: either way this fragment's share of the
	 * segment is unknown, so it cannot be placed in sequence space.
	 */
	if (unlikely(ld16(ip + 6) & 0x3fff) || unlikely(ip[9] != IPPROTO_TCP))
		return PKT_OTHER;
	wire_ip = wirelen > off ? wirelen - off : 0;
	/* TSO/GSO super-packets captured on the host may carry length 0. */
	if (unlikely(!tot))
		tot = wire_ip;
	if (unlikely(tot < ihl + 20 || tot > wire_ip))
		return PKT_MALFORMED;
	if (unlikely(off + ihl > caplen))
		return PKT_TRUNCATED;
	seg->family = 4;
	seg->has_ip_id = 1;
	seg->ip_id = ld16(ip + 4);
	memcpy(seg->saddr, ip + 12, 4);
	memset(seg->saddr + 4, 0, 12);
	memcpy(seg->daddr, ip + 16, 4);
	memset(seg->daddr + 4, 0, 12);
	return tcp_decode(ip + ihl, caplen - off - ihl, tot - ihl, seg);
}

static inline int ip6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_AH;
}

static enum pkt_status ip6_decode(const uint8_t *d, uint32_t caplen,
				  uint32_t wirelen, uint32_t off,
				  struct tcp_seg *seg)
{
	const uint8_t *ip;
	uint32_t plen, wire_pl, p, hlen, ext = 0;
	uint8_t nh;
	int n;

	if (unlikely(off + 40 > caplen))
		return PKT_TRUNCATED;
	ip = d + off;
	if (unlikely(ip[0] >> 4 != 6))
		return PKT_MALFORMED;
	plen = ld16(ip + 4);
	nh = ip[6];
	wire_pl = wirelen > off + 40 ? wirelen - off - 40 : 0;
	if (unlikely(!plen)) {
		/* RFC 2675 jumbogram: the real length hides in an option. */
		if (nh == IPPROTO_HOPOPTS)
			return PKT_OTHER;
		/* BIG TCP / GSO on the capturing host, as for IPv4. */
		plen = wire_pl;
	}
	if (unlikely(plen > wire_pl))
		return PKT_MALFORMED;

	p = off + 40;
	for (n = 0; nh != IPPROTO_TCP; n++) {
		/* ESP, no next header, UDP, ICMPv6 ... */
		if (!ip6_is_ext(nh))
			return PKT_OTHER;
		if (n == MAX_IP6_EXT)
			return PKT_MALFORMED;
		if (p + 4 > caplen)
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
	if (unlikely(plen - ext < 20))
		return PKT_MALFORMED;
	if (unlikely(p > caplen))
		return PKT_TRUNCATED;
	seg->family = 6;
	seg->has_ip_id = 0;
	memcpy(seg->saddr, ip + 8, 16);
	memcpy(seg->daddr, ip + 24, 16);
	return tcp_decode(d + p, caplen - p, plen - ext, seg);
}

/*
 * pkt_decode() - see pkt.h. On any status but PKT_TCP, @seg may have been
 * partly written; ts_ns is never touched.
 */
enum pkt_status pkt_decode(int linktype, const uint8_t *data, uint32_t caplen,
			   uint32_t wirelen, struct tcp_seg *seg)
{
	uint32_t off;
	int l3 = link_decode(linktype, data, caplen, &off);

	if (likely(l3 == 4))
		return ip4_decode(data, caplen, wirelen, off, seg);
	if (l3 == 6)
		return ip6_decode(data, caplen, wirelen, off, seg);
	return -l3;
}
