// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dropmon.h"
#include "json.h"
#include "verdict.h"

static const char *const why_label[DG_NWHY] = {
	"request dropped", "request dropped again (>= 2 timeouts)", "response dropped",
	"delay (resent, its first copy not dropped)", "unexplained",
};

static const char *const rtx_label[DG_NRTX_WHY] = {
	"of a drop", "an ACK dropped", "delay", "unexplained",
};

/* The device's own counter that also counts drops of @reason. */
static void counter_of(struct dg_cause *k, const struct ledger_dev *ld)
{
	switch (drop_reason_class(k->reason)) {
	case RC_QDISC:
		k->counter = "qdisc_drops";
		k->counter_delta = ld->qdisc_drops;
		break;
	case RC_DEVICE:
		k->counter = ld->rx_dropped >= ld->tx_dropped ? "rx_dropped" : "tx_dropped";
		k->counter_delta = ld->rx_dropped >= ld->tx_dropped ? ld->rx_dropped
								    : ld->tx_dropped;
		break;
	default:
		return;
	}
	k->counted = ld->counted;
}

/* "FULL_RING at macvtap mvt0 (netns host, lower vh0 bridge, txqueuelen 8); ..." */
static void hint_of(struct dg_cause *k, const struct dg_devinfo *td)
{
	char dev[160] = "", reader[96] = "";
	const char *why = drop_reason_hint(k->reason, k->kind);
	size_t n = 0;

	if (k->ifname[0]) {
		/* A tun in tap mode is a tap to its users. */
		const char *kind = td && !strcmp(k->kind, "tun") && td->mode[0] ? td->mode : k->kind;

		n = (size_t)snprintf(dev, sizeof(dev), " at %s%s%s (netns %s", kind,
				     kind[0] ? " " : "", k->ifname, k->netns);
		if (td && td->link_name[0] && n < sizeof(dev))
			n += (size_t)snprintf(dev + n, sizeof(dev) - n, ", %s %s%s%s",
					      td->link_role[0] ? td->link_role : "link",
					      td->link_name, td->mode[0] ? " " : "", td->mode);
		if (td && td->txqlen && n < sizeof(dev))
			n += (size_t)snprintf(dev + n, sizeof(dev) - n, ", txqueuelen %u",
					      td->txqlen);
		if (n < sizeof(dev))
			snprintf(dev + n, sizeof(dev) - n, ")");
	} else {
		snprintf(dev, sizeof(dev), " in netns %s (no device: a socket or local output)",
			 k->netns);
	}
	if (k->reader_pid && !strcmp(k->reason, "FULL_RING")) {
		snprintf(reader, sizeof(reader), "; its reader PID %d (%s) does not drain it",
			 k->reader_pid, k->reader_comm);
		why = NULL;	/* what the reader says is the hint, named */
	} else if (k->reader_pid) {
		snprintf(reader, sizeof(reader), "; its reader PID %d (%s)", k->reader_pid,
			 k->reader_comm);
	}
	snprintf(k->hint, sizeof(k->hint), "%s%s%s%s%s", k->reason, dev, reader,
		 why ? ": " : "", why ? why : "");
}

static int cause_cmp(const void *a, const void *b)
{
	const struct dg_cause *x = a, *y = b;

	if (x->slow_explained != y->slow_explained)
		return x->slow_explained > y->slow_explained ? -1 : 1;
	if (x->workload_drops != y->workload_drops)
		return x->workload_drops > y->workload_drops ? -1 : 1;
	if (x->drops != y->drops)
		return x->drops > y->drops ? -1 : 1;
	return x->point < y->point ? -1 : x->point > y->point;
}

