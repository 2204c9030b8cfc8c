// SPDX-License-Identifier: GPL-2.0
/*
 * The drops event seam without privilege: ring records built by hand (the
 * bytes drops.bpf.c copies from the network header on) decoded to flows,
 * sequence numbers and payload lengths; and the ledger built from two
 * recorded map snapshots, as dropmon does between two samples.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dropevent.h"
#include "droptrace.h"
#include "ledger.h"
#include "pkt.h"
#include "unit.h"

#define NS_SRV 4026532200U

static const uint8_t v4_cli[4] = { 198, 18, 0, 1 }, v4_srv[4] = { 198, 18, 0, 2 };
static const uint8_t v6_cli[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
static const uint8_t v6_srv[16] = { 0x20, 0x01, 0, 2, [15] = 2 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* A record as the BPF side fills it; @hdr: header bytes, @wire: bytes from the IP header on. */
static void record(struct drop_event *e, uint16_t proto, const uint8_t *hdr, uint32_t caplen,
		   uint32_t wire)
{
	memset(e, 0, sizeof(*e));
	e->type = EVT_DROP;
	e->len = wire;
	e->net_len = wire;
	e->key.netns = NS_SRV;
	e->key.ifindex = 2;
	e->key.protocol = proto;
	e->caplen = (uint16_t)(caplen < DROP_HDR_LEN ? caplen : DROP_HDR_LEN);
	memcpy(e->data, hdr, e->caplen);
}

/* TCP header with timestamps (32 bytes) at @p. */
static void tcp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags)
{
	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, seq);
	put32(p + 8, 1);
	p[12] = 8 << 4;
	p[13] = flags;
	put16(p + 14, 502);
	put32(p + 20, 0x0101080a);
}

/* IPv4 + TCP carrying @payload bytes: the header bytes into @b; returns the IP length. */
static uint32_t v4_tcp(uint8_t *b, uint32_t payload, uint32_t seq)
{
	uint32_t tot = 20 + 32 + payload;

	memset(b, 0, 128);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)tot);
	put16(b + 6, 0x4000);	/* DF */
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, v4_cli, 4);
	memcpy(b + 16, v4_srv, 4);
	tcp_hdr(b + 20, 40000, 5201, seq, TCPF_PSH | TCPF_ACK);
	return tot;
}

static uint32_t v6_hdr(uint8_t *b, uint8_t nh, uint32_t plen)
{
	memset(b, 0, 128);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)plen);
	b[6] = nh;
	b[7] = 64;
	memcpy(b + 8, v6_cli, 16);
	memcpy(b + 24, v6_srv, 16);
	return 40 + plen;
}

static void test_tcp_v4(void)
{
	struct drop_event e;
	struct drop_pkt p;
	uint8_t b[128];
	uint32_t tot = v4_tcp(b, 1448, 0xfffffff0);

	/* 1500 bytes on the wire, 96 of them copied: the headers are all there. */
	record(&e, 0x0800, b, sizeof(b), tot);
	CHECK(!drop_event_decode(&e, sizeof(e), &p), "decode");
	CHECK(p.kind == DPKT_TCP, "kind %d", p.kind);
	CHECK(p.flow.family == AF_INET && p.flow.proto == IPPROTO_TCP, "family %d", p.flow.family);
	CHECK(!memcmp(p.flow.saddr, v4_cli, 4) && !memcmp(p.flow.daddr, v4_srv, 4), "addresses");
	CHECK(p.flow.sport == 40000 && p.flow.dport == 5201, "ports %u %u", p.flow.sport,
	      p.flow.dport);
	CHECK(p.flow.netns == NS_SRV, "netns %u", p.flow.netns);
	CHECK(p.seq == 0xfffffff0 && p.len == 1448, "seq %u len %u", p.seq, p.len);
	CHECK(p.flags == (TCPF_PSH | TCPF_ACK), "flags %#x", p.flags);
}

