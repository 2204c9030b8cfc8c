// SPDX-License-Identifier: GPL-2.0
/*
 * The path monitor fed by hand: segments of 1000 bytes spread evenly over
 * 1 s windows at known rates, with known downstream losses, so every rate,
 * verdict and limit below is worked out in the comment beside its check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "monitor.h"
#include "unit.h"

#define SEC 1000000000ULL
#define SEG 1000

static struct mon_window got[64];
static int ngot;
static uint64_t drops_now;

static void on_window(void *ctx, const struct mon_window *w)
{
	(void)ctx;
	if (ngot < 64)
		got[ngot++] = *w;
}

static uint64_t our_drops(void *ctx)
{
	(void)ctx;
	return drops_now;
}

static void setup(struct monitor *m, bool drops)
{
	struct monitor_opts o = { .window_ns = SEC, .on_window = on_window,
				  .our_drops = drops ? our_drops : NULL };

	ngot = 0;
	monitor_init(m, &o);
	CHECK(monitor_add_path(m, "wan:198.18.10.0/23=198.18.20.0/24") == 0, "add");
}

/*
 * One second from @t0 (s): @segs outbound segments, every @lose_every-th
 * of them (0: none) followed by a downstream retransmission of 1000
 * bytes, each with RTT sample @rtt_us (0: none).
 */
static void second(struct monitor *m, uint64_t t0, int segs, int lose_every, uint64_t rtt_us,
		   bool spurious)
{
	for (int i = 0; i < segs; i++) {
		uint64_t ts = t0 * SEC + (uint64_t)i * SEC / segs + 1;
		struct mon_seg s = { .ts_ns = ts, .outbound = true, .bytes = SEG,
				     .rtt_ns = rtt_us * 1000 };

		monitor_tick(m, ts);
		monitor_segment(m, 0, &s);
		if (lose_every && i % lose_every == lose_every - 1) {
			s.retrans = true;
			s.downstream = !spurious;
			s.spurious = spurious;
			s.rtt_ns = 0;
			monitor_segment(m, 0, &s);
		}
	}
}