int dg_verdict_build(struct dg_verdict_ctx *c, struct dropmon *m, const struct dropmon_view *v,
		     dg_devinfo_fn info, void *info_ctx)
{
	const struct dg_data *d = c->d;

	c->causes = calloc(d->npoints ? d->npoints : 1, sizeof(*c->causes));
	if (!c->causes)
		return -ENOMEM;
	for (size_t i = 0; i < d->npoints; i++) {
		const struct dg_point *p = &d->points[i];
		const struct dg_where *w = &c->o->where[i];
		struct dg_cause *k = &c->causes[c->ncauses++];
		struct dg_devinfo di = { 0 };
		const struct dg_devinfo *td = p->ifindex && info &&
					      info(info_ctx, p->netns, p->ifindex, &di) ? &di : NULL;
		const struct ledger_dev *ld = p->ifindex ? ledger_find(&v->ledger, p->netns,
								       p->ifindex) : NULL;
		const char *rn = drop_reason_name(dropmon_reasons(m), p->reason);
		char nb[80], ib[32], sb[96];

		k->point = i;
		snprintf(k->netns, sizeof(k->netns), "%s",
			 dropmon_ns_name(v, p->netns, nb, sizeof(nb)));
		if (p->ifindex)
			snprintf(k->ifname, sizeof(k->ifname), "%s",
				 dropmon_ifname(m, p->netns, p->ifindex, ib, sizeof(ib)));
		if (rn)
			snprintf(k->reason, sizeof(k->reason), "%s", rn);
		else
			snprintf(k->reason, sizeof(k->reason), "reason_%u", p->reason);
		snprintf(k->site, sizeof(k->site), "%s",
			 dropmon_location(m, p->location, sb, sizeof(sb)));
		snprintf(k->kind, sizeof(k->kind), "%s", td ? td->kind : ld ? ld->kind : "");
		k->drops = w->drops;
		k->slow_explained = w->slow_explained;
		memcpy(k->by_payload, w->by_payload, sizeof(k->by_payload));
		for (int q = 0; q < DG_NPAYLOAD; q++)
			k->workload_drops += q == DG_OTHER ? 0 : w->by_payload[q];
		if (ld)
			counter_of(k, ld);
		if (td && td->reader_pid) {
			k->reader_pid = td->reader_pid;
			snprintf(k->reader_comm, sizeof(k->reader_comm), "%s", td->reader_comm);
		}
		hint_of(k, td);
	}
	qsort(c->causes, c->ncauses, sizeof(*c->causes), cause_cmp);
	c->discards = calloc(d->ndiscards ? d->ndiscards : 1, sizeof(*c->discards));
	if (!c->discards)
		return -ENOMEM;
	for (size_t i = 0; i < d->ndiscards; i++) {
		const struct dg_point *p = &d->discards[i].at;
		struct dg_discard_row *x = &c->discards[c->ndiscards++];
		const char *rn = drop_reason_name(dropmon_reasons(m), p->reason);
		char nb[80], ib[32];

		snprintf(x->netns, sizeof(x->netns), "%s",
			 dropmon_ns_name(v, p->netns, nb, sizeof(nb)));
		if (p->ifindex)
			snprintf(x->ifname, sizeof(x->ifname), "%s",
				 dropmon_ifname(m, p->netns, p->ifindex, ib, sizeof(ib)));
		snprintf(x->reason, sizeof(x->reason), "%s", rn ? rn : "?");
		x->n = d->discards[i].n;
	}
	return 0;
}

void dg_verdict_free(struct dg_verdict_ctx *c)
{
	free(c->causes);
	free(c->discards);
	c->causes = NULL;
	c->discards = NULL;
	c->ndiscards = 0;
	c->ncauses = 0;
}

/* ---- per stream ---- */

struct stream_sum {
	uint64_t slow, explained, drops, rtx_client, rtx_server;
};

static int stream_of(const struct dg_data *d, const struct flow_id *f)
{
	for (size_t i = 0; i < d->nflows; i++)
		if (flow_same_addrs(&d->flows[i], f))
			return (int)i;
	return -1;
}

static struct stream_sum *streams_sum(const struct dg_verdict_ctx *c)
{
	const struct dg_data *d = c->d;
	struct stream_sum *s = calloc(d->nflows ? d->nflows : 1, sizeof(*s));

