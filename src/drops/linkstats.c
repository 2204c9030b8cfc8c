// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "linkstats.h"

/* IFLA_INFO_DATA: its attributes mean what the kind says. */
static void parse_info_data(const struct nlattr *nest, struct link_stats *l)
{
	bool tun = !strcmp(l->kind, "tun");
	bool macvlan = !strcmp(l->kind, "macvlan") || !strcmp(l->kind, "macvtap");
	const struct nlattr *a;

	if ((!tun && !macvlan) || mnl_attr_validate(nest, MNL_TYPE_NESTED))
		return;
	mnl_attr_for_each_nested(a, nest) {
		if (tun && mnl_attr_get_type(a) == IFLA_TUN_TYPE &&
		    !mnl_attr_validate(a, MNL_TYPE_U8))
			l->tun_type = mnl_attr_get_u8(a);
		else if (macvlan && mnl_attr_get_type(a) == IFLA_MACVLAN_MODE &&
			 !mnl_attr_validate(a, MNL_TYPE_U32))
			l->macvlan_mode = mnl_attr_get_u32(a);
	}
}

static void parse_linkinfo(const struct nlattr *nest, struct link_stats *l)
{
	const struct nlattr *a, *data = NULL;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    !mnl_attr_validate(a, MNL_TYPE_STRING))
			snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == IFLA_INFO_DATA)
			data = a;
	}
	/* The kernel puts the kind first, but the data is read only once it is known. */
	if (data)
		parse_info_data(data, l);
}

static void take_stats(const struct nlattr *a, struct link_stats *l)
{
	struct rtnl_link_stats64 s;

	/* Older kernels send a shorter struct: keep what is there. */
	memset(&s, 0, sizeof(s));
	memcpy(&s, mnl_attr_get_payload(a),
	       mnl_attr_get_payload_len(a) < sizeof(s) ? mnl_attr_get_payload_len(a) : sizeof(s));
	l->rx_packets = s.rx_packets;
	l->tx_packets = s.tx_packets;
	l->rx_bytes = s.rx_bytes;
	l->tx_bytes = s.tx_bytes;
	l->rx_dropped = s.rx_dropped;
	l->tx_dropped = s.tx_dropped;
	l->rx_missed = s.rx_missed_errors;
	l->rx_fifo = s.rx_fifo_errors;
	l->tx_fifo = s.tx_fifo_errors;
}

static void attr_int(const struct nlattr *a, int *dst)
{
	if (!mnl_attr_validate(a, MNL_TYPE_U32))
		*dst = (int)mnl_attr_get_u32(a);
}

static void attr_u32(const struct nlattr *a, uint32_t *dst)
{
	if (!mnl_attr_validate(a, MNL_TYPE_U32))
		*dst = mnl_attr_get_u32(a);
}

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct nl_array *d = data;
	const struct nlattr *a;
	struct link_stats *l;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	l = nl_array_add(d, sizeof(*l));
	if (!l)
		return MNL_CB_ERROR;
	l->ifindex = ifm->ifi_index;
	l->flags = ifm->ifi_flags;
	l->link_netnsid = -1;
	mnl_attr_for_each(a, nlh, sizeof(*ifm)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				snprintf(l->ifname, sizeof(l->ifname), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_LINK:
			attr_int(a, &l->link);
			break;
		case IFLA_LINK_NETNSID:
			attr_int(a, &l->link_netnsid);
			break;
		case IFLA_MASTER:
			attr_int(a, &l->master);
			break;
		case IFLA_MTU:
			attr_u32(a, &l->mtu);
			break;
		case IFLA_TXQLEN:
			attr_u32(a, &l->txqlen);
			break;
		case IFLA_OPERSTATE:
			if (!mnl_attr_validate(a, MNL_TYPE_U8))
				l->operstate = mnl_attr_get_u8(a);
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(a, l);
			break;
		case IFLA_STATS64:
			take_stats(a, l);
			break;
		}
	}
	/* A device that is its own link (lo, plain NICs) has no peer. */
	if (l->link == l->ifindex && l->link_netnsid < 0)
		l->link = 0;
	return MNL_CB_OK;
}

int linkstats_dump(struct nl *nl, struct link_stats **out, size_t *n)
{
	void *v;
	int err = nl_dump_array(nl, RTM_GETLINK, sizeof(struct ifinfomsg), on_link, &v, n);

	if (!err)
		*out = v;
	return err;
}

const struct link_stats *link_stats_find(const struct link_stats *v, size_t n, int ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ifindex == ifindex)
			return &v[i];
	return NULL;
}

bool link_stats_delta(const struct link_stats *a, const struct link_stats *b,
		      struct link_stats *d)
{
	static const struct link_stats zero;
	bool fresh = !a || b->rx_packets < a->rx_packets || b->tx_packets < a->tx_packets ||
		     b->rx_bytes < a->rx_bytes || b->tx_bytes < a->tx_bytes ||
		     b->rx_dropped < a->rx_dropped || b->tx_dropped < a->tx_dropped ||
		     b->rx_missed < a->rx_missed || b->rx_fifo < a->rx_fifo ||
		     b->tx_fifo < a->tx_fifo;

	if (fresh)
		a = &zero;
	*d = *b;
	d->rx_packets = b->rx_packets - a->rx_packets;
	d->tx_packets = b->tx_packets - a->tx_packets;
	d->rx_bytes = b->rx_bytes - a->rx_bytes;
	d->tx_bytes = b->tx_bytes - a->tx_bytes;
	d->rx_dropped = b->rx_dropped - a->rx_dropped;
	d->tx_dropped = b->tx_dropped - a->tx_dropped;
	d->rx_missed = b->rx_missed - a->rx_missed;
	d->rx_fifo = b->rx_fifo - a->rx_fifo;
	d->tx_fifo = b->tx_fifo - a->tx_fifo;
	return fresh;
}
