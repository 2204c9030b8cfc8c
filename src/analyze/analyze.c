// SPDX-License-Identifier: GPL-2.0
/*
 * Analyzer: decode -> flow table -> tracker, and every event into the
 * totals, the current interval and the flow's path. Totals are kept at
 * event time (not at flow end) so intervals are right while flows live.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "pkt.h"

#define DEFAULT_MAX_FLOWS 262144

const char *const skip_name[SKIP_N] = {
	[SKIP_TRUNCATED] = "truncated",
	[SKIP_MALFORMED] = "malformed",
	[SKIP_OTHER] = "other",
	[SKIP_BAD_LINK] = "bad_link",
};

const char *const tunnel_name[PKT_TUN_N] = {
	[PKT_TUN_VXLAN] = "vxlan",
	[PKT_TUN_GENEVE] = "geneve",
	[PKT_TUN_GRE] = "gre",
	[PKT_TUN_ERSPAN] = "erspan",
	[PKT_TUN_MPLS] = "mpls",
	[PKT_TUN_IP_IN_IP] = "ip_in_ip",
};

static void summarize(const struct flow *f, struct flow_summary *s)
{
	const struct tcp_conn *c = &f->conn;

	s->key = f->key;
	s->dom = f->dom;
	s->client = c->client_known ? c->client : 2;
	s->first_ns = f->first_ns;
	s->last_ns = f->last_ns;
	s->dir[0] = c->half[0].st;
	s->dir[1] = c->half[1].st;
}

static uint64_t flow_retrans(const struct flow_summary *s)
{
	return s->dir[0].c.retrans_segs + s->dir[1].c.retrans_segs;
}

/* keep_flows: append; otherwise replace the smallest of the top N. */
static void keep_summary(struct analyzer *a, const struct flow *f)
{
	struct flow_summary s;
	size_t min = 0;

	summarize(f, &s);
	if (a->o.keep_flows || a->nkept < a->o.top_flows) {
		if (a->nkept == a->kept_cap) {
			size_t cap = a->kept_cap ? a->kept_cap * 2 : 64;
			struct flow_summary *n = realloc(a->kept, cap * sizeof(*n));

			if (!n)
				return;
			a->kept = n;
			a->kept_cap = cap;
		}
		a->kept[a->nkept++] = s;
		return;
	}
	for (size_t i = 1; i < a->nkept; i++)
		if (flow_retrans(&a->kept[i]) < flow_retrans(&a->kept[min]))
			min = i;
	if (a->nkept && flow_retrans(&s) > flow_retrans(&a->kept[min]))
		a->kept[min] = s;
}

static int by_len_desc(const void *x, const void *y)
{
	const struct analyze_stall *a = x, *b = y;

	if (a->st.len_ns != b->st.len_ns)
		return a->st.len_ns < b->st.len_ns ? 1 : -1;
	return a->st.start_ns < b->st.start_ns ? -1 : a->st.start_ns > b->st.start_ns;
}

static int by_retrans_desc(const void *x, const void *y)
{
	uint64_t a = flow_retrans(x), b = flow_retrans(y);

	return a < b ? 1 : a > b ? -1 : 0;
}

