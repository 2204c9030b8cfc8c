// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool netlink FEATURES_GET replies, built as Linux 6.18 lays them out
 * (verbose bitsets: the active set without a mask, lists of named bits),
 * then with a mask, cut short, malformed, and without a device.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>

#include "ethtool.h"
#include "unit.h"

static char buf[8192];

static struct nlmsghdr *reply(int ifindex)
{
	struct nlmsghdr *nlh = nl_genl_msg(buf, 30, ETHTOOL_MSG_FEATURES_GET_REPLY, 1, 0);
	struct nlattr *h;

	if (ifindex) {
		h = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_HEADER);
		mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_DEV_INDEX, (uint32_t)ifindex);
		mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, "veth0");
		mnl_attr_nest_end(nlh, h);
	}
	return nlh;
}

/* A bitset of @n named bits; @value[i] puts the VALUE flag (only with a mask). */
static void bitset(struct nlmsghdr *nlh, int type, bool nomask, const char *const *names,
		   const bool *value, int n)
{
	struct nlattr *set = mnl_attr_nest_start(nlh, type), *bits, *bit;

	if (nomask)
		mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, 64);
	bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	for (int i = 0; i < n; i++) {
		bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_BIT_INDEX, (uint32_t)i);
		mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, names[i]);
		if (value && value[i])
			mnl_attr_put(nlh, ETHTOOL_A_BITSET_BIT_VALUE, 0, NULL);
		mnl_attr_nest_end(nlh, bit);
	}
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, set);
}

static void test_active_nomask(void)
{
	/* What a veth with `ethtool -K gro off` sends: the set bits only. */
	static const char *const on[] = { "tx-scatter-gather", "tx-tcp6-segmentation",
					  "tx-generic-segmentation", "rx-gro-list" };
	static const char *const hw[] = { "rx-gro" };
	static const bool yes[] = { true };
	struct nlmsghdr *nlh = reply(7);
	struct eth_offloads o;
	int err;

	/* Other sets around it must not count: only ACTIVE is the state. */
	bitset(nlh, ETHTOOL_A_FEATURES_HW, false, hw, yes, 1);
	bitset(nlh, ETHTOOL_A_FEATURES_ACTIVE, true, on, NULL, 4);
	bitset(nlh, ETHTOOL_A_FEATURES_NOCHANGE, true, hw, NULL, 1);
	err = ethtool_offloads_parse(nlh, &o);
	CHECK(err == 0, "err %d", err);
	CHECK(o.ifindex == 7, "ifindex %d", o.ifindex);
	CHECK(o.gro == ETH_OFF, "gro %d (rx-gro-list is not rx-gro)", o.gro);
	CHECK(o.gso == ETH_ON, "gso %d", o.gso);
	CHECK(o.tso == ETH_ON, "tso %d (one tx-tcp*-segmentation is enough)", o.tso);
}

static void test_active_mask(void)
{
	static const char *const names[] = { "tx-tcp-segmentation", "tx-tcp-ecn-segmentation",
					     "rx-gro", "tx-udp-segmentation" };
	static const bool value[] = { false, false, true, true };
	struct nlmsghdr *nlh = reply(3);
	struct eth_offloads o;

	/* With a mask every listed bit says on or off; unlisted ones stay unknown. */
	bitset(nlh, ETHTOOL_A_FEATURES_ACTIVE, false, names, value, 4);
	CHECK(ethtool_offloads_parse(nlh, &o) == 0, "parse");
	CHECK(o.gro == ETH_ON, "gro %d", o.gro);
	CHECK(o.tso == ETH_OFF, "tso %d (tx-udp-segmentation is not TSO)", o.tso);
	CHECK(o.gso == ETH_UNKNOWN, "gso %d", o.gso);
}

static void test_no_active(void)
{
	struct nlmsghdr *nlh = reply(4);
	struct eth_offloads o;

	CHECK(ethtool_offloads_parse(nlh, &o) == 0, "parse");
	CHECK(o.gro == ETH_UNKNOWN && o.gso == ETH_UNKNOWN && o.tso == ETH_UNKNOWN,
	      "%d %d %d", o.gro, o.gso, o.tso);
	CHECK(!strcmp(eth_state_name[o.gro], "unknown"), "%s", eth_state_name[o.gro]);
}

static void test_no_device(void)
{
	static const char *const on[] = { "rx-gro" };
	struct nlmsghdr *nlh = reply(0);
	struct eth_offloads o;

	bitset(nlh, ETHTOOL_A_FEATURES_ACTIVE, true, on, NULL, 1);
	CHECK(ethtool_offloads_parse(nlh, &o) == -EINVAL, "a reply without a device is refused");
}

static void test_malformed(void)
{
	struct nlmsghdr *nlh = reply(5);
	struct nlattr *set, *bits, *bit;
	struct eth_offloads o;
	char name[6] = { 'r', 'x', '-', 'g', 'r', 'o' };

	/* A bit whose name has no NUL is skipped; the others still count. */
	set = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_ACTIVE);
	mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
	mnl_attr_put(nlh, ETHTOOL_A_BITSET_BIT_NAME, sizeof(name), name);
	mnl_attr_nest_end(nlh, bit);
	bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
	mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, "tx-generic-segmentation");
	mnl_attr_nest_end(nlh, bit);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_BITS_BIT, 1);	/* not a nest */
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, set);
	CHECK(ethtool_offloads_parse(nlh, &o) == 0, "parse");
	CHECK(o.gro == ETH_OFF && o.gso == ETH_ON && o.tso == ETH_OFF, "gro %d gso %d tso %d",
	      o.gro, o.gso, o.tso);

	/* BITS of 2 bytes: no list, so nothing is known. */
	nlh = reply(5);
	set = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_ACTIVE);
	mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	mnl_attr_put_u16(nlh, ETHTOOL_A_BITSET_BITS, 1);
	mnl_attr_nest_end(nlh, set);
	CHECK(ethtool_offloads_parse(nlh, &o) == 0, "parse");
	CHECK(o.gro == ETH_UNKNOWN && o.gso == ETH_UNKNOWN, "gro %d gso %d", o.gro, o.gso);

	/* Cut inside the attributes: nothing is read past the end. */
	nlh->nlmsg_len = (uint32_t)(mnl_nlmsg_size(sizeof(struct genlmsghdr)) + 6);
	CHECK(ethtool_offloads_parse(nlh, &o) == -EINVAL, "cut in the header");
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK(ethtool_offloads_parse(nlh, &o) == -EINVAL, "shorter than genlmsghdr");
}

int main(void)
{
	RUN(test_active_nomask);
	RUN(test_active_mask);
	RUN(test_no_active);
	RUN(test_no_device);
	RUN(test_malformed);
	return unit_done();
}
