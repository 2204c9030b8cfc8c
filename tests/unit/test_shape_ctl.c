// SPDX-License-Identifier: GPL-2.0
/*
 * The shaper's controller: each rule on hand-made windows, then a closed
 * loop on a toy path whose capacity steps 40 → 15 → 30 Mbit/s (the lab's
 * 1/10 scale: floor 4.5, line 62.2 Mbit/s), windows of 0.5 s.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "unit.h"

#define MBIT 1000000ULL
#define SEC 1000000000ULL
#define WIN (SEC / 2)
#define FLOOR (4500 * 1000ULL)
#define LINE (62200 * 1000ULL)

static struct shape_ctl_cfg cfg_at(uint64_t start)
{
	struct shape_ctl_cfg cfg;

	shape_ctl_cfg_default(&cfg, FLOOR, LINE);
	cfg.start_bps = start;
	return cfg;
}

/* The rules one window at a time: a loss right after a cut is cut again. */
static struct shape_ctl_cfg cfg_at_nosettle(uint64_t start)
{
	struct shape_ctl_cfg cfg = cfg_at(start);

	cfg.settle_ns = 0;
	return cfg;
}

/* A window of the shaped path ending at @ts: a greedy sender (demand 100 Mbit/s) at R. */
static struct shape_ctl_in win(uint64_t ts, uint64_t offered, uint64_t delivered, uint64_t limit,
			       enum mon_type type)
{
	struct shape_ctl_in in = {
		.ts_ns = ts, .len_ns = WIN, .offered_bps = offered, .delivered_bps = delivered,
		.limit_bps = limit, .type = type, .demand_bps = 100 * MBIT,
	};

	in.loss_share = offered > delivered ? (double)(offered - delivered) / (double)offered : 0;
	in.verdict = in.loss_share >= MON_OVER_SHARE ? MON_OVER : MON_AT;
	return in;
}

/* Loss-free filled windows from @*ts up to (not past) @until: the decisions' reasons counted. */
static int hold_until(struct shape_ctl *c, uint64_t *ts, uint64_t until, const char *count)
{
	struct shape_decision d;
	int n = 0;

	while (*ts + WIN <= until) {
		struct shape_ctl_in in;

		*ts += WIN;
		in = win(*ts, c->r_bps, c->r_bps, 0, MON_TYPE_UNKNOWN);
		shape_ctl_window(c, &in, &d);
		n += !strcmp(d.reason, count);
	}
	return n;
}

static void test_start(void)
{
	struct shape_ctl_cfg cfg = cfg_at(0);
	struct shape_ctl c;
	struct shape_decision d;

	shape_ctl_init(&c, &cfg, 5 * SEC, &d);
	CHECK(!strcmp(d.reason, "start") && d.r_new_bps == FLOOR && !d.clamp && !d.has_in,
	      "%s %llu", d.reason, (unsigned long long)d.r_new_bps);
	cfg.start_bps = 100 * MBIT;
	shape_ctl_init(&c, &cfg, 5 * SEC, &d);
	CHECK(c.r_bps == LINE && d.clamp && !strcmp(d.clamp, "line"), "%llu", (unsigned long long)c.r_bps);
}

/* γ: 0.95 on a policer, 0.90 on a queue or unknown; the config's path type overrides. */
static void test_gamma_policer_vs_queue(void)
{
	static const struct {
		enum shape_path_type over;
		enum mon_type type;
		uint64_t want;
	} t[] = {
		{ SHAPE_PATH_AUTO, MON_POLICER, 28500 * 1000ULL },
		{ SHAPE_PATH_AUTO, MON_SHALLOW, 27 * MBIT },
		{ SHAPE_PATH_AUTO, MON_DEEP, 27 * MBIT },
		{ SHAPE_PATH_AUTO, MON_TYPE_UNKNOWN, 27 * MBIT },
		{ SHAPE_PATH_POLICER, MON_DEEP, 28500 * 1000ULL },
		{ SHAPE_PATH_QUEUE, MON_POLICER, 27 * MBIT },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct shape_ctl_cfg cfg = cfg_at(32 * MBIT);
		struct shape_ctl c;
		struct shape_decision d;
		/* 5% lost: not heavy; delivered 30, the monitor's limit 31 (above: not used). */
		struct shape_ctl_in in = win(WIN, 31578947, 30 * MBIT, 31 * MBIT, t[i].type);

		cfg.path_type = t[i].over;
		shape_ctl_init(&c, &cfg, 0, &d);
		CHECK(shape_ctl_window(&c, &in, &d), "case %zu unchanged", i);
		CHECK(d.r_new_bps == t[i].want && !strcmp(d.reason, "loss"), "case %zu: %llu %s", i,
		      (unsigned long long)d.r_new_bps, d.reason);
	}
}

