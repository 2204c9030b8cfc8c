/* SPDX-License-Identifier: GPL-2.0 */
/* The path monitor's outputs: a window as an NDJSON event, the summary in JSON and text. */
#ifndef DS_MONITOR_REPORT_H
#define DS_MONITOR_REPORT_H

#include <stdio.h>

#include "event.h"
#include "json.h"
#include "monitor.h"

/* One "monitor_window" line at @t_ns (events' clock); t_s counts from the monitor's first packet. */
void monitor_window_json(struct ev_out *o, int64_t t_ns, const struct monitor *m,
			 const struct mon_window *w);
/* "monitor": {"window_s", "paths": [...]} into an open object. */
void monitor_report_json(struct json *j, const struct monitor *m);
/*
 * Per path: verdicts, limit, type; and a terminal plot of @nw windows
 * (delivered rate as '#', the limit estimate as '-'), one row per window.
 */
void monitor_report_text(FILE *f, const struct monitor *m, const struct mon_window *w,
			 size_t nw);

/**
 * monitor_write_svg() - path @path's windows as an SVG line plot: delivered,
 * offered and the limit estimate over time. Return: 0 or -EIO.
 */
int monitor_write_svg(FILE *f, const struct monitor *m, const struct mon_window *w, size_t nw,
		      uint32_t path);

#endif
