// SPDX-License-Identifier: GPL-2.0
/*
 * The analyzer fed decoded segments through its public entry point, with no
 * capture: the retransmission events it hands out (flow, seq, class,
 * location, frame) and the totals, for a story whose truth is known.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyze.h"
#include "unit.h"

#define MAX_EV 8

struct seen {
	int n;
	struct analyze_retrans ev[MAX_EV];
};

static void on_retrans(void *ctx, const struct analyze_retrans *r)
{
	struct seen *s = ctx;

	if (s->n < MAX_EV)
		s->ev[s->n] = *r;
	s->n++;
}

static struct analyzer a;	/* histograms: not on the stack */

/* From 198.18.0.1:40000 (A) when @from_a, else from 198.18.0.2:5001 (B). */
static void feed(int from_a, uint64_t t_us, uint8_t flags, uint32_t seq, uint32_t ack,
		 uint32_t len, uint32_t sack_start, uint32_t sack_end)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.ts_ns = 1000000000ULL + t_us * 1000;
	s.family = 4;
	inet_pton(AF_INET, from_a ? "198.18.0.1" : "198.18.0.2", s.saddr);
	inet_pton(AF_INET, from_a ? "198.18.0.2" : "198.18.0.1", s.daddr);
	s.sport = from_a ? 40000 : 5001;
	s.dport = from_a ? 5001 : 40000;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.payload_len = len;
	if (sack_end) {
		s.nsack = 1;
		s.sack[0] = (struct sack_block){ sack_start, sack_end };
	}
	analyzer_segment(&a, &s);
}

/* tests/pcap/fast_retransmit.scn as segments: segment 2 lost downstream, re-sent fast. */
static void test_analyzer_fast_retransmit_event(void)
{
	struct seen s = { 0 };
	struct analyze_opts o = { .on_retrans = on_retrans, .ctx = &s };
	char buf[INET_ADDRSTRLEN];

	CHECK(analyzer_init(&a, &o) == 0, "init");
	feed(1, 0, TCPF_SYN, 1000, 0, 0, 0, 0);
	feed(0, 10000, TCPF_SYN | TCPF_ACK, 5000, 1001, 0, 0, 0);
	feed(1, 10050, TCPF_ACK, 1001, 5001, 0, 0, 0);
	for (int i = 0; i < 5; i++)
		feed(1, 10100 + 100 * (uint64_t)i, TCPF_ACK, 1001 + 1000 * (uint32_t)i, 5001, 1000,
		     0, 0);
	feed(0, 20150, TCPF_ACK, 5001, 2001, 0, 0, 0);
	feed(0, 20350, TCPF_ACK, 5001, 2001, 0, 3001, 4001);
	feed(0, 20450, TCPF_ACK, 5001, 2001, 0, 3001, 5001);
	feed(0, 20550, TCPF_ACK, 5001, 2001, 0, 3001, 6001);
	CHECK(s.n == 0, "no event before the re-send: %d", s.n);
	feed(1, 20600, TCPF_ACK, 2001, 5001, 1000, 0, 0);	/* frame 13 */
	feed(0, 30650, TCPF_ACK, 5001, 6001, 0, 0, 0);
	analyzer_finish(&a);
	CHECK(s.n == 1, "one event: %d", s.n);
	CHECK(s.ev[0].frame == 13 && s.ev[0].seq == 2001 && s.ev[0].len == 1000 &&
	      s.ev[0].cls == RTX_FAST && s.ev[0].where == LOSS_DOWNSTREAM,
	      "frame %llu seq %u len %u class %d where %d", (unsigned long long)s.ev[0].frame,
	      s.ev[0].seq, s.ev[0].len, s.ev[0].cls, s.ev[0].where);
	inet_ntop(AF_INET, s.ev[0].flow.saddr, buf, sizeof(buf));
	CHECK(!strcmp(buf, "198.18.0.1") && s.ev[0].flow.sport == 40000 &&
	      s.ev[0].flow.dport == 5001 && s.ev[0].flow.family == AF_INET,
	      "the flow from its sender: %s:%u", buf, s.ev[0].flow.sport);
	CHECK(s.ev[0].ts_ns == 1000000000ULL + 20600000ULL, "stamp %llu",
	      (unsigned long long)s.ev[0].ts_ns);
	CHECK(a.t.packets == 14 && a.t.tcp_packets == 14 && a.t.c.retrans_segs == 1 &&
	      a.t.c.lost_downstream == 1 && a.t.c.data_segs == 6,
	      "totals: packets %llu retrans %llu", (unsigned long long)a.t.packets,
	      (unsigned long long)a.t.c.retrans_segs);
	analyzer_free(&a);
}

