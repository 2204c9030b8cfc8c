// SPDX-License-Identifier: GPL-2.0
/* dropscope rr: options, the run loop and output around the rr engine (src/rr). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dropscope.h"
#include "log.h"
#include "loop.h"
#include "params.h"
#include "rr.h"
#include "rr_proto.h"
#include "rr_report.h"

struct rr_args {
	struct rr_config cfg;
	bool server, v4, v6;
	const char *svg;
	uint32_t sizes[2];
};

#define A(f) offsetof(struct rr_args, f)

static const char synopsis[] =
	"dropscope rr --server [--bind ADDR] [--port N] [--once]\n"
	"       dropscope rr HOST [--port N] [--streams N] [--duration S | --transactions N]\n"
	"                         [--size REQ[,RESP]] [--sport-base P] [--svg FILE]";

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

static const struct opt rr_opts[] = {
	{ "server", 0, OPT_FLAG, A(server), NULL, "run the server side" },
	{ "bind", 'b', OPT_STRING, A(cfg.bind), "ADDR",
	  "server: listen address (default: all, IPv4 and IPv6)" },
	{ "once", '1', OPT_FLAG, A(cfg.once), NULL, "server: exit after one session" },
	{ "port", 'P', OPT_U32, A(cfg.port), "N", "control port (default 12867)", 1, 65535 },
	{ "streams", 'n', OPT_U32, A(cfg.streams), "N",
	  "concurrent connections, one transaction in flight each (default 1)",
	  1, RR_MAX_STREAMS },
	{ "threads", 'T', OPT_U32, A(cfg.threads), "N",
	  "client threads (default: min(streams, CPUs))", 1, 256 },
	{ "duration", 'd', OPT_SECONDS, A(cfg.duration_s), "S",
	  "run time: 10, 2.5s, 500ms, 1m (default 10 s)", 1, RR_MAX_LIMIT_S * 1000ULL / 2 },
	{ "transactions", 'N', OPT_U64, A(cfg.transactions), "N",
	  "stop after N transactions in total instead", 1, UINT64_MAX / 2 },
	{ "size", 'm', OPT_CUSTOM, A(sizes), "REQ[,RESP]",
	  "request and response bytes (default 1,1)", 0, 0, parse_sizes },
	{ "sport-base", 0, OPT_U32, A(cfg.sport_base), "P",
	  "stream i uses source port P+i (to split a capture)", 1, 65535 },
	{ "timeout", 0, OPT_SECONDS, A(cfg.timeout_s), "S",
	  "fail when a connect or a transaction takes longer (default 10 s)", 1, 3600000 },
	{ "svg", 0, OPT_STRING, A(svg), "FILE", "write the latency histogram as SVG" },
	{ "ipv4", '4', OPT_FLAG, A(v4), NULL, "use IPv4 only" },
	{ "ipv6", '6', OPT_FLAG, A(v6), NULL, "use IPv6 only" },
	OPT_END,
};

static int check_args(struct rr_args *a, int argc, int pos)
{
	struct rr_config *cfg = &a->cfg;

	if (a->v4 && a->v6) {
		ds_error("rr", "-4 and -6 exclude each other");
		return -1;
	}
	cfg->family = a->v4 ? AF_INET : a->v6 ? AF_INET6 : AF_UNSPEC;
	cfg->req_size = a->sizes[0];
	cfg->resp_size = a->sizes[1];
	if (a->server) {
		if (pos < argc) {
			ds_error("rr", "--server takes no HOST (use --bind)");
			return -1;
		}
		return 0;
	}
	if (pos != argc - 1) {
		ds_error("rr", pos >= argc ? "missing HOST (or --server)"
					   : "too many arguments");
		return -1;
	}
	if (cfg->sport_base && cfg->sport_base + cfg->streams - 1 > 65535) {
		ds_error("rr", "--sport-base %u leaves no room for %u streams",
			 cfg->sport_base, cfg->streams);
		return -1;
	}
	return 0;
}

static void report(const struct rr_args *a, const struct rr_result *res)
{
	if (ds.json) {
		struct json j;

		json_init(&j, stdout, ds.pretty);
		json_obj_open(&j, NULL);
		rr_report_json(&j, &a->cfg, res);
		json_obj_close(&j);
		json_end(&j);
	} else {
		rr_report_text(stdout, &a->cfg, res, ds.stats);
	}
	fflush(stdout);
}

static int run_client(struct rr_args *a)
{
	struct rr_result res;
	int err, ret = EXIT_OK;

	err = rr_client_run(&a->cfg, &res);
	if (err && !res.transactions) {
		/* Nothing ran: one line, no empty report. */
		ds_error("rr", "%s", res.error);
		rr_result_free(&res);
		return EXIT_FAIL;
	}
	report(a, &res);
	if (err) {
		fprintf(stderr, "dropscope rr: %s (partial results above)\n", res.error);
		ret = EXIT_FAIL;
	}
	if (a->svg) {
		int e = rr_report_svg(a->svg, &a->cfg, &res);

		if (e) {
			fprintf(stderr, "dropscope rr: cannot write %s: %s\n", a->svg,
				strerror(-e));
			ret = EXIT_FAIL;
		}
	}
	rr_result_free(&res);
	return ret;
}

int do_rr(int argc, char **argv)
{
	struct rr_args a = {
		.cfg = {
			.port = RR_DEFAULT_PORT,
			.streams = 1,
			.duration_s = 10,
			.timeout_s = 10,
		},
		.sizes = { 1, 1 },
	};
	struct loop loop;
	char why[256];
	int pos, err, ret;

	pos = params_parse("rr", synopsis, rr_opts, argc, argv, &a, why, sizeof(why));
	if (pos == -2)
		return EXIT_OK;
	if (pos == -1) {
		ds_error("rr", "%s", why);
		return EXIT_USAGE;
	}
	if (pos < 0 || check_args(&a, argc, pos))
		return EXIT_USAGE;
	/* Before any thread: SIGINT and SIGTERM stay blocked in all of them. */
	err = loop_init(&loop);
	if (err) {
		ds_error("rr", "run loop: %s", strerror(-err));
		return EXIT_FAIL;
	}
	a.cfg.loop = &loop;
	if (a.server) {
		ret = rr_server_run(&a.cfg) ? EXIT_FAIL : EXIT_OK;
	} else {
		a.cfg.host = argv[pos];
		ret = run_client(&a);
	}
	loop_free(&loop);
	return ret;
}
