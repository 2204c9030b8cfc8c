// SPDX-License-Identifier: GPL-2.0
/* svg: escaping that keeps any label well-formed XML, locale-free numbers. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "unit.h"

static char *escaped(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	svg_puts(f, in);
	fclose(f);
	return buf;
}

static void check_esc(const char *in, const char *want)
{
	char *got = escaped(in);

	CHECK(got && !strcmp(got, want), "'%s' -> '%s', want '%s'", in, got, want);
	free(got);
}

#define FFFD "\xef\xbf\xbd"

static void test_svg_escape(void)
{
	check_esc("", "");
	check_esc("drops at nft (srv)", "drops at nft (srv)");
	check_esc("a<b&c>d\"e'f", "a&lt;b&amp;c&gt;d&quot;e&apos;f");
	check_esc("tab\there\nnl\x01\x1f\x7f", "tab\there\nnl  \x7f");
	/* well-formed UTF-8 of every length passes */
	check_esc("2×RTO ≥200 ms \xf0\x9f\x93\xa6", "2×RTO ≥200 ms \xf0\x9f\x93\xa6");
}

static void test_svg_escape_bad_utf8(void)
{
	check_esc("a\xff" "b", "a" FFFD "b");
	check_esc("\xc3", FFFD);			/* cut at the end */
	check_esc("\xc3(", FFFD "(");			/* continuation missing */
	check_esc("\xc0\xaf", FFFD FFFD);		/* overlong '/' */
	check_esc("\xe0\x80\xaf", FFFD FFFD FFFD);	/* overlong, 3 bytes */
	check_esc("\xed\xa0\x80", FFFD FFFD FFFD);	/* surrogate U+D800 */
	check_esc("\xef\xbf\xbe", FFFD FFFD FFFD);	/* U+FFFE: not XML */
	check_esc("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);	/* above U+10FFFF */
	check_esc("\xe2\x89", FFFD FFFD);		/* cut 3-byte sequence */
}

static void test_svg_px(void)
{
	char b[SVG_PX_LEN];

	CHECK(!strcmp(svg_px(b, 12.34), "12.3"), "%s", b);
	CHECK(!strcmp(svg_px(b, 0.05), "0.1"), "%s", b);
	CHECK(!strcmp(svg_px(b, -3), "0.0"), "%s", b);
	/* a decimal-comma locale, when installed, must not leak in */
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8"))
		CHECK(!strcmp(svg_px(b, 1.5), "1.5"), "%s", b);
	setlocale(LC_NUMERIC, "C");
}

static void test_svg_close_error(void)
{
	FILE *f = fopen("/dev/full", "w");

	if (!f) {
		CHECK(0, "/dev/full: %s", strerror(errno));
		return;
	}
	svg_open(f, 10, 10);
	CHECK(svg_close(f) == -EIO, "no -EIO");
	fclose(f);
}

int main(void)
{
	RUN(test_svg_escape);
	RUN(test_svg_escape_bad_utf8);
	RUN(test_svg_px);
	RUN(test_svg_close_error);
	return unit_done();
}
