// SPDX-License-Identifier: GPL-2.0
/*
 * Renderings of struct hist for people: log-scale text bars and an SVG plot.
 * Both aggregate the fine buckets into coarse rows or bins by bucket lower
 * bound (hist_count_range()), and both scale counts logarithmically so that a
 * retransmission tail of a few hundred stays visible next to a mode of
 * millions.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "hist.h"
#include "hist_plot.h"
#include "human.h"
#include "svg.h"


#define TEXT_BAR_W	40
#define TEXT_MAX_ROWS	40
/* 1-2-5 rows up to here, then doubling rows, which is how RTOs back off */
#define TEXT_DOUBLING_NS (200 * NSEC_PER_MSEC)

#define SVG_W		900
#define SVG_H		420
#define SVG_L		80	/* room for y tick labels and the axis title */
#define SVG_R		20
#define SVG_T		40
#define SVG_B		60
#define SVG_PW		(SVG_W - SVG_L - SVG_R)
#define SVG_PH		(SVG_H - SVG_T - SVG_B)
#define SVG_BINS_PER_DEC 20
#define SVG_MAX_DEC	13	/* 10^13 ns > HIST_MAX_NS */
#define SVG_YBOT	(-0.3)	/* log10 axis floor below 1, so a count of 1 shows */

/* "20us", "1.6s": whole units when exact, else one decimal. */
static void fmt_dur(char *buf, size_t len, uint64_t ns)
{
	static const struct {
		uint64_t div;
		const char *unit;
	} u[] = {
		{ NSEC_PER_SEC, "s" }, { NSEC_PER_MSEC, "ms" }, { NSEC_PER_USEC, "us" }, { 1, "ns" },
	};
	size_t i;

	for (i = 0; i < 3 && ns < u[i].div; i++)
		;
	if (ns % u[i].div == 0)
		snprintf(buf, len, "%" PRIu64 "%s", ns / u[i].div, u[i].unit);
	else
		snprintf(buf, len, "%.1f%s", (double)ns / (double)u[i].div, u[i].unit);
}

/* Two significant digits below 1% ("0.030%"), two decimals above. */
static void fmt_pct(char *buf, size_t len, uint64_t n, uint64_t total)
{
	double p = 100.0 * (double)n / (double)total;
	int dec = 2;

	if (!n || n == total) {
		snprintf(buf, len, "%s", n ? "100%" : "0%");
		return;
	}
	if (p > 99.99) {	/* never round a partial row up to 100.00% */
		snprintf(buf, len, ">99.99%%");
		return;
	}
	/* p / 0.95: what rounds up to the next decade gets one decimal less */
	if (p < 0.95)
		dec = 1 - (int)floor(log10(p / 0.95));
	if (dec > 12)
		dec = 12;
	snprintf(buf, len, "%.*f%%", dec, p);
}

/* Row edges: 0, then 1 us in a 1-2-5 sequence to 200 ms, then doubling. */
static size_t text_edges(uint64_t e[TEXT_MAX_ROWS + 1])
{
	static const unsigned int steps[] = { 1, 2, 5 };
	size_t n = 0, i;
	uint64_t v;

	e[n++] = 0;
	for (v = NSEC_PER_USEC; v < TEXT_DOUBLING_NS; v *= 10)
		for (i = 0; i < 3 && steps[i] * v <= TEXT_DOUBLING_NS; i++)
			e[n++] = steps[i] * v;
	/* the last edge lies above HIST_MAX_NS, so the top bucket has a row */
	while (e[n - 1] <= HIST_MAX_NS && n < TEXT_MAX_ROWS + 1) {
		e[n] = 2 * e[n - 1];
		n++;
	}
	return n - 1;
}

static void text_marks(FILE *f, uint64_t lo, uint64_t hi,
		       const struct hist_mark *marks, size_t nmarks)
{
	const char *sep = "  <- ";
	size_t m;

	for (m = 0; m < nmarks; m++) {
		if (marks[m].ns < lo || marks[m].ns >= hi)
			continue;
		fprintf(f, "%s%s", sep, marks[m].label ? marks[m].label : "");
		sep = ", ";
	}
}

static int row_has_mark(uint64_t lo, uint64_t hi,
			const struct hist_mark *marks, size_t nmarks)
{
	size_t m;

	for (m = 0; m < nmarks; m++)
		if (marks[m].ns >= lo && marks[m].ns < hi)
			return 1;
	return 0;
}

/**
 * hist_print_text() - print a log-scale histogram for people
 * @f: stream
 * @h: histogram
 * @marks: vertical markers, e.g. RTO multiples; may be NULL if @nmarks is 0
 * @nmarks: number of @marks
 *
 * One row per latency range (1-2-5 steps to 200 ms, doubling above), from the
 * first to the last non-empty row, so a gap between the mode and a tail shows
 * as rows of 0. Bars are log10(count) long, so small tails stay visible. A
 * mark is named on the row whose range holds it. An empty histogram prints
 * "(no samples)".
 */
