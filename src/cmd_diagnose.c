// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope diagnose: one run, one verdict. The rr workload, the drops
 * tracer (every namespace) and the capture analyzer at the client's
 * interface (and at each --capture) run on one loop and one clock; their
 * events are joined by flow and sequence number (src/diagnose/join) into
 * the verdict (src/diagnose/verdict).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "capsrc.h"
#include "clock.h"
#include "collect.h"
#include "dropmon.h"
#include "dropscope.h"
#include "join.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "netns.h"
#include "params.h"
#include "pkt.h"
#include "report.h"
#include "rr.h"
#include "rr_opts.h"
#include "rr_report.h"
#include "topo.h"
#include "vantage.h"
#include "verdict.h"

#define MAX_CAPTURES 4
/* After the workload: time for the last retransmissions (a FIN's, at 2 RTOs). */
#define LINGER_NS (1500 * NSEC_PER_MSEC)

struct diag_args {
	struct rr_workload w;
	double threshold_s;
	const char *report;
	const char *capture[MAX_CAPTURES];
	uint32_t ncapture;
	bool no_capture;
	bool full_capture;
	uint32_t ring_mb;
	const char *flows;		/* --flows EXPR: no workload of ours */
};

#define A(f) offsetof(struct diag_args, f)

static const char synopsis[] =
	"dropscope [-j] [-s] diagnose [--capture IFACE[@NETNS]]... [--threshold S] [--report DIR]\n"
	"                             rr HOST [rr options: --streams N --duration S --size R[,S] ...]\n"
	"       dropscope [-j] [-s] diagnose --flows EXPR [-d S] [--capture IFACE[@NETNS]]...";

/* --capture: repeatable; capture[] and ncapture are adjacent. */
static int parse_capture(const char *arg, void *field)
{
	const char **cap = field;
	uint32_t *n = (uint32_t *)((char *)field + (A(ncapture) - A(capture)));

	if (!*arg || *arg == '@' || *n >= MAX_CAPTURES)
		return -EINVAL;
	cap[(*n)++] = arg;
	return 0;
}

static const struct opt diag_opts[] = {
	{ "capture", 'c', OPT_CUSTOM, A(capture), "IFACE[@NETNS]",
	  "also capture here (up to 4; the client's interface is always captured)", 0, 0,
	  parse_capture },
	{ "no-capture", 0, OPT_FLAG, A(no_capture), NULL,
	  "no capture at the client's interface (kernel events only)" },
	{ "full-capture", 0, OPT_FLAG, A(full_capture), NULL,
	  "analyse every packet at the client's interface, not just its SACK-bearing ACKs" },
	{ "threshold", 't', OPT_SECONDS, A(threshold_s), "S",
	  "a transaction this slow is explained (default 200 ms, the RTO floor)", 1, 3600000 },
	{ "report", 'o', OPT_STRING, A(report), "DIR",
	  "write report.html, verdict.json and drops.pcapng into DIR" },
	{ "ring-mb", 0, OPT_U32, A(ring_mb), "MB", "drop event ring size (default 16)", 1, 1024 },
	{ "flows", 'f', OPT_STRING, A(flows), "EXPR",
	  "an application already running: the flows this pcap-filter matches, for -d S; "
	  "slow exchanges are its RTO stalls (capture: --capture, default any)" },
	OPT_END,
};

/* One capture point: a live capture and its analyzer. */
struct cap {
	struct diag_run *r;
	char spec[80];			/* IFACE or IFACE@NETNS */
	struct capsrc *src;
	struct analyzer a;
	bool a_init;
	bool dsack_only;		/* the filter passes SACK-bearing ACKs only */
	uint64_t dsacks;		/* dsack_only: D-SACKs seen */
	int linktype;
	struct capsrc_stats stats;
	bool record;			/* multi-vantage: every packet kept for the diff */
	struct vt_set vt;
};

struct diag_run {
	struct diag_args *args;
	struct loop loop;
	struct dropmon *m;
	struct dg_data d;
	struct cap cap[MAX_CAPTURES + 1];
	size_t ncap;
	struct topo topo;
	bool topo_ok;
	char topo_why[160];
	struct rr_result res;
	bool res_ok;
	char stop_why[200];		/* what cut the run short besides a signal */
	struct vt_diff vd[MAX_CAPTURES + 1];	/* vd[i]: cap[0] against cap[i], when vd_ok[i] */
	bool vd_ok[MAX_CAPTURES + 1];
	int64_t mono_off;		/* capture stamp - this = the events' clock */
	uint64_t t0_ns, t1_ns;
};

/* ---- events in ---- */