/* Keep the ANALYZE_STALLS_MAX longest in a min-heap on length. */
static void heap_down(struct analyze_stall *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct analyze_stall t;

		if (l < n && h[l].st.len_ns < h[m].st.len_ns)
			m = l;
		if (l + 1 < n && h[l + 1].st.len_ns < h[m].st.len_ns)
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void stall_keep(struct analyzer *a, const struct flow *f, const struct tcp_stall *st)
{
	struct analyze_stall s = { .st = *st };

	if (st->dir)
		flow_reverse(&s.flow, &f->key);
	else
		s.flow = f->key;
	a->stalls_total++;
	if (!a->stalls && !(a->stalls = malloc(ANALYZE_STALLS_MAX * sizeof(*a->stalls))))
		return;
	if (a->nstalls < ANALYZE_STALLS_MAX) {
		size_t i = a->nstalls++;

		a->stalls[i] = s;
		while (i && a->stalls[(i - 1) / 2].st.len_ns > a->stalls[i].st.len_ns) {
			struct analyze_stall t = a->stalls[(i - 1) / 2];

			a->stalls[(i - 1) / 2] = a->stalls[i];
			a->stalls[i] = t;
			i = (i - 1) / 2;
		}
	} else if (st->len_ns > a->stalls[0].st.len_ns) {
		a->stalls[0] = s;
		heap_down(a->stalls, a->nstalls, 0);
	}
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_end why)
{
	struct analyzer *a = ctx;
	struct tcp_counts gaps = { 0 };
	struct tcp_stall st;

	(void)why;
	if (tcp_conn_end(&f->conn, a->last_ns, &gaps, &st))
		stall_keep(a, f, &st);
	a->t.c.capture_gaps += gaps.capture_gaps;
	if (f->ext && a->o.by_path_len)
		a->paths[(uintptr_t)f->ext - 1].t.c.capture_gaps += gaps.capture_gaps;
	if (a->o.keep_flows || a->o.top_flows)
		keep_summary(a, f);
	free(f->sacked);
	f->sacked = NULL;
}


static void prefix(uint8_t *dst, const uint8_t *src, int len, int bytes)
{
	memset(dst, 0, 16);
	for (int i = 0; i < bytes && len > 0; i++, len -= 8)
		dst[i] = len >= 8 ? src[i] : (uint8_t)(src[i] & (0xff << (8 - len)));
}

/* Index + 1 of the flow's path, found once when the flow appears. */
static uintptr_t path_of(struct analyzer *a, const struct tcp_seg *s)
{
	int bytes = s->family == 6 ? 16 : 4;
	int len = a->o.by_path_len > bytes * 8 ? bytes * 8 : a->o.by_path_len;
	struct path_stats p = { .family = s->family, .plen = (uint8_t)len };

	prefix(p.src, s->saddr, len, bytes);
	prefix(p.dst, s->daddr, len, bytes);
	for (size_t i = 0; i < a->npaths; i++)
		if (a->paths[i].family == p.family && !memcmp(a->paths[i].src, p.src, 16) &&
		    !memcmp(a->paths[i].dst, p.dst, 16))
			return i + 1;
	if (a->npaths == a->paths_cap) {
		size_t cap = a->paths_cap ? a->paths_cap * 2 : 16;
		struct path_stats *n = realloc(a->paths, cap * sizeof(*n));

		if (!n)
			return 0;
		a->paths = n;
		a->paths_cap = cap;
	}
	a->paths[a->npaths++] = p;
	return a->npaths;
}

int analyzer_init(struct analyzer *a, const struct analyze_opts *o)
{
	memset(a, 0, sizeof(*a));
	a->o = *o;
	if (!a->o.max_flows)
		a->o.max_flows = DEFAULT_MAX_FLOWS;
	capclock_init(&a->clock);
	hist_init(&a->rtt);
	hist_init(&a->rto_gap);
	hist_init(&a->reorder_ns);
	hist_init(&a->reorder_segs);
	a->flows = flowtab_new(a->o.max_flows, on_flow_end, a);
	return a->flows ? 0 : -1;
}

static void emit_interval(struct analyzer *a, uint64_t len_ns)
{
	const uint64_t *now = (const uint64_t *)&a->t;
	const uint64_t *then = (const uint64_t *)&a->at_interval;
	struct analyze_totals d;
	uint64_t *out = (uint64_t *)&d;

	/* The totals struct is all u64 counters: subtract field-wise. */
	for (size_t i = 0; i < sizeof(d) / sizeof(uint64_t); i++)
		out[i] = now[i] - then[i];
	a->o.on_interval(a->o.ctx, a->interval_start, len_ns, &d);
	a->at_interval = a->t;
}

static void interval_tick(struct analyzer *a, uint64_t ts)
{
	/* Intervals count from the first packet: t_s 0, S, 2S ... */
	if (!a->interval_start)
		a->interval_start = ts;
	while (ts >= a->interval_start + a->o.interval_ns) {
		emit_interval(a, a->o.interval_ns);
		a->interval_start += a->o.interval_ns;
	}
}

static void reorder_record(struct analyzer *a, uint32_t segs, uint64_t ns)
{
	hist_record(&a->reorder_ns, ns);
	hist_record(&a->reorder_segs, segs);
}

static void retrans_event(struct analyzer *a, const struct tcp_seg *s,
			  const struct track_ev *ev)
{
	struct analyze_retrans r = { .ts_ns = s->ts_ns, .frame = s->tag, .seq = s->seq,
				     .len = s->payload_len, .cls = ev->cls, .trigger = ev->trigger,
				     .where = ev->where,
				     .rto_gap_ns = ev->rto_gap_ns };

	flow_from_seg(&r.flow, s);
	a->o.on_retrans(a->o.ctx, &r);
}

/* A retransmission judged again: its data went the way of half @c->dir. */
static void reclass_event(struct analyzer *a, const struct tcp_seg *s, int dir,
			  const struct fate_change *c)
{
	struct analyze_retrans r = { .ts_ns = s->ts_ns, .frame = c->tag, .by_frame = s->tag,
				     .reclass = true, .seq = c->seq, .len = c->bytes,
				     .cls = c->to.cls, .where = c->to.where };

	flow_from_seg(&r.flow, s);
	if (c->dir != dir)
		flow_reverse(&r.flow, &r.flow);
	a->o.on_retrans(a->o.ctx, &r);
}

/* A direction's DSCP is its data's: a pure ACK's (often 0) only stands in until data. */
static void note_dscp(struct flow *f, int dir, const struct tcp_seg *s, bool data)
{
	if (data || !(f->dscp_seen & (1U << dir))) {
		f->dscp[dir] = s->dscp;
		f->dscp_seen |= (uint8_t)(1U << dir);
	}
	if (data)
		f->dscp_seen |= (uint8_t)(4U << dir);
}

/* The monitor's view of one tracked segment; @una0: the ACKed half's una before it. */
static void monitor_feed(struct analyzer *a, struct flow *f, int dir,
			 const struct tcp_seg *s, const struct track_ev *ev, uint32_t una0,
			 bool una_valid)
{
	const struct tcp_half *h = &f->conn.half[!dir];
	struct mon_seg m = { .ts_ns = s->ts_ns };
	struct mon_key k = { .family = s->family, .src = s->saddr, .dst = s->daddr,
			     .sport = s->sport, .dport = s->dport };
	int idx[MON_MAX_PATHS], n;
	bool out[MON_MAX_PATHS];

	note_dscp(f, dir, s, s->payload_len > 0);
	k.dscp_fwd = f->dscp[dir];
	k.dscp_rev = f->dscp_seen & (1U << !dir) ? f->dscp[!dir] : MON_ANY;
	n = monitor_match(a->o.mon, &k, idx, out, MON_MAX_PATHS);
	if (!n)
		return;
	m.bytes = ev->data && !ev->keepalive && !ev->window_probe ? ev->bytes : 0;
	m.hdr = s->hdr_len;
	m.retrans = ev->retrans;
	m.downstream = ev->retrans && ev->where == LOSS_DOWNSTREAM;
	m.spurious = ev->retrans && ev->cls == RTX_SPURIOUS;
	for (int i = 0; i < ev->nchanges; i++) {
		const struct fate_change *c = &ev->change[i];

		if (c->from.kind != FATE_RETRANS || c->from.cls == RTX_SPURIOUS ||
		    c->to.kind != FATE_RETRANS || c->to.cls != RTX_SPURIOUS)
			continue;
		m.now_spurious++;
		if (c->from.where == LOSS_DOWNSTREAM) {
			m.unlost += c->bytes;
			m.unlost_segs++;
		}
	}
	/*
	 * What the ACK delivered, its SACK blocks counted (the cumulative ACK
	 * stands still through a recovery); without memory for them, una's move.
	 */
	if (!f->sacked && h->una_valid && (s->flags & TCPF_ACK))
		f->sacked = calloc(2, sizeof(*f->sacked));
	if (f->sacked && h->una_valid && (s->flags & TCPF_ACK))
		m.acked = mon_sacked_update(&f->sacked[dir], h->una, s->sack, s->nsack);
	else if (una_valid && h->una_valid && seq_after(h->una, una0) && h->una - una0 < (1U << 30))
		m.acked = h->una - una0;
	/* Every path it belongs to (a path and its classes) gets the segment. */
	for (int i = 0; i < n; i++) {
		m.outbound = out[i];
		/*
		 * An RTT sample is taken on the ACK: one on an inbound ACK times
		 * our outbound data across the path; one on an outbound segment
		 * times the peer's data from the capture point to our host and
		 * back, not the path (m.rtt_ns stays 0).
		 */
		if (!m.outbound && ev->rtt_ns) {
			struct mon_seg r = { .ts_ns = s->ts_ns, .outbound = true,
					     .rtt_ns = ev->rtt_ns };

			monitor_segment(a->o.mon, idx[i], &r);
		}
		monitor_segment(a->o.mon, idx[i], &m);
	}
}

static void on_segment(struct analyzer *a, struct tcp_seg *s)
{
	uint32_t una0 = 0;
	bool una_valid = false;
	struct track_ev ev;
	struct flow *f;
	int dir;

	f = flowtab_get(a->flows, s, &dir);
	if (!f)
		return;
	/* A fresh SYN with another ISN on a finished flow: a new connection. */
	if ((s->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN && f->conn.half[dir].syn_seen &&
	    s->seq != f->conn.half[dir].isn)
		flowtab_restart(a->flows, f);
	if (a->o.by_path_len && !f->ext)
		f->ext = (void *)path_of(a, s);
	if (a->o.mon) {
		una0 = f->conn.half[!dir].una;
		una_valid = f->conn.half[!dir].una_valid && f->conn.half[!dir].init;
	}
	tcp_track(&f->conn, dir, s, &ev);
	flowtab_touch(a->flows, f, s->ts_ns);
	if (unlikely(ev.capture_dup)) {
		a->t.capture_dups++;
		if (f->ext && a->o.by_path_len)
			a->paths[(uintptr_t)f->ext - 1].t.capture_dups++;
		return;
	}
	tcp_counts_event(&a->t.c, &ev);
	if (a->o.inv)
		inventory_segment(a->o.inv, &f->inv, dir, s, &ev);
	if (a->o.match)
		dscpmatch_near(a->o.match, s, s->ts_ns);
	if (a->o.mon)
		monitor_feed(a, f, dir, s, &ev, una0, una_valid);
	if (ev.retrans && a->o.on_retrans)
		retrans_event(a, s, &ev);
	for (int i = 0; a->o.on_retrans && i < ev.nchanges; i++)
		if (ev.change[i].from.kind == FATE_RETRANS && ev.change[i].to.kind == FATE_RETRANS)
			reclass_event(a, s, dir, &ev.change[i]);
	if (f->ext && a->o.by_path_len)
		tcp_counts_event(&a->paths[(uintptr_t)f->ext - 1].t.c, &ev);
	if (ev.rtt_ns)
		hist_record(&a->rtt, ev.rtt_ns);
	if (ev.rto_gap_ns)
		hist_record(&a->rto_gap, ev.rto_gap_ns);
	if (ev.reorder)
		reorder_record(a, ev.reorder_segs, ev.reorder_ns);
	if (ev.stalled)
		stall_keep(a, f, &ev.stall);
	for (int i = 0; i < ev.nchanges; i++)
		if (ev.change[i].to.kind == FATE_REORDER)
			reorder_record(a, ev.change[i].segs, ev.change[i].ns);
}

/* The frame's analysis time (capclock.h), intervals on the way. */
static uint64_t clock_in(struct analyzer *a, uint64_t ts_ns)
{
	ts_ns = capclock_in(&a->clock, ts_ns);
	a->first_ns = a->clock.first;
	a->last_ns = ts_ns;
	if (a->o.interval_ns)
		interval_tick(a, ts_ns);
	if (a->o.mon)
		monitor_tick(a->o.mon, ts_ns);
	a->t.packets++;
	return ts_ns;
}

/* What the decoder went through to reach @s: rare, out of the common path. */
static void __attribute__((noinline, cold)) count_decode(struct analyzer *a, const struct tcp_seg *s)
{
	a->t.ip_len_trimmed += s->ip_trimmed;
	for (int k = 0; k < PKT_TUN_N; k++)
		a->t.tunnels[k] += (s->tunnels >> k) & 1;
}

static inline void take_segment(struct analyzer *a, struct tcp_seg *s)
{
	s->tag = a->t.packets;		/* its frame number: events name it */
	a->t.tcp_packets++;
	if (__builtin_expect(s->tunnels | s->ip_trimmed, 0))
		count_decode(a, s);
	on_segment(a, s);
	flowtab_expire(a->flows, s->ts_ns);
}

void analyzer_segment(struct analyzer *a, struct tcp_seg *s)
{
	s->ts_ns = clock_in(a, s->ts_ns);
	s->clock_epoch = a->clock.epoch;
	take_segment(a, s);
}

void analyzer_packet(struct analyzer *a, int linktype, uint32_t ifid, uint64_t ts_ns,
		     const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	struct tcp_seg s;
	enum pkt_status st;

	ts_ns = clock_in(a, ts_ns);
	st = pkt_decode(linktype, data, caplen, wirelen, &s);
	switch (st) {
	case PKT_TCP:
		break;
	case PKT_OTHER:
		a->t.skipped[SKIP_OTHER]++;
		return;
	case PKT_TRUNCATED:
		a->t.skipped[SKIP_TRUNCATED]++;
		return;
	case PKT_MALFORMED:
		a->t.skipped[SKIP_MALFORMED]++;
		return;
	default:
		a->t.skipped[SKIP_BAD_LINK]++;
		return;
	}
	s.ts_ns = ts_ns;
	s.clock_epoch = a->clock.epoch;
	s.ifid = ifid;
	take_segment(a, &s);
}

void analyzer_finish(struct analyzer *a)
{
	flowtab_flush(a->flows);
	/* The top N are listed most retransmits first; a full list stays in order. */
	if (!a->o.keep_flows && a->nkept)
		qsort(a->kept, a->nkept, sizeof(*a->kept), by_retrans_desc);
	if (a->nstalls)
		qsort(a->stalls, a->nstalls, sizeof(*a->stalls), by_len_desc);
	/* The last, partial interval: as long as the capture lasted in it. */
	if (a->o.interval_ns && a->interval_start && a->last_ns >= a->interval_start)
		emit_interval(a, a->last_ns - a->interval_start);
	if (a->o.mon)
		monitor_finish(a->o.mon, a->last_ns);
}

void analyzer_free(struct analyzer *a)
{
	flowtab_free(a->flows);
	free(a->kept);
	free(a->paths);
	free(a->stalls);
	a->stalls = NULL;
	a->flows = NULL;
	a->kept = NULL;
	a->paths = NULL;
}
