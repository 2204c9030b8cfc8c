// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "pkt.h"

const char *const dg_payload_name[DG_NPAYLOAD] = {
	"request", "response", "retransmission", "ack", "dsack", "fin", "syn", "other",
};

const char *const dg_why_name[DG_NWHY] = {
	"request_dropped", "request_redropped", "response_dropped", "delay", "no_drop",
};

const char *const dg_rtx_why_name[DG_NRTX_WHY] = {
	"dropped", "ack_dropped", "delay", "unexplained",
};

/* A peer's ACK lost this long before a retransmission may have caused it. */
#define ACK_WINDOW_NS (3ULL * 1000000000ULL)

/* An event as the join sorts it: the flow both directions share, its direction, seq, time. */
struct key {
	struct flow_id canon;		/* netns 0 */
	int dir;			/* 1: against the canonical direction */
	uint32_t seq;
	uint64_t t_ns;
	size_t i;			/* index into the caller's array */
};

static int key_cmp(const struct key *a, const struct key *b)
{
	int c = memcmp(&a->canon, &b->canon, sizeof(a->canon));

	if (c)
		return c;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if (a->t_ns != b->t_ns)
		return a->t_ns < b->t_ns ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static int key_qsort(const void *a, const void *b)
{
	return key_cmp(a, b);
}

static int canon(struct flow_id *out, const struct flow_id *f)
{
	int dir = flow_canon(out, f);

	out->netns = 0;
	return dir;
}

/* The first key of (@c, @dir): a group's start. */
static size_t group(const struct key *k, size_t n, const struct flow_id *c, int dir)
{
	struct key probe = { .canon = *c, .dir = dir };
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(&k[mid], &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_group(const struct key *k, size_t n, size_t j, const struct flow_id *c, int dir)
{
	return j < n && k[j].dir == dir && !memcmp(&k[j].canon, c, sizeof(*c));
}

/* Whether @seq is in [@start, @start + @len), modulo 2^32; @len 0 counts as 1. */
static bool seq_in(uint32_t seq, uint32_t start, uint32_t len)
{
	return seq - start < (len ? len : 1);
}

/* Data or a flag that takes sequence space: what a retransmission repeats. */
static bool takes_seq(const struct dg_drop *d)
{
	return d->tcp && (d->len || (d->flags & (TCPF_SYN | TCPF_FIN)));
}

static bool is_data(const struct dg_drop *d)
{
	return d->tcp && d->len && !(d->flags & (TCPF_SYN | TCPF_FIN | TCPF_RST));
}

/* A workload flow: the form both directions share, and which way requests go. */
struct wflow {
	struct flow_id canon;
	int dir;
};

static int wflow_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct flow_id));	/* canon is the first member */
}

/* Requests' direction on flow @c, -1 when it is not the workload's. */
static int client_dir(const struct wflow *w, size_t n, const struct flow_id *c)
{
	const struct wflow *hit = n ? bsearch(c, w, n, sizeof(*w), wflow_cmp) : NULL;

	return hit ? hit->dir : -1;
}

struct ctx {
	const struct dg_input *in;
	struct dg_output *out;
	struct key *dk, *rk, *sk;	/* drops, retransmissions, spurious: sorted */
	struct wflow *wf;
	size_t nwf;
	bool *explaining;		/* [ndrops] */
};

static uint8_t classify(const struct ctx *c, size_t j, int cdir)
{
	const struct key *k = &c->dk[j];
	const struct dg_drop *d = &c->in->drops[k->i];

	if (!d->tcp || cdir < 0 || (d->flags & TCPF_RST))
		return DG_OTHER;
	if (d->flags & TCPF_SYN)
		return DG_SYN;
	if (d->flags & TCPF_FIN)
		return DG_FIN;
	if (!d->len)
		return d->dsack ? DG_DSACK : DG_ACK;
	/* Sorted by time within one seq: data of this seq dropped before is its original. */
	for (size_t p = j; p-- > 0 && in_group(c->dk, j, p, &k->canon, k->dir) &&
			   c->dk[p].seq == k->seq;)
		if (is_data(&c->in->drops[c->dk[p].i]))
			return DG_RETRANSMISSION;
	/* Or the kernel had sent it again before it was dropped. */
	for (size_t r = group(c->rk, c->in->nrtx, &k->canon, k->dir);
	     in_group(c->rk, c->in->nrtx, r, &k->canon, k->dir); r++) {
		const struct dg_rtx *x = &c->in->rtx[c->rk[r].i];

		if (x->t_ns <= d->t_ns && seq_in(d->seq, x->seq, x->len))
			return DG_RETRANSMISSION;
	}
	return k->dir == cdir ? DG_REQUEST : DG_RESPONSE;
}

