// SPDX-License-Identifier: GPL-2.0
/*
 * Deltas between two counter samples, built by hand: devices that come and
 * go, counters that wrap or restart, root qdiscs against their children.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_sched.h>

#include "counters.h"
#include "unit.h"

#define NS1 4026532001U
#define NS2 4026532002U

static struct link_stats mklink(int ifindex, const char *name, uint64_t rxp, uint64_t txp)
{
	struct link_stats l = { .ifindex = ifindex, .rx_packets = rxp, .tx_packets = txp,
				.rx_bytes = rxp * 100, .tx_bytes = txp * 100 };

	snprintf(l.ifname, sizeof(l.ifname), "%s", name);
	return l;
}

static struct qdisc_stats mkqdisc(int ifindex, uint32_t handle, uint32_t parent, const char *kind,
				uint64_t pkts, uint32_t drops)
{
	struct qdisc_stats q = { .ifindex = ifindex, .handle = handle, .parent = parent,
				 .root = parent == TC_H_ROOT, .bytes = pkts * 1000,
				 .packets = pkts, .drops = drops };

	snprintf(q.kind, sizeof(q.kind), "%s", kind);
	return q;
}

static void test_link_delta(void)
{
	struct link_stats a = mklink(2, "eth0", 100, 50), b = mklink(2, "eth0", 130, 55), d;

	CHECK(!link_stats_delta(&a, &b, &d), "not new");
	CHECK(d.rx_packets == 30 && d.tx_packets == 5 && d.rx_bytes == 3000 && d.ifindex == 2 &&
	      !strcmp(d.ifname, "eth0"), "rx %llu tx %llu", (unsigned long long)d.rx_packets,
	      (unsigned long long)d.tx_packets);
	CHECK(link_stats_delta(NULL, &b, &d) && d.rx_packets == 130, "no start: from zero");
	/* Index reused by a new device with fewer packets: all of it is new. */
	b.rx_packets = 7;
	CHECK(link_stats_delta(&a, &b, &d) && d.rx_packets == 7 && d.tx_packets == 55,
	      "restarted");
}

static void test_qdisc_delta(void)
{
	struct qdisc_stats a = mkqdisc(3, 0x10000, TC_H_ROOT, "htb", 1000, 0xfffffff0);
	struct qdisc_stats b = mkqdisc(3, 0x10000, TC_H_ROOT, "htb", 1500, 0x10);
	struct qdisc_stats d;

	b.backlog = 3000;
	b.qlen = 2;
	qdisc_stats_delta(&a, &b, &d);
	CHECK(d.packets == 500 && d.bytes == 500000, "packets %llu",
	      (unsigned long long)d.packets);
	CHECK(d.drops == 0x20, "32-bit drops wrapped once: %u", d.drops);
	CHECK(d.backlog == 3000 && d.qlen == 2 && d.root, "gauges and identity from b");
	/* Same handle, other kind: a replaced qdisc counts from zero. */
	snprintf(b.kind, sizeof(b.kind), "tbf");
	qdisc_stats_delta(&a, &b, &d);
	CHECK(d.packets == 1500 && d.drops == 0x10, "replaced by tbf: %llu",
	      (unsigned long long)d.packets);
	/* Same kind, counters back to small numbers: replaced too. */
	b = mkqdisc(3, 0x10000, TC_H_ROOT, "htb", 20, 1);
	qdisc_stats_delta(&a, &b, &d);
	CHECK(d.packets == 20 && d.drops == 1, "restarted");
	qdisc_stats_delta(NULL, &b, &d);
	CHECK(d.packets == 20 && d.drops == 1, "no start");
}

static void test_qdisc_dev_drops(void)
{
	struct qdisc_stats v[] = {
		mkqdisc(3, 0x10000, TC_H_ROOT, "htb", 10, 40),	/* counts its leaf's 40 */
		mkqdisc(3, 0x100000, 0x10010, "bfifo", 10, 40),
		mkqdisc(3, 0xffff0000, TC_H_INGRESS, "ingress", 0, 9),
		mkqdisc(4, 0, TC_H_ROOT, "noqueue", 0, 2),
	};

	v[2].ingress = true;
	CHECK(qdisc_dev_drops(v, 4, 3) == 40, "roots only: %llu",
	      (unsigned long long)qdisc_dev_drops(v, 4, 3));
	CHECK(qdisc_dev_drops(v, 4, 4) == 2 && qdisc_dev_drops(v, 4, 5) == 0, "per device");
	CHECK(qdisc_stats_find(v, 4, 3, 0x100000, 0x10010) == &v[1] &&
	      !qdisc_stats_find(v, 4, 3, 0x100000, 0x10020), "find by (ifindex, handle, parent)");
}

