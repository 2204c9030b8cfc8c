// SPDX-License-Identifier: GPL-2.0
/*
 * The capture clock's rules with stamps chosen at their edges: what is a
 * jump, what time passes, and the epoch that keeps timings on one side.
 */
#include "capclock.h"
#include "unit.h"

#define S NSEC_PER_SEC
#define T0 (1464739200ULL * S)		/* 2016-06-01 */
#define FUTURE (2884809600ULL * S)	/* 2061-06-01 */

static struct capclock c;

static uint64_t in(uint64_t stamp)
{
	return capclock_in(&c, stamp);
}

/* In order, no jump: analysis time is the stamp itself. */
static void test_capclock_in_order(void)
{
	capclock_init(&c);
	CHECK(in(T0) == T0 && in(T0 + 5) == T0 + 5 && in(T0 + 3 * S) == T0 + 3 * S,
	      "now %llu", (unsigned long long)c.now);
	CHECK(c.first == T0 && c.jumps == 0 && c.epoch == 0, "jumps %llu",
	      (unsigned long long)c.jumps);
}

/* A little back is held at the latest stamp; the time runs on from there. */
static void test_capclock_small_step_back_held(void)
{
	capclock_init(&c);
	in(T0 + 2 * S);
	CHECK(in(T0 + S) == T0 + 2 * S, "held: %llu", (unsigned long long)c.now);
	CHECK(in(T0 + 2 * S + 7) == T0 + 2 * S + 7, "on: %llu", (unsigned long long)c.now);
	CHECK(c.jumps == 0, "exactly CAPCLOCK_BACK_NS back is no jump: %llu",
	      (unsigned long long)c.jumps);
	in(T0 + 2 * S + 7 - CAPCLOCK_BACK_NS - 1);
	CHECK(c.jumps == 1 && c.epoch == 1, "1 ns more is: %llu", (unsigned long long)c.jumps);
}

/* Ahead by a day is a quiet link; by a day and 1 ns, a jump that costs no time. */
static void test_capclock_ahead_bound(void)
{
	capclock_init(&c);
	in(T0);
	CHECK(in(T0 + CAPCLOCK_AHEAD_NS) == T0 + CAPCLOCK_AHEAD_NS && c.jumps == 0,
	      "a day of silence: %llu jumps", (unsigned long long)c.jumps);
	CHECK(in(T0 + 2 * CAPCLOCK_AHEAD_NS + 1) == T0 + CAPCLOCK_AHEAD_NS && c.jumps == 1,
	      "more: now %llu, %llu jumps", (unsigned long long)c.now,
	      (unsigned long long)c.jumps);
	CHECK(in(T0 + 2 * CAPCLOCK_AHEAD_NS + 1 + S) == T0 + CAPCLOCK_AHEAD_NS + S,
	      "then on at the new clock's pace: %llu", (unsigned long long)c.now);
}

/* One frame from 2061 between two of 2016: two jumps, the 2016 time kept. */
static void test_capclock_one_frame_from_the_future(void)
{
	capclock_init(&c);
	in(T0);
	in(T0 + S);
	CHECK(in(FUTURE) == T0 + S && c.epoch == 1, "the future frame: %llu",
	      (unsigned long long)c.now);
	CHECK(in(T0 + S + S / 100) == T0 + S + S / 100 && c.epoch == 2 && c.jumps == 2,
	      "back on the line: now %llu, %llu jumps", (unsigned long long)c.now,
	      (unsigned long long)c.jumps);
	CHECK(in(T0 + 2 * S) == T0 + 2 * S, "and on: %llu", (unsigned long long)c.now);
}

/* A stretch in the future that ran longer than the way back: time never goes back. */
static void test_capclock_rejoin_never_back(void)
{
	capclock_init(&c);
	in(T0);
	in(FUTURE);
	in(FUTURE + 5 * S);
	CHECK(c.now == T0 + 5 * S, "the future ran 5 s: %llu", (unsigned long long)c.now);
	CHECK(in(T0 + 2 * S) == T0 + 5 * S, "back 2 s after the first: held at %llu",
	      (unsigned long long)c.now);
	CHECK(in(T0 + 3 * S) == T0 + 6 * S, "then on: %llu", (unsigned long long)c.now);
	CHECK(c.jumps == 2, "jumps %llu", (unsigned long long)c.jumps);
}

/* An hour back with no line to go back to: the step costs no time. */
static void test_capclock_hour_back(void)
{
	capclock_init(&c);
	in(T0);
	in(T0 + 2 * S);
	CHECK(in(T0 + 2 * S - 3600 * S) == T0 + 2 * S && c.jumps == 1, "the step: %llu",
	      (unsigned long long)c.now);
	CHECK(in(T0 + 3 * S - 3600 * S) == T0 + 3 * S, "on: %llu", (unsigned long long)c.now);
	/* Put right: ahead onto the old line as it reads now (T0 + 3 s), within 1 s. */
	CHECK(in(T0 + 4 * S) == T0 + 4 * S && c.jumps == 2 && c.epoch == 2,
	      "put right: now %llu, %llu jumps", (unsigned long long)c.now,
	      (unsigned long long)c.jumps);
}

/* After a step back, an hour ahead that lands nowhere known is a quiet hour. */
static void test_capclock_quiet_after_step(void)
{
	capclock_init(&c);
	in(T0);
	in(T0 + 2 * S);
	in(T0 + 2 * S - 3600 * S);
	CHECK(in(T0 + 2 * S - 1800 * S) == T0 + 1802 * S && c.jumps == 1,
	      "half an hour of silence: now %llu, %llu jumps", (unsigned long long)c.now,
	      (unsigned long long)c.jumps);
}

/* Stamps at both ends of the range never wrap the analysis time. */
static void test_capclock_extremes(void)
{
	uint64_t last = 0;
	static const uint64_t stamps[] = { 0, UINT32_MAX * S, 1, UINT32_MAX * S + 999999999, 0,
					   S, 2 * S, UINT32_MAX * S };

	capclock_init(&c);
	for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++) {
		uint64_t now = in(stamps[i]);

		CHECK(now >= last, "stamp %zu: %llu after %llu", i, (unsigned long long)now,
		      (unsigned long long)last);
		last = now;
	}
	CHECK(c.now <= 3 * S, "only time on one line counts: %llu", (unsigned long long)c.now);
}

int main(void)
{
	RUN(test_capclock_in_order);
	RUN(test_capclock_small_step_back_held);
	RUN(test_capclock_ahead_bound);
	RUN(test_capclock_one_frame_from_the_future);
	RUN(test_capclock_rejoin_never_back);
	RUN(test_capclock_hour_back);
	RUN(test_capclock_quiet_after_step);
	RUN(test_capclock_extremes);
	return unit_done();
}
