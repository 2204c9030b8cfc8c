/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path monitor: per path (prefix sets, maybe a DSCP or port class) and
 * tumbling window, what we offered, what got through, what the path lost
 * downstream of the capture point, RTT and its inflation; a verdict per
 * window, a limit estimate and the path's type. No I/O: the analyzer feeds
 * it segments' outcomes, the command reads our own qdisc's drops and prints.
 * Rules in doc/analyze.md.
 */
#ifndef DS_MONITOR_H
#define DS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

enum mon_verdict { MON_UNDER, MON_AT, MON_OVER, MON_NVERDICTS };
enum mon_type { MON_TYPE_UNKNOWN, MON_POLICER, MON_SHALLOW, MON_DEEP, MON_NTYPES };

extern const char *const mon_verdict_name[MON_NVERDICTS];
extern const char *const mon_type_name[MON_NTYPES];

#define MON_MAX_PATHS 16
#define MON_SLOTS 20		/* a window's loss episode is read in twentieths */
#define MON_EPISODES 5		/* loss windows the limit estimate is taken over */
#define MON_RTT_KEEP 256	/* RTT samples a window keeps for its median */
/* Loss share (downstream-lost / offered bytes) at and above which a window is over the limit. */
#define MON_OVER_SHARE 0.01
/* Added RTT (over the path's minimum) below which a lossy path is a policer, ns. */
#define MON_POLICER_ADD_NS 2000000ULL
/* Added RTT at and above which it is a deep queue, ns. */
#define MON_DEEP_ADD_NS 50000000ULL

/*
 * The early alarm (monitor_opts.on_alarm): downstream loss in the last
 * MON_ALARM_NS, at least MON_ALARM_SEGS segments and MON_OVER_SHARE of what
 * was offered, raised when a lost segment makes it so, not at the window's
 * end, and at most once per MON_ALARM_NS. Its rate is what the ACKs
 * delivered since the loss began: from a quarter RTT before its first
 * retransmission (the ACKs of data that met the full queue or the empty
 * bucket start then), over at least an RTT (and MON_ALARM_MIN_NS).
 */
#define MON_RECENT_NS 5000000ULL	/* 5 ms slices kept across windows */
#define MON_RECENT 32			/* 160 ms of them */
#define MON_ALARM_NS 60000000ULL	/* 60 ms: 3 RTTs of the lab's 20 */
#define MON_ALARM_MIN_NS 30000000ULL
#define MON_ALARM_SEGS 3

/* One segment's outcome, as the analyzer saw it. */
struct mon_seg {
	uint64_t ts_ns;
	bool outbound;		/* from the path's source prefix to its destination */
	uint32_t bytes;		/* payload */
	uint16_t hdr;		/* its IP and TCP headers' bytes: rates are IP bits, as a router counts */
	bool retrans;		/* a retransmission (not a capture copy, not reordering) */
	bool downstream;	/* ... whose original was lost beyond the capture point */
	bool spurious;		/* ... needless (D-SACK or late original) */
	uint32_t acked;		/* inbound: bytes its ACK newly acknowledged */
	uint64_t rtt_ns;	/* an RTT sample of outbound data, 0 if none */
	uint32_t now_spurious;	/* earlier retransmissions this one showed needless (D-SACK) */
	uint32_t unlost;	/* ... of which bytes had been counted lost downstream */
	uint32_t unlost_segs;	/* ... in so many segments */
};

/* Byte counts are IP bytes (payload and headers), but acked: payload, scaled by payload_ip. */
struct mon_acc {
	uint64_t offered, down_rtx, acked;
	uint64_t offered_payload;
	uint64_t rtx_segs, down_segs, spurious_segs;
	uint64_t rtt_n;
	/* The window's RTT samples (us), a deterministic reservoir beyond MON_RTT_KEEP: its median. */
	uint32_t rtt_us[MON_RTT_KEEP];
	uint32_t rtt_rand;
	uint64_t acks;
	/* Twentieths of the window: delivered bytes, and whether anything was lost downstream. */
	uint64_t slot_deliv[MON_SLOTS];
	uint8_t slot_loss[MON_SLOTS];
};

/* One slice of MON_RECENT_NS, kept across windows for the alarm. */
struct mon_recent {
	uint64_t g;			/* its number since the first window's start, plus 1; 0: empty */
	uint64_t offered, offered_payload, down, acked;
	uint32_t down_segs;
};

/* An early alarm of one path: what its last span showed. */
struct mon_alarm {
	uint32_t path;
	uint64_t ts_ns;			/* the segment that raised it */
	uint64_t span_ns;		/* of the ACKs: from the loss's start to @ts_ns */
	uint64_t offered_bps;
	uint64_t delivered_bps;		/* ACKed in the span (IP bits/s); 0: no ACK seen */
	uint32_t down_segs;
	double loss_share;
};

/* A closed window of one path. */
struct mon_window {
	uint32_t path;
	uint64_t start_ns, len_ns;
	uint64_t offered_bps, delivered_bps, down_rtx_bps;
	bool delivered_from_acks;	/* else offered minus downstream-lost */
	double loss_share, spurious_share;
	uint64_t down_rtx_segs, spurious_segs, rtx_segs;
	uint64_t rtt_us, rtt_min_us;	/* 0: unknown */
	uint64_t rtt_add_us;
	uint64_t our_drops;		/* our own qdisc's drops in the window */
	uint8_t verdict;		/* enum mon_verdict */
	uint64_t episode_bps;		/* a loss window's own estimate of the limit; 0: none */
	uint64_t limit_bps, limit_min_bps, limit_max_bps;	/* 0: none yet */
	uint64_t limit_start_ns;	/* the window the estimate came from (its median) */
	uint8_t type;			/* enum mon_type, so far */
};

