// SPDX-License-Identifier: GPL-2.0
/*
 * The timeline SVG: lanes of ticks and bars over seconds since the start,
 * in hist_plot's look (svg.c's primitives, its fonts, greys and blue).
 * Events are first binned into one-pixel columns per lane, kind and class,
 * so 100,000 events cost what 100 do: the output grows with the lanes and
 * the columns, never with the events.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "human.h"
#include "svg.h"
#include "timeline_plot.h"

#define TL_W		900
#define TL_L		190	/* lane labels */
#define TL_R		70	/* lane counts */
#define TL_T		62	/* title and legend */
#define TL_B		50	/* tick labels and the axis title */
#define TL_PW		(TL_W - TL_L - TL_R)	/* columns, one pixel each */
#define TL_LANE_H	26
#define TL_TICK_H	20	/* a point: most of the lane's height */
#define TL_BAR_H	10	/* a span: the lane's middle */
#define TL_LABEL_MAX	30	/* characters of a lane label before "…" */
#define TL_MAX_TICKS	10

static const struct {
	const char *colour, *label;
} cls_style[TL_NCLS] = {
	[TL_DROP] = { "#2e86c1", "drop" },
	[TL_LAT_FAST] = { "#aab7b8", "< 200 ms" },
	[TL_LAT_200] = { "#f5b041", "≥ 200 ms" },
	[TL_LAT_400] = { "#e67e22", "≥ 400 ms" },
	[TL_LAT_800] = { "#c0392b", "≥ 800 ms" },
};

enum { K_BAR, K_TICK, NKIND };

/* Per lane: the events binned, and what each column shows. */
struct tl_lane_bins {
	int32_t cover[TL_NCLS][TL_PW + 1];	/* bars: +1 at start, -1 after end */
	uint32_t ticks[TL_NCLS][TL_PW];
	uint8_t top[NKIND][TL_PW];		/* 0: empty, else class + 1 */
	uint64_t n[NKIND][TL_NCLS];
	uint64_t total;
};

uint8_t tl_latency_class(uint64_t latency_ns)
{
	if (latency_ns >= 800 * NSEC_PER_MSEC)
		return TL_LAT_800;
	if (latency_ns >= 400 * NSEC_PER_MSEC)
		return TL_LAT_400;
	if (latency_ns >= 200 * NSEC_PER_MSEC)
		return TL_LAT_200;
	return TL_LAT_FAST;
}

static int check_args(uint64_t t0, uint64_t t1, const struct tl_lane *lanes, size_t nlanes,
		      const struct tl_event *ev, size_t nev)
{
	size_t i;

	if (t1 < t0 || (nlanes && !lanes) || (nev && !ev))
		return -EINVAL;
	for (i = 0; i < nev; i++)
		if (ev[i].lane >= nlanes || ev[i].end_ns < ev[i].start_ns ||
		    ev[i].cls >= TL_NCLS)
			return -EINVAL;
	return 0;
}

/* The column of @t, which lies in [t0, t0 + span]. */
static int column(uint64_t t0, uint64_t span, uint64_t t)
{
	int c = (int)((double)(t - t0) / (double)span * TL_PW);

	return c < TL_PW ? c : TL_PW - 1;
}

static void bin_event(struct tl_lane_bins *b, uint64_t t0, uint64_t span,
		      const struct tl_event *e)
{
	uint64_t t1 = t0 + span, s, x;

	if (e->end_ns < t0 || e->start_ns > t1)
		return;		/* outside the run */
	s = e->start_ns > t0 ? e->start_ns : t0;
	x = e->end_ns < t1 ? e->end_ns : t1;
	b->total++;
	if (e->start_ns == e->end_ns) {
		b->ticks[e->cls][column(t0, span, s)]++;
		b->n[K_TICK][e->cls]++;
	} else {
		b->cover[e->cls][column(t0, span, s)]++;
		b->cover[e->cls][column(t0, span, x) + 1]--;
		b->n[K_BAR][e->cls]++;
	}
}

