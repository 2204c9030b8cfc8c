// SPDX-License-Identifier: GPL-2.0
/*
 * The shaper's HTB tree from hand-made descriptions: values worked out in
 * the comments (1 ms at 8 Mbit/s = 1000 bytes, a frame = 1500 + 14 bytes).
 */
#include <errno.h>
#include <string.h>

#include "tree.h"
#include "unit.h"

#define MBIT 1000000ULL

static void desc3(struct shape_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->mtu = 1500;
	d->floor_bps = 45 * MBIT;
	d->line_bps = 100 * MBIT;
	d->root_bps = 60 * MBIT;
	d->n = 3;
	d->default_class = 2;
	d->cls[0] = (struct shape_class_desc){ "voice", 2 * MBIT, 5 * MBIT, 0, 20, false, 46 };
	d->cls[1] = (struct shape_class_desc){ "video", 20 * MBIT, 0, 1, 10, true, 34 };
	d->cls[2] = (struct shape_class_desc){ "bulk", 8 * MBIT, 0, 7, 50, true, -1 };
}

static void test_build(void)
{
	struct shape_desc d;
	struct shape_tree t;
	char err[128] = "";
	int ret;

	desc3(&d);
	ret = shape_tree_build(&d, &t, err, sizeof(err));
	CHECK(ret == 0, "ret %d %s", ret, err);
	CHECK(t.n == 4 && t.default_minor == 0x12, "n %u def %x", t.n, t.default_minor);
	/* Root 1:1 at R = 60 Mbit: 1 ms = 7500 bytes. */
	CHECK(t.node[0].classid == 0x10001 && t.node[0].rate_bps == 60 * MBIT &&
	      t.node[0].burst == 7500, "root %x %u", t.node[0].classid, t.node[0].burst);
	/* voice: 2 Mbit -> 1 ms = 250 B < one frame: 1514; ceil 5 Mbit kept. */
	CHECK(t.node[1].classid == 0x10010 && t.node[1].burst == 1514 &&
	      t.node[1].cburst == 1514 && t.node[1].ceil_bps == 5 * MBIT, "voice");
	/* quantum 2e6/8/10 = 25000 B -> clamped up to 1514 ... no: 25000 is in range. */
	CHECK(t.node[1].quantum == 25000, "voice quantum %u", t.node[1].quantum);
	CHECK(!t.node[1].leaf_bytes && t.node[1].leaf_limit == 20, "voice leaf");
	/* video: no ceiling -> the line, cut to R: 60 Mbit; 10 ms at 20 Mbit = 25000 B. */
	CHECK(t.node[2].ceil_bps == 60 * MBIT && t.node[2].cburst == 7500, "video ceil");
	CHECK(t.node[2].leaf_bytes && t.node[2].leaf_limit == 25000, "video %u",
	      t.node[2].leaf_limit);
	/* video quantum 20e6/80 = 250000 -> 200000; bulk 8e6/80 = 100000. */
	CHECK(t.node[2].quantum == 200000 && t.node[3].quantum == 100000, "quanta");
	CHECK(t.node[3].leaf_handle == 0x120000 && t.node[3].leaf_limit == 50000, "bulk");
}

static void test_small_quantum(void)
{
	struct shape_desc d;
	struct shape_tree t;
	char err[128];

	desc3(&d);
	/* 64 kbit/s: r2q gives 800 B, under HTB's 1000 and under a frame: 1514. */
	d.cls[0].rate_bps = 64000;
	d.cls[0].depth = 1;
	d.cls[0].depth_ms = true;
	CHECK(shape_tree_build(&d, &t, err, sizeof(err)) == 0, "%s", err);
	CHECK(t.node[1].quantum == 1514, "quantum %u", t.node[1].quantum);
	/* 1 ms at 64 kbit = 8 B: the leaf still holds one frame. */
	CHECK(t.node[1].leaf_limit == 1514, "limit %u", t.node[1].leaf_limit);
}

static void expect_bad(struct shape_desc *d, const char *what)
{
	struct shape_tree t;
	char err[128] = "";

	CHECK(shape_tree_build(d, &t, err, sizeof(err)) == -EINVAL && strstr(err, what),
	      "want '%s', got '%s'", what, err);
}

