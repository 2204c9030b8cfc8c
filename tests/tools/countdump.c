// SPDX-License-Identifier: GPL-2.0
/*
 * countdump [-w MS] [NETNS]: counters_open(NETNS) (default: all namespaces),
 * then give up every capability, sample, wait MS milliseconds or until
 * stdin closes, sample again and print the differences, one datum a line:
 *
 *	ns INUM NAME
 *	skipped N ERRNO
 *	caps CAPEFF			(hex, from /proc/self/status: 0 after the drop)
 *	ready				(first sample taken: start the traffic)
 *	nserr INUM ERRNO		(only when sampling a namespace failed)
 *	link INUM IFINDEX IFNAME NEW RXP TXP RXB TXB RXDROP TXDROP QDISC_DROPS
 *	qdisc INUM IFINDEX HANDLE PARENT KIND BYTES PACKETS DROPS OVERLIMITS REQUEUES BACKLOG QLEN
 *	snmp INUM NAME DELTA
 *	softnet PROCESSED DROPPED TIME_SQUEEZE FLOW_LIMIT
 *
 * HANDLE and PARENT are spelled as tc -j does ("1:", "1:10", "root").
 * Exit: 0, 1 on failure, 2 usage, 3 no privilege for the namespace asked.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/pkt_sched.h>

#include "counters.h"
#include "privs.h"

static void print_caps(void)
{
	char line[256], v[64];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %63s", v) == 1)
			printf("caps %s\n", v);
	if (f)
		fclose(f);
}

static const char *tc_handle(uint32_t h, char *buf, size_t len)
{
	if (h == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (TC_H_MIN(h))
		snprintf(buf, len, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	else
		snprintf(buf, len, "%x:", TC_H_MAJ(h) >> 16);
	return buf;
}

static void wait_for(int ms)
{
	char buf[256];

	if (ms >= 0) {
		poll(NULL, 0, ms);
		return;
	}
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

static void print_ns_delta(const struct counters_ns_sample *a, const struct counters_ns_sample *b)
{
	const struct qdisc_stats *q;
	struct qdisc_stats d;
	char h[16], p[16];

	for (size_t i = 0; i < b->n_qdiscs; i++) {
		q = &b->qdiscs[i];
		qdisc_stats_delta(a ? qdisc_stats_find(a->qdiscs, a->n_qdiscs, q->ifindex,
						       q->handle, q->parent) : NULL, q, &d);
		printf("qdisc %u %d %s %s %s %llu %llu %u %u %u %u %u\n", b->inum, q->ifindex,
		       tc_handle(q->handle, h, sizeof(h)), tc_handle(q->parent, p, sizeof(p)),
		       q->kind, (unsigned long long)d.bytes, (unsigned long long)d.packets,
		       d.drops, d.overlimits, d.requeues, d.backlog, d.qlen);
	}
	for (int i = 0; i < CTR_SNMP_N; i++)
		if (b->snmp_found[i])
			printf("snmp %u %s %llu\n", b->inum, counters_snmp_names[i],
			       (unsigned long long)counters_snmp_delta(a, b, i));
}

static int report(const struct counters_sample *a, const struct counters_sample *b)
{
	struct counters_dev_delta *dv;
	struct softnet_sum sd;
	size_t n;

	for (size_t i = 0; i < b->n; i++)
		if (b->ns[i].err)
			printf("nserr %u %d\n", b->ns[i].inum, b->ns[i].err);
	if (counters_dev_delta(a, b, &dv, &n))
		return 1;
	for (size_t i = 0; i < n; i++) {
		const struct link_stats *l = &dv[i].link;

		printf("link %u %d %s %d %llu %llu %llu %llu %llu %llu %llu\n", dv[i].inum,
		       l->ifindex, l->ifname, dv[i].is_new, (unsigned long long)l->rx_packets,
		       (unsigned long long)l->tx_packets, (unsigned long long)l->rx_bytes,
		       (unsigned long long)l->tx_bytes, (unsigned long long)l->rx_dropped,
		       (unsigned long long)l->tx_dropped, (unsigned long long)dv[i].qdisc_drops);
	}
	free(dv);
	for (size_t i = 0; i < b->n; i++)
		if (!b->ns[i].err)
			print_ns_delta(counters_find_ns(a, b->ns[i].inum), &b->ns[i]);
	if (!b->softnet_err && !a->softnet_err) {
		softnet_delta(&a->softnet, &b->softnet, &sd);
		printf("softnet %llu %llu %llu %llu\n", (unsigned long long)sd.processed,
		       (unsigned long long)sd.dropped, (unsigned long long)sd.time_squeeze,
		       (unsigned long long)sd.flow_limit_count);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct counters_sample a, b;
	const char *sel = NULL;
	struct counters c;
	int ms = -1, opt, err, rc = 0;

	while ((opt = getopt(argc, argv, "w:")) != -1) {
		if (opt != 'w')
			return 2;
		ms = atoi(optarg);
	}
	if (optind < argc)
		sel = argv[optind];
	err = counters_open(&c, sel);
	if (err) {
		fprintf(stderr, "countdump: %s: %s\n", sel ? sel : "all", strerror(-err));
		return err == -EPERM ? 3 : 1;
	}
	for (size_t i = 0; i < c.n; i++)
		printf("ns %u %s\n", c.ns[i].inum, c.ns[i].name);
	printf("skipped %zu %d\n", c.skipped, c.skip_err);
	err = privs_drop();
	if (err) {
		fprintf(stderr, "countdump: capset: %s\n", strerror(-err));
		counters_close(&c);
		return 1;
	}
	print_caps();
	if (counters_sample(&c, &a)) {
		counters_close(&c);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	wait_for(ms);
	if (counters_sample(&c, &b)) {
		counters_sample_free(&a);
		counters_close(&c);
		return 1;
	}
	rc = report(&a, &b);
	counters_sample_free(&a);
	counters_sample_free(&b);
	counters_close(&c);
	return rc;
}
