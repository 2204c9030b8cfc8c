// SPDX-License-Identifier: GPL-2.0
/* dropscope analyze: options, capture source, progress and output around lib/analyze. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze_report.h"
#include "capsrc.h"
#include "clock.h"
#include "dropscope.h"
#include "human.h"
#include "params.h"

struct analyze_args {
	struct capsrc_opts src;
	double interval_s;
	double duration_s;
	uint64_t count;
	uint32_t by_path;
	uint32_t max_flows;
	uint32_t top;
	bool no_progress;
};

#define A(f) offsetof(struct analyze_args, f)

static const char synopsis[] =
	"dropscope [-j] [-s] analyze [-r] FILE|- [EXPR...]\n"
	"       dropscope [-j] [-s] analyze -i IFACE [-w FILE] [--duration S] [--count N] [EXPR...]";

static const struct opt analyze_opts[] = {
	{ "read", 'r', OPT_STRING, A(src.file), "FILE",
	  "pcap or pcapng file, '-' for standard input" },
	{ "interface", 'i', OPT_STRING, A(src.iface), "IFACE", "capture live on IFACE" },
	{ "write", 'w', OPT_STRING, A(src.write), "FILE",
	  "also save the packets analysed to FILE (pcap, nanoseconds)" },
	{ "buffer", 'B', OPT_U32, A(src.buffer_mb), "MB", "live: kernel ring size (default 64)", 1, 2047 },
	{ "snaplen", 0, OPT_U32, A(src.snaplen), "N",
	  "live: bytes kept per packet (default 256: headers)", 64, 262144 },
	{ "duration", 'd', OPT_SECONDS, A(duration_s), "S", "live: stop after S seconds",
	  1, 86400000ULL * 365 },
	{ "count", 'c', OPT_U64, A(count), "N", "stop after N packets", 1, UINT64_MAX / 2 },
	{ "interval", 0, OPT_SECONDS, A(interval_s), "S",
	  "print per-interval totals every S seconds of capture time (NDJSON with -j)",
	  1, 86400000 },
	{ "by-path", 0, OPT_U32, A(by_path), "LEN",
	  "aggregate by (source /LEN, destination /LEN) prefix", 1, 128 },
	{ "max-flows", 0, OPT_U32, A(max_flows), "N",
	  "flow table size; the longest idle are evicted beyond (default 262144)", 1,
	  1U << 26 },
	{ "top", 0, OPT_U32, A(top), "N", "flows listed without -s (default 5)", 0, 1000 },
	{ "no-progress", 0, OPT_FLAG, A(no_progress), NULL, "no progress line on stderr" },
	OPT_END,
};

struct run {
	struct analyzer a;
	struct capsrc *src;
	int linktype;
	uint64_t limit;
	bool progress;
	uint64_t next_progress_ns, t0_ns;
	struct json ndjson;
};

static struct capsrc *volatile g_src;

static void on_signal(int sig)
{
	(void)sig;
	if (g_src)
		capsrc_break(g_src);
}

static void install_signals(bool live, double duration_s)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (live && duration_s > 0) {
		sigaction(SIGALRM, &sa, NULL);
		alarm((unsigned)(duration_s + 0.999));
	}
}

static void show_progress(struct run *r)
{
	uint64_t now = now_ns();
	double pct = capsrc_progress(r->src);
	double secs = (double)(now - r->t0_ns) / 1e9;

	r->next_progress_ns = now + 500 * NSEC_PER_MSEC;
	if (pct >= 0)
		fprintf(stderr, "\r%5.1f%%  %.2f M packets/s ", 100 * pct,
			secs > 0 ? r->a.t.packets / secs / 1e6 : 0);
	else
		fprintf(stderr, "\r%llu packets ", (unsigned long long)r->a.t.packets);
}

static int on_packet(void *ctx, uint64_t ts, const uint8_t *d, uint32_t caplen,
		     uint32_t wirelen)
{
	struct run *r = ctx;

	analyzer_packet(&r->a, r->linktype, ts, d, caplen, wirelen);
	/* The clock is read every 64k packets only: this is the hot loop. */
	if (r->progress && !(r->a.t.packets & 0xffff) && now_ns() >= r->next_progress_ns)
		show_progress(r);
	return r->limit && r->a.t.packets >= r->limit;
}

static void on_interval(void *ctx, uint64_t start, uint64_t len,
			const struct analyze_totals *t)
{
	const struct tcp_counts *d = &t->c;
	struct run *r = ctx;
	char n1[32], n2[32];

	if (ds.json) {
		analyze_interval_json(&r->ndjson, r->a.first_ns, start, len, t);
		return;
	}
	printf("t=%9.3fs  data %10s  retrans %8s (fast %llu rto %llu tlp %llu spurious %llu)"
	       "  lost down %llu up %llu  %.2f Mbit/s\n",
	       (double)(start > r->a.first_ns ? start - r->a.first_ns : 0) / 1e9,
	       human_count(n1, sizeof(n1), d->data_segs),
	       human_count(n2, sizeof(n2), d->retrans_segs),
	       (unsigned long long)d->by_class[RTX_FAST], (unsigned long long)d->by_class[RTX_RTO],
	       (unsigned long long)d->by_class[RTX_TLP],
	       (unsigned long long)d->by_class[RTX_SPURIOUS],
	       (unsigned long long)d->lost_downstream, (unsigned long long)d->lost_upstream,
	       len ? d->data_bytes * 8e3 / len : 0.0);
}

