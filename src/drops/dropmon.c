// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "clock.h"
#include "counters.h"
#include "dropmon.h"
#include "netns.h"
#include "ksyms.h"
#include "loop.h"

/* Drops counted by the user side, when --filter needs each packet's headers. */
struct tally {
	struct drop_key *key;
	struct drop_val *val;
	size_t n;
	size_t last;		/* the key of the previous event: bursts repeat it */
	uint64_t full;		/* events beyond DROPS_MAX_KEYS distinct keys */
	uint64_t filtered_out;
};

struct dropmon {
	struct dropmon_opts o;
	struct dropmon_info info;
	struct counters c;
	struct drop_reasons dr;
	struct ksyms ks;
	struct droptrace *dt;
	pcap_t *dead;			/* only to compile --filter */
	struct bpf_program prog;
	struct tally tally;
	uint64_t t0_ns;
	/* the first sample, and the last mark (the same until a view moves it) */
	struct counters_sample cs[2];
	struct dt_snap drops[2], rtx[2];
	uint64_t lost[2], filtered[2], ring_lost[2], mark_ns;
	bool mark_is_start;
	/* dropmon_ifname()'s last answer: a burst repeats the device */
	uint32_t if_ns;
	int if_index;
	char if_name[IF_NAMESIZE];
	/* dropmon_attach(): the drain timer, and who hears of each read */
	int drainfd;
	void (*after)(void *ctx);
	void *after_ctx;
};

enum { START, MARK };

const struct dropmon_info *dropmon_info(const struct dropmon *m)
{
	return &m->info;
}

const struct drop_reasons *dropmon_reasons(const struct dropmon *m)
{
	return &m->dr;
}

const char *dropmon_location(const struct dropmon *m, uint64_t addr, char *buf, size_t len)
{
	return ksyms_format(m->ks.n ? &m->ks : NULL, addr, buf, len);
}

const char *dropmon_ns_label(const struct dropmon *m, uint32_t inum, char *buf, size_t len)
{
	for (size_t i = 0; i < m->c.n; i++)
		if (m->c.ns[i].inum == inum)
			return m->c.ns[i].name;
	return netns_unnamed(inum, buf, len);
}

const char *dropmon_ifname(struct dropmon *m, uint32_t inum, int ifindex, char *buf,
			   size_t len)
{
	const struct counters_ns_sample *ns;

	if (m->if_index == ifindex && m->if_ns == inum && m->if_name[0])
		return m->if_name;
	ns = counters_find_ns(&m->cs[m->mark_is_start ? START : MARK], inum);
	for (size_t i = 0; ns && i < ns->n_links; i++) {
		if (ns->links[i].ifindex != ifindex)
			continue;
		m->if_ns = inum;
		m->if_index = ifindex;
		snprintf(m->if_name, sizeof(m->if_name), "%s", ns->links[i].ifname);
		return m->if_name;
	}
	snprintf(buf, len, "if%d", ifindex);	/* not there when we last sampled */
	return buf;
}

const char *dropmon_ns_name(const struct dropmon_view *v, uint32_t inum, char *buf, size_t len)
{
	for (size_t i = 0; i < v->nns; i++)
		if (v->ns[i].inum == inum)
			return v->ns[i].name;
	return netns_unnamed(inum, buf, len);
}

