// SPDX-License-Identifier: GPL-2.0
/*
 * wanemu's provider model: see wan_core.h.  Serialization runs in virtual
 * time: a packet starts at max(link free, its arrival) and takes len*8/rate,
 * so late wake-ups never change what was delivered when.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wan_core.h"

int wan_fifo_init(struct wan_fifo *f, uint32_t cap)
{
	memset(f, 0, sizeof(*f));
	f->v = calloc(cap, sizeof(*f->v));
	if (!f->v)
		return -ENOMEM;
	f->cap = cap;
	return 0;
}

void wan_fifo_free(struct wan_fifo *f)
{
	free(f->v);
	f->v = NULL;
}

bool wan_fifo_push(struct wan_fifo *f, const struct wan_pkt *p)
{
	if (f->n == f->cap)
		return false;
	f->v[(f->head + f->n) % f->cap] = *p;
	f->n++;
	f->bytes += p->len;
	return true;
}

struct wan_pkt *wan_fifo_head(struct wan_fifo *f)
{
	return f->n ? &f->v[f->head] : NULL;
}

void wan_fifo_pop(struct wan_fifo *f)
{
	f->bytes -= f->v[f->head].len;
	f->head = (f->head + 1) % f->cap;
	f->n--;
}

/* xorshift64*: seeded, so a run reproduces. */
uint64_t wan_rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static double wan_unit(uint64_t *s)
{
	return (double)(wan_rng(s) >> 11) / 9007199254740992.0;
}

/* "10M", "4.5m", "622000k", "100": bit/s with k/M/G (powers of 1000). */
int wan_parse_rate(const char *s, uint64_t *bps)
{
	char *end;
	double v = strtod(s, &end);
	double mul = 1;

	if (end == s || v < 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mul = 1e3; end++; break;
	case 'm': case 'M': mul = 1e6; end++; break;
	case 'g': case 'G': mul = 1e9; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*bps = (uint64_t)(v * mul + 0.5);
	return 0;
}

int wan_sched_add(struct wan_sched *s, double t_s, uint64_t rate, bool ramp)
{
	uint64_t t = (uint64_t)(t_s * 1e9 + 0.5);

	if (t_s < 0 || s->n == WAN_MAX_POINTS)
		return -EINVAL;
	if (s->n && t < s->p[s->n - 1].t_ns)
		return -EINVAL;	/* points in time order */
	s->p[s->n++] = (struct wan_point){ t, rate, ramp };
	return 0;
}

/* "T:RATE,T~RATE,...": a step to RATE at T s, or a ramp reaching RATE at T. */
int wan_sched_parse(struct wan_sched *s, const char *spec)
{
	char buf[4096], *tok, *save = NULL;

	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *sep = strpbrk(tok, ":~"), *end;
		bool ramp;
		double t;
		uint64_t r;

		if (!sep)
			return -EINVAL;
		ramp = *sep == '~';
		*sep = 0;
		t = strtod(tok, &end);
		if (end == tok || *end || wan_parse_rate(sep + 1, &r))
			return -EINVAL;
		if (wan_sched_add(s, t, r, ramp))
			return -EINVAL;
	}
	return s->n ? 0 : -EINVAL;
}

/* A seeded random walk between LO and HI, +-STEP every PERIOD, for DUR. */
int wan_sched_walk(struct wan_sched *s, uint64_t lo, uint64_t hi, uint64_t step,
		   uint64_t period_ns, uint64_t dur_ns, uint64_t seed)
{
	uint64_t rng = seed ? seed : 1, t;
	int64_t r = (int64_t)(lo + hi) / 2;

	if (lo > hi || !period_ns)
		return -EINVAL;
	for (t = 0; t <= dur_ns; t += period_ns) {
		if (wan_sched_add(s, t / 1e9, (uint64_t)r, false))
			return -E2BIG;
		r += (wan_rng(&rng) & 1) ? (int64_t)step : -(int64_t)step;
		if (r < (int64_t)lo)
			r = (int64_t)lo;
		if (r > (int64_t)hi)
			r = (int64_t)hi;
	}
	return 0;
}

uint64_t wan_sched_rate(const struct wan_sched *s, uint64_t t)
{
	int i;

	if (!s->n)
		return 0;
	if (t < s->p[0].t_ns)
		return s->p[0].rate_bps;
	for (i = 1; i < s->n && s->p[i].t_ns <= t; i++)
		;
	if (i < s->n && s->p[i].ramp) {
		const struct wan_point *a = &s->p[i - 1], *b = &s->p[i];
		double f = (double)(t - a->t_ns) / (double)(b->t_ns - a->t_ns);

		return (uint64_t)(a->rate_bps + f * ((double)b->rate_bps - a->rate_bps));
	}
	return s->p[i - 1].rate_bps;
}