static void test_monitor_parse(void)
{
	struct monitor m;

	drops_now = 0;
	bool out;
	int idx;
	uint8_t a[16] = { 198, 18, 11, 7 }, b[16] = { 198, 18, 20, 1 }, c[16] = { 198, 18, 12, 1 };
	struct mon_key ab = { .family = 4, .src = a, .dst = b, .dscp_fwd = 0, .dscp_rev = 0 };
	struct mon_key ba = { .family = 4, .src = b, .dst = a, .dscp_fwd = 0, .dscp_rev = 0 };
	struct mon_key cb = { .family = 4, .src = c, .dst = b, .dscp_fwd = 0, .dscp_rev = 0 };

	setup(&m, false);
	CHECK(!strcmp(m.path[0].name, "wan"), "name %s", m.path[0].name);
	CHECK(m.path[0].src[0].len == 23 && m.path[0].dst[0].len == 24, "lens");
	CHECK(m.path[0].dscp == MON_ANY && m.path[0].port == MON_ANY, "no class");
	/* 198.18.11.7 lies in 198.18.10.0/23; .12.1 does not. */
	CHECK(monitor_match(&m, &ab, &idx, &out, 1) == 1 && idx == 0 && out, "outbound");
	CHECK(monitor_match(&m, &ba, &idx, &out, 1) == 1 && idx == 0 && !out, "inbound");
	CHECK(monitor_match(&m, &cb, &idx, &out, 1) == 0, "outside");
	CHECK(monitor_add_path(&m, "2001:db8::/32=2001:db9::/32") == 1, "v6 without name");
	CHECK(!strcmp(m.path[1].name, "path1"), "default name %s", m.path[1].name);
	CHECK(monitor_add_path(&m, "198.18.0.0/33=198.18.1.0/24") == -EINVAL, "bad len");
	CHECK(monitor_add_path(&m, "198.18.0.0/24=2001:db8::/32") == -EINVAL, "mixed");
	CHECK(monitor_add_path(&m, "198.18.0.0/24") == -EINVAL, "no =");
	/* Classes after '@', each once; an IPv6 pair with a name and a class. */
	CHECK(monitor_add_path(&m, "bulk:198.18.10.0/23=198.18.20.0/24@dscp=8@port=5201") == 2,
	      "class");
	CHECK(m.path[2].dscp == 8 && m.path[2].port == 5201 && !strcmp(m.path[2].name, "bulk"),
	      "class parsed %d %d %s", m.path[2].dscp, m.path[2].port, m.path[2].name);
	CHECK(monitor_add_path(&m, "v6:2001:db8::/32=2001:db9::/32@port=443") == 3, "v6 class");
	CHECK(m.path[3].port == 443 && m.path[3].dst[0].family == 6, "v6 class parsed");
	CHECK(monitor_add_path(&m, "x:198.18.0.0/24=198.18.1.0/24@dscp=64") == -EINVAL, "dscp 64");
	CHECK(monitor_add_path(&m, "x:198.18.0.0/24=198.18.1.0/24@port=0") == -EINVAL, "port 0");
	CHECK(monitor_add_path(&m, "x:198.18.0.0/24=198.18.1.0/24@tos=8") == -EINVAL, "tos");
	CHECK(monitor_add_path(&m, "x:198.18.0.0/24=198.18.1.0/24@dscp=8@dscp=10") == -EINVAL,
	      "dscp twice");
	CHECK(monitor_add_path(&m, "x:198.18.0.0/24=198.18.1.0/24@") == -EINVAL, "empty class");
	CHECK(monitor_add_path(&m, "x:198.18.0.0/24=198.18.1.0/24@dscp=-1") == -EINVAL, "dscp -1");
	CHECK(monitor_add_path(&m, "x:198.18.0.0/ 24=198.18.1.0/24") == -EINVAL, "space");
	while (m.npaths < MON_MAX_PATHS)
		CHECK(monitor_add_path(&m, "198.18.0.0/24=198.18.1.0/24") >= 0, "fill");
	CHECK(monitor_add_path(&m, "198.18.0.0/24=198.18.1.0/24") == -ENOSPC, "full");
}

/*
 * A segment in several paths: the whole site pair, its DSCP 8 class, its
 * port 5201 class and a narrower subnet; each gets it. An inbound pure ACK
 * (DSCP 0 on the wire) of a DSCP 8 flow counts to the DSCP 8 class: the key
 * carries the flow's outbound data's DSCP.
 */
