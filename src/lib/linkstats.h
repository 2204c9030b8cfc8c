/* SPDX-License-Identifier: GPL-2.0 */
/* Every interface of the current network namespace with its 64-bit counters. */
#ifndef DS_LINKSTATS_H
#define DS_LINKSTATS_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

struct link_stats {
	int ifindex;
	char ifname[IF_NAMESIZE];
	char kind[16];		/* "veth", "macvtap", "tun", "bridge"; "" for a plain device */
	int link;		/* IFLA_LINK: veth peer, macvlan lower device; 0 if none */
	int link_netnsid;	/* namespace of @link, -1 when the same */
	int master;		/* bridge or bond it is enslaved to, 0 if none */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped, rx_missed, rx_fifo, tx_fifo;
};

/**
 * linkstats_dump() - RTM_GETLINK dump of the current network namespace.
 * @out: set to a malloc'd array of @*n entries (free() it).
 * Return: 0 or -errno; @errmsg gets the kernel's extack text if any.
 */
int linkstats_dump(struct link_stats **out, size_t *n, char *errmsg, size_t errlen);

#endif
