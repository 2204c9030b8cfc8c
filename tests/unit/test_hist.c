// SPDX-License-Identifier: GPL-2.0
/*
 * hist against ground truth: every percentile is compared with the
 * nearest-rank element of a sorted copy of the same values.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "unit.h"

#define NVALS 300000

static uint64_t vals[NVALS];
static uint64_t sorted[NVALS];
static struct hist h, parts[5];

/*
 * Percentiles as integers in 1e-4 %, so the reference rank is exact integer
 * arithmetic and independent of the library's floating-point rank.
 */
static const uint64_t pcts_e4[] = {
	0, 10000, 100000, 500000, 900000, 990000, 999000, 999900, 1000000,
};


static double rng_unit(void)
{
	return (double)(unit_rng() >> 11) * 0x1.0p-53;
}

static double rng_normal(void)
{
	double u = rng_unit(), v = rng_unit();

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t ref_percentile(const uint64_t *s, size_t n, uint64_t pct_e4)
{
	uint64_t rank = (pct_e4 * n + 999999) / 1000000;

	return s[(rank ? rank : 1) - 1];
}

/*
 * Build a histogram of v[0..n) and check it against the sorted values.
 * Buckets are at most lo/128 wide and the midpoint is reported, so the error
 * bound is ref/256; below 256 ns buckets are exact. Values beyond
 * HIST_MAX_NS are clamped by design: those ranks must report at least the
 * top bucket's floor and never more than the truth.
 */
static void check_values(const char *name, const uint64_t *v, size_t n)
{
	long double sum = 0;
	size_t i, p;

	hist_init(&h);
	for (i = 0; i < n; i++) {
		hist_record(&h, v[i]);
		sorted[i] = v[i];
		sum += v[i];
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_u64);

	CHECK(h.count == n, "%s: count %" PRIu64 " != %zu", name, h.count, n);
	CHECK(h.min == sorted[0] && h.max == sorted[n - 1],
	      "%s: min %" PRIu64 " max %" PRIu64, name, h.min, h.max);
	/* the extreme ranks are the extremes, exactly */
	CHECK(hist_percentile(&h, 0) == h.min && hist_percentile(&h, 100) == h.max,
	      "%s: p0 %" PRIu64 " p100 %" PRIu64, name, hist_percentile(&h, 0),
	      hist_percentile(&h, 100));
	if (sum > 0) {
		long double mean = sum / n;

		CHECK(fabsl(hist_mean(&h) - mean) <= 1e-9L * mean,
		      "%s: mean %.6f != %.6Lf", name, hist_mean(&h), mean);
	} else {
		CHECK(hist_mean(&h) == 0, "%s: mean %f", name, hist_mean(&h));
	}

	for (p = 0; p < sizeof(pcts_e4) / sizeof(pcts_e4[0]); p++) {
		double pct = pcts_e4[p] / 10000.0;
		uint64_t ref = ref_percentile(sorted, n, pcts_e4[p]);
		uint64_t got = hist_percentile(&h, pct);
		uint64_t err = got > ref ? got - ref : ref - got;

		int ok;

		if (ref > HIST_MAX_NS)
			ok = got >= hist_bucket_lo(HIST_NBUCKETS - 1) && got <= ref;
		else if (ref < 2 * HIST_SUB_COUNT)
			ok = got == ref;
		else
			ok = err * 256 <= ref;
		CHECK(ok, "%s n=%zu p%g: got %" PRIu64 ", ref %" PRIu64,
		      name, n, pct, got, ref);
	}
}

static void test_hist_empty(void)
{
	hist_init(&h);
	CHECK(h.count == 0 && h.min == UINT64_MAX && h.max == 0, "init");
	CHECK(hist_percentile(&h, 50) == 0, "p50 of empty");
	CHECK(hist_percentile(&h, 100) == 0, "p100 of empty");
	CHECK(hist_mean(&h) == 0, "mean of empty");
	CHECK(hist_count_range(&h, 0, UINT64_MAX) == 0, "range of empty");
}

static void test_hist_bucket_bounds(void)
{
	size_t i;

	CHECK(hist_bucket_lo(0) == 0, "lo(0)");
	CHECK(hist_bucket_hi(HIST_NBUCKETS - 1) == HIST_MAX_NS + 1, "top hi");
	CHECK(hist_index(HIST_MAX_NS) == HIST_NBUCKETS - 1, "index(max)");
	CHECK(hist_index(HIST_MAX_NS + 1) == HIST_NBUCKETS - 1, "index(max+1)");
	CHECK(hist_index(UINT64_MAX) == HIST_NBUCKETS - 1, "index(u64 max)");
	for (i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t lo = hist_bucket_lo(i), hi = hist_bucket_hi(i);

		CHECK(lo < hi, "bucket %zu: [%" PRIu64 ", %" PRIu64 ")", i, lo, hi);
		if (i + 1 < HIST_NBUCKETS)
			CHECK(hi == hist_bucket_lo(i + 1), "gap after %zu", i);
		CHECK(hist_index(lo) == i, "index(lo(%zu)) = %zu", i,
		      hist_index(lo));
		CHECK(hist_index(hi - 1) == i, "index(hi(%zu)-1) = %zu", i,
		      hist_index(hi - 1));
		if (lo < 2 * HIST_SUB_COUNT)
			CHECK(hi - lo == 1, "bucket %zu not exact", i);
		else
			CHECK((hi - lo) * HIST_SUB_COUNT <= lo,
			      "bucket %zu too wide: [%" PRIu64 ", %" PRIu64 ")",
			      i, lo, hi);
	}
}

static void test_hist_index_random(void)
{
	int i;

	unit_rng_state = 0x1234567;
	for (i = 0; i < 200000; i++) {
		/* random magnitude, then random bits below it */
		uint64_t v = unit_rng() >> (unit_rng() % 64);
		size_t idx = hist_index(v);

		CHECK(v > HIST_MAX_NS ? idx == HIST_NBUCKETS - 1 :
		      hist_bucket_lo(idx) <= v && v < hist_bucket_hi(idx),
		      "v=%" PRIu64 " idx=%zu", v, idx);
	}
}

static void test_hist_percentile_uniform(void)
{
	size_t i;

	unit_rng_state = 1;
	for (i = 0; i < NVALS; i++)
		vals[i] = unit_rng() % 10000000;	/* 0..10 ms */
	check_values("uniform 0-10ms", vals, NVALS);
	for (i = 0; i < NVALS; i++)
		vals[i] = unit_rng() % 300;		/* exact range and just above */
	check_values("uniform 0-300ns", vals, NVALS);
}

static void test_hist_percentile_loguniform(void)
{
	size_t i;

	unit_rng_state = 2;
	for (i = 0; i < NVALS; i++)		/* 1 us .. 100 s */
		vals[i] = (uint64_t)pow(10, 3 + 8 * rng_unit());
	check_values("log-uniform 1us-100s", vals, NVALS);
}

static void test_hist_percentile_lognormal(void)
{
	size_t i;

	unit_rng_state = 3;
	for (i = 0; i < NVALS; i++)		/* median 50 us, sigma e^1 */
		vals[i] = (uint64_t)(50000 * exp(rng_normal()));
	check_values("log-normal 50us", vals, NVALS);
}

static void test_hist_percentile_bimodal(void)
{
	size_t i;

	unit_rng_state = 4;
	for (i = 0; i < NVALS; i++) {
		uint64_t r = unit_rng() % 10000;
		double base = r < 5 ? 200e6 : r < 10 ? 400e6 : 30e3;

		/* RTO tails sit tight; the mode has a 10% spread */
		vals[i] = (uint64_t)(base * (1 + (r < 10 ? 0.01 : 0.1) *
						      rng_normal()));
	}
	check_values("bimodal 30us+RTO", vals, NVALS);
}

/*
 * pct * count in double can land just above an integer (99.9% of 41000 is
 * 40959.000000000007): a step right after the true rank catches a rank that
 * is one too high.
 */
static void test_hist_percentile_rank_boundary(void)
{
	static const size_t ns[] = { 1000, 41000, 82000, 165000 };
	size_t i, k, p;

	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		for (p = 0; p < sizeof(pcts_e4) / sizeof(pcts_e4[0]); p++) {
			uint64_t rank = (pcts_e4[p] * ns[k] + 999999) / 1000000;

			for (i = 0; i < ns[k]; i++)
				vals[i] = i < rank ? 1000 : 2000;
			check_values("rank boundary", vals, ns[k]);
		}
	}
}