static void on_drop(void *ctx, const struct drop_event *e, const struct drop_pkt *p)
{
	struct diag_run *r = ctx;
	struct dg_drop x = { .t_ns = e->ts_ns };
	struct dg_point at = { .netns = e->key.netns, .ifindex = (int)e->key.ifindex,
			       .reason = e->key.reason, .location = e->key.location };
	const char *rn;

	if (!r->m)
		return;		/* before the run: dropmon_start()'s own first reads */
	rn = drop_reason_name(dropmon_reasons(r->m), e->key.reason);
	if (drop_reason_benign(rn)) {
		/* A copy the receiver had: the retransmission that sent it was needless. */
		if (p->kind == DPKT_TCP && p->len && !strncmp(rn, "TCP_OLD_", 8)) {
			struct dg_spurious sp = { .flow = p->flow, .seq = p->seq };

			dg_add_spurious(&r->d, &sp);
		}
		dg_add_discard(&r->d, &at);
		return;
	}
	if (p->kind == DPKT_TCP || p->kind == DPKT_UDP)
		x.flow = p->flow;
	x.tcp = p->kind == DPKT_TCP;
	x.dsack = p->dsack;
	x.flags = p->flags;
	x.seq = p->seq;
	x.len = p->len;
	dg_add_drop(&r->d, &x, &at, e->data, e->caplen, e->net_len ? e->net_len : e->len);
}

static void on_rtx(void *ctx, const struct rtx_event *e, const struct flow_id *f)
{
	struct diag_run *r = ctx;
	struct dg_rtx x = { .flow = *f, .t_ns = e->ts_ns, .seq = e->seq,
			    .len = e->end_seq - e->seq };

	if (r->m)
		dg_add_rtx(&r->d, &x);
}

/* rr's workers, each as its transaction completes. */
static void on_slow(void *ctx, const struct rr_slow *e)
{
	struct diag_run *r = ctx;
	struct dg_slow s = {
		.flow = *e->flow, .stream = e->stream, .start_ns = e->start_ns,
		.end_ns = e->end_ns, .req_seq = e->req_seq, .resp_seq = e->resp_seq,
		.req_len = e->req_len, .resp_len = e->resp_len, .seq_valid = e->seq_valid,
	};

	dg_add_slow(&r->d, &s);
}

static void on_retrans(void *ctx, const struct analyze_retrans *rt)
{
	struct cap *c = ctx;
	struct dg_spurious x = { .flow = rt->flow, .seq = rt->seq };

	if (rt->cls == RTX_SPURIOUS)
		dg_add_spurious(&c->r->d, &x);
	/* --flows: an RTO stall is a slow exchange, from the silence to the resend. */
	if (c->r->args->flows && !rt->reclass && rt->cls == RTX_RTO && rt->rto_gap_ns &&
	    rt->rto_gap_ns >= (uint64_t)(c->r->args->threshold_s * 1e9)) {
		uint64_t t = (uint64_t)((int64_t)rt->ts_ns - c->r->mono_off);
		struct dg_slow s = {
			.flow = rt->flow, .stream = UINT32_MAX, .start_ns = t - rt->rto_gap_ns,
			.end_ns = t + NSEC_PER_MSEC, .req_seq = rt->seq, .req_len = rt->len,
			.resp_len = 1, .seq_valid = true,
		};

		size_t k = 0;

		while (k < c->r->d.nflows && !flow_same_addrs(&c->r->d.flows[k], &rt->flow))
			k++;
		if (k == c->r->d.nflows)
			dg_add_flow(&c->r->d, &rt->flow);
		s.stream = (uint32_t)k;
		dg_add_slow(&c->r->d, &s);
	}
}

static int on_packet(void *ctx, const struct capsrc_pkt *p)
{
	const uint8_t *d = p->data;
	uint32_t caplen = p->caplen, wirelen = p->wirelen;
	uint64_t ts = p->ts_ns;
	struct cap *c = ctx;
	struct tcp_seg s;

	if (!c->dsack_only) {
		/* Kept for the diff: decoded once, for it and the analyzer. */
		if (c->record && pkt_decode(p->linktype, d, caplen, wirelen, &s) == PKT_TCP) {
			vt_add(&c->vt, &s, ts);
			s.ts_ns = ts;
			s.ifid = p->ifid;
			analyzer_segment(&c->a, &s);
		} else {
			analyzer_packet(&c->a, p->linktype, p->ifid, ts, d, caplen, wirelen);
		}
		return 0;
	}
	/* A D-SACK names the needless copy itself: its sender, its first byte. */
	c->a.t.packets++;
	if (pkt_decode(p->linktype, d, caplen, wirelen, &s) == PKT_TCP && tcp_seg_dsack(&s)) {
		struct dg_spurious x = { .seq = s.sack[0].start };

		flow_from_seg(&x.flow, &s);
		flow_reverse(&x.flow, &x.flow);
		c->dsacks++;
		dg_add_spurious(&c->r->d, &x);
	}
	return 0;
}

