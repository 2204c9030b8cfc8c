/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diagnose's join, free of I/O: slow transactions, the kernel's TCP
 * retransmissions and the kernel's drops, joined by flow and sequence
 * number. Every slow transaction, every retransmission and every drop ends
 * in exactly one row: what explains it, or that nothing seen does.
 *
 * Flows are matched by addresses and ports only: one connection is seen
 * from several namespaces (the client's socket, a host's device, the
 * server's socket), each with its own netns in the flow. Times are the
 * events' t_ns (CLOCK_MONOTONIC).
 */
#ifndef DS_DIAGNOSE_JOIN_H
#define DS_DIAGNOSE_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* What a dropped packet carried. */
enum dg_payload {
	DG_REQUEST,		/* client to server data, its first transmission */
	DG_RESPONSE,		/* server to client data, its first transmission */
	DG_RETRANSMISSION,	/* data sent (or dropped) before: either direction */
	DG_ACK,			/* no payload, no SYN/FIN, no D-SACK */
	DG_DSACK,		/* a pure ACK carrying a D-SACK block */
	DG_FIN,
	DG_SYN,
	DG_OTHER,		/* RST, not TCP, or not a workload flow's */
	DG_NPAYLOAD,
};

extern const char *const dg_payload_name[DG_NPAYLOAD];

/* One transaction that took the threshold or longer. */
struct dg_slow {
	struct flow_id flow;		/* client to server */
	uint32_t stream;
	uint64_t start_ns, end_ns;
	uint32_t req_seq, resp_seq;	/* first byte of each */
	uint32_t req_len, resp_len;	/* bytes (0 counts as 1) */
	bool seq_valid;			/* without them only flow and time can match */
};

/* One packet the kernel dropped. */
struct dg_drop {
	struct flow_id flow;		/* as the packet travelled */
	uint64_t t_ns;
	bool tcp;
	bool dsack;			/* a SACK option whose first block is a D-SACK */
	uint8_t flags;			/* TCPF_* */
	uint32_t seq, len;		/* len: payload bytes */
	uint32_t where;			/* the caller's index of (netns, device, reason) */
};

/* One retransmission of the kernel's (tcp:tcp_retransmit_skb). */
struct dg_rtx {
	struct flow_id flow;		/* sender to receiver */
	uint64_t t_ns;
	uint32_t seq, len;		/* len: sequence space (a FIN counts 1) */
};

/* A retransmission a capture judged needless (D-SACK, or its original came late). */
struct dg_spurious {
	struct flow_id flow;		/* sender to receiver */
	uint32_t seq;
};

/* Why one slow transaction was slow. */
enum dg_why {
	DG_WHY_REQUEST_DROPPED,		/* a segment of its request was dropped, once */
	DG_WHY_REQUEST_REDROPPED,	/* and a retransmission of it too: >= 2 timeouts */
	DG_WHY_RESPONSE_DROPPED,
	DG_WHY_DELAY,			/* retransmitted, nothing dropped: delayed past the RTO */
	DG_WHY_NO_DROP,			/* nothing seen explains it */
	DG_NWHY,
};

extern const char *const dg_why_name[DG_NWHY];

/* What one retransmission answered. */
enum dg_rtx_why {
	DG_RTX_DROPPED,			/* its data (or FIN/SYN) was dropped before it */
	DG_RTX_ACK_DROPPED,		/* its data arrived; what acked it was dropped */
	DG_RTX_DELAY,			/* nothing dropped; the capture shows it needless */
	DG_RTX_UNEXPLAINED,
	DG_NRTX_WHY,
};

extern const char *const dg_rtx_why_name[DG_NRTX_WHY];

struct dg_row {
	enum dg_why why;
	size_t drop;			/* the first drop that explains it, if one does */
	uint32_t drops;			/* drops of its request or response in its span */
};

/* Per where (the drops' index): what happened there. */
struct dg_where {
	uint64_t drops;
	uint64_t slow_explained;	/* slow rows whose first drop is here */
	uint64_t by_payload[DG_NPAYLOAD];
};

/* Which end of a workload flow: the join's view of a flow. */
enum dg_end { DG_END_NONE, DG_END_CLIENT, DG_END_SERVER };

struct dg_verdict {
	uint64_t slow, explained, unexplained;
	uint64_t by_why[DG_NWHY];
	uint64_t drops;				/* of workload flows */
	uint64_t other_drops;			/* of other traffic: not in by_payload */
	uint64_t by_payload[DG_NPAYLOAD];
	uint64_t rtx_client, rtx_server;	/* the kernel's, by sender */
	uint64_t rtx_spurious;			/* ACK_DROPPED + DELAY */
	uint64_t rtx_by_why[DG_NRTX_WHY];
	uint64_t drops_explaining;		/* drops that explain a slow row or a retransmission */
};

struct dg_input {
	const struct dg_slow *slow;
	size_t nslow;
	const struct dg_drop *drops;
	size_t ndrops;
	const struct dg_rtx *rtx;
	size_t nrtx;
	const struct dg_spurious *spurious;
	size_t nspurious;
	/* The workload's flows, client to server (those of every stream, slow or not). */
	const struct flow_id *flows;
	size_t nflows;
	uint32_t nwhere;		/* drops' where < nwhere */
};

struct dg_output {
	struct dg_verdict v;
	struct dg_row *rows;		/* [nslow] */
	uint8_t *payload;		/* [ndrops]: enum dg_payload, DG_OTHER for other traffic */
	bool *workload;			/* [ndrops]: a workload flow's drop */
	uint8_t *rtx_why;		/* [nrtx]: enum dg_rtx_why */
	uint8_t *rtx_end;		/* [nrtx]: enum dg_end */
	struct dg_where *where;		/* [nwhere] */
};

/**
 * dg_join() - join @in into @out (its arrays allocated here; dg_output_free()).
 * A drop explains a slow transaction when it is of the same flow, inside
 * [start_ns, end_ns], and carries a byte of its request or response.
 * A retransmission is of a drop when data with its sequence number was
 * dropped before it; else of a dropped ACK when the other direction of the
 * flow lost a packet in the 3 s before it; else a delay when a capture
 * judged it needless.
 * Return: 0, or -ENOMEM.
 */
int dg_join(const struct dg_input *in, struct dg_output *out);
void dg_output_free(struct dg_output *out);

#endif