static void test_hist_adversarial_equal(void)
{
	static const uint64_t v[] = {
		0, 1, 255, 256, 257, 1000, 30000, 12345678, HIST_MAX_NS,
	};
	static const size_t counts[] = { 1, 2, 3, 1000 };
	size_t i, c, k;
	char name[64];

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			for (k = 0; k < counts[c]; k++)
				vals[k] = v[i];
			snprintf(name, sizeof(name), "equal %" PRIu64 " x%zu", v[i],
				 counts[c]);
			check_values(name, vals, counts[c]);
			/* single-valued histograms are exact everywhere */
			CHECK(hist_percentile(&h, 37.5) == v[i], "%s", name);
		}
	}
}

static void test_hist_adversarial_edges(void)
{
	size_t i, n = 0;

	for (i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t lo = hist_bucket_lo(i);

		vals[n++] = lo;
		if (lo)
			vals[n++] = lo - 1;
	}
	check_values("bucket edges and edge-1", vals, n);

	/* a random handful of edges, so ranks fall on edges unevenly */
	unit_rng_state = 5;
	for (i = 0; i < 1000; i++) {
		uint64_t lo = hist_bucket_lo(unit_rng() % HIST_NBUCKETS);

		vals[i] = (unit_rng() & 1) && lo ? lo - 1 : lo;
	}
	check_values("random edges", vals, 1000);
}

