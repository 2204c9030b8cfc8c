/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The project's one latency histogram: HDR-style log-linear buckets over
 * nanoseconds. Values below 2^(HIST_SUB_BITS+1) get exact buckets of width 1;
 * above, each power of two is split into 2^HIST_SUB_BITS equal buckets, so a
 * bucket's width is at most 1/128 of its lower bound and a reported
 * percentile (the bucket midpoint) is within 1/256 of the true value.
 *
 * Fixed size, no allocation: embed it, copy it, memcmp it.
 */
#ifndef DS_HIST_H
#define DS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS	7	/* 2^7 = 128 sub-buckets per power of two */
#define HIST_SUB_COUNT	(1U << HIST_SUB_BITS)
#define HIST_MAX_BITS	40
/* ~1100 s; larger values clamp into the top bucket */
#define HIST_MAX_NS	((1ULL << HIST_MAX_BITS) - 1)
/* One exact range of 2*SUB_COUNT, then SUB_COUNT per power of two above it. */
#define HIST_NBUCKETS	((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB_COUNT)

struct hist {
	uint64_t count;
	uint64_t min, max;	/* exact, unclamped; min = UINT64_MAX if empty */
	double sum;		/* for the mean; ns sums overflow u64 */
	uint64_t buckets[HIST_NBUCKETS];
};

/**
 * hist_index() - bucket index of a value
 * @ns: value in nanoseconds; values above HIST_MAX_NS map to the top bucket
 *
 * Return: index in [0, HIST_NBUCKETS).
 */
static inline size_t hist_index(uint64_t ns)
{
	unsigned int shift;

	if (ns > HIST_MAX_NS)
		ns = HIST_MAX_NS;
	/*
	 * OR-ing in the exact range's mask makes the top bit at least
	 * HIST_SUB_BITS, so shift is 0 below 2^(SUB_BITS+1) without a branch
	 * and clzll never sees 0. For larger values (ns >> shift) lies in
	 * [SUB_COUNT, 2*SUB_COUNT), which continues the index right after
	 * the previous power of two.
	 */
	shift = 63 - __builtin_clzll(ns | ((2ULL << HIST_SUB_BITS) - 1)) -
		HIST_SUB_BITS;
	return ((size_t)shift << HIST_SUB_BITS) + (size_t)(ns >> shift);
}

/**
 * hist_record() - add one value
 * @h: histogram
 * @ns: value in nanoseconds; min, max and sum keep it unclamped
 */
static inline void hist_record(struct hist *h, uint64_t ns)
{
	h->buckets[hist_index(ns)]++;
	h->count++;
	h->sum += (double)ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void hist_init(struct hist *h);
void hist_record_n(struct hist *h, uint64_t ns, uint64_t n);
void hist_merge(struct hist *dst, const struct hist *src);
uint64_t hist_percentile(const struct hist *h, double pct);
double hist_mean(const struct hist *h);
uint64_t hist_bucket_lo(size_t idx);
uint64_t hist_bucket_hi(size_t idx);
uint64_t hist_count_range(const struct hist *h, uint64_t lo_ns, uint64_t hi_ns);

#endif