static void test_invariants(void)
{
	struct shape_desc d;

	desc3(&d);
	d.cls[1].rate_bps = 40 * MBIT;	/* 2 + 40 + 8 = 50 > floor 45 */
	expect_bad(&d, "above the floor");
	desc3(&d);
	d.cls[0].ceil_bps = 101 * MBIT;
	expect_bad(&d, "above the line");
	desc3(&d);
	d.root_bps = 40 * MBIT;
	expect_bad(&d, "not between floor and line");
	desc3(&d);
	d.root_bps = 101 * MBIT;
	expect_bad(&d, "not between floor and line");
	desc3(&d);
	strcpy(d.cls[2].name, "voice");
	expect_bad(&d, "used twice");
	desc3(&d);
	d.cls[0].ceil_bps = 1 * MBIT;
	expect_bad(&d, "above its ceiling");
	desc3(&d);
	d.cls[0].prio = 8;
	expect_bad(&d, "priority");
	desc3(&d);
	d.default_class = 3;
	expect_bad(&d, "default");
}

static void build(struct shape_desc *d, struct shape_tree *t)
{
	char err[128];

	if (shape_tree_build(d, t, err, sizeof(err)))
		CHECK(0, "build: %s", err);
}

static void test_plan_shrink(void)
{
	struct shape_desc d;
	struct shape_tree a, b;
	struct shape_plan p;
	char err[128];

	desc3(&d);
	build(&d, &a);
	d.root_bps = 50 * MBIT;	/* video's and bulk's ceils follow R down */
	build(&d, &b);
	CHECK(shape_plan(&a, &b, &p) == 0, "plan");
	/* Children first: bulk (3), video (2), then the root; voice unchanged. */
	CHECK(p.n == 3, "n %u", p.n);
	CHECK(p.w[0].node == 3 && p.w[1].node == 2 && p.w[2].node == 0, "%u %u %u",
	      p.w[0].node, p.w[1].node, p.w[2].node);
	CHECK(p.result.node[0].rate_bps == 50 * MBIT, "result");
	CHECK(shape_tree_check(&p.result, err, sizeof(err)) == 0, "%s", err);
}

static void test_plan_grow(void)
{
	struct shape_desc d;
	struct shape_tree a, b;
	struct shape_plan p;

	desc3(&d);
	build(&d, &a);
	d.root_bps = 80 * MBIT;
	d.cls[1].rate_bps = 30 * MBIT;	/* 10 ms at 30 Mbit: 37500 B, leaf follows */
	build(&d, &b);
	CHECK(shape_plan(&a, &b, &p) == 0, "plan");
	/* Parent first: root, video, bulk; then video's leaf. */
	CHECK(p.n == 4 && p.w[0].node == 0 && p.w[1].node == 2 && p.w[2].node == 3,
	      "n %u", p.n);
	CHECK(p.w[3].kind == SHAPE_W_LEAF && p.w[3].node == 2, "leaf");
	CHECK(p.result.node[2].leaf_limit == 37500, "limit");
}

static void test_plan_small(void)
{
	struct shape_desc d;
	struct shape_tree a, b;
	struct shape_plan p;

	desc3(&d);
	build(&d, &a);
	d.root_bps = 60 * MBIT + 400000;	/* 0.4 Mbit: under 0.5 Mbit/s */
	build(&d, &b);
	CHECK(shape_plan(&a, &b, &p) == 0 && p.n == 0, "n %u", p.n);
	/* 0.55 Mbit on 60 is under 1% too (0.6 Mbit). */
	CHECK(shape_change_small(60 * MBIT, 60 * MBIT + 550000), "1%%");
	CHECK(!shape_change_small(60 * MBIT, 60 * MBIT + 600000), "1%% is written");
	CHECK(!shape_change_small(10 * MBIT, 10 * MBIT + 500000), "0.5 Mbit is written");
	CHECK(shape_change_small(1 * MBIT, 1 * MBIT + 499999), "under 0.5 Mbit");
}

static void test_plan_structure(void)
{
	struct shape_desc d;
	struct shape_tree a, b;
	struct shape_plan p;

	desc3(&d);
	build(&d, &a);
	d.n = 2;
	d.default_class = 1;
	build(&d, &b);
	/* A class less is no change in place: refused. */
	CHECK(shape_plan(&a, &b, &p) == -EINVAL, "structure");
	desc3(&d);
	d.cls[0].depth_ms = true;	/* pfifo -> bfifo: a new leaf, refused */
	build(&d, &b);
	CHECK(shape_plan(&a, &b, &p) == -EINVAL, "leaf kind");
}

int main(void)
{
	RUN(test_build);
	RUN(test_small_quantum);
	RUN(test_invariants);
	RUN(test_plan_shrink);
	RUN(test_plan_grow);
	RUN(test_plan_small);
	RUN(test_plan_structure);
	return unit_done();
}
