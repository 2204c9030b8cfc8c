/* SPDX-License-Identifier: GPL-2.0 */
/* Text and JSON reports of an rr run; shared by `rr` and later `diagnose`. */
#ifndef DS_RR_REPORT_H
#define DS_RR_REPORT_H

#include <stdio.h>

#include "json.h"
#include "rr.h"

/* Members of the run's JSON object (the caller opens and closes it). */
void rr_report_json(struct json *j, const struct rr_config *cfg,
		    const struct rr_result *res);
void rr_report_text(FILE *f, const struct rr_config *cfg,
		    const struct rr_result *res, int detail);
/* Writes @path atomically (temp file + rename). Return: 0 or -errno. */
int rr_report_svg(const char *path, const struct rr_config *cfg,
		  const struct rr_result *res);

#endif