static void cap_stopped(struct cap *c)
{
	snprintf(c->r->stop_why, sizeof(c->r->stop_why), "capture on %s: %s", c->spec,
		 capsrc_error(c->src));
}

static int on_readable(void *ctx, int fd, uint32_t events)
{
	struct cap *c = ctx;
	int n = capsrc_dispatch(c->src, -1, on_packet, c);

	/* An error event libpcap did not call one: the interface went down. */
	if (n >= 0 && (events & (EPOLLERR | EPOLLHUP)) && capsrc_gone(c->src))
		n = -EIO;
	if (n < 0 && n != -ECANCELED) {
		/* The interface went away: stop everything, say why. */
		cap_stopped(c);
		loop_del_fd(&c->r->loop, fd);
		loop_stop(&c->r->loop);
	}
	return 0;
}

/*
 * After the run: a capture whose interface was deleted while the error
 * event came before the deletion was complete said nothing; the workload
 * then stalled on its timeout. Name the capture, not the timeout.
 */
static void caps_check_gone(struct diag_run *r)
{
	for (size_t i = 0; i < r->ncap && !r->stop_why[0]; i++)
		if (capsrc_gone(r->cap[i].src))
			cap_stopped(&r->cap[i]);
}

/* ---- set-up ---- */

/* The local interface that reaches @host (a literal address), in this namespace. */
static int route_iface(const char *host, uint32_t port, char *ifname, size_t len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_DGRAM };
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	struct addrinfo *ai;
	struct ifaddrs *ifs;
	char ps[8];
	int fd, err = -ENOENT;

	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(host, ps, &hints, &ai))
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) ||
	    getsockname(fd, (struct sockaddr *)&local, &sl)) {
		err = -errno;
		goto out;
	}
	if (getifaddrs(&ifs)) {
		err = -errno;
		goto out;
	}
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		const struct sockaddr *a = i->ifa_addr;

		if (!a || a->sa_family != local.ss_family)
			continue;
		if ((a->sa_family == AF_INET &&
		     ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
			     ((struct sockaddr_in *)&local)->sin_addr.s_addr) ||
		    (a->sa_family == AF_INET6 &&
		     !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			     &((struct sockaddr_in6 *)&local)->sin6_addr, 16))) {
			snprintf(ifname, len, "%s", i->ifa_name);
			err = 0;
			break;
		}
	}
	freeifaddrs(ifs);
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return err;
}

/* Open a live capture of @spec ("IFACE" or "IFACE@NETNS") from inside its namespace. */
static int cap_open(struct cap *c, const char *spec, const char *filter, bool inbound, char *why,
		    size_t len)
{
	struct capsrc_opts o = { .filter = filter, .snaplen = 256, .buffer_mb = 32,
				 .inbound = inbound };
	char iface[IF_NAMESIZE + 1];
	const char *at = strchr(spec, '@');
	struct netns *v = NULL;
	size_t nv = 0;
	int saved = -1, err, k;

	snprintf(c->spec, sizeof(c->spec), "%s", spec);
	snprintf(iface, sizeof(iface), "%.*s", at ? (int)(at - spec) : (int)strlen(spec), spec);
	o.iface = iface;
	if (at) {
		err = netns_scan(&v, &nv);
		k = err ? err : netns_find(v, nv, at + 1);
		if (k < 0) {
			snprintf(why, len, "--capture %s: no network namespace '%s'", spec, at + 1);
			netns_free(v, nv);
			return -ENOENT;
		}
		err = netns_enter(v[k].fd, &saved);
		if (err) {
			snprintf(why, len, "--capture %s: cannot enter %s: %s", spec, at + 1,
				 strerror(-err));
			netns_free(v, nv);
			return err;
		}
	}
	err = capsrc_open(&c->src, &o, why, len);
	if (at) {
		netns_restore(saved);
		netns_free(v, nv);
	}
	if (err)
		return err;
	c->linktype = capsrc_linktype(c->src);
	return 0;
}

static int cap_start(struct diag_run *r, struct cap *c)
{
	struct analyze_opts o = { .on_retrans = on_retrans, .ctx = c };
	int fd;

	c->r = r;
	if (analyzer_init(&c->a, &o))
		return -ENOMEM;
	c->a_init = true;
	fd = capsrc_fd(c->src);
	return fd < 0 ? -EIO : loop_add_fd(&r->loop, fd, EPOLLIN, on_readable, c);
}

static void caps_close(struct diag_run *r)
{
	for (size_t i = 0; i < r->ncap; i++) {
		if (r->cap[i].a_init)
			analyzer_free(&r->cap[i].a);
		capsrc_close(r->cap[i].src);
		vt_set_free(&r->cap[i].vt);
	}
	for (size_t i = 0; i < r->ncap; i++)
		if (r->vd_ok[i])
			vt_diff_free(&r->vd[i]);
	memset(r->vd_ok, 0, sizeof(r->vd_ok));
	r->ncap = 0;
}

