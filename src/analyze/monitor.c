// SPDX-License-Identifier: GPL-2.0
/*
 * Path monitor: tumbling windows per path, a verdict per window, a limit
 * estimate over the last loss episodes. Tumbling, not sliding: each window
 * is an independent sample of the path, so the spread of the estimate over
 * windows means something, and one line per window is one decision.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"
#include "tcptrack.h"

const char *const mon_verdict_name[MON_NVERDICTS] = {
	[MON_UNDER] = "under_limit", [MON_AT] = "at_limit", [MON_OVER] = "over_limit",
};

const char *const mon_type_name[MON_NTYPES] = {
	[MON_TYPE_UNKNOWN] = "unknown", [MON_POLICER] = "policer",
	[MON_SHALLOW] = "shallow_queue", [MON_DEEP] = "deep_queue",
};

static uint64_t sacked_bytes(const struct mon_sacked *b)
{
	uint64_t t = 0;

	for (int i = 0; i < b->n; i++)
		t += b->r[i].end - b->r[i].start;
	return t;
}

/* Merge [@s, @e) (above una) into the sorted ranges. */
static void sacked_add(struct mon_sacked *b, uint32_t s, uint32_t e)
{
	int i = 0, j;

	while (i < b->n && seq_before(b->r[i].end, s))
		i++;
	/* Ranges i..j-1 touch or overlap [s, e): fold them in. */
	for (j = i; j < b->n && !seq_after(b->r[j].start, e); j++) {
		if (seq_before(b->r[j].start, s))
			s = b->r[j].start;
		if (seq_after(b->r[j].end, e))
			e = b->r[j].end;
	}
	if (j == i) {
		if (b->n == MON_SACK_RANGES) {
			if (i == b->n)
				return;		/* above every island, and no room */
			b->n--;			/* the highest goes */
		}
		memmove(&b->r[i + 1], &b->r[i], (b->n - i) * sizeof(b->r[0]));
		b->n++;
	} else if (j > i + 1) {
		memmove(&b->r[i + 1], &b->r[j], (b->n - j) * sizeof(b->r[0]));
		b->n -= (uint8_t)(j - i - 1);
	}
	b->r[i].start = s;
	b->r[i].end = e;
}

uint32_t mon_sacked_update(struct mon_sacked *b, uint32_t una, const struct sack_block *blk, int n)
{
	uint32_t jump = una - b->una;
	uint64_t before, after, adv = 0;
	int k = 0;

	/* A move of 1 GiB or more either way: a new start. */
	if (!b->init || (jump >= 1U << 30 && jump <= 0U - (1U << 30))) {
		b->init = true;
		b->una = una;
		b->n = 0;
		return 0;
	}
	before = sacked_bytes(b);
	if (seq_after(una, b->una)) {
		adv = jump;
		b->una = una;
	}
	for (int i = 0; i < n; i++) {
		uint32_t s0 = blk[i].start, e0 = blk[i].end, up = e0 - b->una;

		/* Only above una, and not absurd (a D-SACK below una, a window's worth at most). */
		if (!seq_after(e0, s0) || !up || up >= 1U << 30)
			continue;
		if (seq_before(s0, b->una))
			s0 = b->una;
		sacked_add(b, s0, e0);
	}
	/* Ranges the cumulative ACK passed: theirs are in adv now. */
	while (k < b->n && !seq_after(b->r[k].end, b->una))
		k++;
	if (k) {
		memmove(&b->r[0], &b->r[k], (b->n - k) * sizeof(b->r[0]));
		b->n -= (uint8_t)k;
	}
	if (b->n && seq_before(b->r[0].start, b->una))
		b->r[0].start = b->una;
	after = adv + sacked_bytes(b);
	return after > before ? (uint32_t)(after - before) : 0;
}

void monitor_init(struct monitor *m, const struct monitor_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->o = *o;
	if (!m->o.window_ns)
		m->o.window_ns = 1000000000ULL;
	/* From the start, not the first segment: our qdisc may drop before one is seen. */
	if (m->o.our_drops)
		m->drops_then = m->o.our_drops(m->o.ctx);
}