	if (!s)
		return NULL;
	for (size_t i = 0; i < d->nslow; i++) {
		uint32_t k = d->slow[i].stream;

		if (k >= d->nflows)
			continue;
		s[k].slow++;
		s[k].explained += c->o->rows[i].why != DG_WHY_NO_DROP;
	}
	for (size_t i = 0; i < d->ndrops; i++) {
		int k = c->o->workload[i] ? stream_of(d, &d->drops[i].flow) : -1;

		if (k >= 0)
			s[k].drops++;
	}
	for (size_t i = 0; i < d->nrtx; i++) {
		int k = c->o->rtx_end[i] != DG_END_NONE ? stream_of(d, &d->rtx[i].flow) : -1;

		if (k < 0)
			continue;
		if (c->o->rtx_end[i] == DG_END_CLIENT)
			s[k].rtx_client++;
		else
			s[k].rtx_server++;
	}
	return s;
}

/* ---- JSON ---- */

static void payload_json(struct json *j, const char *key, const uint64_t *by)
{
	json_obj_open(j, key);
	for (int q = 0; q < DG_NPAYLOAD; q++)
		json_u64(j, dg_payload_name[q], by[q]);
	json_obj_close(j);
}

static void causes_json(struct json *j, const struct dg_verdict_ctx *c)
{
	json_arr_open(j, "causes");
	for (size_t i = 0; i < c->ncauses; i++) {
		const struct dg_cause *k = &c->causes[i];

		json_obj_open(j, NULL);
		json_str(j, "netns", k->netns);
		json_str(j, "ifname", k->ifname);
		json_str(j, "kind", k->kind);
		json_str(j, "reason", k->reason);
		json_str(j, "site", k->site);
		json_u64(j, "drops", k->drops);
		json_u64(j, "workload_drops", k->workload_drops);
		json_u64(j, "slow_explained", k->slow_explained);
		payload_json(j, "by_payload", k->by_payload);
		if (k->counted) {
			json_obj_open(j, "counter");
			json_str(j, "name", k->counter);
			json_u64(j, "delta", k->counter_delta);
			json_obj_close(j);
		}
		json_str(j, "hint", k->hint);
		if (k->reader_pid) {
			json_obj_open(j, "reader");
			json_u64(j, "pid", (uint64_t)k->reader_pid);
			json_str(j, "comm", k->reader_comm);
			json_obj_close(j);
		} else {
			json_null(j, "reader");
		}
		json_obj_close(j);
	}
	json_arr_close(j);
}

/* -s: every row, so a test or a user can follow each one. */
static void rows_json(struct json *j, const struct dg_verdict_ctx *c)
{
	const struct dg_data *d = c->d;

	json_arr_open(j, "slow_rows");
	for (size_t i = 0; i < d->nslow; i++) {
		const struct dg_slow *s = &d->slow[i];
		const struct dg_row *row = &c->o->rows[i];

		json_obj_open(j, NULL);
		json_u64(j, "stream", s->stream);
		json_u64(j, "start_ns", s->start_ns);
		json_u64(j, "latency_us", (s->end_ns - s->start_ns) / 1000);
		if (s->seq_valid)
			json_u64(j, "req_seq", s->req_seq);
		json_str(j, "why", dg_why_name[row->why]);
		if (row->why <= DG_WHY_RESPONSE_DROPPED) {
			json_u64(j, "drops", row->drops);
			json_u64(j, "drop_t_ns", d->drops[row->drop].t_ns);
			json_u64(j, "drop_seq", d->drops[row->drop].seq);
		}
		json_obj_close(j);
	}
	json_arr_close(j);
	json_arr_open(j, "retrans_rows");
	for (size_t i = 0; i < d->nrtx; i++) {
		if (c->o->rtx_end[i] == DG_END_NONE)
			continue;
		json_obj_open(j, NULL);
		flow_json(j, &d->rtx[i].flow, NULL);
		json_str(j, "end", c->o->rtx_end[i] == DG_END_CLIENT ? "client" : "server");
		json_u64(j, "t_ns", d->rtx[i].t_ns);
		json_u64(j, "seq", d->rtx[i].seq);
		json_u64(j, "len", d->rtx[i].len);
		json_str(j, "why", dg_rtx_why_name[c->o->rtx_why[i]]);
		json_obj_close(j);
	}
	json_arr_close(j);
}

