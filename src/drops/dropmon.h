/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The drops engine: counters of every selected namespace sampled at start,
 * at every mark and at the end, beside the kernel's traced drops and TCP
 * retransmissions, joined into a ledger per device. `drops` prints it;
 * `diagnose` will read the same views.
 */
#ifndef DS_DROPMON_H
#define DS_DROPMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dropevent.h"
#include "droptrace.h"
#include "ledger.h"
#include "snmp.h"

/*
 * Each traced event, handed out as it is read from the ring buffer (the
 * command decides what to print): a drop that passed --filter, with its
 * decoded headers; a retransmission, with its flow.
 */
struct dropmon_events {
	void (*on_drop)(void *ctx, const struct drop_event *e, const struct drop_pkt *p);
	void (*on_rtx)(void *ctx, const struct rtx_event *e, const struct flow_id *f);
	void *ctx;
};

struct dropmon_opts {
	const char *netns;		/* NULL or "all": every namespace; else one name */
	bool trace;			/* attach the tracer if we can */
	bool need_trace;		/* ... and fail when we cannot */
	bool disable[PROBE_NR];		/* leave a probe out */
	const char *filter;		/* pcap-filter on dropped packets: per-event counting */
	size_t ring_bytes;		/* event ring size when streaming (0: default) */
	struct dropmon_events ev;	/* any callback set: stream events */
};

/* TCP's own counters (nstat names in the comments). */
struct dropmon_tcp {
	uint64_t retrans_segs;		/* TcpRetransSegs */
	uint64_t timeouts;		/* TcpExtTCPTimeouts */
	uint64_t loss_probes;		/* TcpExtTCPLossProbes */
	uint64_t fast_retrans;		/* TcpExtTCPFastRetrans */
	uint64_t syn_retrans;		/* TcpExtTCPSynRetrans */
	uint64_t lost_retransmit;	/* TcpExtTCPLostRetransmit */
};

/* Other protocol drop counters a namespace keeps. */
struct dropmon_proto {
	uint64_t ip_in_discards, ip_out_discards;
	uint64_t udp_rcvbuf_errors, udp_in_errors;
	uint64_t listen_drops, backlog_drops;
};

struct dropmon_ns {
	uint32_t inum;
	char name[64];
	struct dropmon_tcp tcp;
	struct dropmon_proto proto;
};

struct dropmon_flow {
	struct rtx_key key;
	struct rtx_val val;
};

/* What happened between two moments. */
struct dropmon_view {
	double start_s, end_s;		/* since dropmon_start() */
	uint64_t start_ns, end_ns;	/* CLOCK_MONOTONIC */
	struct ledger ledger;
	struct dropmon_ns *ns;		/* the sampled namespaces */
	size_t nns;
	struct dropmon_tcp tcp;		/* summed over them */
	uint64_t traced_segs;		/* sum of the flows' segs */
	struct dropmon_flow *flow;	/* by segs, largest first */
	size_t nflow;
	struct softnet_sum softnet;
	uint64_t tracer_lost;		/* map-full misses and ring overruns */
	uint64_t filtered_out;		/* events --filter did not match */
	uint64_t ring_lost;		/* records the full ring could not take */
};

/* How the run was set up, for the report's header. */
struct dropmon_info {
	bool tracing;
	char trace_why[256];		/* why not, when !tracing */
	enum probe_state probe[PROBE_NR];
	size_t nns;			/* namespaces sampled */
	size_t ns_skipped;		/* reachable but not entered (no privilege) */
	const char *filter;
	bool ring;			/* events stream through the ring buffer */
	uint64_t t0_ns;			/* the first sample, CLOCK_MONOTONIC */
};

struct dropmon;

/**
 * dropmon_start() - open counters (entering each namespace once), attach
 * the tracer, load kernel symbols, take the first sample. Everything later
 * works without privilege.
 * Return: 0; -EPERM when @o->need_trace and tracing needs privilege we
 * lack; -errno otherwise. @why gets a one-line reason.
 */
int dropmon_start(struct dropmon **out, const struct dropmon_opts *o, char *why, size_t len);

const struct dropmon_info *dropmon_info(const struct dropmon *m);

/*
 * The event ring's fd for a poll loop (readable: call dropmon_consume());
 * -1 if none. It becomes readable only once an eighth of the ring is
 * filled (a wake-up per event would slow the traced CPUs down): call
 * dropmon_consume() every DROPMON_DRAIN_MS as well.
 */
int dropmon_event_fd(const struct dropmon *m);
#define DROPMON_DRAIN_MS 20

struct loop;

/**
 * dropmon_attach() - read the event ring from loop @l: when it wakes us and
 * every DROPMON_DRAIN_MS, then call @after (may be NULL). Nothing to do
 * without a ring. The timer goes with dropmon_stop(). Return: 0 or -errno.
 */
int dropmon_attach(struct dropmon *m, struct loop *l, void (*after)(void *ctx), void *ctx);

/* Read every waiting event, calling the callbacks. Return: events read, or -errno. */
int dropmon_consume(struct dropmon *m);

/* Events lost to a full ring since the start. */
uint64_t dropmon_ring_lost(struct dropmon *m);

/**
 * dropmon_view() - sample now and describe what happened since the last
 * mark (@since_start false) or since the start. The sample becomes the
 * new mark. Free @v with dropmon_view_free().
 */
int dropmon_view(struct dropmon *m, bool since_start, struct dropmon_view *v);
void dropmon_view_free(struct dropmon_view *v);

/* The namespace name of @inum ("inum:N" when not sampled) into @buf. */
const char *dropmon_ns_name(const struct dropmon_view *v, uint32_t inum, char *buf, size_t len);

/* The same from the namespaces opened at the start, without a view. */
const char *dropmon_ns_label(const struct dropmon *m, uint32_t inum, char *buf, size_t len);

/* The name device @ifindex of namespace @inum had at the last sample ("if7" if none). */
const char *dropmon_ifname(struct dropmon *m, uint32_t inum, int ifindex, char *buf,
			   size_t len);

/* "symbol+0x1c" for a drop location (hex when symbols are not readable). */
const char *dropmon_location(const struct dropmon *m, uint64_t addr, char *buf, size_t len);

const struct drop_reasons *dropmon_reasons(const struct dropmon *m);

void dropmon_stop(struct dropmon *m);

#endif