int monitor_parse_prefix(const char *s, size_t n, struct mon_pfx *p)
{
	char buf[64], *slash, *end;
	long l;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = 6;
	else
		return -EINVAL;
	l = p->family == 4 ? 32 : 128;
	if (slash) {
		long max = l;

		l = strtol(slash, &end, 10);
		if (*end || end == slash || l < 0 || l > max || !isdigit((unsigned char)*slash))
			return -EINVAL;
	}
	p->len = (uint8_t)l;
	return 0;
}

static int parse_pair(struct mon_path *p, const char *body, size_t n)
{
	const char *eq = memchr(body, '=', n);

	if (!eq || monitor_parse_prefix(body, eq - body, &p->src[0]) ||
	    monitor_parse_prefix(eq + 1, n - (eq + 1 - body), &p->dst[0]) ||
	    p->src[0].family != p->dst[0].family)
		return -EINVAL;
	p->nsrc = p->ndst = 1;
	return 0;
}

static int parse_num(const char *s, long max, int *v)
{
	char *end;
	long l;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	l = strtol(s, &end, 10);
	if (*end || errno || l > max)
		return -EINVAL;
	*v = (int)l;
	return 0;
}

int monitor_parse_class(struct mon_path *p, const char *q)
{
	int v;

	if (!strncmp(q, "dscp=", 5) && !parse_num(q + 5, 63, &v) && p->dscp == MON_ANY) {
		p->dscp = v;
		return 0;
	}
	if (!strncmp(q, "port=", 5) && !parse_num(q + 5, 65535, &v) && v && p->port == MON_ANY) {
		p->port = v;
		return 0;
	}
	return -EINVAL;
}

int monitor_add(struct monitor *m, const struct mon_path *def)
{
	struct mon_path *p;

	if (m->npaths == MON_MAX_PATHS)
		return -ENOSPC;
	if (!def->nsrc || !def->ndst || def->nsrc > MON_MAX_PREFIXES ||
	    def->ndst > MON_MAX_PREFIXES || def->dscp < MON_ANY || def->dscp > 63 ||
	    def->port < MON_ANY || def->port > 65535 || !def->port)
		return -EINVAL;
	p = &m->path[m->npaths];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, def->name, sizeof(p->name));
	p->name[sizeof(p->name) - 1] = 0;
	if (!p->name[0])
		snprintf(p->name, sizeof(p->name), "path%u", m->npaths);
	memcpy(p->src, def->src, sizeof(p->src));
	memcpy(p->dst, def->dst, sizeof(p->dst));
	p->nsrc = def->nsrc;
	p->ndst = def->ndst;
	p->dscp = def->dscp;
	p->port = def->port;
	return (int)m->npaths++;
}

int monitor_add_path(struct monitor *m, const char *spec)
{
	/* The class after '@': neither addresses (IPv6 has colons) nor names hold one. */
	const char *at = strchr(spec, '@'), *colon;
	size_t n = at ? (size_t)(at - spec) : strlen(spec);
	struct mon_path p = { .dscp = MON_ANY, .port = MON_ANY };

	/* Without a name first: an IPv6 prefix has colons too. */
	if (parse_pair(&p, spec, n)) {
		colon = memchr(spec, ':', n);
		if (!colon || colon == spec || colon - spec >= (long)sizeof(p.name) ||
		    parse_pair(&p, colon + 1, n - (colon + 1 - spec)))
			return -EINVAL;
		snprintf(p.name, sizeof(p.name), "%.*s", (int)(colon - spec), spec);
	}
	while (at) {
		const char *next = strchr(at + 1, '@');
		char q[32];

		n = next ? (size_t)(next - at - 1) : strlen(at + 1);
		if (n >= sizeof(q))
			return -EINVAL;
		memcpy(q, at + 1, n);
		q[n] = 0;
		if (monitor_parse_class(&p, q))
			return -EINVAL;
		at = next;
	}
	return monitor_add(m, &p);
}

