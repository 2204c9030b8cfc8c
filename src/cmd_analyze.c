// SPDX-License-Identifier: GPL-2.0
/* dropscope analyze: options, capture source, progress and output around lib/analyze. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <net/if.h>

#include "analyze_report.h"
#include "inventory_report.h"
#include "monitor_report.h"
#include "sites.h"
#include "qdiscstats.h"
#include "capsrc.h"
#include "clock.h"
#include "dropscope.h"
#include "event.h"
#include "human.h"
#include "loop.h"
#include "netns.h"
#include "params.h"
#include "pkt.h"

struct analyze_args {
	struct capsrc_opts src;
	double interval_s;
	double duration_s;
	uint64_t count;
	uint32_t by_path;
	uint32_t max_flows;
	uint32_t top;
	bool no_progress;
	const char *events;
	bool monitor;
	double window_s;
	const char *paths;		/* --path, comma-separated */
	const char *sites;		/* --sites FILE */
	const char *windows;		/* --windows FILE */
	const char *qdisc_dev;
	const char *qdisc_netns;	/* --qdisc-netns: where --qdisc-dev lives */
	const char *svg;		/* --svg FILE: the first path's plot */
	bool inventory;
	const char *inv_prefix;		/* --inventory-prefix V4LEN[,V6LEN] */
	const char *far;		/* --far FILE: the capture at the path's other end */
	uint32_t far_max;
};

#define A(f) offsetof(struct analyze_args, f)

static const char synopsis[] =
	"dropscope [-j] [-s] analyze [-r] FILE|- [EXPR...]\n"
	"       dropscope [-j] [-s] analyze -i IFACE [-w FILE] [--duration S] [--count N] [EXPR...]\n"
	"       dropscope [-j] analyze --events FILE|- ... (one NDJSON line per retransmission)";

static const struct opt analyze_opts[] = {
	{ "read", 'r', OPT_STRING, A(src.file), "FILE",
	  "pcap or pcapng file, '-' for standard input" },
	{ "interface", 'i', OPT_STRING, A(src.iface), "IFACE", "capture live on IFACE" },
	{ "write", 'w', OPT_STRING, A(src.write), "FILE",
	  "also save the packets analysed to FILE (pcap, nanoseconds; pcapng if read by our pcapng reader)" },
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
	{ "events", 0, OPT_STRING, A(events), "FILE",
	  "each retransmission as an NDJSON event to FILE ('-': standard output)" },
	{ "monitor", 0, OPT_FLAG, A(monitor), NULL,
	  "path monitor: rates, loss, verdict and limit per path and window (needs --path or --sites)" },
	{ "window", 0, OPT_SECONDS, A(window_s), "S", "monitor: window length (default 1 s)",
	  10, 3600000 },
	{ "path", 0, OPT_STRING, A(paths), "[NAME:]SRC/LEN=DST/LEN[,...]",
	  "monitor: paths, our side first (outbound = SRC to DST); a class after each: "
	  "@dscp=N (flows whose outbound data has DSCP N), @port=N (port N at either end)" },
	{ "sites", 0, OPT_STRING, A(sites), "FILE",
	  "monitor: paths named in an INI file of [site NAME] (prefix = ...) and [path NAME] "
	  "(from, to, dscp, port) sections" },
	{ "windows", 0, OPT_STRING, A(windows), "FILE",
	  "monitor: each path's window as an NDJSON line to FILE ('-': standard output)" },
	{ "qdisc-dev", 0, OPT_STRING, A(qdisc_dev), "IFACE",
	  "monitor: our edge device; its egress qdisc drops are counted as ours" },
	{ "qdisc-netns", 0, OPT_STRING, A(qdisc_netns), "NAME",
	  "monitor: --qdisc-dev is in this `ip netns` namespace (default: ours)" },
	{ "svg", 0, OPT_STRING, A(svg), "FILE",
	  "monitor: the first path's rates and limit over time as an SVG" },
	{ "inventory", 0, OPT_FLAG, A(inventory), NULL,
	  "who uses the traffic: bytes, flows, retransmits by DSCP (with RTT), source subnet, server port" },
	{ "inventory-prefix", 0, OPT_STRING, A(inv_prefix), "V4LEN[,V6LEN]",
	  "inventory: source subnet lengths (default 24,64; implies --inventory)" },
	{ "far", 0, OPT_STRING, A(far), "FILE",
	  "DSCP check: the capture at the path's far end; per DSCP as sent, as it arrived" },
	{ "far-max", 0, OPT_U32, A(far_max), "N",
	  "DSCP check: far packets held for matching (default 1048576)", 1, 1U << 28 },
	OPT_END,
};