static void test_monitor_classes(void)
{
	struct monitor m;
	uint8_t a[16] = { 198, 18, 10, 5 }, b[16] = { 198, 18, 20, 9 }, a2[16] = { 198, 18, 11, 5 };
	struct mon_key k = { .family = 4, .src = a, .dst = b, .sport = 40000, .dport = 5201,
			     .dscp_fwd = 8, .dscp_rev = MON_ANY };
	int idx[MON_MAX_PATHS];
	bool out[MON_MAX_PATHS];

	drops_now = 0;
	setup(&m, false);	/* 0: wan 198.18.10.0/23=198.18.20.0/24 */
	CHECK(monitor_add_path(&m, "ef:198.18.10.0/23=198.18.20.0/24@dscp=46") == 1, "ef");
	CHECK(monitor_add_path(&m, "cs1:198.18.10.0/23=198.18.20.0/24@dscp=8") == 2, "cs1");
	CHECK(monitor_add_path(&m, "iperf:198.18.10.0/23=198.18.20.0/24@port=5201") == 3, "port");
	CHECK(monitor_add_path(&m, "sub:198.18.10.0/24=198.18.20.0/28") == 4, "subnet");
	/* Outbound data, DSCP 8, to port 5201, from 198.18.10.5: wan, cs1, iperf, sub. */
	CHECK(monitor_match(&m, &k, idx, out, MON_MAX_PATHS) == 4, "four paths");
	CHECK(idx[0] == 0 && idx[1] == 2 && idx[2] == 3 && idx[3] == 4, "which %d %d %d %d",
	      idx[0], idx[1], idx[2], idx[3]);
	CHECK(out[0] && out[1] && out[2] && out[3], "all outbound");
	/* @max bounds what is written. */
	CHECK(monitor_match(&m, &k, idx, out, 2) == 2 && idx[1] == 2, "max");
	/* Its inbound ACK: DSCP 0 on the wire, but the flow's outbound data is DSCP 8. */
	k = (struct mon_key){ .family = 4, .src = b, .dst = a, .sport = 5201, .dport = 40000,
			      .dscp_fwd = 0, .dscp_rev = 8 };
	CHECK(monitor_match(&m, &k, idx, out, MON_MAX_PATHS) == 4 && idx[1] == 2 && !out[1],
	      "inbound ack in its class");
	/* From 198.18.11.5: not in the /24 subnet; another port: not iperf. */
	k = (struct mon_key){ .family = 4, .src = a2, .dst = b, .sport = 40001, .dport = 80,
			      .dscp_fwd = 46, .dscp_rev = 0 };
	CHECK(monitor_match(&m, &k, idx, out, MON_MAX_PATHS) == 2 && idx[0] == 0 && idx[1] == 1,
	      "wan and ef only");
	/* Unknown outbound DSCP (an inbound segment first): no DSCP class. */
	k = (struct mon_key){ .family = 4, .src = b, .dst = a2, .sport = 80, .dport = 40001,
			      .dscp_fwd = 0, .dscp_rev = MON_ANY };
	CHECK(monitor_match(&m, &k, idx, out, MON_MAX_PATHS) == 1 && idx[0] == 0, "unknown dscp");

	/* Fed to both: the whole path and the class see the same 1250 segments/s. */
	for (int i = 0; i < 1250; i++) {
		uint64_t ts = (uint64_t)i * SEC / 1250 + 1;
		struct mon_seg s = { .ts_ns = ts, .outbound = true, .bytes = SEG };

		monitor_tick(&m, ts);
		monitor_segment(&m, 0, &s);
		monitor_segment(&m, 2, &s);
	}
	monitor_finish(&m, SEC);
	CHECK(ngot == 5, "windows %d", ngot);
	CHECK(got[0].offered_bps == 10000000 && got[2].offered_bps == 10000000 &&
	      got[1].offered_bps == 0, "rates %llu %llu %llu",
	      (unsigned long long)got[0].offered_bps, (unsigned long long)got[2].offered_bps,
	      (unsigned long long)got[1].offered_bps);
}

/* 1250 segments/s = 10 Mbit/s, no loss: under the limit, no estimate. */
static void test_monitor_under(void)
{
	struct monitor m;

	setup(&m, false);
	for (int s = 0; s < 3; s++)
		second(&m, (uint64_t)s, 1250, 0, 0, false);
	monitor_finish(&m, 3 * SEC);
	CHECK(ngot == 3, "windows %d", ngot);
	for (int i = 0; i < ngot; i++) {
		CHECK(got[i].offered_bps == 10000000, "offered %llu",
		      (unsigned long long)got[i].offered_bps);
		CHECK(got[i].delivered_bps == 10000000 && !got[i].delivered_from_acks, "delivered");
		CHECK(got[i].verdict == MON_UNDER, "verdict %d", got[i].verdict);
		CHECK(got[i].limit_bps == 0 && got[i].rtt_us == 0, "no limit, rtt unknown");
	}
}

/*
 * 2000 first transmissions/s (16 Mbit/s), every 8th lost downstream and
 * sent again: offered 2250 segs = 18 Mbit/s, lost 250 = 2 Mbit/s,
 * delivered 16 Mbit/s, loss share 250/2250 = 11.1%: over the limit from
 * the first window; the limit 16 Mbit/s (the goodput between first and
 * last loss: the same, the losses being even).
 */
