/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What one diagnose run gathers from its engines, as the join wants it:
 * slow transactions (rr's workers), drops and retransmissions (the drops
 * tracer), needless retransmissions (the capture analyzers), each drop's
 * point (netns, device, reason) once, and the dropped packets' headers for
 * the report's pcapng. Growable arrays, no I/O.
 */
#ifndef DS_DIAGNOSE_COLLECT_H
#define DS_DIAGNOSE_COLLECT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "drops.h"
#include "join.h"

/* Where a drop happened: the verdict's causes are these. */
struct dg_point {
	uint32_t netns;
	int ifindex;			/* 0: no device (a socket, local output) */
	uint32_t reason;		/* enum skb_drop_reason, this kernel's */
	uint64_t location;		/* the kernel's drop site (kfree_skb's caller) */
};

/* A dropped packet's header bytes, from the network header on. */
struct dg_hdr {
	uint16_t caplen;
	uint32_t wirelen;
	uint8_t data[DROP_HDR_LEN];
};

/* Headers kept for the pcapng: the first this many drops. */
#define DG_MAX_HDRS 200000
/* Past this many events of one kind the rest are counted, not kept. */
#define DG_MAX_EVENTS (8u << 20)

/* Packets freed that were not lost (drop_reason_benign()): counted per point. */
struct dg_discard {
	struct dg_point at;
	uint64_t n;
};

struct dg_data {
	pthread_mutex_t lock;		/* slow events come from rr's workers */
	struct dg_slow *slow;
	size_t nslow, capslow;
	struct dg_drop *drops;
	size_t ndrops, capdrops;
	struct dg_hdr *hdrs;		/* hdrs[i] for drops[i], i < nhdrs */
	size_t nhdrs, caphdrs;
	struct dg_rtx *rtx;
	size_t nrtx, caprtx;
	struct dg_spurious *sp;
	size_t nsp, capsp;
	struct dg_point *points;
	size_t npoints, cappoints;
	struct flow_id *flows;
	size_t nflows, capflows;
	struct dg_discard *discards;
	size_t ndiscards, capdiscards;
	uint64_t not_kept;		/* events beyond DG_MAX_EVENTS, or out of memory */
};

int dg_data_init(struct dg_data *d);
void dg_data_free(struct dg_data *d);

/* Each returns 0, or -ENOMEM (then counted in not_kept). */
int dg_add_slow(struct dg_data *d, const struct dg_slow *s);	/* any thread */
int dg_add_drop(struct dg_data *d, const struct dg_drop *x, const struct dg_point *at,
		const void *hdr, uint16_t caplen, uint32_t wirelen);
int dg_add_rtx(struct dg_data *d, const struct dg_rtx *x);
int dg_add_spurious(struct dg_data *d, const struct dg_spurious *x);
int dg_add_flow(struct dg_data *d, const struct flow_id *f);
int dg_add_discard(struct dg_data *d, const struct dg_point *at);

/* The join's input over everything gathered. */
void dg_data_input(const struct dg_data *d, struct dg_input *in);

#endif
