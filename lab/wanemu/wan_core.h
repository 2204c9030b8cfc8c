/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wanemu's provider model, free of I/O: a schedule of best-effort capacity,
 * a committed-rate token bucket, two FIFOs (committed, best effort) with tail
 * drop or RED, serialization in virtual time and a delay line without
 * reordering.  Packets are opaque slots; the caller owns their bytes.
 * Times in ns (any monotonic origin), rates in bit/s, sizes in bytes.
 */
#ifndef WAN_CORE_H
#define WAN_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAN_MAX_POINTS 4096

struct wan_point {
	uint64_t t_ns;		/* from the start of the run */
	uint64_t rate_bps;
	bool ramp;		/* linear from the previous point to this one */
};

struct wan_sched {
	int n;
	struct wan_point p[WAN_MAX_POINTS];
};

enum wan_verdict { WAN_QUEUED, WAN_DROP_TAIL, WAN_DROP_RED, WAN_DROP_RANDOM };

struct wan_cfg {
	uint64_t line_bps;
	uint64_t cir_bps;
	uint64_t cir_burst;	/* bytes */
	uint32_t limit;		/* per queue, packets or bytes (limit_bytes) */
	bool limit_bytes;
	bool red;
	double red_min, red_max, red_pmax, red_w;	/* same unit as limit */
	uint64_t delay_ns, jitter_ns;
	uint32_t loss_ppm;
	uint64_t seed;
};

struct wan_pkt {
	uint64_t t_in;		/* arrival */
	uint64_t t_out;		/* due at the far end (delay line) */
	uint32_t len;
	uint32_t slot;
	uint8_t dscp;
	uint8_t committed;
};

struct wan_fifo {
	struct wan_pkt *v;
	uint32_t cap, head, n;
	uint64_t bytes;
};

struct wan_dir {
	const struct wan_cfg *cfg;
	const struct wan_sched *sched;
	uint64_t t0;		/* start of the run: schedule time 0 */
	struct wan_fifo q[2];	/* 0: committed, 1: best effort */
	struct wan_fifo line;	/* serialized, waiting out the delay */
	uint64_t t_free;	/* link busy until */
	int cur;		/* queue whose head is on the wire, or -1 */
	uint64_t last_out;
	double tokens, red_avg[2];
	uint64_t tb_last;
	uint32_t red_count[2];
	uint64_t rng;
};

int wan_fifo_init(struct wan_fifo *f, uint32_t cap);
void wan_fifo_free(struct wan_fifo *f);
bool wan_fifo_push(struct wan_fifo *f, const struct wan_pkt *p);
struct wan_pkt *wan_fifo_head(struct wan_fifo *f);
void wan_fifo_pop(struct wan_fifo *f);

uint64_t wan_sched_rate(const struct wan_sched *s, uint64_t t_ns);
int wan_sched_parse(struct wan_sched *s, const char *spec);
int wan_sched_walk(struct wan_sched *s, uint64_t lo, uint64_t hi, uint64_t step,
		   uint64_t period_ns, uint64_t dur_ns, uint64_t seed);
int wan_sched_add(struct wan_sched *s, double t_s, uint64_t rate, bool ramp);

int wan_dir_init(struct wan_dir *d, const struct wan_cfg *cfg,
		 const struct wan_sched *sched, uint64_t t0, uint32_t slots);
void wan_dir_free(struct wan_dir *d);
uint64_t wan_capacity(const struct wan_dir *d, uint64_t now);
enum wan_verdict wan_enqueue(struct wan_dir *d, uint64_t now, const struct wan_pkt *p);
void wan_service(struct wan_dir *d, uint64_t now);
struct wan_pkt *wan_due(struct wan_dir *d, uint64_t now);
uint64_t wan_next_event(const struct wan_dir *d);
uint64_t wan_rng(uint64_t *s);
int wan_parse_rate(const char *s, uint64_t *bps);

/*
 * A frame's DSCP (IPv4 or IPv6 in Ethernet, past up to two 802.1Q/802.1ad
 * tags), or -1; and its rewrite to @dscp (ECN kept; IPv4's header checksum
 * updated incrementally, RFC 1624). Frames with no IP header are left as they are.
 */
int wan_frame_dscp(const unsigned char *f, size_t len);
void wan_frame_bleach(unsigned char *f, size_t len, int dscp);

#endif
