// SPDX-License-Identifier: GPL-2.0
/*
 * TCP sequence tracker; the rules it implements are written down for users
 * in doc/analyze.md. Per direction it knows what the capture point has seen
 * sent (nxt, minus holes) and acknowledged (una), and the receiver's loss
 * signals (duplicate ACKs, SACK) since una last moved.
 */
#include <stdlib.h>
#include <string.h>

#include "tcptrack.h"

#define MAX_HOLES	64	/* beyond this the oldest hole is forgotten */
#define NRTX		128	/* retransmissions remembered for D-SACK */
#define NO_RTT_REORDER_NS 1000000ULL	/* only when no RTT is known at all */

const char *const rtx_class_name[RTX_NCLASSES] = {
	[RTX_FAST] = "fast",
	[RTX_RTO] = "rto",
	[RTX_TLP] = "tlp",
	[RTX_SPURIOUS] = "spurious",
	[RTX_SYN_FIN] = "syn_fin",
};

struct tcp_hole {
	uint32_t start, end;
	uint64_t ts_ns;		/* when the capture point first saw it */
};

struct tcp_rtx_rec {
	uint32_t start, end;
	uint8_t cls, where;
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
		c->half[i].holes = NULL;
		c->half[i].rtx = NULL;
	}
}

static bool seq_before_eq(uint32_t a, uint32_t b)
{
	return !seq_after(a, b);
}

static void rtt_sample(struct tcp_half *h, uint64_t ns, struct track_ev *ev)
{
	uint32_t us = (uint32_t)(ns / 1000);

	/* Zero: capture timestamps out of order (clamped), not a measurement. */
	if (!ns)
		return;
	if (!h->st.rtt_samples || us < h->st.rtt_min_us)
		h->st.rtt_min_us = us;
	if (us > h->st.rtt_max_us)
		h->st.rtt_max_us = us;
	h->st.rtt_samples++;
	h->st.rtt_sum_us += us;
	ev->rtt_ns = ns;
}

/* --- holes: sequence ranges between una and nxt never seen here --- */

static void hole_add(struct tcp_half *h, uint32_t start, uint32_t end, uint64_t ts)
{
	if (h->nholes == h->hole_cap) {
		uint8_t cap = h->hole_cap ? h->hole_cap * 2 : 4;
		struct tcp_hole *n;

		if (cap > MAX_HOLES) {
			/* Forget the oldest: its fill will look like a retransmission. */
			memmove(h->holes, h->holes + 1, (h->nholes - 1) * sizeof(*h->holes));
			h->nholes--;
		} else {
			n = realloc(h->holes, cap * sizeof(*n));
			if (!n)
				return;
			h->holes = n;
			h->hole_cap = cap;
		}
	}
	h->holes[h->nholes++] = (struct tcp_hole){ start, end, ts };
}

static void hole_del(struct tcp_half *h, int i)
{
	memmove(&h->holes[i], &h->holes[i + 1], (h->nholes - i - 1) * sizeof(*h->holes));
	h->nholes--;
}

/* Remove [start, end) from every hole, splitting where needed. */
static void holes_cut(struct tcp_half *h, uint32_t start, uint32_t end)
{
	for (int i = 0; i < h->nholes; i++) {
		struct tcp_hole *o = &h->holes[i];

		if (seq_before_eq(o->end, start) || seq_before_eq(end, o->start))
			continue;
		if (seq_after(o->start, start) || o->start == start) {
			if (seq_after(o->end, end)) {
				o->start = end;
			} else {
				hole_del(h, i--);
			}
		} else if (seq_after(o->end, end)) {
			struct tcp_hole tail = { end, o->end, o->ts_ns };

			o->end = start;
			hole_add(h, tail.start, tail.end, tail.ts_ns);
		} else {
			o->end = start;
		}
	}
}

/* The hole that wholly contains [start, end), or -1. */
static int hole_find(const struct tcp_half *h, uint32_t start, uint32_t end)
{
	for (int i = 0; i < h->nholes; i++)
		if (seq_before_eq(h->holes[i].start, start) &&
		    seq_before_eq(end, h->holes[i].end))
			return i;
	return -1;
}

/* una moved to @ack: holes below it were filled out of our sight. */
static uint32_t holes_acked(struct tcp_half *h, uint32_t ack)
{
	uint32_t gaps = 0;

	for (int i = 0; i < h->nholes; i++) {
		if (seq_before_eq(h->holes[i].end, ack)) {
			hole_del(h, i--);
			gaps++;
		} else if (seq_before(h->holes[i].start, ack)) {
			h->holes[i].start = ack;
			gaps++;
		}
	}
	return gaps;
}

