// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "qdiscstats.h"

/* What one RTM_NEWQDISC carried, before choosing between STATS2 and STATS. */
struct seen {
	bool basic, queue, pkt64, old;
	uint64_t pkt64_val;
	struct tc_stats old_stats;
};

static void take_basic(const struct nlattr *a, struct qdisc_stats *q, struct seen *s)
{
	struct gnet_stats_basic b;
	size_t len = mnl_attr_get_payload_len(a);

	/* 12 bytes of data, padded to 16 by the struct's alignment: accept both. */
	if (len < offsetof(struct gnet_stats_basic, packets) + sizeof(b.packets))
		return;
	memset(&b, 0, sizeof(b));
	memcpy(&b, mnl_attr_get_payload(a), len < sizeof(b) ? len : sizeof(b));
	q->bytes = b.bytes;
	q->packets = b.packets;
	s->basic = true;
}

static void take_queue(const struct nlattr *a, struct qdisc_stats *q, struct seen *s)
{
	struct gnet_stats_queue g;

	if (mnl_attr_get_payload_len(a) < sizeof(g))
		return;
	memcpy(&g, mnl_attr_get_payload(a), sizeof(g));
	q->qlen = g.qlen;
	q->backlog = g.backlog;
	q->drops = g.drops;
	q->requeues = g.requeues;
	q->overlimits = g.overlimits;
	s->queue = true;
}

static void parse_stats2(const struct nlattr *nest, struct qdisc_stats *q, struct seen *s)
{
	const struct nlattr *a;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED))
		return;
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case TCA_STATS_BASIC:
			take_basic(a, q, s);
			break;
		case TCA_STATS_PKT64:
			/*
			 * Sent only when the packet count no longer fits the
			 * basic struct's 32 bits: then it is the whole count.
			 */
			if (!mnl_attr_validate(a, MNL_TYPE_U64)) {
				s->pkt64 = true;
				s->pkt64_val = mnl_attr_get_u64(a);
			}
			break;
		case TCA_STATS_QUEUE:
			take_queue(a, q, s);
			break;
		}
	}
}

/* TCA_STATS, the pre-2.6.x layout: kept by the kernel beside TCA_STATS2. */
static void take_old(const struct nlattr *a, struct seen *s)
{
	size_t len = mnl_attr_get_payload_len(a);

	if (len < offsetof(struct tc_stats, backlog) + sizeof(s->old_stats.backlog))
		return;
	memset(&s->old_stats, 0, sizeof(s->old_stats));
	memcpy(&s->old_stats, mnl_attr_get_payload(a),
	       len < sizeof(s->old_stats) ? len : sizeof(s->old_stats));
	s->old = true;
}

static int on_qdisc(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct nl_array *d = data;
	struct seen s = { 0 };
	const struct nlattr *a;
	struct qdisc_stats *q;

	if ((nlh->nlmsg_type != RTM_NEWQDISC && nlh->nlmsg_type != RTM_NEWTCLASS) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm))
		return MNL_CB_OK;
	q = nl_array_add(d, sizeof(*q));
	if (!q)
		return MNL_CB_ERROR;
	q->ifindex = tcm->tcm_ifindex;
	q->handle = tcm->tcm_handle;
	q->parent = tcm->tcm_parent;
	q->root = q->parent == TC_H_ROOT;
	/* clsact sits where ingress does (TC_H_CLSACT == TC_H_INGRESS). */
	q->ingress = q->parent == TC_H_INGRESS;
	mnl_attr_for_each(a, nlh, sizeof(*tcm)) {
		switch (mnl_attr_get_type(a)) {
		case TCA_KIND:
			if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				snprintf(q->kind, sizeof(q->kind), "%s", mnl_attr_get_str(a));
			break;
		case TCA_STATS2:
			parse_stats2(a, q, &s);
			break;
		case TCA_STATS:
			take_old(a, &s);
			break;
		}
	}
	if (s.pkt64)
		q->packets = s.pkt64_val;
	if (!s.basic && s.old) {
		q->bytes = s.old_stats.bytes;
		q->packets = s.old_stats.packets;
	}
	if (!s.queue && s.old) {
		q->drops = s.old_stats.drops;
		q->overlimits = s.old_stats.overlimits;
		q->qlen = s.old_stats.qlen;
		q->backlog = s.old_stats.backlog;
	}
	return MNL_CB_OK;
}

int qdiscstats_dump(struct nl *nl, struct qdisc_stats **out, size_t *n)
{
	void *v;
	int err = nl_dump_array(nl, RTM_GETQDISC, sizeof(struct tcmsg), on_qdisc, &v, n);

	if (!err)
		*out = v;
	return err;
}

int classstats_dump(struct nl *nl, int ifindex, struct qdisc_stats **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nl_array a = { 0 };
	struct tcmsg *tcm;
	int err;

	nlh->nlmsg_type = RTM_GETTCLASS;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_ifindex = ifindex;	/* a class dump is per device */
	err = nl_request(nl, nlh, on_qdisc, &a);
	if (err) {
		free(a.v);
		return err;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

/*
 * Only the roots, because every classful qdisc counts its children's drops
 * as its own: htb, tbf, prio, drr, hfsc ... add one to their drops when the
 * child's enqueue drops the packet, qdisc_tree_reduce_backlog() adds what a
 * child drops later (codel's dequeue drops, a purge) to every ancestor, and
 * mq/mqprio report the sum of their per-queue children. Drops of the
 * classful qdisc itself (an HTB packet that matches no class and overflows
 * the direct queue) are in the root alone.
 */
uint64_t qdisc_dev_drops(const struct qdisc_stats *v, size_t n, int ifindex)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].ifindex == ifindex && v[i].root)
			sum += v[i].drops;
	return sum;
}

const struct qdisc_stats *qdisc_stats_find(const struct qdisc_stats *v, size_t n,
					   int ifindex, uint32_t handle, uint32_t parent)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ifindex == ifindex && v[i].handle == handle && v[i].parent == parent)
			return &v[i];
	return NULL;
}

void qdisc_stats_delta(const struct qdisc_stats *a, const struct qdisc_stats *b,
		       struct qdisc_stats *d)
{
	static const struct qdisc_stats zero;

	/*
	 * Replacing a qdisc by one of the same kind and handle restarts its
	 * counters too: the 64-bit ones going back is how that shows.
	 */
	if (!a || strcmp(a->kind, b->kind) || b->bytes < a->bytes || b->packets < a->packets)
		a = &zero;
	*d = *b;
	d->bytes = b->bytes - a->bytes;
	d->packets = b->packets - a->packets;
	d->drops = b->drops - a->drops;
	d->overlimits = b->overlimits - a->overlimits;
	d->requeues = b->requeues - a->requeues;
}

int qdisc_dev_now(struct nl *nl, int ifindex, uint64_t *drops, uint64_t *packets)
{
	struct qdisc_stats *v;
	size_t n;
	int err = qdiscstats_dump(nl, &v, &n);

	if (err)
		return err;
	*drops = qdisc_dev_drops(v, n, ifindex);
	*packets = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].ifindex == ifindex && v[i].root)
			*packets += v[i].packets;
	free(v);
	return 0;
}