void hist_print_text(FILE *f, const struct hist *h,
		     const struct hist_mark *marks, size_t nmarks)
{
	uint64_t e[TEXT_MAX_ROWS + 1], cnt[TEXT_MAX_ROWS], maxc = 0;
	char range[TEXT_MAX_ROWS][48], num[32], pct[24], bar[TEXT_BAR_W + 1];
	size_t nrows, i, first = 0, last = 0;
	int rw = (int)strlen("latency"), cw = (int)strlen("count");
	int pw = (int)strlen("percent");

	if (!h->count) {
		fputs("(no samples)\n", f);
		return;
	}
	nrows = text_edges(e);
	for (i = 0; i < nrows; i++) {
		cnt[i] = hist_count_range(h, e[i], e[i + 1]);
		if (!cnt[i])
			continue;
		if (!maxc)
			first = i;
		last = i;
		if (cnt[i] > maxc)
			maxc = cnt[i];
	}

	for (i = first; i <= last; i++) {
		char lo[20], hi[20];
		int len;

		fmt_dur(hi, sizeof(hi), e[i + 1]);
		if (i == 0) {
			len = snprintf(range[i], sizeof(range[i]), "< %s", hi);
		} else {
			fmt_dur(lo, sizeof(lo), e[i]);
			len = snprintf(range[i], sizeof(range[i]), "%s - %s",
				       lo, hi);
		}
		if (len > rw)
			rw = len;
		human_count(num, sizeof(num), cnt[i]);
		if ((int)strlen(num) > cw)
			cw = (int)strlen(num);
		fmt_pct(pct, sizeof(pct), cnt[i], h->count);
		if ((int)strlen(pct) > pw)
			pw = (int)strlen(pct);
	}

	fprintf(f, "%*s  %*s  %*s  bar: log10(count)\n", rw, "latency", cw,
		"count", pw, "percent");
	for (i = first; i <= last; i++) {
		int len = 0;

		human_count(num, sizeof(num), cnt[i]);
		fmt_pct(pct, sizeof(pct), cnt[i], h->count);
		fprintf(f, "%*s  %*s  %*s", rw, range[i], cw, num, pw, pct);
		if (cnt[i] == maxc)
			len = TEXT_BAR_W;	/* also covers maxc == 1: log10(1) = 0 */
		else if (cnt[i])
			len = 1 + (int)lround((TEXT_BAR_W - 1) * log10((double)cnt[i]) /
					      log10((double)maxc));
		memset(bar, '#', len);
		bar[len] = '\0';
		if (row_has_mark(e[i], e[i + 1], marks, nmarks))
			fprintf(f, "  %-*s", TEXT_BAR_W, bar);
		else if (len)
			fprintf(f, "  %s", bar);
		text_marks(f, e[i], e[i + 1], marks, nmarks);
		fputc('\n', f);
	}
}

static uint64_t pow10_u64(int d)
{
	uint64_t v = 1;

	while (d-- > 0)
		v *= 10;
	return v;
}

