// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tree.h"

#define ROOT_MINOR 1
#define LEAF_MINOR0 0x10
#define SMALL_BPS 500000ULL	/* changes under 0.5 Mbit/s are not written */

static int __attribute__((format(printf, 3, 4))) fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static uint32_t frame_len(unsigned int mtu)
{
	return mtu + SHAPE_ETH_HLEN;
}

/* Bytes sent in @ms at @bps, rounded up. */
static uint64_t bytes_in_ms(uint64_t bps, unsigned int ms)
{
	return (bps / 8 * ms + (bps % 8) * ms / 8 + 999) / 1000;
}

/* At least 1 ms at the rate, so a timer tick late does not cut the rate; and one frame. */
static uint32_t burst_for(uint64_t bps, unsigned int mtu)
{
	uint64_t b = bytes_in_ms(bps, 1);

	if (b < frame_len(mtu))
		b = frame_len(mtu);
	return b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

/*
 * HTB's own r2q rule (rate in bytes/s / 10), clamped where the kernel would
 * warn; never under one frame, so DRR moves a whole packet per round.
 */
static uint32_t quantum_for(uint64_t bps, unsigned int mtu)
{
	uint64_t q = bps / 8 / SHAPE_R2Q, lo = SHAPE_QUANTUM_MIN;

	if (lo < frame_len(mtu))
		lo = frame_len(mtu);
	if (q < lo)
		q = lo;
	if (q > SHAPE_QUANTUM_MAX)
		q = SHAPE_QUANTUM_MAX;
	return (uint32_t)q;
}

static void leaf_for(const struct shape_class_desc *c, unsigned int mtu, struct shape_node *n)
{
	uint64_t lim;

	n->leaf_bytes = c->depth_ms;
	if (!c->depth_ms) {
		n->leaf_limit = c->depth;
		return;
	}
	/* A queue shorter than one frame would drop every full-size packet. */
	lim = bytes_in_ms(c->rate_bps, c->depth);
	if (lim < frame_len(mtu))
		lim = frame_len(mtu);
	n->leaf_limit = lim > UINT32_MAX ? UINT32_MAX : (uint32_t)lim;
}

static int check_desc(const struct shape_desc *d, char *err, size_t len)
{
	uint64_t sum = 0;

	if (d->mtu < 68 || d->mtu > 65535)
		return fail(err, len, "mtu %u out of range", d->mtu);
	if (!d->n || d->n > SHAPE_MAX_CLASSES)
		return fail(err, len, "%u classes: want 1..%d", d->n, SHAPE_MAX_CLASSES);
	if (!d->floor_bps || d->floor_bps > d->line_bps)
		return fail(err, len, "floor %llu bit/s not within 1..line %llu bit/s",
			    (unsigned long long)d->floor_bps, (unsigned long long)d->line_bps);
	if (d->root_bps < d->floor_bps || d->root_bps > d->line_bps)
		return fail(err, len, "root rate %llu bit/s not between floor and line",
			    (unsigned long long)d->root_bps);
	if (d->default_class < 0 || (unsigned int)d->default_class >= d->n)
		return fail(err, len, "no default class");
	for (unsigned int i = 0; i < d->n; i++) {
		const struct shape_class_desc *c = &d->cls[i];
		uint64_t ceil = c->ceil_bps ? c->ceil_bps : d->line_bps;

		if (!c->name[0] || !memchr(c->name, 0, sizeof(c->name)))
			return fail(err, len, "class %u: no name", i);
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(d->cls[j].name, c->name))
				return fail(err, len, "class %s: name used twice", c->name);
		if (!c->rate_bps)
			return fail(err, len, "class %s: no guaranteed rate", c->name);
		if (ceil > d->line_bps)
			return fail(err, len, "class %s: ceiling above the line rate", c->name);
		if (c->rate_bps > ceil)
			return fail(err, len, "class %s: guaranteed rate above its ceiling", c->name);
		if (c->prio > 7)
			return fail(err, len, "class %s: priority %u, want 0..7", c->name, c->prio);
		if (!c->depth)
			return fail(err, len, "class %s: no queue depth", c->name);
		if (c->dscp > 63)
			return fail(err, len, "class %s: dscp %d, want 0..63", c->name, c->dscp);
		sum += c->rate_bps;
	}
	if (sum > d->floor_bps)
		return fail(err, len, "guaranteed rates sum to %llu bit/s, above the floor %llu",
			    (unsigned long long)sum, (unsigned long long)d->floor_bps);
	return 0;
}

