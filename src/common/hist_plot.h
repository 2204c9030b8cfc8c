/* SPDX-License-Identifier: GPL-2.0 */
/* People-facing renderings of a struct hist: log-scale text bars and SVG. */
#ifndef DS_HIST_PLOT_H
#define DS_HIST_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"

/* A labelled vertical marker, e.g. { 200000000, "RTO" }. */
struct hist_mark {
	uint64_t ns;
	const char *label;
};

void hist_print_text(FILE *f, const struct hist *h,
		     const struct hist_mark *marks, size_t nmarks);
int hist_write_svg(FILE *f, const struct hist *h, const char *title,
		   const struct hist_mark *marks, size_t nmarks);

#endif
