/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verdict a diagnose run prints: ranked causes (drop points with what
 * they explain, their device's own counter and a hint from the topology),
 * the reconciliation (drops by what they carried, retransmissions by
 * cause), then per stream. Text and JSON from the same figures.
 */
#ifndef DS_DIAGNOSE_VERDICT_H
#define DS_DIAGNOSE_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "collect.h"
#include "join.h"

struct dropmon;
struct dropmon_view;
struct json;

/* What the topology says of a device, for a cause's hint. */
struct dg_devinfo {
	char kind[16];			/* "macvtap", "veth", "tun" ... */
	char link_role[8];		/* "lower" (macvlan/macvtap), "peer" (veth) */
	char link_name[40];		/* "vh0", "v-host@hostns" */
	char mode[16];			/* macvlan/macvtap mode */
	uint32_t txqlen;
	int reader_pid;			/* a tun/tap/macvtap's reader, 0 if none known */
	char reader_comm[16];
};

/* Fill @out for device @ifindex of @netns; false when unknown. */
typedef bool (*dg_devinfo_fn)(void *ctx, uint32_t netns, int ifindex, struct dg_devinfo *out);

struct dg_cause {
	size_t point;			/* index into the run's points */
	char netns[64], ifname[16], kind[16], reason[48], site[96];
	uint64_t drops;			/* every drop there (also other traffic's) */
	uint64_t workload_drops;
	uint64_t slow_explained;
	uint64_t by_payload[DG_NPAYLOAD];
	bool counted;			/* the device's own counter is known */
	const char *counter;		/* "rx_dropped", "tx_dropped", "qdisc_drops" */
	uint64_t counter_delta;		/* that counter over the run */
	int reader_pid;			/* a tun/tap/macvtap's reader, 0 if none known */
	char reader_comm[16];
	char hint[256];
};

/* Packets freed that were not lost, by point. */
struct dg_discard_row {
	char netns[64], ifname[16], reason[48];
	uint64_t n;
};

struct dg_verdict_ctx {
	const struct dg_data *d;
	const struct dg_output *o;
	struct dg_cause *causes;	/* ranked: most slow explained, then most drops */
	size_t ncauses;
	struct dg_discard_row *discards;
	size_t ndiscards;
	double threshold_ms;
	bool interrupted;
	uint64_t tracer_lost;		/* events the tracer could not deliver (ring full) */
	uint64_t filtered_out;		/* --flows: drops its EXPR did not match */
	int detail;			/* -s: JSON lists every row */
};

/* Rank the causes; names come from @m and @v, hints from @info (may be NULL). Return: 0 or -ENOMEM. */
int dg_verdict_build(struct dg_verdict_ctx *c, struct dropmon *m, const struct dropmon_view *v,
		     dg_devinfo_fn info, void *info_ctx);
void dg_verdict_free(struct dg_verdict_ctx *c);

void dg_verdict_json(struct json *j, const struct dg_verdict_ctx *c);
void dg_verdict_text(FILE *f, const struct dg_verdict_ctx *c, int detail);

#endif
