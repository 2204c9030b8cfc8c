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
	s.win = 1000;
	s.sack_ok = !!(flags & TCPF_SYN);	/* as Linux: SACK on */
	tcp_track(&r->c, dir, &s, &r->ev);
}

/* A data segment from A with IPv4 ID @id (A numbers in sending order). */
static void seg_id(struct run *r, uint64_t t_us, uint32_t seq, uint32_t len, uint16_t id)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.ts_ns = t_us * 1000;
	s.family = 4;
	s.flags = TCPF_ACK;
	s.seq = seq;
	s.ack = 5001;
	s.payload_len = len;
	s.has_ip_id = 1;
	s.ip_id = id;
	s.win = 1000;
	tcp_track(&r->c, A, &s, &r->ev);
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
	s.win = 1000;
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
	CHECK(st(&r, A)->c.data_segs == 5 && st(&r, A)->c.data_bytes == 5000, "data");
	CHECK(st(&r, A)->c.retrans_segs == 0, "retrans %llu",
	      (unsigned long long)st(&r, A)->c.retrans_segs);
	CHECK(st(&r, A)->rtt_samples >= 1 && st(&r, A)->rtt_min_us == 10000,
	      "handshake rtt %llu", (unsigned long long)st(&r, A)->rtt_min_us);
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
	CHECK(st(&r, A)->c.retrans_segs == 1 && st(&r, A)->c.lost_downstream == 1, "counts");
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
	CHECK(st(&r, A)->c.by_class[RTX_TLP] == 2 && st(&r, A)->c.by_class[RTX_RTO] == 1 &&
	      st(&r, A)->c.lost_downstream == 3, "totals");
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
	CHECK(st(&r, A)->c.lost_downstream == 0, "no loss");
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
	CHECK(r.ev.nchanges == 1 && r.ev.change[0].from.cls == RTX_TLP &&
	      r.ev.change[0].to.cls == RTX_SPURIOUS, "D-SACK reclassifies");
	CHECK(st(&r, A)->c.by_class[RTX_TLP] == 0 && st(&r, A)->c.by_class[RTX_SPURIOUS] == 1 &&
	      st(&r, A)->c.lost_downstream == 0 && st(&r, A)->c.retrans_segs == 1, "totals");
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
	CHECK(st(&r, A)->c.reordering == 1 && st(&r, A)->c.retrans_segs == 0, "counts");
	tcp_conn_free(&r.c);
}

static void test_track_upstream_loss(void)
{
	struct run r;

	handshake_at_b(&r);
	seg_id(&r, 20000, 1001, 1000, 100);
	for (int i = 2; i < 5; i++)
		seg_id(&r, 20000 + i, 1001 + i * 1000, 1000, (uint16_t)(100 + i));
	for (int i = 0; i < 4; i++)
		seg(&r, B, 20100 + i, TCPF_ACK, 5001, 2001, 0);
	seg_id(&r, 30200, 2001, 1000, 105);
	CHECK(r.ev.retrans && r.ev.where == LOSS_UPSTREAM && r.ev.cls == RTX_FAST,
	      "retrans %d where %d cls %d", r.ev.retrans, r.ev.where, r.ev.cls);
	CHECK(st(&r, A)->c.lost_upstream == 1 && st(&r, A)->c.lost_downstream == 0, "counts");
	tcp_conn_free(&r.c);
}

/* The same fill without IDs or TSvals, too late for timing: nobody can tell. */
static void test_track_ambiguous(void)
{
	struct run r;

	handshake_at_b(&r);
	seg(&r, A, 20000, TCPF_ACK, 1001, 5001, 1000);
	for (int i = 2; i < 5; i++)
		seg(&r, A, 20000 + i, TCPF_ACK, 1001 + i * 1000, 5001, 1000);
	for (int i = 0; i < 4; i++)
		seg(&r, B, 20100 + i, TCPF_ACK, 5001, 2001, 0);
	seg(&r, A, 30200, TCPF_ACK, 2001, 5001, 1000);
	CHECK(r.ev.ambiguous && !r.ev.retrans && !r.ev.reorder, "ambiguous, not loss");
	CHECK(st(&r, A)->c.ambiguous == 1 && st(&r, A)->c.retrans_segs == 0 &&
	      st(&r, A)->c.lost_upstream == 0, "counts");
	tcp_conn_free(&r.c);
}

/* A late original by its older ID, 15 ms late on a 10 ms path: no timing can tell. */
static void test_track_reorder_by_id(void)
{
	struct run r;

	handshake_at_b(&r);
	seg_id(&r, 20000, 1001, 1000, 100);
	for (int i = 2; i < 6; i++)		/* segment 1 (ID 101) overtaken by 4 */
		seg_id(&r, 20000 + i, 1001 + i * 1000, 1000, (uint16_t)(100 + i));
	seg_id(&r, 35000, 2001, 1000, 101);
	CHECK(r.ev.reorder && r.ev.reorder_segs == 4 && r.ev.reorder_ns == 14998000,
	      "reorder %d by %u segs %llu ns", r.ev.reorder, r.ev.reorder_segs,
	      (unsigned long long)r.ev.reorder_ns);
	CHECK(st(&r, A)->c.reordering == 1 && st(&r, A)->c.retrans_segs == 0 &&
	      st(&r, A)->reorder_max_segs == 4, "counts");
	tcp_conn_free(&r.c);
}

