// SPDX-License-Identifier: GPL-2.0
/*
 * The classification inventory and the DSCP check fed by hand: segments
 * built here with the tracker's verdict beside them (track_ev), so every
 * count below follows from the segments listed above its checks.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dscpmatch.h"
#include "inventory.h"
#include "tcptrack.h"
#include "unit.h"

static struct tcp_seg seg4(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			   uint8_t flags, uint8_t dscp)
{
	struct tcp_seg s = { .family = 4, .flags = flags, .dscp = dscp, .sport = sport,
			     .dport = dport };

	inet_pton(AF_INET, src, s.saddr);
	inet_pton(AF_INET, dst, s.daddr);
	return s;
}

static const struct inv_counts *dscp_row(const struct inventory *inv, int d)
{
	return &inv->dscp[d];
}

static const struct inv_row *find(const struct inv_table *t, uint8_t family, const char *addr,
				  int port)
{
	uint8_t key[16] = { 0 };

	if (addr)
		inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, key);
	else
		key[0] = (uint8_t)(port >> 8), key[1] = (uint8_t)port;
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].family == (addr ? family : 0) && !memcmp(t->rows[i].key, key, 16))
			return &t->rows[i];
	return NULL;
}

/*
 * One connection 198.18.10.1:40000 > 198.18.20.1:12867, AF41 from the
 * client, 0 back: SYN, SYN-ACK, two data segments of 1000 (the second a
 * retransmission), an ACK with a 20 ms RTT sample. The sample is the data's:
 * DSCP 34, though the ACK that carries it is DSCP 0.
 */
static void test_counts_and_rtt(void)
{
	struct inventory inv;
	struct inv_flow fl = { 0 };
	struct track_ev ev = { 0 };
	struct tcp_seg c = seg4("198.18.10.1", 40000, "198.18.20.1", 12867, TCPF_SYN, 34);
	struct tcp_seg s = seg4("198.18.20.1", 12867, "198.18.10.1", 40000,
				TCPF_SYN | TCPF_ACK, 0);
	const struct inv_row *r;

	CHECK(inventory_init(&inv, 0, 0) == 0, "init");
	inventory_segment(&inv, &fl, 0, &c, &ev);
	inventory_segment(&inv, &fl, 1, &s, &ev);
	c.flags = s.flags = TCPF_ACK;
	ev = (struct track_ev){ .data = true, .bytes = 1000 };
	inventory_segment(&inv, &fl, 0, &c, &ev);
	ev.retrans = true;
	inventory_segment(&inv, &fl, 0, &c, &ev);
	ev = (struct track_ev){ .rtt_ns = 20000000 };
	inventory_segment(&inv, &fl, 1, &s, &ev);

	CHECK(dscp_row(&inv, 34)->packets == 3 && dscp_row(&inv, 34)->flows == 1,
	      "af41 packets %llu flows %llu", (unsigned long long)dscp_row(&inv, 34)->packets,
	      (unsigned long long)dscp_row(&inv, 34)->flows);
	CHECK(dscp_row(&inv, 34)->data_bytes == 2000 && dscp_row(&inv, 34)->retrans_bytes == 1000,
	      "af41 bytes %llu retrans %llu", (unsigned long long)dscp_row(&inv, 34)->data_bytes,
	      (unsigned long long)dscp_row(&inv, 34)->retrans_bytes);
	CHECK(dscp_row(&inv, 0)->packets == 2 && dscp_row(&inv, 0)->flows == 1, "be");
	CHECK(inv.rtt[34] && inv.rtt[34]->count == 1 && inv.rtt[34]->min == 20000000,
	      "the RTT is the data's class");
	CHECK(!inv.rtt[0], "no RTT for the ACKs' class");
	r = find(&inv.port, 0, NULL, 12867);
	CHECK(r && r->c.packets == 5 && r->c.flows == 1, "the SYN's destination is the port");
	CHECK(inv.port.n == 1, "one port, %zu", inv.port.n);
	r = find(&inv.net, 4, "198.18.10.0", 0);
	CHECK(r && r->plen == 24 && r->c.packets == 3 && r->c.flows == 1, "client /24");
	r = find(&inv.net, 4, "198.18.20.0", 0);
	CHECK(r && r->c.packets == 2 && r->c.flows == 1, "server /24");
	inventory_free(&inv);
}

