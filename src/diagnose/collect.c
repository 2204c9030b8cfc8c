// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"

/* Room for one more element of @size in *@p (holding @n of @*cap). */
static int grow(void **p, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? *cap * 2 : 1024;
	void *q;

	if (n < *cap)
		return 0;
	if (n >= DG_MAX_EVENTS)
		return -ENOMEM;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

#define PUSH(d, arr, n, cap, x)                                                         \
	(grow((void **)&(d)->arr, (d)->n, &(d)->cap, sizeof(*(d)->arr))                 \
		 ? ((d)->not_kept++, -ENOMEM)                                           \
		 : ((d)->arr[(d)->n++] = *(x), 0))

int dg_data_init(struct dg_data *d)
{
	memset(d, 0, sizeof(*d));
	return -pthread_mutex_init(&d->lock, NULL);
}

void dg_data_free(struct dg_data *d)
{
	pthread_mutex_destroy(&d->lock);
	free(d->slow);
	free(d->drops);
	free(d->hdrs);
	free(d->rtx);
	free(d->sp);
	free(d->points);
	free(d->flows);
	free(d->discards);
	memset(d, 0, sizeof(*d));
}

int dg_add_slow(struct dg_data *d, const struct dg_slow *s)
{
	int err;

	pthread_mutex_lock(&d->lock);
	err = PUSH(d, slow, nslow, capslow, s);
	pthread_mutex_unlock(&d->lock);
	return err;
}

/*
 * The index of @at (netns, device, reason, site): drops come in bursts at
 * one point. The site is part of it: one device's NOT_SPECIFIED drops in
 * ip6_mc_input and in tcp_v4_rcv are two causes, not one named after
 * whichever came first.
 */
static int point_of(struct dg_data *d, const struct dg_point *at, uint32_t *where)
{
	for (size_t i = d->npoints; i-- > 0;) {
		const struct dg_point *p = &d->points[i];

		if (p->netns == at->netns && p->ifindex == at->ifindex && p->reason == at->reason &&
		    p->location == at->location) {
			*where = (uint32_t)i;
			return 0;
		}
	}
	if (PUSH(d, points, npoints, cappoints, at))
		return -ENOMEM;
	*where = (uint32_t)(d->npoints - 1);
	return 0;
}

int dg_add_drop(struct dg_data *d, const struct dg_drop *x, const struct dg_point *at,
		const void *hdr, uint16_t caplen, uint32_t wirelen)
{
	struct dg_drop y = *x;

	if (point_of(d, at, &y.where) || PUSH(d, drops, ndrops, capdrops, &y))
		return -ENOMEM;
	if (d->nhdrs == d->ndrops - 1 && d->nhdrs < DG_MAX_HDRS &&
	    !grow((void **)&d->hdrs, d->nhdrs, &d->caphdrs, sizeof(*d->hdrs))) {
		struct dg_hdr *h = &d->hdrs[d->nhdrs++];

		h->caplen = caplen < DROP_HDR_LEN ? caplen : DROP_HDR_LEN;
		h->wirelen = wirelen > h->caplen ? wirelen : h->caplen;
		memcpy(h->data, hdr, h->caplen);
	}
	return 0;
}

int dg_add_rtx(struct dg_data *d, const struct dg_rtx *x)
{
	return PUSH(d, rtx, nrtx, caprtx, x);
}

int dg_add_spurious(struct dg_data *d, const struct dg_spurious *x)
{
	return PUSH(d, sp, nsp, capsp, x);
}

int dg_add_flow(struct dg_data *d, const struct flow_id *f)
{
	return PUSH(d, flows, nflows, capflows, f);
}

int dg_add_discard(struct dg_data *d, const struct dg_point *at)
{
	struct dg_discard x = { .at = *at, .n = 1 };

	for (size_t i = 0; i < d->ndiscards; i++) {
		struct dg_point *p = &d->discards[i].at;

		if (p->netns == at->netns && p->ifindex == at->ifindex && p->reason == at->reason) {
			d->discards[i].n++;
			return 0;
		}
	}
	return PUSH(d, discards, ndiscards, capdiscards, &x);
}

void dg_data_input(const struct dg_data *d, struct dg_input *in)
{
	*in = (struct dg_input){
		.slow = d->slow, .nslow = d->nslow,
		.drops = d->drops, .ndrops = d->ndrops,
		.rtx = d->rtx, .nrtx = d->nrtx,
		.spurious = d->sp, .nspurious = d->nsp,
		.flows = d->flows, .nflows = d->nflows,
		.nwhere = (uint32_t)d->npoints,
	};
}