/* --- D-SACK: the receiver says it got a range twice --- */

static void rtx_remember(struct tcp_half *h, uint32_t start, uint32_t end,
			 enum rtx_class cls, enum loss_where where)
{
	if (!h->rtx) {
		h->rtx = calloc(NRTX, sizeof(*h->rtx));
		if (!h->rtx)
			return;
	}
	h->rtx[h->nrtx++ % NRTX] = (struct tcp_rtx_rec){ start, end, cls, where };
}

static void on_dsack(struct tcp_half *h, const struct sack_block *b, struct track_ev *ev)
{
	int n = h->nrtx < NRTX ? h->nrtx : NRTX;

	for (int i = 0; i < n && h->rtx; i++) {
		struct tcp_rtx_rec *r = &h->rtx[i];

		if (r->cls == RTX_SPURIOUS || seq_before_eq(b->end, r->start) ||
		    seq_before_eq(r->end, b->start))
			continue;
		h->st.by_class[r->cls]--;
		h->st.by_class[RTX_SPURIOUS]++;
		if (r->where == LOSS_DOWNSTREAM)
			h->st.lost_downstream--;
		else if (r->where == LOSS_UPSTREAM)
			h->st.lost_upstream--;
		ev->reclass = true;
		ev->reclass_from = r->cls;
		ev->reclass_where = r->where;
		r->cls = RTX_SPURIOUS;
		r->where = LOSS_NONE;
		return;
	}
}

/* --- ACKs: the segment in direction dir acknowledges half h (= !dir) --- */

static void on_ack(struct tcp_half *h, const struct tcp_seg *s, struct track_ev *ev)
{
	if (!h->init) {
		h->una = s->ack;
		h->una_valid = 1;
		return;
	}
	if (seq_after(s->ack, h->nxt)) {
		/* The receiver has data the capture never saw. */
		ev->capture_gaps++;
		h->nxt = s->ack;
	}
	if (seq_after(s->ack, h->una) || !h->una_valid) {
		h->una = s->ack;
		h->una_valid = 1;
		h->dupacks = 0;
		h->sack_signal = 0;
		ev->capture_gaps += h->nholes ? holes_acked(h, s->ack) : 0;
		if (h->in_episode && seq_before_eq(h->episode_end, s->ack))
			h->in_episode = h->tlp_done = h->rto_done = h->recovery = 0;
		if (h->timing && seq_before_eq(h->timed_end, s->ack)) {
			h->timing = 0;
			rtt_sample(h, s->ts_ns - h->timed_ns, ev);
		}
	} else if (s->ack == h->una && !s->payload_len &&
		   !(s->flags & (TCPF_SYN | TCPF_FIN)) && seq_before(h->una, h->nxt)) {
		h->dupacks++;
	}
	for (int i = 0; i < s->nsack; i++) {
		const struct sack_block *b = &s->sack[i];

		/* RFC 2883: a first block below the cumulative ACK or inside the second. */
		if (i == 0 && (seq_before_eq(b->end, s->ack) ||
			       (s->nsack > 1 && seq_before_eq(s->sack[1].start, b->start) &&
				seq_before_eq(b->end, s->sack[1].end))))
			on_dsack(h, b, ev);
		else if (seq_after(b->end, h->una))
			h->sack_signal = 1;
	}
	if (s->has_ts && h->ts_probe && s->tsecr == h->ts_probe_val) {
		h->ts_probe = 0;
		if (!ev->rtt_ns)
			rtt_sample(h, s->ts_ns - h->ts_probe_ns, ev);
	}
}

/* --- data --- */

static enum rtx_class classify(struct tcp_half *h, const struct tcp_seg *s,
			       uint32_t seq, uint32_t end, uint64_t *gap)
{
	enum rtx_class cls;

	if (((s->flags & TCPF_SYN) && h->syn_seen && seq == h->isn) ||
	    ((s->flags & TCPF_FIN) && h->fin_seen))
		return RTX_SYN_FIN;
	if (h->una_valid && seq_before_eq(end, h->una))
		return RTX_SPURIOUS;
	/* In fast recovery a partial ACK resets the dupacks, not the recovery. */
	if (h->dupacks >= 3 || h->sack_signal || h->recovery)
		cls = RTX_FAST;
	else if (!h->tlp_done && end == h->nxt)
		cls = RTX_TLP;
	else
		cls = RTX_RTO;
	/* Later re-sends after a timeout follow ACKs: only the first is silence. */
	if (cls == RTX_RTO && !h->rto_done) {
		*gap = s->ts_ns - h->last_tx_ns;
		h->rto_done = 1;
	}
	if (!h->in_episode) {
		h->in_episode = 1;
		h->episode_end = h->nxt;
	}
	if (cls == RTX_TLP)
		h->tlp_done = 1;
	if (cls == RTX_FAST)
		h->recovery = 1;
	return cls;
}

