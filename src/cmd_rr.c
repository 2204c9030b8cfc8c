// SPDX-License-Identifier: GPL-2.0
/* dropscope rr: options, the run loop and output around the rr engine (src/rr). */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "dropscope.h"
#include "event.h"
#include "flow.h"
#include "log.h"
#include "loop.h"
#include "params.h"
#include "rr.h"
#include "rr_proto.h"
#include "rr_report.h"

/* The slow-event stream; workers of several streams write it: one lock. */
struct rr_events {
	struct ev_out out;
	pthread_mutex_t lock;
};

struct rr_args {
	struct rr_config cfg;
	bool server, v4, v6;
	const char *svg;
	const char *events;
	double events_min_s;		/* < 0: not given */
	struct rr_events ev;
	uint32_t sizes[2];
};

#define A(f) offsetof(struct rr_args, f)

static const char synopsis[] =
	"dropscope rr --server [--bind ADDR] [--port N] [--once]\n"
	"       dropscope rr HOST [--port N] [--streams N] [--duration S | --transactions N]\n"
	"                         [--size REQ[,RESP]] [--sport-base P] [--svg FILE]\n"
	"                         [--events FILE|- [--events-min S]]";

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
	{ "events", 0, OPT_STRING, A(events), "FILE|-",
	  "write slow transactions as NDJSON events (\"-\": stdout)" },
	{ "events-min", 0, OPT_SECONDS, A(events_min_s), "S",
	  "events for transactions this slow: 200ms, 1s, 0 for all (default 200 ms)",
	  0, 3600000 },
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
		if (pos < argc || a->events || a->events_min_s >= 0) {
			ds_error("rr", pos < argc ? "--server takes no HOST (use --bind)"
						  : "--events is a client option");
			return -1;
		}
		return 0;
	}
	if (a->events_min_s >= 0 && !a->events) {
		ds_error("rr", "--events-min needs --events");
		return -1;
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

/* rr_slow_fn: one "slow" line; called from the workers, so under the lock. */
static void on_slow(void *ctx, const struct rr_slow *e)
{
	struct rr_events *ev = ctx;
	struct json *j;

	pthread_mutex_lock(&ev->lock);
	j = ev_begin(&ev->out, "slow", e->end_ns);
	json_u64(j, "stream", e->stream);
	flow_json(j, e->flow, NULL);
	json_u64(j, "start_ns", e->start_ns);
	json_u64(j, "end_ns", e->end_ns);
	json_u64(j, "latency_us", (e->end_ns - e->start_ns) / NSEC_PER_USEC);
	if (e->seq_valid) {
		json_u64(j, "req_seq", e->req_seq);
		json_u64(j, "resp_seq", e->resp_seq);
	}
	json_u64(j, "req_len", e->req_len);
	json_u64(j, "resp_len", e->resp_len);
	ev_end(&ev->out);
	pthread_mutex_unlock(&ev->lock);
}

/* --events: open the stream and hand the engine its callback. */
static int events_open(struct rr_args *a)
{
	struct rr_events *ev = &a->ev;
	int err = ev_open(&ev->out, a->events);

	if (err) {
		ds_error("rr", "cannot open %s: %s", a->events, strerror(-err));
		return err;
	}
	pthread_mutex_init(&ev->lock, NULL);
	/* By default the RTO floor: the transactions that waited for a timer. */
	a->cfg.slow_ns = a->events_min_s >= 0 ? (uint64_t)(a->events_min_s * 1e9) : rr_tail_ns[0];
	a->cfg.on_slow = on_slow;
	a->cfg.slow_ctx = ev;
	return 0;
}

static int events_close(struct rr_args *a)
{
	struct rr_events *ev = &a->ev;
	int err = ev_close(&ev->out);

	pthread_mutex_destroy(&ev->lock);
	if (err)
		fprintf(stderr, "dropscope rr: cannot write %s: %s\n", a->events, strerror(-err));
	return err;
}

struct rr_report {
	const struct rr_args *a;
	const struct rr_result *res;
};

static void report_json(struct json *j, const void *ctx)
{
	const struct rr_report *r = ctx;

	rr_report_json(j, &r->a->cfg, r->res);
}

static void report_text(FILE *f, const void *ctx)
{
	const struct rr_report *r = ctx;

	rr_report_text(f, &r->a->cfg, r->res, ds.stats);
}

static void report(const struct rr_args *a, const struct rr_result *res)
{
	struct rr_report r = { a, res };

	ds_report(NULL, report_json, report_text, &r);
}

static int run_client(struct rr_args *a)
{
	struct rr_result res;
	int err, ret = EXIT_OK;

	if (a->events && events_open(a))
		return EXIT_FAIL;
	err = rr_client_run(&a->cfg, &res);
	/* The events are complete (workers joined); they precede the report. */
	if (a->events && events_close(a))
		ret = EXIT_FAIL;
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
		.events_min_s = -1,
	};
	struct loop loop;
	int pos, ret;

	ret = ds_options("rr", synopsis, rr_opts, argc, argv, &a, &pos);
	if (ret >= 0)
		return ret;
	if (check_args(&a, argc, pos))
		return EXIT_USAGE;
	/* Before any thread: SIGINT and SIGTERM stay blocked in all of them. */
	if (ds_loop_init("rr", &loop))
		return EXIT_FAIL;
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
