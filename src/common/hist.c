// SPDX-License-Identifier: GPL-2.0
/*
 * Log-linear latency histogram: everything off the per-transaction hot path
 * (hist_record() and hist_index() are inline in hist.h).
 */
#include <math.h>
#include <string.h>

#include "hist.h"

/**
 * hist_init() - make an empty histogram
 * @h: histogram to clear
 */
void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/**
 * hist_record_n() - add the same value @n times
 * @h: histogram
 * @ns: value in nanoseconds
 * @n: how many times; 0 leaves @h untouched
 *
 * Same buckets, count, min and max as @n calls to hist_record(); the sum may
 * differ from @n separate additions by double rounding only.
 */
void hist_record_n(struct hist *h, uint64_t ns, uint64_t n)
{
	if (!n)
		return;
	h->buckets[hist_index(ns)] += n;
	h->count += n;
	h->sum += (double)ns * (double)n;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

/**
 * hist_merge() - add every value of @src to @dst
 * @dst: histogram that grows
 * @src: histogram to add; may be empty
 *
 * The result equals the histogram of the union of both inputs (buckets,
 * count, min, max; the sum up to double rounding).
 */
void hist_merge(struct hist *dst, const struct hist *src)
{
	size_t i;

	for (i = 0; i < HIST_NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/**
 * hist_bucket_lo() - inclusive lower bound of a bucket
 * @idx: bucket index, below HIST_NBUCKETS
 *
 * Return: the smallest value, in ns, that hist_index() maps to @idx;
 * UINT64_MAX for an out-of-range index.
 */
uint64_t hist_bucket_lo(size_t idx)
{
	unsigned int shift;

	if (idx >= HIST_NBUCKETS)
		return UINT64_MAX;
	if (idx < 2 * HIST_SUB_COUNT)
		return idx;
	shift = (unsigned int)(idx >> HIST_SUB_BITS) - 1;
	return (uint64_t)(HIST_SUB_COUNT + (idx & (HIST_SUB_COUNT - 1))) << shift;
}

/**
 * hist_bucket_hi() - exclusive upper bound of a bucket
 * @idx: bucket index, below HIST_NBUCKETS
 *
 * The top bucket's bound is HIST_MAX_NS + 1 even though clamped larger values
 * are counted in it too.
 *
 * Return: the lower bound of the next bucket, in ns; UINT64_MAX for an
 * out-of-range index.
 */
uint64_t hist_bucket_hi(size_t idx)
{
	unsigned int shift;

	if (idx >= HIST_NBUCKETS)
		return UINT64_MAX;
	if (idx < 2 * HIST_SUB_COUNT)
		return idx + 1;
	shift = (unsigned int)(idx >> HIST_SUB_BITS) - 1;
	return (uint64_t)(HIST_SUB_COUNT + (idx & (HIST_SUB_COUNT - 1)) + 1)
	       << shift;
}

/*
 * Nearest rank, ceil(pct/100 * count), at least 1. pct * count is taken
 * first and a relative 1e-12 is shaved off so that decimal percentiles which
 * land exactly on an integer rank (99.9% of 1000) are not pushed one rank up
 * by the binary representation of 99.9.
 */
static uint64_t hist_rank(double pct, uint64_t count)
{
	double r = pct * (double)count / 100.0;
	uint64_t rank;

	r = ceil(r - r * 1e-12);
	if (r < 1)
		return 1;
	if (r >= (double)count)
		return count;
	rank = (uint64_t)r;
	return rank < count ? rank : count;
}

/**
 * hist_percentile() - nearest-rank percentile
 * @h: histogram
 * @pct: percentile in [0, 100]; values outside are clamped
 *
 * Finds the bucket holding the value of rank ceil(@pct/100 * count) and
 * reports its midpoint clamped into [min, max]. The lowest and highest ranks
 * report min and max exactly, values below 256 ns are exact, and others are
 * within 1/256 of the true nearest-rank value, except among values above
 * HIST_MAX_NS, which all report the top bucket.
 *
 * Return: the value in ns, 0 for an empty histogram.
 */
uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, cum = 0, lo, hi, mid;
	size_t i;

	if (!h->count)
		return 0;
	if (!(pct > 0))		/* also catches NaN */
		pct = 0;
	if (pct > 100)
		pct = 100;
	rank = hist_rank(pct, h->count);
	if (rank == 1)
		return h->min;
	if (rank == h->count)
		return h->max;

	for (i = 0; i < HIST_NBUCKETS - 1; i++) {
		cum += h->buckets[i];
		if (cum >= rank)
			break;
	}
	lo = hist_bucket_lo(i);
	hi = hist_bucket_hi(i);
	mid = lo + (hi - lo) / 2;
	if (mid < h->min)
		return h->min;
	if (mid > h->max)
		return h->max;
	return mid;
}

/**
 * hist_mean() - arithmetic mean of the recorded (unclamped) values
 * @h: histogram
 *
 * Return: the mean in ns, 0 for an empty histogram.
 */
double hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

/**
 * hist_count_range() - values in the buckets that start in [@lo_ns, @hi_ns)
 * @h: histogram
 * @lo_ns: inclusive lower bound
 * @hi_ns: exclusive upper bound
 *
 * A bucket counts wholly where its lower bound falls, so the result is exact
 * only when both bounds are bucket edges; meant for display rows and bins.
 *
 * Return: the sum of those buckets.
 */
uint64_t hist_count_range(const struct hist *h, uint64_t lo_ns, uint64_t hi_ns)
{
	uint64_t n = 0;
	size_t i;

	if (lo_ns >= hi_ns)
		return 0;
	i = hist_index(lo_ns);
	if (hist_bucket_lo(i) < lo_ns)
		i++;
	for (; i < HIST_NBUCKETS && hist_bucket_lo(i) < hi_ns; i++)
		n += h->buckets[i];
	return n;
}
