// SPDX-License-Identifier: GPL-2.0
/* The path monitor's outputs: one place for its JSON keys and its text. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>

#include "flow.h"
#include "monitor_report.h"
#include "svg.h"

/* A side's prefixes, joined by ','. */
static const char *side_str(char *buf, size_t n, const struct mon_pfx *v, int nv)
{
	char addr[INET6_ADDRSTRLEN];
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < nv && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s/%d", i ? "," : "",
					addr_str(v[i].family == 4 ? AF_INET : AF_INET6, v[i].addr,
						 addr, sizeof(addr)),
					v[i].len);
	return buf;
}

static void limit_json(struct json *j, const struct mon_window *w, uint64_t first_ns)
{
	if (!w->limit_bps) {
		json_null(j, "limit_bps");
		return;
	}
	json_u64(j, "limit_bps", w->limit_bps);
	json_u64(j, "limit_min_bps", w->limit_min_bps);
	json_u64(j, "limit_max_bps", w->limit_max_bps);
	json_double(j, "limit_window_t_s",
		    (double)(w->limit_start_ns - (first_ns < w->limit_start_ns ? first_ns : w->limit_start_ns)) / 1e9, 3);
}

void monitor_window_json(struct ev_out *o, int64_t t_ns, const struct monitor *m,
			 const struct mon_window *w)
{
	struct json *j = ev_begin(o, "monitor_window", t_ns);

	json_str(j, "path", m->path[w->path].name);
	json_double(j, "t_s", (double)(w->start_ns - m->first_ns) / 1e9, 3);
	json_double(j, "window_s", (double)w->len_ns / 1e9, 3);
	json_u64(j, "offered_bps", w->offered_bps);
	json_u64(j, "delivered_bps", w->delivered_bps);
	json_str(j, "delivered_from", w->delivered_from_acks ? "acks" : "data");
	json_u64(j, "down_rtx_bps", w->down_rtx_bps);
	json_u64(j, "down_rtx_segs", w->down_rtx_segs);
	json_u64(j, "retrans_segs", w->rtx_segs);
	json_double(j, "loss_share", w->loss_share, 4);
	json_u64(j, "spurious_segs", w->spurious_segs);
	json_double(j, "spurious_share", w->spurious_share, 4);
	if (w->rtt_us) {
		json_u64(j, "rtt_us", w->rtt_us);
		json_u64(j, "rtt_min_us", w->rtt_min_us);
		json_u64(j, "rtt_add_us", w->rtt_add_us);
	} else {
		json_null(j, "rtt_us");
	}
	json_u64(j, "our_drops", w->our_drops);
	json_str(j, "verdict", mon_verdict_name[w->verdict]);
	limit_json(j, w, m->first_ns);
	json_str(j, "path_type", mon_type_name[w->type]);
	ev_end(o);
}