static void test_monitor_over(void)
{
	struct monitor m;

	setup(&m, false);
	for (int s = 0; s < 4; s++)
		second(&m, (uint64_t)s, 2000, 8, 0, false);
	monitor_finish(&m, 4 * SEC);
	CHECK(ngot == 4, "windows %d", ngot);
	CHECK(got[0].verdict == MON_OVER, "over in the first window");
	CHECK(got[0].offered_bps == 18000000 && got[0].down_rtx_bps == 2000000, "rates %llu %llu",
	      (unsigned long long)got[0].offered_bps, (unsigned long long)got[0].down_rtx_bps);
	CHECK(got[0].delivered_bps == 16000000, "delivered %llu",
	      (unsigned long long)got[0].delivered_bps);
	CHECK(got[0].loss_share > 0.111 && got[0].loss_share < 0.112, "share %f", got[0].loss_share);
	/* Flach: 249 losses span 249/250 s; between them 249 * 7 segments got through + ... */
	CHECK(got[3].limit_bps > 15840000 && got[3].limit_bps < 16160000, "limit %llu",
	      (unsigned long long)got[3].limit_bps);
	CHECK(got[3].limit_start_ns >= 1, "limit window");
}

/*
 * A step down: 3 s delivering 40 Mbit/s with loss (5000 + 625 segs/s),
 * then 15 Mbit/s (1875 first + 1875/8 lost). Of the last 5 episodes, 3
 * are at 15 after 3 windows: the median says 15 Mbit/s.
 */
static void test_monitor_step(void)
{
	struct monitor m;

	setup(&m, false);
	for (int s = 0; s < 3; s++)
		second(&m, (uint64_t)s, 5000, 8, 0, false);
	for (int s = 3; s < 6; s++)
		second(&m, (uint64_t)s, 1875, 8, 0, false);
	monitor_finish(&m, 6 * SEC);
	CHECK(ngot == 6, "windows %d", ngot);
	CHECK(got[2].limit_bps > 39600000 && got[2].limit_bps < 40400000, "before %llu",
	      (unsigned long long)got[2].limit_bps);
	CHECK(got[5].limit_bps > 14850000 && got[5].limit_bps < 15150000, "after %llu",
	      (unsigned long long)got[5].limit_bps);
	CHECK(got[5].limit_max_bps > 39000000, "spread keeps the old episodes");
	/* A step up: 30 Mbit/s without loss is above the estimate's max: forget it. */
	setup(&m, false);
	second(&m, 0, 1875, 8, 0, false);
	second(&m, 1, 3750, 0, 0, false);
	second(&m, 2, 5000, 8, 0, false);
	monitor_finish(&m, 3 * SEC);
	CHECK(got[1].verdict == MON_UNDER, "no loss at 30");
	CHECK(got[2].limit_bps > 39600000 && got[2].limit_min_bps == got[2].limit_bps,
	      "only the new episode %llu", (unsigned long long)got[2].limit_bps);
}

/* Needless (D-SACKed) retransmissions are not loss. */
static void test_monitor_spurious(void)
{
	struct monitor m;

	setup(&m, false);
	second(&m, 0, 2000, 8, 0, true);
	monitor_finish(&m, SEC);
	CHECK(got[0].verdict == MON_UNDER, "verdict %d", got[0].verdict);
	CHECK(got[0].down_rtx_bps == 0 && got[0].spurious_share == 1.0, "spurious");
	CHECK(got[0].delivered_bps == 18000000, "delivered all %llu",
	      (unsigned long long)got[0].delivered_bps);
}

/*
 * Types by RTT: a first loss-free second at 10 ms gives the minimum; then
 * loss at 10.5 ms (+0.5 ms: policer), 30 ms (+20: shallow), 110 ms (+100: deep).
 */
static void test_monitor_type(void)
{
	static const struct {
		uint64_t rtt_us;
		enum mon_type t;
	} c[] = { { 10500, MON_POLICER }, { 30000, MON_SHALLOW }, { 110000, MON_DEEP } };

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct monitor m;

		setup(&m, false);
		second(&m, 0, 1000, 0, 10000, false);
		second(&m, 1, 1000, 8, c[i].rtt_us, false);
		monitor_finish(&m, 2 * SEC);
		CHECK(got[1].rtt_add_us == c[i].rtt_us - 10000, "add %llu",
		      (unsigned long long)got[1].rtt_add_us);
		CHECK(got[1].type == c[i].t, "case %zu type %d", i, got[1].type);
	}
}