static int filter_compile(struct dropmon *m, char *why, size_t len)
{
	/* Events carry bytes from the network header on: raw IPv4/IPv6. */
	m->dead = pcap_open_dead(DLT_RAW, 65535);
	if (!m->dead) {
		snprintf(why, len, "cannot set up the filter compiler");
		return -ENOMEM;
	}
	if (pcap_compile(m->dead, &m->prog, m->o.filter, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(why, len, "bad filter '%s': %s", m->o.filter, pcap_geterr(m->dead));
		return -EINVAL;
	}
	return 0;
}

static void tally_add(struct tally *t, const struct drop_key *k, uint32_t len)
{
	size_t i;

	/* This runs per event: try the previous event's key, then linearly. */
	if (t->last < t->n && !memcmp(&t->key[t->last], k, sizeof(*k)))
		i = t->last;
	else
		for (i = t->n; i-- > 0;)
			if (!memcmp(&t->key[i], k, sizeof(*k)))
				break;
	if (i == (size_t)-1) {
		struct drop_key *nk;
		struct drop_val *nv;

		if (t->n >= DROPS_MAX_KEYS) {
			t->full++;
			return;
		}
		nk = realloc(t->key, (t->n + 1) * sizeof(*nk));
		if (nk)
			t->key = nk;
		nv = nk ? realloc(t->val, (t->n + 1) * sizeof(*nv)) : NULL;
		if (!nv) {
			t->full++;
			return;
		}
		t->val = nv;
		i = t->n++;
		t->key[i] = *k;
		memset(&t->val[i], 0, sizeof(t->val[i]));
	}
	t->last = i;
	t->val[i].packets++;
	t->val[i].bytes += len;
}

/* Whether --filter matches the dropped packet's headers. */
static bool filter_match(const struct dropmon *m, const struct drop_event *e)
{
	struct pcap_pkthdr h = { 0 };

	h.caplen = e->caplen < DROP_HDR_LEN ? e->caplen : DROP_HDR_LEN;
	h.len = e->len > h.caplen ? e->len : h.caplen;
	/* No header bytes (dropped before the network header was set): no match. */
	return h.caplen && pcap_offline_filter(&m->prog, &h, e->data);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct dropmon *m = ctx;
	const struct drop_event *e = data;
	struct drop_pkt p;
	struct flow_id f;

	if (len >= sizeof(struct rtx_event) && e->type == EVT_RTX) {
		/* Counted in their map; only handed out. */
		if (m->o.ev.on_rtx && !rtx_event_decode(data, len, &f))
			m->o.ev.on_rtx(m->o.ev.ctx, data, &f);
		return 0;
	}
	if (len < sizeof(*e) || e->type != EVT_DROP)
		return 0;
	if (m->o.filter) {
		if (!filter_match(m, e)) {
			m->tally.filtered_out++;
			return 0;
		}
		tally_add(&m->tally, &e->key, e->len);
	}
	if (m->o.ev.on_drop && !drop_event_decode(data, len, &p))
		m->o.ev.on_drop(m->o.ev.ctx, e, &p);
	return 0;
}

/* The tally in the shape of a map snapshot, so both are read alike. */
static int tally_snap(struct tally *t, struct dt_snap *s)
{
	size_t rs = sizeof(struct drop_key) + sizeof(struct drop_val);
	struct dt_snap tmp = { .ksz = sizeof(struct drop_key),
			       .nwords = sizeof(struct drop_val) / 8, .n = t->n };

	tmp.rec = malloc(t->n ? t->n * rs : 1);
	if (!tmp.rec)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		memcpy(tmp.rec + i * rs, &t->key[i], sizeof(t->key[i]));
		memcpy(tmp.rec + i * rs + sizeof(t->key[i]), &t->val[i], sizeof(t->val[i]));
	}
	dt_snap_sort(&tmp);
	dt_snap_free(s);
	*s = tmp;
	return 0;
}

/* Counter sample and tracer snapshots into slot @i, in that order. */
static int take(struct dropmon *m, struct counters_sample *cs, struct dt_snap *drops,
		struct dt_snap *rtx, uint64_t *lost, uint64_t *filtered, uint64_t *ring_lost)
{
	int err = counters_sample(&m->c, cs);

	if (err || !m->dt)
		return err;
	/* Whatever is in the ring happened before this moment. */
	if (m->info.ring)
		droptrace_consume(m->dt, on_event, m);
	*ring_lost = droptrace_ring_lost(m->dt);
	if (m->o.filter) {
		err = tally_snap(&m->tally, drops);
	} else {
		err = droptrace_snap(m->dt, DT_DROPS, drops);
	}
	if (!err)
		err = droptrace_snap(m->dt, DT_RTX, rtx);
	*lost = droptrace_lost(m->dt) + m->tally.full;
	*filtered = m->tally.filtered_out;
	return err;
}

