// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope drops: options, the run loop (ticks for -i, a deadline for -d,
 * the event ring's fd) and output around src/drops/dropmon.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dropmon_report.h"
#include "dropscope.h"
#include "event.h"
#include "log.h"
#include "loop.h"
#include "params.h"
#include "privs.h"

struct drops_args {
	double duration_s;
	double interval_s;
	const char *netns;
	const char *filter;
	const char *events;
	bool counters_only;
	bool trace;
	bool keep_privs;
	uint32_t ring_mb;
	bool disable[PROBE_NR];
};

#define A(f) offsetof(struct drops_args, f)

static const char synopsis[] =
	"dropscope [-j] [-s] drops [-d S] [-i S] [--netns all|NAME] [--filter EXPR]\n"
	"                           [--events FILE|-] [--counters-only | --trace] [--no-probe NAME]";

/* "kfree_skb", "skb:kfree_skb", "tcp_retransmit_skb", ... */
static int parse_probe(const char *arg, void *field)
{
	bool *disable = field;

	for (int p = 0; p < PROBE_NR; p++) {
		const char *full = droptrace_probe_name(p), *bare = strchr(full, ':') + 1;

		if (!strcmp(arg, full) || !strcmp(arg, bare)) {
			disable[p] = true;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct opt drops_opts[] = {
	{ "duration", 'd', OPT_SECONDS, A(duration_s), "S",
	  "run for S seconds (default 10; 0: until interrupted)", 0, 86400000ULL * 365 },
	{ "interval", 'i', OPT_SECONDS, A(interval_s), "S",
	  "also print what happened every S seconds (NDJSON with -j)", 100, 86400000 },
	{ "netns", 'n', OPT_STRING, A(netns), "NAME",
	  "only this namespace: an `ip netns` name, init, pid:N (default: all)" },
	{ "filter", 'f', OPT_STRING, A(filter), "EXPR",
	  "count only drops whose packet matches this pcap-filter expression" },
	{ "events", 'e', OPT_STRING, A(events), "FILE",
	  "write every drop and TCP retransmission as NDJSON to FILE (-: stdout)" },
	{ "counters-only", 'C', OPT_FLAG, A(counters_only), NULL,
	  "no tracing: interface, qdisc and protocol counters only" },
	{ "trace", 't', OPT_FLAG, A(trace), NULL,
	  "fail (exit 3) rather than fall back to counters when tracing is not possible" },
	{ "no-probe", 0, OPT_CUSTOM, A(disable), "NAME",
	  "leave out a tracepoint: kfree_skb, tcp_retransmit_skb, tcp_retransmit_synack",
	  0, 0, parse_probe },
	{ "ring-mb", 0, OPT_U32, A(ring_mb), "MB",
	  "event ring size with --filter or --events (default 8)", 1, 1024 },
	{ "keep-privileges", 0, OPT_FLAG, A(keep_privs), NULL,
	  "do not drop capabilities after attaching (debugging)" },
	OPT_END,
};

/* One run: the engine, the loop, and where its lines go. */
struct drops_run {
	struct dropmon *m;		/* NULL until dropmon_start() returned */
	struct loop loop;
	uint64_t end_ns;		/* the deadline; 0: none */
	struct ev_out out;		/* stdout as NDJSON lines, when ndjson */
	struct ev_out file;		/* --events FILE */
	struct ev_out *ev;		/* where events go: &file, &out, or NULL */
	bool ndjson;			/* -j -i, or --events -: stdout is lines */
	bool intervals;			/* -i: text lines came before the report */
	uint64_t lost_shown, lost_at;	/* ring losses reported, and when checked */
};

/* Ring losses are a map read: looked at this often at most while events flow. */
#define LOST_CHECK_NS (100 * NSEC_PER_MSEC)

/* Events read while dropmon_start() takes its first sample precede the run. */
static void on_drop(void *ctx, const struct drop_event *e, const struct drop_pkt *p)
{
	struct drops_run *r = ctx;

	if (r->m)
		dropmon_event_drop(r->ev, r->m, e, p);
}

static void on_rtx(void *ctx, const struct rtx_event *e, const struct flow_id *f)
{
	struct drops_run *r = ctx;

	if (r->m)
		dropmon_event_rtx(r->ev, r->m, e, f);
}

/* A "lost" line when the ring lost more since the last one. */
static void check_lost(struct drops_run *r, uint64_t now, bool force)
{
	uint64_t lost;

	if (!r->ev || (!force && now - r->lost_at < LOST_CHECK_NS))
		return;
	r->lost_at = now;
	lost = dropmon_ring_lost(r->m);
	if (lost > r->lost_shown)
		dropmon_event_lost(r->ev, now, lost - r->lost_shown, lost);
	r->lost_shown = lost;
}

static void after_read(void *ctx)
{
	check_lost(ctx, now_ns(), false);
}

static int on_tick(void *ctx, uint64_t now)
{
	struct drops_run *r = ctx;
	struct dropmon_view v;

	/* A tick at the deadline: the end's report has that interval. */
	if (r->end_ns && now >= r->end_ns)
		return 0;
	if (dropmon_view(r->m, false, &v)) {
		pr_warn("dropscope drops: cannot sample counters\n");
		return 0;
	}
	if (r->ev && r->ev != &r->out)
		dropmon_report_interval(r->ev, r->m, &v, ds.stats);
	if (r->ndjson)
		dropmon_report_interval(&r->out, r->m, &v, ds.stats);
	else
		dropmon_report_line(stdout, r->m, &v);
	fflush(stdout);
	dropmon_view_free(&v);
	check_lost(r, now, true);
	return 0;
}

static int run_loop(struct drops_run *r, const struct drops_args *a)
{
	int err = 0;

	if (a->duration_s > 0) {
		uint64_t d = (uint64_t)(a->duration_s * 1e9);

		r->end_ns = now_ns() + d;
		err = loop_set_deadline(&r->loop, d);
	}
	r->intervals = a->interval_s > 0;
	if (!err && r->intervals)
		err = loop_set_tick(&r->loop, (uint64_t)(a->interval_s * 1e9), on_tick, r);
	if (!err)
		err = dropmon_attach(r->m, &r->loop, after_read, r);
	if (err)
		return err;
	/* Tests and scripts wait for this line before making traffic. */
	pr_info("dropscope drops: ready: %zu namespace%s, %s\n", dropmon_info(r->m)->nns,
		dropmon_info(r->m)->nns == 1 ? "" : "s",
		dropmon_info(r->m)->tracing ? "tracing" : "counters only");
	return loop_run(&r->loop);
}

struct drops_report {
	const struct drops_run *r;
	const struct dropmon_view *v;
};

static void report_json(struct json *j, const void *ctx)
{
	const struct drops_report *p = ctx;

	dropmon_report_json(j, NULL, p->r->m, p->v, ds.stats, false);
}

static void report_text(FILE *f, const void *ctx)
{
	const struct drops_report *p = ctx;

	if (p->r->intervals)
		fprintf(f, "\n");
	dropmon_report_text(f, p->r->m, p->v, ds.stats);
}

static int report(struct drops_run *r)
{
	struct dropmon_view v;

	/* Also reads what is left in the ring: those events come first. */
	if (dropmon_view(r->m, true, &v)) {
		ds_error("drops", "cannot sample counters at the end");
		return EXIT_FAIL;
	}
	check_lost(r, v.end_ns, true);
	if (r->ndjson) {
		/* NDJSON: the summary is the last line, marked as such. */
		struct json *j = ev_begin(&r->out, "summary", v.end_ns);

		dropmon_report_json(j, "drops", r->m, &v, ds.stats, false);
		ev_end(&r->out);
	} else {
		struct drops_report p = { r, &v };

		ds_report(NULL, report_json, report_text, &p);
	}
	dropmon_view_free(&v);
	return EXIT_OK;
}

/* stdout and the event stream, before anything can be written to them. */
static int outputs_open(struct drops_run *r, const struct drops_args *a)
{
	bool to_stdout = a->events && !strcmp(a->events, "-");
	int err;

	r->ndjson = to_stdout || (ds.json && a->interval_s > 0);
	if (r->ndjson && (err = ev_open(&r->out, "-")))
		return err;
	if (to_stdout) {
		r->ev = &r->out;
	} else if (a->events) {
		err = ev_open(&r->file, a->events);
		if (err) {
			ds_error("drops", "cannot write events to %s: %s", a->events, strerror(-err));
			return err;
		}
		r->ev = &r->file;
	}
	return 0;
}

static int outputs_close(struct drops_run *r, const struct drops_args *a)
{
	int err = ev_close(&r->file), err2 = ev_close(&r->out);

	if (err || err2) {
		ds_error("drops", "cannot write %s: %s", err ? a->events : "stdout",
			 strerror(-(err ? err : err2)));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int check_args(const struct drops_args *a, int pos, int argc, char **argv)
{
	if (pos < argc) {
		ds_error("drops", "unexpected argument '%s' (a filter goes in --filter)", argv[pos]);
		return EXIT_USAGE;
	}
	if (a->counters_only && (a->trace || a->filter || a->events)) {
		ds_error("drops", "--counters-only excludes --trace, --filter and --events");
		return EXIT_USAGE;
	}
	if (a->events && !a->events[0]) {
		ds_error("drops", "--events needs a file name or -");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int start(struct drops_run *r, const struct drops_args *a)
{
	struct dropmon_opts o = { 0 };
	struct dropmon *m;
	char why[320];
	int err;

	o.netns = a->netns;
	o.trace = !a->counters_only;
	o.need_trace = a->trace || a->filter || a->events;
	o.filter = a->filter;
	o.ring_bytes = (size_t)(a->ring_mb ? a->ring_mb : 8) << 20;
	if (r->ev)
		o.ev = (struct dropmon_events){ on_drop, on_rtx, r };
	memcpy(o.disable, a->disable, sizeof(o.disable));
	err = dropmon_start(&m, &o, why, sizeof(why));
	if (err) {
		ds_error("drops", "%s", why);
		if (err == -EPERM || err == -EACCES || err == -ENOENT || err == -EOPNOTSUPP)
			return err == -ENOENT && !o.need_trace ? EXIT_FAIL : EXIT_NOPERM;
		return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	r->m = m;
	r->lost_shown = dropmon_ring_lost(m);
	if (!dropmon_info(m)->tracing && o.trace)
		pr_warn("dropscope drops: not tracing (%s); counters only\n",
			dropmon_info(m)->trace_why);
	/* Everything is open: the rest needs no privilege. */
	if (!a->keep_privs && privs_drop())
		pr_warn("dropscope drops: cannot drop capabilities: %s\n", strerror(errno));
	return EXIT_OK;
}

int do_drops(int argc, char **argv)
{
	struct drops_args a = { .duration_s = 10 };
	struct drops_run r = { 0 };
	int pos, err, rc;

	rc = ds_options("drops", synopsis, drops_opts, argc, argv, &a, &pos);
	if (rc >= 0)
		return rc;
	rc = check_args(&a, pos, argc, argv);
	if (rc != EXIT_OK)
		return rc;
	/* Signals are held from here on: one that comes early ends the run at once. */
	if (ds_loop_init("drops", &r.loop))
		return EXIT_FAIL;
	if (outputs_open(&r, &a)) {
		rc = EXIT_FAIL;
		goto err_loop;
	}
	rc = start(&r, &a);
	if (rc != EXIT_OK)
		goto err_outputs;
	err = run_loop(&r, &a);
	if (err)
		pr_warn("dropscope drops: run ended early: %s\n", strerror(-err));
	rc = report(&r);
	if (rc == EXIT_OK && err)
		rc = EXIT_FAIL;
	dropmon_stop(r.m);
err_outputs:
	if (outputs_close(&r, &a) != EXIT_OK && rc == EXIT_OK)
		rc = EXIT_FAIL;
err_loop:
	loop_free(&r.loop);
	return rc;
}