/* tcpdump style: every word after the source is one filter expression. */
static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	for (int i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int check_args(struct analyze_args *a, int argc, char **argv, int pos, char **filter)
{
	if (!a->src.file && !a->src.iface) {
		if (pos >= argc) {
			ds_error("analyze", "missing FILE (or -r FILE, -i IFACE)");
			return -1;
		}
		a->src.file = argv[pos++];
	}
	if (a->src.file && a->src.iface) {
		ds_error("analyze", "-r and -i exclude each other");
		return -1;
	}
	if (a->src.write && !strcmp(a->src.write, "-")) {
		ds_error("analyze", "-w wants a file: the report goes to standard output");
		return -1;
	}
	if (!a->src.iface && a->duration_s > 0) {
		ds_error("analyze", "--duration is for live capture (-i)");
		return -1;
	}
	/*
	 * Only headers are analyzed: a short snaplen and a roomy ring keep the
	 * kernel from dropping at line rate (libpcap's defaults, 256 KiB per
	 * packet in a 2 MiB ring, lost ~20k packets of a veth bulk test).
	 */
	if (a->src.iface && !a->src.snaplen)
		a->src.snaplen = 256;
	if (a->src.iface && !a->src.buffer_mb)
		a->src.buffer_mb = 64;
	*filter = pos < argc ? join_args(argc - pos, argv + pos) : NULL;
	a->src.filter = *filter;
	return 0;
}

static void report(struct run *r, const struct analyze_capture *cap)
{
	if (ds.json) {
		struct json j;

		json_init(&j, stdout, ds.pretty);
		json_obj_open(&j, NULL);
		if (r->a.o.interval_ns)
			json_str(&j, "type", "summary");
		analyze_report_json(&j, &r->a, cap, ds.stats);
		json_obj_close(&j);
		json_end(&j);
	} else {
		if (r->a.o.interval_ns)
			printf("\n");
		analyze_report_text(stdout, &r->a, cap, ds.stats);
	}
}

static int run_analysis(struct analyze_args *args)
{
	struct analyze_capture cap = { .name = args->src.iface ? args->src.iface
							       : args->src.file,
				       .live = args->src.iface != NULL };
	struct analyze_opts o = {
		.max_flows = args->max_flows,
		.keep_flows = ds.stats > 0,
		.top_flows = args->top,
		.interval_ns = (uint64_t)(args->interval_s * 1e9),
		.on_interval = on_interval,
		.by_path_len = (int)args->by_path,
	};
	struct run *r = calloc(1, sizeof(*r));	/* holds two histograms: not on the stack */
	char err[256];
	int ret, rc = EXIT_OK;

	if (!r)
		return EXIT_FAIL;
	o.ctx = r;
	json_init(&r->ndjson, stdout, false);
	ret = capsrc_open(&r->src, &args->src, err, sizeof(err));
	if (ret) {
		ds_error("analyze", "%s", err);
		free(r);
		return ret == -EPERM ? EXIT_NOPERM : EXIT_FAIL;
	}
	if (analyzer_init(&r->a, &o)) {
		ds_error("analyze", "out of memory");
		capsrc_close(r->src);
		free(r);
		return EXIT_FAIL;
	}
	r->linktype = capsrc_linktype(r->src);
	r->limit = args->count;
	r->progress = !args->no_progress && isatty(STDERR_FILENO);
	r->t0_ns = now_ns();
	g_src = r->src;
	install_signals(cap.live, args->duration_s);
	ret = capsrc_loop(r->src, on_packet, r);
	g_src = NULL;
	alarm(0);
	if (r->progress)
		fprintf(stderr, "\r%40s\r", "");
	if (ret < 0) {
		snprintf(cap.error, sizeof(cap.error), "%s", capsrc_error(r->src));
		fprintf(stderr, "dropscope analyze: %s: %s%s\n", cap.name, cap.error,
			r->a.t.packets ? " (analysed what came before)" : "");
		/* Exit 1 only when nothing could be read. */
		if (!r->a.t.packets)
			rc = EXIT_FAIL;
	}
	if (capsrc_flush(r->src)) {
		ds_error("analyze", "%s", capsrc_error(r->src));
		rc = EXIT_FAIL;
	}
	analyzer_finish(&r->a);
	capsrc_stats(r->src, &cap.stats);
	if (rc == EXIT_OK)
		report(r, &cap);
	analyzer_free(&r->a);
	capsrc_close(r->src);
	free(r);
	return rc;
}

int do_analyze(int argc, char **argv)
{
	struct analyze_args a = { .top = 5 };
	char *filter = NULL;
	char why[256];
	int pos, rc;

	pos = params_parse("analyze", synopsis, analyze_opts, argc, argv, &a, why, sizeof(why));
	if (pos == -2)
		return EXIT_OK;
	if (pos == -1) {
		ds_error("analyze", "%s", why);
		return EXIT_USAGE;
	}
	if (pos < 0 || check_args(&a, argc, argv, pos, &filter))
		return EXIT_USAGE;
	rc = run_analysis(&a);
	free(filter);
	return rc;
}
