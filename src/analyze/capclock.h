/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The capture clock: a capture's stamps in, one continuous analysis time
 * out. The capturing host's clock may step (NTP, an RTC reset, one frame
 * with a garbage stamp); a step is counted as a jump and left out of the
 * analysis time, and the epoch it starts tells every timing begun before
 * it not to end after it. No I/O; the rules are in doc/analyze.md, "Clock".
 */
#ifndef DS_CAPCLOCK_H
#define DS_CAPCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

/* Back by more than this is a step; less is stamps a little out of order. */
#define CAPCLOCK_BACK_NS	NSEC_PER_SEC
/* Ahead by more than this is a step; less may be a quiet link. */
#define CAPCLOCK_AHEAD_NS	(86400ULL * NSEC_PER_SEC)

struct capclock {
	uint64_t first;		/* the first stamp: analysis time starts there */
	uint64_t now;		/* analysis time of the last frame */
	uint64_t top;		/* the latest stamp since the last jump */
	uint64_t prev_top;	/* top and now as the last jump left them */
	uint64_t prev_now;
	uint64_t jumps;
	/*
	 * One more at each jump. It wraps after 65536: a timing would have to
	 * stay open across that many, and would still be measured in analysis
	 * time, which holds no jump.
	 */
	uint16_t epoch;
	bool started, have_prev;
};

void capclock_init(struct capclock *c);

/**
 * capclock_in() - the analysis time of the next frame, stamped @stamp_ns.
 *
 * Never less than the one before. Stamps up to CAPCLOCK_BACK_NS behind the
 * latest are held at it; stamps further back, or more than
 * CAPCLOCK_AHEAD_NS ahead, are a jump: counted, a new epoch, and no time
 * passes. A jump that lands back within those bounds of the time line the
 * previous jump left (one frame from the future between two of the
 * present) resumes that line, so the stretch between costs no time; so
 * does a step ahead onto that line as it would read now (the clock put
 * right), which would otherwise pass for a quiet link.
 */
uint64_t capclock_in(struct capclock *c, uint64_t stamp_ns);

#endif
