// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "dropmon_report.h"
#include "human.h"

#define TEXT_FLOWS	10	/* flows in the text report without -s */
#define TEXT_SITES	10	/* drop sites with -s */


static const char *reason_str(const struct dropmon *m, uint32_t r, char *buf, size_t len)
{
	const char *n = drop_reason_name(dropmon_reasons(m), r);

	if (n)
		return n;
	snprintf(buf, len, "reason_%u", r);
	return buf;
}

/* What usually causes drops of reason @r; @kind: the device's, or NULL. */
static const char *hint(const struct dropmon *m, uint32_t r, const char *kind)
{
	return drop_reason_hint(drop_reason_name(dropmon_reasons(m), r), kind);
}

static const char *dev_name(const struct ledger_dev *d, char *buf, size_t len)
{
	if (d->ifname[0])
		return d->ifname;
	snprintf(buf, len, "if%d", d->ifindex);	/* gone before we sampled it */
	return buf;
}

/* As `ip link` writes it: "macvtap0@eth0", a peer elsewhere "veth0@if7". */
static const char *dev_label(const struct ledger *l, const struct ledger_dev *d, char *buf,
			     size_t len)
{
	const struct ledger_dev *peer = NULL;
	char nb[32];

	if (!d->link) {
		snprintf(buf, len, "%s", dev_name(d, nb, sizeof(nb)));
		return buf;
	}
	if (d->link_netnsid < 0)
		peer = ledger_find(l, d->netns, d->link);
	if (peer && peer->ifname[0])
		snprintf(buf, len, "%s@%s", dev_name(d, nb, sizeof(nb)), peer->ifname);
	else
		snprintf(buf, len, "%s@if%d", dev_name(d, nb, sizeof(nb)), d->link);
	return buf;
}

static const char *flow_addr(const struct rtx_key *k, const uint8_t *a, char *buf, size_t len)
{
	return inet_ntop(k->family == AF_INET6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len);
}

static const char *state_str(enum probe_state s)
{
	switch (s) {
	case PROBE_ON:
		return "on";
	case PROBE_MISSING:
		return "missing";
	case PROBE_DISABLED:
		return "disabled";
	default:
		return "off";
	}
}

/* ---- JSON ---- */

/* Leaves the object open: the caller adds its own keys and closes it. */
static void json_tcp(struct json *j, const char *key, const struct dropmon_tcp *t)
{
	json_obj_open(j, key);
	json_u64(j, "retrans_segs", t->retrans_segs);
	json_u64(j, "timeouts", t->timeouts);
	json_u64(j, "loss_probes", t->loss_probes);
	json_u64(j, "fast_retrans", t->fast_retrans);
	json_u64(j, "syn_retrans", t->syn_retrans);
	json_u64(j, "lost_retransmit", t->lost_retransmit);
}

