/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SVG primitives every plot shares (hist_plot, timeline_plot): the root
 * element, XML escaping, locale-free coordinates, lines and text.
 */
#ifndef DS_SVG_H
#define DS_SVG_H

#include <stdio.h>

#define SVG_PX_LEN 24

/* Opens the root <svg> of @w x @h px: white, sans-serif 11 px. */
void svg_open(FILE *f, int w, int h);
/* Closes it and flushes @f. Return: 0, or -EIO if writing to @f failed. */
int svg_close(FILE *f);
/*
 * Writes @s as XML text or attribute value: markup characters as entities,
 * C0 controls XML 1.0 forbids as blanks, bytes that are not UTF-8 as U+FFFD.
 */
void svg_puts(FILE *f, const char *s);
/* @v with one decimal, clamped at 0, into @buf; printf's %f would follow LC_NUMERIC. */
const char *svg_px(char buf[SVG_PX_LEN], double v);
void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *attrs);
/* Opens a <text> element; the caller writes the escaped text and closes it. */
void svg_text(FILE *f, double x, double y, const char *attrs);

#endif
