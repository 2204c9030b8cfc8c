/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-connection TCP sequence tracker: eats decoded segments in capture
 * order, tells new data from retransmissions and reordering, classifies each
 * retransmission and where its original was lost. No I/O; the rules are in
 * doc/analyze.md.
 */
#ifndef DS_TCPTRACK_H
#define DS_TCPTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

enum rtx_class {
	RTX_FAST,
	RTX_RTO,
	RTX_TLP,
	RTX_SPURIOUS,
	RTX_SYN_FIN,
	RTX_NCLASSES,
};

extern const char *const rtx_class_name[RTX_NCLASSES];

enum loss_where { LOSS_NONE, LOSS_DOWNSTREAM, LOSS_UPSTREAM };

struct tcp_dir_stats {
	uint64_t data_segs, data_bytes;		/* every segment with payload */
	uint64_t retrans_segs, retrans_bytes;
	uint64_t by_class[RTX_NCLASSES];
	uint64_t lost_downstream, lost_upstream;
	uint64_t reordering, capture_gaps;
	uint64_t rtt_samples;
	uint32_t rtt_min_us, rtt_max_us;	/* capture point -> receiver -> back */
	double rtt_sum_us;
};

struct tcp_hole;
struct tcp_rtx_rec;

struct tcp_half {
	uint32_t isn, nxt, una;
	uint32_t max_tsval;
	uint32_t timed_end;		/* data->ACK RTT: one segment at a time */
	uint32_t episode_end;		/* loss episode lasts until una passes it */
	uint32_t ts_probe_val;		/* TSval awaiting its TSecr echo */
	uint16_t dupacks;
	uint8_t init : 1, una_valid : 1, syn_seen : 1, fin_seen : 1, timing : 1,
		sack_signal : 1, in_episode : 1, tlp_done : 1;
	uint8_t has_ts : 1, ts_probe : 1, rto_done : 1, recovery : 1;
	uint8_t nholes, hole_cap;
	uint16_t nrtx;			/* recent retransmissions, for D-SACK */
	uint64_t last_tx_ns, timed_ns, ts_probe_ns;
	struct tcp_hole *holes;		/* allocated on first hole */
	struct tcp_rtx_rec *rtx;	/* allocated on first retransmission */
	struct tcp_dir_stats st;
};

struct tcp_conn {
	struct tcp_half half[2];
	uint8_t rst : 1, client_known : 1, client : 1;	/* client: dir of the first SYN */
};

/* What one segment did, for totals kept outside the connection. */
struct track_ev {
	bool data;			/* carried payload */
	bool retrans;
	bool reorder;
	enum rtx_class cls;
	enum loss_where where;
	uint32_t bytes;			/* payload bytes */
	uint32_t capture_gaps;
	uint64_t rto_gap_ns;		/* first RTO of an episode: silence before it */
	uint64_t rtt_ns;		/* a new RTT sample, 0 if none */
	/* A D-SACK turned an earlier retransmission spurious. */
	bool reclass;
	enum rtx_class reclass_from;
	enum loss_where reclass_where;
};

void tcp_conn_init(struct tcp_conn *c);
void tcp_conn_free(struct tcp_conn *c);

/**
 * tcp_track() - account one segment travelling in direction @dir (0 or 1).
 * @ev is fully written.
 */
void tcp_track(struct tcp_conn *c, int dir, const struct tcp_seg *s, struct track_ev *ev);

/* Sequence-space comparison modulo 2^32. */
static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

#endif