/* Without a subscriber nothing is handed out, and the counts are the same. */
static void test_analyzer_no_subscriber(void)
{
	struct analyze_opts o = { 0 };

	CHECK(analyzer_init(&a, &o) == 0, "init");
	feed(1, 0, TCPF_SYN, 1000, 0, 0, 0, 0);
	feed(0, 10000, TCPF_SYN | TCPF_ACK, 5000, 1001, 0, 0, 0);
	feed(1, 10050, TCPF_ACK, 1001, 5001, 100, 0, 0);
	feed(1, 230000, TCPF_ACK, 1001, 5001, 100, 0, 0);	/* a timeout's re-send */
	analyzer_finish(&a);
	CHECK(a.t.c.retrans_segs == 1 && a.t.c.by_class[RTX_TLP] + a.t.c.by_class[RTX_RTO] == 1,
	      "retrans %llu", (unsigned long long)a.t.c.retrans_segs);
	analyzer_free(&a);
}

/* A handshake that took two hours (a day would be a jump): its RTT, whole. */
static void test_analyzer_rtt_past_32_bits(void)
{
	struct analyze_opts o = { .keep_flows = true };
	const uint64_t two_hours_us = 2 * 3600 * 1000000ULL;

	CHECK(analyzer_init(&a, &o) == 0, "init");
	feed(1, 0, TCPF_SYN, 1000, 0, 0, 0, 0);
	feed(0, two_hours_us, TCPF_SYN | TCPF_ACK, 5000, 1001, 0, 0, 0);
	analyzer_finish(&a);
	CHECK(a.nkept == 1 && a.clock.jumps == 0, "flows %zu jumps %llu", a.nkept,
	      (unsigned long long)a.clock.jumps);
	for (size_t i = 0; i < a.nkept; i++) {
		const struct flow_summary *f = &a.kept[i];
		int side = f->client;

		CHECK(f->dir[side].rtt_samples == 1 && f->dir[side].rtt_min_us == two_hours_us &&
		      f->dir[side].rtt_max_us == two_hours_us,
		      "samples %llu min %llu max %llu", (unsigned long long)f->dir[side].rtt_samples,
		      (unsigned long long)f->dir[side].rtt_min_us,
		      (unsigned long long)f->dir[side].rtt_max_us);
	}
	analyzer_free(&a);
}

/* The SYN-ACK stamped 50 years on: a jump, and no RTT across it. */
static void test_analyzer_no_rtt_across_a_jump(void)
{
	struct analyze_opts o = { .keep_flows = true };
	const uint64_t fifty_years_us = 50 * 365 * 86400 * 1000000ULL;

	CHECK(analyzer_init(&a, &o) == 0, "init");
	feed(1, 0, TCPF_SYN, 1000, 0, 0, 0, 0);
	feed(0, fifty_years_us, TCPF_SYN | TCPF_ACK, 5000, 1001, 0, 0, 0);
	feed(1, fifty_years_us + 50, TCPF_ACK, 1001, 5001, 0, 0, 0);
	analyzer_finish(&a);
	CHECK(a.clock.jumps == 1 && a.rtt.count == 1 && a.rtt.max == 50000,
	      "jumps %llu, samples %llu, max %llu ns", (unsigned long long)a.clock.jumps,
	      (unsigned long long)a.rtt.count, (unsigned long long)a.rtt.max);
	CHECK(a.last_ns - a.first_ns == 50000, "duration %llu ns",
	      (unsigned long long)(a.last_ns - a.first_ns));
	analyzer_free(&a);
}

int main(void)
{
	RUN(test_analyzer_fast_retransmit_event);
	RUN(test_analyzer_no_subscriber);
	RUN(test_analyzer_rtt_past_32_bits);
	RUN(test_analyzer_no_rtt_across_a_jump);
	return unit_done();
}