static bool in_prefix(const uint8_t *a, const uint8_t *pfx, int len)
{
	int i;

	for (i = 0; len >= 8; i++, len -= 8)
		if (a[i] != pfx[i])
			return false;
	return !len || !((a[i] ^ pfx[i]) & (0xff << (8 - len)));
}

static bool in_side(const struct mon_pfx *v, int n, int family, const uint8_t *a)
{
	for (int i = 0; i < n; i++)
		if (v[i].family == family && in_prefix(a, v[i].addr, v[i].len))
			return true;
	return false;
}

/* @k in @p's class, @out: @k's src on the path's src side. */
static bool in_class(const struct mon_path *p, const struct mon_key *k, bool out)
{
	if (p->port != MON_ANY && k->sport != p->port && k->dport != p->port)
		return false;
	/* DSCP is the outbound data's: an inbound ACK usually carries 0. */
	return p->dscp == MON_ANY || (out ? k->dscp_fwd : k->dscp_rev) == p->dscp;
}

int monitor_match(const struct monitor *m, const struct mon_key *k, int *idx, bool *outbound,
		  int max)
{
	int n = 0;

	for (uint32_t i = 0; i < m->npaths && n < max; i++) {
		const struct mon_path *p = &m->path[i];
		bool out;

		if (in_side(p->src, p->nsrc, k->family, k->src) &&
		    in_side(p->dst, p->ndst, k->family, k->dst))
			out = true;
		else if (in_side(p->src, p->nsrc, k->family, k->dst) &&
			 in_side(p->dst, p->ndst, k->family, k->src))
			out = false;
		else
			continue;
		if (!in_class(p, k, out))
			continue;
		idx[n] = (int)i;
		outbound[n++] = out;
	}
	return n;
}

/* The slice @ts_ns falls in, counted from the first window's start. */
static struct mon_recent *recent_at(const struct monitor *m, struct mon_path *p, uint64_t ts_ns)
{
	uint64_t g = (ts_ns > m->first_ns ? (ts_ns - m->first_ns) / MON_RECENT_NS : 0) + 1;
	struct mon_recent *e = &p->recent[g % MON_RECENT];

	if (e->g != g) {
		memset(e, 0, sizeof(*e));
		e->g = g;
	}
	return e;
}

/* The slices from the one holding @from_ns to @g: sums into @out (g: its slice). */
static void recent_sum(const struct monitor *m, const struct mon_path *p, uint64_t from_ns,
		       uint64_t g, struct mon_recent *out)
{
	uint64_t first = (from_ns > m->first_ns ? (from_ns - m->first_ns) / MON_RECENT_NS : 0) + 1;

	memset(out, 0, sizeof(*out));
	if (g >= MON_RECENT && first <= g - MON_RECENT)
		first = g - MON_RECENT + 1;
	for (uint64_t i = first; i <= g; i++) {
		const struct mon_recent *e = &p->recent[i % MON_RECENT];

		if (e->g != i)
			continue;
		out->offered += e->offered;
		out->offered_payload += e->offered_payload;
		out->down += e->down;
		out->acked += e->acked;
		out->down_segs += e->down_segs;
	}
	out->g = first;
}

/*
 * A downstream loss was just counted at @ts_ns: is the last MON_ALARM_NS
 * lossy enough, and has the loss lasted long enough to be measured, to say
 * so now? The rate is the ACKs' (IP bits) since the loss began.
 */