/* The captures: the client's interface first, then each --capture. */
static int caps_open(struct diag_run *r, const char *host)
{
	const struct diag_args *a = r->args;
	char why[320], ifname[IF_NAMESIZE], filter[96], dsack[256];
	int err;

	/* Only the workload's peer: the rest of a busy host is not ours to analyse. */
	if (!host) {
		if (!a->no_capture && !a->ncapture) {
			err = cap_open(&r->cap[r->ncap], "any", a->flows, false, why, sizeof(why));
			if (err)
				goto fail;
			r->ncap++;
		}
		for (uint32_t i = 0; i < a->ncapture; i++) {
			err = cap_open(&r->cap[r->ncap], a->capture[i], a->flows, false, why,
				       sizeof(why));
			if (err)
				goto fail;
			r->cap[r->ncap++].record = a->ncapture > 1;
		}
		return EXIT_OK;
	}
	snprintf(filter, sizeof(filter), "tcp and host %s", host);
	/*
	 * By default only what the join uses of the client's capture, the
	 * D-SACKs: ACKs with more options than timestamps alone. Every packet
	 * analysed would cost a busy 2-CPU client ~10% of its transactions.
	 */
	snprintf(dsack, sizeof(dsack), "tcp and host %s and ((tcp[12] & 0xf0) > 0x80 or "
		 "((tcp[12] & 0xf0) = 0x80 and tcp[20:4] != 0x0101080a))", host);
	if (!a->no_capture) {
		err = route_iface(host, a->w.cfg.port, ifname, sizeof(ifname));
		if (err) {
			ds_error("diagnose", "no local interface reaches %s: %s%s", host,
				 strerror(-err), err == -EINVAL ? " (HOST must be an address)" : "");
			return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		}
		/*
		 * D-SACKs come to the client: what it sends need not be looked at,
		 * unless other points are to be diffed against it (multi-vantage).
		 */
		bool whole = a->full_capture || a->ncapture;

		err = cap_open(&r->cap[r->ncap], ifname, whole ? filter : dsack, !whole, why,
			       sizeof(why));
		if (err)
			goto fail;
		r->cap[r->ncap].record = a->ncapture > 0;
		r->cap[r->ncap++].dsack_only = !whole;
	}
	for (uint32_t i = 0; i < a->ncapture; i++) {
		err = cap_open(&r->cap[r->ncap], a->capture[i], filter, false, why, sizeof(why));
		if (err)
			goto fail;
		r->cap[r->ncap++].record = !a->no_capture || a->ncapture > 1;
	}
	return EXIT_OK;
fail:
	ds_error("diagnose", "%s", why);
	caps_close(r);
	return err == -EPERM ? EXIT_NOPERM : err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
}

