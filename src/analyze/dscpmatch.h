/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Did the DSCP arrive as it was sent? The same packets seen by two
 * captures, one at each end of a path (NEAR and FAR), are matched on their
 * flow (addresses, ports), TCP sequence and acknowledgment numbers, payload
 * length, flags and IPv4 ID, and counted per (DSCP as sent, DSCP as arrived).
 * The capture that saw a packet first (by the stamps: the two clocks must
 * agree to better than the path's one-way delay, as on one host or with
 * PTP) is where it was sent. No I/O. Memory: the far capture's packets are
 * held, 24 bytes each in a table at most half full, up to a cap; beyond
 * it they are only counted.
 */
#ifndef DS_DSCPMATCH_H
#define DS_DSCPMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define DM_NDSCP 64
#define DM_DEFAULT_MAX_FAR (1U << 20)	/* packets held: at most 48 MiB of table */

enum dm_dir { DM_NEAR_TO_FAR, DM_FAR_TO_NEAR, DM_NDIRS };

/* What became of one sent DSCP in one direction. */
enum dm_verdict {
	DM_NONE,		/* nothing of it matched */
	DM_UNCHANGED,		/* every packet arrived with it */
	DM_BLEACHED,		/* all arrived as V, and so did every other class's changed packets */
	DM_REWRITTEN,		/* all arrived as one other value, but not the one every class got */
	DM_MIXED,		/* arrived with more than one value */
	DM_NVERDICTS,
};

extern const char *const dm_verdict_name[DM_NVERDICTS];
extern const char *const dm_dir_name[DM_NDIRS];

struct dm_entry;

struct dscpmatch {
	struct dm_entry *tab;
	size_t nslots, max_far;
	uint64_t far_pkts;		/* held */
	uint64_t far_over_cap;		/* not held: beyond max_far */
	uint64_t near_pkts;
	/* [dir][sent][arrived]: packets matched */
	uint64_t pairs[DM_NDIRS][DM_NDSCP][DM_NDSCP];
	uint64_t near_unmatched[DM_NDSCP];	/* by the near capture's DSCP */
	uint64_t far_unmatched[DM_NDSCP];	/* after dscpmatch_finish(), by the far's */
};

/* Room for @max_far far packets (0: DM_DEFAULT_MAX_FAR). Return: 0 or -ENOMEM. */
int dscpmatch_init(struct dscpmatch *m, size_t max_far);
void dscpmatch_free(struct dscpmatch *m);
/* One packet of the far capture, stamped @ts_ns; all of them before the first near one. */
void dscpmatch_far(struct dscpmatch *m, const struct tcp_seg *s, uint64_t ts_ns);
/* One packet of the near capture: matched against a far one, or counted unmatched. */
void dscpmatch_near(struct dscpmatch *m, const struct tcp_seg *s, uint64_t ts_ns);
/* After the last near packet: the far packets never matched, by DSCP. */
void dscpmatch_finish(struct dscpmatch *m);
/* Packets sent with @sent in direction @dir that were matched. */
uint64_t dscpmatch_sent(const struct dscpmatch *m, int dir, unsigned int sent);
/* What became of @sent in @dir; @to: the value they all arrived with (unchanged ... rewritten). */
enum dm_verdict dscpmatch_verdict(const struct dscpmatch *m, int dir, unsigned int sent,
				  unsigned int *to);

#endif