struct run {
	struct analyzer a;
	struct capsrc *src;
	struct loop loop;
	uint64_t limit;
	bool progress;
	uint64_t t0_ns;
	int64_t mono_off;		/* capture stamp - this = the events' clock */
	struct ev_out out;		/* -j interval lines, on standard output */
	struct ev_out ev;		/* --events */
	bool events_stdout;
	bool from_stdin;		/* -r -: reads block, see stdin_batch() */
	struct monitor *mon;
	struct ev_out win;		/* --windows */
	bool windows_stdout;
	struct mon_window *wins;	/* every window, for the text plot */
	size_t nwins, wins_cap;
	struct nl nl;			/* --qdisc-dev: rtnetlink */
	int qdisc_ifindex;
	struct inventory *inv;
	struct dscpmatch *match;
	const char *far;
};

static void show_progress(struct run *r)
{
	uint64_t now = now_ns();
	double pct = capsrc_progress(r->src);
	double secs = (double)(now - r->t0_ns) / 1e9;

	if (pct >= 0)
		fprintf(stderr, "\r%5.1f%%  %.2f M packets/s ", 100 * pct,
			secs > 0 ? r->a.t.packets / secs / 1e6 : 0);
	else
		fprintf(stderr, "\r%llu packets ", (unsigned long long)r->a.t.packets);
}

static int on_packet(void *ctx, const struct capsrc_pkt *p)
{
	struct run *r = ctx;

	analyzer_packet(&r->a, p->linktype, p->ifid, p->ts_ns, p->data, p->caplen, p->wirelen);
	return r->limit && r->a.t.packets >= r->limit;
}

static void on_retrans(void *ctx, const struct analyze_retrans *rt)
{
	struct run *r = ctx;

	analyze_retrans_json(&r->ev, (int64_t)rt->ts_ns - r->mono_off, rt);
}