/* ACKs seen: delivered is what they acknowledge; our drops are the counter's difference. */
static void test_monitor_acks_drops(void)
{
	struct monitor m;
	struct mon_seg ack = { .outbound = false, .acked = 1500 };

	drops_now = 100;		/* before the monitor started: not counted */
	setup(&m, true);
	for (int i = 0; i < 1000; i++) {
		ack.ts_ns = (uint64_t)i * SEC / 1000 + 1;
		monitor_tick(&m, ack.ts_ns);
		monitor_segment(&m, 0, &ack);
	}
	drops_now = 142;
	monitor_finish(&m, SEC);
	CHECK(got[0].delivered_from_acks && got[0].delivered_bps == 12000000, "acked %llu",
	      (unsigned long long)got[0].delivered_bps);
	CHECK(got[0].our_drops == 42 && m.path[0].our_drops == 42, "ours %llu",
	      (unsigned long long)got[0].our_drops);
}

/*
 * The RTT is the window's median: ACKs that waited out a loss recovery (a
 * tenth of them, 40 ms late) must not turn a policer into a queue.
 */
static void test_monitor_rtt_median(void)
{
	struct monitor m;

	setup(&m, false);
	second(&m, 0, 1000, 0, 10000, false);		/* the path's minimum: 10 ms */
	for (int i = 0; i < 1000; i++) {
		uint64_t ts = SEC + (uint64_t)i * SEC / 1000 + 1;
		struct mon_seg d = { .ts_ns = ts, .outbound = true, .bytes = SEG,
				     .rtt_ns = (i % 10 == 9 ? 50000 : 10500) * 1000ULL };

		monitor_tick(&m, ts);
		monitor_segment(&m, 0, &d);
		if (i % 8 == 7) {
			d.retrans = d.downstream = true;
			d.rtt_ns = 0;
			monitor_segment(&m, 0, &d);
		}
	}
	monitor_finish(&m, 2 * SEC);
	CHECK(got[1].rtt_us == 10500 && got[1].rtt_add_us == 500, "median %llu add %llu",
	      (unsigned long long)got[1].rtt_us, (unsigned long long)got[1].rtt_add_us);
	CHECK(got[1].verdict == MON_OVER && got[1].type == MON_POLICER, "verdict %d type %d",
	      got[1].verdict, got[1].type);
}

/*
 * The first lossy twentieth after loss-free ones holds the burst a full
 * bucket let through before the first drop: left out of the episode's rate.
 */
static void test_monitor_episode_start(void)
{
	struct monitor m;

	setup(&m, false);
	second(&m, 0, 400, 0, 0, false);			/* no loss: 3.2 Mbit/s */
	for (int k = 0; k < MON_SLOTS; k++) {
		int segs = k ? 50 : 100;			/* the burst in the first slice */

		for (int i = 0; i < segs; i++) {
			uint64_t ts = SEC + (uint64_t)k * SEC / MON_SLOTS +
				      (uint64_t)i * SEC / MON_SLOTS / segs + 1;
			struct mon_seg d = { .ts_ns = ts, .outbound = true, .bytes = SEG };

			monitor_tick(&m, ts);
			monitor_segment(&m, 0, &d);
			if (i % 5 == 4) {
				d.retrans = d.downstream = true;
				monitor_segment(&m, 0, &d);
			}
		}
	}
	monitor_finish(&m, 2 * SEC);
	/* 50 segments of SEG bytes got through in each of the 19 other 50 ms slices. */
	CHECK(got[1].verdict == MON_OVER && got[1].limit_bps == 50ULL * SEG * 8 * MON_SLOTS,
	      "limit %llu", (unsigned long long)got[1].limit_bps);
}

