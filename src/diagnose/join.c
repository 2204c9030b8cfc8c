// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "pkt.h"

const char *const dg_payload_name[DG_NPAYLOAD] = {
	"request", "response", "retransmission", "ack", "fin", "syn", "other",
};

/* A drop as the join sorts it: the flow both directions share, its direction, seq, time. */
struct key {
	struct flow_id canon;
	int dir;			/* 1: against the canonical direction */
	uint32_t seq;
	uint64_t t_ns;
	size_t i;			/* index into the caller's drops */
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

/* First key at or after (@canon, @dir, @seq), any time. */
static size_t lower(const struct key *k, size_t n, const struct flow_id *canon, int dir,
		    uint32_t seq)
{
	struct key probe = { .canon = *canon, .dir = dir, .seq = seq };
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

/*
 * What drop @k[j] carried. @client_dir: the direction of requests for a
 * workload flow, -1 for another flow.
 */
static bool is_data(const struct dg_drop *d)
{
	return d->tcp && d->len && !(d->flags & (TCPF_SYN | TCPF_FIN));
}

static uint8_t classify(const struct dg_drop *drops, const struct key *k, size_t j,
			int client_dir)
{
	const struct dg_drop *d = &drops[k[j].i];

	if (!d->tcp)
		return DG_OTHER;
	if (d->flags & TCPF_SYN)
		return DG_SYN;
	if (d->flags & TCPF_FIN)
		return DG_FIN;
	if (!d->len)
		return DG_ACK;
	/* Sorted by time within one (flow, direction, seq): data dropped before is its original. */
	for (size_t p = j; p-- > 0 && !memcmp(&k[p].canon, &k[j].canon, sizeof(k[j].canon)) &&
			   k[p].dir == k[j].dir && k[p].seq == k[j].seq;)
		if (is_data(&drops[k[p].i]))
			return DG_RETRANSMISSION;
	if (client_dir < 0)
		return DG_OTHER;
	return k[j].dir == client_dir ? DG_REQUEST : DG_RESPONSE;
}

/*
 * Data drops of (@canon, @dir, @seq) within @s's span: how many, and the
 * first. A pure ACK carries the next sequence number too: never counted.
 */
static uint32_t drops_of(const struct key *k, size_t nk, const struct dg_drop *drops,
			 const struct flow_id *canon, int dir, uint32_t seq,
			 const struct dg_slow *s, size_t *first)
{
	uint32_t n = 0;

	for (size_t j = lower(k, nk, canon, dir, seq);
	     j < nk && k[j].dir == dir && k[j].seq == seq &&
	     !memcmp(&k[j].canon, canon, sizeof(*canon)); j++) {
		if (!is_data(&drops[k[j].i]) || k[j].t_ns < s->start_ns || k[j].t_ns > s->end_ns)
			continue;
		if (!n++)
			*first = k[j].i;
	}
	return n;
}

static void explain(const struct dg_slow *s, const struct key *k, size_t nk,
		    const struct dg_drop *drops, struct dg_row *row)
{
	struct flow_id canon;
	int cdir = flow_canon(&canon, &s->flow);
	uint32_t n;

	*row = (struct dg_row){ .why = DG_WHY_NO_DROP };
	if (!s->seq_valid)
		return;
	n = drops_of(k, nk, drops, &canon, cdir, s->req_seq, s, &row->drop);
	if (n) {
		row->why = n > 1 ? DG_WHY_REQUEST_REDROPPED : DG_WHY_REQUEST_DROPPED;
		row->drops = n;
		return;
	}
	n = drops_of(k, nk, drops, &canon, !cdir, s->resp_seq, s, &row->drop);
	if (n) {
		row->why = DG_WHY_RESPONSE_DROPPED;
		row->drops = n;
	}
}

/* A workload flow: the form both directions share, and which way requests go. */
struct wflow {
	struct flow_id canon;
	int dir;
};

static int flow_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct flow_id));	/* canon is the first member */
}

static struct wflow *workload(const struct dg_slow *slow, size_t ns)
{
	struct wflow *w = calloc(ns ? ns : 1, sizeof(*w));

	if (!w)
		return NULL;
	for (size_t i = 0; i < ns; i++)
		w[i].dir = flow_canon(&w[i].canon, &slow[i].flow);
	qsort(w, ns, sizeof(*w), flow_cmp);
	return w;
}

static int client_dir_of(const struct wflow *w, size_t ns, const struct flow_id *canon)
{
	const struct wflow *hit = ns ? bsearch(canon, w, ns, sizeof(*w), flow_cmp) : NULL;

	return hit ? hit->dir : -1;
}

int dg_join(const struct dg_slow *slow, size_t ns, const struct dg_drop *drops, size_t nd,
	    uint8_t *payload, struct dg_row *rows, struct dg_verdict *v)
{
	struct key *k = calloc(nd ? nd : 1, sizeof(*k));
	struct wflow *wf = workload(slow, ns);

	memset(v, 0, sizeof(*v));
	if (!k || !wf) {
		free(k);
		free(wf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nd; i++) {
		k[i].dir = flow_canon(&k[i].canon, &drops[i].flow);
		k[i].seq = drops[i].seq;
		k[i].t_ns = drops[i].t_ns;
		k[i].i = i;
	}
	qsort(k, nd, sizeof(*k), key_qsort);
	for (size_t j = 0; j < nd; j++) {
		uint8_t p = classify(drops, k, j,
				     client_dir_of(wf, ns, &k[j].canon));

		payload[k[j].i] = p;
		v->by_payload[p]++;
	}
	for (size_t i = 0; i < ns; i++) {
		explain(&slow[i], k, nd, drops, &rows[i]);
		v->by_why[rows[i].why]++;
	}
	v->slow = ns;
	v->unexplained = v->by_why[DG_WHY_NO_DROP];
	v->explained = ns - v->unexplained;
	free(k);
	free(wf);
	return 0;
}
