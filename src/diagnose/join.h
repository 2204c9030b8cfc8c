/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diagnose's join, free of I/O: slow transactions (rr's "slow" events),
 * the kernel's retransmissions and the kernel's drops, joined by flow and
 * TCP sequence number into one row per slow transaction and one class per
 * drop. The caller collects the events (any engine, any order) and owns
 * the arrays; times are the events' t_ns (CLOCK_MONOTONIC).
 */
#ifndef DS_DIAGNOSE_JOIN_H
#define DS_DIAGNOSE_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* What a dropped TCP segment carried, as the workload's direction tells. */
enum dg_payload {
	DG_REQUEST,		/* client to server, its first transmission */
	DG_RESPONSE,		/* server to client, its first transmission */
	DG_RETRANSMISSION,	/* data whose sequence number was dropped before */
	DG_ACK,			/* no payload, no SYN/FIN */
	DG_FIN,
	DG_SYN,
	DG_OTHER,		/* not TCP, or a flow that is not the workload's */
	DG_NPAYLOAD,
};

extern const char *const dg_payload_name[DG_NPAYLOAD];

struct dg_slow {
	struct flow_id flow;		/* client to server */
	uint64_t start_ns, end_ns;
	uint32_t req_seq, resp_seq;	/* first byte of each (rr's req_seq, resp_seq) */
	bool seq_valid;			/* without them only the flow and time can match */
};

struct dg_drop {
	struct flow_id flow;		/* as the packet travelled */
	uint64_t t_ns;
	bool tcp;
	uint8_t flags;			/* TCPF_* */
	uint32_t seq, len;		/* len: payload bytes */
	uint32_t where;			/* the caller's index of (netns, device, reason) */
};

/* Why one slow transaction was slow. */
enum dg_why {
	DG_WHY_REQUEST_DROPPED,		/* its request was dropped (once) */
	DG_WHY_REQUEST_REDROPPED,	/* and its retransmission too: >= 2 RTOs */
	DG_WHY_RESPONSE_DROPPED,
	DG_WHY_NO_DROP,			/* nothing of it was dropped: delay, or unseen */
	DG_NWHY,
};

struct dg_row {
	enum dg_why why;
	size_t drop;			/* the first drop that explains it (not DG_WHY_NO_DROP) */
	uint32_t drops;			/* drops of its request or response in its span */
};

struct dg_verdict {
	uint64_t slow, explained, unexplained;
	uint64_t by_why[DG_NWHY];
	uint64_t by_payload[DG_NPAYLOAD];
};

/**
 * dg_join() - classify @nd drops and explain @ns slow transactions.
 * @payload: out, one per drop (enum dg_payload)
 * @rows: out, one per slow transaction
 * A drop explains a transaction when it is of the same flow (either
 * direction), inside [start_ns, end_ns], and carries its request's or
 * response's first sequence number. Return: 0, or -ENOMEM.
 */
int dg_join(const struct dg_slow *slow, size_t ns, const struct dg_drop *drops, size_t nd,
	    uint8_t *payload, struct dg_row *rows, struct dg_verdict *v);

#endif
