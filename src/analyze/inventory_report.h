/* SPDX-License-Identifier: GPL-2.0 */
/* The inventory's and the DSCP check's summaries, in JSON and text. */
#ifndef DS_INVENTORY_REPORT_H
#define DS_INVENTORY_REPORT_H

#include <stdio.h>

#include "dscpmatch.h"
#include "inventory.h"
#include "json.h"

/* "inventory": {"v4_prefix", "v6_prefix", "max_rows", "by_dscp", "by_subnet", "by_port"}. */
void inventory_report_json(struct json *j, const struct inventory *inv);
/* Per table the @top largest (all when 0), then the "other" row if it counted anything. */
void inventory_report_text(FILE *f, const struct inventory *inv, size_t top);
/* "dscp_check": {"far", "far_pkts", ..., "near_to_far": [...], "far_to_near": [...]}. */
void dscpmatch_report_json(struct json *j, const struct dscpmatch *m, const char *far);
void dscpmatch_report_text(FILE *f, const struct dscpmatch *m, const char *far);

#endif