static int trace_start(struct dropmon *m, char *why, size_t len)
{
	bool ring = m->o.filter || m->o.ev.on_drop || m->o.ev.on_rtx;
	struct droptrace_opts to = { .ring_bytes = ring ? m->o.ring_bytes : 0,
				     .wakeup_bytes = ring ? m->o.ring_bytes / 8 : 0 };
	int err;

	if (m->o.netns && strcmp(m->o.netns, "all"))
		to.netns = m->c.ns[0].inum;
	memcpy(to.disable, m->o.disable, sizeof(to.disable));
	err = droptrace_open(&m->dt, &to, m->info.trace_why, sizeof(m->info.trace_why));
	for (int p = 0; p < PROBE_NR; p++)
		m->info.probe[p] = droptrace_probe_state(m->dt, p);
	if (err == -EPERM || err == -EACCES)
		snprintf(m->info.trace_why, sizeof(m->info.trace_why),
			 "tracing needs CAP_BPF and CAP_PERFMON (or root)");
	if (err) {
		snprintf(why, len, "%s", m->info.trace_why);
		if (err == -EACCES)
			err = -EPERM;
		return err;
	}
	m->info.tracing = true;
	m->info.ring = ring;
	/* Names for drop sites: readable only while privileged (kptr_restrict). */
	if (ksyms_load(&m->ks, NULL))
		memset(&m->ks, 0, sizeof(m->ks));
	return 0;
}

int dropmon_start(struct dropmon **out, const struct dropmon_opts *o, char *why, size_t len)
{
	struct dropmon *m = calloc(1, sizeof(*m));
	int err;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->o = *o;
	m->drainfd = -1;
	m->info.filter = o->filter;
	err = counters_open(&m->c, o->netns);
	if (err) {
		snprintf(why, len, "%s: %s", o->netns && strcmp(o->netns, "all") ? o->netns
						: "namespaces", err == -ENOENT ? "no such network namespace"
						: strerror(-err));
		free(m);
		return err == -ENOENT ? -ENODEV : err;	/* a runtime failure (exit 1), not usage */
	}
	m->info.nns = m->c.n;
	m->info.ns_skipped = m->c.skipped;
	if (drop_reasons_load(&m->dr, NULL))
		memset(&m->dr, 0, sizeof(m->dr));	/* reasons shown by number */
	if (o->filter && (err = filter_compile(m, why, len)))
		goto fail;
	if (!o->trace)
		snprintf(m->info.trace_why, sizeof(m->info.trace_why), "--counters-only");
	else if ((err = trace_start(m, why, len)) && o->need_trace)
		goto fail;
	m->t0_ns = m->mark_ns = m->info.t0_ns = now_ns();
	err = take(m, &m->cs[START], &m->drops[START], &m->rtx[START], &m->lost[START],
		   &m->filtered[START], &m->ring_lost[START]);
	if (err) {
		snprintf(why, len, "cannot read counters: %s", strerror(-err));
		goto fail;
	}
	m->mark_is_start = true;
	*out = m;
	return 0;
fail:
	dropmon_stop(m);
	return err;
}

int dropmon_event_fd(const struct dropmon *m)
{
	return m->info.ring ? droptrace_ring_fd(m->dt) : -1;
}

int dropmon_consume(struct dropmon *m)
{
	return m->info.ring ? droptrace_consume(m->dt, on_event, m) : 0;
}

static int on_ring(void *ctx, int fd, uint32_t events)
{
	struct dropmon *m = ctx;
	int n = dropmon_consume(m);

	(void)fd, (void)events;
	if (n < 0 && n != -EINTR)
		return n;
	if (m->after)
		m->after(m->after_ctx);
	return 0;
}

static int on_drain(void *ctx, int fd, uint32_t events)
{
	uint64_t n;

	/* Nothing to do with the count: one drain covers every expiry. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return -errno;
	return on_ring(ctx, fd, events);
}

int dropmon_attach(struct dropmon *m, struct loop *l, void (*after)(void *ctx), void *ctx)
{
	struct itimerspec its = {
		.it_value = { 0, DROPMON_DRAIN_MS * 1000000L },
		.it_interval = { 0, DROPMON_DRAIN_MS * 1000000L },
	};
	int fd = dropmon_event_fd(m), err;

	if (fd < 0)
		return 0;
	m->after = after;
	m->after_ctx = ctx;
	err = loop_add_fd(l, fd, EPOLLIN, on_ring, m);
	if (err)
		return err;
	/* The ring wakes us only when well filled: a timer reads what trickles in. */
	m->drainfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->drainfd < 0 || timerfd_settime(m->drainfd, 0, &its, NULL))
		return -errno;
	return loop_add_fd(l, m->drainfd, EPOLLIN, on_drain, m);
}

uint64_t dropmon_ring_lost(struct dropmon *m)
{
	return m->info.ring ? droptrace_ring_lost(m->dt) : 0;
}

struct view_ctx {
	struct dropmon_view *v;
	int err;
};