/*
 * Two CPUs' backlogs interleave: every other segment arrives late, 299
 * holes open at once (more than the first version kept), and the late
 * ones come in reverse order, some wider holes filled from the middle.
 */
static void test_track_many_holes(void)
{
	struct run r;
	int n = 300, i;

	handshake_at_b(&r);
	for (i = 0; i < n; i++)			/* ID 2i sent first, 2i+1 overtaken */
		seg_id(&r, 20000 + i, 1001 + (uint32_t)(2 * i) * 1000, 1000, (uint16_t)(100 + 2 * i));
	for (i = n - 2; i >= 0; i--)		/* n - 1 holes between them */
		seg_id(&r, 30000 + (uint64_t)(n - i), 2001 + (uint32_t)(2 * i) * 1000, 1000,
		       (uint16_t)(101 + 2 * i));
	CHECK(st(&r, A)->c.reordering == (uint64_t)n - 1 && st(&r, A)->c.retrans_segs == 0 &&
	      st(&r, A)->c.ambiguous == 0, "reordering %llu retrans %llu ambiguous %llu",
	      (unsigned long long)st(&r, A)->c.reordering,
	      (unsigned long long)st(&r, A)->c.retrans_segs,
	      (unsigned long long)st(&r, A)->c.ambiguous);
	/* A 3-segment hole filled middle, then ends: each one late, none twice. */
	seg_id(&r, 40000, 1001 + 599 * 1000, 1000, 900);
	seg_id(&r, 40001, 1001 + 603 * 1000, 1000, 904);
	seg_id(&r, 40002, 1001 + 601 * 1000, 1000, 902);
	seg_id(&r, 40003, 1001 + 600 * 1000, 1000, 901);
	seg_id(&r, 40004, 1001 + 602 * 1000, 1000, 903);
	CHECK(r.ev.reorder && st(&r, A)->c.reordering == (uint64_t)n + 2 &&
	      st(&r, A)->c.retrans_segs == 0, "split hole: reordering %llu",
	      (unsigned long long)st(&r, A)->c.reordering);
	tcp_conn_free(&r.c);
}

/*
 * The sender's copy overtakes the late original: the copy (newer ID) fills
 * the hole first and looks like upstream loss; the original (older ID) then
 * shows it was needless.
 */
static void test_track_original_after_copy(void)
{
	struct run r;

	handshake_at_b(&r);
	seg_id(&r, 20000, 1001, 1000, 100);
	for (int i = 2; i < 5; i++)
		seg_id(&r, 20000 + i, 1001 + i * 1000, 1000, (uint16_t)(100 + i));
	seg_id(&r, 31000, 2001, 1000, 110);
	CHECK(r.ev.retrans && r.ev.where == LOSS_UPSTREAM, "the copy first: upstream loss");
	seg_id(&r, 31010, 2001, 1000, 101);
	CHECK(r.ev.reorder && !r.ev.retrans && r.ev.nchanges == 1 &&
	      r.ev.change[0].from.where == LOSS_UPSTREAM &&
	      r.ev.change[0].to.cls == RTX_SPURIOUS, "the original: reorder, copy spurious");
	CHECK(st(&r, A)->c.retrans_segs == 1 && st(&r, A)->c.by_class[RTX_SPURIOUS] == 1 &&
	      st(&r, A)->c.lost_upstream == 0 && st(&r, A)->c.reordering == 1, "counts");
	tcp_conn_free(&r.c);
}

/*
 * A whole burst of copies overtakes its originals (more than the first
 * version remembered): each copy first looks like upstream loss, each
 * original then shows its copy was needless.
 */
static void test_track_copies_first_burst(void)
{
	struct run r;
	int n = 300, k;
	uint64_t late = (uint64_t)n - 3;

	handshake_at_b(&r);
	for (k = 0; k < 3; k++)			/* in order: the IDs are learnt */
		seg_id(&r, 20000 + (uint64_t)k, 1001 + (uint32_t)k * 1000, 1000,
		       (uint16_t)(100 + k));
	seg_id(&r, 20010, 1001 + (uint32_t)n * 1000, 1000, (uint16_t)(100 + n));
	for (k = 3; k < n; k++)			/* the copies, newer IDs */
		seg_id(&r, 30000 + (uint64_t)k, 1001 + (uint32_t)k * 1000, 1000,
		       (uint16_t)(1000 + k));
	CHECK(st(&r, A)->c.lost_upstream == late, "copies: upstream %llu",
	      (unsigned long long)st(&r, A)->c.lost_upstream);
	for (k = 3; k < n; k++)			/* the originals, late */
		seg_id(&r, 31000 + (uint64_t)k, 1001 + (uint32_t)k * 1000, 1000,
		       (uint16_t)(100 + k));
	CHECK(st(&r, A)->c.retrans_segs == late && st(&r, A)->c.by_class[RTX_SPURIOUS] == late &&
	      st(&r, A)->c.lost_upstream == 0 && st(&r, A)->c.reordering == late,
	      "retrans %llu spurious %llu upstream %llu reordering %llu",
	      (unsigned long long)st(&r, A)->c.retrans_segs,
	      (unsigned long long)st(&r, A)->c.by_class[RTX_SPURIOUS],
	      (unsigned long long)st(&r, A)->c.lost_upstream,
	      (unsigned long long)st(&r, A)->c.reordering);
	tcp_conn_free(&r.c);
}