static void alarm_check(struct monitor *m, struct mon_path *p, uint32_t idx, uint64_t ts_ns)
{
	uint64_t g = recent_at(m, p, ts_ns)->g, from, start, span, need;
	struct mon_alarm a = { .path = idx, .ts_ns = ts_ns };
	struct mon_recent loss, ack;

	if (!p->loss_last_ns || ts_ns > p->loss_last_ns + MON_ALARM_NS)
		p->loss_first_ns = ts_ns;
	p->loss_last_ns = ts_ns;
	if (p->alarm_ns && ts_ns < p->alarm_ns + MON_ALARM_NS)
		return;
	recent_sum(m, p, ts_ns > MON_ALARM_NS ? ts_ns - MON_ALARM_NS : 0, g, &loss);
	if (loss.down_segs < MON_ALARM_SEGS || !loss.offered ||
	    (double)loss.down < MON_OVER_SHARE * (double)loss.offered)
		return;
	from = p->loss_first_ns - (p->rtt_min_ns / 4 < p->loss_first_ns ? p->rtt_min_ns / 4 : 0);
	if (ts_ns > MON_ALARM_NS && from < ts_ns - MON_ALARM_NS)
		from = ts_ns - MON_ALARM_NS;
	need = p->rtt_min_ns > MON_ALARM_MIN_NS ? p->rtt_min_ns : MON_ALARM_MIN_NS;
	if (need > MON_ALARM_NS)
		need = MON_ALARM_NS;
	recent_sum(m, p, from, g, &ack);
	start = m->first_ns + (ack.g - 1) * MON_RECENT_NS;
	span = ts_ns > start ? ts_ns - start : 0;
	if (span < need)
		return;
	p->alarm_ns = ts_ns;
	p->alarms++;
	a.span_ns = span;
	a.down_segs = loss.down_segs;
	a.offered_bps = (uint64_t)((double)ack.offered * 8e9 / (double)span);
	a.delivered_bps = (uint64_t)((double)ack.acked * 8e9 / (double)span *
				     (ack.offered_payload ? (double)ack.offered /
								  (double)ack.offered_payload : 1));
	a.loss_share = (double)loss.down / (double)loss.offered;
	m->o.on_alarm(m->o.ctx, &a);
}

