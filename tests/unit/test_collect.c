// SPDX-License-Identifier: GPL-2.0
/*
 * diagnose's collection: a drop point is one namespace, device, reason and
 * kernel site.  One device's NOT_SPECIFIED drops at two sites are two
 * points, whichever came first.
 */
#include <string.h>

#include "collect.h"
#include "unit.h"

static void test_collect_points(void)
{
	const struct dg_point mc = { .netns = 7, .ifindex = 2, .reason = 2, .location = 0x1000 };
	const struct dg_point tcp = { .netns = 7, .ifindex = 2, .reason = 2, .location = 0x2000 };
	const struct dg_point other_dev = { .netns = 7, .ifindex = 3, .reason = 2, .location = 0x2000 };
	const struct dg_point *seq[] = { &mc, &tcp, &mc, &other_dev, &tcp };
	const uint32_t want[] = { 0, 1, 0, 2, 1 };
	uint8_t hdr[20] = { 0x45 };
	struct dg_data d;

	CHECK(dg_data_init(&d) == 0, "init");
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct dg_drop x = { .t_ns = i };

		CHECK(dg_add_drop(&d, &x, seq[i], hdr, sizeof(hdr), sizeof(hdr)) == 0, "add %zu", i);
	}
	CHECK(d.npoints == 3, "points %zu", d.npoints);
	for (size_t i = 0; i < d.ndrops; i++)
		CHECK(d.drops[i].where == want[i], "drop %zu at point %u, want %u", i,
		      d.drops[i].where, want[i]);
	CHECK(d.npoints == 3 && d.points[0].location == 0x1000 && d.points[1].location == 0x2000 &&
	      d.points[2].ifindex == 3, "point sites");
	dg_data_free(&d);
}

int main(void)
{
	RUN(test_collect_points);
	return unit_done();
}