/* L = min(the monitor's limit, delivered): a lower limit counts ... unless stale. */
static void test_loss_limit(void)
{
	struct shape_ctl_cfg cfg = cfg_at_nosettle(40 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in = win(WIN, 40 * MBIT, 38 * MBIT, 30 * MBIT, MON_POLICER);
	uint64_t ts = 0;

	shape_ctl_init(&c, &cfg, 0, &d);
	shape_ctl_window(&c, &in, &d);
	CHECK(d.r_new_bps == 28500 * 1000ULL, "limit 30 < delivered 38: %llu", (unsigned long long)d.r_new_bps);

	/* The path carried 36 loss-free since: a limit of 30 is from before a step up. */
	cfg.start_bps = 36 * MBIT;
	shape_ctl_init(&c, &cfg, 0, &d);
	hold_until(&c, &ts, SEC, "");
	CHECK(c.held_bps == 36 * MBIT, "%llu", (unsigned long long)c.held_bps);
	in = win(ts + WIN, 36 * MBIT, 35 * MBIT, 30 * MBIT, MON_POLICER);
	shape_ctl_window(&c, &in, &d);
	CHECK(d.r_new_bps == 33250 * 1000ULL, "stale limit used: %llu", (unsigned long long)d.r_new_bps);

	/* A loss never raises R, even when what the monitor saw delivered is above it. */
	in = win(ts + 2 * WIN, 40 * MBIT, 38 * MBIT, 0, MON_POLICER);
	shape_ctl_window(&c, &in, &d);
	CHECK(d.r_new_bps < d.r_old_bps, "%llu -> %llu", (unsigned long long)d.r_old_bps,
	      (unsigned long long)d.r_new_bps);
}

/* Windows centred within 1 s of a cut show its losses again: no second cut; the one after may cut. */
static void test_settle(void)
{
	struct shape_ctl_cfg cfg = cfg_at(40 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in = win(WIN, 40 * MBIT, 15 * MBIT, 0, MON_SHALLOW);

	shape_ctl_init(&c, &cfg, 0, &d);
	CHECK(shape_ctl_window(&c, &in, &d) && d.r_new_bps == 13500 * 1000ULL, "%s %llu", d.reason,
	      (unsigned long long)d.r_new_bps);
	in = win(2 * WIN, 13500 * 1000ULL, 10 * MBIT, 0, MON_SHALLOW);
	CHECK(!shape_ctl_window(&c, &in, &d) && !strcmp(d.reason, "settle"), "%s", d.reason);
	in = win(3 * WIN, 13500 * 1000ULL, 12500 * 1000ULL, 0, MON_SHALLOW);
	CHECK(!shape_ctl_window(&c, &in, &d) && !strcmp(d.reason, "settle"), "%s", d.reason);
	in = win(4 * WIN, 13500 * 1000ULL, 12500 * 1000ULL, 0, MON_SHALLOW);
	CHECK(shape_ctl_window(&c, &in, &d) && !strcmp(d.reason, "loss") &&
	      d.r_new_bps == 11250 * 1000ULL, "%s %llu", d.reason, (unsigned long long)d.r_new_bps);
}

/* Probes held in a row: the step doubles (10%, 20%, 40%, then 50% of R at most). */
static void test_step_grows(void)
{
	struct shape_ctl_cfg cfg = cfg_at(10 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	uint64_t ts = 0, want[] = { 11000, 13200, 18480, 27720 };
	unsigned int k = 0;

	shape_ctl_init(&c, &cfg, 0, &d);
	for (int i = 0; i < 200 && k < 4; i++) {
		struct shape_ctl_in in;

		ts += WIN;
		in = win(ts, c.r_bps, c.r_bps, 0, MON_SHALLOW);
		if (shape_ctl_window(&c, &in, &d) && !strcmp(d.reason, "probe")) {
			CHECK(d.r_new_bps == want[k] * 1000ULL, "probe %u: %llu", k,
			      (unsigned long long)d.r_new_bps);
			k++;
		}
	}
	CHECK(k == 4, "%u probes", k);
}

/*
 * Short windows, near a loss: a probe is held after 500 ms loss-free, so a
 * loss in its second window fails it. Far from any, after one window.
 */
static void test_probe_hold(void)
{
	struct shape_ctl_cfg cfg = cfg_at(10 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	uint64_t ts = 0, q = WIN / 2;	/* 250 ms windows */
	struct shape_ctl_in in;
	int i;

	shape_ctl_init(&c, &cfg, 0, &d);
	/* Near a loss: a cut at 9.9 (the path's limit) first. */
	ts += q;
	in = win(ts, c.r_bps, 9900 * 1000ULL, 0, MON_SHALLOW);
	in.len_ns = q;
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "loss") && c.r_bps == 8910 * 1000ULL, "%s %llu", d.reason,
	      (unsigned long long)c.r_bps);
	for (i = 0; i < 40; i++) {
		ts += q;
		in = win(ts, c.r_bps, c.r_bps, 0, MON_SHALLOW);
		in.len_ns = q;
		shape_ctl_window(&c, &in, &d);
		if (!strcmp(d.reason, "probe"))
			break;
	}
	CHECK(i < 40 && c.probing, "no probe in 10 s");
	ts += q;
	in = win(ts, c.r_bps, c.r_bps, 0, MON_SHALLOW);
	in.len_ns = q;
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "probe_wait") && c.probing, "%s", d.reason);
	ts += q;
	in = win(ts, c.r_bps, c.r_bps * 95 / 100, 0, MON_SHALLOW);
	in.len_ns = q;
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "probe_failed") && c.interval_ns == 4 * SEC, "%s %llu", d.reason,
	      (unsigned long long)c.interval_ns);

	/* No loss yet: held after its window, the next (20%) in the same decision. */
	shape_ctl_init(&c, &cfg, 0, &d);
	ts = 2 * SEC;
	in = win(ts, c.r_bps, c.r_bps, 0, MON_SHALLOW);
	in.len_ns = q;
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "probe") && c.r_bps == 11 * MBIT, "%s %llu", d.reason,
	      (unsigned long long)c.r_bps);
	ts += q;
	in = win(ts, c.r_bps, c.r_bps, 0, MON_SHALLOW);
	in.len_ns = q;
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "probe") && c.good_bps == 11 * MBIT && c.r_bps == 13200 * 1000ULL,
	      "%s %llu", d.reason, (unsigned long long)c.r_bps);
}