/* Every multiset of 1..3 values from a set of troublemakers. */
static void test_hist_adversarial_tiny(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 255, 256, 257, 1000, HIST_MAX_NS, HIST_MAX_NS + 1,
		UINT64_MAX,
	};
	const size_t nv = sizeof(v) / sizeof(v[0]);
	size_t a, b, c;

	for (a = 0; a < nv; a++) {
		vals[0] = v[a];
		check_values("one value", vals, 1);
		for (b = a; b < nv; b++) {
			vals[1] = v[b];
			check_values("two values", vals, 2);
			for (c = b; c < nv; c++) {
				vals[2] = v[c];
				check_values("three values", vals, 3);
			}
		}
	}
}

static void test_hist_above_max(void)
{
	size_t i;

	for (i = 0; i < 1000; i++)
		vals[i] = HIST_MAX_NS;
	vals[1000] = HIST_MAX_NS + 1;
	vals[1001] = 1ULL << 50;
	vals[1002] = UINT64_MAX;
	check_values("at and above HIST_MAX_NS", vals, 1003);
	CHECK(h.buckets[HIST_NBUCKETS - 1] == 1003, "top bucket %" PRIu64,
	      h.buckets[HIST_NBUCKETS - 1]);
	CHECK(hist_percentile(&h, 50) == HIST_MAX_NS, "p50");
	CHECK(hist_percentile(&h, 100) == UINT64_MAX, "p100 is exact max");
}

static void test_hist_merge_equals_union(void)
{
	static const int nparts[] = { 2, 3, 5 };
	size_t i, k;

	unit_rng_state = 6;
	for (i = 0; i < NVALS; i++)
		vals[i] = (uint64_t)pow(10, 2 + 9 * rng_unit());
	check_values("merge reference", vals, NVALS);

	for (k = 0; k < sizeof(nparts) / sizeof(nparts[0]); k++) {
		struct hist *m = &parts[0];
		int p;

		for (p = 0; p < nparts[k]; p++)
			hist_init(&parts[p]);
		/* part 0 stays empty in the 5-way split: merging nothing */
		for (i = 0; i < NVALS; i++)
			hist_record(&parts[nparts[k] == 5 ? 1 + unit_rng() % 4 :
						       unit_rng() % nparts[k]],
				    vals[i]);
		for (p = 1; p < nparts[k]; p++)
			hist_merge(m, &parts[p]);

		CHECK(!memcmp(m->buckets, h.buckets, sizeof(h.buckets)),
		      "%d-way merge: buckets differ", nparts[k]);
		CHECK(m->count == h.count && m->min == h.min && m->max == h.max,
		      "%d-way merge: count %" PRIu64 " min %" PRIu64
		      " max %" PRIu64, nparts[k], m->count, m->min, m->max);
		/* sums add in another order: equal up to double rounding */
		CHECK(fabs(m->sum - h.sum) <= 1e-12 * h.sum,
		      "%d-way merge: sum %f != %f", nparts[k], m->sum, h.sum);
	}
}