void monitor_segment(struct monitor *m, int path, const struct mon_seg *s)
{
	struct mon_path *p = &m->path[path];
	struct mon_acc *a = &p->acc;
	struct mon_recent *e = NULL;	/* the alarm's slice, when an alarm is asked for */
	uint64_t slot, unlost = s->unlost + (uint64_t)s->unlost_segs * p->last_hdr;
	uint32_t ip;

	/* A D-SACK says an earlier retransmission was needless: its original was not lost. */
	a->spurious_segs += s->now_spurious;
	a->down_rtx -= unlost < a->down_rtx ? unlost : a->down_rtx;
	if (!s->outbound) {
		a->acked += s->acked;
		a->acks += s->acked > 0;
		if (m->o.on_alarm && s->acked)
			recent_at(m, p, s->ts_ns)->acked += s->acked;
		return;
	}
	if (s->rtt_ns) {
		uint64_t us = s->rtt_ns / 1000 < UINT32_MAX ? s->rtt_ns / 1000 : UINT32_MAX;

		if (a->rtt_n < MON_RTT_KEEP) {
			a->rtt_us[a->rtt_n] = (uint32_t)us;
		} else {
			/* Algorithm R with a fixed LCG: the same capture gives the same median. */
			a->rtt_rand = a->rtt_rand * 1664525u + 1013904223u;
			uint64_t k = (uint64_t)a->rtt_rand * (a->rtt_n + 1) >> 32;

			if (k < MON_RTT_KEEP)
				a->rtt_us[k] = (uint32_t)us;
		}
		a->rtt_n++;
		if (!p->rtt_min_ns || s->rtt_ns < p->rtt_min_ns)
			p->rtt_min_ns = s->rtt_ns;
	}
	if (!s->bytes)
		return;
	ip = s->bytes + s->hdr;
	p->last_hdr = s->hdr;
	slot = s->ts_ns > m->start_ns ? (s->ts_ns - m->start_ns) * MON_SLOTS / m->o.window_ns : 0;
	slot = slot < MON_SLOTS ? slot : MON_SLOTS - 1;
	a->offered += ip;
	a->offered_payload += s->bytes;
	a->slot_deliv[slot] += ip;
	if (m->o.on_alarm) {
		e = recent_at(m, p, s->ts_ns);
		e->offered += ip;
		e->offered_payload += s->bytes;
	}
	if (!s->retrans)
		return;
	a->rtx_segs++;
	if (s->spurious) {
		a->spurious_segs++;
		return;
	}
	if (!s->downstream)
		return;
	/* The original of this one did not get through: take it off what did. */
	a->down_rtx += ip;
	a->down_segs++;
	a->slot_deliv[slot] -= ip < a->slot_deliv[slot] ? ip : a->slot_deliv[slot];
	a->slot_loss[slot] = 1;
	if (e) {
		e->down += ip;
		e->down_segs++;
		alarm_check(m, p, (uint32_t)path, s->ts_ns);
	}
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Median, min and max of the episodes' delivered rates, and the median's window. */
static void estimate(struct mon_path *p, struct mon_window *w)
{
	uint64_t v[MON_EPISODES];
	uint32_t n = p->nep;

	if (!n)
		return;
	memcpy(v, p->ep_bps, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	w->limit_bps = v[n / 2];
	w->limit_min_bps = v[0];
	w->limit_max_bps = v[n - 1];
	for (uint32_t i = 0; i < n; i++)
		if (p->ep_bps[i] == w->limit_bps)
			w->limit_start_ns = p->ep_start[i];
}

/*
 * After Flach et al.: while a policer drops, its bucket is empty and what
 * gets through is its rate (a full queue's link is busy likewise); outside
 * the loss the sender may be backing off, below it. So the episode's rate
 * is the delivered rate over the twentieths of the window that saw loss, when
 * at least two did; else the window's delivered rate. A lossy twentieth right
 * after a loss-free one is left out: it carries what a full bucket or an
 * empty queue let through before the first drop (Flach et al. start at the
 * first loss for this reason), 4.8 Mbit/s too much for a 30 kB bucket.
 */
static uint64_t episode_rate(const struct monitor *m, const struct mon_path *p,
			     const struct mon_window *w)
{
	const struct mon_acc *a = &p->acc;
	uint64_t bytes = 0, ns = 0, slot_ns = m->o.window_ns / MON_SLOTS;
	bool before = p->slot_loss_last;

	/* Whole slices only: a capture's last one ends at its last packet, which says too little. */
	for (uint64_t i = 0; i < MON_SLOTS && (i + 1) * slot_ns <= w->len_ns; i++) {
		bool lossy = a->slot_loss[i], prev = before;

		before = lossy;
		if (!lossy || !prev)
			continue;
		bytes += a->slot_deliv[i];
		ns += slot_ns;
	}
	if (ns < 2 * slot_ns)
		return w->delivered_bps;
	return (uint64_t)((double)bytes * 8e9 / (double)ns);
}

static uint8_t window_type(const struct mon_window *w)
{
	if (!w->rtt_us || !w->rtt_min_us)
		return MON_TYPE_UNKNOWN;
	if (w->rtt_add_us * 1000 < MON_POLICER_ADD_NS)
		return MON_POLICER;
	return w->rtt_add_us * 1000 >= MON_DEEP_ADD_NS ? MON_DEEP : MON_SHALLOW;
}

enum mon_type monitor_path_type(const struct mon_path *p)
{
	int best = MON_TYPE_UNKNOWN;

	for (int t = MON_POLICER; t < MON_NTYPES; t++)
		if (p->type_votes[t] > p->type_votes[best])
			best = t;
	return (enum mon_type)best;
}

static void fill_rates(const struct mon_path *p, struct mon_window *w)
{
	const struct mon_acc *a = &p->acc;
	double s = w->len_ns ? 8e9 / (double)w->len_ns : 0;

	w->offered_bps = (uint64_t)(a->offered * s);
	w->down_rtx_bps = (uint64_t)(a->down_rtx * s);
	w->delivered_from_acks = a->acks > 0;
	/* ACKs count payload: add the headers in the proportion the window's data carried. */
	if (a->acks)
		w->delivered_bps = (uint64_t)((double)a->acked * s *
			(a->offered_payload ? (double)a->offered / (double)a->offered_payload : 1));
	else
		w->delivered_bps = (uint64_t)((a->offered - a->down_rtx) * s);
	w->loss_share = a->offered ? (double)a->down_rtx / (double)a->offered : 0;
	w->spurious_share = a->rtx_segs ? (double)a->spurious_segs / (double)a->rtx_segs : 0;
	w->down_rtx_segs = a->down_segs;
	w->spurious_segs = a->spurious_segs;
	w->rtx_segs = a->rtx_segs;
	if (a->rtt_n) {
		uint32_t n = a->rtt_n < MON_RTT_KEEP ? (uint32_t)a->rtt_n : MON_RTT_KEEP, v[MON_RTT_KEEP];

		memcpy(v, a->rtt_us, n * sizeof(v[0]));
		qsort(v, n, sizeof(v[0]), cmp_u32);
		w->rtt_us = v[n / 2];
		w->rtt_min_us = p->rtt_min_ns / 1000;
		w->rtt_add_us = w->rtt_us - w->rtt_min_us;
	}
}

static void close_path(struct monitor *m, struct mon_path *p, uint32_t idx, uint64_t len,
		       uint64_t drops)
{
	struct mon_window w = { .path = idx, .start_ns = m->start_ns, .len_ns = len,
				.our_drops = drops };

	fill_rates(p, &w);
	if (w.loss_share >= MON_OVER_SHARE) {
		w.verdict = MON_OVER;
		w.episode_bps = episode_rate(m, p, &w);
		p->ep_bps[p->ep_next] = w.episode_bps;
		p->ep_start[p->ep_next] = w.start_ns;
		p->ep_next = (p->ep_next + 1) % MON_EPISODES;
		p->nep += p->nep < MON_EPISODES;
		p->type_votes[window_type(&w)]++;
	} else if (w.down_rtx_segs) {
		w.verdict = MON_AT;
	} else {
		w.verdict = MON_UNDER;
		/* More got through without loss than the estimate: the limit rose. */
		if (p->nep && w.delivered_bps > p->last.limit_max_bps + p->last.limit_max_bps / 10)
			p->nep = p->ep_next = 0;
	}
	if (w.verdict == MON_UNDER && p->nep && p->last.limit_bps &&
	    w.delivered_bps * 10 >= p->last.limit_bps * 9)
		w.verdict = MON_AT;
	estimate(p, &w);
	w.type = monitor_path_type(p);
	p->windows++;
	p->by_verdict[w.verdict]++;
	p->our_drops += drops;
	p->down_segs += w.down_rtx_segs;
	p->last = w;
	p->slot_loss_last = p->acc.slot_loss[MON_SLOTS - 1];
	memset(&p->acc, 0, sizeof(p->acc));
	if (m->o.on_window)
		m->o.on_window(m->o.ctx, &w);
}

static void close_window(struct monitor *m, uint64_t len)
{
	uint64_t drops = 0;

	if (m->o.our_drops) {
		uint64_t now = m->o.our_drops(m->o.ctx);

		drops = now >= m->drops_then ? now - m->drops_then : 0;
		m->drops_then = now;
	}
	/* Our drops belong to the edge, not to a path: the first path carries them. */
	for (uint32_t i = 0; i < m->npaths; i++)
		close_path(m, &m->path[i], i, len, i ? 0 : drops);
}

void monitor_tick(struct monitor *m, uint64_t ts_ns)
{
	if (!m->started) {
		m->started = true;
		m->start_ns = m->first_ns = ts_ns;
		return;
	}
	while (ts_ns >= m->start_ns + m->o.window_ns) {
		close_window(m, m->o.window_ns);
		m->start_ns += m->o.window_ns;
	}
}

void monitor_finish(struct monitor *m, uint64_t end_ns)
{
	/* A partial window shorter than a tenth says little: fold it away, but not our drops. */
	if (m->started && end_ns > m->start_ns && end_ns - m->start_ns >= m->o.window_ns / 10) {
		close_window(m, end_ns - m->start_ns);
	} else if (m->started && m->o.our_drops && m->npaths) {
		uint64_t now = m->o.our_drops(m->o.ctx);

		m->path[0].our_drops += now >= m->drops_then ? now - m->drops_then : 0;
		m->drops_then = now;
	}
}
