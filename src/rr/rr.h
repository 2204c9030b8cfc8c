/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The request/response workload engine (TCP_RR style): N streams, each one
 * TCP connection with one transaction in flight, every transaction's latency
 * in the project's histogram. Used by `dropscope rr` and by later commands
 * that need a workload (diagnose).
 */
#ifndef DS_RR_H
#define DS_RR_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "hist.h"
#include "tcpinfo.h"

struct loop;

/*
 * A transaction that took cfg->slow_ns or more, handed to cfg->on_slow by
 * the worker thread that ran it, right when it completed: in time order per
 * stream, but several streams' workers may call at once.
 */
struct rr_slow {
	uint32_t stream;
	const struct flow_id *flow;	/* client side: local > server, netns */
	uint64_t start_ns, end_ns;	/* CLOCK_MONOTONIC */
	bool seq_valid;			/* false: TCP repair was not permitted */
	uint32_t req_seq;		/* client's sequence number of the first request byte */
	uint32_t resp_seq;		/* server's, of the first response byte */
	uint32_t req_len, resp_len;
};

typedef void (*rr_slow_fn)(void *ctx, const struct rr_slow *ev);

#define RR_DEFAULT_PORT 12867
#define RR_NTAILS 3		/* >= 200, 400, 800 ms */

extern const uint64_t rr_tail_ns[RR_NTAILS];

struct rr_config {
	const char *host;	/* client: server name or address */
	const char *bind;	/* server: listen address, NULL for any */
	uint32_t port;		/* control port */
	int family;		/* AF_UNSPEC, AF_INET, AF_INET6 */
	uint32_t streams;
	uint32_t threads;	/* 0: min(streams, online CPUs) */
	double duration_s;
	uint64_t transactions;	/* > 0: stop after this many in total */
	uint32_t req_size, resp_size;
	uint32_t sport_base;	/* > 0: stream i binds source port base + i */
	double timeout_s;	/* a transaction or connect taking longer fails the run */
	bool once;		/* server: serve one session, then exit */
	/*
	 * The command's run loop (loop_init() done before any thread): its
	 * signals and stop flag end a run, the client sets its deadline.
	 */
	struct loop *loop;
	/* Client: slow transactions to on_slow (NULL: none, and no cost). */
	uint64_t slow_ns;
	rr_slow_fn on_slow;
	void *slow_ctx;
};

struct rr_stream_result {
	uint16_t sport;
	struct flow_id flow;		/* client side: local > server, netns; zero if unknown */
	uint64_t transactions;
	uint64_t tail[RR_NTAILS];
	struct hist hist;
	struct tcp_retrans local;
	bool remote_valid;
	uint64_t remote_transactions;
	uint64_t remote_retrans;
	int64_t remote_rto;
};

struct rr_result {
	char server[64];	/* "198.18.0.2:12867" */
	uint32_t nstreams;
	struct rr_stream_result *streams;
	struct hist total;
	uint64_t transactions;
	uint64_t tail[RR_NTAILS];
	double elapsed_s;
	uint64_t local_retrans;
	int64_t local_rto;	/* -1 when not available */
	bool remote_valid;
	uint64_t remote_retrans;
	int64_t remote_rto;
	bool interrupted;	/* SIGINT/SIGTERM ended the run early */
	char error[200];	/* non-empty when the run failed; results are partial */
};

/**
 * rr_client_run() - run the workload against an `rr --server`: runs
 * @cfg->loop until the duration is over, the transactions are done or a
 * signal comes (then in-flight transactions are abandoned).
 * @res is filled even on failure (partial results, @res->error set).
 * Return: 0, or -errno with @res->error describing the failure.
 */
int rr_client_run(const struct rr_config *cfg, struct rr_result *res);
void rr_result_free(struct rr_result *res);

/**
 * rr_server_run() - serve sessions until @cfg->loop stops (SIGINT/SIGTERM),
 * or one session with once.
 * Return: 0, or -errno after printing why the listener could not start.
 */
int rr_server_run(const struct rr_config *cfg);

#endif