static void test_heavy_loss(void)
{
	struct shape_ctl_cfg cfg = cfg_at_nosettle(40 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	/* 60% lost: the monitor's limit (38, from older episodes) lags; cut to γ·15. */
	struct shape_ctl_in in = win(WIN, 40 * MBIT, 16 * MBIT, 38 * MBIT, MON_POLICER);

	shape_ctl_init(&c, &cfg, 0, &d);
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "heavy_loss") && d.r_new_bps == 15200 * 1000ULL, "%s %llu", d.reason,
	      (unsigned long long)d.r_new_bps);
	/* Just under 10%: an ordinary loss. */
	in = win(2 * WIN, 15200 * 1000ULL, 13700 * 1000ULL, 0, MON_POLICER);
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "loss"), "%s %.3f", d.reason, in.loss_share);
	/* The cut below the floor stops at the floor. */
	in = win(3 * WIN, 13 * MBIT, 2 * MBIT, 0, MON_POLICER);
	shape_ctl_window(&c, &in, &d);
	CHECK(d.r_new_bps == FLOOR && d.clamp && !strcmp(d.clamp, "floor"), "%llu",
	      (unsigned long long)d.r_new_bps);
	/* ... and a loss at the floor leaves R there: no change. */
	in = win(4 * WIN, FLOOR, FLOOR / 2, 0, MON_POLICER);
	CHECK(!shape_ctl_window(&c, &in, &d) && d.r_new_bps == FLOOR, "%llu", (unsigned long long)d.r_new_bps);
}