/*
 * Data drops of (@fc, @dir) carrying a byte of [@seq, @seq + @len) inside
 * @s's span: how many, and the first in time.
 */
static uint32_t drops_of(struct ctx *c, const struct flow_id *fc, int dir, uint32_t seq,
			 uint32_t len, const struct dg_slow *s, size_t *first)
{
	const struct dg_drop *drops = c->in->drops;
	uint64_t first_t = UINT64_MAX;
	uint32_t n = 0;

	for (size_t j = group(c->dk, c->in->ndrops, fc, dir);
	     in_group(c->dk, c->in->ndrops, j, fc, dir); j++) {
		const struct dg_drop *d = &drops[c->dk[j].i];

		if (!is_data(d) || d->t_ns < s->start_ns || d->t_ns > s->end_ns ||
		    !(seq_in(d->seq, seq, len) || seq_in(seq, d->seq, d->len)))
			continue;
		n++;
		c->explaining[c->dk[j].i] = true;
		if (d->t_ns < first_t) {
			first_t = d->t_ns;
			*first = c->dk[j].i;
		}
	}
	return n;
}

/* Whether the kernel retransmitted a byte of [@seq, @seq + @len) of (@fc, @dir) in @s's span. */
static bool resent(const struct ctx *c, const struct flow_id *fc, int dir, uint32_t seq,
		   uint32_t len, const struct dg_slow *s)
{
	for (size_t r = group(c->rk, c->in->nrtx, fc, dir);
	     in_group(c->rk, c->in->nrtx, r, fc, dir); r++) {
		const struct dg_rtx *x = &c->in->rtx[c->rk[r].i];

		if (x->t_ns >= s->start_ns && x->t_ns <= s->end_ns &&
		    (seq_in(x->seq, seq, len) || seq_in(seq, x->seq, x->len)))
			return true;
	}
	return false;
}

static void explain_slow(struct ctx *c, const struct dg_slow *s, struct dg_row *row)
{
	struct flow_id fc;
	int dir = canon(&fc, &s->flow);
	uint32_t n;

	*row = (struct dg_row){ .why = DG_WHY_NO_DROP };
	if (!s->seq_valid)
		return;
	/*
	 * A drop is the tail's cause only when it took the first copy: if the
	 * earliest one dropped is a retransmission, the original got through,
	 * late, and the copy sent meanwhile was lost on the way (a delay).
	 */
	n = drops_of(c, &fc, dir, s->req_seq, s->req_len, s, &row->drop);
	if (n && c->out->payload[row->drop] != DG_RETRANSMISSION) {
		row->why = n > 1 ? DG_WHY_REQUEST_REDROPPED : DG_WHY_REQUEST_DROPPED;
		row->drops = n;
		return;
	}
	n = drops_of(c, &fc, !dir, s->resp_seq, s->resp_len, s, &row->drop);
	if (n && c->out->payload[row->drop] != DG_RETRANSMISSION) {
		row->why = DG_WHY_RESPONSE_DROPPED;
		row->drops = n;
		return;
	}
	if (resent(c, &fc, dir, s->req_seq, s->req_len, s) ||
	    resent(c, &fc, !dir, s->resp_seq, s->resp_len, s))
		row->why = DG_WHY_DELAY;
}

static enum dg_rtx_why explain_rtx(struct ctx *c, size_t r)
{
	const struct key *k = &c->rk[r];
	const struct dg_rtx *x = &c->in->rtx[k->i];
	const struct dg_drop *drops = c->in->drops;
	size_t nd = c->in->ndrops, best = SIZE_MAX;

