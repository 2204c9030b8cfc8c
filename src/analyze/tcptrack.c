// SPDX-License-Identifier: GPL-2.0
/*
 * TCP sequence tracker; the rules it implements are written down for users
 * in doc/analyze.md. Per direction it knows what the capture point has seen
 * sent (nxt, minus holes) and acknowledged (una), and the receiver's loss
 * signals (duplicate ACKs, SACK) since una last moved.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tcptrack.h"

#define MAX_HOLES	4096	/* beyond this the oldest hole is forgotten: a window
				   of 8k segments with every other one late */
#define RTX_MAX		16384	/* re-sends and fills remembered, at most... */
#define RTX_KEEP_NS	4000000000ULL	/* ...and for this long: a D-SACK or a late
					   original comes within an RTT or two */
#define NO_RTT_REORDER_NS 1000000ULL	/* only when no RTT is known at all */
#define ID_NEAR		4096	/* a next ID this close: numbered in sending order */
#define ID_MEMORY	4096	/* the order test weighs about this many recent packets */
#define ID_WINDOW	16384	/* two IDs are compared only this close */
#define GAP_MAX		8	/* capture gaps held back for a late original */
#define LATE_NS		1000000ULL	/* at least this long (or half the RTT) */
#define KEEPALIVE_MIN_NS 1000000000ULL	/* Linux's shortest tcp_keepalive_time */

const char *const rtx_class_name[RTX_NCLASSES] = {
	[RTX_FAST] = "fast",
	[RTX_RTO] = "rto",
	[RTX_TLP] = "tlp",
	[RTX_SPURIOUS] = "spurious",
	[RTX_SYN_FIN] = "syn_fin",
};

const char *const stall_end_name[STALL_NENDS] = {
	[STALL_ACK] = "ack",
	[STALL_RST] = "rst",
	[STALL_END] = "end",
};

struct tcp_hole {
	uint32_t start, end;
	uint64_t ts_ns;		/* when the capture point first saw it */
	uint32_t segs_at;	/* data segments seen before it opened */
	struct send_mark open;	/* the segment that opened it */
};

/*
 * Sequence space the receiver acknowledged but the capture never saw: a
 * capture gap, counted once no late original (a large GSO frame captured
 * after the ACK that covers it) can still come.
 */
struct tcp_gap {
	uint32_t start, end;
	uint64_t ts_ns;		/* when the ACK showed it */
	uint8_t late;		/* a late original came: not a gap */
};

/* A re-send or a hole fill, kept for later evidence (D-SACK, a late original). */
struct tcp_rtx_rec {
	uint32_t start, end;
	uint32_t bytes;
	struct seg_fate fate;
	uint8_t from_hole;
	struct send_mark open;	/* from_hole: what opened the hole */
	uint32_t hole_segs, fill_segs;
	uint64_t hole_ns, fill_ns;
	uint64_t seen_ns;	/* when it came */
	uint64_t tag;		/* its struct tcp_seg's tag */
};

void tcp_conn_init(struct tcp_conn *c)
{
	memset(c, 0, sizeof(*c));
}

void tcp_conn_free(struct tcp_conn *c)
{
	for (int i = 0; i < 2; i++) {
		free(c->half[i].holes);
		free(c->half[i].rtx);
		free(c->half[i].gaps);
		c->half[i].holes = NULL;
		c->half[i].rtx = NULL;
		c->half[i].gaps = NULL;
		c->half[i].ngaps = 0;
	}
}

static bool seq_before_eq(uint32_t a, uint32_t b)
{
	return !seq_after(a, b);
}

void tcp_counts_fate(struct tcp_counts *n, const struct seg_fate *f, int sign, uint32_t bytes)
{
	switch (f->kind) {
	case FATE_RETRANS:
		n->retrans_segs += sign;
		n->retrans_bytes += (int64_t)sign * bytes;
		n->by_class[f->cls] += sign;
		n->lost_downstream += f->where == LOSS_DOWNSTREAM ? sign : 0;
		n->lost_upstream += f->where == LOSS_UPSTREAM ? sign : 0;
		break;
	case FATE_REORDER:
		n->reordering += sign;
		break;
	case FATE_AMBIGUOUS:
		n->ambiguous += sign;
		break;
	}
}

void tcp_counts_event(struct tcp_counts *n, const struct track_ev *ev)
{
	struct seg_fate f = { FATE_NONE, (uint8_t)ev->cls, (uint8_t)ev->where };

	if (ev->data) {
		n->data_segs++;
		n->data_bytes += ev->bytes;
	}
	f.kind = ev->retrans ? FATE_RETRANS : ev->reorder ? FATE_REORDER :
		 ev->ambiguous ? FATE_AMBIGUOUS : FATE_NONE;
	tcp_counts_fate(n, &f, 1, ev->bytes);
	if (ev->retrans)
		n->by_trigger[ev->trigger]++;
	if (unlikely(ev->keepalive | ev->window_probe | ev->capture_late)) {
		n->keepalives += ev->keepalive;
		n->window_probes += ev->window_probe;
		n->capture_late += ev->capture_late;
	}
	for (int i = 0; i < ev->nchanges; i++) {
		tcp_counts_fate(n, &ev->change[i].from, -1, ev->change[i].bytes);
		tcp_counts_fate(n, &ev->change[i].to, 1, ev->change[i].bytes);
	}
	n->capture_gaps += ev->capture_gaps;
}

