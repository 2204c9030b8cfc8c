/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connection table: direction-normalized keys, a hash keyed with a
 * random seed (so crafted traffic cannot aim at one chain), a cap on the
 * number of flows with counted eviction of the longest idle, and idle
 * timeouts that depend on the connection's state.
 */
#ifndef DS_FLOWTAB_H
#define DS_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "inventory.h"
#include "pkt.h"
#include "tcptrack.h"


/*
 * Where the 5-tuple lives, beside struct flow_id (which every engine shares):
 * the capture interface, the VLAN stack and the VXLAN/Geneve VNI. The same
 * addresses and ports on two VLANs or in two VNIs are two connections.
 * Hashed and compared as bytes with the flow_id: unused IDs stay zero.
 */
struct flow_domain {
	uint32_t ifid;			/* capture interface; 0 for the first or only one */
	uint32_t vni;			/* valid when has_vni */
	uint16_t vlan[PKT_MAX_VLAN];	/* outermost first; nvlan of them */
	uint8_t nvlan;
	uint8_t has_vni;
	uint16_t pad;
};

_Static_assert(sizeof(struct flow_domain) == 20, "flow_domain is compared as bytes");

/* The domain of a decoded segment. */
void flow_domain_of(struct flow_domain *d, const struct tcp_seg *s);

enum flow_class { FLOW_HALF_OPEN, FLOW_OPEN, FLOW_CLOSED, FLOW_NCLASSES };
enum flow_end { FLOW_EXPIRED, FLOW_EVICTED, FLOW_FLUSHED };

struct flow {
	struct flow *hnext;
	struct flow *prev, *next;	/* idle order within its class */
	uint64_t hash;
	uint64_t first_ns, last_ns;
	uint8_t cls;
	uint8_t has_dom;		/* dom is not all zero */
	struct flow_id key;		/* canonical (flow_canon): side 0 is its source */
	struct flow_domain dom;		/* part of the key */
	struct inv_flow inv;		/* the inventory's, when it runs */
	struct tcp_conn conn;
	void *ext;			/* the user's per-flow data */
	struct mon_sacked *sacked;	/* the monitor's, per ACK direction; freed by the user */
	/* Per direction: the DSCP of its data (of its first segment until data). */
	uint8_t dscp[2];
	uint8_t dscp_seen;		/* bit dir: any segment, bit dir + 2: data */
};

struct flowtab;
typedef void (*flow_end_cb)(void *ctx, struct flow *f, enum flow_end why);

/**
 * flowtab_new() - table of at most @max_flows; @end_cb sees every flow
 * before it is freed (expired, evicted for room, or flushed at the end).
 */
struct flowtab *flowtab_new(size_t max_flows, flow_end_cb end_cb, void *ctx);
void flowtab_free(struct flowtab *t);

/* The flow of @s (created if new) and the segment's direction in it. */
struct flow *flowtab_get(struct flowtab *t, const struct tcp_seg *s, int *dir);
/* After tracking a segment: refresh idle order and state class. */
void flowtab_touch(struct flowtab *t, struct flow *f, uint64_t now_ns);
/* Start @f over (a new connection on the same addresses and ports). */
void flowtab_restart(struct flowtab *t, struct flow *f);
void flowtab_expire(struct flowtab *t, uint64_t now_ns);
void flowtab_flush(struct flowtab *t);
size_t flowtab_count(const struct flowtab *t);
uint64_t flowtab_evicted(const struct flowtab *t);
uint64_t flowtab_created(const struct flowtab *t);

#endif
