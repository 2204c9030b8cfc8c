/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rr workload's client options, once: `rr HOST` and `diagnose rr HOST`
 * take the same ones. The table's offsets are into struct rr_workload;
 * a command embeds one and adds the table with params_cat().
 */
#ifndef DS_RR_OPTS_H
#define DS_RR_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "params.h"
#include "rr.h"

struct rr_workload {
	struct rr_config cfg;
	uint32_t sizes[2];		/* --size REQ[,RESP] */
	bool v4, v6;
};

extern const struct opt rr_workload_opts[];

/* The defaults: 1 stream, 10 s, 1-byte request and response, port 12867. */
void rr_workload_init(struct rr_workload *w);

/**
 * rr_workload_check() - settle what the options leave to check together
 * (-4/-6, sizes, the source port range). Return: 0, or -EINVAL with a
 * one-line reason in @why.
 */
int rr_workload_check(struct rr_workload *w, char *why, size_t len);

#endif