void dg_verdict_json(struct json *j, const struct dg_verdict_ctx *c)
{
	const struct dg_verdict *v = &c->o->v;
	struct stream_sum *s = streams_sum(c);

	json_bool(j, "interrupted", c->interrupted);
	json_obj_open(j, "slow");
	json_u64(j, "count", v->slow);
	json_u64(j, "explained", v->explained);
	json_u64(j, "unexplained", v->unexplained);
	json_double(j, "threshold_ms", c->threshold_ms, 1);
	json_obj_open(j, "by_cause");
	for (int w = 0; w < DG_NWHY; w++)
		json_u64(j, dg_why_name[w], v->by_why[w]);
	json_obj_close(j);
	json_obj_close(j);
	json_u64(j, "delay_only", v->by_why[DG_WHY_DELAY]);
	causes_json(j, c);
	payload_json(j, "drops_by_payload", v->by_payload);
	json_obj_open(j, "drops");
	json_u64(j, "workload", v->drops);
	json_u64(j, "explaining", v->drops_explaining);
	json_u64(j, "other_traffic", v->other_drops);
	json_u64(j, "not_kept", c->d->not_kept);
	json_u64(j, "tracer_lost", c->tracer_lost);
	json_u64(j, "filtered_out", c->filtered_out);
	json_obj_close(j);
	json_obj_open(j, "retrans");
	json_u64(j, "client", v->rtx_client);
	json_u64(j, "server", v->rtx_server);
	json_u64(j, "spurious", v->rtx_spurious);
	json_obj_open(j, "by_cause");
	for (int w = 0; w < DG_NRTX_WHY; w++)
		json_u64(j, dg_rtx_why_name[w], v->rtx_by_why[w]);
	json_obj_close(j);
	json_obj_close(j);
	json_arr_open(j, "discards");
	for (size_t i = 0; i < c->ndiscards; i++) {
		json_obj_open(j, NULL);
		json_str(j, "netns", c->discards[i].netns);
		json_str(j, "ifname", c->discards[i].ifname);
		json_str(j, "reason", c->discards[i].reason);
		json_u64(j, "count", c->discards[i].n);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_arr_open(j, "streams");
	for (size_t i = 0; s && i < c->d->nflows; i++) {
		json_obj_open(j, NULL);
		json_u64(j, "stream", i);
		flow_json(j, &c->d->flows[i], NULL);
		json_u64(j, "slow", s[i].slow);
		json_u64(j, "explained", s[i].explained);
		json_u64(j, "drops", s[i].drops);
		json_u64(j, "retrans_client", s[i].rtx_client);
		json_u64(j, "retrans_server", s[i].rtx_server);
		json_obj_close(j);
	}
	json_arr_close(j);
	if (c->detail)
		rows_json(j, c);
	free(s);
}

/* ---- text ---- */

static void payload_text(FILE *f, const uint64_t *by)
{
	bool any = false;

	for (int q = 0; q < DG_NPAYLOAD; q++) {
		if (!by[q])
			continue;
		fprintf(f, "%s%s %llu", any ? ", " : "", dg_payload_name[q],
			(unsigned long long)by[q]);
		any = true;
	}
	if (!any)
		fprintf(f, "none");
}

static void causes_text(FILE *f, const struct dg_verdict_ctx *c)
{
	const struct dg_verdict *v = &c->o->v;
	size_t shown = 0;

	for (size_t i = 0; i < c->ncauses; i++) {
		const struct dg_cause *k = &c->causes[i];

		if (!k->workload_drops && !k->slow_explained)
			continue;
		fprintf(f, "  %zu. %llu of %llu slow transactions: %s\n", ++shown,
			(unsigned long long)k->slow_explained, (unsigned long long)v->slow,
			k->hint);
		fprintf(f, "     %llu drops (", (unsigned long long)k->drops);
		payload_text(f, k->by_payload);
		fprintf(f, ")");
		if (k->counted)
			fprintf(f, "; its %s counter: %llu", k->counter,
				(unsigned long long)k->counter_delta);
		fprintf(f, "\n");
	}
	if (!shown)
		fprintf(f, "  no drop of the workload's packets anywhere\n");
}

void dg_verdict_text(FILE *f, const struct dg_verdict_ctx *c, int detail)
{
	const struct dg_verdict *v = &c->o->v;
	struct stream_sum *s;

	fprintf(f, "\nVerdict%s: ", c->interrupted ? " (interrupted: partial)" : "");
	if (!v->slow && !v->drops)
		fprintf(f, "no loss: no transaction took %.0f ms or more, nothing of the "
			   "workload was dropped\n", c->threshold_ms);
	else if (!v->slow)
		fprintf(f, "no transaction took %.0f ms or more, but %llu of the workload's "
			   "packets were dropped\n", c->threshold_ms,
			(unsigned long long)v->drops);
	else
		fprintf(f, "%llu of %llu slow transactions (>= %.0f ms) explained by drops, "
			   "%llu by delay alone, %llu unexplained\n",
			(unsigned long long)(v->explained - v->by_why[DG_WHY_DELAY]),
			(unsigned long long)v->slow, c->threshold_ms,
			(unsigned long long)v->by_why[DG_WHY_DELAY],
			(unsigned long long)v->unexplained);
	causes_text(f, c);
	fprintf(f, "\nSlow transactions by cause:");
	for (int w = 0; w < DG_NWHY; w++)
		fprintf(f, "%s %s %llu", w ? "," : "", why_label[w],
			(unsigned long long)v->by_why[w]);
	fprintf(f, "\nDrops of the workload by what they carried: ");
	payload_text(f, v->by_payload);
	fprintf(f, " (%llu in all; %llu of other traffic)\n", (unsigned long long)v->drops,
		(unsigned long long)v->other_drops);
	fprintf(f, "Retransmissions: client %llu, server %llu; by cause:",
		(unsigned long long)v->rtx_client, (unsigned long long)v->rtx_server);
	for (int w = 0; w < DG_NRTX_WHY; w++)
		fprintf(f, "%s %s %llu", w ? "," : "", rtx_label[w],
			(unsigned long long)v->rtx_by_why[w]);
	fprintf(f, " (spurious %llu)\n", (unsigned long long)v->rtx_spurious);
	for (size_t i = 0; i < c->ndiscards; i++)
		fprintf(f, "%s %s %llu in netns %s%s%s", i ? "," : "Freed, not lost (copies already received, queues of closing sockets):",
			c->discards[i].reason, (unsigned long long)c->discards[i].n,
			c->discards[i].netns, c->discards[i].ifname[0] ? " at " : "",
			c->discards[i].ifname);
	if (c->ndiscards)
		fprintf(f, "\n");
	if (c->d->not_kept)
		fprintf(f, "Not kept (memory bound): %llu events\n",
			(unsigned long long)c->d->not_kept);
	if (c->tracer_lost)
		fprintf(f, "Lost by the tracer (its ring was full; --ring-mb): %llu events: "
			"the drop counts are a floor\n", (unsigned long long)c->tracer_lost);
	s = streams_sum(c);
	if (s && (detail || v->slow)) {
		fprintf(f, "\n%-7s %-44s %6s %9s %6s %9s %9s\n", "stream", "flow", "slow",
			"explained", "drops", "rtx_cli", "rtx_srv");
		for (size_t i = 0; i < c->d->nflows; i++) {
			char fb[128];

			if (!detail && !s[i].slow && !s[i].drops)
				continue;
			fprintf(f, "%-7zu %-44s %6llu %9llu %6llu %9llu %9llu\n", i,
				flow_str(&c->d->flows[i], fb, sizeof(fb)),
				(unsigned long long)s[i].slow, (unsigned long long)s[i].explained,
				(unsigned long long)s[i].drops, (unsigned long long)s[i].rtx_client,
				(unsigned long long)s[i].rtx_server);
		}
	}
	free(s);
}
