/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-event records of the drops ring buffer, decoded: a dropped
 * packet's header bytes to a flow and its TCP sequence, a retransmission
 * to its flow. Pure: no I/O, so it is unit-tested and fuzzed as it is.
 */
#ifndef DS_DROPEVENT_H
#define DS_DROPEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "drops.h"
#include "flow.h"

enum dpkt_kind {
	DPKT_TCP,		/* flow, seq, len, flags */
	DPKT_UDP,		/* flow */
	DPKT_IP,		/* IPv4/IPv6 of another protocol, or a later fragment */
	DPKT_TRUNCATED,		/* TCP or UDP, but the ports were not captured */
	DPKT_NONE,		/* no header bytes, not IP, or headers that lie */
};

/* What a drop record's header bytes say. */
struct drop_pkt {
	enum dpkt_kind kind;
	struct flow_id flow;	/* DPKT_TCP, DPKT_UDP: netns from the record's key */
	uint32_t seq;		/* DPKT_TCP: sequence number of the first byte */
	uint32_t len;		/* DPKT_TCP: payload bytes, from the IP length */
	uint8_t flags;		/* DPKT_TCP: TCPF_* */
	bool dsack;		/* DPKT_TCP: its first SACK block is a D-SACK (RFC 2883) */
};

/**
 * drop_event_decode() - decode ring record @rec of @len bytes.
 * Reads only data[0..caplen) of the record, caplen clipped to
 * DROP_HDR_LEN. Return: 0 and @p filled; -EINVAL when @rec is not a whole
 * struct drop_event.
 */
int drop_event_decode(const void *rec, size_t len, struct drop_pkt *p);

/* @flags as tcpdump writes them, in the order "FSRPAUEW": "S", "PA"; "." for none. */
const char *tcp_flags_str(uint8_t flags, char *buf, size_t len);

/**
 * rtx_event_decode() - the flow (local end as source) of ring record @rec.
 * Return: 0; -EINVAL when @rec is not a whole struct rtx_event of a known
 * address family.
 */
int rtx_event_decode(const void *rec, size_t len, struct flow_id *f);

/* "rto", "fast", "probe", "syn", "other" for enum rtx_kind; "other" out of range. */
const char *rtx_kind_name(unsigned int kind);

#endif
