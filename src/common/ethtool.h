/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The offloads that change what a drop counter counts (GRO, GSO, TSO: one
 * aggregate or many segments), read from the kernel's ethtool netlink
 * family over a generic netlink socket the caller opened in a namespace.
 */
#ifndef DS_ETHTOOL_H
#define DS_ETHTOOL_H

#include <stddef.h>
#include <stdint.h>

#include "nl.h"

/* Zero is "unknown", so a zeroed entry claims nothing. */
enum eth_state { ETH_UNKNOWN, ETH_OFF, ETH_ON };

extern const char *const eth_state_name[3];	/* "unknown", "off", "on" */

struct eth_offloads {
	int ifindex;
	uint8_t gro, gso, tso;	/* enum eth_state */
};

/**
 * ethtool_offloads_dump() - ETHTOOL_MSG_FEATURES_GET for every device of
 * the namespace @nl (NETLINK_GENERIC) was opened in; no privilege needed.
 * @family: the "ethtool" family's id (nl_genl_family()).
 * @out: set to a malloc'd array of @*n entries (free() it).
 *
 * States are what `ethtool -k` prints for generic-receive-offload,
 * generic-segmentation-offload and tcp-segmentation-offload: TSO is on when
 * any of the tx-tcp*-segmentation features is active.
 * Return: 0 or -errno; nl->err holds the kernel's extack text if any.
 */
int ethtool_offloads_dump(struct nl *nl, uint16_t family, struct eth_offloads **out, size_t *n);

/**
 * ethtool_offloads_parse() - one ETHTOOL_MSG_FEATURES_GET_REPLY into @o.
 * Features the reply does not tell stay ETH_UNKNOWN.
 * Return: 0, or -EINVAL when it names no device.
 */
int ethtool_offloads_parse(const struct nlmsghdr *nlh, struct eth_offloads *o);

#endif
