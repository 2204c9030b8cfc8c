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

/* What became of a segment that carried sequence space below nxt. */
enum fate_kind {
	FATE_NONE,		/* new data, or nothing to say */
	FATE_RETRANS,		/* a retransmission: cls and where say which */
	FATE_REORDER,		/* an original that came late: not a retransmission */
	FATE_AMBIGUOUS,		/* a late original or a retransmission: no signal decides */
};

struct seg_fate {
	uint8_t kind;			/* enum fate_kind */
	uint8_t cls;			/* FATE_RETRANS: enum rtx_class */
	uint8_t where;			/* FATE_RETRANS: enum loss_where */
};

/* The counters a direction, an interval, a path and the capture share. */
struct tcp_counts {
	uint64_t data_segs, data_bytes;		/* every segment with payload */
	uint64_t retrans_segs, retrans_bytes;
	uint64_t by_class[RTX_NCLASSES];
	uint64_t by_trigger[RTX_TLP + 1];	/* how it was sent: fast, rto, tlp */
	uint64_t lost_downstream, lost_upstream;
	uint64_t reordering, ambiguous, capture_gaps;
	uint64_t keepalives, window_probes;	/* not data, not retransmissions */
	uint64_t capture_late;			/* originals captured after their ACK */
};

/* Count (@sign 1) or uncount (-1) one segment of @bytes payload with fate @f. */
void tcp_counts_fate(struct tcp_counts *n, const struct seg_fate *f, int sign, uint32_t bytes);

struct tcp_dir_stats {
	struct tcp_counts c;
	uint64_t rtt_samples;
	uint64_t rtt_min_us, rtt_max_us;	/* capture point -> receiver -> back */
	double rtt_sum_us;
	uint32_t reorder_max_segs;		/* most segments a late original was overtaken by */
	uint64_t reorder_max_ns;		/* longest a late original came after its hole */
};

/* What marks a segment's place in the sender's order: IPv4 ID, TSval. */
struct send_mark {
	uint32_t tsval;
	uint16_t ip_id;
	uint8_t has_ip_id : 1, has_ts : 1;
};

struct tcp_hole;
struct tcp_rtx_rec;
struct tcp_gap;

struct tcp_half {
	uint32_t isn, nxt, una;
	uint32_t max_tsval;
	uint32_t timed_end;		/* data->ACK RTT: one segment at a time */
	uint32_t episode_end;		/* loss episode lasts until una passes it */
	uint32_t ts_probe_val;		/* TSval awaiting its TSecr echo */
	uint32_t tlp_high;		/* tlp_out: nxt when the probe went out */
	uint32_t srtt_us;		/* smoothed RTT samples (7/8 old), as the sender's */
	uint32_t rack_end, rack_fence;	/* rack_pending: the last re-send's end, nxt then */
	uint32_t rack_lost;		/* rack_valid: sent before a re-send that arrived */
	uint16_t dupacks;
	uint16_t peer_win;		/* the raw window of the peer's last ACK */
	uint8_t init : 1, una_valid : 1, syn_seen : 1, fin_seen : 1, timing : 1,
		sack_signal : 1, in_episode : 1, tlp_out : 1;
	uint8_t has_ts : 1, ts_probe : 1, rto_done : 1, recovery : 1, id_seen : 1,
		loss : 1, zero_wnd : 1, syn_sack : 1;
	uint8_t ngaps;			/* capture gaps waiting for a late original */
	uint8_t rack_pending : 1, rack_valid : 1;
	uint16_t nholes, hole_cap;
	uint16_t nrtx, rtx_cap;		/* re-sends and fills remembered */
	uint32_t rtx_maxlen;		/* the longest of them */
	uint16_t last_ip_id;		/* of the last packet in this direction */
	uint16_t id_steps, id_jumps;	/* IDs that moved by a little, or not / by a lot */
	uint16_t timed_epoch, ts_probe_epoch;	/* tcp_seg.clock_epoch of timed_ns, ts_probe_ns */
	uint64_t last_tx_ns, timed_ns, ts_probe_ns;
	uint64_t last_seen_ns;		/* any segment in this direction */
	uint64_t last_sig;		/* its header fields, folded: a copy has the same */
	struct tcp_hole *holes;		/* allocated on first hole */
	struct tcp_gap *gaps;		/* allocated on first capture gap */
	struct tcp_rtx_rec *rtx;	/* allocated on first retransmission */
	struct tcp_dir_stats st;
};

