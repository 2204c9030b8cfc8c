// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flow.h"
#include "human.h"
#include "inventory_report.h"

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void json_inv_counts(struct json *j, const struct inv_counts *c)
{
	json_u64(j, "packets", c->packets);
	json_u64(j, "flows", c->flows);
	json_u64(j, "data_segs", c->data_segs);
	json_u64(j, "data_bytes", c->data_bytes);
	json_u64(j, "retrans_segs", c->retrans_segs);
	json_u64(j, "retrans_bytes", c->retrans_bytes);
	json_double(j, "retrans_pct", pct(c->retrans_bytes, c->data_bytes), 3);
}

/* "198.18.10.0/24", "2001:db8::/64", or the port. */
static const char *row_name(const struct inv_row *r, char *buf, size_t len)
{
	size_t n;

	if (!r->family) {
		snprintf(buf, len, "%u", (unsigned int)r->key[0] << 8 | r->key[1]);
		return buf;
	}
	addr_str(r->family == 6 ? AF_INET6 : AF_INET, r->key, buf, len);
	n = strlen(buf);
	snprintf(buf + n, len - n, "/%u", r->plen);
	return buf;
}

static void json_table(struct json *j, const char *key, const char *name,
		       const struct inv_table *t)
{
	const struct inv_row **rows = malloc((t->n ? t->n : 1) * sizeof(*rows));
	char buf[INET6_ADDRSTRLEN + 8];
	size_t n = rows ? inventory_sorted(t, rows) : 0;

	json_arr_open(j, key);
	for (size_t i = 0; i < n; i++) {
		json_obj_open(j, NULL);
		if (rows[i]->family)
			json_str(j, name, row_name(rows[i], buf, sizeof(buf)));
		else
			json_u64(j, name, (unsigned int)rows[i]->key[0] << 8 | rows[i]->key[1]);
		json_inv_counts(j, &rows[i]->c);
		json_obj_close(j);
	}
	json_arr_close(j);
	free(rows);
}

static void json_dscp_rtt(struct json *j, const struct hist *h)
{
	json_obj_open(j, "rtt_us");
	if (h && h->count) {
		json_u64(j, "samples", h->count);
		json_double(j, "p50", hist_percentile(h, 50) / 1e3, 1);
		json_double(j, "p99", hist_percentile(h, 99) / 1e3, 1);
		json_double(j, "max", h->max / 1e3, 1);
	}
	json_obj_close(j);
}

