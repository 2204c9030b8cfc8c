// SPDX-License-Identifier: GPL-2.0
/* The flow table: normalization, eviction order, per-state idle timeouts. */
#include <string.h>

#include "clock.h"
#include "flowtab.h"
#include "unit.h"

struct ended {
	int n;
	uint16_t port[16];
	enum flow_end why[16];
};

static void on_end(void *ctx, struct flow *f, enum flow_end why)
{
	struct ended *e = ctx;

	if (e->n < 16) {
		/* The client port is the one that is not 80. */
		e->port[e->n] = f->key.sport == 80 ? f->key.dport : f->key.sport;
		e->why[e->n++] = why;
	}
}

/* A segment client:port -> 198.18.0.2:80 (or back with @reply). */
static struct tcp_seg mkseg(uint16_t port, bool reply, uint8_t flags, uint64_t t_s)
{
	struct tcp_seg s;
	uint8_t c[4] = { 198, 18, 0, 1 }, srv[4] = { 198, 18, 0, 2 };

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.flags = flags;
	s.ts_ns = t_s * NSEC_PER_SEC;
	memcpy(reply ? s.daddr : s.saddr, c, 4);
	memcpy(reply ? s.saddr : s.daddr, srv, 4);
	s.sport = reply ? 80 : port;
	s.dport = reply ? port : 80;
	s.seq = reply ? 5000 : 1000;
	s.ack = reply ? 1001 : 0;
	return s;
}

/* Feed one segment like the analyzer does. */
static struct flow *feed(struct flowtab *t, struct tcp_seg s, int *dir)
{
	struct track_ev ev;
	int d;
	struct flow *f = flowtab_get(t, &s, &d);

	if (f) {
		tcp_track(&f->conn, d, &s, &ev);
		flowtab_touch(t, f, s.ts_ns);
	}
	if (dir)
		*dir = d;
	return f;
}

static void test_flowtab_normalized(void)
{
	struct ended e = { 0 };
	struct flowtab *t = flowtab_new(16, on_end, &e);
	int d1, d2;
	struct flow *a = feed(t, mkseg(40000, false, TCPF_SYN, 0), &d1);
	struct flow *b = feed(t, mkseg(40000, true, TCPF_SYN | TCPF_ACK, 0), &d2);

	CHECK(a && a == b, "both directions map to one flow");
	CHECK(d1 != d2, "and to opposite directions: %d %d", d1, d2);
	CHECK(flowtab_count(t) == 1 && flowtab_created(t) == 1, "one flow");
	feed(t, mkseg(40001, false, TCPF_SYN, 0), NULL);
	CHECK(flowtab_count(t) == 2, "another port, another flow");
	flowtab_free(t);
	CHECK(e.n == 2 && e.why[0] == FLOW_FLUSHED, "flushed at the end: %d", e.n);
}

/*
 * The same 5-tuple on another VLAN stack, in another VNI or on another
 * capture interface is another flow; both directions of each stay one.
 */
static void test_flowtab_domain(void)
{
	struct flowtab *t = flowtab_new(64, NULL, NULL);
	struct tcp_seg s = mkseg(40000, false, TCPF_SYN, 0), r;
	struct flow *base = feed(t, s, NULL), *f, *g;
	int d;

	s.nvlan = 1;
	s.vlan[0] = 42;
	s.vlan[1] = 7;			/* beyond nvlan: not part of the key */
	f = feed(t, s, NULL);
	CHECK(f && f != base && f->dom.nvlan == 1 && f->dom.vlan[0] == 42 && !f->dom.vlan[1],
	      "VLAN 42: a flow of its own");
	s.vlan[1] = 9;
	CHECK(feed(t, s, NULL) == f, "an ID beyond nvlan changes nothing");
	s.nvlan = 2;
	s.vlan[1] = 7;
	g = feed(t, s, NULL);
	CHECK(g && g != f && g != base, "QinQ 42.7: another");
	s.vlan[0] = 7;
	s.vlan[1] = 42;
	CHECK(feed(t, s, NULL) != g, "QinQ 7.42: order matters");
	r = mkseg(40000, true, TCPF_SYN | TCPF_ACK, 0);
	r.nvlan = 2;
	r.vlan[0] = 42;
	r.vlan[1] = 7;
	CHECK(flowtab_get(t, &r, &d) == g && d == 1, "its reply on 42.7 is the same flow");

	s = mkseg(40000, false, TCPF_SYN, 0);
	s.has_vni = 1;
	s.vni = 0;
	f = feed(t, s, NULL);
	CHECK(f && f != base && f->dom.has_vni, "VNI 0 is a VNI");
	s.vni = 100;
	CHECK(feed(t, s, NULL) != f, "VNI 100: another");
	s = mkseg(40000, false, TCPF_SYN, 0);
	s.ifid = 1;
	f = feed(t, s, NULL);
	CHECK(f && f != base && f->dom.ifid == 1, "interface 1: another");
	CHECK(flowtab_count(t) == 7, "7 flows, %zu", flowtab_count(t));
	s = mkseg(40000, false, TCPF_SYN, 0);
	s.nvlan = 200;			/* a caller's garbage: clamped, never read past vlan[] */
	CHECK(feed(t, s, NULL) != NULL, "nvlan 200");
	flowtab_free(t);
}

