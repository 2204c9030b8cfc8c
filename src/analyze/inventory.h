/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The classification inventory: who uses a capture's traffic, by source
 * subnet, by server port and by DSCP, with what loss (retransmissions) and,
 * per DSCP, what delay (RTT). Fed the tracker's view of each segment; no I/O.
 * Memory is bounded: each table keeps at most INV_MAX_ROWS keys, the rest
 * go to its "other" row.
 */
#ifndef DS_INVENTORY_H
#define DS_INVENTORY_H

#include <stdint.h>

#include "hist.h"
#include "pkt.h"

struct track_ev;

#define INV_MAX_ROWS 1024	/* keys per table; later ones count as "other" */
#define INV_NDSCP 64

/* What the inventory keeps in each flow (struct flow.inv), zero at its start. */
struct inv_flow {
	uint16_t port;			/* the server port the flow is counted under */
	uint8_t dscp[2];		/* per direction: 1 + its last DSCP, 0 before its first */
};

struct inv_counts {
	uint64_t packets;		/* TCP segments, pure ACKs too */
	uint64_t data_segs, data_bytes;	/* TCP payload, retransmissions included */
	uint64_t retrans_segs, retrans_bytes;
	uint64_t flows;			/* subnet, DSCP: flow directions; port: connections */
};

struct inv_row {
	uint8_t family;			/* 4, 6; 0 in the port table */
	uint8_t plen;
	uint8_t key[16];		/* the prefix, host bits zero; or the port, big endian */
	struct inv_counts c;
};

struct inv_table {
	struct inv_row *rows;		/* n of INV_MAX_ROWS, in order of appearance */
	uint16_t *slot;			/* open addressing: row index + 1, 0 empty */
	size_t n;
	struct inv_counts other;	/* every key after the table filled */
};

struct inventory {
	int v4len, v6len;		/* subnet prefix lengths */
	struct inv_table net, port;
	struct inv_counts dscp[INV_NDSCP];
	struct hist *rtt[INV_NDSCP];	/* per DSCP of the data, allocated when first needed */
};

/* @v4len 1..32 (0: 24), @v6len 1..128 (0: 64). Return: 0 or -ENOMEM. */
int inventory_init(struct inventory *inv, int v4len, int v6len);
void inventory_free(struct inventory *inv);

/**
 * inventory_segment() - count one tracked segment (not a capture duplicate).
 * @fl: its flow's struct inv_flow; @dir: its direction in the flow;
 * @ev: what tcp_track() said of it. An RTT sample on an ACK counts for the
 * DSCP of the data it acknowledges (the other direction's last).
 */
void inventory_segment(struct inventory *inv, struct inv_flow *fl, int dir,
		       const struct tcp_seg *s, const struct track_ev *ev);

/*
 * The rows of @t sorted by data bytes, largest first (@out holds t->n).
 * Return: the number of rows.
 */
size_t inventory_sorted(const struct inv_table *t, const struct inv_row **out);

/* "af41", "cs1", "ef", "be" ... or NULL for a code point without a name. */
const char *dscp_name(unsigned int dscp);

#endif