static void json_flows(struct json *j, const struct dropmon_view *v)
{
	char a[INET6_ADDRSTRLEN], ns[80];

	json_arr_open(j, "flows");
	for (size_t i = 0; i < v->nflow; i++) {
		const struct dropmon_flow *f = &v->flow[i];

		json_obj_open(j, NULL);
		json_str(j, "netns", dropmon_ns_name(v, f->key.netns, ns, sizeof(ns)));
		json_str(j, "saddr", flow_addr(&f->key, f->key.saddr, a, sizeof(a)));
		json_u64(j, "sport", f->key.sport);
		json_str(j, "daddr", flow_addr(&f->key, f->key.daddr, a, sizeof(a)));
		json_u64(j, "dport", f->key.dport);
		json_u64(j, "segs", f->val.segs);
		json_u64(j, "events", f->val.events);
		json_u64(j, "failed", f->val.failed);
		for (int k = 0; k < RK_NKINDS; k++)
			json_u64(j, rtx_kind_name((unsigned int)k), f->val.kind[k]);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void json_device(struct json *j, const struct dropmon *m, const struct dropmon_view *v,
			const struct ledger_dev *d)
{
	char buf[80], nb[32];

	json_obj_open(j, NULL);
	json_str(j, "netns", dropmon_ns_name(v, d->netns, buf, sizeof(buf)));
	json_u64(j, "netns_inum", d->netns);
	json_str(j, "ifname", dev_name(d, nb, sizeof(nb)));
	json_i64(j, "ifindex", d->ifindex);
	json_str(j, "kind", d->kind);
	if (d->link) {
		const struct ledger_dev *peer = d->link_netnsid < 0 ?
			ledger_find(&v->ledger, d->netns, d->link) : NULL;

		json_i64(j, "link_ifindex", d->link);
		if (d->link_netnsid >= 0)
			json_i64(j, "link_netnsid", d->link_netnsid);
		if (peer && peer->ifname[0])
			json_str(j, "link_ifname", peer->ifname);
	}
	if (d->master) {
		const struct ledger_dev *mst = ledger_find(&v->ledger, d->netns, d->master);

		json_i64(j, "master_ifindex", d->master);
		if (mst && mst->ifname[0])
			json_str(j, "master_ifname", mst->ifname);
	}
	json_u64(j, "rx_dropped", d->rx_dropped);
	json_u64(j, "tx_dropped", d->tx_dropped);
	json_u64(j, "rx_missed", d->rx_missed);
	json_u64(j, "qdisc_drops", d->qdisc_drops);
	json_obj_open(j, "events");
	for (size_t k = 0; k < d->nev; k++)
		json_u64(j, reason_str(m, d->ev[k].reason, nb, sizeof(nb)), d->ev[k].n);
	json_obj_close(j);
	if (dropmon_info(m)->probe[PROBE_KFREE_SKB] == PROBE_ON) {
		json_obj_open(j, "unexplained");
		json_u64(j, "counted_without_events", d->counted_unexplained);
		json_u64(j, "events_without_counter", d->events_unexplained);
		json_obj_close(j);
	} else {
		json_null(j, "unexplained");	/* nothing traced to explain with */
	}
	json_obj_open(j, "hints");
	for (size_t k = 0; k < d->nev; k++)
		json_str(j, reason_str(m, d->ev[k].reason, nb, sizeof(nb)),
			 hint(m, d->ev[k].reason, d->kind));
	json_obj_close(j);
	json_obj_close(j);
}

static void json_ledger(struct json *j, const struct dropmon *m, const struct dropmon_view *v,
			int detail)
{
	const struct ledger *l = &v->ledger;
	char buf[80], rb[32];

	json_arr_open(j, "devices");
	for (size_t i = 0; i < l->ndev; i++)
		if (detail || ledger_dev_has_drops(&l->dev[i]))
			json_device(j, m, v, &l->dev[i]);
	json_arr_close(j);
	json_arr_open(j, "without_device");
	for (size_t i = 0; i < l->nnodev; i++) {
		const struct ledger_nodev *n = &l->nodev[i];

		json_obj_open(j, NULL);
		json_str(j, "netns", dropmon_ns_name(v, n->netns, buf, sizeof(buf)));
		json_str(j, "reason", reason_str(m, n->reason, rb, sizeof(rb)));
		json_u64(j, "count", n->n);
		json_str(j, "hint", hint(m, n->reason, NULL));
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_open(j, "reasons");
	for (size_t i = 0; i < l->nreason; i++)
		json_u64(j, reason_str(m, l->reason[i].reason, rb, sizeof(rb)), l->reason[i].n);
	json_obj_close(j);
	json_arr_open(j, "sites");
	for (size_t i = 0; i < l->nsite; i++) {
		json_obj_open(j, NULL);
		json_str(j, "location", dropmon_location(m, l->site[i].location, buf, sizeof(buf)));
		json_str(j, "reason", reason_str(m, l->site[i].reason, rb, sizeof(rb)));
		json_u64(j, "count", l->site[i].n);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void json_header(struct json *j, const struct dropmon *m)
{
	const struct dropmon_info *in = dropmon_info(m);

	json_obj_open(j, "tracing");
	json_bool(j, "active", in->tracing);
	if (!in->tracing)
		json_str(j, "why_not", in->trace_why);
	json_obj_open(j, "probes");
	for (int p = 0; p < PROBE_NR; p++)
		json_str(j, droptrace_probe_name(p), state_str(in->probe[p]));
	json_obj_close(j);
	if (in->filter)
		json_str(j, "filter", in->filter);
	json_obj_close(j);
	json_u64(j, "namespaces_skipped", in->ns_skipped);
}

/* The namespaces' own counters and softnet: in the summary, not in intervals. */
static void json_namespaces(struct json *j, const struct dropmon_view *v)
{
	char buf[80];

	json_arr_open(j, "namespaces");
	for (size_t i = 0; i < v->nns; i++) {
		const struct dropmon_ns *n = &v->ns[i];

		json_obj_open(j, NULL);
		json_str(j, "netns", dropmon_ns_name(v, n->inum, buf, sizeof(buf)));
		json_u64(j, "netns_inum", n->inum);
		json_tcp(j, "tcp", &n->tcp);
		json_obj_close(j);
		json_u64(j, "ip_in_discards", n->proto.ip_in_discards);
		json_u64(j, "ip_out_discards", n->proto.ip_out_discards);
		json_u64(j, "udp_rcvbuf_errors", n->proto.udp_rcvbuf_errors);
		json_u64(j, "udp_in_errors", n->proto.udp_in_errors);
		json_u64(j, "listen_drops", n->proto.listen_drops);
		json_u64(j, "backlog_drops", n->proto.backlog_drops);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_open(j, "softnet");
	json_u64(j, "processed", v->softnet.processed);
	json_u64(j, "dropped", v->softnet.dropped);
	json_u64(j, "time_squeeze", v->softnet.time_squeeze);
	json_u64(j, "flow_limit_count", v->softnet.flow_limit_count);
	json_obj_close(j);
}

/* The report's keys into the open object @j. */
static void json_body(struct json *j, const struct dropmon *m, const struct dropmon_view *v,
		      int detail, bool interval)
{
	if (interval) {
		json_double(j, "start_s", v->start_s, 3);
		json_double(j, "end_s", v->end_s, 3);
	} else {
		json_double(j, "duration_s", v->end_s - v->start_s, 3);
		json_header(j, m);
	}
	json_ledger(j, m, v, detail);
	json_tcp(j, "tcp", &v->tcp);
	json_u64(j, "traced_segs", v->traced_segs);
	json_flows(j, v);
	json_obj_close(j);
	if (!interval)
		json_namespaces(j, v);
	json_u64(j, "tracer_lost", v->tracer_lost);
	json_u64(j, "filtered_out", v->filtered_out);
	if (dropmon_info(m)->ring)
		json_u64(j, "events_lost", v->ring_lost);
}

void dropmon_report_json(struct json *j, const char *key, const struct dropmon *m,
			 const struct dropmon_view *v, int detail, bool interval)
{
	if (key)
		json_obj_open(j, key);
	json_body(j, m, v, detail, interval);
	if (key)
		json_obj_close(j);
}

void dropmon_report_interval(struct ev_out *o, const struct dropmon *m,
			     const struct dropmon_view *v, int detail)
{
	struct json *j = ev_interval(o, (int64_t)v->start_ns, dropmon_info(m)->t0_ns, v->start_ns,
				     v->end_ns - v->start_ns);

	json_body(j, m, v, detail, true);
	ev_end(o);
}

/* ---- events ---- */

/* The most specific name the record allows: "tcp", "udp", "ipv4", "arp", "0x88cc". */
static const char *proto_str(uint16_t ethertype, const struct drop_pkt *p, char *buf,
			     size_t len)
{
	if (p->kind == DPKT_TCP)
		return "tcp";
	if (p->kind == DPKT_UDP)
		return "udp";
	switch (ethertype) {
	case 0x0800:
		return "ipv4";
	case 0x86dd:
		return "ipv6";
	case 0x0806:
		return "arp";
	}
	snprintf(buf, len, "0x%04x", ethertype);
	return buf;
}

void dropmon_event_drop(struct ev_out *o, struct dropmon *m, const struct drop_event *e,
			const struct drop_pkt *p)
{
	struct json *j = ev_begin(o, "drop", e->ts_ns);
	char ns[80], ifn[32], rb[32], site[96], pb[8];
	const char *nsname = dropmon_ns_label(m, e->key.netns, ns, sizeof(ns));

	if (p->kind == DPKT_TCP || p->kind == DPKT_UDP)
		flow_json(j, &p->flow, nsname);
	else
		json_str(j, "netns", nsname);
	json_u64(j, "ifindex", e->key.ifindex);
	if (e->key.ifindex)
		json_str(j, "ifname", dropmon_ifname(m, e->key.netns, (int)e->key.ifindex, ifn,
						     sizeof(ifn)));
	json_str(j, "reason", reason_str(m, e->key.reason, rb, sizeof(rb)));
	json_str(j, "site", dropmon_location(m, e->key.location, site, sizeof(site)));
	json_str(j, "protocol", proto_str(e->key.protocol, p, pb, sizeof(pb)));
	json_u64(j, "skb_len", e->len);
	if (p->kind == DPKT_TCP) {
		json_u64(j, "seq", p->seq);
		json_u64(j, "len", p->len);
		json_str(j, "flags", tcp_flags_str(p->flags, pb, sizeof(pb)));
		json_bool(j, "payload", p->len > 0);
		if (p->dsack)
			json_bool(j, "dsack", true);
	} else if (p->kind == DPKT_TRUNCATED) {
		json_bool(j, "truncated", true);
	}
	ev_end(o);
}

void dropmon_event_rtx(struct ev_out *o, const struct dropmon *m, const struct rtx_event *e,
		       const struct flow_id *f)
{
	struct json *j = ev_begin(o, "retrans", e->ts_ns);
	char ns[80];

	json_str(j, "source", "kernel");
	flow_json(j, f, dropmon_ns_label(m, f->netns, ns, sizeof(ns)));
	json_u64(j, "seq", e->seq);
	json_u64(j, "len", e->end_seq - e->seq);
	json_u64(j, "segs", e->segs);
	json_str(j, "how", rtx_kind_name(e->kind));
	if (e->err)
		json_i64(j, "err", e->err);
	ev_end(o);
}

void dropmon_event_lost(struct ev_out *o, uint64_t t_ns, uint64_t n, uint64_t total)
{
	struct json *j = ev_begin(o, "lost", t_ns);

	json_u64(j, "events", n);
	json_u64(j, "total", total);
	ev_end(o);
}

/* ---- text ---- */

static void text_header(FILE *f, const struct dropmon *m, const struct dropmon_view *v)
{
	const struct dropmon_info *in = dropmon_info(m);

	fprintf(f, "%.1f s, %zu namespace%s", v->end_s - v->start_s, in->nns,
		in->nns == 1 ? "" : "s");
	if (in->ns_skipped)
		fprintf(f, " (%zu more not entered: no privilege)", in->ns_skipped);
	if (!in->tracing) {
		fprintf(f, "; counters only: %s\n", in->trace_why);
		return;
	}
	fprintf(f, "; tracing");
	for (int p = 0; p < PROBE_NR; p++)
		if (in->probe[p] == PROBE_ON)
			fprintf(f, " %s", droptrace_probe_name(p));
	for (int p = 0; p < PROBE_NR; p++)
		if (in->probe[p] != PROBE_ON)
			fprintf(f, "; %s %s", droptrace_probe_name(p), state_str(in->probe[p]));
	if (in->filter)
		fprintf(f, "; filter '%s'", in->filter);
	fprintf(f, "\n");
}

static void text_device(FILE *f, const struct dropmon *m, const struct dropmon_view *v,
			const struct ledger_dev *d)
{
	bool traced = dropmon_info(m)->probe[PROBE_KFREE_SKB] == PROBE_ON;
	char ns[80], nb[48], rb[32], c[4][32], e[32], u[32];

	fprintf(f, "  %-16s %-16s %-8s %9s %9s %9s %9s %9s  %s\n",
		dropmon_ns_name(v, d->netns, ns, sizeof(ns)), dev_label(&v->ledger, d, nb, sizeof(nb)),
		d->kind[0] ? d->kind : "-",
		human_count(c[0], sizeof(c[0]), d->rx_dropped),
		human_count(c[1], sizeof(c[1]), d->tx_dropped),
		human_count(c[2], sizeof(c[2]), d->rx_missed),
		human_count(c[3], sizeof(c[3]), d->qdisc_drops),
		traced ? human_count(e, sizeof(e), d->events) : "-",
		!traced ? "-" : d->counted_unexplained || d->events_unexplained ? "" : "0");
	if (d->counted_unexplained)
		fprintf(f, "      unexplained: %s counted drops without an event\n",
			human_count(u, sizeof(u), d->counted_unexplained));
	if (d->events_unexplained)
		fprintf(f, "      unexplained: %s events beyond the counter\n",
			human_count(u, sizeof(u), d->events_unexplained));
	for (size_t k = 0; k < d->nev; k++)
		fprintf(f, "      %-22s %9s  %s\n", reason_str(m, d->ev[k].reason, rb, sizeof(rb)),
			human_count(e, sizeof(e), d->ev[k].n),
			hint(m, d->ev[k].reason, d->kind));
}

static void text_ledger(FILE *f, const struct dropmon *m, const struct dropmon_view *v,
			int detail)
{
	const struct ledger *l = &v->ledger;
	char ns[80], rb[32], c[32];
	size_t shown = 0;

	for (size_t i = 0; i < l->ndev; i++) {
		if (!detail && !ledger_dev_has_drops(&l->dev[i]))
			continue;
		if (!shown++)
			fprintf(f, "\n  %-16s %-16s %-8s %9s %9s %9s %9s %9s  %s\n", "NETNS",
				"DEVICE", "KIND", "RX_DROP", "TX_DROP", "MISSED", "QDISC", "EVENTS",
				"UNEXPLAINED");
		text_device(f, m, v, &l->dev[i]);
	}
	if (!shown)
		fprintf(f, "\nNo device counted or showed a drop.\n");
	if (l->nnodev) {
		fprintf(f, "\nDrops without a device\n");
		for (size_t i = 0; i < l->nnodev; i++) {
			const struct ledger_nodev *n = &l->nodev[i];

			fprintf(f, "  %-16s %-22s %9s  %s\n", dropmon_ns_name(v, n->netns, ns, sizeof(ns)),
				reason_str(m, n->reason, rb, sizeof(rb)), human_count(c, sizeof(c), n->n),
				hint(m, n->reason, NULL));
		}
	}
	if (l->nreason) {
		fprintf(f, "\nReasons (%s traced drops)\n", human_count(c, sizeof(c), l->total));
		for (size_t i = 0; i < l->nreason; i++)
			fprintf(f, "  %-22s %9s\n", reason_str(m, l->reason[i].reason, rb, sizeof(rb)),
				human_count(c, sizeof(c), l->reason[i].n));
	}
	if (detail && l->nsite) {
		fprintf(f, "\nDrop sites\n");
		for (size_t i = 0; i < l->nsite && i < TEXT_SITES * (size_t)detail; i++)
			fprintf(f, "  %-40s %-22s %9s\n",
				dropmon_location(m, l->site[i].location, ns, sizeof(ns)),
				reason_str(m, l->site[i].reason, rb, sizeof(rb)),
				human_count(c, sizeof(c), l->site[i].n));
	}
}

static void text_tcp(FILE *f, const struct dropmon *m, const struct dropmon_view *v, int detail)
{
	const struct dropmon_tcp *t = &v->tcp;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], ns[80], c[32];
	size_t max = detail ? v->nflow : TEXT_FLOWS;

	fprintf(f, "\nTCP: %" PRIu64 " retransmitted segments", t->retrans_segs);
	if (dropmon_info(m)->probe[PROBE_TCP_RETRANSMIT] == PROBE_ON)
		fprintf(f, " (%" PRIu64 " traced)", v->traced_segs);
	fprintf(f, ", %" PRIu64 " timeouts, %" PRIu64 " loss probes, %" PRIu64 " fast retransmits\n",
		t->timeouts, t->loss_probes, t->fast_retrans);
	for (size_t i = 0; i < v->nflow && i < max; i++) {
		const struct dropmon_flow *fl = &v->flow[i];

		fprintf(f, "  %-16s %s:%u > %s:%u  %s segs (rto %" PRIu64 ", fast %" PRIu64
			   ", probe %" PRIu64 ", syn %" PRIu64 ", other %" PRIu64 ")\n",
			dropmon_ns_name(v, fl->key.netns, ns, sizeof(ns)),
			flow_addr(&fl->key, fl->key.saddr, a, sizeof(a)), fl->key.sport,
			flow_addr(&fl->key, fl->key.daddr, b, sizeof(b)), fl->key.dport,
			human_count(c, sizeof(c), fl->val.segs), (uint64_t)fl->val.kind[RK_RTO],
			(uint64_t)fl->val.kind[RK_FAST], (uint64_t)fl->val.kind[RK_PROBE],
			(uint64_t)fl->val.kind[RK_SYN], (uint64_t)fl->val.kind[RK_OTHER]);
	}
	if (v->nflow > max)
		fprintf(f, "  ... %zu more flows (-s shows all)\n", v->nflow - max);
}

void dropmon_report_text(FILE *f, const struct dropmon *m, const struct dropmon_view *v,
			 int detail)
{
	text_header(f, m, v);
	text_ledger(f, m, v, detail);
	text_tcp(f, m, v, detail);
	if (v->softnet.dropped || v->softnet.time_squeeze || detail)
		fprintf(f, "\nsoftnet: %" PRIu64 " backlog drops, %" PRIu64 " time squeezes\n",
			v->softnet.dropped, v->softnet.time_squeeze);
	if (dropmon_info(m)->tracing)
		fprintf(f, "tracer lost %" PRIu64 " events%s\n", v->tracer_lost,
			v->tracer_lost ? " (maps full or ring overrun: counts are low)" : "");
	if (dropmon_info(m)->ring)
		fprintf(f, "event ring lost %" PRIu64 " events%s\n", v->ring_lost,
			v->ring_lost ? " (the stream misses them: --ring-mb)" : "");
}

void dropmon_report_line(FILE *f, const struct dropmon *m, const struct dropmon_view *v)
{
	const struct ledger *l = &v->ledger;
	char rb[32];
	uint64_t counted = 0;

	for (size_t i = 0; i < l->ndev; i++)
		counted += l->dev[i].rx_dropped + l->dev[i].tx_dropped + l->dev[i].rx_missed +
			   l->dev[i].qdisc_drops;
	fprintf(f, "%7.1fs  counted %" PRIu64 "  traced %" PRIu64, v->end_s, counted, l->total);
	for (size_t i = 0; i < l->nreason && i < 3; i++)
		fprintf(f, "%s%s %" PRIu64, i ? ", " : " (",
			reason_str(m, l->reason[i].reason, rb, sizeof(rb)), l->reason[i].n);
	fprintf(f, "%s  tcp retrans %" PRIu64 "\n", l->nreason ? ")" : "", v->tcp.retrans_segs);
}