static void on_drop_delta(const void *key, const uint64_t *d, void *ctx)
{
	const struct drop_key *k = key;
	struct view_ctx *c = ctx;

	if (!c->err)
		c->err = ledger_event(&c->v->ledger, k->netns, (int)k->ifindex, k->reason,
				      k->location, d[0]);
}

static void on_rtx_delta(const void *key, const uint64_t *d, void *ctx)
{
	struct view_ctx *c = ctx;
	struct dropmon_view *v = c->v;
	struct dropmon_flow *f;

	f = realloc(v->flow, (v->nflow + 1) * sizeof(*f));
	if (!f) {
		c->err = -ENOMEM;
		return;
	}
	v->flow = f;
	f = &v->flow[v->nflow++];
	memcpy(&f->key, key, sizeof(f->key));
	memcpy(&f->val, d, sizeof(f->val));
	v->traced_segs += f->val.segs;
}

static int by_segs(const void *a, const void *b)
{
	const struct dropmon_flow *x = a, *y = b;

	return x->val.segs < y->val.segs ? 1 : x->val.segs > y->val.segs ? -1 : 0;
}

static int fill_devices(struct dropmon_view *v, const struct counters_sample *a,
			const struct counters_sample *b)
{
	struct counters_dev_delta *d;
	size_t n;

	if (counters_dev_delta(a, b, &d, &n))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct ledger_dev *ld = ledger_dev(&v->ledger, d[i].inum, d[i].link.ifindex);

		if (!ld) {
			free(d);
			return -ENOMEM;
		}
		snprintf(ld->ifname, sizeof(ld->ifname), "%s", d[i].link.ifname);
		snprintf(ld->kind, sizeof(ld->kind), "%s", d[i].link.kind);
		ld->link = d[i].link.link;
		ld->link_netnsid = d[i].link.link_netnsid;
		ld->master = d[i].link.master;
		ld->counted = true;
		ld->rx_dropped = d[i].link.rx_dropped;
		ld->tx_dropped = d[i].link.tx_dropped;
		ld->rx_missed = d[i].link.rx_missed;
		ld->qdisc_drops = d[i].qdisc_drops;
	}
	free(d);
	return 0;
}

static void add_tcp(struct dropmon_tcp *t, const struct dropmon_tcp *x)
{
	t->retrans_segs += x->retrans_segs;
	t->timeouts += x->timeouts;
	t->loss_probes += x->loss_probes;
	t->fast_retrans += x->fast_retrans;
	t->syn_retrans += x->syn_retrans;
	t->lost_retransmit += x->lost_retransmit;
}

/* Where each SNMP counter's delta goes in a namespace's entry. */
static const struct {
	enum counters_snmp id;
	size_t off;
} snmp_fields[] = {
	{ CTR_TCP_RETRANS_SEGS, offsetof(struct dropmon_ns, tcp.retrans_segs) },
	{ CTR_TCP_TIMEOUTS, offsetof(struct dropmon_ns, tcp.timeouts) },
	{ CTR_TCP_LOSS_PROBES, offsetof(struct dropmon_ns, tcp.loss_probes) },
	{ CTR_TCP_FAST_RETRANS, offsetof(struct dropmon_ns, tcp.fast_retrans) },
	{ CTR_TCP_SYN_RETRANS, offsetof(struct dropmon_ns, tcp.syn_retrans) },
	{ CTR_TCP_LOST_RETRANSMIT, offsetof(struct dropmon_ns, tcp.lost_retransmit) },
	{ CTR_IP_IN_DISCARDS, offsetof(struct dropmon_ns, proto.ip_in_discards) },
	{ CTR_IP_OUT_DISCARDS, offsetof(struct dropmon_ns, proto.ip_out_discards) },
	{ CTR_UDP_RCVBUF_ERRORS, offsetof(struct dropmon_ns, proto.udp_rcvbuf_errors) },
	{ CTR_UDP_IN_ERRORS, offsetof(struct dropmon_ns, proto.udp_in_errors) },
	{ CTR_TCP_LISTEN_DROPS, offsetof(struct dropmon_ns, proto.listen_drops) },
	{ CTR_TCP_BACKLOG_DROP, offsetof(struct dropmon_ns, proto.backlog_drops) },
};

