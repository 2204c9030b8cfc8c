// SPDX-License-Identifier: GPL-2.0
/*
 * diagnose's join on a story whose answer is known: which slow transaction
 * each drop explains, what each drop carried (the first story's classes:
 * requests, retransmissions, responses, pure ACKs, FINs), and the tails
 * with no drop at all.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "join.h"
#include "pkt.h"
#include "unit.h"

#define MS 1000000ULL

static struct flow_id fl(const char *sa, uint16_t sp, const char *da, uint16_t dp)
{
	uint8_t s[4], d[4];
	struct flow_id f;

	inet_pton(AF_INET, sa, s);
	inet_pton(AF_INET, da, d);
	flow_set(&f, AF_INET, IPPROTO_TCP, s, sp, d, dp, 7);
	return f;
}

static struct flow_id req(int stream)
{
	return fl("198.18.0.1", (uint16_t)(40000 + stream), "198.18.0.2", 5001);
}

static struct flow_id resp(int stream)
{
	return fl("198.18.0.2", 5001, "198.18.0.1", (uint16_t)(40000 + stream));
}

static struct dg_drop tcp_drop(struct flow_id f, uint64_t t_ms, uint8_t flags, uint32_t seq,
			       uint32_t len, uint32_t where)
{
	return (struct dg_drop){ .flow = f, .t_ns = t_ms * MS, .tcp = true, .flags = flags,
				 .seq = seq, .len = len, .where = where };
}

static struct dg_rtx rtx(struct flow_id f, uint64_t t_ms, uint32_t seq, uint32_t len)
{
	return (struct dg_rtx){ .flow = f, .t_ns = t_ms * MS, .seq = seq, .len = len };
}

/* The flows seen from another namespace than the client's: the join ignores netns. */
static struct flow_id in_ns(struct flow_id f, uint32_t netns)
{
	f.netns = netns;
	return f;
}