/* TCP drops after the IP header was pulled: skb->len is short, net_len is not. */
static void test_tcp_v4_pulled(void)
{
	struct drop_event e;
	struct drop_pkt p;
	uint8_t b[128];
	uint32_t tot = v4_tcp(b, 1, 7);

	record(&e, 0x0800, b, tot, tot);
	e.len = 1;
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TCP, "kind %d", p.kind);
	CHECK(p.len == 1 && p.seq == 7, "len %u seq %u", p.len, p.seq);
	/* A pure ACK: no payload, flags "A". */
	tot = v4_tcp(b, 0, 9);
	b[33] = TCPF_ACK;
	record(&e, 0, b, tot, tot);	/* skb->protocol not set yet: the bytes say IPv4 */
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TCP, "kind %d", p.kind);
	CHECK(p.len == 0 && p.flags == TCPF_ACK, "len %u flags %#x", p.len, p.flags);
}

/* A pure ACK with one SACK block: @start below the ACK number is a D-SACK. */
static void sack_ack(struct drop_event *e, uint32_t ack, uint32_t start, uint32_t end)
{
	uint8_t b[128];
	uint32_t tot = v4_tcp(b, 0, 9);
	uint8_t *t = b + 20;

	tot += 12;
	put16(b + 2, (uint16_t)tot);
	t[13] = TCPF_ACK;
	put32(t + 8, ack);
	t[12] = 11 << 4;
	t[32] = 1, t[33] = 1, t[34] = 5, t[35] = 10;
	put32(t + 36, start);
	put32(t + 40, end);
	record(e, 0x0800, b, tot, tot);
}

static void test_dsack(void)
{
	struct drop_event e;
	struct drop_pkt p;

	sack_ack(&e, 1000, 900, 1000);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TCP, "kind %d", p.kind);
	CHECK(p.len == 0 && p.dsack, "D-SACK below the ACK: len %u dsack %d", p.len, p.dsack);
	sack_ack(&e, 1000, 2000, 2100);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && !p.dsack, "a plain SACK is no D-SACK");
	sack_ack(&e, 0xfffffff0, 0xffffff00, 0xfffffff0);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.dsack, "D-SACK across the wrap");
}

static void test_tcp_v6(void)
{
	struct drop_event e;
	struct drop_pkt p;
	uint8_t b[128];
	uint32_t wire = v6_hdr(b, IPPROTO_TCP, 32 + 100);

	tcp_hdr(b + 40, 5201, 40001, 123456, TCPF_ACK);
	record(&e, 0x86dd, b, wire, wire);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TCP, "kind %d", p.kind);
	CHECK(p.flow.family == AF_INET6, "family %d", p.flow.family);
	CHECK(!memcmp(p.flow.saddr, v6_cli, 16) && !memcmp(p.flow.daddr, v6_srv, 16), "addrs");
	CHECK(p.flow.sport == 5201 && p.flow.dport == 40001, "ports");
	CHECK(p.seq == 123456 && p.len == 100, "seq %u len %u", p.seq, p.len);
}

static void test_udp(void)
{
	struct drop_event e;
	struct drop_pkt p;
	uint8_t b[128];
	uint32_t wire;

	memset(b, 0, sizeof(b));
	b[0] = 0x46;	/* IHL 6: one option word */
	put16(b + 2, 24 + 8 + 20);
	b[9] = IPPROTO_UDP;
	memcpy(b + 12, v4_cli, 4);
	memcpy(b + 16, v4_srv, 4);
	put16(b + 24, 5353);
	put16(b + 26, 9);
	record(&e, 0x0800, b, 52, 52);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_UDP, "v4 kind %d", p.kind);
	CHECK(p.flow.proto == IPPROTO_UDP && p.flow.sport == 5353 && p.flow.dport == 9,
	      "v4 ports %u %u", p.flow.sport, p.flow.dport);
	/* IPv6 with a hop-by-hop header (8 bytes) before UDP. */
	wire = v6_hdr(b, IPPROTO_HOPOPTS, 8 + 8 + 4);
	b[40] = IPPROTO_UDP;
	put16(b + 48, 40002);
	put16(b + 50, 53);
	record(&e, 0x86dd, b, wire, wire);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_UDP, "v6 kind %d", p.kind);
	CHECK(p.flow.family == AF_INET6 && p.flow.sport == 40002 && p.flow.dport == 53,
	      "v6 ports %u %u", p.flow.sport, p.flow.dport);
}