int wan_dir_init(struct wan_dir *d, const struct wan_cfg *cfg,
		 const struct wan_sched *sched, uint64_t t0, uint32_t slots)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->sched = sched;
	d->t0 = t0;
	d->t_free = t0;
	d->cur = -1;
	d->tb_last = t0;
	d->tokens = cfg->cir_burst;
	d->rng = cfg->seed ? cfg->seed : 1;
	if (wan_fifo_init(&d->q[0], slots) || wan_fifo_init(&d->q[1], slots) ||
	    wan_fifo_init(&d->line, slots)) {
		wan_dir_free(d);
		return -ENOMEM;
	}
	return 0;
}

void wan_dir_free(struct wan_dir *d)
{
	wan_fifo_free(&d->q[0]);
	wan_fifo_free(&d->q[1]);
	wan_fifo_free(&d->line);
}

/* What the provider carries now: committed plus best effort, at most the line. */
uint64_t wan_capacity(const struct wan_dir *d, uint64_t now)
{
	uint64_t c = d->cfg->cir_bps + wan_sched_rate(d->sched, now - d->t0);

	return c < d->cfg->line_bps ? c : d->cfg->line_bps;
}

static double wan_qsize(const struct wan_dir *d, int q)
{
	return d->cfg->limit_bytes ? (double)d->q[q].bytes : d->q[q].n;
}

/* RED as in Floyd/Jacobson: EWMA of the queue at arrival, p spread by count. */
static bool wan_red_drop(struct wan_dir *d, int q)
{
	const struct wan_cfg *c = d->cfg;
	double pb, pa;

	d->red_avg[q] += c->red_w * (wan_qsize(d, q) - d->red_avg[q]);
	if (d->red_avg[q] < c->red_min) {
		d->red_count[q] = 0;
		return false;
	}
	if (d->red_avg[q] >= c->red_max) {
		d->red_count[q] = 0;
		return true;
	}
	pb = c->red_pmax * (d->red_avg[q] - c->red_min) / (c->red_max - c->red_min);
	pa = d->red_count[q] * pb >= 1 ? 1 : pb / (1 - d->red_count[q] * pb);
	if (wan_unit(&d->rng) < pa) {
		d->red_count[q] = 0;
		return true;
	}
	d->red_count[q]++;
	return false;
}

enum wan_verdict wan_enqueue(struct wan_dir *d, uint64_t now, const struct wan_pkt *p)
{
	const struct wan_cfg *c = d->cfg;
	int q = p->committed ? 0 : 1;
	double add = c->limit_bytes ? p->len : 1;

	wan_service(d, now);
	if (c->loss_ppm && wan_rng(&d->rng) % 1000000 < c->loss_ppm)
		return WAN_DROP_RANDOM;
	if (wan_qsize(d, q) + add > c->limit)
		return WAN_DROP_TAIL;
	if (c->red && wan_red_drop(d, q))
		return WAN_DROP_RED;
	if (!wan_fifo_push(&d->q[q], p))
		return WAN_DROP_TAIL;
	return WAN_QUEUED;
}

static void wan_tokens(struct wan_dir *d, uint64_t t)
{
	if (t <= d->tb_last)
		return;
	d->tokens += (double)d->cfg->cir_bps * (t - d->tb_last) / 8e9;
	if (d->tokens > d->cfg->cir_burst)
		d->tokens = d->cfg->cir_burst;
	d->tb_last = t;
}

/* Committed first while its bucket holds the packet, then best effort. */
static int wan_pick(struct wan_dir *d)
{
	struct wan_pkt *c = wan_fifo_head(&d->q[0]), *b = wan_fifo_head(&d->q[1]);
	uint64_t tc;

	if (!c)
		return b ? 1 : -1;
	tc = c->t_in > d->t_free ? c->t_in : d->t_free;
	wan_tokens(d, tc);
	/* Out of tokens, committed traffic waits behind best effort. */
	return d->tokens >= c->len || !b ? 0 : 1;
}

