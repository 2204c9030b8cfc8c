// SPDX-License-Identifier: GPL-2.0
/*
 * diagnose/vantage on two captures whose difference is known: which point is
 * upstream per flow direction, what was lost each way and what it carried,
 * which losses a traced drop explains, and what cannot be ordered.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pkt.h"
#include "unit.h"
#include "vantage.h"

#define US 1000ULL

static struct tcp_seg seg(int to_server, uint16_t cport, uint16_t ip_id, uint32_t seq,
			  uint32_t len, uint8_t flags)
{
	struct tcp_seg s = { .family = 4, .flags = flags, .has_ip_id = 1, .ip_id = ip_id,
			     .seq = seq, .ack = 1, .payload_len = len, .has_ts = 1, .tsval = ip_id };
	const char *c = "198.18.0.1", *v = "198.18.0.2";

	inet_pton(AF_INET, to_server ? c : v, s.saddr);
	inet_pton(AF_INET, to_server ? v : c, s.daddr);
	s.sport = to_server ? cport : 5001;
	s.dport = to_server ? 5001 : cport;
	return s;
}

/* @s seen at @a at @t_us, and at @b 10 us later (@b NULL: lost after @a). */
static void both(struct vt_set *a, struct vt_set *b, struct tcp_seg s, uint64_t t_us)
{
	vt_add(a, &s, t_us * US);
	if (b)
		vt_add(b, &s, (t_us + 10) * US);
}

static void test_vantage_story(void)
{
	struct vt_set a = { 0 }, b = { 0 };
	struct vt_diff d;
	struct dg_drop drops[2] = { 0 };
	struct tcp_seg lost1 = seg(1, 40000, 3, 100, 1, TCPF_PSH | TCPF_ACK);
	struct tcp_seg lost2 = seg(1, 40000, 4, 100, 1, TCPF_PSH | TCPF_ACK);
	struct tcp_seg back;

	/* Flow 1, client to server: A first. Request seq 100 lost, its resend lost. */
	both(&a, &b, seg(1, 40000, 1, 99, 1, TCPF_PSH | TCPF_ACK), 0);
	both(&a, &b, seg(1, 40000, 2, 100, 0, TCPF_ACK), 5);
	both(&a, NULL, lost1, 10);
	both(&a, NULL, lost2, 210);
	both(&a, &b, seg(1, 40000, 5, 100, 1, TCPF_PSH | TCPF_ACK), 610);
	both(&a, NULL, seg(1, 40000, 6, 101, 0, TCPF_FIN | TCPF_ACK), 700);
	/* Server to client: B first (B nearer the server); one ACK lost before A. */
	back = seg(0, 40000, 10, 500, 1, TCPF_PSH | TCPF_ACK);
	vt_add(&b, &back, 20 * US);
	vt_add(&a, &back, 30 * US);
	back = seg(0, 40000, 11, 501, 0, TCPF_ACK);
	vt_add(&b, &back, 40 * US);
	/* A flow only A saw: nothing to order it by. */
	both(&a, NULL, seg(1, 40001, 1, 7, 1, TCPF_ACK), 50);
	/* The kernel traced the first lost copy (in another namespace: ignored). */
	flow_from_seg(&drops[0].flow, &lost1);
	drops[0].flow.netns = 77;
	drops[0].tcp = true;
	drops[0].flags = lost1.flags;
	drops[0].seq = 100;
	drops[0].len = 1;
	drops[1] = drops[0];
	drops[1].seq = 9999;	/* not one of them */

	CHECK(vt_diff(&a, &b, drops, 2, &d) == 0, "diff");
	CHECK(d.matched == 4, "matched %llu", (unsigned long long)d.matched);
	CHECK(d.a_to_b.total == 3 && d.a_to_b.by_class[VT_DATA] == 1 &&
	      d.a_to_b.by_class[VT_RETRANS] == 1 && d.a_to_b.by_class[VT_FIN] == 1,
	      "a to b %llu: data %llu retrans %llu fin %llu", (unsigned long long)d.a_to_b.total,
	      (unsigned long long)d.a_to_b.by_class[VT_DATA],
	      (unsigned long long)d.a_to_b.by_class[VT_RETRANS],
	      (unsigned long long)d.a_to_b.by_class[VT_FIN]);
	CHECK(d.a_to_b.traced == 1 && d.drop_matched[0] == VT_A_TO_B && !d.drop_matched[1],
	      "traced %llu", (unsigned long long)d.a_to_b.traced);
	CHECK(d.b_to_a.total == 1 && d.b_to_a.by_class[VT_ACK] == 1 && !d.b_to_a.traced,
	      "b to a %llu", (unsigned long long)d.b_to_a.total);
	CHECK(d.unordered == 1 && d.only_downstream == 0, "unordered %llu only downstream %llu",
	      (unsigned long long)d.unordered, (unsigned long long)d.only_downstream);
	vt_diff_free(&d);
	vt_set_free(&a);
	vt_set_free(&b);
}

/* The same frame seen twice at A (a SPAN duplicate) and once at B: one lost, not zero. */
static void test_vantage_duplicates(void)
{
	struct vt_set a = { 0 }, b = { 0 };
	struct tcp_seg s = seg(1, 40000, 1, 1, 1, TCPF_ACK);
	struct vt_diff d;

	both(&a, &b, seg(1, 40000, 9, 0, 1, TCPF_ACK), 0);
	vt_add(&a, &s, 5 * US);
	vt_add(&a, &s, 6 * US);
	vt_add(&b, &s, 15 * US);
	CHECK(vt_diff(&a, &b, NULL, 0, &d) == 0, "diff");
	CHECK(d.matched == 2 && d.a_to_b.total == 1, "matched %llu lost %llu",
	      (unsigned long long)d.matched, (unsigned long long)d.a_to_b.total);
	vt_diff_free(&d);
	vt_set_free(&a);
	vt_set_free(&b);
}

int main(void)
{
	RUN(test_vantage_story);
	RUN(test_vantage_duplicates);
	return unit_done();
}