int shape_tree_build(const struct shape_desc *d, struct shape_tree *t, char *err, size_t len)
{
	struct shape_node *r = &t->node[0];
	int ret = check_desc(d, err, len);

	if (ret)
		return ret;
	memset(t, 0, sizeof(*t));
	t->handle = 0x10000;
	t->mtu = d->mtu;
	t->floor_bps = d->floor_bps;
	t->line_bps = d->line_bps;
	t->default_minor = LEAF_MINOR0 + d->default_class;
	snprintf(r->name, sizeof(r->name), "root");
	r->classid = t->handle | ROOT_MINOR;
	r->parent = t->handle;	/* under the qdisc: TC_H_ROOT in the request */
	r->rate_bps = r->ceil_bps = d->root_bps;
	r->burst = r->cburst = burst_for(d->root_bps, d->mtu);
	/* Unused by an inner class, but HTB warns when it computes one out of range. */
	r->quantum = quantum_for(d->root_bps, d->mtu);
	r->dscp = -1;
	for (unsigned int i = 0; i < d->n; i++) {
		const struct shape_class_desc *c = &d->cls[i];
		struct shape_node *n = &t->node[i + 1];
		uint64_t ceil = c->ceil_bps ? c->ceil_bps : d->line_bps;

		memcpy(n->name, c->name, sizeof(n->name));
		n->classid = t->handle | (LEAF_MINOR0 + i);
		n->parent = r->classid;
		n->rate_bps = c->rate_bps;
		/* No child above its parent: what tc shows is what it gets. */
		n->ceil_bps = ceil < d->root_bps ? ceil : d->root_bps;
		n->burst = burst_for(n->rate_bps, d->mtu);
		n->cburst = burst_for(n->ceil_bps, d->mtu);
		n->quantum = quantum_for(n->rate_bps, d->mtu);
		n->prio = c->prio;
		n->leaf_handle = (LEAF_MINOR0 + i) << 16;
		n->dscp = c->dscp;
		leaf_for(c, d->mtu, n);
	}
	t->n = d->n + 1;
	return shape_tree_check(t, err, len);
}

static int check_node(const struct shape_tree *t, const struct shape_node *n, char *err,
		      size_t len)
{
	const struct shape_node *r = &t->node[0];

	if (n->rate_bps > n->ceil_bps)
		return fail(err, len, "class %s: rate above ceil", n->name);
	if (n != r && n->ceil_bps > r->ceil_bps)
		return fail(err, len, "class %s: ceil above the root's", n->name);
	if (n->burst < burst_for(n->rate_bps, t->mtu) ||
	    n->cburst < burst_for(n->ceil_bps, t->mtu))
		return fail(err, len, "class %s: burst under 1 ms or one frame", n->name);
	if (n != r && (n->quantum < SHAPE_QUANTUM_MIN || n->quantum > SHAPE_QUANTUM_MAX))
		return fail(err, len, "class %s: quantum %u out of range", n->name, n->quantum);
	return 0;
}

int shape_tree_check(const struct shape_tree *t, char *err, size_t len)
{
	const struct shape_node *r = &t->node[0];
	uint64_t sum = 0;
	int ret;

	if (t->n < 2 || t->n > SHAPE_MAX_CLASSES + 1)
		return fail(err, len, "%u nodes", t->n);
	if (r->ceil_bps > t->line_bps || r->rate_bps < t->floor_bps)
		return fail(err, len, "root rate not between floor and line");
	for (unsigned int i = 0; i < t->n; i++) {
		ret = check_node(t, &t->node[i], err, len);
		if (ret)
			return ret;
		if (i)
			sum += t->node[i].rate_bps;
	}
	if (sum > r->rate_bps || sum > t->floor_bps)
		return fail(err, len, "children's rates above the root's or the floor");
	return 0;
}