static void rtt_sample(struct tcp_half *h, uint64_t ns, struct track_ev *ev)
{
	uint64_t us = ns / 1000;

	/* Zero: capture timestamps out of order (clamped), not a measurement. */
	if (!ns)
		return;
	h->srtt_us = h->st.rtt_samples ? (uint32_t)(((uint64_t)h->srtt_us * 7 + us) / 8) : us;
	if (!h->st.rtt_samples || us < h->st.rtt_min_us)
		h->st.rtt_min_us = us;
	if (us > h->st.rtt_max_us)
		h->st.rtt_max_us = us;
	h->st.rtt_samples++;
	h->st.rtt_sum_us += us;
	ev->rtt_ns = ns;
}

/* --- holes: sequence ranges between una and nxt never seen here --- */

/* Holes are kept sorted and disjoint: the first whose end lies after @seq. */
static int hole_lower(const struct tcp_half *h, uint32_t seq)
{
	int lo = 0, hi = h->nholes;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (seq_before_eq(h->holes[mid].end, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Put @add at index @i (keeping the order); full, the oldest is forgotten. */
static void hole_insert(struct tcp_half *h, int i, const struct tcp_hole *add)
{
	if (h->nholes == h->hole_cap) {
		unsigned int cap = h->hole_cap ? h->hole_cap * 2u : 4u;
		struct tcp_hole *n;

		if (cap > MAX_HOLES) {
			/* Its fill will look like a retransmission. */
			memmove(h->holes, h->holes + 1, (h->nholes - 1) * sizeof(*h->holes));
			h->nholes--;
			if (--i < 0)
				return;
		} else {
			n = realloc(h->holes, cap * sizeof(*n));
			if (!n)
				return;
			h->holes = n;
			h->hole_cap = (uint16_t)cap;
		}
	}
	memmove(&h->holes[i + 1], &h->holes[i], (h->nholes - i) * sizeof(*h->holes));
	h->holes[i] = *add;
	h->nholes++;
}

static void hole_del(struct tcp_half *h, int i)
{
	memmove(&h->holes[i], &h->holes[i + 1], (h->nholes - i - 1) * sizeof(*h->holes));
	h->nholes--;
}

/* Remove [start, end) from every hole, splitting where needed. */
static void holes_cut(struct tcp_half *h, uint32_t start, uint32_t end)
{
	for (int i = hole_lower(h, start); i < h->nholes; i++) {
		struct tcp_hole *o = &h->holes[i];

		if (seq_before_eq(end, o->start))
			break;
		if (seq_before_eq(start, o->start)) {
			if (seq_after(o->end, end))
				o->start = end;
			else
				hole_del(h, i--);
		} else if (seq_after(o->end, end)) {
			struct tcp_hole tail = *o;

			tail.start = end;
			o->end = start;
			hole_insert(h, i + 1, &tail);
			break;
		} else {
			o->end = start;
		}
	}
}

/* The first hole [start, end) overlaps, or -1. */
static int hole_overlap(const struct tcp_half *h, uint32_t start, uint32_t end)
{
	int i = hole_lower(h, start);

	return i < h->nholes && seq_before(h->holes[i].start, end) ? i : -1;
}

/* --- capture gaps, held back for a late original --- */

static uint64_t late_ns(const struct tcp_half *h)
{
	uint64_t half_rtt = h->st.rtt_samples ? (uint64_t)h->st.rtt_min_us * 500 : 0;

	return half_rtt > LATE_NS ? half_rtt : LATE_NS;
}

static void gap_count(struct tcp_half *h, const struct tcp_gap *g, struct track_ev *ev)
{
	if (g->late)
		return;
	h->st.c.capture_gaps++;
	ev->capture_gaps++;
}

/* Count (and forget) the gaps no late original can fill any more; @all: every one. */
static void gaps_release(struct tcp_half *h, uint64_t now, bool all, struct track_ev *ev)
{
	uint64_t win = late_ns(h);
	int keep = 0;

	for (int i = 0; i < h->ngaps; i++) {
		if (all || now - h->gaps[i].ts_ns > win)
			gap_count(h, &h->gaps[i], ev);
		else
			h->gaps[keep++] = h->gaps[i];
	}
	h->ngaps = (uint8_t)keep;
}

static void gap_hold(struct tcp_half *h, uint32_t start, uint32_t end, uint64_t now,
		     struct track_ev *ev)
{
	struct tcp_gap g = { start, end, now, 0 };

	if (!h->gaps && !(h->gaps = malloc(GAP_MAX * sizeof(*h->gaps)))) {
		gap_count(h, &g, ev);
		return;
	}
	if (h->ngaps == GAP_MAX) {		/* full: the oldest is a gap */
		gap_count(h, &h->gaps[0], ev);
		memmove(h->gaps, h->gaps + 1, (GAP_MAX - 1) * sizeof(*h->gaps));
		h->ngaps--;
	}
	h->gaps[h->ngaps++] = g;
}

/* [seq, end) is the late original of a gap held back: no gap, no retransmission. */
static bool gap_late(struct tcp_half *h, uint32_t seq, uint32_t end, uint64_t now)
{
	uint64_t win = late_ns(h);

	for (int i = 0; i < h->ngaps; i++) {
		struct tcp_gap *g = &h->gaps[i];

		if (seq_before_eq(g->start, seq) && seq_before_eq(end, g->end) &&
		    now - g->ts_ns <= win) {
			g->late = 1;
			return true;
		}
	}
	return false;
}

/* una moved to @ack: holes below it were filled out of our sight. */
static void holes_acked(struct tcp_half *h, uint32_t ack, uint64_t now, struct track_ev *ev)
{
	int n = hole_lower(h, ack);	/* holes [0, n) end at or below it */

	for (int i = 0; i < n; i++)
		gap_hold(h, h->holes[i].start, h->holes[i].end, now, ev);
	if (n < h->nholes && seq_before(h->holes[n].start, ack)) {
		gap_hold(h, h->holes[n].start, ack, now, ev);
		h->holes[n].start = ack;
	}
	memmove(h->holes, h->holes + n, (h->nholes - n) * sizeof(*h->holes));
	h->nholes -= n;
}

/* --- the sender's own order: IPv4 ID and TSval --- */

/*
 * Learn whether this sender numbers its packets' IPv4 IDs in sending order:
 * Linux counts per socket, Windows and others per host; some stacks send 0
 * or random IDs. A SYN or RST starts over: Linux sends the SYN-ACK and
 * control-socket RSTs with IDs of their own.
 */
static void id_learn(struct tcp_half *h, const struct tcp_seg *s)
{
	int16_t d;

	if (!s->has_ip_id || (s->flags & (TCPF_SYN | TCPF_RST))) {
		h->id_seen = 0;
		return;
	}
	if (h->id_seen) {
		/* A late original steps back by as many IDs as overtook it. */
		d = (int16_t)(s->ip_id - h->last_ip_id);
		if (d && d > -ID_NEAR && d < ID_NEAR)
			h->id_steps++;
		else
			h->id_jumps++;
		if (h->id_steps + h->id_jumps >= ID_MEMORY) {
			h->id_steps /= 2;
			h->id_jumps /= 2;
		}
	}
	h->id_seen = 1;
	h->last_ip_id = s->ip_id;
}

static bool ids_ordered(const struct tcp_half *h)
{
	return h->id_steps >= 2 && h->id_jumps * 4u <= h->id_steps;
}

static struct send_mark mark_of(const struct tcp_seg *s)
{
	return (struct send_mark){ .tsval = s->tsval, .ip_id = s->ip_id,
				   .has_ip_id = s->has_ip_id, .has_ts = s->has_ts };
}

enum send_order { ORDER_UNKNOWN, ORDER_BEFORE, ORDER_AFTER };

/*
 * Was @s sent before or after the segment marked @m? A retransmission is
 * sent after everything sent before it, so it carries a newer ID and a
 * TSval at least as new; a late original carries an older ID and a TSval
 * no newer. Equal TSvals (one clock tick) tell nothing.
 */
static enum send_order sent_order(const struct tcp_half *h, const struct tcp_seg *s,
				  const struct send_mark *m)
{
	if (s->has_ip_id && m->has_ip_id && ids_ordered(h)) {
		int16_t d = (int16_t)(s->ip_id - m->ip_id);

		if (d < 0 && d > -ID_WINDOW)
			return ORDER_BEFORE;
		if (d > 0 && d < ID_WINDOW)
			return ORDER_AFTER;
	}
	if (s->has_ts && m->has_ts && s->tsval != m->tsval)
		return seq_before(s->tsval, m->tsval) ? ORDER_BEFORE : ORDER_AFTER;
	return ORDER_UNKNOWN;
}

/* --- re-sends and fills remembered for later evidence --- */

/*
 * The records are kept sorted by start (a burst after a timeout may re-send
 * a whole window before its first D-SACK or late original comes back), so
 * the ones that overlap a range are found by binary search.
 */
static struct tcp_rtx_rec *rtx_remember(struct tcp_half *h, uint32_t start, uint32_t end,
					uint32_t bytes, const struct seg_fate *f, uint64_t now,
					uint64_t tag)
{
	int lo = 0, hi, old = 0;

	/* Too old, or so far below that sequence order would wrap. */
	while (old < h->nrtx && (h->rtx[old].seen_ns + RTX_KEEP_NS < now ||
				 seq_before(h->rtx[old].start, start - (1u << 30))))
		old++;
	if (old == 0 && h->nrtx == h->rtx_cap) {
		unsigned int cap = h->rtx_cap ? h->rtx_cap * 2u : 8u;
		struct tcp_rtx_rec *n;

		if (cap > RTX_MAX) {
			old = 1;		/* full: forget the lowest */
		} else {
			n = realloc(h->rtx, cap * sizeof(*n));
			if (!n)
				return NULL;
			h->rtx = n;
			h->rtx_cap = (uint16_t)cap;
		}
	}
	if (old) {
		memmove(h->rtx, h->rtx + old, (h->nrtx - old) * sizeof(*h->rtx));
		h->nrtx = (uint16_t)(h->nrtx - old);
	}
	hi = h->nrtx;
	while (lo < hi) {			/* after those that start at or before it */
		int mid = lo + (hi - lo) / 2;

		if (seq_before_eq(h->rtx[mid].start, start))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&h->rtx[lo + 1], &h->rtx[lo], (h->nrtx - lo) * sizeof(*h->rtx));
	h->nrtx++;
	if (end - start > h->rtx_maxlen)
		h->rtx_maxlen = end - start;
	h->rtx[lo] = (struct tcp_rtx_rec){ .start = start, .end = end, .bytes = bytes,
					   .fate = *f, .seen_ns = now, .tag = tag };
	return &h->rtx[lo];
}

/* The first record that may overlap [start, ...): none before it can. */
static int rtx_first(const struct tcp_half *h, uint32_t start)
{
	uint32_t from = start - h->rtx_maxlen;
	int lo = 0, hi = h->nrtx;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (seq_before(h->rtx[mid].start, from))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool rtx_overlaps(const struct tcp_rtx_rec *r, uint32_t start, uint32_t end)
{
	return seq_before(start, r->end) && seq_before(r->start, end);
}

static void reorder_extent(struct tcp_half *h, uint32_t segs, uint64_t ns)
{
	if (segs > h->st.reorder_max_segs)
		h->st.reorder_max_segs = segs;
	if (ns > h->st.reorder_max_ns)
		h->st.reorder_max_ns = ns;
}

/* Move remembered segment @r to fate @to, in the half's counters and in @ev. */
static void rtx_refate(struct tcp_half *h, int dir, struct tcp_rtx_rec *r,
		       const struct seg_fate *to, struct track_ev *ev)
{
	struct fate_change c = { .from = r->fate, .to = *to, .seq = r->start, .bytes = r->bytes,
				 .tag = r->tag, .dir = (uint8_t)dir };

	tcp_counts_fate(&h->st.c, &r->fate, -1, r->bytes);
	tcp_counts_fate(&h->st.c, to, 1, r->bytes);
	if (to->kind == FATE_REORDER) {
		c.segs = r->fill_segs - r->hole_segs;
		c.ns = r->fill_ns - r->hole_ns;
		reorder_extent(h, c.segs, c.ns);
	}
	/* At most two per segment today: a re-send and an ambiguous fill. */
	if (ev->nchanges < TRACK_MAX_CHANGES)
		ev->change[ev->nchanges++] = c;
	r->fate = *to;
}

static const struct seg_fate fate_spurious = { FATE_RETRANS, RTX_SPURIOUS, LOSS_NONE };
static const struct seg_fate fate_reorder = { FATE_REORDER, 0, 0 };

/*
 * D-SACK: the receiver got @b twice. The re-send it names was needless; a
 * fill of the same range that no signal could place came first, so it was
 * the original, late.
 */
static void on_dsack(struct tcp_half *h, int dir, const struct sack_block *b,
		     struct track_ev *ev)
{
	struct tcp_rtx_rec *resend = NULL;

	/* The probe and the original both arrived (Linux's tcp_process_tlp_ack). */
	if (h->tlp_out && b->end == h->tlp_high)
		h->tlp_out = 0;
	for (int i = rtx_first(h, b->start); i < h->nrtx; i++) {
		struct tcp_rtx_rec *r = &h->rtx[i];

		if (!seq_before(r->start, b->end))
			break;
		if (r->fate.kind != FATE_RETRANS || !rtx_overlaps(r, b->start, b->end))
			continue;
		if (!resend || resend->fate.cls == RTX_SPURIOUS)
			resend = r;
		if (r->fate.cls != RTX_SPURIOUS)
			break;
	}
	if (!resend)
		return;
	/*
	 * Needless only if all of it was a copy: a re-send that also filled
	 * a hole (Linux collapses the next segment into it) is D-SACKed for
	 * the part the receiver had (tcp_data_queue: [seq, rcv_nxt)).
	 */
	if (resend->from_hole && resend->fate.where == LOSS_UPSTREAM &&
	    (seq_after(b->start, resend->start) || seq_before(b->end, resend->end)))
		return;
	if (resend->fate.cls != RTX_SPURIOUS)
		rtx_refate(h, dir, resend, &fate_spurious, ev);
	for (int i = rtx_first(h, resend->start); i < h->nrtx; i++) {
		struct tcp_rtx_rec *r = &h->rtx[i];

		if (!seq_before(r->start, resend->end))
			break;
		if (r->fate.kind == FATE_AMBIGUOUS && rtx_overlaps(r, resend->start, resend->end))
			rtx_refate(h, dir, r, &fate_reorder, ev);
	}
}

/* --- ACKs: the segment in direction dir acknowledges half h (= !dir) --- */

static void on_ack(struct tcp_half *h, int hdir, const struct tcp_seg *s, struct track_ev *ev)
{
	if (!h->init) {
		h->una = s->ack;
		h->una_valid = 1;
		return;
	}
	if (unlikely(h->zero_wnd != !s->win) && !(s->flags & (TCPF_SYN | TCPF_RST)))
		h->zero_wnd = !s->win;
	if (seq_after(s->ack, h->nxt)) {
		/* The receiver has data the capture never saw (or not yet). */
		gap_hold(h, h->nxt, s->ack, s->ts_ns, ev);
		h->nxt = s->ack;
	}
	/*
	 * One probe at a time: the next waits until an ACK covers data sent
	 * after it, or a pure duplicate ACK says the probe and the original
	 * both arrived (Linux's tcp_process_tlp_ack).
	 */
	if (unlikely(h->tlp_out) && (seq_after(s->ack, h->tlp_high) ||
			   (s->ack == h->tlp_high && s->ack == h->una && !s->payload_len &&
			    !s->nsack)))
		h->tlp_out = 0;
	if (seq_after(s->ack, h->una) || !h->una_valid) {
		h->una = s->ack;
		h->una_valid = 1;
		h->dupacks = 0;
		h->sack_signal = 0;
		if (h->nholes)
			holes_acked(h, s->ack, s->ts_ns, ev);
		/*
		 * The last re-send arrived: what went out before it and is
		 * still not acknowledged is lost by the time it took (RACK,
		 * RFC 8985), on an ACK that need carry no SACK.
		 */
		if (h->rack_pending && seq_before_eq(h->rack_end, s->ack)) {
			h->rack_pending = 0;
			h->rack_valid = 1;
			h->rack_lost = h->rack_fence;
		}
		if (h->rack_valid && seq_before_eq(h->rack_lost, s->ack))
			h->rack_valid = 0;
		if (h->in_episode && seq_before_eq(h->episode_end, s->ack))
			h->in_episode = h->rto_done = h->recovery = h->loss = 0;
		if (h->timing && seq_before_eq(h->timed_end, s->ack)) {
			h->timing = 0;
			/* Not across a jump of the capture's clock: that time is unknown. */
			if (s->clock_epoch == h->timed_epoch)
				rtt_sample(h, s->ts_ns - h->timed_ns, ev);
		}
	} else if (s->ack == h->una && !s->payload_len && s->win == h->peer_win &&
		   !(s->flags & (TCPF_SYN | TCPF_FIN)) && seq_before(h->una, h->nxt)) {
		/* RFC 5681: a window update is no duplicate ACK. */
		h->dupacks++;
	}
	h->peer_win = s->win;
	for (int i = 0; i < s->nsack; i++) {
		const struct sack_block *b = &s->sack[i];

		/* RFC 2883: a first block below the cumulative ACK or inside the second. */
		if (i == 0 && (seq_before_eq(b->end, s->ack) ||
			       (s->nsack > 1 && seq_before_eq(s->sack[1].start, b->start) &&
				seq_before_eq(b->end, s->sack[1].end))))
			on_dsack(h, hdir, b, ev);
		else if (seq_after(b->end, h->una))
			h->sack_signal = 1;
	}
	if (s->has_ts && h->ts_probe && s->tsecr == h->ts_probe_val) {
		h->ts_probe = 0;
		if (!ev->rtt_ns && s->clock_epoch == h->ts_probe_epoch)
			rtt_sample(h, s->ts_ns - h->ts_probe_ns, ev);
	}
}

/* --- data --- */

/*
 * The shortest silence a retransmission timer leaves: the path's RTT (both
 * halves, capture point to each end and back) with a quarter on top (a
 * RACK reordering timer waits that much after an ACK), plus half the RTO
 * floor: Linux's RTO is at least the smoothed RTT + 200 ms.
 */
static uint64_t timeout_ns(const struct tcp_half *h, const struct tcp_half *back)
{
	uint64_t r = 0;

	if (h->st.rtt_samples)
		r += (uint64_t)h->st.rtt_min_us * 1000;
	if (back->st.rtt_samples)
		r += (uint64_t)back->st.rtt_min_us * 1000;
	return r + r / 4 + TCP_RTO_FLOOR_NS / 2;
}

/*
 * When Linux's probe timer fires after the last segment either way
 * (tcp_schedule_loss_probe): twice the smoothed RTT, plus the minimum RTO
 * when one segment is in flight (a delayed ACK may be due) or 2 ms
 * otherwise; 1 s without an RTT sample.
 */
static uint64_t pto_ns(const struct tcp_half *h, const struct tcp_half *back, bool one)
{
	uint64_t srtt;

	if (!h->st.rtt_samples)
		return 1000000000ULL;
	srtt = (uint64_t)h->srtt_us * 1000;
	if (back->st.rtt_samples)
		srtt += (uint64_t)back->st.rtt_min_us * 1000;
	return 2 * srtt + (one ? TCP_RTO_FLOOR_NS : 2000000ULL);
}

/*
 * Would Linux send a tail-loss probe (tcp_schedule_loss_probe)? Only with
 * SACK, in the Open state (no loss episode, no duplicate ACK or SACK since
 * una moved), with no earlier probe unresolved, and it re-sends the last
 * segment sent; and it goes when its timer fires. A re-send well after
 * that is the RTO's: the probe was not sent (Linux skips it while the
 * original is still queued in the host, as in a macvtap's ring whose
 * reader stalls: TCPSpuriousRtxHostQueues).
 */
static bool tlp_allowed(const struct tcp_half *h, const struct tcp_half *back,
			uint32_t seq, uint32_t end, uint64_t silence)
{
	bool sack = (!h->syn_seen || h->syn_sack) && (!back->syn_seen || back->syn_sack);
	uint64_t pto;

	/* With SACK a duplicate ACK that SACKs nothing new leaves the Open state. */
	if (!sack || h->in_episode || h->tlp_out || h->sack_signal || end != h->nxt ||
	    (h->rack_valid && seq_before(seq, h->rack_lost)))
		return false;
	/* A FIN alone is re-sent by the RTO (seen on Linux 6.18: a closed socket's FIN). */
	if (end - seq == 1 && h->fin_seen)
		return false;
	/*
	 * Its timer counts in jiffies (4 ms at HZ=250) and may run late on a
	 * busy host; no RTO fires as early as timeout_ns.
	 */
	pto = pto_ns(h, back, h->nxt - h->una <= end - seq);
	return silence <= pto + pto / 4 + 10000000ULL || silence < timeout_ns(h, back);
}

/*
 * How the sender re-sent it (fast, rto, tlp; a SYN only by its timer), and
 * the class: that, unless it re-sends a SYN or FIN (syn_fin) or data
 * already acknowledged (spurious). The sender's state moves either way.
 */
static enum rtx_class classify(struct tcp_half *h, const struct tcp_half *back,
			       const struct tcp_seg *s, uint32_t seq, uint32_t end,
			       uint64_t *gap, enum rtx_class *trigger)
{
	uint64_t last = h->last_seen_ns > back->last_seen_ns ? h->last_seen_ns : back->last_seen_ns;
	uint64_t silence = s->ts_ns - last;
	bool timeout = silence >= timeout_ns(h, back);
	enum rtx_class cls;

	if ((s->flags & TCPF_SYN) && h->syn_seen && seq == h->isn) {
		*trigger = RTX_RTO;
		return RTX_SYN_FIN;
	}
	if (tlp_allowed(h, back, seq, end, silence)) {
		cls = RTX_TLP;
		h->tlp_out = 1;
		h->tlp_high = h->nxt;
	} else if (!timeout && !h->loss &&
		   (h->dupacks >= 3 || h->sack_signal || h->recovery ||
		    (h->rack_valid && seq_before(seq, h->rack_lost)))) {
		/* In fast recovery a partial ACK resets the dupacks, not the recovery. */
		cls = RTX_FAST;
		h->recovery = 1;
	} else {
		/*
		 * A timer: after a silence, or with no loss signal at all; and
		 * the re-sends that follow one until una passes the episode.
		 */
		cls = RTX_RTO;
		if (timeout || !h->loss) {
			if (timeout || !h->rto_done)
				*gap = s->ts_ns - h->last_tx_ns;
			h->rto_done = 1;
			/* The Loss state lasts until una passes what is out now (tcp_enter_loss). */
			h->in_episode = 1;
			h->episode_end = h->nxt;
		}
		h->loss = 1;
		h->recovery = 0;
		h->tlp_out = 0;
	}
	if (!h->in_episode) {
		h->in_episode = 1;
		h->episode_end = h->nxt;
	}
	h->rack_pending = 1;
	h->rack_end = end;
	h->rack_fence = h->nxt;
	*trigger = cls;
	if ((s->flags & TCPF_FIN) && h->fin_seen)
		return RTX_SYN_FIN;
	if (h->una_valid && seq_before_eq(end, h->una))
		return RTX_SPURIOUS;
	return cls;
}

/*
 * A fill of a hole: the original, late (reordered), or a retransmission of
 * one lost upstream? The sender's order first (IPv4 ID, TSval against the
 * segment that opened the hole), then the time: a fill sooner than an ACK
 * could reach the sender and data come back is no retransmission. What
 * nothing decides is ambiguous, never loss.
 */
static enum fate_kind fill_fate(const struct tcp_half *h, const struct tcp_half *back,
				const struct tcp_seg *s, const struct tcp_hole *hole)
{
	uint64_t delay = s->ts_ns - hole->ts_ns;

	switch (sent_order(h, s, &hole->open)) {
	case ORDER_BEFORE:
		return FATE_REORDER;
	case ORDER_AFTER:
		return FATE_RETRANS;
	case ORDER_UNKNOWN:
		break;
	}
	if (back->st.rtt_samples ? delay * 2 < (uint64_t)back->st.rtt_min_us * 1000 :
				   delay < NO_RTT_REORDER_NS)
		return FATE_REORDER;
	return FATE_AMBIGUOUS;
}

static void retransmitted(struct tcp_conn *c, int dir, const struct tcp_seg *s, uint32_t seq,
			  uint32_t end, enum loss_where where, struct track_ev *ev)
{
	enum rtx_class cls = classify(&c->half[dir], &c->half[!dir], s, seq, end,
				      &ev->rto_gap_ns, &ev->trigger);

	if (cls == RTX_SPURIOUS)
		where = LOSS_NONE;
	c->half[dir].st.c.by_trigger[ev->trigger]++;
	ev->retrans = true;
	ev->cls = cls;
	ev->where = where;
}

/* Count this segment's fate in its half, and remember it when it may change. */
static struct tcp_rtx_rec *settle(struct tcp_half *h, const struct tcp_seg *s, uint32_t seq,
				  uint32_t end, struct track_ev *ev)
{
	struct seg_fate f = { FATE_NONE, (uint8_t)ev->cls, (uint8_t)ev->where };

	f.kind = ev->retrans ? FATE_RETRANS : ev->reorder ? FATE_REORDER : FATE_AMBIGUOUS;
	tcp_counts_fate(&h->st.c, &f, 1, s->payload_len);
	if (ev->reorder) {
		reorder_extent(h, ev->reorder_segs, ev->reorder_ns);
		return NULL;
	}
	return rtx_remember(h, seq, end, s->payload_len, &f, s->ts_ns, s->tag);
}

/* The segment lies in hole @hole: the original, late, or a retransmission. */
static void on_fill(struct tcp_conn *c, int dir, const struct tcp_seg *s, uint32_t seq,
		    uint32_t end, const struct tcp_hole *hole, enum fate_kind fate,
		    struct track_ev *ev)
{
	struct tcp_half *h = &c->half[dir];
	uint32_t segs = (uint32_t)h->st.c.data_segs - hole->segs_at;
	struct tcp_rtx_rec *r;

	switch (fate) {
	case FATE_REORDER:
		ev->reorder = true;
		ev->reorder_segs = segs;
		ev->reorder_ns = s->ts_ns - hole->ts_ns;
		break;
	case FATE_RETRANS:
		retransmitted(c, dir, s, seq, end, LOSS_UPSTREAM, ev);
		break;
	default:
		ev->ambiguous = true;
		break;
	}
	r = settle(h, s, seq, end, ev);
	if (r) {
		r->from_hole = 1;
		r->open = hole->open;
		r->hole_segs = hole->segs_at;
		r->hole_ns = hole->ts_ns;
		r->fill_segs = (uint32_t)h->st.c.data_segs;
		r->fill_ns = s->ts_ns;
	}
}

/*
 * Data seen before comes again: a retransmission, unless it is the
 * original of a hole that an earlier copy filled (that copy was then a
 * needless retransmission, not a repair of upstream loss).
 */
static void on_resend(struct tcp_conn *c, int dir, const struct tcp_seg *s, uint32_t seq,
		      uint32_t end, struct track_ev *ev)
{
	struct tcp_half *h = &c->half[dir];
	int n = (s->has_ip_id || s->has_ts) ? h->nrtx : 0;

	for (int i = n ? rtx_first(h, seq) : 0; i < n; i++) {
		struct tcp_rtx_rec *r = &h->rtx[i];

		if (!seq_before(r->start, end))
			break;
		if (!r->from_hole || r->fate.kind == FATE_REORDER ||
		    (r->fate.kind == FATE_RETRANS && r->fate.where != LOSS_UPSTREAM) ||
		    !rtx_overlaps(r, seq, end) || sent_order(h, s, &r->open) != ORDER_BEFORE)
			continue;
		rtx_refate(h, dir, r, &fate_spurious, ev);
		ev->reorder = true;
		ev->reorder_segs = (uint32_t)h->st.c.data_segs - r->hole_segs;
		ev->reorder_ns = s->ts_ns - r->hole_ns;
		settle(h, s, seq, end, ev);
		return;
	}
	retransmitted(c, dir, s, seq, end, LOSS_DOWNSTREAM, ev);
	settle(h, s, seq, end, ev);
}

static void first_segment(struct tcp_half *h, const struct tcp_seg *s, uint32_t end)
{
	h->init = 1;
	h->isn = s->seq;
	h->nxt = end;
	if (!h->una_valid)
		h->una = s->seq;
	h->una_valid = 1;
}

/* The segment @s starts beyond nxt: what lies between was not seen here. */
static void open_hole(struct tcp_half *h, const struct tcp_seg *s)
{
	struct tcp_hole hole = { h->nxt, s->seq, s->ts_ns, (uint32_t)h->st.c.data_segs,
				 mark_of(s) };

	hole_insert(h, h->nholes, &hole);
}

static void on_data(struct tcp_conn *c, int dir, const struct tcp_seg *s,
		    uint32_t len, struct track_ev *ev)
{
	struct tcp_half *h = &c->half[dir];
	uint32_t seq = s->seq, end = s->seq + len, old_end;
	enum fate_kind fate = FATE_AMBIGUOUS;
	bool fresh = true;
	int hi;

	if (!h->init) {
		first_segment(h, s, end);
	} else if (seq_before_eq(h->nxt, seq)) {
		if (seq_after(seq, h->nxt))
			open_hole(h, s);
		h->nxt = end;
	} else {
		/* Some of it lies below nxt: seen before, or a hole being filled. */
		fresh = false;
		old_end = seq_before(end, h->nxt) ? end : h->nxt;
		hi = h->nholes ? hole_overlap(h, seq, old_end) : -1;
		if (hi >= 0) {
			const struct tcp_hole *o = &h->holes[hi];

			fate = fill_fate(h, &c->half[!dir], s, o);
			/*
			 * Not wholly inside: a re-send that fills the hole and
			 * goes on over data seen (Linux collapses the next
			 * segment into a retransmission) repairs loss upstream;
			 * sent before the hole opened, it is an original, late,
			 * and on_resend tells that story.
			 */
			if ((seq_before(seq, o->start) || seq_after(old_end, o->end)) &&
			    fate != FATE_RETRANS)
				hi = -1;
		}
		if (h->ngaps && gap_late(h, seq, old_end, s->ts_ns))
			ev->capture_late = true;
		else if (hi >= 0)
			on_fill(c, dir, s, seq, end, &h->holes[hi], fate, ev);
		else
			on_resend(c, dir, s, seq, end, ev);
		if (h->nholes)
			holes_cut(h, seq, old_end);
		if (h->timing && seq_before(seq, h->timed_end))
			h->timing = 0;		/* Karn: no sample from retransmitted data */
		if (seq_after(end, h->nxt))
			h->nxt = end;
	}
	/* Time only data at the leading edge: an ACK for a fill waited for more. */
	if (!h->timing && fresh) {
		h->timing = 1;
		h->timed_end = end;
		h->timed_ns = s->ts_ns;
		h->timed_epoch = s->clock_epoch;
	}
	if (s->flags & TCPF_SYN)
		h->syn_seen = 1;
	if (s->flags & TCPF_FIN)
		h->fin_seen = 1;
	h->last_tx_ns = s->ts_ns;
}

/*
 * A keep-alive or a zero-window probe: nothing or one byte at una - 1
 * (Linux sends none, others one of garbage), or, while the peer's window is
 * shut, the one-byte probe sent again. Neither data nor a retransmission.
 * A one-byte re-send of the last byte acknowledged looks the same (a
 * request whose response was lost after the capture point): a keep-alive
 * comes only after a second of silence, the shortest keep-alive time Linux
 * allows; a re-send a timeout after the original, unless backed off.
 */
static inline bool is_probe(const struct tcp_conn *c, const struct tcp_half *h,
		     const struct tcp_seg *s)
{
	if (likely(s->payload_len > 1) || !h->una_valid ||
	    (s->flags & (TCPF_SYN | TCPF_FIN | TCPF_RST)))
		return false;
	if (s->seq == h->una - 1)
		return !s->payload_len || h->zero_wnd || s->ts_ns - c->last_ns >= KEEPALIVE_MIN_NS;
	return h->zero_wnd && h->init && s->payload_len == 1 && s->seq == h->una &&
	       seq_before(s->seq, h->nxt);
}

/* The side whose data waits for an ACK, or -1. */
static int waiting_side(const struct tcp_conn *c)
{
	for (int i = 0; i < 2; i++) {
		const struct tcp_half *h = &c->half[i];

		/* A FIN alone waiting for its ACK holds up no data. */
		if (h->init && h->una_valid && seq_before(h->una, h->nxt - h->fin_seen))
			return i;
	}
	return -1;
}

static void stall_begin(struct tcp_conn *c, uint64_t now)
{
	int w;

	if (c->stall_on || c->rst || !c->seen || now - c->last_ns < TCP_RTO_FLOOR_NS)
		return;
	w = waiting_side(c);
	if (w < 0)
		return;
	c->stall_on = 1;
	c->stall_ns = c->last_ns;
	c->stall_dir = (uint8_t)w;
	c->stall_rtx = 0;
}

static void stall_end(struct tcp_conn *c, uint64_t now, enum stall_end why,
		      struct tcp_stall *st)
{
	*st = (struct tcp_stall){ .start_ns = c->stall_ns, .len_ns = now - c->stall_ns,
				  .retrans = c->stall_rtx, .dir = c->stall_dir,
				  .end = (uint8_t)why };
	c->stall_on = 0;
}

#define DUP_ID_NS	50000000ULL	/* a copy with the same IPv4 ID: this close */
#define DUP_NS		1000000ULL	/* without one: this close */

/* Every header field a copy repeats, folded into 64 bits (never 0). */
static inline uint64_t seg_sig(const struct tcp_seg *s)
{
	uint64_t a = (uint64_t)s->seq << 32 | s->ack;
	uint64_t b = (uint64_t)(s->payload_len ^ (uint32_t)s->flags << 24) << 32 |
		     (uint32_t)s->win << 16 | s->ip_id;
	uint64_t t = (uint64_t)s->tsval << 32 | s->tsecr;

	if (s->nsack)
		t ^= ((uint64_t)s->sack[0].start << 32 | s->sack[0].end) * 0x9e3779b97f4a7c15ULL;
	return (a ^ b * 0xbf58476d1ce4e5b9ULL ^ t * 0x94d049bb133111ebULL) | 1;
}

/*
 * The same frame captured again (a SPAN port copying both directions, a
 * capture on a bridge and its port): every header field as this
 * direction's last segment's, no segment the other way since, and the
 * same non-zero IPv4 ID within 50 ms; a retransmission gets a new ID and
 * comes a timeout or an ACK later. Without an ID (IPv6, ID 0) only a copy
 * within 1 ms that carries sequence space: duplicate ACKs look alike.
 */
static inline bool capture_dup(const struct tcp_half *h, const struct tcp_half *back,
			const struct tcp_seg *s, uint64_t sig)
{
	uint64_t since = s->ts_ns - h->last_seen_ns;

	if (sig != h->last_sig || back->last_seen_ns > h->last_seen_ns)
		return false;
	if (s->has_ip_id && s->ip_id)
		return since <= DUP_ID_NS;
	return (s->payload_len || (s->flags & (TCPF_SYN | TCPF_FIN))) && since <= DUP_NS;
}

void tcp_track(struct tcp_conn *c, int dir, const struct tcp_seg *s, struct track_ev *ev)
{
	struct tcp_half *h = &c->half[dir];
	uint32_t len = s->payload_len + !!(s->flags & TCPF_SYN) + !!(s->flags & TCPF_FIN);
	uint32_t wait_una = 0;
	uint64_t sig;
	bool probe;

	memset(ev, 0, offsetof(struct track_ev, change));
	sig = seg_sig(s);
	if (unlikely(capture_dup(h, &c->half[!dir], s, sig))) {
		ev->capture_dup = true;
		return;
	}
	h->last_sig = sig;
	if (unlikely(c->half[0].ngaps | c->half[1].ngaps))
		for (int i = 0; i < 2; i++)
			if (c->half[i].ngaps)
				gaps_release(&c->half[i], s->ts_ns, false, ev);
	if (unlikely(s->ts_ns - c->last_ns >= TCP_RTO_FLOOR_NS))
		stall_begin(c, s->ts_ns);
	if (c->stall_on)
		wait_una = c->half[c->stall_dir].una;
	if (s->flags & TCPF_RST)
		c->rst = 1;
	if ((s->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN && !c->client_known) {
		c->client_known = 1;
		c->client = (uint8_t)dir;
	}
	if (s->flags & TCPF_SYN)
		h->syn_sack = s->sack_ok;
	if (s->flags & TCPF_ACK)
		on_ack(&c->half[!dir], !dir, s, ev);
	probe = is_probe(c, h, s);
	if (probe) {
		bool wp = h->zero_wnd;

		ev->keepalive = !wp;
		ev->window_probe = wp;
		h->st.c.keepalives += !wp;
		h->st.c.window_probes += wp;
	} else if (len) {
		on_data(c, dir, s, len, ev);
	} else if (h->init && !(s->flags & TCPF_RST) && seq_after(s->seq, h->nxt)) {
		/* A pure ACK's sequence number shows data the capture missed. */
		open_hole(h, s);
		h->nxt = s->seq;
	}
	if (s->payload_len && !probe) {
		ev->data = true;
		ev->bytes = s->payload_len;
		h->st.c.data_segs++;
		h->st.c.data_bytes += s->payload_len;
		if (unlikely(ev->capture_late))
			h->st.c.capture_late++;
	}
	id_learn(h, s);
	if (s->has_ts) {
		if (!h->has_ts || seq_after(s->tsval, h->max_tsval))
			h->max_tsval = s->tsval;
		h->has_ts = 1;
		/*
		 * Time a TSval from its first sighting until the peer echoes it
		 * (pping's method); later segments with the same TSval would
		 * give samples that are too short.
		 */
		if (!h->ts_probe && len && !probe && s->tsval != h->ts_probe_val) {
			h->ts_probe = 1;
			h->ts_probe_val = s->tsval;
			h->ts_probe_ns = s->ts_ns;
			h->ts_probe_epoch = s->clock_epoch;
		}
	}
	if (c->stall_on) {
		if (ev->retrans && dir == c->stall_dir)
			c->stall_rtx++;
		if (s->flags & TCPF_RST) {
			ev->stalled = true;
			stall_end(c, s->ts_ns, STALL_RST, &ev->stall);
		} else if (seq_after(c->half[c->stall_dir].una, wait_una)) {
			ev->stalled = true;
			stall_end(c, s->ts_ns, STALL_ACK, &ev->stall);
		}
	}
	h->last_seen_ns = s->ts_ns;
	c->last_ns = s->ts_ns;
	c->seen = 1;
}

bool tcp_conn_end(struct tcp_conn *c, uint64_t now_ns, struct tcp_counts *n,
		  struct tcp_stall *st)
{
	struct track_ev ev;

	memset(&ev, 0, offsetof(struct track_ev, change));
	for (int i = 0; i < 2; i++)
		if (c->half[i].ngaps)
			gaps_release(&c->half[i], now_ns, true, &ev);
	n->capture_gaps += ev.capture_gaps;
	if (!c->stall_on)
		stall_begin(c, now_ns);
	if (!c->stall_on)
		return false;
	stall_end(c, now_ns, STALL_END, st);
	return true;
}
