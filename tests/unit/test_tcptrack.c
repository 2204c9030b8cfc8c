// SPDX-License-Identifier: GPL-2.0
/* The sequence tracker fed hand-built segments; expected counts by hand. */
#include <string.h>

#include "tcptrack.h"
#include "unit.h"

#define A 0	/* data sender */
#define B 1	/* receiver */
#define MS 1000000ULL

struct run {
	struct tcp_conn c;
	struct track_ev ev;
};

static void seg(struct run *r, int dir, uint64_t t_us, uint8_t flags, uint32_t seq,
		uint32_t ack, uint32_t len)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.ts_ns = t_us * 1000;
	s.family = 4;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.payload_len = len;
	tcp_track(&r->c, dir, &s, &r->ev);
}

static void sack(struct run *r, uint64_t t_us, uint32_t ack, uint32_t s0, uint32_t e0)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.ts_ns = t_us * 1000;
	s.flags = TCPF_ACK;
	s.ack = ack;
	s.nsack = 1;
	s.sack[0] = (struct sack_block){ s0, e0 };
	tcp_track(&r->c, B, &s, &r->ev);
}

/* Handshake with a 10 ms path: capture next to A (SYN->SYN-ACK = 10 ms). */
static void handshake(struct run *r, uint32_t isn_a, uint32_t isn_b)
{
	tcp_conn_init(&r->c);
	seg(r, A, 0, TCPF_SYN, isn_a, 0, 0);
	seg(r, B, 10000, TCPF_SYN | TCPF_ACK, isn_b, isn_a + 1, 0);
	seg(r, A, 10010, TCPF_ACK, isn_a + 1, isn_b + 1, 0);
}

static const struct tcp_dir_stats *st(struct run *r, int dir)
{
	return &r->c.half[dir].st;
}

static void test_track_clean(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	for (int i = 0; i < 5; i++)
		seg(&r, A, 11000 + i, TCPF_ACK, 1001 + i * 1000, 5001, 1000);
	seg(&r, B, 21000, TCPF_ACK, 5001, 6001, 0);
	CHECK(st(&r, A)->data_segs == 5 && st(&r, A)->data_bytes == 5000, "data");
	CHECK(st(&r, A)->retrans_segs == 0, "retrans %llu",
	      (unsigned long long)st(&r, A)->retrans_segs);
	CHECK(st(&r, A)->rtt_samples >= 1 && st(&r, A)->rtt_min_us == 10000,
	      "handshake rtt %u", st(&r, A)->rtt_min_us);
	tcp_conn_free(&r.c);
}

static void test_track_fast_dupacks(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	for (int i = 0; i < 5; i++)
		seg(&r, A, 11000 + i, TCPF_ACK, 1001 + i * 1000, 5001, 1000);
	seg(&r, B, 21000, TCPF_ACK, 5001, 2001, 0);
	for (int i = 0; i < 3; i++)
		seg(&r, B, 21001 + i, TCPF_ACK, 5001, 2001, 0);
	seg(&r, A, 21010, TCPF_ACK, 2001, 5001, 1000);
	CHECK(r.ev.retrans && r.ev.cls == RTX_FAST && r.ev.where == LOSS_DOWNSTREAM,
	      "retrans=%d cls=%d where=%d", r.ev.retrans, r.ev.cls, r.ev.where);
	CHECK(st(&r, A)->retrans_segs == 1 && st(&r, A)->lost_downstream == 1, "counts");
	tcp_conn_free(&r.c);
}

/* NewReno: a partial ACK moves una inside the episode; the next hole is still fast. */
static void test_track_fast_partial_ack(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	for (int i = 0; i < 6; i++)
		seg(&r, A, 11000 + i, TCPF_ACK, 1001 + i * 1000, 5001, 1000);
	for (int i = 0; i < 4; i++)
		seg(&r, B, 21000 + i, TCPF_ACK, 5001, 2001, 0);
	seg(&r, A, 21010, TCPF_ACK, 2001, 5001, 1000);
	seg(&r, B, 31000, TCPF_ACK, 5001, 4001, 0);	/* partial: 4001 lost too */
	seg(&r, A, 31010, TCPF_ACK, 4001, 5001, 1000);
	CHECK(r.ev.cls == RTX_FAST, "after a partial ACK: fast, got %d", r.ev.cls);
	seg(&r, B, 41000, TCPF_ACK, 5001, 7001, 0);	/* episode over */
	seg(&r, A, 41010, TCPF_ACK, 7001, 5001, 100);
	seg(&r, A, 251010, TCPF_ACK, 7001, 5001, 100);
	CHECK(r.ev.cls == RTX_TLP, "a new episode starts clean, got %d", r.ev.cls);
	tcp_conn_free(&r.c);
}

