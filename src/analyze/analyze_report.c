// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "analyze_report.h"
#include "clock.h"
#include "human.h"

/* The flow as side @side sends it. */
static void side_flow(struct flow_id *out, const struct flow_summary *s, int side)
{
	if (side)
		flow_reverse(out, &s->key);
	else
		*out = s->key;
}

static void json_classes(struct json *j, const struct tcp_counts *t)
{
	json_obj_open(j, "by_class");
	for (int c = 0; c < RTX_NCLASSES; c++)
		json_u64(j, rtx_class_name[c], t->by_class[c]);
	json_obj_close(j);
	/* Every retransmission by how it was sent, needless ones and SYN/FINs too. */
	json_obj_open(j, "by_trigger");
	for (int c = 0; c <= RTX_TLP; c++)
		json_u64(j, rtx_class_name[c], t->by_trigger[c]);
	json_obj_close(j);
}

/* The counters every level shares: whole capture, interval, path, direction. */
static void json_counts(struct json *j, const struct tcp_counts *t)
{
	json_u64(j, "data_segs", t->data_segs);
	json_u64(j, "data_bytes", t->data_bytes);
	json_u64(j, "retrans_segs", t->retrans_segs);
	json_u64(j, "retrans_bytes", t->retrans_bytes);
	json_classes(j, t);
	json_u64(j, "lost_downstream", t->lost_downstream);
	json_u64(j, "lost_upstream", t->lost_upstream);
	json_u64(j, "reordering", t->reordering);
	json_u64(j, "ambiguous", t->ambiguous);
	json_u64(j, "capture_gaps", t->capture_gaps);
	json_u64(j, "capture_late", t->capture_late);
	json_u64(j, "keepalives", t->keepalives);
	json_u64(j, "window_probes", t->window_probes);
}

static void json_rtt(struct json *j, const char *key, const struct hist *h, double div,
		     int decimals)
{
	json_obj_open(j, key);
	if (h->count) {
		json_u64(j, "samples", h->count);
		json_double(j, "min", h->min / div, decimals);
		json_double(j, "p50", hist_percentile(h, 50) / div, decimals);
		json_double(j, "p99", hist_percentile(h, 99) / div, decimals);
		json_double(j, "max", h->max / div, decimals);
	}
	json_obj_close(j);
}

static void json_dir(struct json *j, const struct flow_summary *s, int side)
{
	const struct tcp_dir_stats *d = &s->dir[side];
	char a[INET6_ADDRSTRLEN];

	json_obj_open(j, NULL);
	json_str(j, "from", flow_addr_str(&s->key, side ? s->key.daddr : s->key.saddr, a,
					  sizeof(a)));
	json_counts(j, &d->c);
	json_u64(j, "reorder_segs_max", d->reorder_max_segs);
	json_double(j, "reorder_delay_us_max", (double)d->reorder_max_ns / 1e3, 3);
	json_obj_open(j, "rtt_us");
	if (d->rtt_samples) {
		json_u64(j, "samples", d->rtt_samples);
		json_u64(j, "min", d->rtt_min_us);
		json_double(j, "mean", d->rtt_sum_us / (double)d->rtt_samples, 1);
		json_u64(j, "max", d->rtt_max_us);
	}
	json_obj_close(j);
	json_obj_close(j);
}

/* The rest of the flow's key, only where it says something. */
static void json_domain(struct json *j, const struct flow_domain *d)
{
	if (d->nvlan) {
		json_arr_open(j, "vlan");
		for (int i = 0; i < d->nvlan; i++)
			json_u64(j, NULL, d->vlan[i]);
		json_arr_close(j);
	}
	if (d->has_vni)
		json_u64(j, "vni", d->vni);
	if (d->ifid)
		json_u64(j, "ifid", d->ifid);
}