static void test_hist_record_n(void)
{
	static const uint64_t v[] = {
		0, 1, 255, 256, 30000, 210000000, HIST_MAX_NS, HIST_MAX_NS + 5,
	};
	static const uint64_t ns[] = { 0, 1, 2, 7, 1000 };
	struct hist *a = &parts[0], *b = &parts[1];
	size_t i, j;
	uint64_t k;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			hist_init(a);
			hist_init(b);
			hist_record(a, 12345);	/* not only into empty ones */
			hist_record(b, 12345);
			hist_record_n(a, v[i], ns[j]);
			for (k = 0; k < ns[j]; k++)
				hist_record(b, v[i]);
			CHECK(!memcmp(a->buckets, b->buckets, sizeof(a->buckets)) &&
			      a->count == b->count && a->min == b->min &&
			      a->max == b->max &&
			      fabs(a->sum - b->sum) <= 1e-12 * b->sum,
			      "record_n(%" PRIu64 ", %" PRIu64 ") != n x record",
			      v[i], ns[j]);
		}
	}
}

/* index of the first sorted[] value >= v */
static size_t lower_bound(uint64_t v)
{
	size_t lo = 0, hi = NVALS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void test_hist_count_range(void)
{
	size_t i, lo_i, hi_i;

	unit_rng_state = 7;
	for (i = 0; i < NVALS; i++)
		vals[i] = (uint64_t)pow(10, 8 * rng_unit());
	check_values("count_range reference", vals, NVALS);
	CHECK(hist_count_range(&h, 0, UINT64_MAX) == NVALS, "everything");
	CHECK(hist_count_range(&h, 5, 5) == 0, "empty range");
	CHECK(hist_count_range(&h, HIST_MAX_NS + 1, UINT64_MAX) == 0,
	      "above the top bucket's start");

	/* on bucket edges the count is exact: compare with the values */
	for (i = 0; i < 2000; i++) {
		uint64_t lo, hi, want = 0, got;

		lo_i = unit_rng() % HIST_NBUCKETS;
		hi_i = lo_i + unit_rng() % (HIST_NBUCKETS - lo_i);
		lo = hist_bucket_lo(lo_i);
		hi = hist_bucket_lo(hi_i);
		want = lower_bound(hi) - lower_bound(lo);
		got = hist_count_range(&h, lo, hi);
		CHECK(got == want, "[%" PRIu64 ", %" PRIu64 "): %" PRIu64
		      " != %" PRIu64, lo, hi, got, want);
	}

	/* off the edges it counts the buckets that start inside the range */
	for (i = 0; i < 500; i++) {
		uint64_t lo = unit_rng() >> (24 + unit_rng() % 40), hi = lo + (unit_rng() >> 30);
		uint64_t want = 0, got = hist_count_range(&h, lo, hi);
		size_t b;

		for (b = 0; b < HIST_NBUCKETS; b++)
			if (hist_bucket_lo(b) >= lo && hist_bucket_lo(b) < hi)
				want += h.buckets[b];
		CHECK(got == want, "[%" PRIu64 ", %" PRIu64 "): %" PRIu64
		      " != %" PRIu64, lo, hi, got, want);
	}
}

int main(void)
{
	RUN(test_hist_empty);
	RUN(test_hist_bucket_bounds);
	RUN(test_hist_index_random);
	RUN(test_hist_percentile_uniform);
	RUN(test_hist_percentile_loguniform);
	RUN(test_hist_percentile_lognormal);
	RUN(test_hist_percentile_bimodal);
	RUN(test_hist_percentile_rank_boundary);
	RUN(test_hist_adversarial_equal);
	RUN(test_hist_adversarial_edges);
	RUN(test_hist_adversarial_tiny);
	RUN(test_hist_above_max);
	RUN(test_hist_merge_equals_union);
	RUN(test_hist_record_n);
	RUN(test_hist_count_range);
	return unit_done();
}
