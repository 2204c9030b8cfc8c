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
#include "rr_opts.h"
#include "rr_proto.h"
#include "rr_report.h"

/* The slow-event stream; workers of several streams write it: one lock. */
struct rr_events {
	struct ev_out out;
	pthread_mutex_t lock;
};

struct rr_args {
	struct rr_workload w;		/* the client's workload options */
	bool server;
	const char *svg;
	const char *events;
	double events_min_s;		/* < 0: not given */
	struct rr_events ev;
};

#define A(f) offsetof(struct rr_args, f)

static const char synopsis[] =
	"dropscope rr --server [--bind ADDR] [--port N] [--once]\n"
	"       dropscope rr HOST [--port N] [--streams N] [--duration S | --transactions N]\n"
	"                         [--size REQ[,RESP]] [--sport-base P] [--svg FILE]\n"
	"                         [--events FILE|- [--events-min S]]";

static const struct opt server_opts[] = {
	{ "server", 0, OPT_FLAG, A(server), NULL, "run the server side" },
	{ "bind", 'b', OPT_STRING, A(w.cfg.bind), "ADDR",
	  "server: listen address (default: all, IPv4 and IPv6)" },
	{ "once", '1', OPT_FLAG, A(w.cfg.once), NULL, "server: exit after one session" },
	OPT_END,
};

static const struct opt output_opts[] = {
	{ "svg", 0, OPT_STRING, A(svg), "FILE", "write the latency histogram as SVG" },
	{ "events", 0, OPT_STRING, A(events), "FILE|-",
	  "write slow transactions as NDJSON events (\"-\": stdout)" },
	{ "events-min", 0, OPT_SECONDS, A(events_min_s), "S",
	  "events for transactions this slow: 200ms, 1s, 0 for all (default 200 ms)",
	  0, 3600000 },
	OPT_END,
};

static int check_args(struct rr_args *a, int argc, int pos)
{
	char why[160];

	if (rr_workload_check(&a->w, why, sizeof(why))) {
		ds_error("rr", "%s", why);
		return -1;
	}
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
	a->w.cfg.slow_ns = a->events_min_s >= 0 ? (uint64_t)(a->events_min_s * 1e9) : rr_tail_ns[0];
	a->w.cfg.on_slow = on_slow;
	a->w.cfg.slow_ctx = ev;
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

	rr_report_json(j, &r->a->w.cfg, r->res);
}

static void report_text(FILE *f, const void *ctx)
{
	const struct rr_report *r = ctx;

	rr_report_text(f, &r->a->w.cfg, r->res, ds.stats);
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
	err = rr_client_run(&a->w.cfg, &res);
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
		int e = rr_report_svg(a->svg, &a->w.cfg, &res);

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
	struct rr_args a = { .events_min_s = -1 };
	struct opt opts[PARAMS_MAX] = { OPT_END };
	struct loop loop;
	int pos, ret;

	rr_workload_init(&a.w);
	params_cat(opts, PARAMS_MAX, server_opts, 0);
	params_cat(opts, PARAMS_MAX, rr_workload_opts, offsetof(struct rr_args, w));
	params_cat(opts, PARAMS_MAX, output_opts, 0);
	ret = ds_options("rr", synopsis, opts, argc, argv, &a, &pos);
	if (ret >= 0)
		return ret;
	if (check_args(&a, argc, pos))
		return EXIT_USAGE;
	/* Before any thread: SIGINT and SIGTERM stay blocked in all of them. */
	if (ds_loop_init("rr", &loop))
		return EXIT_FAIL;
	a.w.cfg.loop = &loop;
	if (a.server) {
		ret = rr_server_run(&a.w.cfg) ? EXIT_FAIL : EXIT_OK;
	} else {
		a.w.cfg.host = argv[pos];
		ret = run_client(&a);
	}
	loop_free(&loop);
	return ret;
}
