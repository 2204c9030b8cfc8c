// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the attributes of an ETHTOOL_MSG_FEATURES_GET_REPLY
 * (after the nlmsghdr and genlmsghdr, which are built here) through
 * ethtool_offloads_parse(). The message is copied to a buffer of its exact
 * size rounded up to NLMSG_ALIGNTO, so ASan reports any read past it. The
 * round-up is libmnl's contract, not slack: its attribute walk ends at
 * mnl_nlmsg_get_payload_tail(), nlmsg_len aligned, as every receive buffer
 * allows (the kernel pads each message); libmnl itself is not instrumented,
 * so a harness without the padding reported its reads there as ours.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>

#include "ethtool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	struct eth_offloads o;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	if (size > 65536)
		return 0;
	nlh = calloc(1, MNL_ALIGN(hdr + size));
	if (!nlh)
		return 0;
	nlh->nlmsg_len = (uint32_t)(hdr + size);
	g = (struct genlmsghdr *)((char *)nlh + NLMSG_HDRLEN);
	g->cmd = ETHTOOL_MSG_FEATURES_GET_REPLY;
	g->version = ETHTOOL_GENL_VERSION;
	memcpy((char *)nlh + hdr, data, size);
	if (!ethtool_offloads_parse(nlh, &o) && (o.gro > ETH_ON || o.gso > ETH_ON || o.tso > ETH_ON))
		abort();
	free(nlh);
	return 0;
}