static int tracer_start(struct diag_run *r)
{
	struct dropmon_opts o = {
		.trace = true,
		.need_trace = true,
		.ring_bytes = (size_t)(r->args->ring_mb ? r->args->ring_mb : 16) << 20,
		.ev = { on_drop, on_rtx, r },
		.filter = r->args->flows,
	};
	struct dropmon *m;
	char why[320];
	int err = dropmon_start(&m, &o, why, sizeof(why));

	if (err) {
		ds_error("diagnose", "%s", why);
		return err == -EPERM || err == -EACCES || err == -ENOENT || err == -EOPNOTSUPP
			       ? EXIT_NOPERM : EXIT_FAIL;
	}
	r->m = m;
	err = dropmon_attach(m, &r->loop, NULL, NULL);
	if (err) {
		ds_error("diagnose", "cannot read the drop events: %s", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- the run ---- */

static int run_workload(struct diag_run *r, const char *host)
{
	struct rr_config cfg = r->args->w.cfg;
	int err;

	cfg.host = host;
	cfg.loop = &r->loop;
	cfg.slow_ns = (uint64_t)(r->args->threshold_s * 1e9);
	cfg.on_slow = on_slow;
	cfg.slow_ctx = r;
	for (size_t i = 0; i < r->ncap; i++)
		if (cap_start(r, &r->cap[i]))
			return -ENOMEM;
	pr_info("dropscope diagnose: ready: tracing, %zu capture%s\n", r->ncap,
		r->ncap == 1 ? "" : "s");
	r->t0_ns = now_ns();
	err = rr_client_run(&cfg, &r->res);
	r->res_ok = true;
	caps_check_gone(r);
	/* The connections' last retransmissions (FINs) come after the workload. */
	if (!r->res.interrupted && !r->stop_why[0] && loop_resume(&r->loop) &&
	    !loop_set_deadline(&r->loop, LINGER_NS))
		loop_run(&r->loop);
	for (size_t i = 0; i < r->ncap; i++) {
		capsrc_drain(r->cap[i].src, on_packet, &r->cap[i]);
		analyzer_finish(&r->cap[i].a);
		capsrc_stats(r->cap[i].src, &r->cap[i].stats);
	}
	dropmon_consume(r->m);
	r->t1_ns = now_ns();
	for (uint32_t i = 0; i < r->res.nstreams; i++)
		if (r->res.streams[i].flow.family)
			dg_add_flow(&r->d, &r->res.streams[i].flow);
	return err;
}

/* --flows: the tracer and captures for -d S (or until Ctrl-C). */
static int run_flows(struct diag_run *r)
{
	int err = 0;

	for (size_t i = 0; i < r->ncap; i++)
		if (cap_start(r, &r->cap[i]))
			return -ENOMEM;
	if (r->args->w.cfg.duration_s > 0)
		err = loop_set_deadline(&r->loop, (uint64_t)(r->args->w.cfg.duration_s * 1e9));
	if (err)
		return err;
	pr_info("dropscope diagnose: ready: tracing, %zu capture%s\n", r->ncap,
		r->ncap == 1 ? "" : "s");
	r->t0_ns = now_ns();
	err = loop_run(&r->loop);
	r->res.interrupted = r->loop.signo != 0;
	caps_check_gone(r);
	for (size_t i = 0; i < r->ncap; i++) {
		capsrc_drain(r->cap[i].src, on_packet, &r->cap[i]);
		analyzer_finish(&r->cap[i].a);
		capsrc_stats(r->cap[i].src, &r->cap[i].stats);
	}
	dropmon_consume(r->m);
	r->t1_ns = now_ns();
	r->res.elapsed_s = (double)(r->t1_ns - r->t0_ns) / 1e9;
	/* Every drop that matched EXPR is of a watched flow. */
	for (size_t i = 0; i < r->d.ndrops; i++) {
		size_t k = 0;

		while (k < r->d.nflows && !flow_same_addrs(&r->d.flows[k], &r->d.drops[i].flow))
			k++;
		if (r->d.drops[i].tcp && k == r->d.nflows)
			dg_add_flow(&r->d, &r->d.drops[i].flow);
	}
	return err;
}

/* ---- the verdict ---- */

static bool devinfo(void *ctx, uint32_t netns, int ifindex, struct dg_devinfo *out)
{
	const struct diag_run *r = ctx;
	const struct topo_dev *d = r->topo_ok ? topo_find(&r->topo, netns, ifindex) : NULL;

	const struct topo_link *l;
	const char *ns;

	if (!d)
		return false;
	snprintf(out->kind, sizeof(out->kind), "%s", d->kind);
	snprintf(out->mode, sizeof(out->mode), "%s", d->mode);
	out->txqlen = d->txqlen;
	l = d->peer.ifindex ? &d->peer : d->lower.ifindex ? &d->lower : NULL;
	if (l) {
		ns = l->netns && l->netns != netns ? topo_ns_name(&r->topo, l->netns) : NULL;
		snprintf(out->link_role, sizeof(out->link_role), "%s", l == &d->peer ? "peer" : "lower");
		if (l->ifname[0])
			snprintf(out->link_name, sizeof(out->link_name), "%s%s%s", l->ifname,
				 ns ? "@" : "", ns ? ns : "");
		else
			snprintf(out->link_name, sizeof(out->link_name), "if%d", l->ifindex);
	}
	if (d->nreaders) {
		out->reader_pid = d->readers[0].pid;
		snprintf(out->reader_comm, sizeof(out->reader_comm), "%s", d->readers[0].comm);
	}
	return true;
}

struct out {
	struct diag_run *r;
	struct dg_verdict_ctx *vc;
};

static void captures_json(struct json *j, const struct diag_run *r)
{
	json_arr_open(j, "captures");
	for (size_t i = 0; i < r->ncap; i++) {
		const struct cap *c = &r->cap[i];

		json_obj_open(j, NULL);
		json_str(j, "interface", c->spec);
		json_str(j, "analysis", c->dsack_only ? "dsack" : "full");
		json_u64(j, "packets", c->a.t.packets);
		if (c->dsack_only)
			json_u64(j, "dsacks", c->dsacks);
		json_u64(j, "retrans_segs", c->a.t.c.retrans_segs);
		json_u64(j, "spurious", c->a.t.c.by_class[RTX_SPURIOUS]);
		json_u64(j, "capture_dropped", c->stats.dropped);
		json_obj_close(j);
	}
	json_arr_close(j);
}

/* ---- multi-vantage ---- */

/* Each capture point against the first: what one saw and the other never did. */
static void vantage_diff(struct diag_run *r)
{
	if (r->ncap < 2 || !r->cap[0].record)
		return;
	for (size_t i = 1; i < r->ncap; i++)
		if (r->cap[i].record)
			r->vd_ok[i] = !vt_diff(&r->cap[0].vt, &r->cap[i].vt, r->d.drops, r->d.ndrops,
					       &r->vd[i]);
}

/* The traced drops @vd matched going @way that happened at @c's point. */
static uint64_t vantage_at(const struct diag_run *r, const struct vt_diff *vd, uint8_t way,
			   const struct dg_cause *c)
{
	uint64_t n = 0;

	for (size_t k = 0; k < vd->ndrops && k < r->d.ndrops; k++)
		n += vd->drop_matched[k] == way && r->d.drops[k].where == c->point;
	return n;
}

static void lost_json(struct json *j, const char *key, const struct diag_run *r,
		      const struct dg_verdict_ctx *vc, const struct vt_diff *vd, uint8_t way)
{
	const struct vt_lost *l = way == VT_A_TO_B ? &vd->a_to_b : &vd->b_to_a;

	json_obj_open(j, key);
	json_u64(j, "total", l->total);
	for (int k = 0; k < VT_NCLASS; k++)
		json_u64(j, vt_class_name[k], l->by_class[k]);
	json_u64(j, "traced", l->traced);
	json_u64(j, "untraced", l->total - l->traced);
	json_arr_open(j, "at");
	for (size_t i = 0; i < vc->ncauses; i++) {
		const struct dg_cause *c = &vc->causes[i];
		uint64_t n = vantage_at(r, vd, way, c);

		if (!n)
			continue;
		json_obj_open(j, NULL);
		json_str(j, "netns", c->netns);
		json_str(j, "ifname", c->ifname);
		json_str(j, "reason", c->reason);
		json_u64(j, "drops", n);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}

static void vantage_json(struct json *j, const struct diag_run *r, const struct dg_verdict_ctx *vc)
{
	json_arr_open(j, "vantage");
	for (size_t i = 1; i < r->ncap; i++) {
		const struct vt_diff *vd = &r->vd[i];

		if (!r->vd_ok[i])
			continue;
		json_obj_open(j, NULL);
		json_str(j, "a", r->cap[0].spec);
		json_str(j, "b", r->cap[i].spec);
		json_u64(j, "matched", vd->matched);
		lost_json(j, "a_to_b", r, vc, vd, VT_A_TO_B);
		lost_json(j, "b_to_a", r, vc, vd, VT_B_TO_A);
		json_u64(j, "only_downstream", vd->only_downstream);
		json_u64(j, "unordered", vd->unordered);
		json_u64(j, "not_kept", r->cap[0].vt.not_kept + r->cap[i].vt.not_kept);
		json_u64(j, "capture_dropped", r->cap[0].stats.dropped + r->cap[i].stats.dropped);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void lost_text(FILE *f, const struct diag_run *r, const struct dg_verdict_ctx *vc,
		      const struct vt_diff *vd, uint8_t way, const char *from, const char *to)
{
	const struct vt_lost *l = way == VT_A_TO_B ? &vd->a_to_b : &vd->b_to_a;
	const char *sep = " (";

	fprintf(f, "  %llu seen at %s never reached %s", (unsigned long long)l->total, from, to);
	for (int k = 0; k < VT_NCLASS; k++) {
		if (!l->by_class[k])
			continue;
		fprintf(f, "%s%s %llu", sep, vt_class_name[k], (unsigned long long)l->by_class[k]);
		sep = ", ";
	}
	fprintf(f, "%s", l->total ? ")" : "");
	if (l->total) {
		fprintf(f, ": %llu traced", (unsigned long long)l->traced);
		for (size_t i = 0; i < vc->ncauses; i++) {
			uint64_t n = vantage_at(r, vd, way, &vc->causes[i]);

			if (n)
				fprintf(f, ", %s at %s %llu", vc->causes[i].reason,
					vc->causes[i].ifname[0] ? vc->causes[i].ifname : "no device",
					(unsigned long long)n);
		}
		if (l->total > l->traced)
			fprintf(f, "; %llu lost where the tracer does not see (another host, a wire)",
				(unsigned long long)(l->total - l->traced));
	}
	fputc('\n', f);
}

static void vantage_text(FILE *f, const struct diag_run *r, const struct dg_verdict_ctx *vc)
{
	for (size_t i = 1; i < r->ncap; i++) {
		const struct vt_diff *vd = &r->vd[i];
		const char *a = r->cap[0].spec, *b = r->cap[i].spec;

		if (!r->vd_ok[i])
			continue;
		fprintf(f, "\nBetween %s and %s: %llu packets seen at both\n", a, b,
			(unsigned long long)vd->matched);
		lost_text(f, r, vc, vd, VT_A_TO_B, a, b);
		lost_text(f, r, vc, vd, VT_B_TO_A, b, a);
		if (vd->unordered || r->cap[0].stats.dropped || r->cap[i].stats.dropped ||
		    r->cap[0].vt.not_kept || r->cap[i].vt.not_kept)
			fprintf(f, "  (%llu in flows neither point saw first; captures lost %llu, "
				"%llu not kept: these counts are a floor)\n",
				(unsigned long long)vd->unordered,
				(unsigned long long)(r->cap[0].stats.dropped + r->cap[i].stats.dropped),
				(unsigned long long)(r->cap[0].vt.not_kept + r->cap[i].vt.not_kept));
	}
}

static void out_json(struct json *j, const void *ctx)
{
	const struct out *o = ctx;
	const struct diag_run *r = o->r;

	if (r->stop_why[0])
		json_str(j, "stopped", r->stop_why);
	json_obj_open(j, "workload");
	if (r->args->flows) {
		json_str(j, "flows", r->args->flows);
		json_double(j, "duration_s", r->res.elapsed_s, 3);
	} else {
		rr_report_json(j, &r->args->w.cfg, &r->res);
	}
	json_obj_close(j);
	dg_verdict_json(j, o->vc);
	captures_json(j, r);
	vantage_json(j, r, o->vc);
	if (r->topo_ok)
		topo_json(j, "topology", &r->topo);
	else
		json_null(j, "topology");
}

static void out_text(FILE *f, const void *ctx)
{
	const struct out *o = ctx;
	const struct diag_run *r = o->r;

	if (r->args->flows)
		fprintf(f, "flows '%s' for %.1f s: slow exchanges are RTO stalls of %.0f ms or more\n",
			r->args->flows, r->res.elapsed_s, r->args->threshold_s * 1e3);
	else
		rr_report_text(f, &r->args->w.cfg, &r->res, ds.stats);
	if (r->stop_why[0])
		fprintf(f, "\nStopped early: %s\n", r->stop_why);
	dg_verdict_text(f, o->vc, ds.stats);
	for (size_t i = 0; i < r->ncap; i++) {
		const struct cap *c = &r->cap[i];

		fprintf(f, "%s %s: ", i ? "         " : "\nCaptures:", c->spec);
		if (c->dsack_only)
			fprintf(f, "%llu SACK-bearing ACKs, %llu D-SACKs", (unsigned long long)c->a.t.packets,
				(unsigned long long)c->dsacks);
		else
			fprintf(f, "%llu packets, %llu retransmissions (%llu spurious)",
				(unsigned long long)c->a.t.packets,
				(unsigned long long)c->a.t.c.retrans_segs,
				(unsigned long long)c->a.t.c.by_class[RTX_SPURIOUS]);
		fprintf(f, "%s\n", c->stats.dropped ? " (the capture lost some)" : "");
	}
	vantage_text(f, r, o->vc);
	if (r->topo_ok && ds.stats) {
		fprintf(f, "\nTopology:\n");
		topo_text(f, &r->topo);
	}
}

static int verdict(struct diag_run *r)
{
	struct dg_verdict_ctx vc = { .d = &r->d, .threshold_ms = r->args->threshold_s * 1e3 };
	struct dropmon_view v;
	struct dg_output o;
	struct dg_input in;
	struct out out = { r, &vc };
	int rc = EXIT_OK;

	if (dropmon_view(r->m, true, &v)) {
		ds_error("diagnose", "cannot sample counters at the end");
		return EXIT_FAIL;
	}
	dg_data_input(&r->d, &in);
	if (dg_join(&in, &o)) {
		ds_error("diagnose", "out of memory");
		dropmon_view_free(&v);
		return EXIT_FAIL;
	}
	vc.o = &o;
	/* Ctrl-C, a vanished interface, a server that died: what ran, marked partial. */
	vc.interrupted = r->res.interrupted || r->stop_why[0] || r->res.error[0];
	vc.detail = ds.stats;
	vc.tracer_lost = v.tracer_lost + v.ring_lost;	/* map misses, and records the full ring refused */
	vc.filtered_out = v.filtered_out;
	if (dg_verdict_build(&vc, r->m, &v, devinfo, r)) {
		rc = EXIT_FAIL;
		goto out;
	}
	vantage_diff(r);
	ds_report(NULL, out_json, out_text, &out);
	if (r->args->report) {
		struct dg_report_in ri = {
			.dir = r->args->report, .d = &r->d, .o = &o, .vc = &vc,
			.cfg = &r->args->w.cfg, .res = &r->res, .m = r->m, .v = &v,
			.t0_ns = r->t0_ns, .t1_ns = r->t1_ns,
			.json = out_json, .text = out_text, .json_ctx = &out,
		};
		char why[300], title[200];

		if (r->args->flows)
			snprintf(title, sizeof(title), "dropscope diagnose --flows '%s'", r->args->flows);
		else
			snprintf(title, sizeof(title), "dropscope diagnose: rr to %s", r->res.server);
		ri.title = title;
		ri.hist = r->args->flows ? (r->ncap ? &r->cap[0].a.rto_gap : NULL) : &r->res.total;
		if (!ri.hist) {
			static struct hist empty;

			ri.hist = &empty;
		}
		if (dg_report_write(&ri, why, sizeof(why))) {
			ds_error("diagnose", "%s", why);
			rc = EXIT_FAIL;
		}
	}
out:
	dg_verdict_free(&vc);
	dg_output_free(&o);
	dropmon_view_free(&v);
	return rc;
}

/* ---- the command ---- */

static int report_dir_check(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		ds_error("diagnose", "--report %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK)) {
		ds_error("diagnose", "--report %s: %s", dir,
			 !stat(dir, &st) && !S_ISDIR(st.st_mode) ? "not a directory"
								 : strerror(errno));
		return -1;
	}
	return 0;
}

static bool is_address(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1;
}

static int check_args(struct diag_args *a, int argc, char **argv, int pos)
{
	char why[160];

	if (a->flows) {
		if (pos < argc) {
			ds_error("diagnose", "--flows watches what runs: no workload '%s'", argv[pos]);
			return -1;
		}
		if (!a->flows[0]) {
			ds_error("diagnose", "--flows needs a pcap-filter expression");
			return -1;
		}
		return 0;
	}

	if (pos >= argc || strcmp(argv[pos], "rr")) {
		ds_error("diagnose", pos >= argc ? "missing workload: diagnose rr HOST [options]"
						 : "unknown workload '%s' (try: diagnose rr HOST)",
			 argv[pos]);
		return -1;
	}
	if (pos + 2 != argc) {
		ds_error("diagnose", pos + 1 >= argc ? "missing HOST after rr" : "too many arguments");
		return -1;
	}
	if (rr_workload_check(&a->w, why, sizeof(why))) {
		ds_error("diagnose", "%s", why);
		return -1;
	}
	/* The capture's filter and the join want the address; a name would cost a DNS query. */
	if (!is_address(argv[pos + 1])) {
		ds_error("diagnose", "HOST must be an IPv4 or IPv6 address, not '%s'", argv[pos + 1]);
		return -1;
	}
	return 0;
}

int do_diagnose(int argc, char **argv)
{
	struct diag_args a = { .threshold_s = 0.2 };
	struct opt opts[PARAMS_MAX] = { OPT_END };
	struct diag_run *r;
	const char *host;
	int pos, rc, err;

	rr_workload_init(&a.w);
	params_cat(opts, PARAMS_MAX, diag_opts, 0);
	params_cat(opts, PARAMS_MAX, rr_workload_opts, A(w));
	rc = ds_options("diagnose", synopsis, opts, argc, argv, &a, &pos);
	if (rc >= 0)
		return rc;
	if (check_args(&a, argc, argv, pos))
		return EXIT_USAGE;
	host = a.flows ? NULL : argv[pos + 1];
	/* A report that cannot be written must not cost the user a run. */
	if (a.report && report_dir_check(a.report))
		return EXIT_FAIL;
	r = calloc(1, sizeof(*r));
	if (!r || dg_data_init(&r->d)) {
		free(r);
		return EXIT_FAIL;
	}
	r->args = &a;
	r->mono_off = mono_offset_ns();
	/* Signals are held from here on, in every thread rr starts. */
	rc = ds_loop_init("diagnose", &r->loop);
	if (rc)
		goto out_data;
	rc = caps_open(r, host);
	if (rc)
		goto out_loop;
	rc = tracer_start(r);
	if (rc)
		goto out_caps;
	/* Before the workload: the devices and who reads them, as they are. */
	err = topo_collect(&r->topo, NULL, 0, r->topo_why, sizeof(r->topo_why));
	r->topo_ok = !err;
	if (err)
		pr_warn("dropscope diagnose: no topology: %s\n", r->topo_why);
	err = host ? run_workload(r, host) : run_flows(r);
	if (host && err && !r->res.transactions) {
		ds_error("diagnose", "%s", r->res.error[0] ? r->res.error : strerror(-err));
		rc = EXIT_FAIL;
	} else {
		rc = verdict(r);
		/* A capture that lost its interface explains the workload's stall. */
		if (r->stop_why[0]) {
			fprintf(stderr, "dropscope diagnose: %s (partial verdict above)\n",
				r->stop_why);
			rc = EXIT_FAIL;
		} else if (err) {
			fprintf(stderr, "dropscope diagnose: %s (partial verdict above)\n",
				r->res.error[0] ? r->res.error : strerror(-err));
			rc = EXIT_FAIL;
		}
	}
	if (r->res_ok)
		rr_result_free(&r->res);
	if (r->topo_ok)
		topo_free(&r->topo);
	dropmon_stop(r->m);
out_caps:
	caps_close(r);
out_loop:
	loop_free(&r->loop);
out_data:
	dg_data_free(&r->d);
	free(r);
	return rc;
}