/*
 * A fill of a hole: reordering if it came sooner than an ACK could reach
 * the sender and data come back, or if its TSval is older than one seen.
 */
static bool is_reordering(const struct tcp_half *h, const struct tcp_half *back,
			  const struct tcp_seg *s, const struct tcp_hole *hole)
{
	uint64_t delay = s->ts_ns - hole->ts_ns;

	if (s->has_ts && h->has_ts && s->tsval != h->max_tsval)
		return seq_before(s->tsval, h->max_tsval);
	if (back->st.rtt_samples)
		return delay * 2 < (uint64_t)back->st.rtt_min_us * 1000;
	return delay < NO_RTT_REORDER_NS;
}

static void retransmitted(struct tcp_half *h, const struct tcp_seg *s, uint32_t seq,
			  uint32_t end, enum loss_where where, struct track_ev *ev)
{
	enum rtx_class cls = classify(h, s, seq, end, &ev->rto_gap_ns);

	if (cls == RTX_SPURIOUS)
		where = LOSS_NONE;
	ev->retrans = true;
	ev->cls = cls;
	ev->where = where;
	h->st.retrans_segs++;
	h->st.retrans_bytes += s->payload_len;
	h->st.by_class[cls]++;
	if (where == LOSS_DOWNSTREAM)
		h->st.lost_downstream++;
	else if (where == LOSS_UPSTREAM)
		h->st.lost_upstream++;
	rtx_remember(h, seq, end, cls, where);
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

static void on_data(struct tcp_conn *c, int dir, const struct tcp_seg *s,
		    uint32_t len, struct track_ev *ev)
{
	struct tcp_half *h = &c->half[dir];
	uint32_t seq = s->seq, end = s->seq + len, old_end;
	bool fresh = true;
	int hi;

	if (!h->init) {
		first_segment(h, s, end);
	} else if (seq_before_eq(h->nxt, seq)) {
		if (seq_after(seq, h->nxt))
			hole_add(h, h->nxt, seq, s->ts_ns);
		h->nxt = end;
	} else {
		/* Some of it lies below nxt: seen before, or a hole being filled. */
		fresh = false;
		old_end = seq_before(end, h->nxt) ? end : h->nxt;
		hi = h->nholes ? hole_find(h, seq, old_end) : -1;
		if (hi >= 0 && is_reordering(h, &c->half[!dir], s, &h->holes[hi])) {
			ev->reorder = true;
			h->st.reordering++;
		} else {
			retransmitted(h, s, seq, end, hi >= 0 ? LOSS_UPSTREAM : LOSS_DOWNSTREAM, ev);
		}
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
	}
	if (s->flags & TCPF_SYN)
		h->syn_seen = 1;
	if (s->flags & TCPF_FIN)
		h->fin_seen = 1;
	h->last_tx_ns = s->ts_ns;
}

void tcp_track(struct tcp_conn *c, int dir, const struct tcp_seg *s, struct track_ev *ev)
{
	struct tcp_half *h = &c->half[dir];
	uint32_t len = s->payload_len + !!(s->flags & TCPF_SYN) + !!(s->flags & TCPF_FIN);

	memset(ev, 0, sizeof(*ev));
	if (s->flags & TCPF_RST)
		c->rst = 1;
	if ((s->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN && !c->client_known) {
		c->client_known = 1;
		c->client = (uint8_t)dir;
	}
	if (s->flags & TCPF_ACK)
		on_ack(&c->half[!dir], s, ev);
	c->half[!dir].st.capture_gaps += ev->capture_gaps;
	if (len)
		on_data(c, dir, s, len, ev);
	if (s->payload_len) {
		ev->data = true;
		ev->bytes = s->payload_len;
		h->st.data_segs++;
		h->st.data_bytes += s->payload_len;
	}
	if (s->has_ts) {
		if (!h->has_ts || seq_after(s->tsval, h->max_tsval))
			h->max_tsval = s->tsval;
		h->has_ts = 1;
		/*
		 * Time a TSval from its first sighting until the peer echoes it
		 * (pping's method); later segments with the same TSval would
		 * give samples that are too short.
		 */
		if (!h->ts_probe && len && s->tsval != h->ts_probe_val) {
			h->ts_probe = 1;
			h->ts_probe_val = s->tsval;
			h->ts_probe_ns = s->ts_ns;
		}
	}
}
