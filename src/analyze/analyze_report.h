/* SPDX-License-Identifier: GPL-2.0 */
/* Text, JSON and NDJSON-interval reports of an analyzer run. */
#ifndef DS_ANALYZE_REPORT_H
#define DS_ANALYZE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "analyze.h"
#include "capsrc.h"
#include "event.h"
#include "json.h"

/* What the report says about the source. */
struct analyze_capture {
	const char *name;		/* file name or interface */
	bool live;
	struct capsrc_stats stats;	/* live: libpcap's counters */
	int signo;			/* the signal that ended the input early, 0 if none */
	char error[160];		/* the first error (one that ended the input early ...) */
};

/* Members of the summary object (the caller opens and closes it). */
void analyze_report_json(struct json *j, const struct analyzer *a,
			 const struct analyze_capture *cap, int detail);
void analyze_report_text(FILE *f, const struct analyzer *a,
			 const struct analyze_capture *cap, int detail);
/* One NDJSON line: {"type":"interval", "t_ns", "t_s", "interval_s", counters}. */
void analyze_interval_json(struct ev_out *o, int64_t t_ns, uint64_t first_ns,
			   uint64_t start_ns, uint64_t len_ns, const struct analyze_totals *d);
/* One NDJSON line: {"type":"retrans", "t_ns", "source":"capture", flow, seq ...}. */
void analyze_retrans_json(struct ev_out *o, int64_t t_ns, const struct analyze_retrans *r);

#endif
