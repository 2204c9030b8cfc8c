// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope shape: the inline shaper. Its configuration (src/shape/config),
 * the HTB tree over rtnetlink (tree, tcnl), the DSCP marking (mark), the
 * state it replaced (state), and one run loop: a live capture of the
 * shaped device (after our queue) through the analyzer into the path
 * monitor, whose windows feed the controller (ctl), whose R rewrites the
 * tree in place. Rules in doc/shape.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <systemd/sd-daemon.h>

#include "analyze.h"
#include "capsrc.h"
#include "clock.h"
#include "config.h"
#include "ctl.h"
#include "dropscope.h"
#include "event.h"
#include "human.h"
#include "initext.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "mark.h"
#include "monitor.h"
#include "params.h"
#include "privs.h"
#include "qdiscstats.h"
#include "sites.h"
#include "state.h"
#include "status.h"
#include "tcnl.h"
#include "tree.h"

#define CAP_NET_ADMIN_BIT 12
#define CAP_NET_RAW_BIT 13
#define SHAPE_TICK_NS (100 * NSEC_PER_MSEC)
#define SHAPE_WRITES_PER_S 4			/* at most 4 tree writes in any second */
#define SHAPE_KEEP_DECISIONS 10			/* in the status file */
#define SHAPE_BLIND_PKTS 20			/* sent by our root in a window the capture saw empty */

struct shape_args {
	const char *config;
	const char *decisions, *state, *status;
	const char *restore;
	bool dry_run, check;
	double duration_s;
};

#define A(f) offsetof(struct shape_args, f)

static const char synopsis[] =
	"dropscope [-j] shape -c FILE [--dry-run] [-d S] [--decisions FILE] [--state FILE]\n"
	"                            [--status FILE]\n"
	"       dropscope [-j] shape --check -c FILE\n"
	"       dropscope [-j] shape --restore STATE\n"
	"       dropscope [-j] shape status [-c FILE | --status FILE]";

static const struct opt shape_opts[] = {
	{ "config", 'c', OPT_STRING, A(config), "FILE", "the shaper's configuration (INI)" },
	{ "dry-run", 'n', OPT_FLAG, A(dry_run), NULL,
	  "touch nothing: capture, decide and print the decisions only" },
	{ "duration", 'd', OPT_SECONDS, A(duration_s), "S",
	  "run S seconds, then restore (default: until SIGTERM/SIGINT)", 0, 86400000ULL * 365 },
	{ "decisions", 0, OPT_STRING, A(decisions), "FILE",
	  "every decision as NDJSON to FILE (overrides the config's)" },
	{ "state", 0, OPT_STRING, A(state), "FILE",
	  "where the replaced qdisc state is saved (overrides the config's)" },
	{ "status", 0, OPT_STRING, A(status), "FILE",
	  "the status file, rewritten each window (overrides the config's)" },
	{ "restore", 0, OPT_STRING, A(restore), "STATE",
	  "put back what STATE holds (after a crash or SIGKILL) and remove our nft table" },
	{ "check", 0, OPT_FLAG, A(check), NULL,
	  "check the configuration and print the tree it builds" },
	OPT_END,
};

struct shape_run {
	struct shape_config cfg;
	struct shape_args *args;
	struct loop loop;
	struct nl nl;
	int ifindex;
	bool changed;			/* the device is ours: restore on the way out */
	bool marked;
	struct shape_tree tree;		/* as in the kernel */
	struct shape_ctl ctl;
	uint64_t want_bps;		/* R decided, maybe not yet written */
	uint64_t written_ns[SHAPE_WRITES_PER_S];	/* the last writes (monotonic), a ring */
	unsigned int written_next;
	struct capsrc *src;
	struct analyzer a;
	bool a_ok;
	struct monitor *mon;
	uint64_t last_pkt_mono, last_pkt_ts;
	/* Blindness: our root sent packets in a window, the capture saw none of them. */
	uint64_t cap_pkts, cap_pkts_then, q_pkts, q_pkts_then;
	uint64_t blind_windows;
	struct ev_out dec, out;		/* --decisions, and stdout with -j */
	struct shape_decision keep[SHAPE_KEEP_DECISIONS];
	unsigned int nkeep;
	uint64_t limit_bps;
	uint8_t path_type;
	uint64_t decisions, changes, writes, write_errors;
	/* Per class: the last sample's bytes and time, for rate_now_bps. */
	uint64_t cls_bytes[SHAPE_MAX_CLASSES + 1], cls_at;
	int err;
};

