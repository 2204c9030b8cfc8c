/* SPDX-License-Identifier: GPL-2.0 */
/* The drops ledger for people (aligned text) and programs (JSON). */
#ifndef DS_DROPMON_REPORT_H
#define DS_DROPMON_REPORT_H

#include <stdio.h>

#include "dropmon.h"
#include "event.h"
#include "json.h"

/* The whole report; @detail (-s count) adds quiet devices, sites, all flows. */
void dropmon_report_text(FILE *f, const struct dropmon *m, const struct dropmon_view *v,
			 int detail);

/*
 * The report's keys: as the value of @key, or with @key NULL into the
 * object the caller has open; with @interval only the interval's own keys.
 */
void dropmon_report_json(struct json *j, const char *key, const struct dropmon *m,
			 const struct dropmon_view *v, int detail, bool interval);

/**
 * dropmon_report_interval() - @v as one interval event on @o: "type"
 * "interval", t_ns, t_s (since the start), interval_s, then start_s,
 * end_s and the interval's keys of dropmon_report_json().
 */
void dropmon_report_interval(struct ev_out *o, const struct dropmon *m,
			     const struct dropmon_view *v, int detail);

/*
 * Events as NDJSON lines (see dropscope-drops(8)): a drop with its place,
 * reason, site and, for TCP and UDP, its flow; a kernel retransmission; a
 * "lost" line for @n more events the full ring could not take (@total so far).
 */
void dropmon_event_drop(struct ev_out *o, struct dropmon *m, const struct drop_event *e,
			const struct drop_pkt *p);
void dropmon_event_rtx(struct ev_out *o, const struct dropmon *m, const struct rtx_event *e,
		       const struct flow_id *f);
void dropmon_event_lost(struct ev_out *o, uint64_t t_ns, uint64_t n, uint64_t total);

/* One line per interval: time, drops by top reasons, retransmissions. */
void dropmon_report_line(FILE *f, const struct dropmon *m, const struct dropmon_view *v);

#endif
