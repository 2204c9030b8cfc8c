/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shaper's HTB tree, pure: computed from a description (no I/O), and
 * the plan of the writes that turn one tree into another in place.
 *
 * Layout: qdisc 1: (htb, default = the default class), root class 1:1 at
 * the root rate R, one leaf class 1:(10+i) per described class under it,
 * each with its own leaf fifo (10+i):.
 */
#ifndef DS_SHAPE_TREE_H
#define DS_SHAPE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHAPE_MAX_CLASSES 32
#define SHAPE_NAME_LEN 32
#define SHAPE_ETH_HLEN 14	/* HTB counts the L2 header: a frame is MTU + 14 */
#define SHAPE_QUANTUM_MIN 1000	/* HTB warns "quantum is small/big" outside these */
#define SHAPE_QUANTUM_MAX 200000
#define SHAPE_R2Q 10		/* HTB's default rate-to-quantum divisor */

/* One class as described. */
struct shape_class_desc {
	char name[SHAPE_NAME_LEN];
	uint64_t rate_bps;	/* guaranteed */
	uint64_t ceil_bps;	/* 0: the line rate */
	unsigned int prio;	/* 0 (first) .. 7 */
	unsigned int depth;	/* leaf queue depth, in packets or in ms */
	bool depth_ms;		/* depth in ms at the class rate: a bfifo */
	int dscp;		/* -1: none (reached as the default class only) */
};

struct shape_desc {
	unsigned int mtu;	/* the device's */
	uint64_t root_bps;	/* R */
	uint64_t floor_bps;	/* the committed rate */
	uint64_t line_bps;	/* the line rate: no class goes above */
	int default_class;	/* index into cls */
	unsigned int n;
	struct shape_class_desc cls[SHAPE_MAX_CLASSES];
};

/* One HTB class as written. node[0] is the root class. */
struct shape_node {
	char name[SHAPE_NAME_LEN];
	uint32_t classid, parent;	/* tc's maj:min as one number */
	uint64_t rate_bps, ceil_bps;
	uint32_t burst, cburst;		/* bytes */
	uint32_t quantum;		/* bytes */
	unsigned int prio;
	uint32_t leaf_handle;		/* 0 for the root class */
	bool leaf_bytes;		/* bfifo (limit in bytes) or pfifo (packets) */
	uint32_t leaf_limit;
	int dscp;
};

struct shape_tree {
	uint32_t handle;		/* the qdisc's, 1: = 0x10000 */
	uint32_t default_minor;
	unsigned int mtu;
	uint64_t floor_bps, line_bps;
	unsigned int n;			/* nodes, root included */
	struct shape_node node[SHAPE_MAX_CLASSES + 1];
};

/**
 * shape_tree_build() - the whole tree for @d.
 * Checks: names unique and non-empty, Σ guaranteed ≤ floor, each ceiling ≤
 * line, each guaranteed ≤ its ceiling, floor ≤ R ≤ line, prio ≤ 7, depth > 0.
 * Return: 0, or -EINVAL with the reason in @err.
 */
int shape_tree_build(const struct shape_desc *d, struct shape_tree *t, char *err, size_t errlen);

/**
 * shape_tree_check() - the invariants of a built (or partly changed) tree:
 * children's rates sum ≤ the root's and ≤ floor, every ceil ≤ the root's
 * ceil ≤ line, rate ≤ ceil, burst ≥ 1 ms and ≥ one frame, quantum in range.
 * Return: 0, or -EINVAL with the reason in @err.
 */
int shape_tree_check(const struct shape_tree *t, char *err, size_t errlen);

enum shape_write_kind {
	SHAPE_W_CLASS,		/* change class node[i] in place */
	SHAPE_W_LEAF,		/* change node[i]'s leaf fifo limit in place */
};

struct shape_write {
	enum shape_write_kind kind;
	unsigned int node;	/* index in the target tree */
};

struct shape_plan {
	unsigned int n;
	struct shape_write w[2 * (SHAPE_MAX_CLASSES + 1)];
	struct shape_tree result;	/* the kernel's tree once the plan is written */
};

/**
 * shape_plan() - the ordered writes from tree @a (in the kernel) to @b.
 *
 * Only changes in place (`tc class change`, `tc qdisc change`): @a and @b
 * must have the same classes (ids, parents, leaf kinds), else -EINVAL. A
 * value moving by less than 1% or less than 0.5 Mbit/s is not written; a
 * class is written whole (rate, ceil, bursts, quantum) when any of its
 * values moves enough. Classes that shrink (rate or ceil down) are written
 * children first, then classes that grow, parent first; a leaf's limit
 * follows its class. @p->result is @a with the writes applied.
 * Return: 0 or -EINVAL.
 */
int shape_plan(const struct shape_tree *a, const struct shape_tree *b, struct shape_plan *p);

/* True when the move from @old to @new is too small to be written. */
bool shape_change_small(uint64_t old, uint64_t new);

#endif