/* ---- the tree ---- */

static int device_mtu(const char *dev, unsigned int *mtu)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFMTU, &ifr))
		err = -errno;
	else
		*mtu = (unsigned int)ifr.ifr_mtu;
	close(fd);
	return err;
}

static int build_tree(struct shape_run *r, uint64_t root_bps, struct shape_tree *t)
{
	struct shape_desc d = r->cfg.desc;
	char why[256];

	d.root_bps = root_bps;
	if (shape_tree_build(&d, t, why, sizeof(why))) {
		ds_error("shape", "%s: %s", r->cfg.file, why);
		return -EINVAL;
	}
	return 0;
}

/* R as decided into the kernel, if due: every change in place, children or parent first. */
static void write_tree(struct shape_run *r)
{
	struct shape_tree next;
	struct shape_plan plan;
	uint64_t now = now_ns();
	char why[256];
	int err;

	if (r->args->dry_run || r->want_bps == r->tree.node[0].rate_bps)
		return;
	/*
	 * At most 4 in any second, not one per 250 ms: a cut on an early alarm
	 * goes in at once, also 100 ms after a window's probe was written.
	 */
	if (r->written_ns[r->written_next] && now - r->written_ns[r->written_next] < NSEC_PER_SEC)
		return;
	if (build_tree(r, r->want_bps, &next) || shape_plan(&r->tree, &next, &plan))
		return;
	if (shape_tree_check(&plan.result, why, sizeof(why))) {
		pr_warn("dropscope shape: not written, the tree would break a rule: %s\n", why);
		return;
	}
	r->written_ns[r->written_next] = now;
	r->written_next = (r->written_next + 1) % SHAPE_WRITES_PER_S;
	if (!plan.n) {
		r->tree = plan.result;
		return;
	}
	err = tcnl_plan_write(&r->nl, r->ifindex, &plan);
	r->writes++;
	if (err) {
		r->write_errors++;
		pr_warn("dropscope shape: cannot change the tree on %s: %s%s%s\n", r->cfg.device,
			strerror(-err), r->nl.err[0] ? ": " : "", r->nl.err);
		return;
	}
	r->tree = plan.result;
}

/* ---- decisions ---- */

static void decision_text(FILE *f, const struct shape_decision *d)
{
	fprintf(f, "R %.2f -> %.2f Mbit/s: %s%s%s", d->r_old_bps / 1e6, d->r_new_bps / 1e6,
		d->reason, d->clamp ? ", at the " : "", d->clamp ? d->clamp : "");
	if (d->has_in)
		fprintf(f, " (offered %.2f delivered %.2f Mbit/s, loss %.2f%%, limit %.2f)",
			d->in.offered_bps / 1e6, d->in.delivered_bps / 1e6, d->in.loss_share * 100,
			d->in.limit_bps / 1e6);
	fputc('\n', f);
}

static void on_decision(struct shape_run *r, const struct shape_decision *d)
{
	r->decisions++;
	if (r->nkeep == SHAPE_KEEP_DECISIONS) {
		memmove(r->keep, r->keep + 1, sizeof(r->keep[0]) * (SHAPE_KEEP_DECISIONS - 1));
		r->nkeep--;
	}
	r->keep[r->nkeep++] = *d;
	/* Whole lines: a reader (jq, tail -f) never sees half a decision. */
	if (r->dec.f) {
		shape_decision_json(&r->dec.j, d);
		json_end_line(&r->dec.j);
		json_flush(&r->dec.j);
		fflush(r->dec.f);
	}
	if (ds.json) {
		shape_decision_json(&r->out.j, d);
		json_end_line(&r->out.j);
		json_flush(&r->out.j);
		fflush(r->out.f);
	} else if (d->r_new_bps != d->r_old_bps) {
		decision_text(stdout, d);
		fflush(stdout);
	}
	if (d->r_new_bps != d->r_old_bps)
		r->changes++;
	r->want_bps = d->r_new_bps;
	write_tree(r);
}

/* ---- the status file ---- */

/* A class's name, id, rates and prio: the keys status and --check share. */
static void node_json(struct json *j, const struct shape_node *n)
{
	char id[16];

	json_str(j, "name", n->name);
	snprintf(id, sizeof(id), "%x:%x", n->classid >> 16, n->classid & 0xffff);
	json_str(j, "classid", id);
	json_u64(j, "rate_bps", n->rate_bps);
	json_u64(j, "ceil_bps", n->ceil_bps);
	json_u64(j, "prio", n->prio);
}