/* Each column's highest class of bars and of ticks. */
static void bin_tops(struct tl_lane_bins *b)
{
	int32_t run[TL_NCLS] = { 0 };
	int c, k;

	for (c = 0; c < TL_PW; c++)
		for (k = 0; k < TL_NCLS; k++) {
			run[k] += b->cover[k][c];
			if (run[k] > 0)
				b->top[K_BAR][c] = (uint8_t)(k + 1);
			if (b->ticks[k][c])
				b->top[K_TICK][c] = (uint8_t)(k + 1);
		}
}

/* A lane label at @y, cut after TL_LABEL_MAX characters (not bytes) with "…" and a tooltip. */
static void lane_label(FILE *f, const char *s, double y)
{
	char cut[4 * TL_LABEL_MAX + 4];
	size_t i = 0, chars = 0;

	svg_text(f, TL_L - 8, y, "text-anchor=\"end\"");
	while (s[i] && chars < TL_LABEL_MAX) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;	/* continuation bytes stay with their character */
		chars++;
	}
	if (!s[i]) {
		svg_puts(f, s);
	} else {
		snprintf(cut, sizeof(cut), "%.*s…", (int)i, s);
		svg_puts(f, cut);
		fputs("<title>", f);
		svg_puts(f, s);
		fputs("</title>", f);
	}
	fputs("</text>\n", f);
}

/* "1.25" for @ns with @dec decimals, in integers: no locale, no rounding. */
static void fmt_secs(char *buf, size_t len, uint64_t ns, int dec)
{
	uint64_t sec = ns / NSEC_PER_SEC, frac = ns % NSEC_PER_SEC;
	int d;

	if (!dec) {
		snprintf(buf, len, "%" PRIu64, sec);
		return;
	}
	for (d = 9; d > dec; d--)
		frac /= 10;
	snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, sec, dec, frac);
}

/* A 1-2-5 step for at most TL_MAX_TICKS intervals; *@dec: decimals its labels need. */
static uint64_t tick_step(uint64_t span, int *dec)
{
	static const unsigned int m[] = { 1, 2, 5 };
	uint64_t p = 1;
	int k = 0, i;

	for (;; p *= 10, k++)
		for (i = 0; i < 3; i++)
			if (span / (m[i] * p) <= TL_MAX_TICKS || k >= 18) {
				*dec = k >= 9 ? 0 : 9 - k;
				return m[i] * p;
			}
}

static void axis(FILE *f, size_t nrows, uint64_t span)
{
	int y0 = TL_T, y1 = TL_T + (int)nrows * TL_LANE_H, dec;
	uint64_t step = tick_step(span, &dec), t;
	char lbl[32], col[24];

	for (t = 0; t <= span; t += step) {
		double x = TL_L + (double)t / (double)span * TL_PW;

		fmt_secs(lbl, sizeof(lbl), t, dec);
		svg_line(f, x, y0, x, y1 + 5, "stroke=\"#ddd\"");
		svg_text(f, x, y1 + 18, "text-anchor=\"middle\"");
		fprintf(f, "%s</text>\n", lbl);
		if (t > UINT64_MAX - step)
			break;
	}
	fprintf(f, "<path d=\"M%d %dV%dH%d\" fill=\"none\" stroke=\"#333\"/>\n", TL_L, y0, y1,
		TL_L + TL_PW);
	human_ns(col, sizeof(col), span / TL_PW ? span / TL_PW : 1);
	svg_text(f, TL_L + TL_PW / 2, y1 + 40, "text-anchor=\"middle\" font-size=\"13\"");
	fprintf(f, "seconds since start (1 px = %s)</text>\n", col);
}

