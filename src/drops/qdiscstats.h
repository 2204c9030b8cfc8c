/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every qdisc of a network namespace with its counters (what `tc -s qdisc`
 * shows), read over an rtnetlink socket the caller opened there.
 */
#ifndef DS_QDISCSTATS_H
#define DS_QDISCSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

struct qdisc_stats {
	int ifindex;
	uint32_t handle, parent;	/* tc's maj:min as one number (1:10 = 0x10010) */
	char kind[16];			/* "htb", "bfifo", "noqueue", "ingress" ... */
	bool root;			/* parent TC_H_ROOT: the device's egress qdisc */
	bool ingress;			/* ingress or clsact: not on the egress path */
	uint64_t bytes, packets;
	/* 32 bits wide in the kernel's reply: they wrap, see qdisc_stats_delta(). */
	uint32_t drops, overlimits, requeues;
	uint32_t backlog, qlen;		/* gauges: bytes and packets queued now */
};

/**
 * qdiscstats_dump() - RTM_GETQDISC dump over @nl (NETLINK_ROUTE).
 * @nl: an open rtnetlink socket; the dump covers the namespace it was
 *      created in, and needs no privilege.
 * @out: set to a malloc'd array of @*n entries (free() it).
 *
 * Counters come from TCA_STATS2 (TCA_STATS_BASIC, TCA_STATS_PKT64,
 * TCA_STATS_QUEUE), else from the old TCA_STATS. Attributes of a wrong
 * length are ignored; a qdisc without them has zero counters.
 * Return: 0 or -errno; nl->err holds the kernel's extack text if any.
 */
int qdiscstats_dump(struct nl *nl, struct qdisc_stats **out, size_t *n);

/**
 * classstats_dump() - RTM_GETTCLASS dump of device @ifindex: each class as
 * a qdisc_stats (handle = its classid, kind = its qdisc's), same counters.
 * Return: 0 or -errno.
 */
int classstats_dump(struct nl *nl, int ifindex, struct qdisc_stats **out, size_t *n);

/**
 * qdisc_dev_drops() - packets dropped by device @ifindex's egress qdiscs.
 *
 * The sum of the drops of the device's root qdisc(s) only: a classful root
 * already counts what its children drop (see qdiscstats.c), so adding the
 * children would count those packets twice.
 */
uint64_t qdisc_dev_drops(const struct qdisc_stats *v, size_t n, int ifindex);

/* One dump: device @ifindex's egress drops (as above) and its roots' packets. Return: 0 or -errno. */
int qdisc_dev_now(struct nl *nl, int ifindex, uint64_t *drops, uint64_t *packets);

/**
 * qdisc_stats_find() - the qdisc (@ifindex, @handle, @parent) in @v, or NULL.
 */
const struct qdisc_stats *qdisc_stats_find(const struct qdisc_stats *v, size_t n,
					   int ifindex, uint32_t handle, uint32_t parent);

/**
 * qdisc_stats_delta() - what happened between sample @a and sample @b.
 * @a: the same qdisc earlier, or NULL if it did not exist then (all of @b
 *     counts as new). A qdisc replaced by another kind, or whose 64-bit
 *     byte or packet count went back, counts as new too.
 * @d: @b's identity, the counters' differences (32-bit ones modulo 2^32,
 *     so one wrap between samples is harmless), @b's backlog and qlen.
 */
void qdisc_stats_delta(const struct qdisc_stats *a, const struct qdisc_stats *b,
		       struct qdisc_stats *d);

#endif