static void test_truncated(void)
{
	struct drop_event e;
	struct drop_pkt p;
	uint8_t b[128];
	uint32_t tot = v4_tcp(b, 100, 1);

	/* Cut inside the TCP header: no flow, and nothing read beyond caplen. */
	record(&e, 0x0800, b, 30, tot);
	memset(e.data + 30, 0xff, DROP_HDR_LEN - 30);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TRUNCATED, "kind %d", p.kind);
	record(&e, 0x0800, b, 12, tot);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TRUNCATED, "ip %d", p.kind);
	v6_hdr(b, IPPROTO_UDP, 8);
	record(&e, 0x86dd, b, 42, 48);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TRUNCATED, "udp %d", p.kind);
	/* A caplen beyond data[] is clipped to it, not trusted. */
	tot = v4_tcp(b, 100, 1);
	record(&e, 0x0800, b, sizeof(b), tot);
	e.caplen = 60000;
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_TCP, "clipped %d", p.kind);
}

static void test_not_ip(void)
{
	struct drop_event e;
	struct drop_pkt p;
	uint8_t b[128];
	uint32_t tot = v4_tcp(b, 10, 1);

	record(&e, 0x0806, b, tot, tot);	/* ARP: whatever the bytes look like */
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_NONE, "arp %d", p.kind);
	record(&e, 0x86dd, b, tot, tot);	/* says IPv6, holds IPv4 */
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_NONE, "mix %d", p.kind);
	record(&e, 0x0800, b, 0, tot);	/* dropped before the network header was set */
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_NONE, "empty %d", p.kind);
	b[9] = IPPROTO_ICMP;
	record(&e, 0x0800, b, tot, tot);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_IP, "icmp %d", p.kind);
	b[9] = IPPROTO_TCP;
	put16(b + 6, 185);	/* a later fragment: no TCP header in it */
	record(&e, 0x0800, b, tot, tot);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_IP, "frag %d", p.kind);
	put16(b + 6, 0);
	put16(b + 2, 2000);	/* longer than the packet: lying lengths */
	record(&e, 0x0800, b, tot, tot);
	CHECK(!drop_event_decode(&e, sizeof(e), &p) && p.kind == DPKT_NONE, "lie %d", p.kind);
	CHECK(drop_event_decode(&e, sizeof(e) - 1, &p) == -EINVAL, "short record");
	e.type = EVT_RTX;
	CHECK(drop_event_decode(&e, sizeof(e), &p) == -EINVAL, "not a drop");
}

static void test_rtx(void)
{
	struct rtx_event r = { .type = EVT_RTX, .seq = 10, .end_seq = 20 };
	struct flow_id f;

	r.key.netns = 77;
	r.key.family = AF_INET6;
	r.key.sport = 40000;
	r.key.dport = 5201;
	memcpy(r.key.saddr, v6_cli, 16);
	memcpy(r.key.daddr, v6_srv, 16);
	CHECK(!rtx_event_decode(&r, sizeof(r), &f), "decode");
	CHECK(f.family == AF_INET6 && f.proto == IPPROTO_TCP && f.netns == 77, "family");
	CHECK(f.sport == 40000 && !memcmp(f.saddr, v6_cli, 16), "local end is the source");
	r.key.family = 0;	/* a socket of no family the tracer knows */
	CHECK(rtx_event_decode(&r, sizeof(r), &f) == -EINVAL, "bad family");
	CHECK(rtx_event_decode(&r, 8, &f) == -EINVAL, "short");
	CHECK(!strcmp(rtx_kind_name(RK_PROBE), "probe") && !strcmp(rtx_kind_name(99), "other"),
	      "kind names");
}