void inventory_report_json(struct json *j, const struct inventory *inv)
{
	json_obj_open(j, "inventory");
	json_u64(j, "v4_prefix", (uint64_t)inv->v4len);
	json_u64(j, "v6_prefix", (uint64_t)inv->v6len);
	json_u64(j, "max_rows", INV_MAX_ROWS);
	json_arr_open(j, "by_dscp");
	for (unsigned int d = 0; d < INV_NDSCP; d++) {
		const char *nm = dscp_name(d);

		if (!inv->dscp[d].packets)
			continue;
		json_obj_open(j, NULL);
		json_u64(j, "dscp", d);
		if (nm)
			json_str(j, "name", nm);
		else
			json_null(j, "name");
		json_inv_counts(j, &inv->dscp[d]);
		json_dscp_rtt(j, inv->rtt[d]);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_table(j, "by_subnet", "subnet", &inv->net);
	json_obj_open(j, "by_subnet_other");
	json_inv_counts(j, &inv->net.other);
	json_obj_close(j);
	json_table(j, "by_port", "port", &inv->port);
	json_obj_open(j, "by_port_other");
	json_inv_counts(j, &inv->port.other);
	json_obj_close(j);
	json_obj_close(j);
}

static void text_row(FILE *f, const char *name, const struct inv_counts *c, const char *tail)
{
	char p[32], fl[32], b[32], rb[32];

	fprintf(f, "  %-24s %12s %8s %16s %14s %8.3f%%%s\n", name,
		human_count(p, sizeof(p), c->packets), human_count(fl, sizeof(fl), c->flows),
		human_count(b, sizeof(b), c->data_bytes),
		human_count(rb, sizeof(rb), c->retrans_bytes), pct(c->retrans_bytes, c->data_bytes),
		tail ? tail : "");
}

static void text_head(FILE *f, const char *what, const char *extra)
{
	fprintf(f, "\n  %-24s %12s %8s %16s %14s %9s%s\n", what, "packets", "flows", "data bytes",
		"retrans bytes", "retrans", extra);
}

static void text_table(FILE *f, const char *what, const struct inv_table *t, size_t top)
{
	const struct inv_row **rows = malloc((t->n ? t->n : 1) * sizeof(*rows));
	char buf[INET6_ADDRSTRLEN + 8], tail[64];
	size_t n = rows ? inventory_sorted(t, rows) : 0;
	struct inv_counts rest = { 0 };

	text_head(f, what, "");
	for (size_t i = 0; i < n; i++) {
		const struct inv_counts *c = &rows[i]->c;

		if (top && i >= top) {
			rest.packets += c->packets;
			rest.flows += c->flows;
			rest.data_segs += c->data_segs;
			rest.data_bytes += c->data_bytes;
			rest.retrans_segs += c->retrans_segs;
			rest.retrans_bytes += c->retrans_bytes;
			continue;
		}
		text_row(f, row_name(rows[i], buf, sizeof(buf)), c, NULL);
	}
	if (top && n > top) {
		snprintf(tail, sizeof(tail), "  (%zu more; -s lists them)", n - top);
		text_row(f, "the rest", &rest, tail);
	}
	if (t->other.packets) {
		snprintf(tail, sizeof(tail), "  (keys beyond the first %d)", INV_MAX_ROWS);
		text_row(f, "other", &t->other, tail);
	}
	free(rows);
}

void inventory_report_text(FILE *f, const struct inventory *inv, size_t top)
{
	char what[48], n1[32], n2[32], tail[64];

	fprintf(f, "\ninventory (TCP payload bytes; flows: directions for DSCP and subnet, "
		"connections for port):\n");
	text_head(f, "DSCP", "  RTT p50 / p99");
	for (unsigned int d = 0; d < INV_NDSCP; d++) {
		const struct hist *h = inv->rtt[d];

		if (!inv->dscp[d].packets)
			continue;
		snprintf(what, sizeof(what), "%u %s", d, dscp_name(d) ? dscp_name(d) : "");
		tail[0] = 0;
		if (h && h->count)
			snprintf(tail, sizeof(tail), "  %s / %s",
				 human_ns(n1, sizeof(n1), hist_percentile(h, 50)),
				 human_ns(n2, sizeof(n2), hist_percentile(h, 99)));
		text_row(f, what, &inv->dscp[d], tail);
	}
	snprintf(what, sizeof(what), "source /%d (IPv6 /%d)", inv->v4len, inv->v6len);
	text_table(f, what, &inv->net, top);
	text_table(f, "server port", &inv->port, top);
}

static void json_dir_pairs(struct json *j, const struct dscpmatch *m, int dir)
{
	json_arr_open(j, dm_dir_name[dir]);
	for (unsigned int s = 0; s < DM_NDSCP; s++) {
		unsigned int to = s;
		enum dm_verdict v = dscpmatch_verdict(m, dir, s, &to);

		if (v == DM_NONE)
			continue;
		json_obj_open(j, NULL);
		json_u64(j, "sent_dscp", s);
		json_u64(j, "matched", dscpmatch_sent(m, dir, s));
		json_str(j, "verdict", dm_verdict_name[v]);
		if (v != DM_MIXED)
			json_u64(j, "arrived_dscp", to);
		json_obj_open(j, "arrived");
		for (unsigned int a = 0; a < DM_NDSCP; a++) {
			char k[8];

			if (!m->pairs[dir][s][a])
				continue;
			snprintf(k, sizeof(k), "%u", a);
			json_u64(j, k, m->pairs[dir][s][a]);
		}
		json_obj_close(j);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void json_by_dscp(struct json *j, const char *key, const uint64_t *v)
{
	json_obj_open(j, key);
	for (unsigned int d = 0; d < DM_NDSCP; d++) {
		char k[8];

		if (!v[d])
			continue;
		snprintf(k, sizeof(k), "%u", d);
		json_u64(j, k, v[d]);
	}
	json_obj_close(j);
}

static uint64_t sum64(const uint64_t *v)
{
	uint64_t n = 0;

	for (int d = 0; d < DM_NDSCP; d++)
		n += v[d];
	return n;
}

void dscpmatch_report_json(struct json *j, const struct dscpmatch *m, const char *far)
{
	json_obj_open(j, "dscp_check");
	json_str(j, "far", far);
	json_u64(j, "far_pkts", m->far_pkts + m->far_over_cap);
	json_u64(j, "far_over_cap", m->far_over_cap);
	json_u64(j, "near_pkts", m->near_pkts);
	json_u64(j, "matched", m->near_pkts - sum64(m->near_unmatched));
	json_u64(j, "near_unmatched", sum64(m->near_unmatched));
	json_u64(j, "far_unmatched", sum64(m->far_unmatched));
	json_by_dscp(j, "near_unmatched_by_dscp", m->near_unmatched);
	json_by_dscp(j, "far_unmatched_by_dscp", m->far_unmatched);
	for (int d = 0; d < DM_NDIRS; d++)
		json_dir_pairs(j, m, d);
	json_obj_close(j);
}

static void text_dir(FILE *f, const struct dscpmatch *m, int dir)
{
	char n1[32];

	fprintf(f, "  %s:\n", dir == DM_NEAR_TO_FAR ? "sent at near, arrived at far"
						    : "sent at far, arrived at near");
	for (unsigned int s = 0; s < DM_NDSCP; s++) {
		unsigned int to = s;
		enum dm_verdict v = dscpmatch_verdict(m, dir, s, &to);

		if (v == DM_NONE)
			continue;
		fprintf(f, "    dscp %2u %-5s %12s matched  %s", s, dscp_name(s) ? dscp_name(s) : "",
			human_count(n1, sizeof(n1), dscpmatch_sent(m, dir, s)), dm_verdict_name[v]);
		if (v == DM_BLEACHED || v == DM_REWRITTEN)
			fprintf(f, " to %u%s%s", to, dscp_name(to) ? " " : "",
				dscp_name(to) ? dscp_name(to) : "");
		if (v == DM_MIXED) {
			fprintf(f, ":");
			for (unsigned int a = 0; a < DM_NDSCP; a++)
				if (m->pairs[dir][s][a])
					fprintf(f, " %u x%llu", a,
						(unsigned long long)m->pairs[dir][s][a]);
		}
		fprintf(f, "\n");
	}
}

void dscpmatch_report_text(FILE *f, const struct dscpmatch *m, const char *far)
{
	char n1[32], n2[32], n3[32];

	fprintf(f, "\nDSCP check against %s: %s near packets matched, %s unmatched (lost or "
		"not captured there), %s far packets unmatched\n", far,
		human_count(n1, sizeof(n1), m->near_pkts - sum64(m->near_unmatched)),
		human_count(n2, sizeof(n2), sum64(m->near_unmatched)),
		human_count(n3, sizeof(n3), sum64(m->far_unmatched)));
	if (m->far_over_cap)
		fprintf(f, "  far packets beyond --far-max, not matched: %llu\n",
			(unsigned long long)m->far_over_cap);
	for (int d = 0; d < DM_NDIRS; d++)
		text_dir(f, m, d);
}
