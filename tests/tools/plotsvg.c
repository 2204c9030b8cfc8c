// SPDX-License-Identifier: GPL-2.0
/*
 * plotsvg - write the SVG plots of known data, for shell tests (xmllint,
 * headless Chromium) and for looking at them.
 *
 *	plotsvg hist OUT			rr's histogram shape: 1,000,000
 *						at 30 us, 300 one RTO late, 3 two
 *	plotsvg timeline OUT [NEV [NLANES]]	NEV events (default 40) in
 *						NLANES lanes (default 3), 10 s
 *
 * Timeline lanes: "slow transactions" (bars of 200 ms to 1.2 s, coloured
 * by class), then "drops at ..." (ticks); with 4 lanes or more the last
 * label holds markup and a byte that is not UTF-8. Events are pseudo-random
 * with a fixed seed: the same arguments write the same file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hist.h"
#include "hist_plot.h"
#include "timeline_plot.h"

#define MAX_LANES 64

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static int write_hist(FILE *f)
{
	static const struct hist_mark marks[] = {
		{ 200 * NSEC_PER_MSEC, "RTO" }, { 400 * NSEC_PER_MSEC, "2×RTO" },
	};
	static struct hist h;

	hist_init(&h);
	hist_record_n(&h, 30000, 1000000);
	hist_record_n(&h, 210 * NSEC_PER_MSEC, 300);
	hist_record_n(&h, 420 * NSEC_PER_MSEC, 3);
	return hist_write_svg(f, &h, "rr latency", marks, 2);
}

static int write_timeline(FILE *f, size_t nev, size_t nlanes)
{
	static const char *const fixed[] = {
		"slow transactions", "drops at mvt0 (host)", "drops at nft (srv)",
	};
	static char names[MAX_LANES][48];
	struct tl_lane lanes[MAX_LANES];
	uint64_t t0 = 1000 * NSEC_PER_SEC, span = 10 * NSEC_PER_SEC;
	struct tl_event *ev = calloc(nev ? nev : 1, sizeof(*ev));
	size_t i;
	int ret;

	if (!ev)
		return -ENOMEM;
	for (i = 0; i < nlanes; i++) {
		if (i < 3)
			snprintf(names[i], sizeof(names[i]), "%s", fixed[i]);
		else
			snprintf(names[i], sizeof(names[i]), "drops at lane%zu", i);
		lanes[i].label = names[i];
	}
	if (nlanes >= 4)
		snprintf(names[nlanes - 1], sizeof(names[0]), "<tc> & \"q\" \xff");
	for (i = 0; i < nev; i++) {
		uint64_t lat = 200 * NSEC_PER_MSEC + rng() % (1000 * NSEC_PER_MSEC);

		ev[i].lane = (uint32_t)(i % nlanes);
		ev[i].start_ns = t0 + rng() % (span - NSEC_PER_SEC);
		ev[i].end_ns = ev[i].start_ns + (ev[i].lane ? 0 : lat);
		ev[i].cls = ev[i].lane ? TL_DROP : tl_latency_class(lat);
	}
	ret = timeline_write_svg(f, "drops and slow transactions", t0, t0 + span, lanes,
				 nlanes, ev, nev);
	free(ev);
	return ret;
}

int main(int argc, char **argv)
{
	size_t nev = 40, nlanes = 3;
	FILE *f;
	int ret;

	if (argc < 3 || (strcmp(argv[1], "hist") && strcmp(argv[1], "timeline"))) {
		fprintf(stderr, "usage: plotsvg hist OUT | plotsvg timeline OUT [NEV [NLANES]]\n");
		return 2;
	}
	if (argc > 3)
		nev = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		nlanes = strtoul(argv[4], NULL, 10);
	if (!nlanes || nlanes > MAX_LANES) {
		fprintf(stderr, "plotsvg: NLANES must be 1..%d\n", MAX_LANES);
		return 2;
	}
	f = fopen(argv[2], "w");
	if (!f) {
		fprintf(stderr, "plotsvg: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	ret = strcmp(argv[1], "hist") ? write_timeline(f, nev, nlanes) : write_hist(f);
	if (fclose(f) && !ret)
		ret = -EIO;
	if (ret) {
		fprintf(stderr, "plotsvg: %s: %s\n", argv[2], strerror(-ret));
		return 1;
	}
	return 0;
}
