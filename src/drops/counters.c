// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "clock.h"
#include "counters.h"
#include "netns.h"

const char *const counters_snmp_names[CTR_SNMP_N] = {
	[CTR_TCP_RETRANS_SEGS] = "TcpRetransSegs",
	[CTR_TCP_TIMEOUTS] = "TcpExtTCPTimeouts",
	[CTR_TCP_LOSS_PROBES] = "TcpExtTCPLossProbes",
	[CTR_TCP_FAST_RETRANS] = "TcpExtTCPFastRetrans",
	[CTR_TCP_SYN_RETRANS] = "TcpExtTCPSynRetrans",
	[CTR_TCP_LOST_RETRANSMIT] = "TcpExtTCPLostRetransmit",
	[CTR_IP_IN_DISCARDS] = "IpInDiscards",
	[CTR_IP_OUT_DISCARDS] = "IpOutDiscards",
	[CTR_UDP_RCVBUF_ERRORS] = "UdpRcvbufErrors",
	[CTR_UDP_IN_ERRORS] = "UdpInErrors",
	[CTR_TCP_LISTEN_DROPS] = "TcpExtListenDrops",
	[CTR_TCP_BACKLOG_DROP] = "TcpExtTCPBacklogDrop",
};

static int open_proc(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void ns_close_sources(struct counters_ns *cn)
{
	nl_close(&cn->nl);
	if (cn->snmp_fd >= 0)
		close(cn->snmp_fd);
	if (cn->netstat_fd >= 0)
		close(cn->netstat_fd);
	cn->snmp_fd = cn->netstat_fd = -1;
}

/*
 * Open @ns's sources into the next slot of @c. Whatever fails, this thread
 * ends in the namespace it started in, or *@lost is set: then it is stuck
 * elsewhere and the caller must give up.
 */
static int ns_open_sources(struct counters *c, const struct netns *ns, bool *lost)
{
	struct counters_ns *cn = &c->ns[c->n];
	bool entered = false;
	int saved = -1, err, rerr;

	memset(cn, 0, sizeof(*cn));
	cn->snmp_fd = cn->netstat_fd = -1;
	cn->inum = ns->inum;
	memcpy(cn->name, ns->name, sizeof(cn->name));
	/* Our own namespace needs no setns(), hence no privilege. */
	if (ns->inum != c->self_inum) {
		err = netns_enter(ns->fd, &saved);
		if (err)
			return err;
		entered = true;
	}
	err = nl_open(&cn->nl, NETLINK_ROUTE);
	/* thread-self: /proc/self/net is the main thread's namespace, not ours. */
	if (!err) {
		cn->snmp_fd = open_proc("/proc/thread-self/net/snmp");
		err = cn->snmp_fd < 0 ? cn->snmp_fd : 0;
	}
	if (!err) {
		cn->netstat_fd = open_proc("/proc/thread-self/net/netstat");
		err = cn->netstat_fd < 0 ? cn->netstat_fd : 0;
	}
	if (entered) {
		rerr = netns_restore(saved);
		if (rerr) {
			*lost = true;
			err = rerr;
		}
	}
	if (err) {
		ns_close_sources(cn);
		return err;
	}
	c->n++;
	return 0;
}

int counters_open(struct counters *c, const char *netns_sel)
{
	bool all = !netns_sel || !strcmp(netns_sel, "all"), lost = false;
	struct netns *list = NULL;
	size_t n = 0, first = 0, end;
	int err, idx;

	memset(c, 0, sizeof(*c));
	c->softnet_fd = -1;
	err = netns_current_inum(&c->self_inum);
	if (!err)
		err = netns_scan(&list, &n);
	if (err)
		return err;
	end = n;
	if (!all) {
		idx = netns_find(list, n, netns_sel);
		if (idx < 0) {
			err = idx;
			goto out;
		}
		first = (size_t)idx;
		end = first + 1;
	}
	c->ns = calloc(end - first ? end - first : 1, sizeof(*c->ns));
	if (!c->ns) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = first; i < end; i++) {
		err = ns_open_sources(c, &list[i], &lost);
		if (!err)
			continue;
		/* Out of memory or fds, or stranded in another namespace: no use going on. */
		if (!all || lost || err == -ENOMEM || err == -EMFILE || err == -ENFILE)
			goto out;
		/* Not ours to enter (-EPERM), or gone since the scan (-EINVAL). */
		if (!c->skipped++)
			c->skip_err = err;
		err = 0;
	}
	c->softnet_fd = open_proc("/proc/thread-self/net/softnet_stat");
	err = c->softnet_fd < 0 ? c->softnet_fd : 0;
out:
	netns_free(list, n);
	if (err)
		counters_close(c);
	return err;
}

void counters_close(struct counters *c)
{
	for (size_t i = 0; i < c->n; i++)
		ns_close_sources(&c->ns[i]);
	free(c->ns);
	if (c->softnet_fd >= 0)
		close(c->softnet_fd);
	procbuf_free(&c->buf);
	memset(c, 0, sizeof(*c));
	c->softnet_fd = -1;
}

