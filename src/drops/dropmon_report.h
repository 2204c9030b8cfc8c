/* SPDX-License-Identifier: GPL-2.0 */
/* The drops ledger for people (aligned text) and programs (JSON). */
#ifndef DS_DROPMON_REPORT_H
#define DS_DROPMON_REPORT_H

#include <stdio.h>

#include "dropmon.h"
#include "json.h"

/* The whole report; @detail (-s count) adds quiet devices, sites, all flows. */
void dropmon_report_text(FILE *f, const struct dropmon *m, const struct dropmon_view *v,
			 int detail);

/* One JSON object (the value of @key, or NULL); with @interval only the interval's own keys. */
void dropmon_report_json(struct json *j, const char *key, const struct dropmon *m,
			 const struct dropmon_view *v, int detail, bool interval);

/* One line per interval: time, drops by top reasons, retransmissions. */
void dropmon_report_line(FILE *f, const struct dropmon *m, const struct dropmon_view *v);

#endif
