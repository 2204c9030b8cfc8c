// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>

#include "ethtool.h"

const char *const eth_state_name[3] = { "unknown", "off", "on" };

/* Which of our three a feature name (ETH_SS_FEATURES) counts for, or NULL. */
static uint8_t *feature_slot(struct eth_offloads *o, const char *name)
{
	static const char pre[] = "tx-tcp", suf[] = "-segmentation";
	size_t len = strlen(name);

	if (!strcmp(name, "rx-gro"))
		return &o->gro;
	if (!strcmp(name, "tx-generic-segmentation"))
		return &o->gso;
	/* ethtool's own pattern for TSO: tx-tcp-, tx-tcp-ecn-, tx-tcp6- ... */
	if (len >= sizeof(pre) - 1 + sizeof(suf) - 1 && !strncmp(name, pre, sizeof(pre) - 1) &&
	    !strcmp(name + len - (sizeof(suf) - 1), suf))
		return &o->tso;
	return NULL;
}

/* One ETHTOOL_A_BITSET_BITS_BIT: its name, and whether its VALUE flag is there. */
static void take_bit(const struct nlattr *bit, struct eth_offloads *o, bool nomask)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint8_t *slot;
	bool on = nomask;	/* without a mask only the bits set are listed */

	if (mnl_attr_validate(bit, MNL_TYPE_NESTED))
		return;
	mnl_attr_for_each_nested(a, bit) {
		if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BIT_NAME &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BIT_VALUE)
			on = true;
	}
	if (!name || !(slot = feature_slot(o, name)))
		return;
	/* TSO is several features: on when any is. */
	if (on || *slot != ETH_ON)
		*slot = on ? ETH_ON : ETH_OFF;
}

/*
 * The active set, verbose (we never ask for compact bitsets, whose bit
 * numbers are the kernel's NETIF_F_*_BIT and change between versions).
 */
static void parse_active(const struct nlattr *set, struct eth_offloads *o)
{
	const struct nlattr *a, *bits = NULL;
	bool nomask = false;

	if (mnl_attr_validate(set, MNL_TYPE_NESTED))
		return;
	mnl_attr_for_each_nested(a, set) {
		if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_NOMASK)
			nomask = true;
		else if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BITS &&
			 !mnl_attr_validate(a, MNL_TYPE_NESTED))
			bits = a;
	}
	if (!bits)
		return;
	/* A list of the set bits only: what it leaves out is off. */
	if (nomask)
		o->gro = o->gso = o->tso = ETH_OFF;
	mnl_attr_for_each_nested(a, bits)
		if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BITS_BIT)
			take_bit(a, o, nomask);
}

static void parse_header(const struct nlattr *nest, struct eth_offloads *o)
{
	const struct nlattr *a;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED))
		return;
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_DEV_INDEX &&
		    !mnl_attr_validate(a, MNL_TYPE_U32))
			o->ifindex = (int)mnl_attr_get_u32(a);
}

int ethtool_offloads_parse(const struct nlmsghdr *nlh, struct eth_offloads *o)
{
	const struct nlattr *a;

	memset(o, 0, sizeof(*o));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -EINVAL;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == ETHTOOL_A_FEATURES_HEADER)
			parse_header(a, o);
		else if (mnl_attr_get_type(a) == ETHTOOL_A_FEATURES_ACTIVE)
			parse_active(a, o);
	}
	return o->ifindex > 0 ? 0 : -EINVAL;
}

static int on_features(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct eth_offloads o, *slot;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) ||
	    g->cmd != ETHTOOL_MSG_FEATURES_GET_REPLY || ethtool_offloads_parse(nlh, &o))
		return MNL_CB_OK;
	slot = nl_array_add(data, sizeof(*slot));
	if (!slot)
		return MNL_CB_ERROR;
	*slot = o;
	return MNL_CB_OK;
}

int ethtool_offloads_dump(struct nl *nl, uint16_t family, struct eth_offloads **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_array a = { 0 };
	struct nlmsghdr *nlh;
	int err;

	/* No request header: every device, verbose bitsets. */
	nlh = nl_genl_msg(buf, family, ETHTOOL_MSG_FEATURES_GET, ETHTOOL_GENL_VERSION, NLM_F_DUMP);
	err = nl_request(nl, nlh, on_features, &a);
	if (err) {
		free(a.v);
		return err;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}