/* One prefix of a path's side. */
struct mon_pfx {
	uint8_t family, len;		/* 4 or 6 */
	uint8_t addr[16];
};

#define MON_MAX_PREFIXES 8	/* per side: a site of a sites file may have several */
#define MON_ANY (-1)		/* a class qualifier not given */

struct mon_path {
	char name[32];
	/* Outbound: from a src prefix to a dst prefix (of one family). */
	struct mon_pfx src[MON_MAX_PREFIXES], dst[MON_MAX_PREFIXES];
	uint8_t nsrc, ndst;
	/* The class: the DSCP of the flow's outbound data, either end's port; MON_ANY. */
	int dscp, port;
	struct mon_acc acc;
	uint64_t rtt_min_ns;
	uint16_t last_hdr;		/* the last outbound data segment's headers */
	bool slot_loss_last;		/* the last window's last twentieth saw loss */
	uint64_t ep_bps[MON_EPISODES], ep_start[MON_EPISODES];
	uint32_t nep, ep_next;
	uint64_t type_votes[MON_NTYPES];
	uint64_t windows, by_verdict[MON_NVERDICTS], our_drops, down_segs;
	struct mon_window last;
	struct mon_recent recent[MON_RECENT];
	uint64_t loss_first_ns;		/* the first downstream loss after MON_ALARM_NS without */
	uint64_t loss_last_ns;
	uint64_t alarm_ns;		/* the last alarm; 0: none */
	uint64_t alarms;
};

typedef void (*mon_window_cb)(void *ctx, const struct mon_window *w);
/* Cumulative drops of our own edge qdisc; the monitor takes differences. */
typedef uint64_t (*mon_drops_fn)(void *ctx);
typedef void (*mon_alarm_cb)(void *ctx, const struct mon_alarm *a);

struct monitor_opts {
	uint64_t window_ns;		/* 0: 1 s */
	mon_window_cb on_window;
	mon_drops_fn our_drops;		/* optional */
	mon_alarm_cb on_alarm;		/* optional: loss seen before the window ends */
	void *ctx;
};

struct monitor {
	struct monitor_opts o;
	struct mon_path path[MON_MAX_PATHS];
	uint32_t npaths;
	uint64_t start_ns;		/* of the current window */
	bool started;			/* a capture may start at time 0 */
	uint64_t drops_then;
	uint64_t first_ns;		/* the first segment's time */
};

/* What a segment is matched by: its addresses, ports and its flow's DSCPs. */
struct mon_key {
	int family;			/* 4 or 6 */
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	int dscp_fwd;			/* of the flow's data from src to dst; MON_ANY: unknown */
	int dscp_rev;			/* ... from dst to src */
};

/*
 * What an ACK newly delivered, SACK blocks counted (RFC 6675's scoreboard,
 * receiver side): during a loss recovery the cumulative ACK stands still
 * while the path carries data all along, so una's advance alone reads the
 * path's rate far under its limit just when the limit is measured.
 */
#define MON_SACK_RANGES 16
struct mon_sacked {
	bool init;
	uint32_t una;
	uint8_t n;
	struct sack_block r[MON_SACK_RANGES];	/* SACKed above una, sorted, apart */
};

/**
 * mon_sacked_update() - the ACK's cumulative @una and its @n SACK blocks:
 * how many bytes above the last una they cover that nothing covered before
 * (the first call, and a jump of 1 GiB or more, only take @una in). Beyond
 * MON_SACK_RANGES islands the highest are forgotten (not counted).
 */
uint32_t mon_sacked_update(struct mon_sacked *b, uint32_t una, const struct sack_block *blk, int n);

void monitor_init(struct monitor *m, const struct monitor_opts *o);
/**
 * monitor_add_path() - parse "[NAME:]SRC/LEN=DST/LEN[@dscp=N][@port=N]".
 * Return: the path's index, -EINVAL for a bad spec, -ENOSPC beyond MON_MAX_PATHS.
 */
int monitor_add_path(struct monitor *m, const char *spec);
/**
 * monitor_add() - add a path built by the caller (name, prefixes, class).
 * Return: the path's index, -EINVAL for one without prefixes or a bad class,
 * -ENOSPC beyond MON_MAX_PATHS.
 */
int monitor_add(struct monitor *m, const struct mon_path *def);
/* "ADDR/LEN" (no LEN: a host) into @p; Return: 0 or -EINVAL. */
int monitor_parse_prefix(const char *s, size_t n, struct mon_pfx *p);
/* A class qualifier "dscp=N" (0..63) or "port=N" (1..65535) into @p; Return: 0 or -EINVAL. */
int monitor_parse_class(struct mon_path *p, const char *q);
/**
 * monitor_match() - every path @k belongs to (a segment may be in a path and
 * in its classes at once): their indices in @idx, each with @outbound set
 * (@k's src is on the path's src side). Return: how many, at most @max.
 */
int monitor_match(const struct monitor *m, const struct mon_key *k, int *idx, bool *outbound,
		  int max);
/* Close windows up to @ts_ns (first call: start the first). */
void monitor_tick(struct monitor *m, uint64_t ts_ns);
void monitor_segment(struct monitor *m, int path, const struct mon_seg *s);
/* Close the last, partial window at @end_ns. */
void monitor_finish(struct monitor *m, uint64_t end_ns);
/* The path's type from its loss windows' votes. */
enum mon_type monitor_path_type(const struct mon_path *p);

#endif
