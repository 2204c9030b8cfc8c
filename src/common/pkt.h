/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Link-layer independent view of one captured TCP segment: only headers are
 * needed, so truncated captures (snaplen 64..128) decode fully. No I/O.
 */
#ifndef DS_PKT_H
#define DS_PKT_H

#include <stdint.h>

/* Branch hints for the per-packet paths (decoder, tracker). */
#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

#define PKT_MAX_SACK 4
#define PKT_MAX_VLAN 4		/* VLAN IDs kept; a deeper stack still decodes */
#define PKT_MAX_DEPTH 8		/* tunnels inside tunnels: deeper is PKT_OTHER */

/* The encapsulations a segment came through: bits of tcp_seg.tunnels. */
enum pkt_tunnel {
	PKT_TUN_VXLAN,
	PKT_TUN_GENEVE,
	PKT_TUN_GRE,		/* ERSPAN rides in GRE: both bits */
	PKT_TUN_ERSPAN,
	PKT_TUN_MPLS,
	PKT_TUN_IP_IN_IP,	/* 4in4, 6in4, 4in6, 6in6 */
	PKT_TUN_N,
};

struct sack_block {
	uint32_t start, end;
};

struct tcp_seg {
	uint64_t ts_ns;			/* capture time */
	uint64_t tag;			/* the caller's (analyze: its frame number) */
	uint16_t clock_epoch;		/* the caller's: a timing never spans two */
	uint8_t family;			/* 4 or 6 */
	uint8_t flags;			/* TCPF_* */
	uint8_t nsack;			/* SACK blocks, in wire order */
	uint8_t wscale;			/* valid when has_wscale */
	uint8_t has_ts : 1, has_mss : 1, has_wscale : 1, sack_ok : 1;
	uint8_t has_ip_id : 1;		/* IPv4: ip_id is the header's ID */
	/* Four bytes side by side: the decoder clears them in one store. */
	uint8_t nvlan;			/* VLAN IDs in vlan[] (a deeper stack is cut) */
	uint8_t tunnels;		/* 1 << PKT_TUN_*: every kind passed through */
	uint8_t has_vni;		/* vni: the innermost VXLAN/Geneve VNI */
	uint8_t ip_trimmed;		/* an IP length was larger than the frame */
	uint16_t ip_id;
	uint8_t dscp;			/* the innermost IP header's DSCP (TOS/traffic class >> 2) */
	uint16_t hdr_len;		/* the innermost IP header (with extensions) and TCP header, bytes */
	uint16_t vlan[PKT_MAX_VLAN];	/* 12-bit IDs, outermost first, inner Ethernet's after */
	uint32_t vni;
	uint32_t ifid;			/* the capture interface: the caller's, as ts_ns */
	uint16_t sport, dport;
	uint16_t win;			/* raw, unscaled */
	uint16_t mss;
	uint32_t seq, ack;
	uint32_t payload_len;		/* from the IP length, not the capture length */
	uint32_t tsval, tsecr;
	uint8_t saddr[16], daddr[16];	/* IPv4 in the first 4 bytes, rest zero */
	struct sack_block sack[PKT_MAX_SACK];
};

enum pkt_status {
	PKT_TCP = 0,		/* @seg filled */
	PKT_OTHER,		/* valid, but not a TCP segment we analyze (ARP, UDP, fragment) */
	PKT_TRUNCATED,		/* headers cut by the snaplen before the TCP header ended */
	PKT_MALFORMED,		/* lying lengths, bad version, looping options ... */
	PKT_BAD_LINK,		/* a link type we do not decode */
};

/**
 * pkt_decode() - decode one captured frame.
 * @linktype: libpcap DLT_/LINKTYPE_ value (EN10MB, 802.1Q/QinQ inside it,
 *            LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL/LOOP)
 * @data, @caplen: captured bytes; @wirelen: original length
 * Never reads outside @data[0..caplen). Tunnels are decoded to the inner
 * segment (VXLAN, Geneve, GRE, ERSPAN I/II/III, MPLS, IP in IP; at most
 * PKT_MAX_DEPTH deep): its addresses are the flow, the VLAN tags of every
 * Ethernet header on the way are vlan[], outermost first. Options are parsed
 * only as far as they were captured; payload_len comes from the IP header
 * (an IP length of 0, as GSO/BIG TCP frames show, falls back to @wirelen; an
 * IP length larger than the frame holds is cut to what it holds, and
 * ip_trimmed set). @seg is defined only for PKT_TCP, and mss, wscale,
 * tsval/tsecr and vni only with their has_* bit; ts_ns and ifid are the
 * caller's and never touched.
 */
/*
 * Whether @s's first SACK block reports a duplicate (RFC 2883 D-SACK):
 * below the cumulative ACK, or inside the second block.
 */
static inline int tcp_seg_dsack(const struct tcp_seg *s)
{
	return s->nsack && (s->flags & TCPF_ACK) &&
	       ((int32_t)(s->sack[0].start - s->ack) < 0 ||
		(s->nsack > 1 && (int32_t)(s->sack[0].start - s->sack[1].start) >= 0 &&
		 (int32_t)(s->sack[0].end - s->sack[1].end) <= 0));
}

enum pkt_status pkt_decode(int linktype, const uint8_t *data, uint32_t caplen,
			   uint32_t wirelen, struct tcp_seg *seg);

#endif