/* Demand under 0.9 R: nothing learnt, no probe however long. */
static void test_low_demand_hold(void)
{
	struct shape_ctl_cfg cfg = cfg_at(20 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	int held = 0, probes = 0;

	shape_ctl_init(&c, &cfg, 0, &d);
	for (uint64_t ts = WIN; ts <= 30 * SEC; ts += WIN) {
		struct shape_ctl_in in = win(ts, 17 * MBIT, 17 * MBIT, 0, MON_TYPE_UNKNOWN);

		in.demand_bps = 17 * MBIT;
		if (ts > 20 * SEC)
			in.demand_bps = 0;	/* unknown: the offered rate stands for it */
		probes += shape_ctl_window(&c, &in, &d);
		held += !strcmp(d.reason, "hold_low_demand");
	}
	CHECK(probes == 0 && held == 60 && c.r_bps == 20 * MBIT, "probes %d held %d", probes, held);

	/* Our queues dropping is no demand at R: a class's own ceiling or leaf drops too. */
	{
		struct shape_ctl_in in = win(31 * SEC, 17 * MBIT, 17 * MBIT, 0, MON_TYPE_UNKNOWN);

		in.demand_bps = 17 * MBIT;
		in.our_drops = 3;
		CHECK(!shape_ctl_window(&c, &in, &d) && !strcmp(d.reason, "hold_low_demand"), "%s",
		      d.reason);
	}
}

/* Probe timing, step, held/failed, backoff 2 → 4 → 4, back to base on a new good R. */
static void test_probe_backoff(void)
{
	struct shape_ctl_cfg cfg = cfg_at(10 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in;
	uint64_t ts = 0;

	shape_ctl_init(&c, &cfg, 0, &d);
	CHECK(hold_until(&c, &ts, 2 * SEC - WIN, "probe") == 0, "probe before 2 s");
	CHECK(hold_until(&c, &ts, 2 * SEC, "probe") == 1, "no probe at 2 s");
	/* 10% of 10 = 1 Mbit/s beats 1% of the line (0.622). */
	CHECK(c.r_bps == 11 * MBIT && c.probing, "%llu", (unsigned long long)c.r_bps);
	/* Held after its window; no loss yet: the next, 20%, at once. */
	hold_until(&c, &ts, ts + WIN, "");
	CHECK(c.good_bps == 11 * MBIT && c.interval_ns == 2 * SEC && c.probing &&
	      c.r_bps == 13200 * 1000ULL, "held");

	/* At 6 Mbit/s 1% of the line is the larger step. */
	cfg.start_bps = 6 * MBIT;
	shape_ctl_init(&c, &cfg, 0, &d);
	ts = 0;
	hold_until(&c, &ts, 2 * SEC, "");
	CHECK(c.r_bps == 6 * MBIT + 622000, "%llu", (unsigned long long)c.r_bps);

	/* Path limit 11.5: probes from 11 to 12.1 fail; back to the good 11. */
	cfg.start_bps = 11 * MBIT;
	shape_ctl_init(&c, &cfg, 0, &d);
	ts = 0;
	for (int k = 0; k < 4; k++) {
		static const uint64_t want[] = { 4 * SEC, 4 * SEC, 4 * SEC, 4 * SEC };
		uint64_t t0 = ts;
		int n = 0;

		while (!c.probing && ts < t0 + 20 * SEC) {
			ts += WIN;
			in = win(ts, c.r_bps, c.r_bps, 0, MON_POLICER);
			shape_ctl_window(&c, &in, &d);
		}
		n = (int)((ts - t0) / WIN);
		CHECK(k == 0 || n == (int)(want[k - 1] / WIN), "probe %d after %d windows", k, n);
		/* From 11, then from 10.925 (γ·11.5): above the limit either way. */
		CHECK(!strcmp(d.reason, "probe") && c.r_bps > 12 * MBIT, "%s %llu", d.reason,
		      (unsigned long long)c.r_bps);
		ts += WIN;
		in = win(ts, c.r_bps, 11500 * 1000ULL, 11500 * 1000ULL, MON_POLICER);
		shape_ctl_window(&c, &in, &d);
		CHECK(!strcmp(d.reason, "probe_failed") && d.r_new_bps == 10925 * 1000ULL,
		      "%s %llu", d.reason, (unsigned long long)d.r_new_bps);
		CHECK(c.interval_ns == want[k], "interval %llu", (unsigned long long)c.interval_ns);
	}
	/* The path grows: the next probe holds above the good rate, the interval is 2 s again. */
	hold_until(&c, &ts, ts + 4 * SEC, "");
	CHECK(c.probing, "no probe after 4 s");
	{
		uint64_t probe = c.r_bps;

		hold_until(&c, &ts, ts + WIN, "");
		CHECK(c.interval_ns == 2 * SEC && c.good_bps == probe, "%llu",
		      (unsigned long long)c.interval_ns);
	}
}

/* A probe back up to a rate already good holds but keeps the backoff. */
static void test_probe_back_to_good(void)
{
	struct shape_ctl_cfg cfg = cfg_at(14850 * 1000ULL);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in;
	uint64_t ts = 0;

	shape_ctl_init(&c, &cfg, 0, &d);
	hold_until(&c, &ts, 2 * SEC, "");
	CHECK(c.r_bps == 16335 * 1000ULL, "%llu", (unsigned long long)c.r_bps);
	in = win(ts += WIN, c.r_bps, 15 * MBIT, 0, MON_SHALLOW);
	shape_ctl_window(&c, &in, &d);
	/* γ·15 = 13.5 is under the good 14.85, which the limit 15 leaves good. */
	CHECK(d.r_new_bps == 13500 * 1000ULL && c.good_bps == 14850 * 1000ULL && c.interval_ns == 4 * SEC,
	      "%llu %llu", (unsigned long long)d.r_new_bps, (unsigned long long)c.good_bps);
	CHECK(hold_until(&c, &ts, ts + 4 * SEC, "probe") == 1 && c.r_bps == 14850 * 1000ULL, "%llu",
	      (unsigned long long)c.r_bps);
	CHECK(hold_until(&c, &ts, ts + WIN, "probe_held") == 1 && c.interval_ns == 4 * SEC, "%llu",
	      (unsigned long long)c.interval_ns);
	CHECK(hold_until(&c, &ts, ts + 4 * SEC - WIN, "probe") == 1, "no probe 4 s after");
}

/* After a cut, no probe for one base interval; at the line, no probe at all. */
static void test_settle_and_line(void)
{
	struct shape_ctl_cfg cfg = cfg_at(30 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in;
	uint64_t ts = 0;

	shape_ctl_init(&c, &cfg, 0, &d);
	hold_until(&c, &ts, 1500 * 1000000ULL, "");
	in = win(ts += WIN, 30 * MBIT, 25 * MBIT, 0, MON_SHALLOW);
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "heavy_loss") && c.r_bps == 22500 * 1000ULL, "%s", d.reason);
	CHECK(hold_until(&c, &ts, ts + 2 * SEC - WIN, "probe") == 0, "probe while settling");
	CHECK(hold_until(&c, &ts, ts + WIN, "probe") == 1, "no probe 2 s after the cut");

	cfg.start_bps = 60 * MBIT;
	shape_ctl_init(&c, &cfg, 0, &d);
	ts = 0;
	hold_until(&c, &ts, 2 * SEC - WIN, "");
	in = win(ts += WIN, c.r_bps, c.r_bps, 0, MON_SHALLOW);
	CHECK(shape_ctl_window(&c, &in, &d) && c.r_bps == LINE && d.clamp && !strcmp(d.clamp, "line"),
	      "%llu", (unsigned long long)c.r_bps);
	CHECK(hold_until(&c, &ts, ts + 20 * SEC, "probe") == 0, "probing at the line");
}

static void test_blind(void)
{
	struct shape_ctl_cfg cfg = cfg_at(30 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in;

	shape_ctl_init(&c, &cfg, 10 * SEC, &d);
	CHECK(!shape_ctl_blind(&c, 13 * SEC - 1, &d), "blind before 3 s");
	CHECK(shape_ctl_blind(&c, 13 * SEC, &d) && !strcmp(d.reason, "blind") && d.r_new_bps == FLOOR &&
	      d.r_old_bps == 30 * MBIT && !d.has_in, "%s", d.reason);
	CHECK(!shape_ctl_blind(&c, 20 * SEC, &d), "blind twice");
	/* Windows return: R climbs back from the floor; the blind clock restarts. */
	in = win(21 * SEC, FLOOR, FLOOR, 0, MON_TYPE_UNKNOWN);
	shape_ctl_window(&c, &in, &d);
	CHECK(!c.blind && !strcmp(d.reason, "probe") && d.r_old_bps == FLOOR, "%s", d.reason);
	CHECK(!shape_ctl_blind(&c, 23 * SEC, &d), "blind 2 s after a window");
	CHECK(shape_ctl_blind(&c, 24 * SEC, &d), "not blind 3 s after a window");
}

static void test_decision_json(void)
{
	struct shape_ctl_cfg cfg = cfg_at(20 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in = win(SEC, 20 * MBIT, 19 * MBIT, 0, MON_SHALLOW);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;
	const char *want =
		"{\"type\":\"decision\",\"ts_ns\":0,\"r_old_bps\":0,\"r_new_bps\":20000000,"
		"\"reason\":\"start\",\"clamp\":null,\"in\":null}\n"
		"{\"type\":\"decision\",\"ts_ns\":1000000000,\"r_old_bps\":20000000,"
		"\"r_new_bps\":17100000,\"reason\":\"loss\",\"clamp\":null,\"in\":{\"window_ns\":500000000,"
		"\"offered_bps\":20000000,\"delivered_bps\":19000000,\"episode_bps\":null,\"loss_share\":0.0500,"
		"\"verdict\":\"over_limit\",\"limit_bps\":null,\"path_type\":\"shallow_queue\","
		"\"our_drops\":4,\"demand_bps\":100000000}}\n";

	json_init(&j, f, false);
	shape_ctl_init(&c, &cfg, 0, &d);
	shape_decision_json(&j, &d);
	json_end_line(&j);
	in.our_drops = 4;
	shape_ctl_window(&c, &in, &d);
	shape_decision_json(&j, &d);
	json_end_line(&j);
	fclose(f);
	CHECK(!strcmp(buf, want), "got  %s\nwant %s", buf, want);
	free(buf);
}

/* ---- the closed loop ---- */

#define SIM_END (90 * SEC)
#define SIM_DEMAND (100 * MBIT)

static const uint64_t step_at[3] = { 0, 20 * SEC, 50 * SEC };

static int phase_of(uint64_t t)
{
	return t < step_at[1] ? 0 : t < step_at[2] ? 1 : 2;
}

static uint64_t cap_of(uint64_t t)
{
	static const uint64_t cap[3] = { 40 * MBIT, 15 * MBIT, 30 * MBIT };

	return cap[phase_of(t)];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The monitor's limit, simulated: the median of the last 5 lossy windows' delivered rates. */
struct sim_mon {
	uint64_t ep[5];
	unsigned int n, next;
};

static uint64_t sim_limit(const struct sim_mon *m)
{
	uint64_t v[5];

	if (!m->n)
		return 0;
	memcpy(v, m->ep, sizeof(v));
	qsort(v, m->n, sizeof(v[0]), cmp_u64);
	return v[m->n / 2];
}

struct sim_res {
	int64_t settled[3];		/* ns after the step; -1: never */
	int loss_after[3];		/* lossy windows once settled */
	int loss_not_probe;		/* ... not right after a probe */
	/*
	 * Between lossy windows once settled, in a phase: the first gap (the
	 * backoff from 2 s to 4 s), the later ones (4 s to 8 s and at 8 s).
	 */
	uint64_t min_gap_first, min_gap_later;
	uint64_t rmin, rmax;
	int loss_total;
};

/* The path for the window [ts - WIN, ts) at rate R: a greedy sender, loss above C. */
static struct shape_ctl_in sim_window(struct sim_mon *m, uint64_t ts, uint64_t r, enum mon_type type)
{
	uint64_t c = cap_of(ts - WIN);
	uint64_t off = r < SIM_DEMAND ? r : SIM_DEMAND;
	struct shape_ctl_in in = win(ts, off, off < c ? off : c, 0, type);

	in.demand_bps = SIM_DEMAND;
	in.our_drops = (SIM_DEMAND - off) / 2 / (8 * 1514);
	if (in.verdict == MON_OVER) {
		m->ep[m->next] = in.delivered_bps;
		m->next = (m->next + 1) % 5;
		m->n += m->n < 5;
	} else if (off < c * 95 / 100) {
		in.verdict = MON_UNDER;
	}
	in.limit_bps = sim_limit(m);
	return in;
}

static void sim_run(enum mon_type type, struct sim_res *res)
{
	struct shape_ctl_cfg cfg = cfg_at(LINE);
	struct shape_ctl c;
	struct shape_decision d;
	struct sim_mon m = { 0 };
	int64_t settled_ts[3] = { -1, -1, -1 };
	uint64_t last_loss = 0;
	bool after_probe = false;

	memset(res, 0, sizeof(*res));
	res->rmin = UINT64_MAX;
	res->min_gap_first = res->min_gap_later = UINT64_MAX;
	shape_ctl_init(&c, &cfg, 0, &d);
	for (uint64_t ts = WIN; ts <= SIM_END; ts += WIN) {
		struct shape_ctl_in in = sim_window(&m, ts, c.r_bps, type);
		int p = phase_of(ts - WIN);
		bool lossy = in.verdict == MON_OVER;

		if (ts > WIN && p != phase_of(ts - 2 * WIN))
			last_loss = 0;	/* gaps are counted within a phase */
		res->loss_total += lossy;
		if (lossy && settled_ts[p] >= 0) {
			uint64_t *gap = res->loss_after[p] == 1 ? &res->min_gap_first : &res->min_gap_later;

			res->loss_after[p]++;
			res->loss_not_probe += !after_probe;
			if (last_loss && ts - last_loss < *gap)
				*gap = ts - last_loss;
			last_loss = ts;
		}
		shape_ctl_window(&c, &in, &d);
		if (getenv("SIM_TRACE"))
			printf("  # %6.1f C %5.2f off %5.2f del %5.2f lim %5.2f -> R %5.2f %s\n", ts / 1e9,
			       cap_of(ts - WIN) / 1e6, in.offered_bps / 1e6, in.delivered_bps / 1e6,
			       in.limit_bps / 1e6, d.r_new_bps / 1e6, d.reason);
		after_probe = !strcmp(d.reason, "probe");
		res->rmin = d.r_new_bps < res->rmin ? d.r_new_bps : res->rmin;
		res->rmax = d.r_new_bps > res->rmax ? d.r_new_bps : res->rmax;
		/* R from this decision runs the next window, under C(ts); a probe may be above. */
		p = phase_of(ts);
		if (after_probe)
			continue;
		if (d.r_new_bps < cap_of(ts) * 85 / 100 || d.r_new_bps > cap_of(ts))
			settled_ts[p] = -1;
		else if (settled_ts[p] < 0)
			settled_ts[p] = (int64_t)ts;
	}
	for (int p = 0; p < 3; p++)
		res->settled[p] = settled_ts[p] < 0 ? -1 : settled_ts[p] - (int64_t)step_at[p];
}

static void sim_check(enum mon_type type)
{
	struct sim_res r;

	sim_run(type, &r);
	printf("  # %s: settled %.1f / %.1f / %.1f s after each step, R %.2f..%.2f Mbit/s, "
	       "lossy windows %d (once settled: %d %d %d), gaps >= %.1f then >= %.1f s\n",
	       mon_type_name[type], r.settled[0] / 1e9, r.settled[1] / 1e9, r.settled[2] / 1e9,
	       r.rmin / 1e6, r.rmax / 1e6, r.loss_total, r.loss_after[0], r.loss_after[1],
	       r.loss_after[2], r.min_gap_first / 1e9, r.min_gap_later / 1e9);
	CHECK(r.settled[0] >= 0 && r.settled[0] <= (int64_t)(2 * SEC), "start %lld", (long long)r.settled[0]);
	CHECK(r.settled[1] >= 0 && r.settled[1] <= (int64_t)(2 * SEC), "down %lld", (long long)r.settled[1]);
	CHECK(r.settled[2] >= 0 && r.settled[2] <= (int64_t)(30 * SEC), "up %lld", (long long)r.settled[2]);
	CHECK(r.rmin >= FLOOR && r.rmax <= LINE, "R %llu..%llu", (unsigned long long)r.rmin,
	      (unsigned long long)r.rmax);
	/* Once settled, only failed probes lose, and the backoff spaces them 4 s (its most). */
	CHECK(r.loss_not_probe == 0, "%d settled lossy windows not after a probe", r.loss_not_probe);
	CHECK(r.min_gap_first >= 4 * SEC, "first gap %.1f s", r.min_gap_first / 1e9);
	CHECK(r.min_gap_later >= 4 * SEC, "later gap %.1f s", r.min_gap_later / 1e9);
	CHECK(r.loss_after[1] >= 1 && r.loss_after[2] >= 1, "no probe found the limit");
}

static void test_closed_loop_policer(void)
{
	sim_check(MON_POLICER);
}

static void test_closed_loop_queue(void)
{
	sim_check(MON_SHALLOW);
}

/* An early alarm: a span of 60 ms, its ACKed rate. */
static struct shape_ctl_in alarm_in(uint64_t ts, uint64_t offered, uint64_t delivered)
{
	struct shape_ctl_in in = win(ts, offered, delivered, 0, MON_SHALLOW);

	in.len_ns = 60 * SEC / 1000;
	in.episode_bps = delivered;
	in.verdict = MON_OVER;
	return in;
}

/*
 * The early alarm cuts as a lossy window would (γ·its ACKed rate), not
 * again in the settle time, fails a probe at once (with its backoff), and
 * one without ACKs sizes nothing.
 */
static void test_alarm(void)
{
	struct shape_ctl_cfg cfg = cfg_at(40 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in;
	uint64_t ts = 0;

	shape_ctl_init(&c, &cfg, 0, &d);
	in = alarm_in(SEC / 10, 40 * MBIT, 0);
	CHECK(!shape_ctl_alarm(&c, &in, &d) && c.r_bps == 40 * MBIT, "no ACKs: %llu",
	      (unsigned long long)c.r_bps);
	/* The path fell to 15: 0.9 · 15 = 13.5 at once. */
	in = alarm_in(SEC / 10, 40 * MBIT, 15 * MBIT);
	CHECK(shape_ctl_alarm(&c, &in, &d) && d.r_new_bps == 13500 * 1000ULL &&
	      !strcmp(d.reason, "early_heavy_loss") && d.has_in, "%s %llu", d.reason,
	      (unsigned long long)d.r_new_bps);
	/* Its retransmissions go on for a while: no second cut within 1 s, alarm or window... */
	in = alarm_in(SEC / 2, 14 * MBIT, 13 * MBIT);
	CHECK(!shape_ctl_alarm(&c, &in, &d) && c.r_bps == 13500 * 1000ULL, "%llu",
	      (unsigned long long)c.r_bps);
	in = win(SEC / 2, 14 * MBIT, 10 * MBIT, 0, MON_SHALLOW);
	shape_ctl_window(&c, &in, &d);
	CHECK(!strcmp(d.reason, "settle") && c.r_bps == 13500 * 1000ULL, "%s", d.reason);

	/* A probe 2 s after the cut; its loss shows 100 ms later: failed now, interval 4 s. */
	ts = SEC / 2;
	while (!c.probing && ts < 10 * SEC) {
		ts += WIN;
		in = win(ts, c.r_bps, c.r_bps, 0, MON_SHALLOW);
		shape_ctl_window(&c, &in, &d);
	}
	CHECK(c.probing && c.r_bps == 14850 * 1000ULL, "%llu", (unsigned long long)c.r_bps);
	in = alarm_in(ts + SEC / 10, 14850 * 1000ULL, 14900 * 1000ULL);
	CHECK(shape_ctl_alarm(&c, &in, &d) && !strcmp(d.reason, "probe_failed") &&
	      d.r_new_bps == 13365 * 1000ULL && c.interval_ns == 4 * SEC && !c.probing,
	      "%s %llu %llu", d.reason, (unsigned long long)d.r_new_bps,
	      (unsigned long long)c.interval_ns);
	/* Settling, an alarm whose ACKs carry under 0.75 R: the path fell again (to 8). */
	in = alarm_in(ts + SEC / 2, 13 * MBIT, 8 * MBIT);
	CHECK(shape_ctl_alarm(&c, &in, &d) && c.r_bps == 7200 * 1000ULL &&
	      !strcmp(d.reason, "early_heavy_loss"), "%s %llu", d.reason, (unsigned long long)c.r_bps);
}

/*
 * A probe that holds above the limit the last cut measured: the limit rose
 * (a step up), so steps grow at once, not only 4 s away from the cut.
 */
static void test_limit_rose(void)
{
	struct shape_ctl_cfg cfg = cfg_at(20 * MBIT);
	struct shape_ctl c;
	struct shape_decision d;
	struct shape_ctl_in in;
	uint64_t ts = WIN;

	shape_ctl_init(&c, &cfg, 0, &d);
	in = win(ts, 20 * MBIT, 15 * MBIT, 0, MON_SHALLOW);
	shape_ctl_window(&c, &in, &d);
	CHECK(c.r_bps == 13500 * 1000ULL && c.cut_limit_bps == 15 * MBIT, "%llu",
	      (unsigned long long)c.r_bps);
	/* The path is now 30: probes 13.5 → 14.85 (under 15: the step stays) → 16.335 → ... */
	hold_until(&c, &ts, ts + 3 * SEC, "");
	CHECK(c.streak == 0 && c.r_bps == 14850 * 1000ULL, "streak %u R %llu", c.streak,
	      (unsigned long long)c.r_bps);
	hold_until(&c, &ts, ts + 2 * SEC, "");
	CHECK(c.streak >= 1 && c.r_bps > 16 * MBIT, "streak %u R %llu", c.streak,
	      (unsigned long long)c.r_bps);
	/* From 13.5 to 27 (0.9 of the new 30) within 6 s of the first probe past 15. */
	hold_until(&c, &ts, ts + 6 * SEC, "");
	CHECK(c.r_bps >= 27 * MBIT, "R %llu at %.1f s", (unsigned long long)c.r_bps, ts / 1e9);
}

int main(void)
{
	RUN(test_start);
	RUN(test_gamma_policer_vs_queue);
	RUN(test_loss_limit);
	RUN(test_settle);
	RUN(test_step_grows);
	RUN(test_probe_hold);
	RUN(test_heavy_loss);
	RUN(test_low_demand_hold);
	RUN(test_probe_backoff);
	RUN(test_probe_back_to_good);
	RUN(test_settle_and_line);
	RUN(test_blind);
	RUN(test_decision_json);
	RUN(test_alarm);
	RUN(test_limit_rose);
	RUN(test_closed_loop_policer);
	RUN(test_closed_loop_queue);
	return unit_done();
}
