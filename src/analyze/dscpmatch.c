// SPDX-License-Identifier: GPL-2.0
/*
 * DSCP as sent and as arrived (dscpmatch.h): the far capture's packets in an
 * open-addressing table keyed by a 64-bit hash of what identifies a packet
 * on the path, each consumed by the first near packet with the same key.
 * Copies with the same key (IPv6 has no ID) are separate entries.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dscpmatch.h"

const char *const dm_verdict_name[DM_NVERDICTS] = {
	[DM_NONE] = "none",
	[DM_UNCHANGED] = "unchanged",
	[DM_BLEACHED] = "bleached",
	[DM_REWRITTEN] = "rewritten",
	[DM_MIXED] = "mixed",
};

const char *const dm_dir_name[DM_NDIRS] = {
	[DM_NEAR_TO_FAR] = "near_to_far",
	[DM_FAR_TO_NEAR] = "far_to_near",
};

enum { E_EMPTY, E_HELD, E_USED };

struct dm_entry {
	uint64_t key;
	uint64_t ts_ns;
	uint8_t dscp;
	uint8_t state;
};

#define DM_MIN_SLOTS 65536

int dscpmatch_init(struct dscpmatch *m, size_t max_far)
{
	memset(m, 0, sizeof(*m));
	m->max_far = max_far ? max_far : DM_DEFAULT_MAX_FAR;
	m->nslots = DM_MIN_SLOTS;
	m->tab = calloc(m->nslots, sizeof(*m->tab));
	return m->tab ? 0 : -ENOMEM;
}

void dscpmatch_free(struct dscpmatch *m)
{
	free(m->tab);
	m->tab = NULL;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	/* splitmix64's finalizer over each word folded in. */
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

/* What a router on the path leaves alone (the DSCP, TTL, checksums it may change). */
static uint64_t seg_key(const struct tcp_seg *s)
{
	uint64_t h = s->family, w;
	int n = s->family == 6 ? 16 : 4;

	for (int i = 0; i < n; i += 4) {
		memcpy(&w, s->saddr + i, 4);
		h = mix(h, w & 0xffffffff);
		memcpy(&w, s->daddr + i, 4);
		h = mix(h, w & 0xffffffff);
	}
	h = mix(h, (uint64_t)s->sport << 16 | s->dport);
	h = mix(h, (uint64_t)s->seq << 32 | s->ack);
	h = mix(h, (uint64_t)s->payload_len << 24 | (uint64_t)s->flags << 16 |
		       (s->has_ip_id ? s->ip_id : 0));
	return h;
}

static void insert(struct dm_entry *tab, size_t nslots, const struct dm_entry *e)
{
	size_t i = e->key & (nslots - 1);

	while (tab[i].state != E_EMPTY)
		i = (i + 1) & (nslots - 1);
	tab[i] = *e;
}

/* Double the table; the consumed entries stay behind. Return: 0 or -ENOMEM. */
static int grow(struct dscpmatch *m)
{
	size_t n = m->nslots * 2;
	struct dm_entry *t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < m->nslots; i++)
		if (m->tab[i].state == E_HELD)
			insert(t, n, &m->tab[i]);
	free(m->tab);
	m->tab = t;
	m->nslots = n;
	return 0;
}

void dscpmatch_far(struct dscpmatch *m, const struct tcp_seg *s, uint64_t ts_ns)
{
	struct dm_entry e = { .key = seg_key(s), .ts_ns = ts_ns, .dscp = s->dscp & 63,
			      .state = E_HELD };

	if (m->far_pkts >= m->max_far || (m->far_pkts >= m->nslots / 2 && grow(m))) {
		m->far_over_cap++;
		return;
	}
	insert(m->tab, m->nslots, &e);
	m->far_pkts++;
}

void dscpmatch_near(struct dscpmatch *m, const struct tcp_seg *s, uint64_t ts_ns)
{
	uint64_t key = seg_key(s);
	unsigned int d = s->dscp & 63;
	size_t i = key & (m->nslots - 1);

	m->near_pkts++;
	for (; m->tab[i].state != E_EMPTY; i = (i + 1) & (m->nslots - 1)) {
		struct dm_entry *e = &m->tab[i];

		if (e->state != E_HELD || e->key != key)
			continue;
		e->state = E_USED;
		if (e->ts_ns >= ts_ns)
			m->pairs[DM_NEAR_TO_FAR][d][e->dscp]++;
		else
			m->pairs[DM_FAR_TO_NEAR][e->dscp][d]++;
		return;
	}
	m->near_unmatched[d]++;
}

void dscpmatch_finish(struct dscpmatch *m)
{
	memset(m->far_unmatched, 0, sizeof(m->far_unmatched));
	for (size_t i = 0; i < m->nslots; i++)
		if (m->tab[i].state == E_HELD)
			m->far_unmatched[m->tab[i].dscp]++;
}

uint64_t dscpmatch_sent(const struct dscpmatch *m, int dir, unsigned int sent)
{
	uint64_t n = 0;

	for (int a = 0; a < DM_NDSCP; a++)
		n += m->pairs[dir][sent][a];
	return n;
}

/* The one value @sent arrived as, or -1 (none matched) or -2 (several). */
static int arrived_as(const struct dscpmatch *m, int dir, unsigned int sent)
{
	int v = -1;

	for (int a = 0; a < DM_NDSCP; a++) {
		if (!m->pairs[dir][sent][a])
			continue;
		if (v >= 0)
			return -2;
		v = a;
	}
	return v;
}

enum dm_verdict dscpmatch_verdict(const struct dscpmatch *m, int dir, unsigned int sent,
				  unsigned int *to)
{
	int v = arrived_as(m, dir, sent);

	if (v == -1)
		return DM_NONE;
	if (v == -2)
		return DM_MIXED;
	*to = (unsigned int)v;
	if ((unsigned int)v == sent)
		return DM_UNCHANGED;
	/* Bleached: every class of this direction arrived as v (v's own unchanged). */
	for (unsigned int c = 0; c < DM_NDSCP; c++) {
		int w = arrived_as(m, dir, c);

		if (w != -1 && w != v)
			return DM_REWRITTEN;
	}
	return DM_BLEACHED;
}
