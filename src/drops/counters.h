/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every drop counter of the host, namespace by namespace: interfaces,
 * qdiscs, the TCP/IP/UDP SNMP counters, and the per-CPU backlog. Opened once
 * with privilege (entering each namespace), then sampled without any: an
 * rtnetlink socket and a /proc/net file stay tied to the namespace they were
 * opened in, wherever the process is later and whatever it may do.
 */
#ifndef DS_COUNTERS_H
#define DS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linkstats.h"
#include "nl.h"
#include "qdiscstats.h"
#include "snmp.h"

/* The SNMP counters sampled; counters_snmp_names[] spells them as nstat does. */
enum counters_snmp {
	CTR_TCP_RETRANS_SEGS,		/* TcpRetransSegs */
	CTR_TCP_TIMEOUTS,		/* TcpExtTCPTimeouts */
	CTR_TCP_LOSS_PROBES,		/* TcpExtTCPLossProbes */
	CTR_TCP_FAST_RETRANS,		/* TcpExtTCPFastRetrans */
	CTR_TCP_SYN_RETRANS,		/* TcpExtTCPSynRetrans */
	CTR_TCP_LOST_RETRANSMIT,	/* TcpExtTCPLostRetransmit */
	CTR_IP_IN_DISCARDS,		/* IpInDiscards */
	CTR_IP_OUT_DISCARDS,		/* IpOutDiscards */
	CTR_UDP_RCVBUF_ERRORS,		/* UdpRcvbufErrors */
	CTR_UDP_IN_ERRORS,		/* UdpInErrors */
	CTR_TCP_LISTEN_DROPS,		/* TcpExtListenDrops */
	CTR_TCP_BACKLOG_DROP,		/* TcpExtTCPBacklogDrop */
	CTR_SNMP_N
};

extern const char *const counters_snmp_names[CTR_SNMP_N];

/* One namespace, opened: all it takes to sample it later. */
struct counters_ns {
	uint32_t inum;
	char name[64];
	struct nl nl;			/* rtnetlink, created inside the namespace */
	int snmp_fd, netstat_fd;	/* its /proc/net/snmp and /proc/net/netstat */
};

struct counters {
	struct counters_ns *ns;
	size_t n;
	/*
	 * Namespaces seen but left out: could not enter them. Without
	 * privilege those of other users' processes are not even seen.
	 */
	size_t skipped;
	int skip_err;		/* why the first was (-EPERM: no CAP_SYS_ADMIN) */
	uint32_t self_inum;	/* the caller's namespace */
	int softnet_fd;		/* /proc/net/softnet_stat: per CPU, not per namespace */
	struct procbuf buf;	/* text of the last /proc file read */
};

struct counters_ns_sample {
	uint32_t inum;
	char name[64];
	int err;		/* 0, or the first thing that failed here (-errno) */
	struct link_stats *links;
	size_t n_links;
	struct qdisc_stats *qdiscs;
	size_t n_qdiscs;
	uint64_t snmp[CTR_SNMP_N];
	bool snmp_found[CTR_SNMP_N];	/* this kernel has the counter */
};

struct counters_sample {
	uint64_t t_ns;		/* CLOCK_MONOTONIC when the sample began */
	struct counters_ns_sample *ns;	/* in the order of counters.ns */
	size_t n;
	struct softnet_stat softnet;
	int softnet_err;
};

/**
 * counters_open() - open every source of the selected namespaces.
 * @netns_sel: NULL or "all" for every namespace netns_scan() finds, else
 *             one namespace by netns_find()'s names ("init", a /run/netns
 *             name, "pid:N").
 *
 * Enters each namespace once (setns, this thread only), opens an rtnetlink
 * socket and its snmp and netstat files there, and comes back. The caller's
 * own namespace needs no setns, so without CAP_SYS_ADMIN "all" still gives
 * that one, and @c->skipped counts the others (@c->skip_err says why).
 * After this counters_sample() needs no capability at all.
 * Return: 0 or -errno (-ENOENT: no such namespace; -EPERM: the one
 * selected cannot be entered); on error nothing stays open.
 */
int counters_open(struct counters *c, const char *netns_sel);

/**
 * counters_sample() - read every counter of every opened namespace now.
 *
 * A namespace that fails keeps its error in its entry's @err and the
 * others are still read. Free @s with counters_sample_free().
 * Return: 0 or -ENOMEM.
 */
int counters_sample(struct counters *c, struct counters_sample *s);

void counters_sample_free(struct counters_sample *s);

/** counters_close() - close everything counters_open() opened. */
void counters_close(struct counters *c);

/** counters_find_ns() - namespace @inum in @s, or NULL. */
const struct counters_ns_sample *counters_find_ns(const struct counters_sample *s,
						  uint32_t inum);

/**
 * counters_snmp_delta() - counter @id's growth from @a (NULL: zero) to @b.
 * Return: 0 when @b lacks the counter.
 */
uint64_t counters_snmp_delta(const struct counters_ns_sample *a,
			     const struct counters_ns_sample *b, enum counters_snmp id);

/* One device's change between two samples. */
struct counters_dev_delta {
	uint32_t inum;
	char ns_name[64];
	struct link_stats link;		/* identity from the later sample, counter deltas */
	bool is_new;			/* absent from (or restarted since) the earlier one */
	/* The device's egress root qdisc(s): see qdisc_dev_drops(). */
	uint64_t qdisc_drops, qdisc_overlimits, qdisc_requeues;
	uint32_t qdisc_backlog, qdisc_qlen;	/* at the later sample */
};

/**
 * counters_dev_delta() - per device, keyed by (namespace inode, ifindex),
 * what happened from sample @a to sample @b.
 * @out: set to a malloc'd array of @*n entries (free() it), in @b's order.
 *
 * A device (or a whole namespace) that is not in @a counts from zero; one
 * only in @a is left out: what it did before it went is not known. A
 * namespace whose sampling failed in @a or @b is left out too.
 * Return: 0 or -ENOMEM.
 */
int counters_dev_delta(const struct counters_sample *a, const struct counters_sample *b,
		       struct counters_dev_delta **out, size_t *n);

#endif