	/* Its own bytes dropped before it: the latest such drop is the one it repairs. */
	for (size_t j = group(c->dk, nd, &k->canon, k->dir); in_group(c->dk, nd, j, &k->canon, k->dir);
	     j++) {
		const struct dg_drop *d = &drops[c->dk[j].i];

		if (takes_seq(d) && d->t_ns <= x->t_ns &&
		    (seq_in(x->seq, d->seq, d->len) || seq_in(d->seq, x->seq, x->len)) &&
		    (best == SIZE_MAX || d->t_ns > drops[best].t_ns))
			best = c->dk[j].i;
	}
	if (best != SIZE_MAX) {
		c->explaining[best] = true;
		return DG_RTX_DROPPED;
	}
	/* What would have acknowledged it went the other way. */
	for (size_t j = group(c->dk, nd, &k->canon, !k->dir);
	     in_group(c->dk, nd, j, &k->canon, !k->dir); j++) {
		const struct dg_drop *d = &drops[c->dk[j].i];

		if (d->tcp && d->t_ns <= x->t_ns && x->t_ns - d->t_ns <= ACK_WINDOW_NS &&
		    (best == SIZE_MAX || d->t_ns > drops[best].t_ns))
			best = c->dk[j].i;
	}
	if (best != SIZE_MAX) {
		c->explaining[best] = true;
		return DG_RTX_ACK_DROPPED;
	}
	/*
	 * No drop before it, yet its own copy was dropped after: the original
	 * got through (every drop is traced), only late.
	 */
	for (size_t j = group(c->dk, nd, &k->canon, k->dir); in_group(c->dk, nd, j, &k->canon, k->dir);
	     j++) {
		const struct dg_drop *d = &drops[c->dk[j].i];

		if (takes_seq(d) && d->t_ns > x->t_ns && d->seq == x->seq)
			return DG_RTX_DELAY;
	}
	for (size_t s = group(c->sk, c->in->nspurious, &k->canon, k->dir);
	     in_group(c->sk, c->in->nspurious, s, &k->canon, k->dir) && c->sk[s].seq <= x->seq; s++)
		if (c->sk[s].seq == x->seq)
			return DG_RTX_DELAY;
	return DG_RTX_UNEXPLAINED;
}

static struct key *keys(size_t n)
{
	return calloc(n ? n : 1, sizeof(struct key));
}

static int prepare(struct ctx *c)
{
	const struct dg_input *in = c->in;
	struct dg_output *o = c->out;

	c->dk = keys(in->ndrops);
	c->rk = keys(in->nrtx);
	c->sk = keys(in->nspurious);
	c->wf = calloc(in->nflows ? in->nflows : 1, sizeof(*c->wf));
	c->explaining = calloc(in->ndrops ? in->ndrops : 1, sizeof(bool));
	o->rows = calloc(in->nslow ? in->nslow : 1, sizeof(*o->rows));
	o->payload = calloc(in->ndrops ? in->ndrops : 1, 1);
	o->workload = calloc(in->ndrops ? in->ndrops : 1, sizeof(bool));
	o->rtx_why = calloc(in->nrtx ? in->nrtx : 1, 1);
	o->rtx_end = calloc(in->nrtx ? in->nrtx : 1, 1);
	o->where = calloc(in->nwhere ? in->nwhere : 1, sizeof(*o->where));
	if (!c->dk || !c->rk || !c->sk || !c->wf || !c->explaining || !o->rows || !o->payload ||
	    !o->workload || !o->rtx_why || !o->rtx_end || !o->where)
		return -ENOMEM;
	for (size_t i = 0; i < in->ndrops; i++) {
		c->dk[i].dir = canon(&c->dk[i].canon, &in->drops[i].flow);
		c->dk[i].seq = in->drops[i].seq;
		c->dk[i].t_ns = in->drops[i].t_ns;
		c->dk[i].i = i;
	}
	for (size_t i = 0; i < in->nrtx; i++) {
		c->rk[i].dir = canon(&c->rk[i].canon, &in->rtx[i].flow);
		c->rk[i].seq = in->rtx[i].seq;
		c->rk[i].t_ns = in->rtx[i].t_ns;
		c->rk[i].i = i;
	}
	for (size_t i = 0; i < in->nspurious; i++) {
		c->sk[i].dir = canon(&c->sk[i].canon, &in->spurious[i].flow);
		c->sk[i].seq = in->spurious[i].seq;
		c->sk[i].i = i;
	}
	qsort(c->dk, in->ndrops, sizeof(*c->dk), key_qsort);
	qsort(c->rk, in->nrtx, sizeof(*c->rk), key_qsort);
	qsort(c->sk, in->nspurious, sizeof(*c->sk), key_qsort);
	for (size_t i = 0; i < in->nflows; i++)
		c->wf[i].dir = canon(&c->wf[i].canon, &in->flows[i]);
	qsort(c->wf, in->nflows, sizeof(*c->wf), wflow_cmp);
	for (size_t i = 0; i < in->nflows; i++)
		if (!c->nwf || wflow_cmp(&c->wf[c->nwf - 1], &c->wf[i]))
			c->wf[c->nwf++] = c->wf[i];
	return 0;
}

