// SPDX-License-Identifier: GPL-2.0
/*
 * timeline_plot: SVGs rendered into memory from events whose columns are
 * known (640 columns over 640 ms: one per millisecond, column c at x 190+c),
 * checked for their rectangles, counts, legend, escaping, well-formedness
 * (a tag and entity checker here; xmllint in tests/cli/plots_xml.sh) and
 * size with 100,000 events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "timeline_plot.h"
#include "unit.h"

#define MS NSEC_PER_MSEC
#define T0 (5000 * NSEC_PER_SEC)	/* the axis starts anywhere */

static int ret;

static char *render(const char *title, uint64_t t0, uint64_t t1, const struct tl_lane *l,
		    size_t nl, const struct tl_event *e, size_t ne)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	ret = timeline_write_svg(f, title, t0, t1, l, nl, e, ne);
	fclose(f);
	return buf;
}

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	while (s && (s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/*
 * Well-formed enough for a browser's XML parser: tags nest and close, one
 * root, attribute values quoted, '&' only in the five entities, no '<' in
 * text. Return: NULL, or what is wrong.
 */
static const char *xml_check(const char *s)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
	const char *stack[64];
	int depth = 0, roots = 0;
	size_t i, n;

	while (*s) {
		if (*s == '&') {
			for (i = 0; i < 5 && strncmp(s, ent[i], strlen(ent[i])); i++)
				;
			if (i == 5)
				return "bare &";
			s++;
			continue;
		}
		if (*s != '<') {
			if (*s == '>')
				return "bare >";
			s++;
			continue;
		}
		if (s[1] == '/') {
			n = strcspn(s + 2, ">");
			if (!depth || strncmp(stack[depth - 1], s + 2, n) ||
			    (stack[depth - 1][n] != ' ' && stack[depth - 1][n] != '>'))
				return "mismatched close";
			depth--;
			s += 2 + n + 1;
			continue;
		}
		n = strcspn(s, ">");
		if (!s[n])
			return "unterminated tag";
		if (memchr(s + 1, '<', n - 1))
			return "'<' inside a tag";
		for (i = 0, roots += !depth; i < n; i++)
			if (s[i] == '&')
				return "& inside a tag";
		if (s[n - 1] != '/') {
			if (depth == 64)
				return "too deep";
			stack[depth++] = s + 1;
		}
		s += n + 1;
	}
	if (depth)
		return "unclosed element";
	return roots == 1 ? NULL : "not one root";
}

static void check_shape(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	const char *why = s ? xml_check(s) : "no output";

	CHECK(ret == 0, "ret %d", ret);
	CHECK(!why, "not well-formed: %s", why);
	CHECK(len > 7 && !strncmp(s, "<svg", 4) && !strcmp(s + len - 7, "</svg>\n"), "bad ends");
	CHECK(s && !strstr(s, "<script") && !strstr(s, "href"), "active or external content");
}

static const struct tl_lane lanes3[] = {
	{ "slow transactions" }, { "drops at mvt0 (host)" }, { "drops at nft (srv)" },
};

static void test_timeline_empty(void)
{
	char *s = render("run", T0, T0 + 10 * NSEC_PER_SEC, lanes3, 3, NULL, 0);

	check_shape(s);
	CHECK(count_str(s, "(no events)") == 1, "no '(no events)'");
	CHECK(count_str(s, "<path fill=") == 0, "events drawn");
	CHECK(count_str(s, ">0</text>") == 4, "lane counts: want three 0s and the 0 s tick");
	CHECK(s && strstr(s, ">drops at nft (srv)</text>") && strstr(s, ">10</text>") &&
	      strstr(s, "seconds since start (1 px = 15.6ms)"), "labels or axis:\n%s", s);
	CHECK(!strstr(s, ">drop</text>"), "legend without events");
	free(s);

	/* no lanes at all, and a run of zero length (the axis spans 1 s) */
	s = render(NULL, T0, T0, NULL, 0, NULL, 0);
	check_shape(s);
	CHECK(s && strstr(s, "(no events)") && strstr(s, ">0.0</text>") &&
	      strstr(s, ">1.0</text>") && strstr(s, "height=\"138\""), "degenerate:\n%s", s);
	free(s);
}

static void test_timeline_one_point(void)
{
	const struct tl_event e = { 1, T0 + 100 * MS, T0 + 100 * MS, TL_DROP };
	char *s = render(NULL, T0, T0 + 640 * MS, lanes3, 3, &e, 1);

	check_shape(s);
	/* lane 1 spans y 88..114, a tick is 20 high in its middle */
	CHECK(s && strstr(s, "<path fill=\"#2e86c1\" d=\"M290 91h1v20h-1z\"><title>"
		      "drops at mvt0 (host): 1, drop</title></path>"), "tick:\n%s", s);
	CHECK(count_str(s, "<path fill=") == 1 && !strstr(s, "(no events)"), "one path");
	CHECK(count_str(s, ">1</text>") == 1, "lane count 1");
	CHECK(s && strstr(s, ">drop</text>") && !strstr(s, "ms</text>"), "legend: drop only");
	CHECK(s && strstr(s, ">0.0</text>") && strstr(s, ">0.6</text>") &&
	      !strstr(s, ">0.7</text>") && strstr(s, "(1 px = 1.00ms)"), "ticks every 0.1 s");
	free(s);
}

static void test_timeline_bars(void)
{
	/* a >= 800 ms bar over part of a >= 200 ms one: the higher class shows */
	const struct tl_event e[] = {
		{ 0, T0 + 150 * MS, T0 + 400 * MS, TL_LAT_200 },
		{ 0, T0 + 100 * MS, T0 + 200 * MS, TL_LAT_800 },
		{ 0, T0 + 630 * MS, T0 + 900 * MS, TL_LAT_400 },	/* cut at the end */
		{ 0, T0 - 50 * MS, T0 + 2 * MS, TL_LAT_FAST },		/* cut at the start */
		{ 0, T0 + 700 * MS, T0 + 800 * MS, TL_LAT_400 },	/* after: not shown */
		{ 2, T0 + 10 * MS, T0 + 10 * MS, TL_DROP },
		{ 2, T0 + 10 * MS, T0 + 10 * MS, TL_DROP },		/* same column */
		{ 2, T0 + 11 * MS, T0 + 11 * MS, TL_DROP },		/* adjacent: joins */
		{ 2, T0 + 640 * MS, T0 + 640 * MS, TL_DROP },		/* t1: last column */
	};
	char *s = render("a<b & \"c\"", T0, T0 + 640 * MS, lanes3, 3, e, 9);

	check_shape(s);
	CHECK(s && strstr(s, ">a&lt;b &amp; &quot;c&quot;</text>"), "title not escaped");
	/* lane 0 spans y 62..88, bars 10 high in its middle */
	CHECK(s && strstr(s, "<path fill=\"#c0392b\" d=\"M290 70h101v10h-101z\">"),
	      ">= 800 ms: columns 100..200:\n%s", s);
	CHECK(s && strstr(s, "<path fill=\"#f5b041\" d=\"M391 70h200v10h-200z\">"),
	      ">= 200 ms: 201..400");
	CHECK(s && strstr(s, "<path fill=\"#e67e22\" d=\"M820 70h10v10h-10z\">"),
	      ">= 400 ms: 630..639");
	CHECK(s && strstr(s, "<path fill=\"#aab7b8\" d=\"M190 70h3v10h-3z\">"), "fast: 0..2");
	CHECK(s && strstr(s, "slow transactions: 2, ≥ 400 ms</title>") == NULL &&
	      strstr(s, "slow transactions: 1, ≥ 400 ms</title>"), "the one outside is not counted");
	/* lane 2 spans y 114..140, ticks 117..137 */
	CHECK(s && strstr(s, "d=\"M200 117h2v20h-2zM829 117h1v20h-1z\"><title>"
		      "drops at nft (srv): 4, drop</title>"), "ticks joined:\n%s", s);
	CHECK(count_str(s, ">4</text>") == 2, "counts: 4 bars in view, 4 drops");
	CHECK(count_str(s, ">0</text>") == 1, "lane 1 counts 0");
	CHECK(s && strstr(s, ">≥ 200 ms</text>") && strstr(s, ">≥ 800 ms</text>") &&
	      strstr(s, ">&lt; 200 ms</text>") && strstr(s, ">drop</text>"), "legend");
	free(s);
}

static void test_timeline_labels(void)
{
	static const char long_label[] =
		"drops at ü-very-long-interface-name0 in netns lab-srv-1234";
	const struct tl_lane l[] = { { "x<y&z" }, { long_label }, { NULL }, { "bad \xff" } };
	char *s = render(NULL, T0, T0 + NSEC_PER_SEC, l, 4, NULL, 0);

	check_shape(s);
	CHECK(s && strstr(s, ">x&lt;y&amp;z</text>"), "label not escaped");
	/* 30 characters (the ü is two bytes), then the full one as a tooltip */
	CHECK(s && strstr(s, ">drops at ü-very-long-interface…<title>drops at ü-very-long-"
		      "interface-name0 in netns lab-srv-1234</title></text>"), "not cut as it should");
	CHECK(s && strstr(s, ">bad \xef\xbf\xbd</text>"), "invalid UTF-8 kept");
	free(s);
}

static void test_timeline_100k(void)
{
	static struct tl_lane l[16];
	static const char *const names[16] = {
		"slow transactions", "d1", "d2", "d3", "d4", "d5", "d6", "d7",
		"d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15",
	};
	size_t n = 100000, i, len;
	struct tl_event *e = calloc(n, sizeof(*e));
	uint64_t span = 60 * NSEC_PER_SEC;
	char *s;

	if (!e) {
		CHECK(0, "calloc");
		return;
	}
	for (i = 0; i < 16; i++)
		l[i].label = names[i];
	for (i = 0; i < n; i++) {
		uint64_t t = unit_rng() % span, lat = unit_rng() % (1200 * MS);

		e[i].lane = (uint32_t)(i % 16);
		e[i].start_ns = T0 + t;
		e[i].end_ns = e[i].lane ? e[i].start_ns : e[i].start_ns + lat;
		e[i].cls = e[i].lane ? TL_DROP : tl_latency_class(lat);
	}
	s = render("100k", T0, T0 + span, l, 16, e, n);
	len = s ? strlen(s) : 0;
	check_shape(s);
	/* one path per lane, kind and class at most, and far below 2 MB */
	CHECK(count_str(s, "<path fill=") <= 16 * 2 * TL_NCLS, "%d paths",
	      count_str(s, "<path fill="));
	CHECK(len < 500000, "%zu bytes", len);
	CHECK(count_str(s, ">6,250</text>") == 16, "lane counts");
	printf("# 100,000 events in 16 lanes: %zu bytes, %d paths\n", len,
	       count_str(s, "<path fill="));
	free(s);
	free(e);
}

/* The most the output can be: every column of every lane a run of its own. */
static void test_timeline_worst_case(void)
{
	static struct tl_lane l[16];
	size_t n = 16 * 640 * 2, i = 0, len;
	struct tl_event *e = calloc(n, sizeof(*e));
	uint32_t lane, c;
	char *s;

	if (!e) {
		CHECK(0, "calloc");
		return;
	}
	for (lane = 0; lane < 16; lane++) {
		l[lane].label = "a lane with a label of thirty c";
		for (c = 0; c < 640; c++) {
			uint64_t t = T0 + c * MS + MS / 2;

			e[i++] = (struct tl_event){ lane, t, t, (uint8_t)(c % TL_NCLS) };
			e[i++] = (struct tl_event){ lane, t, t + 1, (uint8_t)(c % TL_NCLS) };
		}
	}
	s = render("worst", T0, T0 + 640 * MS, l, 16, e, n);
	len = s ? strlen(s) : 0;
	check_shape(s);
	CHECK(count_str(s, "z") >= 16 * 640 * 2, "%d runs, want one per column", count_str(s, "z"));
	CHECK(len < 16 * 25000, "%zu bytes for 16 lanes", len);
	printf("# worst case, 16 lanes of 640 runs of ticks and of bars: %zu bytes\n", len);
	free(s);
	free(e);
}

static void test_timeline_refusals(void)
{
	const struct tl_event bad[] = {
		{ 3, T0, T0, TL_DROP },			/* no lane 3 */
		{ 0, T0 + 2, T0 + 1, TL_DROP },		/* ends before it starts */
		{ 0, T0, T0, TL_NCLS },			/* no such class */
	};
	FILE *full;
	size_t i;
	char *s;

	for (i = 0; i < 3; i++) {
		s = render(NULL, T0, T0 + 1, lanes3, 3, &bad[i], 1);
		CHECK(ret == -EINVAL && s && !*s, "event %zu: ret %d, output '%s'", i, ret, s);
		free(s);
	}
	s = render(NULL, T0, T0 - 1, lanes3, 3, NULL, 0);
	CHECK(ret == -EINVAL && s && !*s, "t1 < t0: ret %d", ret);
	free(s);
	full = fopen("/dev/full", "w");
	if (!full) {
		CHECK(0, "/dev/full: %s", strerror(errno));
		return;
	}
	ret = timeline_write_svg(full, "t", T0, T0 + 1, lanes3, 3, NULL, 0);
	CHECK(ret == -EIO, "ret %d, want -EIO", ret);
	fclose(full);
}

static void test_timeline_latency_class(void)
{
	CHECK(tl_latency_class(0) == TL_LAT_FAST, "0");
	CHECK(tl_latency_class(200 * MS - 1) == TL_LAT_FAST, "just under 200 ms");
	CHECK(tl_latency_class(200 * MS) == TL_LAT_200, "200 ms");
	CHECK(tl_latency_class(400 * MS) == TL_LAT_400, "400 ms");
	CHECK(tl_latency_class(800 * MS - 1) == TL_LAT_400, "just under 800 ms");
	CHECK(tl_latency_class(800 * MS) == TL_LAT_800, "800 ms");
	CHECK(tl_latency_class(UINT64_MAX) == TL_LAT_800, "max");
}

int main(void)
{
	RUN(test_timeline_empty);
	RUN(test_timeline_one_point);
	RUN(test_timeline_bars);
	RUN(test_timeline_labels);
	RUN(test_timeline_100k);
	RUN(test_timeline_worst_case);
	RUN(test_timeline_refusals);
	RUN(test_timeline_latency_class);
	return unit_done();
}
