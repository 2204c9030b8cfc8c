// SPDX-License-Identifier: GPL-2.0
/*
 * SVG primitives shared by the plots. The output is meant to be inlined in
 * an HTML report as well as stand alone, so it is well-formed XML whatever
 * the labels hold (interface names are bytes, not necessarily UTF-8).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svg.h"

void svg_open(FILE *f, int w, int h)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\" "
		"style=\"background:#fff\">\n", w, h, w, h);
}

int svg_close(FILE *f)
{
	fputs("</svg>\n", f);
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}

static int utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the well-formed UTF-8 sequence at @s, 0 if there is none (RFC
 * 3629: no overlong forms, no surrogates, nothing above U+10FFFF), and none
 * for U+FFFE and U+FFFF, which XML 1.0 does not allow either.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return utf8_cont(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
		    !utf8_cont(s[1]) || !utf8_cont(s[2]))
			return 0;
		if (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f) ||
		    !utf8_cont(s[1]) || !utf8_cont(s[2]) || !utf8_cont(s[3]))
			return 0;
		return 4;
	}
	return 0;
}

void svg_puts(FILE *f, const char *s)
{
	static const char special[] = "&<>\"'";
	static const char *const entity[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
	};
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		const char *e = strchr(special, *p);
		size_t n = utf8_len(p);

		if (e)
			fputs(entity[e - special], f);
		else if (!n)
			fputs("\xef\xbf\xbd", f);	/* U+FFFD for one bad byte */
		else if (*p < 0x20 && *p != '\t' && *p != '\n')
			fputc(' ', f);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
}

const char *svg_px(char buf[SVG_PX_LEN], double v)
{
	long t = lround(v * 10);

	if (t < 0)
		t = 0;
	snprintf(buf, SVG_PX_LEN, "%ld.%ld", t / 10, t % 10);
	return buf;
}

void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *attrs)
{
	char b1[SVG_PX_LEN], b2[SVG_PX_LEN], b3[SVG_PX_LEN], b4[SVG_PX_LEN];

	fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" %s/>\n",
		svg_px(b1, x1), svg_px(b2, y1), svg_px(b3, x2), svg_px(b4, y2), attrs);
}

void svg_text(FILE *f, double x, double y, const char *attrs)
{
	char b1[SVG_PX_LEN], b2[SVG_PX_LEN];

	fprintf(f, "<text x=\"%s\" y=\"%s\" %s>", svg_px(b1, x), svg_px(b2, y), attrs);
}
