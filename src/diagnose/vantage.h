/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diagnose/vantage: two captures of the same flows, diffed packet by packet
 * (multi-vantage). A packet seen at one point and not at the other was lost
 * between them when the first is upstream of the second for its flow and
 * direction; which one is upstream comes from the packets both saw (the one
 * that saw most of them first). Packets are the same when their flow,
 * direction, IP ID, sequence and acknowledgement numbers, payload length,
 * flags and TCP timestamp are. Each lost packet is classed as the upstream
 * point saw it sent, and matched to a traced kernel drop of the same flow,
 * direction, seq, length and flags when there is one: the rest were lost
 * where the tracer cannot see (another host, a switch, a wire). No I/O.
 */
#ifndef DS_DIAGNOSE_VANTAGE_H
#define DS_DIAGNOSE_VANTAGE_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "join.h"

struct tcp_seg;

/* One packet as a capture point saw it. */
struct vt_pkt {
	struct flow_id canon;		/* flow_canon() form */
	uint8_t dir;			/* 1: against canon's direction */
	uint8_t flags;			/* TCPF_* */
	uint16_t ip_id;			/* 0 for IPv6 */
	uint32_t seq, ack, len, tsval;
	uint64_t t_ns;
};

/* What one point saw; kept up to VT_MAX_PKTS, the rest counted. */
struct vt_set {
	struct vt_pkt *p;
	size_t n, cap;
	uint64_t not_kept;
};

#define VT_MAX_PKTS (16u << 20)

enum { VT_A_TO_B = 1, VT_B_TO_A = 2 };

enum vt_class { VT_DATA, VT_RETRANS, VT_ACK, VT_FIN, VT_SYN, VT_OTHER, VT_NCLASS };

extern const char *const vt_class_name[VT_NCLASS];

/* Packets lost going one way between the two points. */
struct vt_lost {
	uint64_t total;
	uint64_t by_class[VT_NCLASS];
	uint64_t traced;		/* of total: a traced drop matches */
};

struct vt_diff {
	uint64_t matched;		/* seen at both */
	struct vt_lost a_to_b;		/* seen at A, upstream, never at B */
	struct vt_lost b_to_a;
	uint64_t only_downstream;	/* seen at the downstream point only */
	uint64_t unordered;		/* unmatched, in a flow direction with nothing matched */
	/* For each traced drop (dg_drop index): VT_A_TO_B or VT_B_TO_A if a lost packet is it. */
	uint8_t *drop_matched;
	size_t ndrops;
};

/* Add @seg (captured at @ts_ns) to @s. Return: 0, or -ENOMEM (then counted). */
int vt_add(struct vt_set *s, const struct tcp_seg *seg, uint64_t ts_ns);
void vt_set_free(struct vt_set *s);

/*
 * vt_diff() - diff @a against @b (both sorted in place) and match the lost
 * packets to @drops. Return: 0 or -ENOMEM.
 */
int vt_diff(struct vt_set *a, struct vt_set *b, const struct dg_drop *drops, size_t ndrops,
	    struct vt_diff *out);
void vt_diff_free(struct vt_diff *d);

#endif
