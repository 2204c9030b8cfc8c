// SPDX-License-Identifier: GPL-2.0
/* dropscope drops: options, the sampling loop and output around lib/dropmon. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dropmon_report.h"
#include "dropscope.h"
#include "log.h"
#include "params.h"
#include "privs.h"

struct drops_args {
	double duration_s;
	double interval_s;
	const char *netns;
	const char *filter;
	bool counters_only;
	bool trace;
	bool keep_privs;
	uint32_t ring_mb;
	bool disable[PROBE_NR];
};

#define A(f) offsetof(struct drops_args, f)

static const char synopsis[] =
	"dropscope [-j] [-s] drops [-d S] [-i S] [--netns all|NAME] [--filter EXPR]\n"
	"                           [--counters-only | --trace] [--no-probe NAME]";

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
	{ "counters-only", 'C', OPT_FLAG, A(counters_only), NULL,
	  "no tracing: interface, qdisc and protocol counters only" },
	{ "trace", 't', OPT_FLAG, A(trace), NULL,
	  "fail (exit 3) rather than fall back to counters when tracing is not possible" },
	{ "no-probe", 0, OPT_CUSTOM, A(disable), "NAME",
	  "leave out a tracepoint: kfree_skb, tcp_retransmit_skb, tcp_retransmit_synack",
	  0, 0, parse_probe },
	{ "ring-mb", 0, OPT_U32, A(ring_mb), "MB",
	  "event ring size with --filter (default 8)", 1, 1024 },
	{ "keep-privileges", 0, OPT_FLAG, A(keep_privs), NULL,
	  "do not drop capabilities after attaching (debugging)" },
	OPT_END,
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void print_interval(struct dropmon *m, struct json *nd)
{
	struct dropmon_view v;

	if (dropmon_view(m, false, &v)) {
		pr_warn("dropscope drops: cannot sample counters\n");
		return;
	}
	if (ds.json) {
		dropmon_report_json(nd, NULL, m, &v, ds.stats, true);
		json_end(nd);
	} else {
		dropmon_report_line(stdout, m, &v);
	}
	fflush(stdout);
	dropmon_view_free(&v);
}

/* Sleep in short steps so that a signal or the end is noticed within 100 ms. */
static void run_loop(struct dropmon *m, const struct drops_args *a)
{
	uint64_t t0 = now_ns(), end = a->duration_s > 0 ? t0 + (uint64_t)(a->duration_s * 1e9) : 0;
	uint64_t step = a->interval_s > 0 ? (uint64_t)(a->interval_s * 1e9) : 0;
	uint64_t next = step ? t0 + step : 0;
	struct json nd;

	json_init(&nd, stdout, false);
	while (!g_stop) {
		uint64_t now = now_ns(), wake = end;

		if (end && now >= end)
			break;
		if (next && now >= next) {
			print_interval(m, &nd);
			next += step;
			continue;
		}
		if (next && (!wake || next < wake))
			wake = next;
		dropmon_wait(m, wake ? (int)((wake - now) / 1000000 > 100 ? 100
								   : (wake - now) / 1000000 + 1)
				     : 100);
	}
}

static int report(struct dropmon *m, bool intervals)
{
	struct dropmon_view v;

	if (dropmon_view(m, true, &v)) {
		ds_error("drops", "cannot sample counters at the end");
		return EXIT_FAIL;
	}
	if (ds.json) {
		struct json j;

		json_init(&j, stdout, ds.pretty);
		if (intervals) {
			/* NDJSON: the summary is the last line, marked as such. */
			json_obj_open(&j, NULL);
			json_str(&j, "type", "summary");
		}
		dropmon_report_json(&j, intervals ? "drops" : NULL, m, &v, ds.stats, false);
		if (intervals)
			json_obj_close(&j);
		json_end(&j);
	} else {
		if (intervals)
			printf("\n");
		dropmon_report_text(stdout, m, &v, ds.stats);
	}
	dropmon_view_free(&v);
	return EXIT_OK;
}

int do_drops(int argc, char **argv)
{
	struct drops_args a = { .duration_s = 10 };
	struct dropmon_opts o = { 0 };
	struct dropmon *m;
	char why[320];
	int pos, err, rc;

	pos = params_parse("drops", synopsis, drops_opts, argc, argv, &a, why, sizeof(why));
	if (pos == -2)
		return EXIT_OK;
	if (pos == -1) {
		ds_error("drops", "%s", why);
		return EXIT_USAGE;
	}
	if (pos < 0)
		return EXIT_USAGE;
	if (pos < argc) {
		ds_error("drops", "unexpected argument '%s' (a filter goes in --filter)", argv[pos]);
		return EXIT_USAGE;
	}
	if (a.counters_only && (a.trace || a.filter)) {
		ds_error("drops", "--counters-only excludes --trace and --filter");
		return EXIT_USAGE;
	}
	o.netns = a.netns;
	o.trace = !a.counters_only;
	o.need_trace = a.trace || a.filter;
	o.filter = a.filter;
	o.ring_bytes = (size_t)(a.ring_mb ? a.ring_mb : 8) << 20;
	memcpy(o.disable, a.disable, sizeof(o.disable));
	err = dropmon_start(&m, &o, why, sizeof(why));
	if (err) {
		ds_error("drops", "%s", why);
		if (err == -EPERM || err == -EACCES || err == -ENOENT || err == -EOPNOTSUPP)
			return err == -ENOENT && !o.need_trace ? EXIT_FAIL : EXIT_NOPERM;
		return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if (!dropmon_info(m)->tracing && o.trace)
		pr_warn("dropscope drops: not tracing (%s); counters only\n",
			dropmon_info(m)->trace_why);
	/* Everything is open: the rest needs no privilege. */
	if (!a.keep_privs && privs_drop())
		pr_warn("dropscope drops: cannot drop capabilities: %s\n", strerror(errno));
	install_signals();
	/* Tests and scripts wait for this line before making traffic. */
	pr_info("dropscope drops: ready: %zu namespace%s, %s\n", dropmon_info(m)->nns,
		dropmon_info(m)->nns == 1 ? "" : "s",
		dropmon_info(m)->tracing ? "tracing" : "counters only");
	run_loop(m, &a);
	rc = report(m, a.interval_s > 0);
	dropmon_stop(m);
	return rc;
}