static void on_interval(void *ctx, uint64_t start, uint64_t len,
			const struct analyze_totals *t)
{
	const struct tcp_counts *d = &t->c;
	struct run *r = ctx;
	char n1[32], n2[32];

	if (ds.json) {
		analyze_interval_json(&r->out, (int64_t)start - r->mono_off, r->a.first_ns, start,
				      len, t);
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

static void on_window(void *ctx, const struct mon_window *w)
{
	struct run *r = ctx;

	if (r->win.f)
		monitor_window_json(&r->win, (int64_t)w->start_ns - r->mono_off, r->mon, w);
	if (r->nwins == r->wins_cap) {
		size_t cap = r->wins_cap ? r->wins_cap * 2 : 64;
		struct mon_window *n = realloc(r->wins, cap * sizeof(*n));

		if (!n)
			return;
		r->wins = n;
		r->wins_cap = cap;
	}
	r->wins[r->nwins++] = *w;
}

/* Our edge's egress drops now (tc -s qdisc: the root's drops); 0 when unreadable. */
static uint64_t read_our_drops(void *ctx)
{
	struct run *r = ctx;
	uint64_t d, pk;

	return qdisc_dev_now(&r->nl, r->qdisc_ifindex, &d, &pk) ? 0 : d;
}

/*
 * --qdisc-dev's index and a route socket, both in --qdisc-netns when given:
 * a socket stays in the namespace it was made in, so only this thread
 * visits it, and comes back before it returns.
 */
static int open_qdisc_dev(struct run *r, const struct analyze_args *args)
{
	char path[PATH_MAX];
	int fd = -1, saved = -1, err = 0;

	if (args->qdisc_netns) {
		if (strchr(args->qdisc_netns, '/') ||
		    snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, args->qdisc_netns) >=
			    (int)sizeof(path)) {
			ds_error("analyze", "bad --qdisc-netns %s (an `ip netns` name)", args->qdisc_netns);
			return EXIT_USAGE;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ds_error("analyze", "no network namespace %s: %s", args->qdisc_netns,
				 strerror(errno));
			return EXIT_FAIL;
		}
		err = netns_enter(fd, &saved);
		close(fd);
		if (err) {
			ds_error("analyze", "cannot enter namespace %s: %s%s", args->qdisc_netns,
				 strerror(-err), err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
			return EXIT_NOPERM;
		}
	}
	r->qdisc_ifindex = (int)if_nametoindex(args->qdisc_dev);
	if (!r->qdisc_ifindex)
		err = errno ? -errno : -ENODEV;
	else if (nl_open(&r->nl, NETLINK_ROUTE))
		err = errno ? -errno : -EIO;
	if (saved >= 0 && netns_restore(saved)) {
		ds_error("analyze", "cannot return from namespace %s", args->qdisc_netns);
		return EXIT_FAIL;
	}
	if (err) {
		ds_error("analyze", "cannot read qdiscs of %s%s%s: %s", args->qdisc_dev,
			 args->qdisc_netns ? " in " : "", args->qdisc_netns ? args->qdisc_netns : "",
			 strerror(-err));
		return EXIT_FAIL;
	}
	return 0;
}

/* --monitor's paths, window and qdisc; Return: 0 or the exit code. */
static int open_monitor(struct run *r, const struct analyze_args *args, struct analyze_opts *o)
{
	struct monitor_opts mo = { .window_ns = (uint64_t)(args->window_s * 1e9),
				   .on_window = on_window, .ctx = r };
	char *list, *tok, *save = NULL;
	int ret = 0;

	if (!args->monitor)
		return 0;
	if (!args->paths && !args->sites) {
		ds_error("analyze", "--monitor needs --path SRC/LEN=DST/LEN or --sites FILE");
		return EXIT_USAGE;
	}
	if (args->qdisc_netns && !args->qdisc_dev) {
		ds_error("analyze", "--qdisc-netns needs --qdisc-dev");
		return EXIT_USAGE;
	}
	if (args->qdisc_dev) {
		if ((ret = open_qdisc_dev(r, args)))
			return ret;
		mo.our_drops = read_our_drops;
	}
	r->mon = calloc(1, sizeof(*r->mon));
	list = strdup(args->paths ? args->paths : "");
	if (!r->mon || !list) {
		free(list);
		ds_error("analyze", "out of memory");
		return EXIT_FAIL;
	}
	monitor_init(r->mon, &mo);
	for (tok = strtok_r(list, ",", &save); tok && ret >= 0; tok = strtok_r(NULL, ",", &save))
		ret = monitor_add_path(r->mon, tok);
	free(list);
	if (ret < 0) {
		ds_error("analyze", "bad --path %s (want [NAME:]SRC/LEN=DST/LEN[@dscp=N][@port=N], "
			 "at most %d)", args->paths, MON_MAX_PATHS);
		return EXIT_USAGE;
	}
	if (args->sites) {
		char err[256];

		ret = sites_load_file(r->mon, args->sites, err, sizeof(err));
		if (ret < 0) {
			ds_error("analyze", "%s", err);
			return ret == -ENOENT || ret == -EACCES || ret == -EIO ? EXIT_FAIL : EXIT_USAGE;
		}
	}
	if (args->windows && (ret = ev_open(&r->win, args->windows))) {
		ds_error("analyze", "cannot write windows to %s: %s", args->windows, strerror(-ret));
		return EXIT_FAIL;
	}
	r->windows_stdout = args->windows && !strcmp(args->windows, "-");
	o->mon = r->mon;
	return 0;
}

static void close_monitor(struct run *r)
{
	if (r->qdisc_ifindex && r->nl.sock)
		nl_close(&r->nl);
	ev_close(&r->win);
	free(r->mon);
	free(r->wins);
	r->mon = NULL;
	r->wins = NULL;
}

/* --far's packets into the match table. */
static int on_far_packet(void *ctx, const struct capsrc_pkt *p)
{
	struct tcp_seg s;

	if (pkt_decode(p->linktype, p->data, p->caplen, p->wirelen, &s) == PKT_TCP)
		dscpmatch_far(ctx, &s, p->ts_ns);
	return 0;
}

/* Read all of --far (with the same filter) before the near capture. Return: 0 or the exit code. */
static int load_far(struct run *r, const struct analyze_args *args)
{
	struct capsrc_opts fo = { .file = args->far, .filter = args->src.filter };
	struct capsrc *c;
	char err[256];
	int ret;

	r->match = calloc(1, sizeof(*r->match));
	if (!r->match || dscpmatch_init(r->match, args->far_max)) {
		ds_error("analyze", "out of memory");
		return EXIT_FAIL;
	}
	ret = capsrc_open(&c, &fo, err, sizeof(err));
	if (ret) {
		ds_error("analyze", "--far: %s", err);
		return EXIT_FAIL;
	}
	ret = capsrc_loop(c, on_far_packet, r->match);
	if (ret < 0)
		ds_error("analyze", "--far: %s", capsrc_error(c));
	capsrc_close(c);
	r->far = args->far;
	return ret < 0 ? EXIT_FAIL : 0;
}

/* --inventory and --far; Return: 0 or the exit code. */
static int open_classes(struct run *r, const struct analyze_args *args, struct analyze_opts *o)
{
	int v4 = 24, v6 = 64, n = 0;
	char end;

	if (args->inv_prefix &&
	    ((n = sscanf(args->inv_prefix, "%d%c%d%c", &v4, &end, &v6, &end)) != 1 &&
	     !(n == 3 && end == ','))) {
		n = -1;
	}
	if (n < 0 || v4 < 1 || v4 > 32 || v6 < 1 || v6 > 128) {
		ds_error("analyze", "bad --inventory-prefix %s (want V4LEN[,V6LEN]: 1-32, 1-128)",
			 args->inv_prefix);
		return EXIT_USAGE;
	}
	if (args->far && !strcmp(args->far, "-")) {
		ds_error("analyze", "--far wants a file");
		return EXIT_USAGE;
	}
	if (args->inventory || args->inv_prefix) {
		r->inv = calloc(1, sizeof(*r->inv));
		if (!r->inv || inventory_init(r->inv, v4, v6)) {
			ds_error("analyze", "out of memory");
			return EXIT_FAIL;
		}
		o->inv = r->inv;
	}
	if (args->far) {
		int ret = load_far(r, args);

		if (ret)
			return ret;
		o->match = r->match;
	}
	return 0;
}

static void close_classes(struct run *r)
{
	if (r->inv)
		inventory_free(r->inv);
	if (r->match)
		dscpmatch_free(r->match);
	free(r->inv);
	free(r->match);
	r->inv = NULL;
	r->match = NULL;
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

/* Return: 0, or the exit code, with the reason reported. */
static int check_args(struct analyze_args *a, int argc, char **argv, int pos, char **filter)
{
	if (!a->src.file && !a->src.iface) {
		if (pos >= argc) {
			ds_error("analyze", "missing FILE (or -r FILE, -i IFACE)");
			return EXIT_USAGE;
		}
		a->src.file = argv[pos++];
	}
	if (a->src.file && a->src.iface) {
		ds_error("analyze", "-r and -i exclude each other");
		return EXIT_USAGE;
	}
	if (a->src.write && !strcmp(a->src.write, "-")) {
		ds_error("analyze", "-w wants a file: the report goes to standard output");
		return EXIT_USAGE;
	}
	if (!a->src.iface && a->duration_s > 0) {
		ds_error("analyze", "--duration is for live capture (-i)");
		return EXIT_USAGE;
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
	if (pos < argc && !*filter) {
		ds_error("analyze", "out of memory");
		return EXIT_FAIL;
	}
	a->src.filter = *filter;
	return 0;
}

struct report {
	const struct run *r;
	const struct analyze_capture *cap;
};

static void report_json(struct json *j, const void *ctx)
{
	const struct report *p = ctx;

	analyze_report_json(j, &p->r->a, p->cap, ds.stats);
	if (p->r->mon)
		monitor_report_json(j, p->r->mon);
	if (p->r->inv)
		inventory_report_json(j, p->r->inv);
	if (p->r->match)
		dscpmatch_report_json(j, p->r->match, p->r->far);
}

static void report_text(FILE *f, const void *ctx)
{
	const struct report *p = ctx;

	if (p->r->a.o.interval_ns)
		fprintf(f, "\n");
	analyze_report_text(f, &p->r->a, p->cap, ds.stats);
	if (p->r->mon)
		monitor_report_text(f, p->r->mon, p->r->wins, p->r->nwins);
	if (p->r->inv)
		inventory_report_text(f, p->r->inv, ds.stats > 0 ? 0 : 10);
	if (p->r->match)
		dscpmatch_report_text(f, p->r->match, p->r->far);
}

static void report(const struct run *r, const struct analyze_capture *cap)
{
	struct report p = { r, cap };

	/* After NDJSON lines on standard output, the summary is one more line. */
	ds_report(r->a.o.interval_ns || r->events_stdout || r->windows_stdout ? "summary" : NULL, report_json,
		  report_text, &p);
}

static int on_tick(void *ctx, uint64_t now)
{
	show_progress(ctx);
	return 0;
}

static int on_readable(void *ctx, int fd, uint32_t events)
{
	struct run *r = ctx;
	int n = capsrc_dispatch(r->src, -1, on_packet, r);

	if (n == -ECANCELED) {
		loop_stop(&r->loop);
		return 0;
	}
	return n < 0 ? n : 0;
}

/*
 * Standard input: libpcap blocks in read() until the writer sends more,
 * and a signal waiting in the loop's signalfd would wait with it. So while
 * a batch is read, SIGINT and SIGTERM go to this handler instead: it puts
 * /dev/null in place of standard input, so the read under way ends
 * (EINTR: no SA_RESTART) and any later one sees the end of the input.
 */
static volatile sig_atomic_t stdin_signo;
static int devnull_fd = -1;

static void on_stdin_signal(int signo)
{
	stdin_signo = signo;
	if (devnull_fd >= 0)
		dup2(devnull_fd, STDIN_FILENO);
}

static int stdin_batch(struct run *r)
{
	struct sigaction sa = { .sa_handler = on_stdin_signal }, old_int, old_term;
	sigset_t set;
	int n;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sa.sa_mask = set;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	n = capsrc_dispatch(r->src, 4096, on_packet, r);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return n;
}

/*
 * Until the end of the file, --count, --duration, SIGINT/SIGTERM or an
 * error. A file is read as fast as it goes, in batches, with a look at the
 * loop between them for signals and the progress tick.
 * Return: 0, -EIO (reason in capsrc_error()) or another -errno.
 */
static int read_packets(struct run *r, const struct analyze_args *args, bool live)
{
	int n, err = loop_init(&r->loop);

	if (!err && r->progress)
		err = loop_set_tick(&r->loop, 500 * NSEC_PER_MSEC, on_tick, r);
	if (!err && live && args->duration_s > 0)
		err = loop_set_deadline(&r->loop, (uint64_t)(args->duration_s * 1e9));
	if (err)
		return err;
	if (live) {
		n = capsrc_fd(r->src);
		if (n < 0)
			return -EIO;
		err = loop_add_fd(&r->loop, n, EPOLLIN, on_readable, r);
		if (!err)
			err = loop_run(&r->loop);
		/* What reached the ring before the stop is analysed too, unless --count. */
		if (!err && !(r->limit && r->a.t.packets >= r->limit))
			err = capsrc_drain(r->src, on_packet, r);
		return err < 0 ? err : 0;
	}
	while (!loop_stopped(&r->loop)) {
		n = r->from_stdin ? stdin_batch(r) : capsrc_dispatch(r->src, 4096, on_packet, r);
		/* What the read says after the handler ended it is no error. */
		if (stdin_signo || n == -ENODATA || n == -ECANCELED)
			break;
		if (n < 0)
			return n;
		loop_run_once(&r->loop, 0);
	}
	return 0;
}

/* Sources and outputs; on failure a message is out and the exit code returned. */
static int open_run(struct run *r, struct analyze_args *args, struct analyze_opts *o)
{
	char err[256];
	int ret;

	ev_open(&r->out, "-");
	/* The capture first: a bad one must not cost the user an old events file. */
	ret = capsrc_open(&r->src, &args->src, err, sizeof(err));
	if (ret) {
		ds_error("analyze", "%s", err);
		return ret == -EPERM ? EXIT_NOPERM : EXIT_FAIL;
	}
	if (args->events) {
		ret = ev_open(&r->ev, args->events);
		if (ret) {
			ds_error("analyze", "cannot write events to %s: %s", args->events,
				 strerror(-ret));
			capsrc_close(r->src);
			return EXIT_FAIL;
		}
		r->events_stdout = !strcmp(args->events, "-");
		o->on_retrans = on_retrans;
	}
	ret = open_monitor(r, args, o);
	if (!ret)
		ret = open_classes(r, args, o);
	if (ret) {
		close_classes(r);
		close_monitor(r);
		capsrc_close(r->src);
		ev_close(&r->ev);
		return ret;
	}
	if (analyzer_init(&r->a, o)) {
		ds_error("analyze", "out of memory");
		close_classes(r);
		capsrc_close(r->src);
		ev_close(&r->ev);
		return EXIT_FAIL;
	}
	r->limit = args->count;
	r->progress = !args->no_progress && isatty(STDERR_FILENO);
	r->t0_ns = now_ns();
	r->mono_off = mono_offset_ns();
	r->from_stdin = args->src.file && !strcmp(args->src.file, "-");
	if (r->from_stdin && devnull_fd < 0)
		devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return EXIT_OK;
}

/* A failure on the way: one line on stderr now; the first is also the report's "error". */
static void __attribute__((format(printf, 2, 3)))
run_error(struct analyze_capture *cap, const char *fmt, ...)
{
	char msg[sizeof(cap->error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dropscope analyze: %s\n", msg);
	if (!cap->error[0])
		snprintf(cap->error, sizeof(cap->error), "%s", msg);
}

/*
 * After the input ends: what ended it, the outputs closed, the report.
 * With packets read, the report is printed whatever went wrong (with -j a
 * document with an "error" key); without, with -j, only {"error": ...}.
 * Return: the exit code.
 */
static int end_run(struct run *r, const struct analyze_args *args,
		   struct analyze_capture *cap, int ret)
{
	int rc = EXIT_OK;

	cap->signo = r->loop.signo ? r->loop.signo : stdin_signo;
	if (ret < 0) {
		if (ret == -EIO)
			run_error(cap, "%s%s", capsrc_error(r->src),
				  r->a.t.packets ? " (analysed what came before)" : "");
		else
			run_error(cap, "%s: %s", cap->name, strerror(-ret));
		/* Exit 1 only when nothing could be read. */
		if (!r->a.t.packets)
			rc = EXIT_FAIL;
	}
	if (capsrc_flush(r->src)) {
		run_error(cap, "%s", capsrc_error(r->src));
		rc = EXIT_FAIL;
	}
	analyzer_finish(&r->a);
	if (r->match)
		dscpmatch_finish(r->match);
	capsrc_stats(r->src, &cap->stats);
	if (ev_close(&r->ev)) {
		run_error(cap, "cannot write events to %s", args->events);
		rc = EXIT_FAIL;
	}
	if (r->mon && args->svg) {
		FILE *f = fopen(args->svg, "w");
		int e = f ? monitor_write_svg(f, r->mon, r->wins, r->nwins, 0) : -errno;

		if (f)
			fclose(f);
		if (e) {
			run_error(cap, "cannot write %s", args->svg);
			rc = EXIT_FAIL;
		}
	}
	if (r->mon && ev_close(&r->win)) {
		run_error(cap, "cannot write windows to %s", args->windows);
		rc = EXIT_FAIL;
	}
	if (r->a.t.packets || !cap->error[0])
		report(r, cap);
	else
		ds_error_json(cap->error);
	return rc;
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
	int ret, rc;

	if (!r) {
		ds_error("analyze", "out of memory");
		return EXIT_FAIL;
	}
	o.ctx = r;
	rc = open_run(r, args, &o);
	if (rc) {
		free(r);
		return rc;
	}
	ret = read_packets(r, args, cap.live);
	loop_free(&r->loop);
	if (r->progress)
		fprintf(stderr, "\r%40s\r", "");
	rc = end_run(r, args, &cap, ret);
	analyzer_free(&r->a);
	close_monitor(r);
	close_classes(r);
	capsrc_close(r->src);
	free(r);
	return rc;
}

int do_analyze(int argc, char **argv)
{
	struct analyze_args a = { .top = 5 };
	char *filter = NULL;
	int pos, rc;

	rc = ds_options("analyze", synopsis, analyze_opts, argc, argv, &a, &pos);
	if (rc >= 0)
		return rc;
	rc = check_args(&a, argc, argv, pos, &filter);
	if (rc)
		return rc;
	rc = run_analysis(&a);
	free(filter);
	return rc;
}
