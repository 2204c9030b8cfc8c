// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "tcnl.h"

#define TICKS_PER_US 15.625	/* psched ticks are 64 ns (PSCHED_SHIFT 6) */

uint32_t tcnl_bytes2ticks(uint64_t bps, uint32_t bytes)
{
	/* Rounded up: the kernel's burst is never under the one asked for. */
	double t = ceil((double)bytes * 8 * 1e6 / (double)bps * TICKS_PER_US);

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

int tcnl_rtab(uint64_t bps, unsigned int mtu, uint32_t rtab[256])
{
	int cell_log = 0;

	while ((mtu >> cell_log) > 255)
		cell_log++;
	for (int i = 0; i < 256; i++)
		rtab[i] = tcnl_bytes2ticks(bps, (uint32_t)(i + 1) << cell_log);
	return cell_log;
}

static struct nlmsghdr *tc_msg(char *buf, uint16_t type, uint16_t flags, int ifindex,
			       uint32_t handle, uint32_t parent)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	return nlh;
}

int tcnl_root_delete(struct nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_DELQDISC, 0, ifindex, 0, TC_H_ROOT);
	int err = nl_request(nl, nlh, NULL, NULL);

	/* The default root (handle 0) cannot be deleted: already what we want. */
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

/*
 * The user's root goes first (saved by then): a "replace" of a root htb 1:
 * by ours is a change of it, which htb refuses ("Change operation not
 * supported"), and a root holding a qdisc 1: below it cannot be replaced by
 * a 1: ("Cannot move an existing qdisc to a different parent").
 */
static int htb_root(struct nl *nl, int ifindex, const struct shape_tree *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_htb_glob g = { .version = 3, .rate2quantum = SHAPE_R2Q,
				 .defcls = t->default_minor };
	struct nlmsghdr *nlh;
	int err = tcnl_root_delete(nl, ifindex);

	if (err)
		return err;
	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, t->handle, TC_H_ROOT);
	struct nlattr *o;

	mnl_attr_put_strz(nlh, TCA_KIND, "htb");
	o = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_INIT, sizeof(g), &g);
	mnl_attr_nest_end(nlh, o);
	return nl_request(nl, nlh, NULL, NULL);
}

static void ratespec(struct tc_ratespec *r, uint64_t bps, unsigned int mtu, uint32_t *tab)
{
	r->rate = bps / 8 >= UINT32_MAX ? UINT32_MAX : (uint32_t)(bps / 8);
	r->linklayer = TC_LINKLAYER_ETHERNET;
	r->cell_align = -1;
	r->cell_log = (unsigned char)tcnl_rtab(bps / 8 * 8, mtu, tab);
}

/* RTM_NEWTCLASS, created (@flags CREATE|EXCL) or changed in place (0). */
static int htb_class(struct nl *nl, int ifindex, const struct shape_tree *t,
		     const struct shape_node *n, uint16_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t rtab[256], ctab[256];
	struct tc_htb_opt o = { .quantum = n->quantum, .prio = n->prio };
	uint32_t parent = n->parent == t->handle ? TC_H_ROOT : n->parent;
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWTCLASS, flags, ifindex, n->classid, parent);
	struct nlattr *a;

	ratespec(&o.rate, n->rate_bps, t->mtu + SHAPE_ETH_HLEN, rtab);
	ratespec(&o.ceil, n->ceil_bps, t->mtu + SHAPE_ETH_HLEN, ctab);
	o.buffer = tcnl_bytes2ticks(n->rate_bps, n->burst);
	o.cbuffer = tcnl_bytes2ticks(n->ceil_bps, n->cburst);
	mnl_attr_put_strz(nlh, TCA_KIND, "htb");
	a = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_PARMS, sizeof(o), &o);
	/* Above 32 bits of bytes/s the ratespec saturates: the 64-bit rate says it. */
	if (n->rate_bps / 8 >= UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_HTB_RATE64, n->rate_bps / 8);
	if (n->ceil_bps / 8 >= UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_HTB_CEIL64, n->ceil_bps / 8);
	mnl_attr_put(nlh, TCA_HTB_RTAB, sizeof(rtab), rtab);
	mnl_attr_put(nlh, TCA_HTB_CTAB, sizeof(ctab), ctab);
	mnl_attr_nest_end(nlh, a);
	return nl_request(nl, nlh, NULL, NULL);
}

static int leaf(struct nl *nl, int ifindex, const struct shape_node *n, uint16_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_fifo_qopt q = { .limit = n->leaf_limit };
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWQDISC, flags, ifindex, n->leaf_handle,
				      n->classid);

	mnl_attr_put_strz(nlh, TCA_KIND, n->leaf_bytes ? "bfifo" : "pfifo");
	mnl_attr_put(nlh, TCA_OPTIONS, sizeof(q), &q);
	return nl_request(nl, nlh, NULL, NULL);
}

/*
 * u32 on the qdisc: the DS field under mask 0xfc. IPv4: byte 1 of the
 * header's first word; IPv6: the traffic class, bits 20..27 of it.
 */
static int dscp_filter(struct nl *nl, int ifindex, const struct shape_tree *t,
		       const struct shape_node *n, bool v6)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* A selector and its one key, as the kernel reads them: keys[] follows sel. */
	union {
		struct tc_u32_sel sel;
		uint8_t b[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)];
	} s = { .sel = { .flags = TC_U32_TERMINAL, .nkeys = 1 } };
	struct tc_u32_key *key = s.sel.keys;
	uint16_t proto = v6 ? ETH_P_IPV6 : ETH_P_IP;
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex,
				      0, t->handle);
	struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	tcm->tcm_info = TC_H_MAKE((v6 ? 2U : 1U) << 16, htons(proto));
	key->mask = htonl(v6 ? 0x0fc00000 : 0x00fc0000);
	key->val = htonl((uint32_t)n->dscp << (v6 ? 22 : 18));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	a = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_U32_CLASSID, n->classid);
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(s), &s);
	mnl_attr_nest_end(nlh, a);
	return nl_request(nl, nlh, NULL, NULL);
}

int tcnl_tree_create(struct nl *nl, int ifindex, const struct shape_tree *t)
{
	int err = htb_root(nl, ifindex, t);

	for (unsigned int i = 0; !err && i < t->n; i++)
		err = htb_class(nl, ifindex, t, &t->node[i], NLM_F_CREATE | NLM_F_EXCL);
	for (unsigned int i = 1; !err && i < t->n; i++)
		err = leaf(nl, ifindex, &t->node[i], NLM_F_CREATE | NLM_F_EXCL);
	for (unsigned int i = 1; !err && i < t->n; i++)
		if (t->node[i].dscp >= 0)
			err = dscp_filter(nl, ifindex, t, &t->node[i], false) ?:
			      dscp_filter(nl, ifindex, t, &t->node[i], true);
	return err;
}

int tcnl_plan_write(struct nl *nl, int ifindex, const struct shape_plan *p)
{
	const struct shape_tree *t = &p->result;
	int err = 0;

	for (unsigned int i = 0; !err && i < p->n; i++) {
		const struct shape_node *n = &t->node[p->w[i].node];

		/* No CREATE: the kernel changes the existing object, never makes one. */
		err = p->w[i].kind == SHAPE_W_CLASS ? htb_class(nl, ifindex, t, n, 0)
						    : leaf(nl, ifindex, n, 0);
	}
	return err;
}
