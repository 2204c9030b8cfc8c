// SPDX-License-Identifier: GPL-2.0
/*
 * pngink - how much of a rectangle of a PNG is painted, for tests that
 * check what a browser rendered (tests/lib.sh: html_check_figures).
 *
 *	pngink PNG				prints "W H"
 *	pngink PNG X Y W H [RRGGBB]		prints "PAINTED TOTAL"
 *
 * PAINTED counts the pixels of the rectangle (clipped to the image) that
 * are not white, or with RRGGBB those within 8 per channel of that colour
 * (a bar's inside; antialiased edges differ). Reads 8-bit non-interlaced
 * greyscale, RGB or RGBA (what Chromium writes) with zlib; anything else
 * exits 1 saying so.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct img {
	uint32_t w, h, bpp;	/* bytes per pixel */
	uint8_t *px;		/* rows of w * bpp bytes, unfiltered */
};

static void __attribute__((noreturn)) die(const char *why)
{
	fprintf(stderr, "pngink: %s\n", why);
	exit(1);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n;

	if (!f)
		die(strerror(errno));
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	return buf;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo the per-row filters of @raw (each row: filter byte, then the row) into @im. */
static void unfilter(struct img *im, const uint8_t *raw)
{
	size_t stride = (size_t)im->w * im->bpp, x, y;

	for (y = 0; y < im->h; y++) {
		const uint8_t *in = raw + y * (stride + 1) + 1;
		uint8_t *row = im->px + y * stride, *up = y ? row - stride : NULL;
		int ft = in[-1];

		for (x = 0; x < stride; x++) {
			int a = x >= im->bpp ? row[x - im->bpp] : 0, b = up ? up[x] : 0;
			int c = up && x >= im->bpp ? up[x - im->bpp] : 0, v;

			switch (ft) {
			case 0: v = 0; break;
			case 1: v = a; break;
			case 2: v = b; break;
			case 3: v = (a + b) / 2; break;
			case 4: v = paeth(a, b, c); break;
			default: die("bad filter type");
			}
			row[x] = (uint8_t)(in[x] + v);
		}
	}
}

static void decode(const char *path, struct img *im)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t len, off = 8, zlen = 0, rawlen;
	uint8_t *f = slurp(path, &len), *z = malloc(len), *raw;
	uLongf got;

	if (!z)
		die("out of memory");
	if (len < 8 || memcmp(f, sig, 8))
		die("not a PNG");
	while (off + 12 <= len) {
		uint32_t n = be32(f + off);
		const uint8_t *type = f + off + 4, *d = f + off + 8;

		if (n > len - off - 12)
			die("truncated chunk");
		if (!memcmp(type, "IHDR", 4)) {
			static const uint8_t chans[7] = { 1, 0, 3, 0, 2, 0, 4 };

			im->w = be32(d);
			im->h = be32(d + 4);
			if (n < 13 || d[8] != 8 || d[9] > 6 || !chans[d[9]] || d[12])
				die("not 8-bit non-interlaced grey, RGB or RGBA");
			im->bpp = chans[d[9]];
		} else if (!memcmp(type, "IDAT", 4)) {
			memcpy(z + zlen, d, n);
			zlen += n;
		}
		off += 12 + n;
	}
	if (!im->w || !im->h || im->w > 1 << 15 || im->h > 1 << 15)
		die("no or bad IHDR");
	rawlen = (size_t)im->h * ((size_t)im->w * im->bpp + 1);
	raw = malloc(rawlen);
	im->px = malloc(rawlen);
	if (!raw || !im->px)
		die("out of memory");
	got = rawlen;
	if (uncompress(raw, &got, z, zlen) != Z_OK || got != rawlen)
		die("bad image data");
	unfilter(im, raw);
	free(raw);
	free(z);
	free(f);
}

/* Pixel (x, y) as RGB; grey and grey+alpha give grey on all three. */
static void rgb(const struct img *im, uint32_t x, uint32_t y, int c[3])
{
	const uint8_t *p = im->px + ((size_t)y * im->w + x) * im->bpp;

	if (im->bpp <= 2)
		c[0] = c[1] = c[2] = p[0];
	else
		c[0] = p[0], c[1] = p[1], c[2] = p[2];
}

int main(int argc, char **argv)
{
	struct img im = { 0 };
	long x0, y0, w, h, x, y;
	unsigned long painted = 0, total = 0;
	unsigned int want = 0xffffff;
	int c[3], k, match;

	if (argc != 2 && argc != 6 && argc != 7) {
		fprintf(stderr, "usage: pngink PNG [X Y W H [RRGGBB]]\n");
		return 2;
	}
	decode(argv[1], &im);
	if (argc == 2) {
		printf("%u %u\n", im.w, im.h);
		return 0;
	}
	x0 = atol(argv[2]), y0 = atol(argv[3]), w = atol(argv[4]), h = atol(argv[5]);
	if (argc == 7 && sscanf(argv[6], "%6x", &want) != 1)
		die("colour: want RRGGBB");
	for (y = y0 < 0 ? 0 : y0; y < y0 + h && y < (long)im.h; y++)
		for (x = x0 < 0 ? 0 : x0; x < x0 + w && x < (long)im.w; x++) {
			rgb(&im, (uint32_t)x, (uint32_t)y, c);
			for (k = 0, match = 1; k < 3; k++) {
				int d = c[k] - (int)((want >> (16 - 8 * k)) & 0xff);

				match &= argc == 7 ? abs(d) <= 8 : d == 0;
			}
			painted += argc == 7 ? match : !match;
			total++;
		}
	printf("%lu %lu\n", painted, total);
	free(im.px);
	return 0;
}