static void test_join_story(void)
{
	const struct dg_slow slow[] = {
		/* request dropped */
		{ req(0), 0, 1000 * MS, 1210 * MS, 100, 7000, 1, 1, true },
		/* dropped twice */
		{ req(1), 1, 2000 * MS, 2620 * MS, 500, 8000, 1, 1, true },
		/* response dropped */
		{ req(2), 2, 3000 * MS, 3215 * MS, 300, 900, 1, 1, true },
		/* nothing dropped, nothing resent */
		{ req(0), 0, 4000 * MS, 4210 * MS, 105, 7010, 1, 1, true },
		/* the second of a 3000-byte request's segments dropped */
		{ req(3), 3, 6000 * MS, 6210 * MS, 1000, 50, 3000, 1, true },
		/* delayed past the RTO: resent, nothing dropped */
		{ req(4), 4, 7000 * MS, 7530 * MS, 20, 30, 1, 1, true },
	};
	struct dg_drop drops[] = {
		tcp_drop(in_ns(req(1), 9), 2205, TCPF_PSH | TCPF_ACK, 500, 1, 1),	/* 0: its retransmission */
		tcp_drop(in_ns(req(0), 9), 1001, TCPF_PSH | TCPF_ACK, 100, 1, 1),	/* 1 */
		tcp_drop(req(1), 2001, TCPF_PSH | TCPF_ACK, 500, 1, 1),		/* 2 */
		tcp_drop(resp(2), 3002, TCPF_PSH | TCPF_ACK, 900, 1, 2),		/* 3 */
		tcp_drop(req(0), 4001, TCPF_ACK, 105, 0, 1),	/* 4: pure ACK with the next seq */
		tcp_drop(req(0), 5000, TCPF_FIN | TCPF_ACK, 110, 0, 1),		/* 5 */
		tcp_drop(req(3), 900, TCPF_SYN, 1, 0, 1),				/* 6 */
		tcp_drop(fl("198.18.0.3", 9, "198.18.0.4", 9), 1500, TCPF_ACK, 1, 10, 3),	/* 7 */
		{ .t_ns = 1600 * MS, .tcp = false, .where = 3 },	/* 8: a UDP datagram */
		tcp_drop(req(0), 9000, TCPF_PSH | TCPF_ACK, 100, 1, 1),	/* 9: same seq, later: not it */
		tcp_drop(req(3), 6001, TCPF_ACK, 2448, 1448, 2),			/* 10 */
		tcp_drop(req(2), 5500, TCPF_ACK, 301, 0, 1),			/* 11: D-SACK */
	};
	const struct dg_rtx rtxs[] = {
		rtx(req(0), 1205, 100, 1),		/* 0: of drop 1 */
		rtx(req(1), 2204, 500, 1),		/* 1: of drop 2 (then dropped again) */
		rtx(req(1), 2610, 500, 1),		/* 2: of drop 0 */
		rtx(resp(2), 3210, 900, 1),		/* 3: of drop 3 */
		rtx(req(0), 5200, 110, 1),		/* 4: the FIN's */
		rtx(resp(2), 5600, 905, 1),		/* 5: after the D-SACK's drop: spurious */
		rtx(req(4), 7200, 20, 1),		/* 6: delay */
		rtx(resp(4), 8000, 77, 1),		/* 7: nothing */
		rtx(fl("198.18.0.3", 9, "198.18.0.4", 9), 1600, 1, 10),	/* 8: not ours */
	};
	const struct dg_spurious sp[] = { { req(4), 20 } };
	struct flow_id flows[] = { req(0), req(1), req(2), req(3), req(4), req(0) };
	struct dg_input in = {
		.slow = slow, .nslow = sizeof(slow) / sizeof(slow[0]),
		.drops = drops, .ndrops = sizeof(drops) / sizeof(drops[0]),
		.rtx = rtxs, .nrtx = sizeof(rtxs) / sizeof(rtxs[0]),
		.spurious = sp, .nspurious = 1,
		.flows = flows, .nflows = sizeof(flows) / sizeof(flows[0]),
		.nwhere = 4,
	};
	struct dg_output o;
	const uint8_t *p;
	const struct dg_verdict *v = &o.v;

	CHECK(dg_join(&in, &o) == 0, "join");
	p = o.payload;
	CHECK(o.rows[0].why == DG_WHY_REQUEST_DROPPED && o.rows[0].drop == 1 && o.rows[0].drops == 1,
	      "stream 0: why %d drop %zu", o.rows[0].why, o.rows[0].drop);
	CHECK(o.rows[1].why == DG_WHY_REQUEST_REDROPPED && o.rows[1].drop == 2 &&
	      o.rows[1].drops == 2, "stream 1: why %d drop %zu drops %u", o.rows[1].why,
	      o.rows[1].drop, o.rows[1].drops);
	CHECK(o.rows[2].why == DG_WHY_RESPONSE_DROPPED && o.rows[2].drop == 3, "stream 2: why %d",
	      o.rows[2].why);
	CHECK(o.rows[3].why == DG_WHY_NO_DROP, "the pure ACK explains nothing: why %d",
	      o.rows[3].why);
	CHECK(o.rows[4].why == DG_WHY_REQUEST_DROPPED && o.rows[4].drop == 10,
	      "a later segment of the request: why %d", o.rows[4].why);
	CHECK(o.rows[5].why == DG_WHY_DELAY, "delay: why %d", o.rows[5].why);
	CHECK(p[0] == DG_RETRANSMISSION && p[1] == DG_REQUEST && p[2] == DG_REQUEST &&
	      p[3] == DG_RESPONSE && p[4] == DG_ACK && p[5] == DG_FIN && p[6] == DG_SYN &&
	      p[7] == DG_OTHER && p[8] == DG_OTHER && p[9] == DG_RETRANSMISSION &&
	      p[10] == DG_REQUEST && p[11] == DG_ACK,
	      "payloads %d %d %d %d %d %d %d %d %d %d %d %d", p[0], p[1], p[2], p[3], p[4], p[5],
	      p[6], p[7], p[8], p[9], p[10], p[11]);
	CHECK(!o.workload[7] && !o.workload[8] && o.workload[0], "workload flags");
	CHECK(v->slow == 6 && v->explained == 5 && v->unexplained == 1 &&
	      v->by_why[DG_WHY_REQUEST_REDROPPED] == 1 && v->by_why[DG_WHY_DELAY] == 1,
	      "verdict %llu %llu %llu", (unsigned long long)v->slow,
	      (unsigned long long)v->explained, (unsigned long long)v->unexplained);
	CHECK(v->drops == 10 && v->other_drops == 2 && v->by_payload[DG_REQUEST] == 3 &&
	      v->by_payload[DG_RETRANSMISSION] == 2 && v->by_payload[DG_RESPONSE] == 1 &&
	      v->by_payload[DG_ACK] == 2 && v->by_payload[DG_FIN] == 1 &&
	      v->by_payload[DG_SYN] == 1 && v->by_payload[DG_OTHER] == 0, "by payload");
	CHECK(o.rtx_why[0] == DG_RTX_DROPPED && o.rtx_why[1] == DG_RTX_DROPPED &&
	      o.rtx_why[2] == DG_RTX_DROPPED && o.rtx_why[3] == DG_RTX_DROPPED &&
	      o.rtx_why[4] == DG_RTX_DROPPED && o.rtx_why[5] == DG_RTX_ACK_DROPPED &&
	      o.rtx_why[6] == DG_RTX_DELAY && o.rtx_why[7] == DG_RTX_UNEXPLAINED,
	      "rtx why %d %d %d %d %d %d %d %d", o.rtx_why[0], o.rtx_why[1], o.rtx_why[2],
	      o.rtx_why[3], o.rtx_why[4], o.rtx_why[5], o.rtx_why[6], o.rtx_why[7]);
	CHECK(v->rtx_client == 5 && v->rtx_server == 3 && v->rtx_spurious == 2 &&
	      o.rtx_end[8] == DG_END_NONE, "rtx client %llu server %llu spurious %llu",
	      (unsigned long long)v->rtx_client, (unsigned long long)v->rtx_server,
	      (unsigned long long)v->rtx_spurious);
	CHECK(o.where[1].drops == 8 && o.where[1].slow_explained == 2 &&
	      o.where[2].drops == 2 && o.where[2].slow_explained == 2 && o.where[3].drops == 2 &&
	      o.where[3].by_payload[DG_OTHER] == 2, "where %llu/%llu %llu/%llu %llu",
	      (unsigned long long)o.where[1].drops, (unsigned long long)o.where[1].slow_explained,
	      (unsigned long long)o.where[2].drops, (unsigned long long)o.where[2].slow_explained,
	      (unsigned long long)o.where[3].drops);
	dg_output_free(&o);
}

