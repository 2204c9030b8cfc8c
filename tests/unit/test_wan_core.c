// SPDX-License-Identifier: GPL-2.0
/*
 * wanemu's provider model fed by hand: rates, schedules, tail drop, RED,
 * the committed bucket, delay and jitter without reordering.
 */
#include <string.h>

#include "wan_core.h"
#include "unit.h"

#define MS 1000000ULL
#define S 1000000000ULL

static struct wan_sched sched;
static struct wan_cfg cfg;

static void setup(uint64_t be)
{
	memset(&sched, 0, sizeof(sched));
	memset(&cfg, 0, sizeof(cfg));
	wan_sched_add(&sched, 0, be, false);
	cfg.line_bps = 62200000;
	cfg.limit = 1000;
	cfg.delay_ns = 10 * MS;
	cfg.seed = 1;
}

/* Offer LOAD bit/s of 1000-byte packets for 1 s; return delivered bytes. */
static uint64_t offer(struct wan_dir *d, uint64_t load, uint64_t *drops)
{
	uint64_t gap = 8000ULL * S / load, t, got = 0;
	struct wan_pkt *p;
	uint32_t slot = 0;

	*drops = 0;
	for (t = 0; t < S; t += gap) {
		struct wan_pkt in = { .t_in = t, .len = 1000, .slot = slot++ };

		if (wan_enqueue(d, t, &in) != WAN_QUEUED)
			(*drops)++;
		wan_service(d, t);
		while ((p = wan_due(d, t))) {
			got += p->len;
			wan_fifo_pop(&d->line);
		}
	}
	return got;
}

static void test_rate_parse(void)
{
	uint64_t r;

	CHECK(!wan_parse_rate("62.2M", &r) && r == 62200000, "r=%lu", r);
	CHECK(!wan_parse_rate("4500k", &r) && r == 4500000, "r=%lu", r);
	CHECK(!wan_parse_rate("1G", &r) && r == 1000000000, "r=%lu", r);
	CHECK(wan_parse_rate("10X", &r) < 0, "10X accepted");
	CHECK(wan_parse_rate("", &r) < 0, "empty accepted");
}

static void test_sched(void)
{
	struct wan_sched s = { 0 };

	CHECK(!wan_sched_parse(&s, "0:40M,10:10M,20~30M"), "parse");
	CHECK(wan_sched_rate(&s, 5 * S) == 40000000, "step before");
	CHECK(wan_sched_rate(&s, 10 * S) == 10000000, "step at");
	CHECK(wan_sched_rate(&s, 15 * S) == 20000000, "ramp mid %lu", wan_sched_rate(&s, 15 * S));
	CHECK(wan_sched_rate(&s, 25 * S) == 30000000, "after ramp");
	memset(&s, 0, sizeof(s));
	CHECK(wan_sched_parse(&s, "10:1M,5:2M") < 0, "out of order accepted");
	memset(&s, 0, sizeof(s));
	CHECK(!wan_sched_walk(&s, 10000000, 40000000, 5000000, S, 60 * S, 7), "walk");
	for (int i = 0; i < s.n; i++)
		CHECK(s.p[i].rate_bps >= 10000000 && s.p[i].rate_bps <= 40000000,
		      "walk out of bounds %lu", s.p[i].rate_bps);
}

static void test_rate_and_tail(void)
{
	struct wan_dir d;
	uint64_t drops, got;

	setup(10000000);
	cfg.limit = 50;
	wan_dir_init(&d, &cfg, &sched, 0, 4096);
	/* 20 Mbit/s offered into 10: about half delivered within the delay. */
	got = offer(&d, 20000000, &drops);
	CHECK(got * 8 > 9700000 && got * 8 < 10000000, "got %lu bit", got * 8);
	CHECK(drops > 1000, "drops %lu", drops);
	wan_dir_free(&d);
}

static void test_limit_packets(void)
{
	struct wan_dir d;
	int i, q = 0;

	setup(1000000);
	cfg.limit = 5;
	wan_dir_init(&d, &cfg, &sched, 0, 64);
	for (i = 0; i < 10; i++) {
		struct wan_pkt p = { .t_in = 0, .len = 1500 };

		q += wan_enqueue(&d, 0, &p) == WAN_QUEUED;
	}
	/* All arrive at once: five queue, none has finished serializing. */
	CHECK(q == 5, "queued %d", q);
	wan_dir_free(&d);
}

static void test_delay_jitter_order(void)
{
	struct wan_dir d;
	uint64_t last = 0, t;
	struct wan_pkt *p;
	int n = 0, bad = 0;

	setup(40000000);
	cfg.jitter_ns = 2 * MS;
	wan_dir_init(&d, &cfg, &sched, 0, 4096);
	for (t = 0; t < 100 * MS; t += MS) {
		struct wan_pkt in = { .t_in = t, .len = 100, .slot = n };

		wan_enqueue(&d, t, &in);
	}
	wan_service(&d, S);
	while ((p = wan_due(&d, S))) {
		uint64_t ser = (100 * 8 * S + 40000000 - 1) / 40000000;
		uint64_t extra = p->t_out - p->t_in;

		if (p->t_out < last || extra < 10 * MS + ser || extra > 12 * MS + ser)
			bad++;
		last = p->t_out;
		wan_fifo_pop(&d.line);
		n++;
	}
	CHECK(n == 100 && !bad, "n=%d bad=%d", n, bad);
	wan_dir_free(&d);
}

static void test_red(void)
{
	struct wan_dir d;
	uint64_t drops;

	setup(10000000);
	cfg.limit = 100;
	cfg.red = true;
	cfg.red_min = 5;
	cfg.red_max = 30;
	cfg.red_pmax = 0.1;
	cfg.red_w = 0.02;
	wan_dir_init(&d, &cfg, &sched, 0, 4096);
	offer(&d, 20000000, &drops);
	/* The average never reaches the limit: RED, not the tail, drops. */
	CHECK(drops > 500, "drops %lu", drops);
	CHECK(d.q[1].n < 100, "queue %u", d.q[1].n);
	wan_dir_free(&d);
}

static void test_committed(void)
{
	struct wan_dir d;
	uint64_t t, ef = 0, be = 0;
	struct wan_pkt *p;

	setup(5000000);
	cfg.cir_bps = 5000000;
	cfg.cir_burst = 3000;
	cfg.limit = 50;
	wan_dir_init(&d, &cfg, &sched, 0, 8192);
	/* 4 Mbit/s committed and 20 Mbit/s best effort into 10 Mbit/s. */
	for (t = 0; t < S; t += 400000) {
		struct wan_pkt c = { .t_in = t, .len = 200, .committed = 1 };
		struct wan_pkt b = { .t_in = t, .len = 1000 };

		wan_enqueue(&d, t, &c);
		wan_enqueue(&d, t, &b);
		wan_service(&d, t);
		while ((p = wan_due(&d, t))) {
			if (p->committed)
				ef += p->len;
			else
				be += p->len;
			wan_fifo_pop(&d.line);
		}
	}
	CHECK(ef * 8 > 3800000, "committed got %lu bit", ef * 8);
	CHECK(be * 8 > 5500000, "best effort got %lu bit", be * 8);
	wan_dir_free(&d);
}

int main(void)
{
	RUN(test_rate_parse);
	RUN(test_sched);
	RUN(test_rate_and_tail);
	RUN(test_limit_packets);
	RUN(test_delay_jitter_order);
	RUN(test_red);
	RUN(test_committed);
	return unit_done();
}
