// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

void ledger_init(struct ledger *l, const struct drop_reasons *dr)
{
	memset(l, 0, sizeof(*l));
	l->dr = dr;
}

void ledger_free(struct ledger *l)
{
	for (size_t i = 0; i < l->ndev; i++)
		free(l->dev[i].ev);
	free(l->dev);
	free(l->nodev);
	free(l->site);
	free(l->reason);
	memset(l, 0, sizeof(*l));
}

/* Make room for one more element of @size in *@v. */
static int grow(void **v, size_t n, size_t *cap, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

/* Linear: a run sees tens to hundreds of devices, filled once per sample. */
const struct ledger_dev *ledger_find(const struct ledger *l, uint32_t netns, int ifindex)
{
	for (size_t i = 0; i < l->ndev; i++)
		if (l->dev[i].netns == netns && l->dev[i].ifindex == ifindex)
			return &l->dev[i];
	return NULL;
}

struct ledger_dev *ledger_dev(struct ledger *l, uint32_t netns, int ifindex)
{
	struct ledger_dev *d = (struct ledger_dev *)ledger_find(l, netns, ifindex);

	if (d)
		return d;
	if (grow((void **)&l->dev, l->ndev, &l->capdev, sizeof(*l->dev)))
		return NULL;
	d = &l->dev[l->ndev++];
	memset(d, 0, sizeof(*d));
	d->netns = netns;
	d->ifindex = ifindex;
	d->link_netnsid = -1;
	return d;
}

static int count_add(struct ledger_count **v, size_t *n, uint32_t reason, uint64_t k)
{
	struct ledger_count *p;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].reason == reason) {
			(*v)[i].n += k;
			return 0;
		}
	/* Grow by one: a device sees a handful of reasons. */
	p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*v = p;
	p[(*n)++] = (struct ledger_count){ reason, k };
	return 0;
}

static int site_add(struct ledger *l, uint32_t reason, uint64_t location, uint64_t n)
{
	for (size_t i = 0; i < l->nsite; i++)
		if (l->site[i].location == location && l->site[i].reason == reason) {
			l->site[i].n += n;
			return 0;
		}
	if (grow((void **)&l->site, l->nsite, &l->capsite, sizeof(*l->site)))
		return -ENOMEM;
	l->site[l->nsite++] = (struct ledger_site){ location, reason, n };
	return 0;
}

static int nodev_add(struct ledger *l, uint32_t netns, uint32_t reason, uint64_t n)
{
	for (size_t i = 0; i < l->nnodev; i++)
		if (l->nodev[i].netns == netns && l->nodev[i].reason == reason) {
			l->nodev[i].n += n;
			return 0;
		}
	if (grow((void **)&l->nodev, l->nnodev, &l->capnodev, sizeof(*l->nodev)))
		return -ENOMEM;
	l->nodev[l->nnodev++] = (struct ledger_nodev){ netns, reason, n };
	return 0;
}

int ledger_event(struct ledger *l, uint32_t netns, int ifindex, uint32_t reason,
		 uint64_t location, uint64_t n)
{
	struct ledger_dev *d;

	if (!n)
		return 0;
	if (site_add(l, reason, location, n))
		return -ENOMEM;
	if (!ifindex)
		return nodev_add(l, netns, reason, n);
	d = ledger_dev(l, netns, ifindex);
	if (!d)
		return -ENOMEM;
	return count_add(&d->ev, &d->nev, reason, n);
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * Two ledgers per device: the qdisc's drop counter against qdisc-reason
 * events, rx/tx dropped + missed against device-reason events. Events of
 * other reasons (a netfilter rule, a socket) have no device counter by
 * design and leave nothing unexplained.
 */
static void settle_dev(const struct ledger *l, struct ledger_dev *d)
{
	uint64_t counted_dev = d->rx_dropped + d->tx_dropped + d->rx_missed;

	d->events = d->ev_device = d->ev_qdisc = 0;
	for (size_t i = 0; i < d->nev; i++) {
		const char *name = drop_reason_name(l->dr, d->ev[i].reason);

		d->events += d->ev[i].n;
		switch (drop_reason_class(name)) {
		case RC_QDISC:
			d->ev_qdisc += d->ev[i].n;
			break;
		case RC_DEVICE:
			d->ev_device += d->ev[i].n;
			break;
		default:
			break;
		}
	}
	if (!d->counted) {
		/* Its counters were never read: nothing to weigh the events against. */
		d->counted_unexplained = d->events_unexplained = 0;
		return;
	}
	d->counted_unexplained = sat_sub(d->qdisc_drops, d->ev_qdisc) +
				 sat_sub(counted_dev, d->ev_device);
	d->events_unexplained = sat_sub(d->ev_qdisc, d->qdisc_drops) +
				sat_sub(d->ev_device, counted_dev);
}

static int by_count_desc(const void *a, const void *b)
{
	const struct ledger_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static int by_site_desc(const void *a, const void *b)
{
	const struct ledger_site *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->location < y->location ? -1 : x->location > y->location;
}

static int by_nodev(const void *a, const void *b)
{
	const struct ledger_nodev *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static int by_dev(const void *a, const void *b)
{
	const struct ledger_dev *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->ifindex - y->ifindex;
}

/* qsort() with no elements may still get a NULL array, which it must not. */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(v, n, size, cmp);
}

int ledger_settle(struct ledger *l)
{
	free(l->reason);
	l->reason = NULL;
	l->nreason = 0;
	l->total = 0;
	for (size_t i = 0; i < l->ndev; i++) {
		struct ledger_dev *d = &l->dev[i];

		settle_dev(l, d);
		sort(d->ev, d->nev, sizeof(*d->ev), by_count_desc);
		for (size_t k = 0; k < d->nev; k++)
			if (count_add(&l->reason, &l->nreason, d->ev[k].reason, d->ev[k].n))
				return -ENOMEM;
	}
	for (size_t i = 0; i < l->nnodev; i++)
		if (count_add(&l->reason, &l->nreason, l->nodev[i].reason, l->nodev[i].n))
			return -ENOMEM;
	for (size_t i = 0; i < l->nreason; i++)
		l->total += l->reason[i].n;
	sort(l->dev, l->ndev, sizeof(*l->dev), by_dev);
	sort(l->nodev, l->nnodev, sizeof(*l->nodev), by_nodev);
	sort(l->site, l->nsite, sizeof(*l->site), by_site_desc);
	sort(l->reason, l->nreason, sizeof(*l->reason), by_count_desc);
	return 0;
}

bool ledger_dev_has_drops(const struct ledger_dev *d)
{
	return d->rx_dropped || d->tx_dropped || d->rx_missed || d->qdisc_drops || d->nev;
}