int dg_join(const struct dg_input *in, struct dg_output *out)
{
	struct ctx c = { .in = in, .out = out };
	struct dg_verdict *v = &out->v;
	int err;

	memset(out, 0, sizeof(*out));
	err = prepare(&c);
	if (err)
		goto out;
	for (size_t j = 0; j < in->ndrops; j++) {
		size_t i = c.dk[j].i;
		int cdir = client_dir(c.wf, c.nwf, &c.dk[j].canon);
		uint8_t p = classify(&c, j, cdir);
		struct dg_where *w = in->drops[i].where < in->nwhere ? &out->where[in->drops[i].where]
								      : NULL;

		out->payload[i] = p;
		out->workload[i] = cdir >= 0;
		if (cdir >= 0) {
			v->drops++;
			v->by_payload[p]++;
		} else {
			v->other_drops++;
		}
		if (w) {
			w->drops++;
			w->by_payload[p]++;
		}
	}
	for (size_t i = 0; i < in->nslow; i++) {
		struct dg_row *row = &out->rows[i];

		explain_slow(&c, &in->slow[i], row);
		v->by_why[row->why]++;
		if (row->why <= DG_WHY_RESPONSE_DROPPED && in->drops[row->drop].where < in->nwhere)
			out->where[in->drops[row->drop].where].slow_explained++;
	}
	v->slow = in->nslow;
	v->unexplained = v->by_why[DG_WHY_NO_DROP];
	v->explained = v->slow - v->unexplained;
	for (size_t r = 0; r < in->nrtx; r++) {
		size_t i = c.rk[r].i;
		int cdir = client_dir(c.wf, c.nwf, &c.rk[r].canon);

		out->rtx_end[i] = cdir < 0 ? DG_END_NONE
			: c.rk[r].dir == cdir ? DG_END_CLIENT : DG_END_SERVER;
		out->rtx_why[i] = explain_rtx(&c, r);
		if (cdir < 0)
			continue;
		if (out->rtx_end[i] == DG_END_CLIENT)
			v->rtx_client++;
		else
			v->rtx_server++;
		v->rtx_by_why[out->rtx_why[i]]++;
	}
	v->rtx_spurious = v->rtx_by_why[DG_RTX_ACK_DROPPED] + v->rtx_by_why[DG_RTX_DELAY];
	for (size_t i = 0; i < in->ndrops; i++)
		v->drops_explaining += out->workload[i] && c.explaining[i];
out:
	free(c.dk);
	free(c.rk);
	free(c.sk);
	free(c.wf);
	free(c.explaining);
	if (err)
		dg_output_free(out);
	return err;
}

void dg_output_free(struct dg_output *o)
{
	free(o->rows);
	free(o->payload);
	free(o->workload);
	free(o->rtx_why);
	free(o->rtx_end);
	free(o->where);
	memset(o, 0, sizeof(*o));
}