static void test_flags_str(void)
{
	char b[12];

	CHECK(!strcmp(tcp_flags_str(TCPF_SYN, b, sizeof(b)), "S"), "%s", b);
	CHECK(!strcmp(tcp_flags_str(TCPF_SYN | TCPF_ACK, b, sizeof(b)), "SA"), "%s", b);
	CHECK(!strcmp(tcp_flags_str(TCPF_PSH | TCPF_ACK, b, sizeof(b)), "PA"), "%s", b);
	CHECK(!strcmp(tcp_flags_str(0, b, sizeof(b)), "."), "%s", b);
	CHECK(!strcmp(tcp_flags_str(0xff, b, sizeof(b)), "FSRPAUEW"), "%s", b);
	CHECK(!strcmp(tcp_flags_str(0xff, b, 3), "FS"), "cut to the buffer: %s", b);
}

/* A snapshot record: a drop key then its packets and bytes. */
static void snap_put(struct dt_snap *s, uint32_t ifindex, uint32_t reason, uint64_t loc,
		     uint64_t packets)
{
	struct drop_key k = { .location = loc, .netns = NS_SRV, .ifindex = ifindex,
			      .reason = reason, .protocol = 0x0800 };
	struct drop_val v = { packets, packets * 100 };
	size_t rs = sizeof(k) + sizeof(v);

	s->rec = realloc(s->rec, (s->n + 1) * rs);
	memcpy(s->rec + s->n * rs, &k, sizeof(k));
	memcpy(s->rec + s->n * rs + sizeof(k), &v, sizeof(v));
	s->n++;
}

static void to_ledger(const void *key, const uint64_t *d, void *ctx)
{
	const struct drop_key *k = key;

	ledger_event(ctx, k->netns, (int)k->ifindex, k->reason, k->location, d[0]);
}

static void test_ledger_from_samples(void)
{
	static char *names[8] = { [2] = "NOT_SPECIFIED", [5] = "NETFILTER_DROP" };
	const struct drop_reasons dr = { names, 8 };
	struct dt_snap a = { .ksz = sizeof(struct drop_key), .nwords = 2 };
	struct dt_snap b = a;
	const struct ledger_dev *d;
	struct ledger l;

	/* Before: 5 nft drops on if2. After: 12 there, 3 new without a device. */
	snap_put(&a, 2, 5, 0x1000, 5);
	snap_put(&b, 0, 2, 0x2000, 3);
	snap_put(&b, 2, 5, 0x1000, 12);
	dt_snap_sort(&a);
	dt_snap_sort(&b);
	ledger_init(&l, &dr);
	dt_snap_delta(&a, &b, to_ledger, &l);
	CHECK(!ledger_settle(&l), "settle");
	CHECK(l.total == 10, "total %llu", (unsigned long long)l.total);
	d = ledger_find(&l, NS_SRV, 2);
	CHECK(d && d->nev == 1 && d->ev[0].reason == 5 && d->ev[0].n == 7, "if2: 12 - 5");
	CHECK(l.nnodev == 1 && l.nodev[0].n == 3 && l.nodev[0].reason == 2, "no device: 3");
	CHECK(l.nsite == 2 && l.site[0].location == 0x1000 && l.site[0].n == 7, "sites by count");
	ledger_free(&l);
	dt_snap_free(&a);
	dt_snap_free(&b);
}

int main(void)
{
	RUN(test_tcp_v4);
	RUN(test_tcp_v4_pulled);
	RUN(test_dsack);
	RUN(test_tcp_v6);
	RUN(test_udp);
	RUN(test_truncated);
	RUN(test_not_ip);
	RUN(test_rtx);
	RUN(test_flags_str);
	RUN(test_ledger_from_samples);
	return unit_done();
}