static void test_flowtab_evicts_at_cap(void)
{
	struct ended e = { 0 };
	struct flowtab *t = flowtab_new(3, on_end, &e);

	/* Three open flows, then a closed one in their place. */
	for (uint16_t p = 1; p <= 3; p++) {
		feed(t, mkseg(p, false, TCPF_SYN, p), NULL);
		feed(t, mkseg(p, true, TCPF_SYN | TCPF_ACK, p), NULL);
	}
	feed(t, mkseg(2, false, TCPF_RST | TCPF_ACK, 4), NULL);
	feed(t, mkseg(4, false, TCPF_SYN, 5), NULL);
	CHECK(flowtab_count(t) == 3 && flowtab_evicted(t) == 1, "count %zu evicted %llu",
	      flowtab_count(t), (unsigned long long)flowtab_evicted(t));
	CHECK(e.n == 1 && e.port[0] == 2 && e.why[0] == FLOW_EVICTED,
	      "the closed flow goes first, not the oldest open one: port %u", e.port[0]);
	/* No closed flow left: the longest idle half-open one (port 4) is next. */
	feed(t, mkseg(5, false, TCPF_SYN, 6), NULL);
	CHECK(e.n == 2 && e.port[1] == 4, "then the half-open one: port %u", e.port[1]);
	feed(t, mkseg(6, false, TCPF_SYN, 7), NULL);
	CHECK(e.n == 3 && e.port[2] == 5, "then the next half-open: port %u", e.port[2]);
	flowtab_free(t);
}

static void test_flowtab_idle_timeouts(void)
{
	struct ended e = { 0 };
	struct flowtab *t = flowtab_new(16, on_end, &e);

	feed(t, mkseg(1, false, TCPF_SYN, 0), NULL);			/* half-open */
	feed(t, mkseg(2, false, TCPF_SYN, 0), NULL);			/* open */
	feed(t, mkseg(2, true, TCPF_SYN | TCPF_ACK, 0), NULL);
	feed(t, mkseg(3, false, TCPF_SYN, 0), NULL);			/* closed */
	feed(t, mkseg(3, true, TCPF_RST | TCPF_ACK, 0), NULL);
	flowtab_expire(t, 9 * NSEC_PER_SEC);
	CHECK(e.n == 0, "nothing idle long enough at 9 s");
	flowtab_expire(t, 11 * NSEC_PER_SEC);
	CHECK(e.n == 1 && e.port[0] == 3 && e.why[0] == FLOW_EXPIRED, "closed after 10 s");
	flowtab_expire(t, 124 * NSEC_PER_SEC);
	CHECK(e.n == 1, "half-open still there at 124 s: a SYN backoff waits up to 120 s");
	flowtab_expire(t, 126 * NSEC_PER_SEC);
	CHECK(e.n == 2 && e.port[1] == 1, "half-open after 125 s");
	flowtab_expire(t, 299 * NSEC_PER_SEC);
	CHECK(e.n == 2, "open still there at 299 s");
	flowtab_expire(t, 301 * NSEC_PER_SEC);
	CHECK(e.n == 3 && e.port[2] == 2, "open after 300 s");
	CHECK(flowtab_count(t) == 0, "empty");
	flowtab_free(t);
}

static void test_flowtab_touch_keeps_alive(void)
{
	struct ended e = { 0 };
	struct flowtab *t = flowtab_new(16, on_end, &e);

	feed(t, mkseg(1, false, TCPF_SYN, 0), NULL);
	for (uint64_t s = 20; s <= 100; s += 20) {
		feed(t, mkseg(1, false, TCPF_SYN, s), NULL);
		flowtab_expire(t, s * NSEC_PER_SEC + 1);
	}
	CHECK(e.n == 0, "a flow with traffic every 20 s never idles out (30 s)");
	flowtab_free(t);
}

static void test_flowtab_many(void)
{
	struct ended e = { 0 };
	struct flowtab *t = flowtab_new(100000, on_end, &e);
	int bad = 0;

	/* Grows its buckets on the way; every flow stays findable. */
	for (uint32_t p = 1; p <= 50000; p++)
		feed(t, mkseg((uint16_t)p, false, TCPF_SYN, 0), NULL);
	for (uint32_t p = 1; p <= 50000; p++) {
		struct tcp_seg s = mkseg((uint16_t)p, true, TCPF_ACK, 0);
		int d;

		if (!flowtab_get(t, &s, &d) || d != 1)
			bad++;
	}
	CHECK(bad == 0 && flowtab_count(t) == 50000, "bad %d count %zu", bad, flowtab_count(t));
	flowtab_free(t);
}

int main(void)
{
	RUN(test_flowtab_normalized);
	RUN(test_flowtab_domain);
	RUN(test_flowtab_evicts_at_cap);
	RUN(test_flowtab_idle_timeouts);
	RUN(test_flowtab_touch_keeps_alive);
	RUN(test_flowtab_many);
	return unit_done();
}