/* A D-SACK and a pure ACK are told apart. */
static void test_join_dsack(void)
{
	struct dg_drop d[] = { tcp_drop(req(0), 10, TCPF_ACK, 1, 0, 0),
			       tcp_drop(req(0), 11, TCPF_ACK, 1, 0, 0) };
	struct flow_id flows[] = { req(0) };
	struct dg_input in = { .drops = d, .ndrops = 2, .flows = flows, .nflows = 1, .nwhere = 1 };
	struct dg_output o;

	d[1].dsack = true;
	CHECK(dg_join(&in, &o) == 0, "join");
	CHECK(o.payload[0] == DG_ACK && o.payload[1] == DG_DSACK && o.v.by_payload[DG_DSACK] == 1,
	      "payloads %d %d", o.payload[0], o.payload[1]);
	dg_output_free(&o);
}

/*
 * The original got through, late; the copy the RTO sent meanwhile was dropped
 * (the vm lab: a stalled backend's ring, full by then): a delay, not a drop.
 */
static void test_join_late_original(void)
{
	const struct dg_slow slow[] = { { req(0), 0, 1000 * MS, 1310 * MS, 100, 7000, 1, 1, true } };
	const struct dg_drop drops[] = { tcp_drop(req(0), 1206, TCPF_PSH | TCPF_ACK, 100, 1, 1) };
	const struct dg_rtx rtxs[] = { rtx(req(0), 1205, 100, 1) };
	struct flow_id flows[] = { req(0) };
	struct dg_input in = { .slow = slow, .nslow = 1, .drops = drops, .ndrops = 1,
			       .rtx = rtxs, .nrtx = 1, .flows = flows, .nflows = 1, .nwhere = 2 };
	struct dg_output o;

	CHECK(dg_join(&in, &o) == 0, "join");
	CHECK(o.payload[0] == DG_RETRANSMISSION && o.rows[0].why == DG_WHY_DELAY &&
	      o.v.by_why[DG_WHY_REQUEST_DROPPED] == 0 && o.v.unexplained == 0,
	      "payload %d why %d", o.payload[0], o.rows[0].why);
	dg_output_free(&o);
}

/* Without sequence numbers (rr without CAP_NET_ADMIN) nothing is claimed. */
static void test_join_no_seqs(void)
{
	const struct dg_slow slow[] = { { req(0), 0, 1000 * MS, 1210 * MS, 0, 0, 1, 1, false } };
	const struct dg_drop drops[] = { tcp_drop(req(0), 1001, TCPF_ACK, 0, 1, 1) };
	struct flow_id flows[] = { req(0) };
	struct dg_input in = { .slow = slow, .nslow = 1, .drops = drops, .ndrops = 1,
			       .flows = flows, .nflows = 1, .nwhere = 2 };
	struct dg_input none = { 0 };
	struct dg_output o;

	CHECK(dg_join(&in, &o) == 0, "join");
	CHECK(o.rows[0].why == DG_WHY_NO_DROP && o.v.unexplained == 1 &&
	      o.payload[0] == DG_REQUEST, "why %d payload %d", o.rows[0].why, o.payload[0]);
	dg_output_free(&o);
	CHECK(dg_join(&none, &o) == 0 && o.v.slow == 0, "empty");
	dg_output_free(&o);
}

int main(void)
{
	RUN(test_join_story);
	RUN(test_join_dsack);
	RUN(test_join_late_original);
	RUN(test_join_no_seqs);
	return unit_done();
}