/* Move every packet whose serialization ended by NOW onto the delay line. */
void wan_service(struct wan_dir *d, uint64_t now)
{
	const struct wan_cfg *c = d->cfg;
	int q;

	/* Once a packet has started it is not preempted: d->cur holds it. */
	while ((q = d->cur >= 0 ? d->cur : wan_pick(d)) >= 0) {
		struct wan_pkt *p = wan_fifo_head(&d->q[q]);
		uint64_t start = p->t_in > d->t_free ? p->t_in : d->t_free;
		uint64_t rate = wan_capacity(d, start), fin;

		if (!rate) {
			d->t_free = now;	/* link down: nothing leaves */
			return;
		}
		fin = start + ((uint64_t)p->len * 8000000000ULL + rate - 1) / rate;
		if (fin > now) {
			if (start <= now)
				d->cur = q;
			return;
		}
		d->cur = -1;
		d->t_free = fin;
		if (q == 0) {
			wan_tokens(d, start);
			d->tokens -= p->len;
		}
		p->t_out = fin + c->delay_ns;
		if (c->jitter_ns)
			p->t_out += wan_rng(&d->rng) % (c->jitter_ns + 1);
		if (p->t_out < d->last_out)
			p->t_out = d->last_out;	/* jitter never reorders */
		d->last_out = p->t_out;
		wan_fifo_push(&d->line, p);
		wan_fifo_pop(&d->q[q]);
	}
}

/* The next packet due at the far end by NOW, or NULL; the caller pops d->line. */
struct wan_pkt *wan_due(struct wan_dir *d, uint64_t now)
{
	struct wan_pkt *p = wan_fifo_head(&d->line);

	return p && p->t_out <= now ? p : NULL;
}

/* When something next happens: a delivery or the end of a serialization. */
uint64_t wan_next_event(const struct wan_dir *d)
{
	uint64_t t = UINT64_MAX;
	int q;

	if (d->line.n)
		t = d->line.v[d->line.head].t_out;
	for (q = 0; q < 2; q++) {
		const struct wan_pkt *p = d->q[q].n ? &d->q[q].v[d->q[q].head] : NULL;

		if (d->cur >= 0 && q != d->cur)
			continue;
		uint64_t start, rate, fin;

		if (!p)
			continue;
		start = p->t_in > d->t_free ? p->t_in : d->t_free;
		rate = wan_capacity(d, start);
		fin = rate ? start + ((uint64_t)p->len * 8000000000ULL + rate - 1) / rate
			   : start + 1000000;
		if (fin < t)
			t = fin;
	}
	return t;
}

/* Where the IP header of Ethernet frame @f starts, past up to two VLAN tags, and its EtherType. */
static size_t l3_off(const unsigned char *f, size_t len, unsigned int *type)
{
	size_t off = 12;

	for (int tags = 0; off + 2 <= len; tags++) {
		*type = (unsigned int)f[off] << 8 | f[off + 1];
		if ((*type != 0x8100 && *type != 0x88a8) || tags == 2)
			return off + 2;
		off += 4;
	}
	*type = 0;
	return len;
}

int wan_frame_dscp(const unsigned char *f, size_t len)
{
	unsigned int type;
	size_t o = l3_off(f, len, &type);

	if (type == 0x0800 && o + 20 <= len && f[o] >> 4 == 4)
		return f[o + 1] >> 2;
	if (type == 0x86dd && o + 40 <= len && f[o] >> 4 == 6)
		return ((f[o] & 0x0f) << 2) | (f[o + 1] >> 6);
	return -1;
}

void wan_frame_bleach(unsigned char *f, size_t len, int dscp)
{
	unsigned int type;
	size_t o = l3_off(f, len, &type);

	if (wan_frame_dscp(f, len) < 0)
		return;
	if (type == 0x0800) {
		uint16_t old = (uint16_t)(f[o] << 8 | f[o + 1]), new, ck;
		uint32_t sum;

		f[o + 1] = (unsigned char)(dscp << 2 | (f[o + 1] & 3));
		new = (uint16_t)(f[o] << 8 | f[o + 1]);
		/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
		ck = (uint16_t)(f[o + 10] << 8 | f[o + 11]);
		sum = (uint16_t)~ck + (uint16_t)~old + new;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ck = (uint16_t)~sum;
		f[o + 10] = ck >> 8;
		f[o + 11] = ck & 0xff;
	} else {
		f[o] = (unsigned char)((f[o] & 0xf0) | dscp >> 2);
		f[o + 1] = (unsigned char)(((dscp & 3) << 6) | (f[o + 1] & 0x3f));
	}
}