static int fill_namespaces(struct dropmon_view *v, const struct counters_sample *a,
			   const struct counters_sample *b)
{
	v->ns = calloc(b->n ? b->n : 1, sizeof(*v->ns));
	if (!v->ns)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		const struct counters_ns_sample *y = &b->ns[i], *x = counters_find_ns(a, y->inum);
		struct dropmon_ns *n = &v->ns[v->nns++];

		n->inum = y->inum;
		snprintf(n->name, sizeof(n->name), "%s", y->name);
		for (size_t k = 0; k < sizeof(snmp_fields) / sizeof(snmp_fields[0]); k++)
			*(uint64_t *)((char *)n + snmp_fields[k].off) =
				counters_snmp_delta(x, y, snmp_fields[k].id);
		add_tcp(&v->tcp, &n->tcp);
	}
	return 0;
}

/* What the tracer itself says of the moment: its losses and what --filter left out. */
struct tracer_marks {
	uint64_t lost, filtered, ring_lost;
};

static int build(struct dropmon *m, int base, struct dropmon_view *v,
		 const struct counters_sample *cs, const struct dt_snap *drops,
		 const struct dt_snap *rtx, const struct tracer_marks *t)
{
	const struct counters_sample *a = &m->cs[base];
	struct view_ctx c = { v, 0 };
	int err;

	err = fill_devices(v, a, cs);
	if (!err)
		err = fill_namespaces(v, a, cs);
	if (err)
		return err;
	softnet_delta(&a->softnet, &cs->softnet, &v->softnet);
	if (m->dt) {
		dt_snap_delta(&m->drops[base], drops, on_drop_delta, &c);
		dt_snap_delta(&m->rtx[base], rtx, on_rtx_delta, &c);
		if (c.err)
			return c.err;
		if (v->nflow > 1)
			qsort(v->flow, v->nflow, sizeof(*v->flow), by_segs);
		v->tracer_lost = t->lost - m->lost[base];
		v->filtered_out = t->filtered - m->filtered[base];
		v->ring_lost = t->ring_lost - m->ring_lost[base];
	}
	return ledger_settle(&v->ledger);
}

static void mark_free(struct dropmon *m)
{
	if (m->mark_is_start)
		return;
	counters_sample_free(&m->cs[MARK]);
	dt_snap_free(&m->drops[MARK]);
	dt_snap_free(&m->rtx[MARK]);
}

int dropmon_view(struct dropmon *m, bool since_start, struct dropmon_view *v)
{
	struct counters_sample cs = { 0 };
	struct dt_snap drops = { 0 }, rtx = { 0 };
	struct tracer_marks t = { 0 };
	uint64_t now;
	int base = since_start || m->mark_is_start ? START : MARK, err;

	memset(v, 0, sizeof(*v));
	ledger_init(&v->ledger, &m->dr);
	now = now_ns();
	err = take(m, &cs, &drops, &rtx, &t.lost, &t.filtered, &t.ring_lost);
	if (!err)
		err = build(m, base, v, &cs, &drops, &rtx, &t);
	v->start_ns = since_start ? m->t0_ns : m->mark_ns;
	v->end_ns = now;
	v->start_s = (double)(v->start_ns - m->t0_ns) / 1e9;
	v->end_s = (double)(now - m->t0_ns) / 1e9;
	if (err) {
		dropmon_view_free(v);
		counters_sample_free(&cs);
		dt_snap_free(&drops);
		dt_snap_free(&rtx);
		return err;
	}
	/* This moment is the next interval's start. */
	mark_free(m);
	m->cs[MARK] = cs;
	m->drops[MARK] = drops;
	m->rtx[MARK] = rtx;
	m->lost[MARK] = t.lost;
	m->filtered[MARK] = t.filtered;
	m->ring_lost[MARK] = t.ring_lost;
	m->mark_ns = now;
	m->mark_is_start = false;
	return 0;
}

void dropmon_view_free(struct dropmon_view *v)
{
	ledger_free(&v->ledger);
	free(v->ns);
	free(v->flow);
	memset(v, 0, sizeof(*v));
}

void dropmon_stop(struct dropmon *m)
{
	if (!m)
		return;
	if (m->drainfd >= 0)
		close(m->drainfd);
	mark_free(m);
	counters_sample_free(&m->cs[START]);
	dt_snap_free(&m->drops[START]);
	dt_snap_free(&m->rtx[START]);
	droptrace_close(m->dt);
	counters_close(&m->c);
	drop_reasons_free(&m->dr);
	ksyms_free(&m->ks);
	if (m->dead) {
		pcap_freecode(&m->prog);
		pcap_close(m->dead);
	}
	free(m->tally.key);
	free(m->tally.val);
	free(m);
}
