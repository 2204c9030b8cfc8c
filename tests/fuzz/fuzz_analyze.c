// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a sequence of frames through decoder, flow table and
 * tracker. Input: records of [dt_us u8][len u8][frame len bytes]; the first
 * byte picks the link type. A dt of 0xf0..0xff steps the capture clock
 * instead: back by 1..8 hours, or ahead by 10..80 years. A tiny flow cap
 * exercises eviction. The inventory counts every tracked segment once in
 * each of its tables.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = { 1, 113, 276, 101, 12, 228, 229, 0 };

static void on_interval(void *ctx, uint64_t s, uint64_t l, const struct analyze_totals *d)
{
	(void)ctx; (void)s; (void)l; (void)d;
}

static struct analyzer a;	/* two histograms: keep it off the stack */
static struct inventory inv;

/* Each event names a frame already seen, in a known class; a reclass a later one. */
static void on_retrans(void *ctx, const struct analyze_retrans *r)
{
	(void)ctx;
	if (!r->frame || r->frame > a.t.packets || r->cls >= RTX_NCLASSES ||
	    (r->reclass && (r->by_frame <= r->frame || r->by_frame > a.t.packets)) ||
	    r->where > LOSS_UPSTREAM || (r->flow.family != AF_INET && r->flow.family != AF_INET6))
		abort();
}

static uint64_t next_stamp(uint64_t ts, uint8_t dt)
{
	uint64_t n = (dt & 7u) + 1;

	if (dt < 0xf0)
		return ts + dt * 1000ULL;
	if (dt & 8)
		return ts + n * 10 * 365 * 86400 * 1000000000ULL;
	return ts > n * 3600000000000ULL ? ts - n * 3600000000000ULL : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{	/* two histograms: keep it off the stack */
	struct analyze_opts o = { .max_flows = 4, .top_flows = 2, .interval_ns = 1000000,
				  .on_interval = on_interval, .on_retrans = on_retrans,
				  .by_path_len = 24 };
	uint64_t ts = 1464739200ULL * 1000000000ULL;	/* 2016 */
	size_t off = 1;
	int lt;

	if (size < 1 || inventory_init(&inv, 20, 56))
		return 0;
	o.inv = &inv;
	if (analyzer_init(&a, &o)) {
		inventory_free(&inv);
		return 0;
	}
	lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	while (off + 2 <= size) {
		size_t len = data[off + 1];

		ts = next_stamp(ts, data[off]);
		off += 2;
		if (len > size - off)
			len = size - off;
		analyzer_packet(&a, lt, 0, ts, data + off, (uint32_t)len, (uint32_t)len + 4);
		off += len;
	}
	analyzer_finish(&a);
	/* Analysis time runs forward and holds no jump: no RTT sample outgrows it. */
	if (a.last_ns < a.first_ns || (a.rtt.count && a.rtt.max > a.last_ns - a.first_ns))
		abort();
	/*
	 * By construction the classes partition the retransmissions, and a
	 * later change of mind never takes a counter below zero.
	 */
	{
		const struct tcp_counts *n = &a.t.c;
		uint64_t sum = 0;

		for (int c = 0; c < RTX_NCLASSES; c++) {
			if (n->by_class[c] > n->retrans_segs)
				abort();
			sum += n->by_class[c];
		}
		if (sum != n->retrans_segs ||
		    n->lost_downstream + n->lost_upstream > n->retrans_segs ||
		    n->retrans_bytes > n->data_bytes || n->reordering > n->data_segs + a.t.tcp_packets ||
		    n->ambiguous > a.t.tcp_packets)
			abort();
	}
	{
		uint64_t sum[3] = { inv.net.other.packets, inv.port.other.packets, 0 };

		for (size_t i = 0; i < inv.net.n; i++)
			sum[0] += inv.net.rows[i].c.packets;
		for (size_t i = 0; i < inv.port.n; i++)
			sum[1] += inv.port.rows[i].c.packets;
		for (int d = 0; d < INV_NDSCP; d++)
			sum[2] += inv.dscp[d].packets;
		if (sum[0] != sum[2] || sum[1] != sum[2] || sum[2] > a.t.tcp_packets)
			abort();
	}
	analyzer_free(&a);
	inventory_free(&inv);
	return 0;
}
