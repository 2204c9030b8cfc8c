/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DS_CLOCK_H
#define DS_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

/* Monotonic nanoseconds; vDSO, so cheap enough per transaction. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * CLOCK_REALTIME minus CLOCK_MONOTONIC, now: subtracted from a capture's
 * wall-clock stamp it gives the one clock every event carries (the one
 * BPF's bpf_ktime_get_ns() reads). Measure once at start: a clock step
 * later shifts packets, not the order of events.
 */
static inline int64_t mono_offset_ns(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - m.tv_sec) * (int64_t)NSEC_PER_SEC + (r.tv_nsec - m.tv_nsec);
}

#endif