/*
 * Server ports: a flow first seen at its SYN-ACK is counted under the
 * SYN-ACK's source; one seen in the middle under its lower port, whichever
 * side sends. A direction that changes its DSCP is a flow of both classes.
 */
static void test_ports_and_remark(void)
{
	struct inventory inv;
	struct inv_flow f1 = { 0 }, f2 = { 0 };
	struct track_ev ev = { 0 };
	struct tcp_seg sa = seg4("198.18.21.1", 40000, "198.18.11.1", 50000, TCPF_SYN | TCPF_ACK, 8);
	struct tcp_seg mid = seg4("198.18.11.1", 60000, "198.18.21.1", 5201, TCPF_ACK, 8);

	inventory_init(&inv, 0, 0);
	inventory_segment(&inv, &f1, 0, &sa, &ev);
	inventory_segment(&inv, &f2, 0, &mid, &ev);
	mid.dscp = 0;
	inventory_segment(&inv, &f2, 0, &mid, &ev);
	mid.dscp = 8;
	inventory_segment(&inv, &f2, 0, &mid, &ev);
	CHECK(find(&inv.port, 0, NULL, 40000) && find(&inv.port, 0, NULL, 5201) && inv.port.n == 2,
	      "ports");
	CHECK(find(&inv.port, 0, NULL, 5201)->c.packets == 3, "the flow keeps its port");
	CHECK(dscp_row(&inv, 8)->flows == 3 && dscp_row(&inv, 0)->flows == 1,
	      "re-marked: cs1 %llu be %llu", (unsigned long long)dscp_row(&inv, 8)->flows,
	      (unsigned long long)dscp_row(&inv, 0)->flows);
	inventory_free(&inv);
}

/* IPv6 at /48, IPv4 at /16; more subnets than the table holds go to "other". */
static void test_prefix_and_cap(void)
{
	struct inventory inv;
	struct track_ev ev = { .data = true, .bytes = 100 };
	struct tcp_seg s = { .family = 6, .flags = TCPF_ACK, .sport = 1, .dport = 2 };
	const struct inv_row *rows[INV_MAX_ROWS];
	struct inv_flow fl;
	size_t n;

	inventory_init(&inv, 16, 48);
	inet_pton(AF_INET6, "2001:db8:1:2:3::9", s.saddr);
	fl = (struct inv_flow){ 0 };
	inventory_segment(&inv, &fl, 0, &s, &ev);
	CHECK(find(&inv.net, 6, "2001:db8:1::", 0) && find(&inv.net, 6, "2001:db8:1::", 0)->plen == 48,
	      "v6 /48");
	s = seg4("198.18.200.7", 1, "198.19.0.1", 2, TCPF_ACK, 0);
	inventory_segment(&inv, &fl, 1, &s, &ev);
	CHECK(find(&inv.net, 4, "198.18.0.0", 0), "v4 /16");
	for (int i = 0; i < INV_MAX_ROWS + 100; i++) {
		s.family = 6;
		memset(s.saddr, 0, 16);
		s.saddr[0] = 0x20;
		s.saddr[1] = 0x01;
		s.saddr[4] = (uint8_t)(i >> 8);
		s.saddr[5] = (uint8_t)i;	/* /48: bytes 0..5 */
		fl = (struct inv_flow){ 0 };
		inventory_segment(&inv, &fl, 0, &s, &ev);
	}
	/* 2 rows before, then 1024 - 2 new ones fit; 102 do not. */
	CHECK(inv.net.n == INV_MAX_ROWS, "rows %zu", inv.net.n);
	CHECK(inv.net.other.packets == 102 && inv.net.other.flows == 102 &&
	      inv.net.other.data_bytes == 10200, "other %llu",
	      (unsigned long long)inv.net.other.packets);
	n = inventory_sorted(&inv.net, rows);
	CHECK(n == INV_MAX_ROWS, "sorted %zu", n);
	for (size_t i = 1; i < n; i++)
		CHECK(rows[i - 1]->c.data_bytes >= rows[i]->c.data_bytes, "order at %zu", i);
	inventory_free(&inv);
}

