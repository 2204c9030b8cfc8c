// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "rr_opts.h"
#include "rr_proto.h"

#define W(f) offsetof(struct rr_workload, f)

static int parse_size(const char *s, char **end, uint32_t *out)
{
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 10);
	if (errno || !v || v > RR_MAX_SIZE)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "REQ" or "REQ,RESP" in bytes, each 1..RR_MAX_SIZE; RESP defaults to REQ. */
static int parse_sizes(const char *arg, void *field)
{
	uint32_t *sz = field;
	char *end;

	if (parse_size(arg, &end, &sz[0]))
		return -EINVAL;
	sz[1] = sz[0];
	if (*end == ',' && parse_size(end + 1, &end, &sz[1]))
		return -EINVAL;
	return *end ? -EINVAL : 0;
}

const struct opt rr_workload_opts[] = {
	{ "port", 'P', OPT_U32, W(cfg.port), "N", "control port (default 12867)", 1, 65535 },
	{ "streams", 'n', OPT_U32, W(cfg.streams), "N",
	  "concurrent connections, one transaction in flight each (default 1)",
	  1, RR_MAX_STREAMS },
	{ "threads", 'T', OPT_U32, W(cfg.threads), "N",
	  "client threads (default: min(streams, CPUs))", 1, 256 },
	{ "duration", 'd', OPT_SECONDS, W(cfg.duration_s), "S",
	  "run time: 10, 2.5s, 500ms, 1m (default 10 s)", 1, RR_MAX_LIMIT_S * 1000ULL / 2 },
	{ "transactions", 'N', OPT_U64, W(cfg.transactions), "N",
	  "stop after N transactions in total instead", 1, UINT64_MAX / 2 },
	{ "size", 'm', OPT_CUSTOM, W(sizes), "REQ[,RESP]",
	  "request and response bytes (default 1,1)", 0, 0, parse_sizes },
	{ "sport-base", 0, OPT_U32, W(cfg.sport_base), "P",
	  "stream i uses source port P+i (to split a capture)", 1, 65535 },
	{ "timeout", 0, OPT_SECONDS, W(cfg.timeout_s), "S",
	  "fail when a connect or a transaction takes longer (default 10 s)", 1, 3600000 },
	{ "ipv4", '4', OPT_FLAG, W(v4), NULL, "use IPv4 only" },
	{ "ipv6", '6', OPT_FLAG, W(v6), NULL, "use IPv6 only" },
	OPT_END,
};

void rr_workload_init(struct rr_workload *w)
{
	*w = (struct rr_workload){
		.cfg = {
			.port = RR_DEFAULT_PORT,
			.streams = 1,
			.duration_s = 10,
			.timeout_s = 10,
		},
		.sizes = { 1, 1 },
	};
}

int rr_workload_check(struct rr_workload *w, char *why, size_t len)
{
	struct rr_config *cfg = &w->cfg;

	if (w->v4 && w->v6) {
		snprintf(why, len, "-4 and -6 exclude each other");
		return -EINVAL;
	}
	cfg->family = w->v4 ? AF_INET : w->v6 ? AF_INET6 : AF_UNSPEC;
	cfg->req_size = w->sizes[0];
	cfg->resp_size = w->sizes[1];
	if (cfg->sport_base && cfg->sport_base + cfg->streams - 1 > 65535) {
		snprintf(why, len, "--sport-base %u leaves no room for %u streams",
			 cfg->sport_base, cfg->streams);
		return -EINVAL;
	}
	return 0;
}
