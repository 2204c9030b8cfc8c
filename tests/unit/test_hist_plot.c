// SPDX-License-Identifier: GPL-2.0
/*
 * hist_plot: the text rows and the SVG, rendered into memory from histograms
 * whose every value is known.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "hist_plot.h"
#include "unit.h"

#define MS 1000000ULL

static const struct hist_mark rto_marks[] = {
	{ 200 * MS, "RTO" }, { 400 * MS, "2×RTO" }, { 800 * MS, "3×RTO" },
};

static struct hist h;

/* 1,000,000 at 30 us, 300 at 210 ms (one RTO late), 3 at 420 ms (two). */
static void known_hist(void)
{
	hist_init(&h);
	hist_record_n(&h, 30000, 1000000);
	hist_record_n(&h, 210 * MS, 300);
	hist_record_n(&h, 420 * MS, 3);
}

static char *render_text(const struct hist_mark *marks, size_t nmarks)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	hist_print_text(f, &h, marks, nmarks);
	fclose(f);
	return buf;
}

static char *render_svg(const char *title, const struct hist_mark *marks,
			size_t nmarks, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	*ret = hist_write_svg(f, &h, title, marks, nmarks);
	fclose(f);
	return buf;
}

/* The line whose range column is exactly @range, copied to @line. */
static int find_row(const char *text, const char *range, char *line,
		    size_t len)
{
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, '\n'), *s = p;

		if (!end)
			end = p + strlen(p);
		while (*s == ' ')
			s++;
		if (!strncmp(s, range, strlen(range)) &&
		    !strncmp(s + strlen(range), "  ", 2)) {
			snprintf(line, len, "%.*s", (int)(end - p), p);
			return 1;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static int nlines(const char *s)
{
	return count_str(s, "\n");
}

/* Check one row: count column, '#' bar length, and the mark text. */
static void check_row(const char *text, const char *range, const char *count,
		      int bar, const char *mark)
{
	char line[256], cnt[32] = "";
	const char *after;

	if (!find_row(text, range, line, sizeof(line))) {
		CHECK(0, "row '%s' missing", range);
		return;
	}
	after = strstr(line, range) + strlen(range);
	sscanf(after, "%31s", cnt);
	CHECK(!strcmp(cnt, count), "row '%s': count '%s', want '%s'", range,
	      cnt, count);
	CHECK(count_str(line, "#") == bar, "row '%s': bar %d, want %d", range,
	      count_str(line, "#"), bar);
	if (mark)
		CHECK(strstr(line, mark) != NULL, "row '%s': no '%s' in '%s'",
		      range, mark, line);
	else
		CHECK(!strstr(line, "<-"), "row '%s': unexpected mark", range);
}

/* 1 + round(39 * log10(c) / log10(max)), computed here independently */
static int bar_len(double c, double max)
{
	return 1 + (int)lround(39 * log10(c) / log10(max));
}

static void test_hist_plot_text_known(void)
{
	static const char *const empty_rows[] = {
		"50us - 100us", "100us - 200us", "200us - 500us", "500us - 1ms",
		"1ms - 2ms", "2ms - 5ms", "5ms - 10ms", "10ms - 20ms",
		"20ms - 50ms", "50ms - 100ms", "100ms - 200ms",
	};
	char *t, line[256];
	size_t i;

	known_hist();
	t = render_text(rto_marks, 3);
	if (!t) {
		CHECK(0, "open_memstream: %s", strerror(errno));
		return;
	}
	CHECK(strstr(t, "bar: log10(count)") && nlines(t) == 1 + 14,
	      "header or row count wrong:\n%s", t);
	check_row(t, "20us - 50us", "1,000,000", 40, NULL);
	check_row(t, "200ms - 400ms", "300", bar_len(300, 1e6), "  <- RTO");
	check_row(t, "400ms - 800ms", "3", bar_len(3, 1e6), "  <- 2×RTO");
	for (i = 0; i < sizeof(empty_rows) / sizeof(empty_rows[0]); i++)
		check_row(t, empty_rows[i], "0", 0, NULL);
	/* rows outside the data are not printed, marks or not */
	CHECK(!find_row(t, "10us - 20us", line, sizeof(line)), "row before");
	CHECK(!find_row(t, "800ms - 1.6s", line, sizeof(line)), "row after");
	CHECK(!strstr(t, "3×RTO"), "mark beyond the last row printed");
	CHECK(strstr(t, "99.97%") && strstr(t, "0.030%") && strstr(t, "0.00030%"),
	      "percentages:\n%s", t);
	free(t);
}

static void test_hist_plot_text_edges(void)
{
	char *t;

	/* sub-microsecond and above-1100s rows; other labels, no marks */
	hist_init(&h);
	hist_record(&h, 0);
	hist_record(&h, 999);
	hist_record(&h, 1000);
	t = render_text(NULL, 0);
	CHECK(t && nlines(t) == 3, "two rows expected:\n%s", t);
	check_row(t, "< 1us", "2", 40, NULL);
	check_row(t, "1us - 2us", "1", 1, NULL);
	free(t);

	hist_record(&h, UINT64_MAX);	/* clamped into the top bucket */
	t = render_text((const struct hist_mark[]){ { 1000, "one" } }, 1);
	check_row(t, "1us - 2us", "1", 1, "  <- one");
	check_row(t, "819.2s - 1638.4s", "1", 1, NULL);
	check_row(t, "409.6s - 819.2s", "0", 0, NULL);
	free(t);

	hist_init(&h);
	t = render_text(rto_marks, 3);
	CHECK(t && !strcmp(t, "(no samples)\n"), "empty: '%s'", t);
	free(t);
}

static void check_svg_shape(const char *s, int rects)
{
	size_t len = s ? strlen(s) : 0;

	CHECK(s && !strncmp(s, "<svg", 4), "does not start with <svg");
	CHECK(len > 7 && !strcmp(s + len - 7, "</svg>\n"), "bad ending");
	CHECK(s && count_str(s, "<rect") == rects, "%d rects, want %d",
	      s ? count_str(s, "<rect") : -1, rects);
	CHECK(s && count_str(s, "<rect") == count_str(s, "</rect>"),
	      "unbalanced rect");
	CHECK(s && !strstr(s, "<script") && !strstr(s, "href"),
	      "external or active content");
}

static void test_hist_plot_svg_known(void)
{
	char *s;
	int ret = -1;

	known_hist();
	s = render_svg("a<b&c", rto_marks, 3, &ret);
	CHECK(ret == 0, "ret %d", ret);
	check_svg_shape(s, 3);	/* 30us, 210ms and 420ms: three bins */
	CHECK(s && strstr(s, ">a&lt;b&amp;c</text>") && !strstr(s, "a<b"),
	      "title not escaped");
	/* axis from 10us (below 30us) to 1s (above 420ms) holds all marks */
	CHECK(s && count_str(s, "stroke-dasharray") == 3, "marks drawn: %d",
	      s ? count_str(s, "stroke-dasharray") : -1);
	CHECK(s && strstr(s, ">10us<") && strstr(s, ">1s<") &&
	      !strstr(s, ">1us<") && !strstr(s, ">10s<"), "x ticks");
	CHECK(s && strstr(s, ">1M<") && strstr(s, ">latency<") &&
	      strstr(s, ">transactions (log)<") && strstr(s, ">2×RTO<"),
	      "labels");
	free(s);
}

static void test_hist_plot_svg_bins(void)
{
	static const uint64_t v[] = {
		0, 1500, 15000, 15100, 150000, 1500000, 15000000, 1200000000,
	};
	char *s;
	size_t i;
	int ret = -1;

	/* 15000 and 15100 share a 1/20-decade bin; the others each own one */
	hist_init(&h);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		hist_record(&h, v[i]);
	s = render_svg(NULL, NULL, 0, &ret);
	CHECK(ret == 0, "ret %d", ret);
	check_svg_shape(s, 7);
	CHECK(s && strstr(s, ">1ns<") && strstr(s, ">10s<"), "x axis 1ns-10s");
	free(s);
}

static void test_hist_plot_svg_empty(void)
{
	char *s;
	int ret = -1;

	hist_init(&h);
	s = render_svg("empty", rto_marks, 3, &ret);
	CHECK(ret == 0, "ret %d", ret);
	check_svg_shape(s, 0);
	CHECK(s && strstr(s, "(no samples)"), "no '(no samples)'");
	free(s);
}

static void test_hist_plot_svg_write_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	int ret;

	if (!f) {
		CHECK(0, "/dev/full: %s", strerror(errno));
		return;
	}
	known_hist();
	ret = hist_write_svg(f, &h, "t", rto_marks, 3);
	CHECK(ret == -EIO, "ret %d, want -EIO", ret);
	fclose(f);
}

int main(void)
{
	RUN(test_hist_plot_text_known);
	RUN(test_hist_plot_text_edges);
	RUN(test_hist_plot_svg_known);
	RUN(test_hist_plot_svg_bins);
	RUN(test_hist_plot_svg_empty);
	RUN(test_hist_plot_svg_write_error);
	return unit_done();
}
