// SPDX-License-Identifier: GPL-2.0
/*
 * The classification inventory (inventory.h): two capped key tables (source
 * subnet, server port) and a DSCP array, each row the same counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "tcptrack.h"

#define INV_SLOTS (2 * INV_MAX_ROWS)	/* a power of two: half full at most */

static int table_init(struct inv_table *t)
{
	t->rows = calloc(INV_MAX_ROWS, sizeof(*t->rows));
	t->slot = calloc(INV_SLOTS, sizeof(*t->slot));
	return t->rows && t->slot ? 0 : -ENOMEM;
}

static void table_free(struct inv_table *t)
{
	free(t->rows);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

int inventory_init(struct inventory *inv, int v4len, int v6len)
{
	memset(inv, 0, sizeof(*inv));
	inv->v4len = v4len > 0 && v4len <= 32 ? v4len : 24;
	inv->v6len = v6len > 0 && v6len <= 128 ? v6len : 64;
	if (table_init(&inv->net) || table_init(&inv->port)) {
		inventory_free(inv);
		return -ENOMEM;
	}
	return 0;
}

void inventory_free(struct inventory *inv)
{
	table_free(&inv->net);
	table_free(&inv->port);
	for (int i = 0; i < INV_NDSCP; i++) {
		free(inv->rtt[i]);
		inv->rtt[i] = NULL;
	}
}

/* FNV-1a over the row's key: the keys are addresses and ports, not secrets. */
static uint32_t key_hash(uint8_t family, const uint8_t *key)
{
	uint32_t h = 2166136261u ^ family;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* The row of the key, added while there is room; NULL: the table is full. */
static struct inv_row *table_row(struct inv_table *t, uint8_t family, uint8_t plen,
				 const uint8_t *key)
{
	uint32_t i = key_hash(family, key) & (INV_SLOTS - 1);
	struct inv_row *r;

	for (; t->slot[i]; i = (i + 1) & (INV_SLOTS - 1)) {
		r = &t->rows[t->slot[i] - 1];
		if (r->family == family && !memcmp(r->key, key, 16))
			return r;
	}
	if (t->n == INV_MAX_ROWS)
		return NULL;
	r = &t->rows[t->n++];
	r->family = family;
	r->plen = plen;
	memcpy(r->key, key, 16);
	t->slot[i] = (uint16_t)t->n;
	return r;
}

static void count(struct inv_counts *c, const struct track_ev *ev, bool new_flow)
{
	c->packets++;
	c->flows += new_flow;
	if (ev->data) {
		c->data_segs++;
		c->data_bytes += ev->bytes;
	}
	if (ev->retrans) {
		c->retrans_segs++;
		c->retrans_bytes += ev->bytes;
	}
}

static void count_key(struct inv_table *t, uint8_t family, uint8_t plen, const uint8_t *key,
		      const struct track_ev *ev, bool new_flow)
{
	struct inv_row *r = table_row(t, family, plen, key);

	count(r ? &r->c : &t->other, ev, new_flow);
}

/* The first segment seen decides: a SYN's destination, a SYN-ACK's source, else the lower. */
static uint16_t server_port(const struct tcp_seg *s)
{
	if ((s->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
		return s->dport;
	if (s->flags & TCPF_SYN)
		return s->sport;
	return s->sport < s->dport ? s->sport : s->dport;
}

static void count_subnet(struct inventory *inv, const struct tcp_seg *s,
			 const struct track_ev *ev, bool new_dir)
{
	int len = s->family == 6 ? inv->v6len : inv->v4len;
	uint8_t key[16] = { 0 };

	for (int i = 0; len > 0; i++, len -= 8)
		key[i] = len >= 8 ? s->saddr[i] : (uint8_t)(s->saddr[i] & (0xff << (8 - len)));
	count_key(&inv->net, s->family, (uint8_t)(s->family == 6 ? inv->v6len : inv->v4len), key,
		  ev, new_dir);
}

static void rtt_record(struct inventory *inv, unsigned int dscp, uint64_t ns)
{
	if (!inv->rtt[dscp]) {
		inv->rtt[dscp] = malloc(sizeof(struct hist));
		if (!inv->rtt[dscp])
			return;
		hist_init(inv->rtt[dscp]);
	}
	hist_record(inv->rtt[dscp], ns);
}

void inventory_segment(struct inventory *inv, struct inv_flow *fl, int dir,
		       const struct tcp_seg *s, const struct track_ev *ev)
{
	unsigned int d = s->dscp & (INV_NDSCP - 1);
	bool new_flow = !fl->dscp[0] && !fl->dscp[1];
	bool new_dir = !fl->dscp[dir];
	uint8_t key[16] = { 0 };

	if (new_flow)
		fl->port = server_port(s);
	key[0] = (uint8_t)(fl->port >> 8);
	key[1] = (uint8_t)fl->port;
	count_key(&inv->port, 0, 0, key, ev, new_flow);
	count_subnet(inv, s, ev, new_dir);
	/* A direction that changes its marking counts as a flow of each class it used. */
	count(&inv->dscp[d], ev, fl->dscp[dir] != d + 1);
	fl->dscp[dir] = (uint8_t)(d + 1);
	if (ev->rtt_ns && fl->dscp[!dir])
		rtt_record(inv, fl->dscp[!dir] - 1u, ev->rtt_ns);
}

static int by_bytes_desc(const void *x, const void *y)
{
	const struct inv_row *a = *(const struct inv_row *const *)x;
	const struct inv_row *b = *(const struct inv_row *const *)y;

	if (a->c.data_bytes != b->c.data_bytes)
		return a->c.data_bytes < b->c.data_bytes ? 1 : -1;
	if (a->c.packets != b->c.packets)
		return a->c.packets < b->c.packets ? 1 : -1;
	return memcmp(a->key, b->key, 16);
}

size_t inventory_sorted(const struct inv_table *t, const struct inv_row **out)
{
	for (size_t i = 0; i < t->n; i++)
		out[i] = &t->rows[i];
	qsort(out, t->n, sizeof(*out), by_bytes_desc);
	return t->n;
}

const char *dscp_name(unsigned int dscp)
{
	static const char *const af[] = { "af11", "af12", "af13", "af21", "af22", "af23",
					  "af31", "af32", "af33", "af41", "af42", "af43" };
	static const char *const cs[] = { "be", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7" };

	if (dscp > 63)
		return NULL;
	if (!(dscp & 7))
		return cs[dscp >> 3];
	/* AFxy = 8x + 2y, x 1..4, y 1..3 (RFC 2597). */
	if (dscp >= 10 && dscp <= 38 && !(dscp & 1) && (dscp & 7) <= 6)
		return af[((dscp >> 3) - 1) * 3 + ((dscp & 7) >> 1) - 1];
	if (dscp == 46)
		return "ef";
	if (dscp == 44)
		return "voice_admit";
	if (dscp == 1)
		return "le";
	return NULL;
}
