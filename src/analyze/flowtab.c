// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "flowtab.h"

/* Idle timeouts by state, capture time. */
static const uint64_t idle_ns[FLOW_NCLASSES] = {
	[FLOW_HALF_OPEN] = 125 * NSEC_PER_SEC,	/* > TCP_RTO_MAX: a SYN backoff never waits longer */
	[FLOW_OPEN] = 300 * NSEC_PER_SEC,
	[FLOW_CLOSED] = 10 * NSEC_PER_SEC,
};

struct idle_list {
	struct flow *head, *tail;
};

struct flowtab {
	struct flow **buckets;
	size_t nbuckets, count, max;
	uint64_t seed[2];
	uint64_t evicted, created;
	uint64_t next_expire_ns;
	struct idle_list idle[FLOW_NCLASSES];
	flow_end_cb end_cb;
	void *ctx;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

/*
 * The 5-tuple's words, then the domain's only when it has any: the common
 * flow (untagged, no VNI, interface 0) costs what a bare 5-tuple did.
 */
static uint64_t key_hash(const struct flowtab *t, const struct flow_id *k,
			 const struct flow_domain *d, bool has_dom)
{
	uint64_t w[(sizeof(*k) + 7) / 8] = { 0 }, h = t->seed[0];

	memcpy(w, k, sizeof(*k));
	for (size_t i = 0; i < sizeof(w) / 8; i++)
		h = mix(h, w[i] ^ t->seed[1]);
	if (has_dom) {
		uint64_t e[(sizeof(*d) + 7) / 8] = { 0 };

		memcpy(e, d, sizeof(*d));
		for (size_t i = 0; i < sizeof(e) / 8; i++)
			h = mix(h, e[i] ^ t->seed[0]);
	}
	return mix(h, t->seed[1]);
}

void flow_domain_of(struct flow_domain *d, const struct tcp_seg *s)
{
	memset(d, 0, sizeof(*d));
	d->ifid = s->ifid;
	if (s->has_vni) {
		d->has_vni = 1;
		d->vni = s->vni;
	}
	if (s->nvlan) {
		d->nvlan = s->nvlan < PKT_MAX_VLAN ? s->nvlan : PKT_MAX_VLAN;
		memcpy(d->vlan, s->vlan, d->nvlan * sizeof(d->vlan[0]));
	}
}

/* 20 bytes as three loads a side: no call to memcmp on every packet. */
static inline bool domain_eq(const struct flow_domain *a, const struct flow_domain *b)
{
	const char *pa = (const char *)a, *pb = (const char *)b;
	uint64_t a0, a1, b0, b1;
	uint32_t a2, b2;

	memcpy(&a0, pa, 8), memcpy(&a1, pa + 8, 8), memcpy(&a2, pa + 16, 4);
	memcpy(&b0, pb, 8), memcpy(&b1, pb + 8, 8), memcpy(&b2, pb + 16, 4);
	return !((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2));
}

struct flowtab *flowtab_new(size_t max_flows, flow_end_cb end_cb, void *ctx)
{
	struct flowtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	/* A fixed seed would let crafted traffic fill one chain. */
	if (getrandom(t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed)) {
		t->seed[0] = (uint64_t)now_ns() * 0x9e3779b97f4a7c15ULL;
		t->seed[1] = (uint64_t)(uintptr_t)t ^ 0x94d049bb133111ebULL;
	}
	t->max = max_flows ? max_flows : 1;
	t->end_cb = end_cb;
	t->ctx = ctx;
	return t;
}

static void idle_unlink(struct flowtab *t, struct flow *f)
{
	struct idle_list *l = &t->idle[f->cls];

	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void idle_append(struct flowtab *t, struct flow *f)
{
	struct idle_list *l = &t->idle[f->cls];

	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

static void flow_remove(struct flowtab *t, struct flow *f, enum flow_end why)
{
	struct flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	idle_unlink(t, f);
	t->count--;
	if (t->end_cb)
		t->end_cb(t->ctx, f, why);
	tcp_conn_free(&f->conn);
	free(f);
}

static void grow(struct flowtab *t)
{
	size_t n = t->nbuckets * 2;
	struct flow **b = calloc(n, sizeof(*b));

	if (!b)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct flow *f = t->buckets[i], *next;

		for (; f; f = next) {
			next = f->hnext;
			f->hnext = b[f->hash & (n - 1)];
			b[f->hash & (n - 1)] = f;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

/* The flow idle the longest, preferring closed, then half-open ones. */
static struct flow *eviction_victim(struct flowtab *t)
{
	static const int order[] = { FLOW_CLOSED, FLOW_HALF_OPEN, FLOW_OPEN };

	for (size_t i = 0; i < 3; i++)
		if (t->idle[order[i]].head)
			return t->idle[order[i]].head;
	return NULL;
}

/* Both directions share the canonical key; a segment from side 0 has dir 0. */
static int make_key(const struct tcp_seg *s, struct flow_id *k)
{
	return flow_canon_seg(k, s);
}

struct flow *flowtab_get(struct flowtab *t, const struct tcp_seg *s, int *dir)
{
	bool has_dom = s->nvlan | s->has_vni | s->ifid;
	struct flow_domain d;
	struct flow_id k;
	struct flow *f;
	uint64_t h;

	*dir = make_key(s, &k);
	if (__builtin_expect(has_dom, 0))
		flow_domain_of(&d, s);
	h = key_hash(t, &k, &d, has_dom);
	/* Most flows have no domain: then a flag tells, not 20 bytes. */
	for (f = t->buckets[h & (t->nbuckets - 1)]; f; f = f->hnext)
		if (f->hash == h && !memcmp(&f->key, &k, sizeof(k)) && f->has_dom == has_dom &&
		    (!has_dom || domain_eq(&f->dom, &d)))
			return f;
	if (t->count >= t->max) {
		struct flow *victim = eviction_victim(t);

		if (victim) {
			t->evicted++;
			flow_remove(t, victim, FLOW_EVICTED);
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = k;
	if (has_dom) {
		f->dom = d;
		f->has_dom = 1;
	}
	f->hash = h;
	f->first_ns = f->last_ns = s->ts_ns;
	f->cls = FLOW_HALF_OPEN;
	tcp_conn_init(&f->conn);
	if (t->count >= t->nbuckets)
		grow(t);
	f->hnext = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = f;
	idle_append(t, f);
	t->count++;
	t->created++;
	return f;
}

static enum flow_class conn_class(const struct tcp_conn *c)
{
	if (c->rst || (c->half[0].fin_seen && c->half[1].fin_seen))
		return FLOW_CLOSED;
	if (c->half[0].init && c->half[1].init)
		return FLOW_OPEN;
	return FLOW_HALF_OPEN;
}

void flowtab_touch(struct flowtab *t, struct flow *f, uint64_t now_ns)
{
	f->last_ns = now_ns;
	/* Most segments: already the newest of an unchanged class. */
	if (f->next || conn_class(&f->conn) != f->cls) {
		idle_unlink(t, f);
		f->cls = conn_class(&f->conn);
		idle_append(t, f);
	}
}

void flowtab_restart(struct flowtab *t, struct flow *f)
{
	if (t->end_cb)
		t->end_cb(t->ctx, f, FLOW_EXPIRED);
	tcp_conn_free(&f->conn);
	tcp_conn_init(&f->conn);
	f->ext = NULL;
	memset(&f->inv, 0, sizeof(f->inv));
	f->dscp_seen = 0;
	f->first_ns = f->last_ns;
	t->created++;
}

void flowtab_expire(struct flowtab *t, uint64_t now_ns)
{
	/* Once per second of capture time is plenty for minute-scale timeouts. */
	if (now_ns < t->next_expire_ns)
		return;
	t->next_expire_ns = now_ns + NSEC_PER_SEC;
	for (int c = 0; c < FLOW_NCLASSES; c++) {
		struct flow *f;

		while ((f = t->idle[c].head) && f->last_ns + idle_ns[c] < now_ns)
			flow_remove(t, f, FLOW_EXPIRED);
	}
}

void flowtab_flush(struct flowtab *t)
{
	for (int c = 0; c < FLOW_NCLASSES; c++)
		while (t->idle[c].head)
			flow_remove(t, t->idle[c].head, FLOW_FLUSHED);
}

void flowtab_free(struct flowtab *t)
{
	if (!t)
		return;
	flowtab_flush(t);
	free(t->buckets);
	free(t);
}

size_t flowtab_count(const struct flowtab *t) { return t->count; }
uint64_t flowtab_evicted(const struct flowtab *t) { return t->evicted; }
uint64_t flowtab_created(const struct flowtab *t) { return t->created; }