void monitor_report_json(struct json *j, const struct monitor *m)
{
	char buf[512];

	json_obj_open(j, "monitor");
	json_double(j, "window_s", (double)m->o.window_ns / 1e9, 3);
	json_arr_open(j, "paths");
	for (uint32_t i = 0; i < m->npaths; i++) {
		const struct mon_path *p = &m->path[i];

		json_obj_open(j, NULL);
		json_str(j, "name", p->name);
		json_str(j, "src", side_str(buf, sizeof(buf), p->src, p->nsrc));
		json_str(j, "dst", side_str(buf, sizeof(buf), p->dst, p->ndst));
		if (p->dscp != MON_ANY)
			json_u64(j, "dscp", (uint64_t)p->dscp);
		if (p->port != MON_ANY)
			json_u64(j, "port", (uint64_t)p->port);
		json_u64(j, "windows", p->windows);
		json_obj_open(j, "verdicts");
		for (int v = 0; v < MON_NVERDICTS; v++)
			json_u64(j, mon_verdict_name[v], p->by_verdict[v]);
		json_obj_close(j);
		json_str(j, "verdict", p->windows ? mon_verdict_name[p->last.verdict] : "unknown");
		limit_json(j, &p->last, m->first_ns);
		json_str(j, "path_type", mon_type_name[monitor_path_type(p)]);
		json_u64(j, "down_rtx_segs", p->down_segs);
		json_u64(j, "our_drops", p->our_drops);
		json_str(j, "loss_owner", !p->down_segs && !p->our_drops ? "none"
					  : p->our_drops >= p->down_segs ? "ours" : "provider");
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}

#define PLOT_COLS 50

static void plot(FILE *f, const struct monitor *m, uint32_t path, const struct mon_window *w,
		 size_t nw)
{
	uint64_t max = 1;

	for (size_t i = 0; i < nw; i++) {
		if (w[i].path != path)
			continue;
		max = w[i].offered_bps > max ? w[i].offered_bps : max;
		max = w[i].limit_bps > max ? w[i].limit_bps : max;
	}
	fprintf(f, "  %8s  %-*s  %s\n", "t", PLOT_COLS, "delivered # offered + limit |", "Mbit/s");
	for (size_t i = 0; i < nw; i++) {
		char row[PLOT_COLS + 1];
		int d, o, l;

		if (w[i].path != path)
			continue;
		memset(row, ' ', PLOT_COLS);
		row[PLOT_COLS] = 0;
		d = (int)(w[i].delivered_bps * (PLOT_COLS - 1) / max);
		o = (int)(w[i].offered_bps * (PLOT_COLS - 1) / max);
		l = (int)(w[i].limit_bps * (PLOT_COLS - 1) / max);
		for (int c = 0; c <= d && c < PLOT_COLS; c++)
			row[c] = '#';
		if (o > d)
			row[o] = '+';
		if (w[i].limit_bps)
			row[l] = '|';
		fprintf(f, "  %7.2fs  %s  %6.1f %6.1f %-11s\n",
			(double)(w[i].start_ns - m->first_ns) / 1e9, row, w[i].delivered_bps / 1e6,
			w[i].limit_bps / 1e6, mon_verdict_name[w[i].verdict]);
	}
}

void monitor_report_text(FILE *f, const struct monitor *m, const struct mon_window *w,
			 size_t nw)
{
	char b1[512], b2[512], cls[48];

	for (uint32_t i = 0; i < m->npaths; i++) {
		const struct mon_path *p = &m->path[i];

		cls[0] = 0;
		if (p->dscp != MON_ANY)
			snprintf(cls, sizeof(cls), " dscp %d", p->dscp);
		if (p->port != MON_ANY)
			snprintf(cls + strlen(cls), sizeof(cls) - strlen(cls), " port %d", p->port);
		fprintf(f, "\nmonitor %s: %s -> %s%s, %llu windows of %.3g s: under %llu at %llu over %llu\n",
			p->name, side_str(b1, sizeof(b1), p->src, p->nsrc),
			side_str(b2, sizeof(b2), p->dst, p->ndst), cls,
			(unsigned long long)p->windows, (double)m->o.window_ns / 1e9,
			(unsigned long long)p->by_verdict[MON_UNDER],
			(unsigned long long)p->by_verdict[MON_AT],
			(unsigned long long)p->by_verdict[MON_OVER]);
		if (p->last.limit_bps)
			fprintf(f, "  limit %.2f Mbit/s (min %.2f max %.2f), type %s\n",
				p->last.limit_bps / 1e6, p->last.limit_min_bps / 1e6,
				p->last.limit_max_bps / 1e6, mon_type_name[monitor_path_type(p)]);
		else
			fprintf(f, "  limit unknown (no loss episode)\n");
		fprintf(f, "  lost downstream %llu segments, our qdisc dropped %llu\n",
			(unsigned long long)p->down_segs, (unsigned long long)p->our_drops);
		plot(f, m, i, w, nw);
	}
}

#define SVG_W 640
#define SVG_H 220
#define SVG_X0 50
#define SVG_Y0 20

static double svg_y(uint64_t v, uint64_t max)
{
	return SVG_Y0 + (SVG_H - 60) * (1 - (double)v / (double)max);
}

/* One path's series as line segments: delivered (blue), offered (grey), limit (red). */
static void svg_series(FILE *f, const struct mon_window *w, size_t nw, uint32_t path,
		       uint64_t t0, uint64_t t1, uint64_t max)
{
	static const char *const attr[3] = { "stroke=\"#1f5fbf\" stroke-width=\"2\"",
					     "stroke=\"#999\"", "stroke=\"#c00\" stroke-width=\"2\"" };
	double span = t1 > t0 ? (double)(t1 - t0) : 1;
	const struct mon_window *prev = NULL;

	for (size_t i = 0; i < nw; i++) {
		double x0, x1;

		if (w[i].path != path)
			continue;
		x1 = SVG_X0 + (SVG_W - SVG_X0 - 10) * (double)(w[i].start_ns - t0) / span;
		if (prev) {
			uint64_t a[3] = { prev->delivered_bps, prev->offered_bps, prev->limit_bps };
			uint64_t b[3] = { w[i].delivered_bps, w[i].offered_bps, w[i].limit_bps };

			x0 = SVG_X0 + (SVG_W - SVG_X0 - 10) * (double)(prev->start_ns - t0) / span;
			for (int k = 0; k < 3; k++)
				if (k != 2 || (a[k] && b[k]))
					svg_line(f, x0, svg_y(a[k], max), x1, svg_y(b[k], max), attr[k]);
		}
		prev = &w[i];
	}
}

int monitor_write_svg(FILE *f, const struct monitor *m, const struct mon_window *w, size_t nw,
		      uint32_t path)
{
	uint64_t max = 1, t0 = UINT64_MAX, t1 = 0;
	char buf[96];

	for (size_t i = 0; i < nw; i++) {
		if (w[i].path != path)
			continue;
		max = w[i].offered_bps > max ? w[i].offered_bps : max;
		max = w[i].limit_bps > max ? w[i].limit_bps : max;
		t0 = w[i].start_ns < t0 ? w[i].start_ns : t0;
		t1 = w[i].start_ns > t1 ? w[i].start_ns : t1;
	}
	if (t0 == UINT64_MAX)
		t0 = 0;
	svg_open(f, SVG_W, SVG_H);
	snprintf(buf, sizeof(buf), "monitor %s: delivered (blue), offered (grey), limit (red)",
		 m->path[path].name);
	svg_text(f, SVG_X0, 14, "");
	svg_puts(f, buf);
	fputs("</text>\n", f);
	svg_line(f, SVG_X0, SVG_Y0, SVG_X0, SVG_H - 40, "stroke=\"#000\"");
	svg_line(f, SVG_X0, SVG_H - 40, SVG_W - 10, SVG_H - 40, "stroke=\"#000\"");
	snprintf(buf, sizeof(buf), "%.1f Mbit/s", (double)max / 1e6);
	svg_text(f, 2, SVG_Y0 + 4, "");
	svg_puts(f, buf);
	fputs("</text>\n", f);
	snprintf(buf, sizeof(buf), "0 .. %.1f s (window starts)", (double)(t1 - t0) / 1e9);
	svg_text(f, SVG_X0, SVG_H - 24, "");
	svg_puts(f, buf);
	fputs("</text>\n", f);
	svg_series(f, w, nw, path, t0, t1, max);
	return svg_close(f);
}