bool shape_change_small(uint64_t old, uint64_t new)
{
	uint64_t d = old > new ? old - new : new - old;

	/* Under 1% (d * 100 < old) or under 0.5 Mbit/s. */
	return d < SMALL_BPS || d * 100 < old;
}

static bool same_shape(const struct shape_tree *a, const struct shape_tree *b)
{
	if (a->n != b->n || a->handle != b->handle || a->default_minor != b->default_minor)
		return false;
	for (unsigned int i = 0; i < a->n; i++) {
		const struct shape_node *x = &a->node[i], *y = &b->node[i];

		if (x->classid != y->classid || x->parent != y->parent ||
		    x->leaf_handle != y->leaf_handle || x->leaf_bytes != y->leaf_bytes)
			return false;
	}
	return true;
}

static bool class_moves(const struct shape_node *x, const struct shape_node *y)
{
	return !shape_change_small(x->rate_bps, y->rate_bps) ||
	       !shape_change_small(x->ceil_bps, y->ceil_bps) || x->prio != y->prio;
}

static bool shrinks(const struct shape_node *x, const struct shape_node *y)
{
	return y->rate_bps < x->rate_bps || y->ceil_bps < x->ceil_bps;
}

/* A leaf limit: in packets any change counts; in bytes the 1% rule. */
static bool leaf_moves(const struct shape_node *x, const struct shape_node *y)
{
	uint32_t d = x->leaf_limit > y->leaf_limit ? x->leaf_limit - y->leaf_limit
						   : y->leaf_limit - x->leaf_limit;

	if (!x->leaf_handle || !d)
		return false;
	return !x->leaf_bytes || (uint64_t)d * 100 >= x->leaf_limit;
}

static void add(struct shape_plan *p, enum shape_write_kind k, unsigned int i,
		const struct shape_tree *b)
{
	struct shape_node *r = &p->result.node[i];
	const struct shape_node *y = &b->node[i];

	p->w[p->n].kind = k;
	p->w[p->n++].node = i;
	if (k == SHAPE_W_LEAF) {
		r->leaf_limit = y->leaf_limit;
		return;
	}
	r->rate_bps = y->rate_bps;
	r->ceil_bps = y->ceil_bps;
	r->burst = y->burst;
	r->cburst = y->cburst;
	r->quantum = y->quantum;
	r->prio = y->prio;
}

int shape_plan(const struct shape_tree *a, const struct shape_tree *b, struct shape_plan *p)
{
	const struct shape_node *x, *y;

	memset(p, 0, sizeof(*p));
	if (!same_shape(a, b))
		return -EINVAL;
	p->result = *a;
	p->result.floor_bps = b->floor_bps;
	p->result.line_bps = b->line_bps;
	/* Shrinking: the leaves (1..n-1) before the root (0), then each leaf's fifo. */
	for (unsigned int k = a->n; k-- > 0;) {
		x = &a->node[k];
		y = &b->node[k];
		if (class_moves(x, y) && shrinks(x, y))
			add(p, SHAPE_W_CLASS, k, b);
	}
	/* Growing: the root first, then the leaves. */
	for (unsigned int k = 0; k < a->n; k++) {
		x = &a->node[k];
		y = &b->node[k];
		if (class_moves(x, y) && !shrinks(x, y))
			add(p, SHAPE_W_CLASS, k, b);
	}
	for (unsigned int k = 1; k < a->n; k++)
		if (leaf_moves(&a->node[k], &b->node[k]))
			add(p, SHAPE_W_LEAF, k, b);
	return 0;
}