static void status_class(struct json *j, const struct shape_node *n, const struct qdisc_stats *q,
			 uint64_t rate_now)
{
	json_obj_open(j, NULL);
	node_json(j, n);
	if (n->dscp >= 0)
		json_u64(j, "dscp", (uint64_t)n->dscp);
	else
		json_null(j, "dscp");
	json_u64(j, "sent_bytes", q ? q->bytes : 0);
	json_u64(j, "sent_packets", q ? q->packets : 0);
	json_u64(j, "drops", q ? q->drops : 0);
	json_u64(j, "overlimits", q ? q->overlimits : 0);
	json_u64(j, "backlog_bytes", q ? q->backlog : 0);
	json_u64(j, "qlen", q ? q->qlen : 0);
	json_u64(j, "rate_now_bps", rate_now);
	json_obj_close(j);
}

static void write_status(struct shape_run *r)
{
	const char *path = r->cfg.status;
	struct qdisc_stats *v = NULL;
	char tmp[SHAPE_PATH_LEN + 8];
	uint64_t now = now_ns();
	struct timespec ts;
	struct json j;
	size_t n = 0;
	FILE *f;

	if (!path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	if (!r->args->dry_run && classstats_dump(&r->nl, r->ifindex, &v, &n))
		n = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	json_init(&j, f, false);
	json_obj_open(&j, NULL);
	json_str(&j, "type", "status");
	json_u64(&j, "pid", (uint64_t)getpid());
	json_str(&j, "device", r->cfg.device);
	json_u64(&j, "ts_ns", (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec);
	json_bool(&j, "dry_run", r->args->dry_run);
	json_u64(&j, "r_bps", r->args->dry_run ? r->ctl.r_bps : r->tree.node[0].rate_bps);
	json_u64(&j, "r_decided_bps", r->ctl.r_bps);
	json_u64(&j, "floor_bps", r->cfg.desc.floor_bps);
	json_u64(&j, "line_bps", r->cfg.desc.line_bps);
	if (r->limit_bps)
		json_u64(&j, "limit_bps", r->limit_bps);
	else
		json_null(&j, "limit_bps");
	json_str(&j, "path_type", mon_type_name[r->path_type]);
	json_u64(&j, "decisions_total", r->decisions);
	json_u64(&j, "changes_total", r->changes);
	json_u64(&j, "writes_total", r->writes);
	json_u64(&j, "write_errors_total", r->write_errors);
	json_u64(&j, "blind_windows_total", r->blind_windows);
	json_arr_open(&j, "classes");
	for (unsigned int i = 0; i < r->tree.n; i++) {
		const struct shape_node *nd = &r->tree.node[i];
		const struct qdisc_stats *q = NULL;
		uint64_t rate = 0;

		for (size_t k = 0; k < n; k++)
			if (v[k].handle == nd->classid)
				q = &v[k];
		if (q && r->cls_at && now > r->cls_at && q->bytes >= r->cls_bytes[i])
			rate = (q->bytes - r->cls_bytes[i]) * 8 * NSEC_PER_SEC / (now - r->cls_at);
		if (q)
			r->cls_bytes[i] = q->bytes;
		status_class(&j, nd, q, rate);
	}
	json_arr_close(&j);
	json_arr_open(&j, "decisions");
	for (unsigned int i = 0; i < r->nkeep; i++)
		shape_decision_json(&j, &r->keep[i]);
	json_arr_close(&j);
	json_obj_close(&j);
	json_end(&j);
	r->cls_at = now;
	free(v);
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

/* ---- the run loop ---- */

static void on_window(void *ctx, const struct mon_window *w)
{
	struct shape_run *r = ctx;
	struct shape_ctl_in in = { 0 };
	struct shape_decision d;

	if (w->path != 0)
		return;
	/* A window the capture did not see is none: after blind_ns, the floor. */
	if (r->q_pkts - r->q_pkts_then >= SHAPE_BLIND_PKTS && r->cap_pkts == r->cap_pkts_then) {
		r->blind_windows++;
		r->q_pkts_then = r->q_pkts;
		return;
	}
	r->q_pkts_then = r->q_pkts;
	r->cap_pkts_then = r->cap_pkts;
	in.ts_ns = w->start_ns + w->len_ns;
	in.len_ns = w->len_ns;
	in.offered_bps = w->offered_bps;
	in.delivered_bps = w->delivered_bps;
	in.loss_share = w->loss_share;
	in.verdict = w->verdict;
	in.limit_bps = w->limit_bps;
	in.episode_bps = w->episode_bps;
	in.type = w->type;
	in.our_drops = w->our_drops;
	/* What left our root: at R when R is what holds it back (ctl.c: filled). */
	in.demand_bps = w->offered_bps;
	r->limit_bps = w->limit_bps;
	r->path_type = w->type;
	shape_ctl_window(&r->ctl, &in, &d);
	on_decision(r, &d);
	write_status(r);
	sd_notify(0, "WATCHDOG=1");
}

/* Loss seen before the window's end: the controller may cut now. */
static void on_alarm(void *ctx, const struct mon_alarm *a)
{
	struct shape_run *r = ctx;
	struct shape_ctl_in in = { 0 };
	struct shape_decision d;

	if (a->path != 0)
		return;
	in.ts_ns = a->ts_ns;
	in.len_ns = a->span_ns;
	in.offered_bps = a->offered_bps;
	in.delivered_bps = a->delivered_bps;
	in.episode_bps = a->delivered_bps;
	in.loss_share = a->loss_share;
	in.verdict = MON_OVER;
	in.limit_bps = r->limit_bps;
	in.type = r->path_type;
	in.demand_bps = a->offered_bps;
	if (shape_ctl_alarm(&r->ctl, &in, &d))
		on_decision(r, &d);
}

static uint64_t read_our_drops(void *ctx)
{
	struct shape_run *r = ctx;
	uint64_t d, pk;

	if (qdisc_dev_now(&r->nl, r->ifindex, &d, &pk))
		return 0;
	r->q_pkts = pk;
	return r->args->dry_run ? 0 : d;
}

static int on_packet(void *ctx, const struct capsrc_pkt *p)
{
	struct shape_run *r = ctx;

	r->cap_pkts++;
	analyzer_packet(&r->a, p->linktype, p->ifid, p->ts_ns, p->data, p->caplen, p->wirelen);
	r->last_pkt_mono = now_ns();
	r->last_pkt_ts = r->a.last_ns;
	return 0;
}

static int on_readable(void *ctx, int fd, uint32_t events)
{
	struct shape_run *r = ctx;
	int n = capsrc_dispatch(r->src, -1, on_packet, r);

	(void)fd, (void)events;
	if (n < 0 && n != -ECANCELED) {
		ds_error("shape", "capture on %s: %s", r->cfg.capture, capsrc_error(r->src));
		r->err = -EIO;
		loop_stop(&r->loop);
	}
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Now on the capture's clock (the analyzer's time of the last frame, and since). */
static uint64_t cap_now(const struct shape_run *r, uint64_t mono)
{
	return r->last_pkt_mono ? r->last_pkt_ts + (mono - r->last_pkt_mono) : realtime_ns();
}

/* Windows close on time when packets stop; the controller's blind check; a deferred write. */
static int on_tick(void *ctx, uint64_t now)
{
	struct shape_run *r = ctx;
	struct shape_decision d;

	monitor_tick(r->mon, cap_now(r, now));
	if (shape_ctl_blind(&r->ctl, cap_now(r, now), &d))
		on_decision(r, &d);
	write_tree(r);
	if (!r->last_pkt_mono)
		sd_notify(0, "WATCHDOG=1");
	return 0;
}

/* ---- set-up and restore ---- */

static int exit_for(int err)
{
	return err == -EPERM || err == -EACCES ? EXIT_NOPERM : EXIT_FAIL;
}

/* What the device had back; our nft table gone. Return: 0 or -errno (said). */
static int undo(struct shape_run *r)
{
	char why[256];
	int err = 0;

	if (r->marked && shape_mark_remove(r->cfg.device, why, sizeof(why))) {
		pr_warn("dropscope shape: %s\n", why);
		err = -EIO;
	}
	r->marked = false;
	if (r->changed) {
		int e = shape_state_restore(&r->nl, r->cfg.state);

		if (e) {
			ds_error("shape", "cannot restore %s from %s: %s%s%s (the state file is kept)",
				 r->cfg.device, r->cfg.state, strerror(-e), r->nl.err[0] ? ": " : "",
				 r->nl.err);
			return e;
		}
		unlink(r->cfg.state);
		r->changed = false;
	}
	return err;
}

static int open_capture(struct shape_run *r)
{
	/* Everything: a capture that sees nothing of what our root sends is blind. */
	struct capsrc_opts co = { .iface = r->cfg.capture, .snaplen = 256,
				  .buffer_mb = 16 };
	struct monitor_opts mo = { .window_ns = r->cfg.window_ns, .on_window = on_window, .ctx = r,
				   .our_drops = read_our_drops, .on_alarm = on_alarm };
	struct analyze_opts ao = { 0 };
	char err[256];
	int ret;

	r->mon = calloc(1, sizeof(*r->mon));
	if (!r->mon) {
		ds_error("shape", "out of memory");
		return EXIT_FAIL;
	}
	monitor_init(r->mon, &mo);
	if (r->cfg.has_paths) {
		char *text = NULL;

		ret = ini_text_load(r->cfg.file, &text, err, sizeof(err));
		if (!ret)
			ret = sites_load_mode(r->mon, text, r->cfg.file, true, err, sizeof(err));
		free(text);
		if (ret < 0) {
			ds_error("shape", "%s", err);
			return EXIT_USAGE;
		}
	} else if (monitor_add_path(r->mon, "all:0.0.0.0/0=0.0.0.0/0") < 0) {
		ds_error("shape", "cannot add the catch-all path");
		return EXIT_FAIL;
	}
	ret = capsrc_open(&r->src, &co, err, sizeof(err));
	if (ret) {
		ds_error("shape", "%s", err);
		return ret == -EPERM ? EXIT_NOPERM : EXIT_FAIL;
	}
	ao.mon = r->mon;
	if (analyzer_init(&r->a, &ao)) {
		ds_error("shape", "out of memory");
		return EXIT_FAIL;
	}
	r->a_ok = true;
	return EXIT_OK;
}

static void close_capture(struct shape_run *r)
{
	if (r->a_ok)
		analyzer_free(&r->a);
	if (r->src)
		capsrc_close(r->src);
	free(r->mon);
}

/* The paths and class overrides from argv onto the configuration. */
static int load_config(struct shape_run *r, const struct shape_args *args)
{
	char why[512];
	int ret;

	if (!args->config) {
		ds_error("shape", "-c FILE is needed (see dropscope shape --help)");
		return EXIT_USAGE;
	}
	ret = shape_config_load(&r->cfg, args->config, why, sizeof(why));
	if (ret) {
		ds_error("shape", "%s", why);
		return ret == -EINVAL || ret == -ENOSPC ? EXIT_USAGE : EXIT_FAIL;
	}
#define OVERRIDE(f)                                                                     \
	do {                                                                            \
		if (args->f && snprintf(r->cfg.f, sizeof(r->cfg.f), "%s", args->f) >=   \
				       (int)sizeof(r->cfg.f)) {                         \
			ds_error("shape", "--" #f " %s: path too long", args->f);       \
			return EXIT_USAGE;                                              \
		}                                                                       \
	} while (0)
	OVERRIDE(decisions);
	OVERRIDE(state);
	OVERRIDE(status);
#undef OVERRIDE
	return EXIT_OK;
}

static int check_privileges(const struct shape_run *r)
{
	unsigned long long caps = privs_effective();

	if (!r->args->dry_run && !(caps & (1ULL << CAP_NET_ADMIN_BIT))) {
		ds_error("shape", "changing the qdisc of %s needs CAP_NET_ADMIN (or root)",
			 r->cfg.device);
		return EXIT_NOPERM;
	}
	if (!(caps & (1ULL << CAP_NET_RAW_BIT))) {
		ds_error("shape", "capturing on %s needs CAP_NET_RAW (or root)", r->cfg.capture);
		return EXIT_NOPERM;
	}
	return EXIT_OK;
}

/* Save, build, mark: each undone if a later one fails. Return: the exit code. */
static int take_device(struct shape_run *r)
{
	char why[256];
	int err;

	if (!access(r->cfg.state, F_OK)) {
		ds_error("shape", "%s exists: a shaper runs on %s or crashed; "
			 "run dropscope shape --restore %s first", r->cfg.state, r->cfg.device,
			 r->cfg.state);
		return EXIT_FAIL;
	}
	/* /run/dropscope/ on a machine that never ran us. */
	if (!strncmp(r->cfg.state, "/run/dropscope/", 15))
		mkdir("/run/dropscope", 0750);
	err = shape_state_save(&r->nl, r->ifindex, r->cfg.state);
	if (err) {
		ds_error("shape", "cannot save the state of %s to %s: %s%s%s", r->cfg.device,
			 r->cfg.state, strerror(-err), r->nl.err[0] ? ": " : "", r->nl.err);
		unlink(r->cfg.state);
		return exit_for(err);
	}
	r->changed = true;
	err = tcnl_tree_create(&r->nl, r->ifindex, &r->tree);
	if (err) {
		ds_error("shape", "cannot create the tree on %s: %s%s%s", r->cfg.device,
			 strerror(-err), r->nl.err[0] ? ": " : "", r->nl.err);
		undo(r);
		return exit_for(err);
	}
	err = shape_mark_apply(&r->cfg, why, sizeof(why));
	if (err) {
		ds_error("shape", "cannot mark DSCP: %s", why);
		undo(r);
		return exit_for(err);
	}
	r->marked = shape_mark_needed(&r->cfg);
	return EXIT_OK;
}

/* A hang-up (the terminal gone) stops and restores like SIGTERM: the loop wakes within a tick. */
static struct loop *hup_loop;

static void on_hup(int sig)
{
	(void)sig;
	if (hup_loop)
		loop_stop(hup_loop);
}

static int run(struct shape_run *r)
{
	struct sigaction sa = { .sa_handler = on_hup };
	int err;

	if (ds_loop_init("shape", &r->loop))
		return EXIT_FAIL;
	err = loop_set_tick(&r->loop, SHAPE_TICK_NS, on_tick, r);
	if (!err && r->args->duration_s > 0)
		err = loop_set_deadline(&r->loop, (uint64_t)(r->args->duration_s * 1e9));
	if (!err)
		err = loop_add_fd(&r->loop, capsrc_fd(r->src), EPOLLIN, on_readable, r);
	if (err) {
		ds_error("shape", "cannot set up the run loop: %s", strerror(-err));
		return EXIT_FAIL;
	}
	hup_loop = &r->loop;
	sigaction(SIGHUP, &sa, NULL);
	write_status(r);
	fprintf(stderr, "dropscope shape: ready: %s R %.2f Mbit/s (floor %.2f, line %.2f), "
		"%u classes%s, capture %s\n", r->cfg.device, r->ctl.r_bps / 1e6,
		r->cfg.desc.floor_bps / 1e6, r->cfg.desc.line_bps / 1e6, r->cfg.desc.n,
		r->args->dry_run ? ", dry run: nothing changed" : "", r->cfg.capture);
	sd_notify(0, "READY=1");
	err = loop_run(&r->loop);
	signal(SIGHUP, SIG_DFL);
	hup_loop = NULL;
	sd_notify(0, "STOPPING=1");
	if (err < 0 && !r->err) {
		ds_error("shape", "run loop: %s", strerror(-err));
		r->err = err;
	}
	return r->err ? EXIT_FAIL : EXIT_OK;
}

static int shape_main(struct shape_args *args)
{
	struct shape_run *r = calloc(1, sizeof(*r));
	struct shape_ctl_cfg cc;
	struct shape_decision first;
	int rc, err;

	if (!r) {
		ds_error("shape", "out of memory");
		return EXIT_FAIL;
	}
	r->args = args;
	rc = load_config(r, args);
	if (rc)
		goto out;
	r->ifindex = (int)if_nametoindex(r->cfg.device);
	if (!r->ifindex) {
		ds_error("shape", "no device %s in this network namespace", r->cfg.device);
		rc = EXIT_FAIL;
		goto out;
	}
	if (device_mtu(r->cfg.device, &r->cfg.desc.mtu) || !r->cfg.desc.mtu)
		r->cfg.desc.mtu = 1500;
	rc = check_privileges(r);
	if (rc)
		goto out;
	shape_ctl_cfg_default(&cc, r->cfg.desc.floor_bps, r->cfg.desc.line_bps);
	cc.start_bps = r->cfg.desc.root_bps;
	cc.path_type = r->cfg.path_type;
	shape_ctl_init(&r->ctl, &cc, realtime_ns(), &first);
	if (build_tree(r, r->ctl.r_bps, &r->tree)) {
		rc = EXIT_USAGE;
		goto out;
	}
	err = nl_open(&r->nl, NETLINK_ROUTE);
	if (err) {
		ds_error("shape", "cannot open rtnetlink: %s", strerror(-err));
		rc = EXIT_FAIL;
		goto out;
	}
	if (r->cfg.decisions[0] && (err = ev_open(&r->dec, r->cfg.decisions))) {
		ds_error("shape", "cannot write decisions to %s: %s", r->cfg.decisions,
			 strerror(-err));
		rc = EXIT_FAIL;
		goto out_nl;
	}
	if (ds.json)
		ev_open(&r->out, "-");
	/* The capture before any change: an absent capture device changes nothing. */
	rc = open_capture(r);
	if (rc)
		goto out_cap;
	if (!args->dry_run && (rc = take_device(r)))
		goto out_cap;
	r->want_bps = r->ctl.r_bps;
	on_decision(r, &first);
	rc = run(r);
	err = undo(r);
	if (err && !rc)
		rc = EXIT_FAIL;
	if (r->cfg.status[0])
		unlink(r->cfg.status);
	fprintf(stderr, "dropscope shape: %s %s; %llu decisions, %llu changes of R, "
		"%llu tree writes (%llu failed)\n", r->cfg.device,
		args->dry_run ? "untouched (dry run)" : err ? "NOT restored" : "restored",
		(unsigned long long)r->decisions, (unsigned long long)r->changes,
		(unsigned long long)r->writes, (unsigned long long)r->write_errors);
out_cap:
	close_capture(r);
	loop_free(&r->loop);
	ev_close(&r->dec);
	if (ds.json)
		ev_close(&r->out);
out_nl:
	nl_close(&r->nl);
out:
	free(r);
	return rc;
}

/* ---- --check, --restore, status ---- */

static void tree_json(struct json *j, const struct shape_tree *t)
{
	json_arr_open(j, "classes");
	for (unsigned int i = 0; i < t->n; i++) {
		const struct shape_node *n = &t->node[i];

		json_obj_open(j, NULL);
		node_json(j, n);
		json_u64(j, "burst_bytes", n->burst);
		json_u64(j, "cburst_bytes", n->cburst);
		json_u64(j, "quantum_bytes", n->quantum);
		if (n->leaf_handle) {
			json_str(j, "leaf", n->leaf_bytes ? "bfifo" : "pfifo");
			json_u64(j, n->leaf_bytes ? "limit_bytes" : "limit_packets", n->leaf_limit);
		}
		if (n->dscp >= 0)
			json_u64(j, "dscp", (uint64_t)n->dscp);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static int do_check(struct shape_args *args)
{
	struct shape_run *r = calloc(1, sizeof(*r));
	char rules[16384];
	int rc, n;

	if (!r)
		return EXIT_FAIL;
	r->args = args;
	rc = load_config(r, args);
	if (!rc && (device_mtu(r->cfg.device, &r->cfg.desc.mtu) || !r->cfg.desc.mtu))
		r->cfg.desc.mtu = 1500;
	if (!rc && build_tree(r, r->cfg.desc.root_bps, &r->tree))
		rc = EXIT_USAGE;
	n = rc ? 0 : shape_mark_ruleset(&r->cfg, rules, sizeof(rules));
	if (!rc && n < 0) {
		ds_error("shape", "%s: cannot write the nft ruleset: %s", r->cfg.file, strerror(-n));
		rc = EXIT_USAGE;
	}
	if (!rc && ds.json) {
		struct json j;

		json_init(&j, stdout, ds.pretty);
		json_obj_open(&j, NULL);
		json_str(&j, "type", "shape_check");
		json_str(&j, "device", r->cfg.device);
		json_u64(&j, "mtu", r->cfg.desc.mtu);
		json_u64(&j, "floor_bps", r->cfg.desc.floor_bps);
		json_u64(&j, "line_bps", r->cfg.desc.line_bps);
		json_u64(&j, "start_bps", r->cfg.desc.root_bps);
		tree_json(&j, &r->tree);
		json_str(&j, "nft", n > 0 ? rules : "");
		json_obj_close(&j);
		json_end(&j);
	} else if (!rc) {
		printf("%s: ok: %s, floor %.2f line %.2f start %.2f Mbit/s, mtu %u\n", r->cfg.file,
		       r->cfg.device, r->cfg.desc.floor_bps / 1e6, r->cfg.desc.line_bps / 1e6,
		       r->cfg.desc.root_bps / 1e6, r->cfg.desc.mtu);
		printf("qdisc 1: htb default %x\n", r->tree.default_minor);
		for (unsigned int i = 0; i < r->tree.n; i++) {
			const struct shape_node *nd = &r->tree.node[i];

			printf("  class %x:%-4x %-16s rate %9.3f ceil %9.3f Mbit/s prio %u burst %u "
			       "cburst %u quantum %u", nd->classid >> 16, nd->classid & 0xffff,
			       nd->name, nd->rate_bps / 1e6, nd->ceil_bps / 1e6, nd->prio, nd->burst,
			       nd->cburst, nd->quantum);
			if (nd->leaf_handle)
				printf("  leaf %x: %s limit %u", nd->leaf_handle >> 16,
				       nd->leaf_bytes ? "bfifo" : "pfifo", nd->leaf_limit);
			if (nd->dscp >= 0)
				printf("  dscp %d", nd->dscp);
			putchar('\n');
		}
		if (n > 0)
			printf("nft:\n%s", rules);
	}
	free(r);
	return rc;
}

/* Put back what STATE holds, for the device it names; our nft table goes too. */
static int do_restore(const char *path)
{
	struct nl nl = { 0 };
	char why[512], dev[IF_NAMESIZE];
	int err;

	if (shape_state_device(path, dev, sizeof(dev), why, sizeof(why))) {
		ds_error("shape", "%s", why);
		return EXIT_FAIL;
	}
	if (!(privs_effective() & (1ULL << CAP_NET_ADMIN_BIT))) {
		ds_error("shape", "restoring %s needs CAP_NET_ADMIN (or root)", dev);
		return EXIT_NOPERM;
	}
	err = nl_open(&nl, NETLINK_ROUTE);
	if (!err)
		err = shape_state_restore(&nl, path);
	if (err) {
		ds_error("shape", "cannot restore %s from %s: %s%s%s", dev, path, strerror(-err),
			 nl.err[0] ? ": " : "", nl.err);
		nl_close(&nl);
		return exit_for(err);
	}
	nl_close(&nl);
	if (shape_mark_remove(dev, why, sizeof(why)))
		pr_warn("dropscope shape: %s\n", why);
	unlink(path);
	fprintf(stderr, "dropscope shape: %s restored from %s\n", dev, path);
	return EXIT_OK;
}

static int do_status(struct shape_args *args)
{
	struct shape_run *r = calloc(1, sizeof(*r));
	char path[SHAPE_PATH_LEN], *buf = NULL;
	size_t len = 0;
	pid_t pid;
	FILE *f;
	int rc = EXIT_OK;

	if (!r)
		return EXIT_FAIL;
	r->args = args;
	if (args->config) {
		rc = load_config(r, args);
		snprintf(path, sizeof(path), "%s", r->cfg.status);
	} else if (args->status) {
		snprintf(path, sizeof(path), "%s", args->status);
	} else {
		ds_error("shape", "status needs -c FILE or --status FILE");
		rc = EXIT_USAGE;
	}
	free(r);
	if (rc)
		return rc;
	f = fopen(path, "r");
	if (!f) {
		ds_error("shape", "no status in %s: %s (is a shaper running?)", path,
			 strerror(errno));
		return EXIT_FAIL;
	}
	buf = calloc(1, 1 << 20);
	if (buf)
		len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	if (!buf || !len || !strstr(buf, "\"type\":\"status\"")) {
		ds_error("shape", "%s is no shaper status", path);
		free(buf);
		return EXIT_FAIL;
	}
	pid = (pid_t)shape_status_u64(buf, "pid");
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH)) {
		ds_error("shape", "%s: its shaper (pid %d) is gone", path, (int)pid);
		free(buf);
		return EXIT_FAIL;
	}
	if (ds.json)
		fwrite(buf, 1, len, stdout);
	else
		shape_status_text(stdout, buf);
	free(buf);
	return EXIT_OK;
}

int do_shape(int argc, char **argv)
{
	struct shape_args args = { 0 };
	bool status = false;
	int pos, ret;

	if (argc > 1 && !strcmp(argv[1], "status")) {
		status = true;
		argv[1] = argv[0];
		argc--, argv++;
	}
	ret = ds_options("shape", synopsis, shape_opts, argc, argv, &args, &pos);
	if (ret >= 0)
		return ret;
	if (pos < argc) {
		ds_error("shape", "unexpected argument '%s'", argv[pos]);
		return EXIT_USAGE;
	}
	if (status)
		return do_status(&args);
	if (args.restore) {
		if (args.config || args.check || args.dry_run) {
			ds_error("shape", "--restore takes the state file alone");
			return EXIT_USAGE;
		}
		return do_restore(args.restore);
	}
	if (args.check)
		return do_check(&args);
	return shape_main(&args);
}