/* Rates are IP bits: headers count, also in what ACKs deliver (scaled by the data's share). */
static void test_monitor_ip_bits(void)
{
	struct monitor m;
	struct mon_seg d = { .outbound = true, .bytes = 1448, .hdr = 52 };
	struct mon_seg ack = { .outbound = false, .acked = 1448 };

	setup(&m, false);
	for (int i = 0; i < 1000; i++) {
		d.ts_ns = ack.ts_ns = (uint64_t)i * SEC / 1000 + 1;
		monitor_tick(&m, d.ts_ns);
		monitor_segment(&m, 0, &d);
		if (i % 10 == 9) {		/* every 10th lost downstream, re-sent */
			d.retrans = d.downstream = true;
			monitor_segment(&m, 0, &d);
			d.retrans = d.downstream = false;
		}
		monitor_segment(&m, 0, &ack);
	}
	monitor_finish(&m, SEC);
	CHECK(got[0].offered_bps == 1100ULL * 1500 * 8, "offered %llu",
	      (unsigned long long)got[0].offered_bps);
	CHECK(got[0].down_rtx_bps == 100ULL * 1500 * 8, "lost %llu",
	      (unsigned long long)got[0].down_rtx_bps);
	CHECK(got[0].delivered_from_acks && got[0].delivered_bps == 1000ULL * 1500 * 8,
	      "acked %llu", (unsigned long long)got[0].delivered_bps);
}

static struct mon_alarm alarms[32];
static int nalarms;

static void on_alarm(void *ctx, const struct mon_alarm *a)
{
	(void)ctx;
	if (nalarms < 32)
		alarms[nalarms++] = *a;
}

/*
 * The early alarm: 1000 segments a second of 1000 bytes, each ACKed at
 * once (8 Mbit/s). From 1.5 s every 10th is lost downstream (retransmitted,
 * never ACKed): the fourth loss, at 1.539 s, raises it (its ACKs since the
 * first loss span 34 ms, over 30); then one every 60 ms at most. Before
 * 1.5 s, one lost segment alone raises none.
 */
static void test_monitor_alarm(void)
{
	struct monitor_opts o = { .window_ns = SEC, .on_window = on_window, .on_alarm = on_alarm };
	struct monitor m;

	ngot = nalarms = 0;
	monitor_init(&m, &o);
	CHECK(monitor_add_path(&m, "wan:198.18.10.0/23=198.18.20.0/24") == 0, "add");
	for (int i = 0; i < 2000; i++) {
		uint64_t ts = (uint64_t)i * SEC / 1000 + 1;
		bool lost = (i >= 1500 && i % 10 == 9) || i == 700;
		struct mon_seg s = { .ts_ns = ts, .outbound = true, .bytes = SEG };
		struct mon_seg ack = { .ts_ns = ts, .outbound = false, .acked = lost ? 0 : SEG };

		monitor_tick(&m, ts);
		monitor_segment(&m, 0, &s);
		monitor_segment(&m, 0, &ack);
		if (lost) {
			s.retrans = s.downstream = true;
			monitor_segment(&m, 0, &s);
		}
	}
	monitor_finish(&m, 2 * SEC);
	/* 1.539, 1.599, ... 1.959 s. */
	CHECK(nalarms == 8, "%d alarms", nalarms);
	/* The fourth loss (i = 1539): ACKs from the 5 ms slice of the first (1.505 s on), 34 ms. */
	CHECK(alarms[0].ts_ns == 1539 * SEC / 1000 + 1 && alarms[0].down_segs == 4 &&
	      alarms[0].span_ns == 34 * SEC / 1000, "first at %llu, %u segs, span %llu",
	      (unsigned long long)alarms[0].ts_ns, alarms[0].down_segs,
	      (unsigned long long)alarms[0].span_ns);
	/*
	 * 35 segments ACKed but 4 (31 kB) and 39 sent (39 kB, retransmissions
	 * counted) over 34 ms: delivered 7.294 Mbit/s, offered 9.176.
	 */
	CHECK(alarms[0].delivered_bps / 1000 == 7294 && alarms[0].offered_bps / 1000 == 9176,
	      "delivered %llu offered %llu", (unsigned long long)alarms[0].delivered_bps,
	      (unsigned long long)alarms[0].offered_bps);
	for (int i = 1; i < nalarms; i++)
		CHECK(alarms[i].ts_ns >= alarms[i - 1].ts_ns + 60 * SEC / 1000 &&
		      alarms[i].ts_ns >= 1500 * SEC / 1000, "alarm %d at %llu", i,
		      (unsigned long long)alarms[i].ts_ns);
	CHECK(m.path[0].alarms == (uint64_t)nalarms && ngot == 2, "%llu alarms, %d windows",
	      (unsigned long long)m.path[0].alarms, ngot);
}