static void test_dscp_names(void)
{
	CHECK(!strcmp(dscp_name(0), "be") && !strcmp(dscp_name(8), "cs1"), "cs");
	CHECK(!strcmp(dscp_name(34), "af41") && !strcmp(dscp_name(10), "af11") &&
	      !strcmp(dscp_name(38), "af43") && !strcmp(dscp_name(46), "ef"), "af, ef");
	CHECK(!dscp_name(3) && !dscp_name(64), "unnamed");
}

/* A data segment from 198.18.10.1 (the near side), or an ACK back, with IPv4 ID @id. */
static struct tcp_seg pkt(int back, uint32_t seq, uint16_t id, uint8_t dscp)
{
	struct tcp_seg s = back ? seg4("198.18.20.1", 12867, "198.18.10.1", 40000, TCPF_ACK, dscp)
				: seg4("198.18.10.1", 40000, "198.18.20.1", 12867, TCPF_ACK, dscp);

	s.seq = seq;
	s.payload_len = back ? 0 : 100;
	s.has_ip_id = 1;
	s.ip_id = id;
	return s;
}

/*
 * Bleached: 10 segments sent at near with AF41 and 5 with CS1 arrive at far
 * as 0, 1 AF41 segment is lost (never at far); 4 ACKs sent at far with 0
 * arrive at near as 0, and far holds 1 packet near never saw. Then the
 * same with CS1 re-marked to AF11 only: rewritten, and AF41 unchanged.
 */
static void test_match_bleached(void)
{
	struct dscpmatch m;
	unsigned int to = 99;
	int i;

	CHECK(dscpmatch_init(&m, 0) == 0, "init");
	for (i = 0; i < 11; i++)
		if (i != 3)
			dscpmatch_far(&m, (struct tcp_seg[]){ pkt(0, 1000 + 100 * i, i, 0) }, 2000 + i);
	for (i = 0; i < 5; i++)
		dscpmatch_far(&m, (struct tcp_seg[]){ pkt(0, 5000 + 100 * i, 100 + i, 0) }, 2000);
	for (i = 0; i < 4; i++)
		dscpmatch_far(&m, (struct tcp_seg[]){ pkt(1, 7000, 200 + i, 0) }, 1000);
	dscpmatch_far(&m, (struct tcp_seg[]){ pkt(1, 7000, 300, 0) }, 1000);
	for (i = 0; i < 11; i++)
		dscpmatch_near(&m, (struct tcp_seg[]){ pkt(0, 1000 + 100 * i, i, 34) }, 1500);
	for (i = 0; i < 5; i++)
		dscpmatch_near(&m, (struct tcp_seg[]){ pkt(0, 5000 + 100 * i, 100 + i, 8) }, 1500);
	for (i = 0; i < 4; i++)
		dscpmatch_near(&m, (struct tcp_seg[]){ pkt(1, 7000, 200 + i, 0) }, 1500);
	dscpmatch_finish(&m);
	CHECK(m.pairs[DM_NEAR_TO_FAR][34][0] == 10 && m.pairs[DM_NEAR_TO_FAR][8][0] == 5,
	      "34>0 %llu 8>0 %llu", (unsigned long long)m.pairs[DM_NEAR_TO_FAR][34][0],
	      (unsigned long long)m.pairs[DM_NEAR_TO_FAR][8][0]);
	CHECK(m.pairs[DM_FAR_TO_NEAR][0][0] == 4, "acks back %llu",
	      (unsigned long long)m.pairs[DM_FAR_TO_NEAR][0][0]);
	CHECK(m.near_unmatched[34] == 1 && m.far_unmatched[0] == 1, "unmatched");
	CHECK(dscpmatch_verdict(&m, DM_NEAR_TO_FAR, 34, &to) == DM_BLEACHED && to == 0, "34 bleached");
	CHECK(dscpmatch_verdict(&m, DM_NEAR_TO_FAR, 8, &to) == DM_BLEACHED && to == 0, "8 bleached");
	CHECK(dscpmatch_verdict(&m, DM_FAR_TO_NEAR, 0, &to) == DM_UNCHANGED, "0 unchanged");
	CHECK(dscpmatch_verdict(&m, DM_FAR_TO_NEAR, 34, &to) == DM_NONE, "none");
	CHECK(dscpmatch_sent(&m, DM_NEAR_TO_FAR, 34) == 10, "sent");
	dscpmatch_free(&m);

	dscpmatch_init(&m, 0);
	for (i = 0; i < 4; i++) {
		dscpmatch_far(&m, (struct tcp_seg[]){ pkt(0, 100 * i, i, 34) }, 20);
		dscpmatch_far(&m, (struct tcp_seg[]){ pkt(0, 5000 + 100 * i, 10 + i, i ? 10 : 12) }, 20);
		dscpmatch_far(&m, (struct tcp_seg[]){ pkt(0, 9000 + 100 * i, 20 + i, 10) }, 20);
	}
	for (i = 0; i < 4; i++) {
		dscpmatch_near(&m, (struct tcp_seg[]){ pkt(0, 100 * i, i, 34) }, 10);
		dscpmatch_near(&m, (struct tcp_seg[]){ pkt(0, 5000 + 100 * i, 10 + i, 8) }, 10);
		dscpmatch_near(&m, (struct tcp_seg[]){ pkt(0, 9000 + 100 * i, 20 + i, 0) }, 10);
	}
	CHECK(dscpmatch_verdict(&m, DM_NEAR_TO_FAR, 34, &to) == DM_UNCHANGED && to == 34, "kept");
	CHECK(dscpmatch_verdict(&m, DM_NEAR_TO_FAR, 8, &to) == DM_MIXED, "8: to 10 and 12");
	CHECK(dscpmatch_verdict(&m, DM_NEAR_TO_FAR, 0, &to) == DM_REWRITTEN && to == 10, "0 to 10");
	dscpmatch_free(&m);
}

