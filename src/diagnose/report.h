/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diagnose --report DIR: report.html (self-contained: the latency
 * histogram, a timeline of slow transactions and drops per device, the
 * verdict, the topology), verdict.json (what -j prints) and drops.pcapng
 * (the dropped packets' headers, one interface per drop point, each
 * packet's comment naming reason, device and namespace).
 */
#ifndef DS_DIAGNOSE_REPORT_H
#define DS_DIAGNOSE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collect.h"
#include "join.h"
#include "verdict.h"

struct dropmon;
struct dropmon_view;
struct json;
struct rr_config;
struct rr_result;
struct hist;

struct dg_report_in {
	const char *dir;
	const struct dg_data *d;
	const struct dg_output *o;
	const struct dg_verdict_ctx *vc;
	const struct rr_config *cfg;
	const struct rr_result *res;
	const struct hist *hist;	/* the latency histogram to plot */
	const char *title;		/* the page's heading */
	struct dropmon *m;
	const struct dropmon_view *v;
	uint64_t t0_ns, t1_ns;		/* the workload's span, CLOCK_MONOTONIC */
	/* The JSON document's members and the text report, as stdout has them. */
	void (*json)(struct json *j, const void *ctx);
	void (*text)(FILE *f, const void *ctx);
	const void *json_ctx;
};

/* Return: 0, or -errno with one line in @why; files are written whole or not at all. */
int dg_report_write(const struct dg_report_in *in, char *why, size_t len);

#endif
