/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TCP loss analysis engine: frames in (from any capture source), totals,
 * per-flow summaries, per-interval deltas and per-path aggregates out. Used
 * by `analyze`, and by `shape`/`diagnose` to come.
 */
#ifndef DS_ANALYZE_H
#define DS_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capclock.h"
#include "dscpmatch.h"
#include "flowtab.h"
#include "hist.h"
#include "inventory.h"
#include "monitor.h"
#include "tcptrack.h"

enum skip_reason { SKIP_TRUNCATED, SKIP_MALFORMED, SKIP_OTHER, SKIP_BAD_LINK, SKIP_N };

extern const char *const skip_name[SKIP_N];
/* JSON keys of analyze_totals.tunnels[], by enum pkt_tunnel. */
extern const char *const tunnel_name[PKT_TUN_N];

/* All u64: intervals subtract them field by field. */
struct analyze_totals {
	uint64_t packets, tcp_packets;
	uint64_t capture_dups;		/* the same frame captured again: not tracked */
	uint64_t skipped[SKIP_N];
	uint64_t ip_len_trimmed;	/* TCP packets whose IP length exceeded the frame */
	uint64_t tunnels[PKT_TUN_N];	/* TCP packets that came through each kind */
	struct tcp_counts c;
};

struct flow_summary {
	struct flow_id key;		/* canonical: side 0 is key.saddr */
	struct flow_domain dom;		/* interface, VLANs, VNI */
	uint8_t client;			/* side that sent the first SYN, 2 if unknown */
	uint64_t first_ns, last_ns;
	struct tcp_dir_stats dir[2];	/* dir[i]: data sent by side i */
};

struct path_stats {
	uint8_t family, plen;
	uint8_t src[16], dst[16];	/* prefixes, host bits zero */
	struct analyze_totals t;
};

typedef void (*interval_cb)(void *ctx, uint64_t start_ns, uint64_t len_ns,
			    const struct analyze_totals *delta);

/*
 * One retransmission as judged when it was seen (the retrans event), or,
 * with @reclass, a later judgement of one (a D-SACK or its late original
 * showed it needless): then @frame is the retransmission's and @by_frame
 * the segment that told.
 */
struct analyze_retrans {
	struct flow_id flow;		/* sender to receiver */
	uint64_t ts_ns;			/* capture stamp */
	uint64_t frame;			/* 1-based frame number in the capture */
	uint64_t by_frame;		/* reclass: the frame that changed it */
	bool reclass;
	uint32_t seq, len;		/* raw TCP sequence number, payload bytes */
	enum rtx_class cls;
	enum rtx_class trigger;		/* retrans: how it was sent (fast, rto, tlp) */
	enum loss_where where;
	uint64_t rto_gap_ns;		/* the first RTO of an episode: the silence before it */
};

typedef void (*retrans_cb)(void *ctx, const struct analyze_retrans *r);

/* One stall (tcptrack.h), with the flow as the waiting side sends. */
struct analyze_stall {
	struct flow_id flow;
	struct tcp_stall st;
};

#define ANALYZE_STALLS_MAX 1000	/* the longest kept; all are counted */

struct analyze_opts {
	size_t max_flows;		/* 0: 262144 */
	bool keep_flows;		/* keep every flow's summary (flows_list) */
	size_t top_flows;		/* keep the N with most retransmits */
	uint64_t interval_ns;		/* > 0: call on_interval per interval */
	interval_cb on_interval;
	retrans_cb on_retrans;		/* optional: each retransmission */
	void *ctx;
	int by_path_len;		/* > 0: aggregate by (src/len, dst/len); v6 uses len too */
	struct monitor *mon;		/* optional: the path monitor, fed every segment */
	struct inventory *inv;		/* optional: the classification inventory */
	struct dscpmatch *match;	/* optional: DSCP against a far capture's */
};

struct analyzer {
	struct analyze_opts o;
	struct flowtab *flows;
	struct analyze_totals t, at_interval;
	struct capclock clock;		/* the capture's stamps to analysis time */
	uint64_t first_ns, last_ns;	/* analysis time: the span leaves clock jumps out */
	uint64_t interval_start;
	struct hist rtt;		/* every RTT sample, ns */
	struct hist rto_gap;		/* silence before each RTO retransmission */
	struct hist reorder_ns;		/* how late each reordered original came */
	struct hist reorder_segs;	/* how many segments overtook it */
	struct flow_summary *kept;	/* keep_flows: all; else the top N */
	size_t nkept, kept_cap;
	struct path_stats *paths;
	size_t npaths, paths_cap;
	struct analyze_stall *stalls;	/* a min-heap on length: the longest */
	size_t nstalls;
	uint64_t stalls_total;
};

int analyzer_init(struct analyzer *a, const struct analyze_opts *o);
/* @linktype: DLT_*; @ifid: the capture's interface, kept in the segment (tcp_seg.ifid). */
void analyzer_packet(struct analyzer *a, int linktype, uint32_t ifid, uint64_t ts_ns,
		     const uint8_t *data, uint32_t caplen, uint32_t wirelen);
/*
 * A decoded segment instead of a frame (it counts as one packet): for a
 * source that parses for itself, and for unit tests.
 */
void analyzer_segment(struct analyzer *a, struct tcp_seg *s);
/* Ends every open flow (summaries complete) and the last interval; sorts the stalls, longest first. */
void analyzer_finish(struct analyzer *a);
void analyzer_free(struct analyzer *a);

#endif
