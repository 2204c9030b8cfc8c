// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "vantage.h"

const char *const vt_class_name[VT_NCLASS] = {
	"data", "retransmission", "ack", "fin", "syn", "other",
};

int vt_add(struct vt_set *s, const struct tcp_seg *seg, uint64_t ts_ns)
{
	struct vt_pkt *p;
	struct flow_id f;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		struct vt_pkt *np;

		if (s->n >= VT_MAX_PKTS || !(np = realloc(s->p, cap * sizeof(*np)))) {
			s->not_kept++;
			return -ENOMEM;
		}
		s->p = np;
		s->cap = cap;
	}
	p = &s->p[s->n++];
	memset(p, 0, sizeof(*p));
	flow_from_seg(&f, seg);
	f.netns = 0;
	p->dir = (uint8_t)flow_canon(&p->canon, &f);
	p->flags = seg->flags;
	p->ip_id = seg->has_ip_id ? seg->ip_id : 0;
	p->seq = seg->seq;
	p->ack = seg->ack;
	p->len = seg->payload_len;
	p->tsval = seg->has_ts ? seg->tsval : 0;
	p->t_ns = ts_ns;
	return 0;
}

void vt_set_free(struct vt_set *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

#define CMP(x, y) ((x) < (y) ? -1 : (x) > (y))

static int cmp_group(const struct vt_pkt *a, const struct vt_pkt *b)
{
	int c = memcmp(&a->canon, &b->canon, sizeof(a->canon));

	return c ? c : CMP(a->dir, b->dir);
}

/* The packet's identity; equal ones are paired in the order they came. */
static int cmp_same(const struct vt_pkt *a, const struct vt_pkt *b)
{
	int c = cmp_group(a, b);

	if (!c)
		c = CMP(a->seq, b->seq);
	if (!c)
		c = CMP(a->ip_id, b->ip_id);
	if (!c)
		c = CMP(a->ack, b->ack);
	if (!c)
		c = CMP(a->len, b->len);
	if (!c)
		c = CMP(a->flags, b->flags);
	if (!c)
		c = CMP(a->tsval, b->tsval);
	return c;
}

static int cmp_sort(const void *x, const void *y)
{
	const struct vt_pkt *a = x, *b = y;
	int c = cmp_same(a, b);

	return c ? c : CMP(a->t_ns, b->t_ns);
}

/* What @u->p[k] carried as its upstream point saw it sent. */
static uint8_t classify(const struct vt_set *u, size_t k)
{
	const struct vt_pkt *p = &u->p[k];

	if (p->flags & TCPF_RST)
		return VT_OTHER;
	if (!p->len)
		return p->flags & TCPF_SYN ? VT_SYN : p->flags & TCPF_FIN ? VT_FIN : VT_ACK;
	/* Sorted by seq within the group: the copies of this seq are neighbours. */
	size_t i = k;

	while (i > 0 && !cmp_group(&u->p[i - 1], p) && u->p[i - 1].seq == p->seq)
		i--;
	for (; i < u->n && !cmp_group(&u->p[i], p) && u->p[i].seq == p->seq; i++)
		if (u->p[i].len && u->p[i].t_ns < p->t_ns)
			return VT_RETRANS;
	return VT_DATA;
}

/* A traced TCP drop as the diff names packets. */
struct dkey {
	struct flow_id canon;
	uint8_t dir, flags;
	uint32_t seq, len;
	size_t i;
};

static int dkey_cmp(const void *x, const void *y)
{
	const struct dkey *a = x, *b = y;
	int c = memcmp(&a->canon, &b->canon, sizeof(a->canon));

	if (!c)
		c = CMP(a->dir, b->dir);
	if (!c)
		c = CMP(a->seq, b->seq);
	if (!c)
		c = CMP(a->len, b->len);
	if (!c)
		c = CMP(a->flags, b->flags);
	return c ? c : CMP(a->i, b->i);
}

struct ctx {
	struct dkey *dk;
	size_t ndk;
	struct vt_diff *out;
};

/* Mark the first traced drop not yet matched that is @p; whether there was one. */
static bool match_drop(struct ctx *c, const struct vt_pkt *p, uint8_t mark)
{
	struct dkey want = { .canon = p->canon, .dir = p->dir, .flags = p->flags, .seq = p->seq,
			     .len = p->len, .i = 0 };
	size_t lo = 0, hi = c->ndk;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dkey_cmp(&c->dk[mid], &want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->ndk; lo++) {
		struct dkey *d = &c->dk[lo];

		want.i = d->i;
		if (dkey_cmp(d, &want))
			return false;
		if (!c->out->drop_matched[d->i]) {
			c->out->drop_matched[d->i] = mark;
			return true;
		}
	}
	return false;
}

static void lost(struct ctx *c, struct vt_lost *l, const struct vt_set *u, size_t k, uint8_t mark)
{
	l->total++;
	l->by_class[classify(u, k)]++;
	if (match_drop(c, &u->p[k], mark))
		l->traced++;
}

/*
 * The packets of [@i0, @i1) of @s its peer never saw (@unseen): lost, when
 * @s saw first more of what both saw (@first > @other), else seen downstream
 * only, or not to be ordered.
 */
static void settle(struct ctx *c, const struct vt_set *s, size_t i0, size_t i1,
		   const uint8_t *unseen, uint64_t first, uint64_t other, struct vt_lost *l,
		   uint8_t mark)
{
	for (size_t i = i0; i < i1; i++) {
		if (!unseen[i])
			continue;
		if (first > other)
			lost(c, l, s, i, mark);
		else if (other > first)
			c->out->only_downstream++;
		else
			c->out->unordered++;
	}
}

/* One flow direction: [i0, i1) of @a against [j0, j1) of @b. */
static void group(struct ctx *c, struct vt_set *a, size_t i0, size_t i1, struct vt_set *b,
		  size_t j0, size_t j1, uint8_t *ua, uint8_t *ub)
{
	uint64_t a_first = 0, b_first = 0;
	size_t i = i0, j = j0;

	while (i < i1 || j < j1) {
		int k = i == i1 ? 1 : j == j1 ? -1 : cmp_same(&a->p[i], &b->p[j]);

		if (k < 0) {
			ua[i++] = 1;
		} else if (k > 0) {
			ub[j++] = 1;
		} else {
			c->out->matched++;
			a_first += a->p[i].t_ns < b->p[j].t_ns;
			b_first += b->p[j].t_ns < a->p[i].t_ns;
			i++, j++;
		}
	}
	settle(c, a, i0, i1, ua, a_first, b_first, &c->out->a_to_b, VT_A_TO_B);
	settle(c, b, j0, j1, ub, b_first, a_first, &c->out->b_to_a, VT_B_TO_A);
}

int vt_diff(struct vt_set *a, struct vt_set *b, const struct dg_drop *drops, size_t ndrops,
	    struct vt_diff *out)
{
	struct ctx c = { .out = out };
	uint8_t *ua, *ub;
	size_t i = 0, j = 0;

	memset(out, 0, sizeof(*out));
	out->ndrops = ndrops;
	out->drop_matched = calloc(ndrops ? ndrops : 1, 1);
	c.dk = calloc(ndrops ? ndrops : 1, sizeof(*c.dk));
	ua = calloc(a->n ? a->n : 1, 1);
	ub = calloc(b->n ? b->n : 1, 1);
	if (!out->drop_matched || !c.dk || !ua || !ub) {
		free(c.dk), free(ua), free(ub);
		vt_diff_free(out);
		return -ENOMEM;
	}
	for (size_t k = 0; k < ndrops; k++) {
		struct flow_id f = drops[k].flow;

		if (!drops[k].tcp)
			continue;
		f.netns = 0;
		c.dk[c.ndk] = (struct dkey){ .flags = drops[k].flags, .seq = drops[k].seq,
					     .len = drops[k].len, .i = k };
		c.dk[c.ndk].dir = (uint8_t)flow_canon(&c.dk[c.ndk].canon, &f);
		c.ndk++;
	}
	qsort(c.dk, c.ndk, sizeof(*c.dk), dkey_cmp);
	qsort(a->p, a->n, sizeof(*a->p), cmp_sort);
	qsort(b->p, b->n, sizeof(*b->p), cmp_sort);
	while (i < a->n || j < b->n) {
		size_t i1 = i, j1 = j;
		const struct vt_pkt *g;
		int k = i == a->n ? 1 : j == b->n ? -1 : cmp_group(&a->p[i], &b->p[j]);

		g = k <= 0 ? &a->p[i] : &b->p[j];
		if (k <= 0)
			while (i1 < a->n && !cmp_group(&a->p[i1], g))
				i1++;
		if (k >= 0)
			while (j1 < b->n && !cmp_group(&b->p[j1], g))
				j1++;
		group(&c, a, i, i1, b, j, j1, ua, ub);
		i = i1;
		j = j1;
	}
	free(c.dk);
	free(ua);
	free(ub);
	return 0;
}

void vt_diff_free(struct vt_diff *d)
{
	free(d->drop_matched);
	memset(d, 0, sizeof(*d));
}
