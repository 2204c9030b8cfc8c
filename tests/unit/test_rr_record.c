// SPDX-License-Identifier: GPL-2.0
/*
 * The rr recorder fed synthetic transactions: what counts as slow, that
 * fast transactions still move the byte offsets, and the sequence numbers
 * of each transaction's first bytes across the 2^32 wrap.
 */
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "rr_record.h"
#include "unit.h"

#define MS NSEC_PER_MSEC
#define MAX_EVENTS 16

struct sink {
	int n;
	struct rr_slow ev[MAX_EVENTS];
};

static void on_slow(void *ctx, const struct rr_slow *ev)
{
	struct sink *s = ctx;

	if (s->n < MAX_EVENTS)
		s->ev[s->n] = *ev;
	s->n++;
}

static void setup(struct rr_config *cfg, struct sink *s, struct rr_track *t,
		  struct rr_stream_result *r, uint64_t slow_ns)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(s, 0, sizeof(*s));
	memset(t, 0, sizeof(*t));
	memset(r, 0, sizeof(*r));
	hist_init(&r->hist);
	cfg->slow_ns = slow_ns;
	cfg->on_slow = on_slow;
	cfg->slow_ctx = s;
}

/* At the threshold is slow (as tail_ge_200ms counts it), a nanosecond less is not. */
static void test_threshold(void)
{
	static struct rr_stream_result r;	/* a histogram is 34 KiB: off the stack */
	static const uint64_t lat[] = { 10 * NSEC_PER_USEC, 200 * MS - 1, 200 * MS,
					 250 * MS, 450 * MS, 900 * MS, 5 * MS };
	struct rr_config cfg;
	struct rr_track t;
	struct sink s;
	uint64_t t0 = 1000 * MS;
	int slow = 0;

	setup(&cfg, &s, &t, &r, 200 * MS);
	t.stream = 3;
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
		slow += rr_record(&cfg, &t, &r, t0, t0 + lat[i], 1, 1);
		t0 += lat[i] + 1000;
	}
	CHECK(slow == 4 && s.n == 4, "slow=%d events=%d, want 4", slow, s.n);
	CHECK(r.transactions == 7 && r.hist.count == 7, "transactions=%llu",
	      (unsigned long long)r.transactions);
	CHECK(r.tail[0] == 4 && r.tail[1] == 2 && r.tail[2] == 1, "tails %llu %llu %llu",
	      (unsigned long long)r.tail[0], (unsigned long long)r.tail[1],
	      (unsigned long long)r.tail[2]);
	CHECK(s.ev[0].end_ns - s.ev[0].start_ns == 200 * MS, "first event is the 200 ms one");
	CHECK(s.ev[0].stream == 3 && s.ev[0].flow == &t.flow, "stream and flow passed on");
	CHECK(s.n == (int)r.tail[0], "events == tail_ge_200ms at the default threshold");
}

/* 0: every transaction is an event; no callback: none, and the same counts. */
static void test_all_and_none(void)
{
	static struct rr_stream_result r;
	struct rr_config cfg;
	struct rr_track t;
	struct sink s;

	setup(&cfg, &s, &t, &r, 0);
	for (int i = 0; i < 5; i++)
		rr_record(&cfg, &t, &r, 100, 100 + (uint64_t)i, 1, 1);
	CHECK(s.n == 5, "threshold 0: events=%d, want 5", s.n);

	setup(&cfg, &s, &t, &r, 0);
	cfg.on_slow = NULL;
	for (int i = 0; i < 5; i++)
		CHECK(!rr_record(&cfg, &t, &r, 0, 300 * MS, 1, 1), "no callback, no event");
	CHECK(r.transactions == 5 && r.tail[0] == 5, "still counted: %llu",
	      (unsigned long long)r.transactions);
	CHECK(t.sent == 5 && t.rcvd == 5, "offsets move without events too");
}

/* Fast transactions before a slow one move its sequence numbers; lengths differ. */
static void test_seq_offsets(void)
{
	static struct rr_stream_result r;
	struct rr_config cfg;
	struct rr_track t;
	struct sink s;

	setup(&cfg, &s, &t, &r, 200 * MS);
	t.seq_valid = true;
	t.snd_base = 1000;
	t.rcv_base = 50000;
	rr_record(&cfg, &t, &r, 0, 1 * MS, 100, 3000);
	rr_record(&cfg, &t, &r, 0, 2 * MS, 100, 3000);
	rr_record(&cfg, &t, &r, 0, 300 * MS, 100, 3000);
	CHECK(s.n == 1, "events=%d", s.n);
	CHECK(s.ev[0].seq_valid && s.ev[0].req_seq == 1200 && s.ev[0].resp_seq == 56000,
	      "req_seq=%u resp_seq=%u, want 1200 56000", s.ev[0].req_seq, s.ev[0].resp_seq);
	CHECK(s.ev[0].req_len == 100 && s.ev[0].resp_len == 3000, "lengths");
	CHECK(t.sent == 300 && t.rcvd == 9000, "offsets after three");

	/* Without the bases (no TCP repair), events say so and carry no seqs. */
	setup(&cfg, &s, &t, &r, 0);
	t.snd_base = 77;
	rr_record(&cfg, &t, &r, 0, 1, 1, 1);
	CHECK(s.n == 1 && !s.ev[0].seq_valid && s.ev[0].req_seq == 0, "seq_valid false");
}

/* Across 2^32: the base near the top, and offsets beyond 4 GiB. */
static void test_seq_wrap(void)
{
	static struct rr_stream_result r;
	struct rr_config cfg;
	struct rr_track t;
	struct sink s;

	CHECK(rr_seq_at(0xfffffff0u, 0x10) == 0, "wrap to 0");
	CHECK(rr_seq_at(0xfffffff0u, 0x15) == 5, "wrap past 0");
	CHECK(rr_seq_at(7, 1ULL << 32) == 7, "a whole 2^32 is no move");
	CHECK(rr_seq_at(7, (5ULL << 32) + 9) == 16, "offset beyond 4 GiB");

	setup(&cfg, &s, &t, &r, 0);
	t.seq_valid = true;
	t.snd_base = 0xfffffffau;	/* 6 bytes below the wrap */
	t.rcv_base = 0xffffffffu;
	for (int i = 0; i < 4; i++)
		rr_record(&cfg, &t, &r, 0, 1, 4, 1);
	CHECK(s.n == 4, "events=%d", s.n);
	CHECK(s.ev[0].req_seq == 0xfffffffau && s.ev[1].req_seq == 0xfffffffeu &&
	      s.ev[2].req_seq == 2 && s.ev[3].req_seq == 6,
	      "req_seq %x %x %x %x", s.ev[0].req_seq, s.ev[1].req_seq, s.ev[2].req_seq,
	      s.ev[3].req_seq);
	CHECK(s.ev[0].resp_seq == 0xffffffffu && s.ev[1].resp_seq == 0 &&
	      s.ev[3].resp_seq == 2, "resp_seq %x %x %x", s.ev[0].resp_seq,
	      s.ev[1].resp_seq, s.ev[3].resp_seq);

	/* A stream that moved 6 GiB: the next request's seq is the base plus 2 GiB. */
	t.snd_base = 100;
	t.sent = 6ULL << 30;
	rr_record(&cfg, &t, &r, 0, 1, 1, 1);
	CHECK(s.ev[4].req_seq == 100u + (2u << 30), "req_seq=%u", s.ev[4].req_seq);
}

int main(void)
{
	RUN(test_threshold);
	RUN(test_all_and_none);
	RUN(test_seq_offsets);
	RUN(test_seq_wrap);
	return unit_done();
}
