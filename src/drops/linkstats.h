/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every interface of a network namespace with its 64-bit counters and what
 * `ip -d link` tells of it, read over an rtnetlink socket the caller opened
 * there.
 */
#ifndef DS_LINKSTATS_H
#define DS_LINKSTATS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

struct link_stats {
	int ifindex;
	char ifname[IF_NAMESIZE];
	char kind[16];		/* "veth", "macvtap", "tun", "bridge"; "" for a plain device */
	int link;		/* IFLA_LINK: veth peer, macvlan lower device; 0 if none */
	int link_netnsid;	/* namespace of @link, -1 when the same */
	int master;		/* bridge or bond it is enslaved to, 0 if none */
	unsigned int flags;	/* IFF_UP, IFF_LOWER_UP, IFF_LOOPBACK ... (ifi_flags) */
	uint32_t mtu, txqlen;
	uint8_t operstate;	/* IF_OPER_UP, IF_OPER_DOWN ... (RFC 2863) */
	uint8_t tun_type;	/* a tun's IFLA_TUN_TYPE: IFF_TUN or IFF_TAP; else 0 */
	uint32_t macvlan_mode;	/* a macvlan's or macvtap's MACVLAN_MODE_*; else 0 */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped, rx_missed, rx_fifo, tx_fifo;
};

/**
 * linkstats_dump() - RTM_GETLINK dump over @nl (NETLINK_ROUTE).
 * @nl: an open rtnetlink socket. The dump covers the namespace the socket
 *      was created in, wherever the caller is now, and needs no privilege:
 *      open it in each namespace up front, sample later without any.
 * @out: set to a malloc'd array of @*n entries (free() it).
 * Return: 0 or -errno; nl->err holds the kernel's extack text if any.
 */
int linkstats_dump(struct nl *nl, struct link_stats **out, size_t *n);

/** link_stats_find() - the interface @ifindex in @v, or NULL. */
const struct link_stats *link_stats_find(const struct link_stats *v, size_t n, int ifindex);

/**
 * link_stats_delta() - what happened between sample @a and sample @b.
 * @a: the same interface earlier, or NULL if it did not exist then.
 * @d: @b's identity (index, name, kind, links) and the counters' differences.
 *
 * Counters that went back mean another device got the index (or the
 * driver reset them): then all of @b counts, as for a new device.
 * Return: true when @b counted as new.
 */
bool link_stats_delta(const struct link_stats *a, const struct link_stats *b,
		      struct link_stats *d);

#endif