/* floor(log10(v)) for v >= 1, in integers so exact powers land right */
static int dec_floor(uint64_t v)
{
	int d = 0;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

struct svg_axes {
	int d0, ndec;	/* x: decades of ns */
	int ytop;	/* y: decades of count */
};

static double svg_x(const struct svg_axes *a, double log10_ns)
{
	return SVG_L + (log10_ns - a->d0) / a->ndec * SVG_PW;
}

static double svg_y(const struct svg_axes *a, double log10_count)
{
	return SVG_T + SVG_PH -
	       (log10_count - SVG_YBOT) / (a->ytop - SVG_YBOT) * SVG_PH;
}

/* lower edge of bin j in ns */
static uint64_t svg_edge(const struct svg_axes *a, int j)
{
	if (j % SVG_BINS_PER_DEC == 0)
		return pow10_u64(a->d0 + j / SVG_BINS_PER_DEC);
	return (uint64_t)llround(pow(10, a->d0 + (double)j / SVG_BINS_PER_DEC));
}

static void svg_axes(FILE *f, const struct svg_axes *a)
{
	static const char *const si[] = { "", "k", "M", "G", "T", "P", "E" };
	char lbl[20];
	int d;

	for (d = 0; d <= a->ndec; d++) {
		double x = svg_x(a, a->d0 + d);

		fmt_dur(lbl, sizeof(lbl), pow10_u64(a->d0 + d));
		svg_line(f, x, SVG_T, x, SVG_T + SVG_PH + 5, "stroke=\"#ddd\"");
		svg_text(f, x, SVG_T + SVG_PH + 18, "text-anchor=\"middle\"");
		fprintf(f, "%s</text>\n", lbl);
	}
	for (d = 0; d <= a->ytop; d++) {
		double y = svg_y(a, d);

		svg_line(f, SVG_L - 5, y, SVG_L + SVG_PW, y, "stroke=\"#ddd\"");
		svg_text(f, SVG_L - 8, y + 4, "text-anchor=\"end\"");
		fprintf(f, "%" PRIu64 "%s</text>\n", pow10_u64(d % 3), si[d / 3]);
	}
	fprintf(f, "<path d=\"M%d %dV%dH%d\" fill=\"none\" stroke=\"#333\"/>\n",
		SVG_L, SVG_T, SVG_T + SVG_PH, SVG_L + SVG_PW);
	svg_text(f, SVG_L + SVG_PW / 2, SVG_H - 15,
		 "text-anchor=\"middle\" font-size=\"13\"");
	fputs("latency</text>\n", f);
	fprintf(f, "<text transform=\"translate(20 %d) rotate(-90)\" "
		"text-anchor=\"middle\" font-size=\"13\">transactions (log)</text>\n",
		SVG_T + SVG_PH / 2);
}

static void svg_marks(FILE *f, const struct svg_axes *a,
		      const struct hist_mark *marks, size_t nmarks)
{
	size_t m, shown = 0;

	for (m = 0; m < nmarks; m++) {
		double lx = marks[m].ns ? log10((double)marks[m].ns) : -1;
		double x = svg_x(a, lx);
		int right;

		if (lx < a->d0 || lx > a->d0 + a->ndec)
			continue;
		svg_line(f, x, SVG_T, x, SVG_T + SVG_PH,
			 "stroke=\"#c0392b\" stroke-dasharray=\"5 4\"");
		/*
		 * Stagger labels, RTO multiples are only 0.3 decades apart;
		 * near the right edge put the label left of its line.
		 */
		right = x > SVG_L + SVG_PW - 60;
		svg_text(f, right ? x - 3 : x + 3, SVG_T + 12 + 13 * (shown++ % 3),
			 right ? "fill=\"#c0392b\" text-anchor=\"end\"" :
				 "fill=\"#c0392b\"");
		svg_puts(f, marks[m].label ? marks[m].label : "");
		fputs("</text>\n", f);
	}
}

/**
 * hist_write_svg() - write a self-contained SVG plot of a histogram
 * @f: stream
 * @h: histogram
 * @title: plot title, escaped for XML; may be NULL
 * @marks: dashed vertical markers with labels; may be NULL if @nmarks is 0
 * @nmarks: number of @marks
 *
 * X is log10 latency from the decade below the minimum to the decade above
 * the maximum, in 20 bins per decade; Y is log10 count. One <rect> per
 * non-empty bin; no scripts or external resources.
 *
 * Return: 0, or -EIO if writing to @f failed.
 */
int hist_write_svg(FILE *f, const struct hist *h, const char *title,
		   const struct hist_mark *marks, size_t nmarks)
{
	uint64_t bins[SVG_MAX_DEC * SVG_BINS_PER_DEC] = { 0 }, maxc = 0;
	struct svg_axes a = { .d0 = 3, .ndec = 6, .ytop = 1 };	/* 1us..1s */
	char b1[SVG_PX_LEN], b2[SVG_PX_LEN], b3[SVG_PX_LEN], b4[SVG_PX_LEN];
	int j, nb = 0;

	if (h->count) {
		uint64_t hi = h->max < HIST_MAX_NS ? h->max : HIST_MAX_NS;

		a.d0 = dec_floor(h->min ? h->min : 1);
		a.ndec = dec_floor(hi ? hi : 1) + 1 - a.d0;
		nb = a.ndec * SVG_BINS_PER_DEC;
		/* open-ended outer bins keep buckets that straddle the axis ends */
		for (j = 0; j < nb; j++) {
			bins[j] = hist_count_range(h, j ? svg_edge(&a, j) : 0,
						   j + 1 < nb ? svg_edge(&a, j + 1) :
						   UINT64_MAX);
			if (bins[j] > maxc)
				maxc = bins[j];
		}
		a.ytop = dec_floor(maxc) + 1;
	}

	svg_open(f, SVG_W, SVG_H);
	if (title) {
		svg_text(f, SVG_W / 2, 24,
			 "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"");
		svg_puts(f, title);
		fputs("</text>\n", f);
	}
	svg_axes(f, &a);
	for (j = 0; j < nb; j++) {
		double x0, x1, y;

		if (!bins[j])
			continue;
		x0 = svg_x(&a, a.d0 + (double)j / SVG_BINS_PER_DEC) + 0.5;
		x1 = svg_x(&a, a.d0 + (double)(j + 1) / SVG_BINS_PER_DEC) - 0.5;
		y = svg_y(&a, log10((double)bins[j]));
		/* the <title> is the exact count, shown on hover */
		fprintf(f, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" "
			"fill=\"#2e86c1\"><title>%" PRIu64 "</title></rect>\n",
			svg_px(b1, x0), svg_px(b2, y), svg_px(b3, x1 - x0),
			svg_px(b4, SVG_T + SVG_PH - y), bins[j]);
	}
	if (!h->count) {
		svg_text(f, SVG_L + SVG_PW / 2, SVG_T + SVG_PH / 2,
			 "text-anchor=\"middle\" font-size=\"13\"");
		fputs("(no samples)</text>\n", f);
	}
	svg_marks(f, &a, marks, nmarks);
	return svg_close(f);
}