static void test_dev_delta(void)
{
	struct link_stats la1[] = { mklink(1, "lo", 5, 5), mklink(2, "a0", 100, 100),
				    mklink(3, "gone0", 9, 9) };
	struct link_stats lb1[] = { mklink(1, "lo", 5, 5), mklink(2, "a0", 160, 110),
				    mklink(4, "new0", 3, 4) };
	struct link_stats lb2[] = { mklink(1, "lo", 1, 1) };
	struct qdisc_stats qa1[] = { mkqdisc(2, 0x10000, TC_H_ROOT, "htb", 100, 5),
				     mkqdisc(2, 0x100000, 0x10010, "bfifo", 100, 5) };
	struct qdisc_stats qb1[] = { mkqdisc(2, 0x10000, TC_H_ROOT, "htb", 150, 12),
				     mkqdisc(2, 0x100000, 0x10010, "bfifo", 150, 12) };
	struct counters_ns_sample na[] = {
		{ .inum = NS1, .name = "one", .links = la1, .n_links = 3, .qdiscs = qa1,
		  .n_qdiscs = 2 },
	};
	struct counters_ns_sample nb[] = {
		{ .inum = NS1, .name = "one", .links = lb1, .n_links = 3, .qdiscs = qb1,
		  .n_qdiscs = 2 },
		{ .inum = NS2, .name = "two", .links = lb2, .n_links = 1 },
	};
	struct counters_sample a = { .ns = na, .n = 1 }, b = { .ns = nb, .n = 2 };
	struct counters_dev_delta *d;
	size_t n;

	CHECK(counters_dev_delta(&a, &b, &d, &n) == 0 && n == 4, "4 devices in b: %zu", n);
	if (n != 4)
		return;
	CHECK(d[0].inum == NS1 && d[0].link.ifindex == 1 && d[0].link.rx_packets == 0 &&
	      !d[0].is_new, "lo unchanged");
	CHECK(d[1].link.ifindex == 2 && d[1].link.rx_packets == 60 && d[1].link.tx_packets == 10 &&
	      d[1].qdisc_drops == 7, "a0: rx 60 tx 10, root qdisc drops 7 (not 14): %llu",
	      (unsigned long long)d[1].qdisc_drops);
	CHECK(d[2].link.ifindex == 4 && d[2].is_new && d[2].link.rx_packets == 3 &&
	      !strcmp(d[2].ns_name, "one"), "new0 from zero; gone0 left out");
	CHECK(d[3].inum == NS2 && d[3].is_new && d[3].link.rx_packets == 1 &&
	      !strcmp(d[3].ns_name, "two"), "a namespace new since a: from zero");
	free(d);

	/* A namespace that failed in either sample is left out. */
	na[0].err = -ENOBUFS;
	CHECK(counters_dev_delta(&a, &b, &d, &n) == 0 && n == 1 && d[0].inum == NS2,
	      "failed namespace left out: %zu", n);
	free(d);
}

static void test_snmp_delta(void)
{
	struct counters_ns_sample a = { 0 }, b = { 0 };

	a.snmp[CTR_TCP_RETRANS_SEGS] = 10;
	a.snmp_found[CTR_TCP_RETRANS_SEGS] = true;
	b.snmp[CTR_TCP_RETRANS_SEGS] = 25;
	b.snmp_found[CTR_TCP_RETRANS_SEGS] = true;
	b.snmp[CTR_TCP_LOSS_PROBES] = 4;
	b.snmp_found[CTR_TCP_LOSS_PROBES] = true;
	CHECK(counters_snmp_delta(&a, &b, CTR_TCP_RETRANS_SEGS) == 15, "15");
	CHECK(counters_snmp_delta(&a, &b, CTR_TCP_LOSS_PROBES) == 4, "missing in a: from zero");
	CHECK(counters_snmp_delta(NULL, &b, CTR_TCP_RETRANS_SEGS) == 25, "no a");
	CHECK(counters_snmp_delta(&a, &b, CTR_TCP_TIMEOUTS) == 0, "missing in b");
	CHECK(!strcmp(counters_snmp_names[CTR_TCP_BACKLOG_DROP], "TcpExtTCPBacklogDrop") &&
	      !strcmp(counters_snmp_names[CTR_IP_OUT_DISCARDS], "IpOutDiscards"), "nstat names");
	for (int i = 0; i < CTR_SNMP_N; i++)
		CHECK(counters_snmp_names[i] != NULL, "name %d", i);
}

int main(void)
{
	RUN(test_link_delta);
	RUN(test_qdisc_delta);
	RUN(test_qdisc_dev_drops);
	RUN(test_dev_delta);
	RUN(test_snmp_delta);
	return unit_done();
}