/* " vlan 42.7 vni 100 ifid 2", or "" for an untagged flow on interface 0. */
static const char *domain_str(const struct flow_domain *d, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < d->nvlan && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%u", i ? "." : "  vlan ", d->vlan[i]);
	if (d->has_vni && n < len)
		n += snprintf(buf + n, len - n, "  vni %u", d->vni);
	if (d->ifid && n < len)
		snprintf(buf + n, len - n, "  ifid %u", d->ifid);
	return buf;
}

static void json_flow(struct json *j, const struct flow_summary *s)
{
	int c = s->client == 2 ? 0 : s->client;	/* the client first when known */
	struct flow_id f;

	side_flow(&f, s, c);
	json_obj_open(j, NULL);
	flow_json(j, &f, NULL);
	json_domain(j, &s->dom);
	json_double(j, "duration_s", (double)(s->last_ns - s->first_ns) / 1e9, 6);
	json_arr_open(j, "dirs");
	json_dir(j, s, c);
	json_dir(j, s, !c);
	json_arr_close(j);
	json_obj_close(j);
}

static void json_stalls(struct json *j, const struct analyzer *a)
{
	json_u64(j, "stalls_total", a->stalls_total);
	json_arr_open(j, "stalls");
	for (size_t i = 0; i < a->nstalls; i++) {
		const struct analyze_stall *s = &a->stalls[i];

		json_obj_open(j, NULL);
		flow_json(j, &s->flow, NULL);
		json_double(j, "start_s", (double)s->st.start_ns / 1e9, 6);
		json_u64(j, "duration_us", s->st.len_ns / 1000);
		json_u64(j, "retrans", s->st.retrans);
		json_str(j, "ended", stall_end_name[s->st.end]);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void json_paths(struct json *j, const struct analyzer *a)
{
	char s[INET6_ADDRSTRLEN + 4], d[INET6_ADDRSTRLEN + 4];

	json_arr_open(j, "by_path");
	for (size_t i = 0; i < a->npaths; i++) {
		const struct path_stats *p = &a->paths[i];
		size_t n;

		json_obj_open(j, NULL);
		addr_str(p->family == 6 ? AF_INET6 : AF_INET, p->src, s, sizeof(s));
		n = strlen(s);
		snprintf(s + n, sizeof(s) - n, "/%u", p->plen);
		addr_str(p->family == 6 ? AF_INET6 : AF_INET, p->dst, d, sizeof(d));
		n = strlen(d);
		snprintf(d + n, sizeof(d) - n, "/%u", p->plen);
		json_str(j, "src", s);
		json_str(j, "dst", d);
		json_counts(j, &p->t.c);
		json_obj_close(j);
	}
	json_arr_close(j);
}

void analyze_report_json(struct json *j, const struct analyzer *a,
			 const struct analyze_capture *cap, int detail)
{
	const struct analyze_totals *t = &a->t;

	json_u64(j, "packets", t->packets);
	json_u64(j, "tcp_packets", t->tcp_packets);
	json_u64(j, "capture_dups", t->capture_dups);
	json_obj_open(j, "skipped");
	for (int i = 0; i < SKIP_N; i++)
		json_u64(j, skip_name[i], t->skipped[i]);
	json_obj_close(j);
	json_u64(j, "ip_len_trimmed", t->ip_len_trimmed);
	json_obj_open(j, "tunnels");
	for (int i = 0; i < PKT_TUN_N; i++)
		json_u64(j, tunnel_name[i], t->tunnels[i]);
	json_obj_close(j);
	json_double(j, "duration_s", (double)(a->last_ns - a->first_ns) / 1e9, 6);
	json_u64(j, "flows", flowtab_created(a->flows));
	json_u64(j, "flows_evicted", flowtab_evicted(a->flows));
	json_u64(j, "clock_jumps", a->clock.jumps);
	json_counts(j, &t->c);
	json_obj_open(j, "reorder");
	json_rtt(j, "delay_us", &a->reorder_ns, 1e3, 3);
	json_rtt(j, "segs", &a->reorder_segs, 1, 0);
	json_obj_close(j);
	if (cap->live)
		json_u64(j, "pcap_drops", cap->stats.dropped + cap->stats.if_dropped);
	else
		json_null(j, "pcap_drops");
	json_rtt(j, "rtt_us", &a->rtt, 1e3, 1);
	json_rtt(j, "rto_gap_ms", &a->rto_gap, 1e6, 1);
	json_stalls(j, a);
	if (detail > 0) {
		json_arr_open(j, "flows_list");
		for (size_t i = 0; i < a->nkept; i++)
			json_flow(j, &a->kept[i]);
		json_arr_close(j);
	}
	if (a->o.by_path_len)
		json_paths(j, a);
	json_bool(j, "interrupted", cap->signo != 0);
	if (cap->error[0])
		json_str(j, "error", cap->error);
}

void analyze_interval_json(struct ev_out *o, int64_t t_ns, uint64_t first_ns,
			   uint64_t start_ns, uint64_t len_ns, const struct analyze_totals *d)
{
	struct json *j = ev_interval(o, t_ns, first_ns, start_ns, len_ns);

	json_u64(j, "packets", d->packets);
	json_counts(j, &d->c);
	json_u64(j, "rate_bps", len_ns ? (uint64_t)(d->c.data_bytes * 8 * 1e9 / len_ns) : 0);
	ev_end(o);
}

static const char *const where_name[] = { "none", "downstream", "upstream" };

void analyze_retrans_json(struct ev_out *o, int64_t t_ns, const struct analyze_retrans *r)
{
	struct json *j = ev_begin(o, r->reclass ? "reclass" : "retrans", t_ns);

	json_str(j, "source", "capture");
	flow_json(j, &r->flow, NULL);
	json_u64(j, "seq", r->seq);
	json_u64(j, "len", r->len);
	json_str(j, "class", rtx_class_name[r->cls]);
	if (!r->reclass)
		json_str(j, "trigger", rtx_class_name[r->trigger]);
	json_str(j, "location", where_name[r->where]);
	json_u64(j, "frame", r->frame);
	if (r->reclass)
		json_u64(j, "by_frame", r->by_frame);
	ev_end(o);
}

/* Without -s, only the directions that retransmitted. */
static bool dir_shown(const struct tcp_dir_stats *d, int detail)
{
	return detail > 0 ? d->c.data_segs || d->c.retrans_segs : d->c.retrans_segs;
}

static void text_flow(FILE *f, const struct flow_summary *s, int detail)
{
	int c = s->client == 2 ? 0 : s->client;
	char fs[FLOW_STR_LEN], n1[32], n2[32], rtt[24], dom[64];
	struct flow_id fl;

	for (int k = 0; k < 2; k++) {
		int side = k ? !c : c;
		const struct tcp_dir_stats *d = &s->dir[side];

		if (!dir_shown(d, detail))
			continue;
		side_flow(&fl, s, side);
		if (d->rtt_samples)
			snprintf(rtt, sizeof(rtt), "%lluus", (unsigned long long)d->rtt_min_us);
		else
			snprintf(rtt, sizeof(rtt), "-");
		fprintf(f, "  %s%s  data %s  retrans %s (fast %llu rto %llu tlp %llu "
			"spurious %llu)  lost down %llu up %llu  reordered %llu  rtt min %s\n",
			flow_str(&fl, fs, sizeof(fs)), domain_str(&s->dom, dom, sizeof(dom)),
			human_count(n1, sizeof(n1), d->c.data_segs),
			human_count(n2, sizeof(n2), d->c.retrans_segs),
			(unsigned long long)d->c.by_class[RTX_FAST],
			(unsigned long long)d->c.by_class[RTX_RTO],
			(unsigned long long)d->c.by_class[RTX_TLP],
			(unsigned long long)d->c.by_class[RTX_SPURIOUS],
			(unsigned long long)d->c.lost_downstream,
			(unsigned long long)d->c.lost_upstream,
			(unsigned long long)d->c.reordering, rtt);
	}
}

static void line(FILE *f, const char *label, uint64_t v, const char *note)
{
	char n[32];

	fprintf(f, "%-34s %12s%s\n", label, human_count(n, sizeof(n), v), note ? note : "");
}

/* Lengths cut to the frame and tunnels decoded, only when there were any. */
static void text_decode(FILE *f, const struct analyze_totals *t)
{
	int any = 0;

	if (t->ip_len_trimmed)
		fprintf(f, "ip_len_trimmed: %llu TCP packets with an IP length beyond the frame\n",
			(unsigned long long)t->ip_len_trimmed);
	for (int i = 0; i < PKT_TUN_N; i++) {
		if (!t->tunnels[i])
			continue;
		fprintf(f, "%s %s %llu", any ? "," : "tunnels:", tunnel_name[i],
			(unsigned long long)t->tunnels[i]);
		any = 1;
	}
	if (any)
		fprintf(f, "\n");
}

void analyze_report_text(FILE *f, const struct analyzer *a,
			 const struct analyze_capture *cap, int detail)
{
	const struct analyze_totals *t = &a->t;
	char n1[32], n2[32], n3[32], note[96];
	bool heading = false;
	double pct = t->c.data_segs ? 100.0 * t->c.retrans_segs / t->c.data_segs : 0;

	fprintf(f, "%s: %s packets, %s TCP, %s flows, %.3f s\n", cap->name,
		human_count(n1, sizeof(n1), t->packets), human_count(n2, sizeof(n2), t->tcp_packets),
		human_count(n3, sizeof(n3), flowtab_created(a->flows)),
		(double)(a->last_ns - a->first_ns) / 1e9);
	if (cap->signo)
		fprintf(f, "interrupted by %s after %llu packets: the report covers those\n",
			cap->signo == SIGINT ? "SIGINT" : cap->signo == SIGTERM ? "SIGTERM" : "a signal",
			(unsigned long long)t->packets);
	if (a->clock.jumps)
		fprintf(f, "clock jumps: %llu (stamps over %llu s back or %llu h ahead: "
			"not counted as time, no RTT across one)\n",
			(unsigned long long)a->clock.jumps,
			(unsigned long long)(CAPCLOCK_BACK_NS / NSEC_PER_SEC),
			(unsigned long long)(CAPCLOCK_AHEAD_NS / NSEC_PER_SEC / 3600));
	if (flowtab_evicted(a->flows))
		fprintf(f, "flows evicted (over --max-flows %zu): %llu\n", a->o.max_flows,
			(unsigned long long)flowtab_evicted(a->flows));
	if (t->skipped[SKIP_TRUNCATED] || t->skipped[SKIP_MALFORMED] || t->skipped[SKIP_BAD_LINK])
		fprintf(f, "skipped: %llu truncated, %llu malformed, %llu unknown link type\n",
			(unsigned long long)t->skipped[SKIP_TRUNCATED],
			(unsigned long long)t->skipped[SKIP_MALFORMED],
			(unsigned long long)t->skipped[SKIP_BAD_LINK]);
	text_decode(f, t);
	fprintf(f, "\n");
	line(f, "data segments", t->c.data_segs, NULL);
	snprintf(note, sizeof(note), "  (%.3f%% of data segments)", pct);
	line(f, "retransmitted segments", t->c.retrans_segs, note);
	for (int c = 0; c < RTX_NCLASSES; c++) {
		char label[40];

		snprintf(label, sizeof(label), "  %s", rtx_class_name[c]);
		note[0] = 0;
		if (c == RTX_RTO && a->rto_gap.count)
			snprintf(note, sizeof(note), "  (silence before: p50 %s)",
				 human_ns(n1, sizeof(n1), hist_percentile(&a->rto_gap, 50)));
		line(f, label, t->c.by_class[c], note);
	}
	if (t->c.retrans_segs)
		fprintf(f, "%-34s  fast %llu  rto %llu  tlp %llu\n", "  as sent (needless ones too)",
			(unsigned long long)t->c.by_trigger[RTX_FAST],
			(unsigned long long)t->c.by_trigger[RTX_RTO],
			(unsigned long long)t->c.by_trigger[RTX_TLP]);
	line(f, "lost downstream of capture point", t->c.lost_downstream, NULL);
	line(f, "lost upstream of capture point", t->c.lost_upstream, NULL);
	note[0] = 0;
	if (a->reorder_ns.count)
		snprintf(note, sizeof(note), "  (by up to %llu segments, late by p50 %s, max %s)",
			 (unsigned long long)a->reorder_segs.max,
			 human_ns(n1, sizeof(n1), hist_percentile(&a->reorder_ns, 50)),
			 human_ns(n2, sizeof(n2), a->reorder_ns.max));
	line(f, "reordered (not retransmitted)", t->c.reordering, note);
	line(f, "ambiguous (reordered or lost up)", t->c.ambiguous, NULL);
	note[0] = 0;
	if (cap->live)
		snprintf(note, sizeof(note), "  (pcap dropped %llu: capture loss)",
			 (unsigned long long)(cap->stats.dropped + cap->stats.if_dropped));
	line(f, "capture gaps (not network loss)", t->c.capture_gaps, note);
	if (t->c.capture_late)
		line(f, "captured after their ACK", t->c.capture_late, NULL);
	if (t->capture_dups)
		line(f, "capture duplicates (not counted)", t->capture_dups, NULL);
	if (t->c.keepalives)
		line(f, "keep-alives (not data)", t->c.keepalives, NULL);
	if (t->c.window_probes)
		line(f, "zero-window probes (not data)", t->c.window_probes, NULL);
	if (a->rtt.count)
		fprintf(f, "%-34s  min %s  p50 %s  p99 %s\n", "RTT (capture point and back)",
			human_ns(n1, sizeof(n1), a->rtt.min),
			human_ns(n2, sizeof(n2), hist_percentile(&a->rtt, 50)),
			human_ns(n3, sizeof(n3), hist_percentile(&a->rtt, 99)));
	if (a->stalls_total) {
		size_t n = detail > 0 ? a->nstalls : a->nstalls < 5 ? a->nstalls : 5;

		fprintf(f, "\nstalls (silent >= %s with data outstanding): %llu%s\n",
			human_ns(n1, sizeof(n1), TCP_RTO_FLOOR_NS),
			(unsigned long long)a->stalls_total, n < a->stalls_total ? ", the longest:" : "");
		for (size_t i = 0; i < n; i++) {
			const struct analyze_stall *s = &a->stalls[i];
			char fs[FLOW_STR_LEN];

			fprintf(f, "  %s  at %.6f  for %s  %u retransmitted, ended by %s\n",
				flow_str(&s->flow, fs, sizeof(fs)), (double)s->st.start_ns / 1e9,
				human_ns(n1, sizeof(n1), s->st.len_ns), s->st.retrans,
				s->st.end == STALL_ACK ? "an ACK" :
				s->st.end == STALL_RST ? "a reset" : "the end of the capture or flow");
		}
	}
	for (size_t i = 0; i < a->nkept; i++) {
		const struct flow_summary *s = &a->kept[i];

		/* The heading only above a first line. */
		if (!heading && (dir_shown(&s->dir[0], detail) || dir_shown(&s->dir[1], detail))) {
			fprintf(f, "\n%s:\n", detail > 0 ? "flows" : "flows with most retransmits");
			heading = true;
		}
		text_flow(f, s, detail);
	}
	if (cap->error[0])
		fprintf(f, "\nerror: %s\n", cap->error);
}