/* The runs of one lane, kind and class as one path: its columns' rectangles. */
static void lane_path(FILE *f, const struct tl_lane_bins *b, const char *label, int kind,
		      int cls, int y)
{
	int h = kind == K_TICK ? TL_TICK_H : TL_BAR_H, c = 0, c0;

	if (!b->n[kind][cls])
		return;
	y += (TL_LANE_H - h) / 2;
	fprintf(f, "<path fill=\"%s\" d=\"", cls_style[cls].colour);
	while (c < TL_PW) {
		if (b->top[kind][c] != cls + 1) {
			c++;
			continue;
		}
		for (c0 = c; c < TL_PW && b->top[kind][c] == cls + 1; c++)
			;
		fprintf(f, "M%d %dh%dv%dh-%dz", TL_L + c0, y, c - c0, h, c - c0);
	}
	/* a class hidden under a higher one everywhere still gets its title */
	fputs("\"><title>", f);
	if (label) {
		svg_puts(f, label);
		fputs(": ", f);
	}
	fprintf(f, "%" PRIu64 ", ", b->n[kind][cls]);
	svg_puts(f, cls_style[cls].label);
	fputs("</title></path>\n", f);
}

static void lane_draw(FILE *f, const struct tl_lane_bins *b, const struct tl_lane *lane,
		      size_t i)
{
	int y = TL_T + (int)i * TL_LANE_H, k, c;
	char num[32];

	if (i % 2)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f6f7\"/>\n",
			TL_L, y, TL_PW, TL_LANE_H);
	if (lane->label)
		lane_label(f, lane->label, y + TL_LANE_H / 2 + 4);
	for (k = 0; k < NKIND; k++)
		for (c = 0; c < TL_NCLS; c++)
			lane_path(f, b, lane->label, k, c, y);
	svg_text(f, TL_L + TL_PW + 8, y + TL_LANE_H / 2 + 4, "");
	fprintf(f, "%s</text>\n", human_count(num, sizeof(num), b->total));
}

/* One entry per class that occurs, drawn as it is drawn in the lanes. */
static void legend(FILE *f, const struct tl_lane_bins *b, size_t nlanes)
{
	int x = TL_L, c, bar;
	size_t i;

	for (c = 0; c < TL_NCLS; c++) {
		uint64_t nb = 0, nt = 0;

		for (i = 0; i < nlanes; i++) {
			nb += b[i].n[K_BAR][c];
			nt += b[i].n[K_TICK][c];
		}
		if (!nb && !nt)
			continue;
		bar = nb >= nt;
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
			bar ? x : x + 5, bar ? 41 : 37, bar ? 14 : 3, bar ? 8 : 16,
			cls_style[c].colour);
		svg_text(f, x + 19, 49, "");
		svg_puts(f, cls_style[c].label);
		fputs("</text>\n", f);
		x += 100;
	}
}

int timeline_write_svg(FILE *f, const char *title, uint64_t t0_ns, uint64_t t1_ns,
		       const struct tl_lane *lanes, size_t nlanes,
		       const struct tl_event *ev, size_t nev)
{
	uint64_t span = t1_ns > t0_ns ? t1_ns - t0_ns : NSEC_PER_SEC, shown = 0;
	size_t nrows = nlanes ? nlanes : 1, i;
	struct tl_lane_bins *b;
	int ret;

	ret = check_args(t0_ns, t1_ns, lanes, nlanes, ev, nev);
	if (ret)
		return ret;
	b = calloc(nrows, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (i = 0; i < nev; i++)
		bin_event(&b[ev[i].lane], t0_ns, span, &ev[i]);
	for (i = 0; i < nlanes; i++) {
		bin_tops(&b[i]);
		shown += b[i].total;
	}

	svg_open(f, TL_W, TL_T + (int)nrows * TL_LANE_H + TL_B);
	if (title) {
		svg_text(f, TL_W / 2, 24,
			 "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"");
		svg_puts(f, title);
		fputs("</text>\n", f);
	}
	legend(f, b, nlanes);
	for (i = 0; i < nlanes; i++)
		lane_draw(f, &b[i], &lanes[i], i);
	axis(f, nrows, span);
	if (!shown) {
		svg_text(f, TL_L + TL_PW / 2, TL_T + nrows * TL_LANE_H / 2.0 + 4,
			 "text-anchor=\"middle\" font-size=\"13\"");
		fputs("(no events)</text>\n", f);
	}
	free(b);
	return svg_close(f);
}
