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

static void test_join_story(void)
{
	const struct dg_slow slow[] = {
		{ req(0), 1000 * MS, 1210 * MS, 100, 7000, true },	/* request dropped */
		{ req(1), 2000 * MS, 2620 * MS, 500, 8000, true },	/* dropped twice */
		{ req(2), 3000 * MS, 3215 * MS, 300, 900, true },	/* response dropped */
		{ req(0), 4000 * MS, 4210 * MS, 105, 7010, true },	/* nothing dropped */
	};
	struct dg_drop drops[] = {
		tcp_drop(req(1), 2205, TCPF_PSH | TCPF_ACK, 500, 1, 1),	/* its retransmission */
		tcp_drop(req(0), 1001, TCPF_PSH | TCPF_ACK, 100, 1, 1),
		tcp_drop(req(1), 2001, TCPF_PSH | TCPF_ACK, 500, 1, 1),
		tcp_drop(resp(2), 3002, TCPF_PSH | TCPF_ACK, 900, 1, 2),
		tcp_drop(req(0), 4001, TCPF_ACK, 105, 0, 1),	/* pure ACK with the next seq */
		tcp_drop(req(0), 5000, TCPF_FIN | TCPF_ACK, 110, 0, 1),
		tcp_drop(req(3), 900, TCPF_SYN, 1, 0, 1),
		tcp_drop(fl("198.18.0.3", 9, "198.18.0.4", 9), 1500, TCPF_ACK, 1, 10, 3),
		{ .t_ns = 1600 * MS, .tcp = false, .where = 3 },	/* a UDP datagram */
		tcp_drop(req(0), 9000, TCPF_PSH | TCPF_ACK, 100, 1, 1),	/* same seq, later: not it */
	};
	size_t nd = sizeof(drops) / sizeof(drops[0]), ns = sizeof(slow) / sizeof(slow[0]);
	uint8_t payload[sizeof(drops) / sizeof(drops[0])];
	struct dg_row rows[sizeof(slow) / sizeof(slow[0])];
	struct dg_verdict v;

	CHECK(dg_join(slow, ns, drops, nd, payload, rows, &v) == 0, "join");
	CHECK(rows[0].why == DG_WHY_REQUEST_DROPPED && rows[0].drop == 1 && rows[0].drops == 1,
	      "stream 0: why %d drop %zu", rows[0].why, rows[0].drop);
	CHECK(rows[1].why == DG_WHY_REQUEST_REDROPPED && rows[1].drop == 2 && rows[1].drops == 2,
	      "stream 1: why %d drop %zu drops %u", rows[1].why, rows[1].drop, rows[1].drops);
	CHECK(rows[2].why == DG_WHY_RESPONSE_DROPPED && rows[2].drop == 3, "stream 2: why %d",
	      rows[2].why);
	CHECK(rows[3].why == DG_WHY_NO_DROP, "the pure ACK explains nothing: why %d", rows[3].why);
	CHECK(payload[0] == DG_RETRANSMISSION && payload[1] == DG_REQUEST &&
	      payload[2] == DG_REQUEST && payload[3] == DG_RESPONSE && payload[4] == DG_ACK &&
	      payload[5] == DG_FIN && payload[6] == DG_SYN && payload[7] == DG_OTHER &&
	      payload[8] == DG_OTHER && payload[9] == DG_RETRANSMISSION,
	      "payloads %d %d %d %d %d %d %d %d %d %d", payload[0], payload[1], payload[2],
	      payload[3], payload[4], payload[5], payload[6], payload[7], payload[8], payload[9]);
	CHECK(v.slow == 4 && v.explained == 3 && v.unexplained == 1 &&
	      v.by_why[DG_WHY_REQUEST_REDROPPED] == 1, "verdict %llu %llu %llu",
	      (unsigned long long)v.slow, (unsigned long long)v.explained,
	      (unsigned long long)v.unexplained);
	CHECK(v.by_payload[DG_REQUEST] == 2 && v.by_payload[DG_RETRANSMISSION] == 2 &&
	      v.by_payload[DG_RESPONSE] == 1 && v.by_payload[DG_ACK] == 1 &&
	      v.by_payload[DG_FIN] == 1 && v.by_payload[DG_SYN] == 1 &&
	      v.by_payload[DG_OTHER] == 2, "by payload");
}

/* Without sequence numbers (rr without CAP_NET_ADMIN) nothing is claimed. */
static void test_join_no_seqs(void)
{
	const struct dg_slow slow[] = { { req(0), 1000 * MS, 1210 * MS, 0, 0, false } };
	const struct dg_drop drops[] = { tcp_drop(req(0), 1001, TCPF_ACK, 0, 1, 1) };
	uint8_t payload[1];
	struct dg_row rows[1];
	struct dg_verdict v;

	CHECK(dg_join(slow, 1, drops, 1, payload, rows, &v) == 0, "join");
	CHECK(rows[0].why == DG_WHY_NO_DROP && v.unexplained == 1 && payload[0] == DG_REQUEST,
	      "why %d payload %d", rows[0].why, payload[0]);
	CHECK(dg_join(NULL, 0, NULL, 0, payload, rows, &v) == 0 && v.slow == 0, "empty");
}

int main(void)
{
	RUN(test_join_story);
	RUN(test_join_no_seqs);
	return unit_done();
}