struct tcp_conn {
	struct tcp_half half[2];
	uint64_t last_ns;		/* the connection's last segment, either way */
	uint64_t stall_ns;		/* stalled: when the silence began, else 0 */
	uint32_t stall_rtx;		/* retransmissions since */
	uint8_t rst : 1, client_known : 1, client : 1;	/* client: dir of the first SYN */
	uint8_t seen : 1, stall_on : 1, stall_dir : 1;	/* stall_dir: whose data waits */
};

/*
 * A silence of at least the RTO floor while data was outstanding, from its
 * start until the data moved on (ACK), the connection was reset, or the
 * capture or flow ended.
 */
enum stall_end { STALL_ACK, STALL_RST, STALL_END, STALL_NENDS };

extern const char *const stall_end_name[STALL_NENDS];

#define TCP_RTO_FLOOR_NS 200000000ULL	/* Linux's TCP_RTO_MIN: no timeout is shorter */

struct tcp_stall {
	uint64_t start_ns, len_ns;
	uint32_t retrans;		/* retransmissions during it */
	uint8_t dir;			/* the side whose data waited */
	uint8_t end;			/* enum stall_end */
};

#define TRACK_MAX_CHANGES 4

/*
 * Later evidence (a D-SACK, a late original) moved an earlier segment of
 * direction @dir from one fate to another.
 */
struct fate_change {
	struct seg_fate from, to;
	uint32_t seq, bytes;		/* the segment's start and payload bytes */
	uint64_t tag;			/* its struct tcp_seg's tag */
	uint8_t dir;
	uint32_t segs;			/* to FATE_REORDER: as reorder_segs, reorder_ns */
	uint64_t ns;
};

/* What one segment did, for totals kept outside the connection. */
struct track_ev {
	bool data;			/* carried payload */
	bool retrans;			/* fate.kind == FATE_RETRANS, and so on */
	bool reorder;
	bool ambiguous;
	enum rtx_class cls;
	enum rtx_class trigger;		/* retrans: how it was sent (fast, rto, tlp), even when
					   needless (spurious) or a SYN/FIN */
	enum loss_where where;
	uint32_t bytes;			/* payload bytes */
	uint32_t capture_gaps;
	uint32_t reorder_segs;		/* reorder: segments that overtook it (0: unknown) */
	uint64_t reorder_ns;		/* reorder: how long after its hole it came */
	uint64_t rto_gap_ns;		/* a timeout's retransmission: the silence before it */
	uint64_t rtt_ns;		/* a new RTT sample, 0 if none */
	bool keepalive, window_probe;	/* neither data nor a retransmission */
	bool capture_late;		/* an original captured after the ACK that covers it */
	bool capture_dup;		/* the same frame captured again: nothing else set */
	bool stalled;			/* @stall ended with this segment */
	uint8_t nchanges;
	struct fate_change change[TRACK_MAX_CHANGES];
	struct tcp_stall stall;		/* when stalled (not cleared otherwise) */
};

/* Add what @ev says happened to @n (the totals of a capture, interval, path). */
void tcp_counts_event(struct tcp_counts *n, const struct track_ev *ev);

void tcp_conn_init(struct tcp_conn *c);
void tcp_conn_free(struct tcp_conn *c);

/**
 * tcp_conn_end() - the connection is over at capture time @now_ns (flow
 * expired, evicted, capture ended): capture gaps still held back for a
 * late original are counted into @n (the capture's totals) and the halves.
 * Return: true and @st filled when the connection ends stalled.
 */
bool tcp_conn_end(struct tcp_conn *c, uint64_t now_ns, struct tcp_counts *n,
		  struct tcp_stall *st);

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