static void test_track_fast_sack(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	for (int i = 0; i < 3; i++)
		seg(&r, A, 11000 + i, TCPF_ACK, 1001 + i * 1000, 5001, 1000);
	sack(&r, 21000, 1001, 2001, 3001);
	seg(&r, A, 21010, TCPF_ACK, 1001, 5001, 1000);
	CHECK(r.ev.cls == RTX_FAST, "one SACK above una is a loss signal: cls=%d", r.ev.cls);
	tcp_conn_free(&r.c);
}

static void test_track_tlp_then_rto(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	seg(&r, A, 11000, TCPF_ACK, 1001, 5001, 1);
	seg(&r, A, 221000, TCPF_ACK, 1001, 5001, 1);
	CHECK(r.ev.cls == RTX_TLP, "first: tlp, got %d", r.ev.cls);
	seg(&r, A, 631000, TCPF_ACK, 1001, 5001, 1);
	CHECK(r.ev.cls == RTX_RTO && r.ev.rto_gap_ns == 410 * MS, "second: rto %d gap %llu",
	      r.ev.cls, (unsigned long long)r.ev.rto_gap_ns);
	seg(&r, B, 641000, TCPF_ACK, 5001, 1002, 0);
	/* A new episode after una moved: a TLP is possible again. */
	seg(&r, A, 642000, TCPF_ACK, 1002, 5001, 1);
	seg(&r, A, 850000, TCPF_ACK, 1002, 5001, 1);
	CHECK(r.ev.cls == RTX_TLP, "new episode: tlp, got %d", r.ev.cls);
	CHECK(st(&r, A)->by_class[RTX_TLP] == 2 && st(&r, A)->by_class[RTX_RTO] == 1 &&
	      st(&r, A)->lost_downstream == 3, "totals");
	tcp_conn_free(&r.c);
}

static void test_track_rto_not_tail(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	for (int i = 0; i < 3; i++)
		seg(&r, A, 11000 + i, TCPF_ACK, 1001 + i * 1000, 5001, 1000);
	seg(&r, A, 1011000, TCPF_ACK, 1001, 5001, 1000);
	CHECK(r.ev.cls == RTX_RTO, "first segment re-sent after silence: rto, got %d", r.ev.cls);
	tcp_conn_free(&r.c);
}

static void test_track_spurious_acked(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	seg(&r, A, 11000, TCPF_ACK, 1001, 5001, 100);
	seg(&r, B, 21000, TCPF_ACK, 5001, 1101, 0);
	seg(&r, A, 221000, TCPF_ACK, 1001, 5001, 100);
	CHECK(r.ev.cls == RTX_SPURIOUS && r.ev.where == LOSS_NONE, "cls %d where %d",
	      r.ev.cls, r.ev.where);
	CHECK(st(&r, A)->lost_downstream == 0, "no loss");
	tcp_conn_free(&r.c);
}

static void test_track_dsack_reclass(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	seg(&r, A, 11000, TCPF_ACK, 1001, 5001, 100);
	seg(&r, A, 221000, TCPF_ACK, 1001, 5001, 100);
	CHECK(r.ev.cls == RTX_TLP, "tlp first, got %d", r.ev.cls);
	sack(&r, 231000, 1101, 1001, 1101);
	CHECK(r.ev.reclass && r.ev.reclass_from == RTX_TLP, "D-SACK reclassifies");
	CHECK(st(&r, A)->by_class[RTX_TLP] == 0 && st(&r, A)->by_class[RTX_SPURIOUS] == 1 &&
	      st(&r, A)->lost_downstream == 0 && st(&r, A)->retrans_segs == 1, "totals");
	tcp_conn_free(&r.c);
}

/* Capture next to B: A's data crosses the lossy path before we see it. */
static void handshake_at_b(struct run *r)
{
	tcp_conn_init(&r->c);
	seg(r, A, 0, TCPF_SYN, 1000, 0, 0);
	seg(r, B, 10, TCPF_SYN | TCPF_ACK, 5000, 1001, 0);
	seg(r, A, 10010, TCPF_ACK, 1001, 5001, 0);
}

static void test_track_reordering(void)
{
	struct run r;

	handshake_at_b(&r);
	seg(&r, A, 20000, TCPF_ACK, 1001, 5001, 1000);
	seg(&r, A, 20010, TCPF_ACK, 3001, 5001, 1000);
	seg(&r, A, 20110, TCPF_ACK, 2001, 5001, 1000);
	CHECK(r.ev.reorder && !r.ev.retrans, "100 us on a 10 ms path is reordering");
	CHECK(st(&r, A)->reordering == 1 && st(&r, A)->retrans_segs == 0, "counts");
	tcp_conn_free(&r.c);
}