/* IPv6 copies with one key are held apart; beyond the cap far packets are counted only. */
static void test_match_copies_and_cap(void)
{
	struct tcp_seg s = { .family = 6, .flags = TCPF_ACK, .sport = 1, .dport = 2, .seq = 7,
			     .dscp = 46 };
	struct dscpmatch m;

	dscpmatch_init(&m, 3);
	for (int i = 0; i < 5; i++)
		dscpmatch_far(&m, &s, 100);
	for (int i = 0; i < 4; i++)
		dscpmatch_near(&m, &s, 50);
	dscpmatch_finish(&m);
	CHECK(m.far_pkts == 3 && m.far_over_cap == 2, "held %llu over %llu",
	      (unsigned long long)m.far_pkts, (unsigned long long)m.far_over_cap);
	CHECK(m.pairs[DM_NEAR_TO_FAR][46][46] == 3 && m.near_unmatched[46] == 1, "copies");
	dscpmatch_free(&m);

	/* Growing the table keeps what it holds. */
	dscpmatch_init(&m, 0);
	for (uint32_t i = 0; i < 200000; i++) {
		s.seq = i;
		dscpmatch_far(&m, &s, 100);
	}
	for (uint32_t i = 0; i < 200000; i++) {
		s.seq = i;
		dscpmatch_near(&m, &s, 50);
	}
	CHECK(m.pairs[DM_NEAR_TO_FAR][46][46] == 200000, "after growing %llu",
	      (unsigned long long)m.pairs[DM_NEAR_TO_FAR][46][46]);
	dscpmatch_free(&m);
}

int main(void)
{
	RUN(test_counts_and_rtt);
	RUN(test_ports_and_remark);
	RUN(test_prefix_and_cap);
	RUN(test_dscp_names);
	RUN(test_match_bleached);
	RUN(test_match_copies_and_cap);
	return unit_done();
}
