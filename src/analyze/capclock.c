// SPDX-License-Identifier: GPL-2.0
/* The capture clock: see capclock.h, and doc/analyze.md for why these bounds. */
#include <string.h>

#include "capclock.h"

void capclock_init(struct capclock *c)
{
	memset(c, 0, sizeof(*c));
}

/* From stamp @from to stamp @to is the clock running, not stepping. */
static bool plausible(uint64_t from, uint64_t to)
{
	return to >= from ? to - from <= CAPCLOCK_AHEAD_NS : from - to <= CAPCLOCK_BACK_NS;
}

/* Crafted stamps could climb, fall back and climb again: never wrap. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static void jump(struct capclock *c, uint64_t stamp)
{
	uint64_t top = c->top, now = c->now;

	/*
	 * Back on the line the last jump left: what lies between was a bad
	 * stretch, and the time since that jump is known after all.
	 */
	if (c->have_prev && plausible(c->prev_top, stamp) && stamp > c->prev_top &&
	    add_sat(c->prev_now, stamp - c->prev_top) > c->now)
		c->now = add_sat(c->prev_now, stamp - c->prev_top);
	c->prev_top = top;
	c->prev_now = now;
	c->have_prev = true;
	c->top = stamp;
	c->jumps++;
	c->epoch++;
}

/*
 * A step ahead (by more than stamps reorder) onto the line the last jump
 * left, run on by the time since: that clock put right again.
 */
static bool put_right(const struct capclock *c, uint64_t stamp)
{
	uint64_t there;

	if (!c->have_prev || stamp <= c->top || stamp - c->top <= CAPCLOCK_BACK_NS)
		return false;
	there = add_sat(c->prev_top, c->now - c->prev_now);
	return stamp >= there ? stamp - there <= CAPCLOCK_BACK_NS
			      : there - stamp <= CAPCLOCK_BACK_NS;
}

uint64_t capclock_in(struct capclock *c, uint64_t stamp)
{
	if (!c->started) {
		c->started = true;
		c->first = c->now = c->top = stamp;
	} else if (!plausible(c->top, stamp) || put_right(c, stamp)) {
		jump(c, stamp);
	} else if (stamp > c->top) {
		c->now = add_sat(c->now, stamp - c->top);
		c->top = stamp;
	}
	return c->now;
}