/* snmp_pick() of one file, adding to what the other file gave. */
static int pick_file(struct counters *c, int fd, struct counters_ns_sample *o)
{
	bool found[CTR_SNMP_N];
	int err;

	err = procbuf_read(&c->buf, fd);
	if (err)
		return err;
	err = snmp_pick(c->buf.p, c->buf.len, counters_snmp_names, CTR_SNMP_N, o->snmp, found);
	for (int i = 0; i < CTR_SNMP_N; i++)
		o->snmp_found[i] |= found[i];
	/* A malformed line costs its own counters, not the others'. */
	return err == -EINVAL ? 0 : err;
}

static void ns_sample(struct counters *c, struct counters_ns *cn, struct counters_ns_sample *o)
{
	int err[4];

	o->inum = cn->inum;
	memcpy(o->name, cn->name, sizeof(o->name));
	err[0] = linkstats_dump(&cn->nl, &o->links, &o->n_links);
	err[1] = qdiscstats_dump(&cn->nl, &o->qdiscs, &o->n_qdiscs);
	err[2] = pick_file(c, cn->snmp_fd, o);
	err[3] = pick_file(c, cn->netstat_fd, o);
	for (int i = 3; i >= 0; i--)
		if (err[i])
			o->err = err[i];
}

int counters_sample(struct counters *c, struct counters_sample *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->t_ns = now_ns();
	s->ns = calloc(c->n ? c->n : 1, sizeof(*s->ns));
	if (!s->ns)
		return -ENOMEM;
	s->n = c->n;
	for (size_t i = 0; i < c->n; i++)
		ns_sample(c, &c->ns[i], &s->ns[i]);
	err = procbuf_read(&c->buf, c->softnet_fd);
	if (!err)
		err = softnet_parse(c->buf.p, c->buf.len, &s->softnet);
	s->softnet_err = err;
	if (err == -ENOMEM) {
		counters_sample_free(s);
		return err;
	}
	return 0;
}

void counters_sample_free(struct counters_sample *s)
{
	for (size_t i = 0; s->ns && i < s->n; i++) {
		free(s->ns[i].links);
		free(s->ns[i].qdiscs);
	}
	free(s->ns);
	softnet_free(&s->softnet);
	memset(s, 0, sizeof(*s));
}

const struct counters_ns_sample *counters_find_ns(const struct counters_sample *s,
						  uint32_t inum)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ns[i].inum == inum)
			return &s->ns[i];
	return NULL;
}

uint64_t counters_snmp_delta(const struct counters_ns_sample *a,
			     const struct counters_ns_sample *b, enum counters_snmp id)
{
	if (!b->snmp_found[id])
		return 0;
	/* These only grow within a namespace; going back means a new one. */
	if (!a || !a->snmp_found[id] || b->snmp[id] < a->snmp[id])
		return b->snmp[id];
	return b->snmp[id] - a->snmp[id];
}

static void dev_qdiscs(const struct counters_ns_sample *a, const struct counters_ns_sample *b,
		       struct counters_dev_delta *d)
{
	const struct qdisc_stats *q, *prev;
	struct qdisc_stats qd;

	for (size_t i = 0; i < b->n_qdiscs; i++) {
		q = &b->qdiscs[i];
		if (q->ifindex != d->link.ifindex || !q->root)
			continue;
		prev = a ? qdisc_stats_find(a->qdiscs, a->n_qdiscs, q->ifindex, q->handle,
					    q->parent) : NULL;
		qdisc_stats_delta(prev, q, &qd);
		d->qdisc_drops += qd.drops;
		d->qdisc_overlimits += qd.overlimits;
		d->qdisc_requeues += qd.requeues;
		d->qdisc_backlog += qd.backlog;
		d->qdisc_qlen += qd.qlen;
	}
}

int counters_dev_delta(const struct counters_sample *a, const struct counters_sample *b,
		       struct counters_dev_delta **out, size_t *n)
{
	struct counters_dev_delta *v, *d;
	const struct counters_ns_sample *an, *bn;
	const struct link_stats *prev;
	size_t cnt = 0, k = 0;

	for (size_t i = 0; i < b->n; i++)
		cnt += b->ns[i].n_links;
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		bn = &b->ns[i];
		an = counters_find_ns(a, bn->inum);
		if (bn->err || (an && an->err))
			continue;
		for (size_t j = 0; j < bn->n_links; j++) {
			d = &v[k++];
			d->inum = bn->inum;
			memcpy(d->ns_name, bn->name, sizeof(d->ns_name));
			prev = an ? link_stats_find(an->links, an->n_links,
						    bn->links[j].ifindex) : NULL;
			d->is_new = link_stats_delta(prev, &bn->links[j], &d->link);
			dev_qdiscs(an, bn, d);
		}
	}
	*out = v;
	*n = k;
	return 0;
}