static void test_track_upstream_loss(void)
{
	struct run r;

	handshake_at_b(&r);
	seg(&r, A, 20000, TCPF_ACK, 1001, 5001, 1000);
	for (int i = 2; i < 5; i++)
		seg(&r, A, 20000 + i, TCPF_ACK, 1001 + i * 1000, 5001, 1000);
	for (int i = 0; i < 4; i++)
		seg(&r, B, 20100 + i, TCPF_ACK, 5001, 2001, 0);
	seg(&r, A, 30200, TCPF_ACK, 2001, 5001, 1000);
	CHECK(r.ev.retrans && r.ev.where == LOSS_UPSTREAM && r.ev.cls == RTX_FAST,
	      "retrans %d where %d cls %d", r.ev.retrans, r.ev.where, r.ev.cls);
	CHECK(st(&r, A)->lost_upstream == 1 && st(&r, A)->lost_downstream == 0, "counts");
	tcp_conn_free(&r.c);
}

static void test_track_syn_fin(void)
{
	struct run r;

	tcp_conn_init(&r.c);
	seg(&r, A, 0, TCPF_SYN, 1000, 0, 0);
	seg(&r, A, 1000000, TCPF_SYN, 1000, 0, 0);
	CHECK(r.ev.retrans && r.ev.cls == RTX_SYN_FIN, "SYN again");
	seg(&r, B, 1010000, TCPF_SYN | TCPF_ACK, 5000, 1001, 0);
	seg(&r, A, 1020000, TCPF_ACK | TCPF_FIN, 1001, 5001, 0);
	seg(&r, A, 1300000, TCPF_ACK | TCPF_FIN, 1001, 5001, 0);
	CHECK(r.ev.retrans && r.ev.cls == RTX_SYN_FIN, "FIN again");
	CHECK(st(&r, A)->retrans_segs == 2 && st(&r, A)->by_class[RTX_SYN_FIN] == 2 &&
	      st(&r, A)->data_segs == 0, "counts");
	tcp_conn_free(&r.c);
}

static void test_track_wraparound(void)
{
	struct run r;
	uint32_t isn = 4294966000u;

	handshake(&r, isn, 5000);
	for (uint32_t i = 0; i < 5; i++)
		seg(&r, A, 11000 + i, TCPF_ACK, isn + 1 + i * 1000, 5001, 1000);
	for (int i = 0; i < 4; i++)
		seg(&r, B, 21000 + i, TCPF_ACK, 5001, isn + 2001, 0);
	seg(&r, A, 21010, TCPF_ACK, isn + 2001, 5001, 1000);
	CHECK(st(&r, A)->retrans_segs == 1 && r.ev.cls == RTX_FAST, "across 2^32: %llu cls %d",
	      (unsigned long long)st(&r, A)->retrans_segs, r.ev.cls);
	CHECK(st(&r, A)->data_segs == 6 && st(&r, A)->data_bytes == 6000, "data");
	tcp_conn_free(&r.c);
}

static void test_track_capture_gap(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	seg(&r, A, 11000, TCPF_ACK, 1001, 5001, 1000);
	seg(&r, B, 21000, TCPF_ACK, 5001, 3001, 0);
	CHECK(r.ev.capture_gaps == 1 && st(&r, A)->capture_gaps == 1, "ACK beyond nxt");
	seg(&r, A, 21010, TCPF_ACK, 3001, 5001, 1000);
	CHECK(!r.ev.retrans && st(&r, A)->retrans_segs == 0, "then new data");
	tcp_conn_free(&r.c);
}

static void test_track_probes_not_retrans(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	seg(&r, A, 11000, TCPF_ACK, 1001, 5001, 100);
	seg(&r, B, 21000, TCPF_ACK, 5001, 1101, 0);
	seg(&r, A, 1021000, TCPF_ACK, 1100, 5001, 0);	/* keepalive: una-1, no data */
	seg(&r, A, 1021000, TCPF_ACK, 1101, 5001, 0);	/* window probe, no data */
	CHECK(st(&r, A)->retrans_segs == 0, "zero-length probes are not retransmissions");
	tcp_conn_free(&r.c);
}

int main(void)
{
	RUN(test_track_clean);
	RUN(test_track_fast_dupacks);
	RUN(test_track_fast_sack);
	RUN(test_track_fast_partial_ack);
	RUN(test_track_tlp_then_rto);
	RUN(test_track_rto_not_tail);
	RUN(test_track_spurious_acked);
	RUN(test_track_dsack_reclass);
	RUN(test_track_reordering);
	RUN(test_track_upstream_loss);
	RUN(test_track_syn_fin);
	RUN(test_track_wraparound);
	RUN(test_track_capture_gap);
	RUN(test_track_probes_not_retrans);
	return unit_done();
}