/* The SACK scoreboard: each byte delivered once, whether SACKed first or ACKed. */
static void test_monitor_sacked(void)
{
	struct mon_sacked b = { 0 };
	struct sack_block r[3];
	uint32_t base = 0xfffff000u;	/* across the wrap */

	CHECK(mon_sacked_update(&b, base, NULL, 0) == 0 && b.init, "init");
	CHECK(mon_sacked_update(&b, base + 1000, NULL, 0) == 1000, "plain ACK");
	/* 1000..2000 lost: 2000..5000 SACKed in three ACKs, one repeated. */
	r[0] = (struct sack_block){ base + 2000, base + 3000 };
	CHECK(mon_sacked_update(&b, base + 1000, r, 1) == 1000, "first SACK");
	r[0] = (struct sack_block){ base + 2000, base + 4000 };
	CHECK(mon_sacked_update(&b, base + 1000, r, 1) == 1000, "grown");
	CHECK(mon_sacked_update(&b, base + 1000, r, 1) == 0, "repeated");
	/* An island beyond a second hole, then the hole between filled. */
	r[0] = (struct sack_block){ base + 5000, base + 6000 };
	r[1] = (struct sack_block){ base + 2000, base + 4000 };
	CHECK(mon_sacked_update(&b, base + 1000, r, 2) == 1000 && b.n == 2, "island, %u", b.n);
	r[0] = (struct sack_block){ base + 4000, base + 5000 };
	CHECK(mon_sacked_update(&b, base + 1000, r, 1) == 1000 && b.n == 1, "merged, %u", b.n);
	/* The retransmission of 1000..2000 arrives: una jumps to 6000, only its 1000 new. */
	CHECK(mon_sacked_update(&b, base + 6000, NULL, 0) == 1000 && b.n == 0, "filled");
	/* A D-SACK below una counts nothing. */
	r[0] = (struct sack_block){ base + 1000, base + 2000 };
	CHECK(mon_sacked_update(&b, base + 6000, r, 1) == 0, "dsack");
	/* 17 islands: the 17th, above the rest with no room left, is not counted. */
	{
		uint32_t sum = 0;

		for (int i = 0; i < 17; i++) {
			r[0] = (struct sack_block){ base + 7000 + 2000 * i, base + 8000 + 2000 * i };
			sum += mon_sacked_update(&b, base + 6000, r, 1);
		}
		CHECK(sum == 16000 && b.n == MON_SACK_RANGES, "%u, %u", sum, b.n);
	}
	/* A jump of 2 GiB: taken as a new start. */
	CHECK(mon_sacked_update(&b, base + 0x80000000u, NULL, 0) == 0 && b.n == 0, "jump");
}

int main(void)
{
	RUN(test_monitor_parse);
	RUN(test_monitor_ip_bits);
	RUN(test_monitor_episode_start);
	RUN(test_monitor_rtt_median);
	RUN(test_monitor_classes);
	RUN(test_monitor_under);
	RUN(test_monitor_over);
	RUN(test_monitor_step);
	RUN(test_monitor_spurious);
	RUN(test_monitor_type);
	RUN(test_monitor_acks_drops);
	RUN(test_monitor_alarm);
	RUN(test_monitor_sacked);
	return unit_done();
}