/* An ambiguous fill, then a copy the receiver D-SACKs: the fill was the original. */
static void test_track_ambiguous_dsack(void)
{
	struct run r;

	handshake_at_b(&r);
	seg(&r, A, 20000, TCPF_ACK, 1001, 5001, 1000);
	seg(&r, A, 20001, TCPF_ACK, 3001, 5001, 1000);
	seg(&r, A, 31000, TCPF_ACK, 2001, 5001, 1000);
	CHECK(r.ev.ambiguous, "ambiguous fill");
	seg(&r, B, 31020, TCPF_ACK, 5001, 4001, 0);
	seg(&r, A, 32000, TCPF_ACK, 2001, 5001, 1000);
	CHECK(r.ev.retrans && r.ev.cls == RTX_SPURIOUS, "copy below una: spurious");
	sack(&r, 32020, 4001, 2001, 3001);
	CHECK(r.ev.nchanges == 1 && r.ev.change[0].from.kind == FATE_AMBIGUOUS &&
	      r.ev.change[0].to.kind == FATE_REORDER, "D-SACK resolves the fill: %u changes",
	      r.ev.nchanges);
	CHECK(st(&r, A)->c.ambiguous == 0 && st(&r, A)->c.reordering == 1 &&
	      st(&r, A)->c.retrans_segs == 1, "counts");
	tcp_conn_free(&r.c);
}

/* IDs that are 0 or random say nothing of the sending order. */
static void test_track_ids_untrusted(void)
{
	static const uint16_t rnd[] = { 40123, 911, 17777, 52000, 3, 28001 };
	struct run r;

	for (int k = 0; k < 2; k++) {
		handshake_at_b(&r);
		for (int i = 0; i < 5; i++)
			seg_id(&r, 20000 + i, 1001 + (i + (i > 0)) * 1000, 1000,
			       k ? rnd[i] : 0);
		seg_id(&r, 31000, 2001, 1000, k ? rnd[5] : 0);
		CHECK(r.ev.ambiguous, "%s IDs: ambiguous, got retrans %d reorder %d",
		      k ? "random" : "zero", r.ev.retrans, r.ev.reorder);
		tcp_conn_free(&r.c);
	}
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
	CHECK(st(&r, A)->c.retrans_segs == 2 && st(&r, A)->c.by_class[RTX_SYN_FIN] == 2 &&
	      st(&r, A)->c.data_segs == 0, "counts");
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
	CHECK(st(&r, A)->c.retrans_segs == 1 && r.ev.cls == RTX_FAST, "across 2^32: %llu cls %d",
	      (unsigned long long)st(&r, A)->c.retrans_segs, r.ev.cls);
	CHECK(st(&r, A)->c.data_segs == 6 && st(&r, A)->c.data_bytes == 6000, "data");
	tcp_conn_free(&r.c);
}

static void test_track_capture_gap(void)
{
	struct run r;

	handshake(&r, 1000, 5000);
	seg(&r, A, 11000, TCPF_ACK, 1001, 5001, 1000);
	seg(&r, B, 21000, TCPF_ACK, 5001, 3001, 0);
	CHECK(r.ev.capture_gaps == 0, "ACK beyond nxt: held back for a late original");
	seg(&r, A, 31010, TCPF_ACK, 3001, 5001, 1000);	/* > RTT/2 later */
	CHECK(r.ev.capture_gaps == 1 && st(&r, A)->c.capture_gaps == 1,
	      "counted once no late original can come");
	CHECK(!r.ev.retrans && st(&r, A)->c.retrans_segs == 0, "then new data");
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
	CHECK(st(&r, A)->c.retrans_segs == 0, "zero-length probes are not retransmissions");
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
	RUN(test_track_ambiguous);
	RUN(test_track_reorder_by_id);
	RUN(test_track_many_holes);
	RUN(test_track_original_after_copy);
	RUN(test_track_copies_first_burst);
	RUN(test_track_ambiguous_dsack);
	RUN(test_track_ids_untrusted);
	RUN(test_track_syn_fin);
	RUN(test_track_wraparound);
	RUN(test_track_capture_gap);
	RUN(test_track_probes_not_retrans);
	return unit_done();
}
