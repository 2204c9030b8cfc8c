// SPDX-License-Identifier: GPL-2.0
/*
 * pkt_decode() against frames assembled byte by byte here: every link type,
 * VLAN stacks, IPv4 options, IPv6 extension headers, TCP options, snaplen
 * cuts and lying lengths; then random and mutated bytes under every link
 * type. Each frame is decoded from a heap copy of exactly caplen bytes, so
 * the ASan build catches any read past the capture.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "pkt.h"
#include "unit.h"

#define SPORT	43210
#define DPORT	5201
#define SEQ	0x11223344u
#define ACK	0xa0b0c0d0u
#define WIN	502
#define TSVAL	0x01020304u
#define TSECR	0x0a0b0c0du
#define TS_NS	0x5a5a5a5a5a5a5a5aULL	/* what dec() leaves in every byte */

#define ETH_IP	0x0800
#define ETH_IP6	0x86dd
#define PROTO_TCP	6
#define PROTO_UDP	17

static const uint8_t src4[4] = { 198, 18, 0, 1 }, dst4[4] = { 198, 19, 0, 2 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, 2 };

/* NOP NOP TS, as Linux sends on every established segment. */
static const uint8_t opt_ts[] = { 1, 1, 8, 10, 1, 2, 3, 4, 10, 11, 12, 13 };
/* A Linux SYN: MSS 1460, SACK permitted, TS, NOP, window scale 7. */
static const uint8_t opt_syn[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4,
				   10, 11, 12, 13, 1, 3, 3, 7 };

/*
 * Frame builder: append headers in wire order, then fb_end() fills in the
 * IP length from everything after the IP header plus the payload, which is
 * only on the wire (wire > len), as with a snaplen that keeps headers.
 */
struct fb {
	uint8_t b[1024];
	uint32_t len;	/* bytes built: the default caplen */
	uint32_t wire;	/* wirelen */
	uint32_t ip_at, tcp_at;
	int af;
	int nlen;	/* tunnel headers whose length fb_end() fills in */
	uint32_t len_at[16];
	uint8_t len_kind[16];	/* 4: IPv4, 6: IPv6, 17: UDP */
};

static void put(struct fb *f, const void *p, size_t n)
{
	if (n)
		memcpy(f->b + f->len, p, n);
	f->len += n;
	f->wire = f->len;
}

static void put8(struct fb *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct fb *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void put32(struct fb *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v);
}

static void set16(struct fb *f, uint32_t at, uint16_t v)
{
	f->b[at] = v >> 8;
	f->b[at + 1] = v;
}

static void fb_init(struct fb *f)
{
	memset(f, 0, sizeof(*f));
}

/* Ethernet II with @ntags VLAN tags (TPIDs from @tpid), then @type. */
static void fb_eth(struct fb *f, const uint16_t *tpid, int ntags, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	int i;

	put(f, macs, sizeof(macs));
	for (i = 0; i < ntags; i++) {
		put16(f, tpid[i]);
		put16(f, 100 + i);	/* TCI: VLAN id */
	}
	put16(f, type);
}

static void fb_sll(struct fb *f, uint16_t proto)
{
	put16(f, 4);		/* packet type: outgoing */
	put16(f, 1);		/* ARPHRD_ETHER */
	put16(f, 6);
	put(f, "\x02\0\0\0\0\x01\0\0", 8);
	put16(f, proto);
}

static void fb_sll2(struct fb *f, uint16_t proto)
{
	put16(f, proto);
	put16(f, 0);		/* reserved */
	put32(f, 3);		/* ifindex */
	put16(f, 1);		/* ARPHRD_ETHER */
	put8(f, 0);		/* packet type: to us */
	put8(f, 6);
	put(f, "\x02\0\0\0\0\x01\0\0", 8);
}

/* DLT_NULL/LOOP: the address family in host (little-endian here) or network order. */
static void fb_null(struct fb *f, uint32_t af, int net_order)
{
	if (net_order) {
		put32(f, af);
	} else {
		put8(f, af);
		put8(f, af >> 8);
		put16(f, 0);
	}
}

/* The link header of @lt carrying IPv4 or IPv6 (nothing for raw types). */
static void fb_link(struct fb *f, int lt, int af)
{
	uint16_t et = af == 4 ? ETH_IP : ETH_IP6;

	switch (lt) {
	case DLT_EN10MB:
		fb_eth(f, NULL, 0, et);
		break;
	case DLT_LINUX_SLL:
		fb_sll(f, et);
		break;
	case DLT_LINUX_SLL2:
		fb_sll2(f, et);
		break;
	case DLT_NULL:
	case 108:
		fb_null(f, af == 4 ? 2 : 10, lt == 108);
		break;
	}
}

/* IPv4 with @ihl words (IP options are NOPs); @frag: flags and offset. */
static void fb_ip4(struct fb *f, int ihl, uint16_t frag, uint8_t proto)
{
	int i;

	f->ip_at = f->len;
	f->af = 4;
	put8(f, 0x40 | ihl);
	put8(f, 0);
	put16(f, 0);		/* total length: fb_end() */
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);		/* checksum: never verified */
	put(f, src4, 4);
	put(f, dst4, 4);
	for (i = 5; i < ihl; i++)
		put32(f, 0x01010101);
}

static void fb_ip6(struct fb *f, uint8_t nh)
{
	f->ip_at = f->len;
	f->af = 6;
	put32(f, 0x60012345);	/* version, traffic class, flow label */
	put16(f, 0);		/* payload length: fb_end() */
	put8(f, nh);
	put8(f, 64);
	put(f, src6, 16);
	put(f, dst6, 16);
}

/* An IPv6 extension header of @type and @size bytes, followed by @nh. */
static void fb_ext6(struct fb *f, uint8_t type, uint8_t nh, uint32_t size)
{
	uint32_t end = f->len + size;

	put8(f, nh);
	if (type == 44) {		/* fragment: @size is offset and flags */
		put8(f, 0);
		put16(f, size);
		put32(f, 0xfeedbeef);
		return;
	}
	put8(f, type == 51 ? size / 4 - 2 : size / 8 - 1);
	while (f->len < end)
		put8(f, 0);		/* Pad1 options */
}

/* TCP with @opt padded by EOL to a word, and @payload bytes on the wire. */
static void fb_tcp(struct fb *f, uint8_t flags, const uint8_t *opt,
		   uint32_t optlen, uint32_t payload)
{
	uint32_t doff = (20 + optlen + 3) / 4;

	f->tcp_at = f->len;
	put16(f, SPORT);
	put16(f, DPORT);
	put32(f, SEQ);
	put32(f, ACK);
	put8(f, doff << 4);
	put8(f, flags);
	put16(f, WIN);
	put16(f, 0);		/* checksum */
	put16(f, 0);		/* urgent pointer */
	put(f, opt, optlen);
	while (f->len < f->tcp_at + doff * 4)
		put8(f, 0);
	f->wire = f->len + payload;
}

static void fb_end(struct fb *f)
{
	for (int i = 0; i < f->nlen; i++) {
		uint32_t at = f->len_at[i], n = f->wire - at;

		if (f->len_kind[i] == 4)
			set16(f, at + 2, n);
		else if (f->len_kind[i] == 6)
			set16(f, at + 4, n - 40);
		else
			set16(f, at + 4, n);
	}
	if (f->af == 4)
		set16(f, f->ip_at + 2, f->wire - f->ip_at);
	else
		set16(f, f->ip_at + 4, f->wire - f->ip_at - 40);
}

/* Link, IP and TCP with @opt and @payload bytes: the frame most tests vary. */
static void fb_std(struct fb *f, int lt, int af, const uint8_t *opt,
		   uint32_t optlen, uint32_t payload)
{
	fb_init(f);
	fb_link(f, lt, af);
	if (af == 4)
		fb_ip4(f, 5, 0x4000, PROTO_TCP);
	else
		fb_ip6(f, PROTO_TCP);
	fb_tcp(f, TCPF_ACK | TCPF_PSH, opt, optlen, payload);
	fb_end(f);
}

/* Decode the first @caplen bytes of @f from an exact-size heap copy. */
static enum pkt_status dec_n(int lt, const struct fb *f, uint32_t caplen,
			     struct tcp_seg *s)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	enum pkt_status st;

	memcpy(copy, f->b, caplen);
	memset(s, 0x5a, sizeof(*s));
	st = pkt_decode(lt, copy, caplen, f->wire, s);
	free(copy);
	return st;
}

/* What a capture with snaplen @n keeps of @f. */
static uint32_t snap(const struct fb *f, uint32_t n)
{
	return f->len < n ? f->len : n;
}

static enum pkt_status dec(int lt, const struct fb *f, struct tcp_seg *s)
{
	return dec_n(lt, f, f->len, s);
}

/* The fields every fb_tcp() segment has, plus family, flags and payload. */
static void check_seg(const char *what, const struct tcp_seg *s, int af,
		      uint8_t flags, uint32_t payload)
{
	static const uint8_t zero[12];

	CHECK(s->ts_ns == TS_NS, "%s: ts_ns touched", what);
	CHECK(s->family == af, "%s: family %u", what, s->family);
	CHECK(s->flags == flags, "%s: flags %#x", what, s->flags);
	CHECK(s->sport == SPORT && s->dport == DPORT, "%s: ports %u %u", what,
	      s->sport, s->dport);
	CHECK(s->seq == SEQ && s->ack == ACK, "%s: seq %#x ack %#x", what,
	      s->seq, s->ack);
	CHECK(s->win == WIN, "%s: win %u", what, s->win);
	CHECK(s->payload_len == payload, "%s: payload_len %u, want %u", what,
	      s->payload_len, payload);
	if (af == 4) {
		CHECK(!memcmp(s->saddr, src4, 4) && !memcmp(s->saddr + 4, zero, 12),
		      "%s: saddr", what);
		CHECK(!memcmp(s->daddr, dst4, 4) && !memcmp(s->daddr + 4, zero, 12),
		      "%s: daddr", what);
	} else {
		CHECK(!memcmp(s->saddr, src6, 16), "%s: saddr", what);
		CHECK(!memcmp(s->daddr, dst6, 16), "%s: daddr", what);
	}
}

/* Which options were seen: has_ts, has_mss, has_wscale, sack_ok, nsack. */
static void check_opts(const char *what, const struct tcp_seg *s, int ts,
		       int mss, int ws, int sack_ok, int nsack)
{
	CHECK(s->has_ts == ts && (!ts || (s->tsval == TSVAL && s->tsecr == TSECR)),
	      "%s: has_ts %u tsval %#x tsecr %#x", what, s->has_ts, s->tsval, s->tsecr);
	CHECK(s->has_mss == mss && (!mss || s->mss == 1460), "%s: has_mss %u mss %u",
	      what, s->has_mss, s->mss);
	CHECK(s->has_wscale == ws && (!ws || s->wscale == 7),
	      "%s: has_wscale %u wscale %u", what, s->has_wscale, s->wscale);
	CHECK(s->sack_ok == sack_ok, "%s: sack_ok %u", what, s->sack_ok);
	CHECK(s->nsack == nsack, "%s: nsack %u", what, s->nsack);
}

static void test_eth_ipv4_ts(void)
{
	struct tcp_seg s;
	struct fb f;

	fb_std(&f, DLT_EN10MB, 4, opt_ts, sizeof(opt_ts), 1448);
	CHECK(f.len == 66, "frame is %u bytes", f.len);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP, "status");
	check_seg("eth4", &s, 4, TCPF_ACK | TCPF_PSH, 1448);
	check_opts("eth4", &s, 1, 0, 0, 0, 0);
}

/* DSCP from the IPv4 TOS byte and the IPv6 traffic class (ECN bits ignored); header bytes. */
static void test_dscp(void)
{
	struct tcp_seg s;
	struct fb f;

	fb_std(&f, DLT_EN10MB, 4, NULL, 0, 10);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.dscp == 0, "v4 dscp 0: %u", s.dscp);
	CHECK(s.hdr_len == 40, "v4 headers %u bytes", s.hdr_len);
	f.b[f.ip_at + 1] = 0xb8 | 3;		/* EF, CE */
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.dscp == 46, "v4 EF: %u", s.dscp);
	fb_std(&f, DLT_EN10MB, 6, NULL, 0, 10);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.dscp == 0, "v6 dscp 0: %u", s.dscp);
	CHECK(s.hdr_len == 60, "v6 headers %u bytes", s.hdr_len);
	fb_init(&f);
	fb_link(&f, DLT_EN10MB, 6);
	fb_ip6(&f, 0);
	fb_ext6(&f, 0, PROTO_TCP, 16);		/* hop-by-hop, 16 bytes */
	fb_tcp(&f, TCPF_ACK, opt_ts, sizeof(opt_ts), 100);
	fb_end(&f);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.hdr_len == 40 + 16 + 32,
	      "v6 with an extension and TCP options: %u", s.hdr_len);
	/* Traffic class 0x8a: AF41 (34 << 2) with ECT(0), across the first two bytes. */
	f.b[f.ip_at] = 0x60 | 0x8a >> 4;
	f.b[f.ip_at + 1] = (uint8_t)((0x8a & 0xf) << 4 | (f.b[f.ip_at + 1] & 0xf));
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.dscp == 34, "v6 AF41: %u", s.dscp);
}

static void test_syn_options(void)
{
	struct tcp_seg s;
	struct fb f;

	fb_init(&f);
	fb_eth(&f, NULL, 0, ETH_IP6);
	fb_ip6(&f, PROTO_TCP);
	fb_tcp(&f, TCPF_SYN | TCPF_ECE | TCPF_CWR, opt_syn, sizeof(opt_syn), 0);
	fb_end(&f);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP, "status");
	check_seg("syn6", &s, 6, TCPF_SYN | TCPF_ECE | TCPF_CWR, 0);
	check_opts("syn6", &s, 1, 1, 1, 1, 0);
}

static void test_link_types(void)
{
	static const int lts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				   12, 14, 101, DLT_NULL, 108 };
	struct tcp_seg s;
	struct fb f;
	char what[32];
	size_t i;
	int af;

	for (i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		for (af = 4; af <= 6; af += 2) {
			snprintf(what, sizeof(what), "link %d v%d", lts[i], af);
			fb_std(&f, lts[i], af, opt_ts, sizeof(opt_ts), 100);
			CHECK(dec(lts[i], &f, &s) == PKT_TCP, "%s: status", what);
			check_seg(what, &s, af, TCPF_ACK | TCPF_PSH, 100);
			check_opts(what, &s, 1, 0, 0, 0, 0);
		}
	}
	fb_std(&f, DLT_IPV4, 4, NULL, 0, 7);
	CHECK(dec(DLT_IPV4, &f, &s) == PKT_TCP, "DLT_IPV4");
	check_seg("ipv4", &s, 4, TCPF_ACK | TCPF_PSH, 7);
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_MALFORMED, "v4 bytes as DLT_IPV6");
	fb_std(&f, DLT_IPV6, 6, NULL, 0, 7);
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_TCP, "DLT_IPV6");
	check_seg("ipv6", &s, 6, TCPF_ACK | TCPF_PSH, 7);
	CHECK(dec(DLT_IPV4, &f, &s) == PKT_MALFORMED, "v6 bytes as DLT_IPV4");
	f.b[0] = 0x50;
	CHECK(dec(12, &f, &s) == PKT_MALFORMED, "raw, version 5");
	CHECK(dec_n(101, &f, 0, &s) == PKT_TRUNCATED, "raw, empty");
}

static void test_null_families(void)
{
	static const uint32_t af6[] = { 10, 24, 28, 30 };
	struct tcp_seg s;
	struct fb f;
	size_t i;
	int lt, order;

	for (lt = 0; lt <= 108; lt += 108) {
		for (order = 0; order < 2; order++) {
			for (i = 0; i < 4; i++) {
				fb_init(&f);
				fb_null(&f, af6[i], order);
				fb_ip6(&f, PROTO_TCP);
				fb_tcp(&f, TCPF_FIN | TCPF_ACK, NULL, 0, 0);
				fb_end(&f);
				CHECK(dec(lt, &f, &s) == PKT_TCP, "lt %d order %d af %u",
				      lt, order, af6[i]);
				check_seg("null6", &s, 6, TCPF_FIN | TCPF_ACK, 0);
			}
			fb_init(&f);
			fb_null(&f, 7, order);	/* AF_LOCAL: not IP */
			fb_ip4(&f, 5, 0, PROTO_TCP);
			CHECK(dec(lt, &f, &s) == PKT_OTHER, "lt %d af 7", lt);
		}
	}
	fb_init(&f);
	fb_null(&f, 2, 0);
	CHECK(dec_n(DLT_NULL, &f, 3, &s) == PKT_TRUNCATED, "3-byte null header");
}

static void test_vlan_stacks(void)
{
	static const uint16_t qinq[] = { 0x88a8, 0x8100 }, old[] = { 0x9100, 0x8100 };
	static const uint16_t deep[] = { 0x88a8, 0x9100, 0x8100, 0x8100, 0x8100 };
	const struct {
		const char *what;
		const uint16_t *tpid;
		int ntags;
		enum pkt_status want;
	} cases[] = {
		{ "802.1Q", deep + 2, 1, PKT_TCP },
		{ "802.1ad QinQ", qinq, 2, PKT_TCP },
		{ "0x9100 QinQ", old, 2, PKT_TCP },
		{ "4 tags", deep + 1, 4, PKT_TCP },
		{ "5 tags: decoded, 4 kept", deep, 5, PKT_TCP },
	};
	struct tcp_seg s;
	struct fb f;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fb_init(&f);
		fb_eth(&f, cases[i].tpid, cases[i].ntags, ETH_IP6);
		fb_ip6(&f, PROTO_TCP);
		fb_tcp(&f, TCPF_ACK, opt_ts, sizeof(opt_ts), 1000);
		fb_end(&f);
		CHECK(dec(DLT_EN10MB, &f, &s) == cases[i].want, "%s", cases[i].what);
		if (cases[i].want != PKT_TCP)
			continue;
		check_seg(cases[i].what, &s, 6, TCPF_ACK, 1000);
		CHECK(s.nvlan == (cases[i].ntags < 4 ? cases[i].ntags : 4), "%s: nvlan %u",
		      cases[i].what, s.nvlan);
		for (int k = 0; k < s.nvlan; k++)
			CHECK(s.vlan[k] == 100 + k, "%s: vlan[%d] %u", cases[i].what, k, s.vlan[k]);
		CHECK(!s.tunnels && !s.ip_trimmed && !s.has_vni, "%s: no tunnel", cases[i].what);
		/* Cut inside the last tag. */
		CHECK(dec_n(DLT_EN10MB, &f, 14 + 4 * (cases[i].ntags - 1), &s) ==
		      PKT_TRUNCATED, "%s: cut in tags", cases[i].what);
	}
	/* Cooked captures carry re-inserted tags the same way. */
	fb_init(&f);
	fb_sll(&f, 0x8100);
	put16(&f, 42);
	put16(&f, ETH_IP);
	fb_ip4(&f, 5, 0, PROTO_TCP);
	fb_tcp(&f, TCPF_ACK, NULL, 0, 10);
	fb_end(&f);
	CHECK(dec(DLT_LINUX_SLL, &f, &s) == PKT_TCP, "SLL + 802.1Q");
	check_seg("sll vlan", &s, 4, TCPF_ACK, 10);
}

static void test_ipv4_options(void)
{
	struct tcp_seg s;
	struct fb f;

	fb_init(&f);
	fb_eth(&f, NULL, 0, ETH_IP);
	fb_ip4(&f, 6, 0, PROTO_TCP);
	fb_tcp(&f, TCPF_ACK, opt_ts, sizeof(opt_ts), 300);
	fb_end(&f);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP, "IHL 6");
	check_seg("ihl6", &s, 4, TCPF_ACK, 300);
	check_opts("ihl6", &s, 1, 0, 0, 0, 0);
	/* Capture ends inside the IP options. */
	CHECK(dec_n(DLT_EN10MB, &f, 36, &s) == PKT_TRUNCATED, "cut in IP options");
}

static void test_ipv6_ext_headers(void)
{
	struct tcp_seg s;
	struct fb f;
	int i;

	fb_init(&f);
	fb_eth(&f, NULL, 0, ETH_IP6);
	fb_ip6(&f, 0);
	fb_ext6(&f, 0, 43, 8);
	fb_ext6(&f, 43, 60, 24);
	fb_ext6(&f, 60, PROTO_TCP, 16);
	fb_tcp(&f, TCPF_ACK, opt_ts, sizeof(opt_ts), 500);
	fb_end(&f);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP, "hop-by-hop, routing, dstopts");
	check_seg("ext3", &s, 6, TCPF_ACK, 500);
	check_opts("ext3", &s, 1, 0, 0, 0, 0);
	CHECK(dec_n(DLT_EN10MB, &f, 14 + 40 + 8 + 10, &s) == PKT_TRUNCATED,
	      "cut in routing header");
	CHECK(dec_n(DLT_EN10MB, &f, 14 + 40 + 8 + 24 + 8, &s) == PKT_TRUNCATED,
	      "cut in the last header before TCP");

	/* AH counts in 4-byte words, minus 2; an atomic fragment is no fragment. */
	fb_init(&f);
	fb_ip6(&f, 51);
	fb_ext6(&f, 51, 44, 24);
	fb_ext6(&f, 44, PROTO_TCP, 0);
	fb_tcp(&f, TCPF_ACK, NULL, 0, 64);
	fb_end(&f);
	CHECK(dec(DLT_RAW, &f, &s) == PKT_TCP, "AH + atomic fragment");
	check_seg("ah", &s, 6, TCPF_ACK, 64);

	/* Eight extension headers are allowed, the ninth is not. */
	for (i = 8; i <= 9; i++) {
		int k;

		fb_init(&f);
		fb_ip6(&f, 60);
		for (k = 1; k <= i; k++)
			fb_ext6(&f, 60, k < i ? 60 : PROTO_TCP, 8);
		fb_tcp(&f, TCPF_ACK, NULL, 0, 1);
		fb_end(&f);
		CHECK(dec(DLT_IPV6, &f, &s) == (i == 8 ? PKT_TCP : PKT_MALFORMED),
		      "%d extension headers", i);
	}
	/* ESP and no-next-header hide or end the chain. */
	for (i = 50; i <= 59; i += 9) {
		fb_init(&f);
		fb_ip6(&f, 0);
		fb_ext6(&f, 0, i, 8);
		fb_tcp(&f, TCPF_ACK, NULL, 0, 1);
		fb_end(&f);
		CHECK(dec(DLT_IPV6, &f, &s) == PKT_OTHER, "next header %d", i);
	}
}

static void test_fragments(void)
{
	static const uint16_t v4[] = { 0x0010, 0x2000, 0x2010, 0x3fff };
	static const uint16_t v6[] = { 0x0008, 0x0001, 0x0009, 0xfff8 };
	struct tcp_seg s;
	struct fb f;
	size_t i;

	for (i = 0; i < 4; i++) {
		fb_init(&f);
		fb_ip4(&f, 5, v4[i], PROTO_TCP);
		fb_tcp(&f, TCPF_ACK, NULL, 0, 1000);
		fb_end(&f);
		CHECK(dec(DLT_IPV4, &f, &s) == PKT_OTHER, "v4 frag %#x", v4[i]);

		fb_init(&f);
		fb_ip6(&f, 44);
		fb_ext6(&f, 44, PROTO_TCP, v6[i]);
		fb_tcp(&f, TCPF_ACK, NULL, 0, 1000);
		fb_end(&f);
		CHECK(dec(DLT_IPV6, &f, &s) == PKT_OTHER, "v6 frag %#x", v6[i]);
	}
	/* DF alone is not a fragment. */
	fb_init(&f);
	fb_ip4(&f, 5, 0x4000, PROTO_TCP);
	fb_tcp(&f, TCPF_ACK, NULL, 0, 1000);
	fb_end(&f);
	CHECK(dec(DLT_IPV4, &f, &s) == PKT_TCP, "DF");
	check_seg("df", &s, 4, TCPF_ACK, 1000);
}

static void test_jumbo_and_zero_length(void)
{
	struct tcp_seg s;
	struct fb f;

	/* RFC 2675: payload length 0 and a hop-by-hop jumbo option. */
	fb_init(&f);
	fb_ip6(&f, 0);
	put8(&f, PROTO_TCP);
	put8(&f, 0);
	put8(&f, 0xc2);
	put8(&f, 4);
	put32(&f, 100000);
	fb_tcp(&f, TCPF_ACK, NULL, 0, 100000 - 28);
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_OTHER, "jumbogram");

	/* Length 0 without one (GSO on the capturing host): the wire tells. */
	fb_std(&f, DLT_EN10MB, 6, opt_ts, sizeof(opt_ts), 70000);
	set16(&f, f.ip_at + 4, 0);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP, "v6 length 0");
	check_seg("v6 len 0", &s, 6, TCPF_ACK | TCPF_PSH, 70000);

	fb_std(&f, DLT_EN10MB, 4, opt_ts, sizeof(opt_ts), 1000);
	set16(&f, f.ip_at + 2, 0);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP, "v4 length 0");
	check_seg("v4 len 0", &s, 4, TCPF_ACK | TCPF_PSH, 1000);
	/* ... but here the wire is shorter than the headers. */
	f.wire = 60;
	CHECK(dec_n(DLT_EN10MB, &f, 54, &s) == PKT_MALFORMED, "v4 length 0, short wire");
	f.wire = 14 + 20 + 19;
	CHECK(dec_n(DLT_EN10MB, &f, 53, &s) == PKT_MALFORMED,
	      "v4 length 0, wire shorter than IP + TCP");
}

/* Snaplens that cut the headers: 54 keeps Ethernet + IPv4 + bare TCP. */
static void test_snaplen(void)
{
	/* NOP NOP TS NOP NOP SACK with 3 blocks: a full 40-byte option area. */
	uint8_t opt[40] = { 1, 1, 8, 10, 1, 2, 3, 4, 10, 11, 12, 13, 1, 1, 5, 26 };
	struct tcp_seg s;
	struct fb f;
	int i;

	for (i = 0; i < 24; i++)
		opt[16 + i] = i;
	fb_std(&f, DLT_EN10MB, 4, opt, sizeof(opt), 200);
	CHECK(f.len == 94, "frame is %u bytes", f.len);
	CHECK(dec_n(DLT_EN10MB, &f, 33, &s) == PKT_TRUNCATED, "33: in IP");
	CHECK(dec_n(DLT_EN10MB, &f, 53, &s) == PKT_TRUNCATED, "53: in TCP");
	CHECK(dec_n(DLT_EN10MB, &f, 10, &s) == PKT_TRUNCATED, "10: in Ethernet");
	CHECK(dec_n(DLT_EN10MB, &f, 54, &s) == PKT_TCP, "54");
	check_seg("54", &s, 4, TCPF_ACK | TCPF_PSH, 200);
	check_opts("54", &s, 0, 0, 0, 0, 0);
	CHECK(dec_n(DLT_EN10MB, &f, 64, &s) == PKT_TCP, "64");
	check_seg("64", &s, 4, TCPF_ACK | TCPF_PSH, 200);
	check_opts("64: TS cut", &s, 0, 0, 0, 0, 0);
	CHECK(dec_n(DLT_EN10MB, &f, snap(&f, 96), &s) == PKT_TCP, "96");
	check_opts("96", &s, 1, 0, 0, 0, 3);
	CHECK(s.sack[2].start == 0x10111213 && s.sack[2].end == 0x14151617,
	      "sack[2] %#x-%#x", s.sack[2].start, s.sack[2].end);

	/* A SYN cut at 64: MSS and SACK-permitted whole, TS cut, WS lost. */
	fb_std(&f, DLT_EN10MB, 4, opt_syn, sizeof(opt_syn), 0);
	CHECK(dec_n(DLT_EN10MB, &f, 64, &s) == PKT_TCP, "syn 64");
	check_opts("syn 64", &s, 0, 1, 0, 1, 0);

	/* VLAN + IPv6 with the same options: 54 and 64 end before TCP. */
	fb_init(&f);
	fb_eth(&f, (const uint16_t[]){ 0x8100 }, 1, ETH_IP6);
	fb_ip6(&f, PROTO_TCP);
	fb_tcp(&f, TCPF_ACK, opt, sizeof(opt), 200);
	fb_end(&f);
	CHECK(dec_n(DLT_EN10MB, &f, 54, &s) == PKT_TRUNCATED, "v6 54");
	CHECK(dec_n(DLT_EN10MB, &f, 64, &s) == PKT_TRUNCATED, "v6 64");
	CHECK(dec_n(DLT_EN10MB, &f, 96, &s) == PKT_TCP, "v6 96");
	check_seg("v6 96", &s, 6, TCPF_ACK, 200);
	check_opts("v6 96: SACK cut", &s, 1, 0, 0, 0, 0);
}

static void test_sack_blocks(void)
{
	uint8_t opt[40];
	struct tcp_seg s;
	struct fb f;
	uint32_t n, i, len;

	for (n = 1; n <= 4; n++) {
		/* Room for TS as well up to 3 blocks. */
		len = 0;
		if (n < 4) {
			memcpy(opt, opt_ts, sizeof(opt_ts));
			len = sizeof(opt_ts);
		}
		opt[len++] = 1;
		opt[len++] = 1;
		opt[len++] = 5;
		opt[len++] = 2 + 8 * n;
		for (i = 0; i < 2 * n; i++) {
			uint32_t v = 1000000 * (i + 1);

			opt[len++] = v >> 24;
			opt[len++] = v >> 16;
			opt[len++] = v >> 8;
			opt[len++] = v;
		}
		fb_std(&f, DLT_LINUX_SLL2, 6, opt, len, 0);
		CHECK(dec(DLT_LINUX_SLL2, &f, &s) == PKT_TCP, "%u blocks", n);
		check_seg("sack", &s, 6, TCPF_ACK | TCPF_PSH, 0);
		check_opts("sack", &s, n < 4, 0, 0, 0, n);
		for (i = 0; i < n && i < PKT_MAX_SACK; i++)
			CHECK(s.sack[i].start == 1000000 * (2 * i + 1) &&
			      s.sack[i].end == 1000000 * (2 * i + 2),
			      "%u blocks: block %u %u-%u", n, i, s.sack[i].start,
			      s.sack[i].end);
	}
}

static void test_lying_lengths(void)
{
	struct tcp_seg s;
	struct fb f;

	fb_std(&f, DLT_EN10MB, 4, NULL, 0, 0);
	f.b[14] = 0x44;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "IHL 4");
	f.b[14] = 0x4f;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "IHL 15 > total length 40");
	f.b[14] = 0x46;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "IHL 6 leaves 16 for TCP");
	f.b[14] = 0x45;
	set16(&f, 16, 39);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "total length 39");
	set16(&f, 16, 19);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "total length 19");
	set16(&f, 16, 1500);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "total length > wire: cut");
	check_seg("total length > wire", &s, 4, TCPF_ACK | TCPF_PSH, 0);
	set16(&f, 16, 40);
	f.b[14 + 20 + 12] = 4 << 4;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "doff 4");
	f.b[14 + 20 + 12] = 6 << 4;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "doff 6 > IP length");
	f.b[14 + 20 + 12] = 5 << 4;
	f.b[14] = 0x65;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "version 6 in 0x0800");
	f.b[14] = 0x45;
	f.wire = 10;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "wirelen < link header");

	/* IPv6: payload length shorter than an extension header, or the wire. */
	fb_init(&f);
	fb_ip6(&f, 0);
	fb_ext6(&f, 0, PROTO_TCP, 16);
	fb_tcp(&f, TCPF_ACK, NULL, 0, 0);
	fb_end(&f);
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_TCP, "v6 reference");
	set16(&f, 4, 8);
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_MALFORMED, "v6 length 8 < ext header");
	set16(&f, 4, 30);
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_MALFORMED, "v6 length leaves 14 for TCP");
	/* A lie the IP header alone shows wins over a short capture, as in v4. */
	CHECK(dec_n(DLT_IPV6, &f, 40 + 16 + 10, &s) == PKT_MALFORMED,
	      "v6 length leaves 14 for TCP, cut in TCP");
	set16(&f, 4, 37);
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_TCP && s.ip_trimmed, "v6 length > wire: cut");
	check_seg("v6 length > wire", &s, 6, TCPF_ACK, 0);
	set16(&f, 4, 36);
	f.b[40 + 16 + 12] = 6 << 4;
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_MALFORMED, "v6 doff > length");
	f.b[40 + 16 + 12] = 5 << 4;
	f.wire = 39;
	CHECK(dec(DLT_IPV6, &f, &s) == PKT_MALFORMED, "wirelen < IPv6 header");
}

static void test_bad_options(void)
{
	const struct {
		const char *what;
		uint8_t opt[12];
		uint32_t len;
		enum pkt_status want;
		int mss, ws;
	} cases[] = {
		{ "zero length", { 2, 4, 5, 180, 30, 0, 1, 1 }, 8, PKT_MALFORMED, 0, 0 },
		{ "length 1", { 30, 1, 1, 1 }, 4, PKT_MALFORMED, 0, 0 },
		{ "runs past header", { 2, 4, 5, 180, 3, 8, 7, 0 }, 8, PKT_TCP, 1, 0 },
		{ "kind at the last byte", { 2, 4, 5, 180, 1, 1, 1, 3 }, 8, PKT_TCP, 1, 0 },
		{ "EOL stops", { 2, 4, 5, 180, 0, 3, 3, 7 }, 8, PKT_TCP, 1, 0 },
		{ "unknown skipped", { 30, 4, 9, 9, 3, 3, 7, 1 }, 8, PKT_TCP, 0, 1 },
		{ "MSS length 3", { 2, 3, 5, 3, 3, 7, 1, 1 }, 8, PKT_TCP, 0, 1 },
		{ "WS length 4", { 3, 4, 7, 0, 2, 4, 5, 180 }, 8, PKT_TCP, 1, 0 },
		{ "SACK length 12", { 5, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 12, PKT_TCP, 0, 0 },
	};
	struct tcp_seg s;
	struct fb f;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fb_std(&f, DLT_EN10MB, 4, cases[i].opt, cases[i].len, 10);
		CHECK(dec(DLT_EN10MB, &f, &s) == cases[i].want, "%s", cases[i].what);
		if (cases[i].want == PKT_TCP) {
			check_seg(cases[i].what, &s, 4, TCPF_ACK | TCPF_PSH, 10);
			check_opts(cases[i].what, &s, 0, cases[i].mss, cases[i].ws, 0, 0);
		}
	}
}

static void test_not_tcp(void)
{
	static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	struct tcp_seg s;
	struct fb f;

	fb_init(&f);
	fb_eth(&f, NULL, 0, 0x0806);
	put(&f, arp, sizeof(arp));
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "ARP");

	fb_init(&f);
	fb_eth(&f, NULL, 0, ETH_IP);
	fb_ip4(&f, 5, 0, PROTO_UDP);
	put32(&f, 0x00350035);
	put32(&f, 0x00080000);
	fb_end(&f);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "UDP over IPv4");
	CHECK(dec_n(DLT_EN10MB, &f, 34, &s) == PKT_OTHER, "UDP, cut after IP");

	fb_init(&f);
	fb_sll(&f, ETH_IP6);
	fb_ip6(&f, 0);
	fb_ext6(&f, 0, PROTO_UDP, 8);
	put32(&f, 0x00350035);
	put32(&f, 0x00080000);
	fb_end(&f);
	CHECK(dec(DLT_LINUX_SLL, &f, &s) == PKT_OTHER, "UDP over IPv6 + hop-by-hop");
	CHECK(dec_n(DLT_LINUX_SLL, &f, 64, &s) == PKT_OTHER, "UDP, cut after hop-by-hop");
	CHECK(dec_n(DLT_LINUX_SLL, &f, 58, &s) == PKT_TRUNCATED, "cut in hop-by-hop");

	fb_init(&f);
	fb_sll2(&f, 0x0004);	/* 802.2 LLC */
	CHECK(dec(DLT_LINUX_SLL2, &f, &s) == PKT_OTHER, "SLL2 LLC");
}

/*
 * Tunnels. The outer headers use their own addresses, so check_seg() proves
 * the inner ones became the flow; fb_end() fills every outer length in.
 */
static const uint8_t osrc4[4] = { 203, 0, 113, 1 }, odst4[4] = { 203, 0, 113, 2 };
static const uint8_t osrc6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };
static const uint8_t odst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 2 };

#define TUN(k)		(1u << PKT_TUN_##k)
#define PROTO_IPIP	4
#define PROTO_IPV6	41
#define PROTO_GRE	47

static void fb_len(struct fb *f, uint8_t kind)
{
	f->len_at[f->nlen] = f->len;
	f->len_kind[f->nlen++] = kind;
}

static void fb_oip4(struct fb *f, uint8_t proto)
{
	fb_len(f, 4);
	put8(f, 0x45);
	put8(f, 0);
	put16(f, 0);		/* fb_end() */
	put16(f, 0x4321);
	put16(f, 0x4000);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put(f, osrc4, 4);
	put(f, odst4, 4);
}

static void fb_oip6(struct fb *f, uint8_t nh)
{
	fb_len(f, 6);
	put32(f, 0x60000000);
	put16(f, 0);		/* fb_end() */
	put8(f, nh);
	put8(f, 64);
	put(f, osrc6, 16);
	put(f, odst6, 16);
}

static void fb_udp(struct fb *f, uint16_t dport)
{
	fb_len(f, 17);
	put16(f, 51000);
	put16(f, dport);
	put16(f, 0);		/* fb_end() */
	put16(f, 0);
}

static void fb_vxlan(struct fb *f, uint32_t vni)
{
	put32(f, 0x08000000);
	put32(f, vni << 8);
}

/* Geneve with @words of options (one TLV), carrying @proto. */
static void fb_geneve(struct fb *f, uint32_t vni, uint8_t words, uint16_t proto)
{
	put8(f, words);
	put8(f, 0);
	put16(f, proto);
	put32(f, vni << 8);
	for (int i = 0; i < words; i++)
		put32(f, i ? 0 : 0xffff0100u | (words - 1u));
}

static void fb_gre(struct fb *f, uint16_t flags, uint16_t proto)
{
	put16(f, flags);
	put16(f, proto);
	if (flags & 0x8000)
		put32(f, 0);		/* checksum: never verified */
	if (flags & 0x2000)
		put32(f, 0x00abcdef);
	if (flags & 0x1000)
		put32(f, 7);
}

/* @n labels from 16 on, bottom of stack on the last. */
static void fb_mpls(struct fb *f, int n)
{
	for (int i = 0; i < n; i++)
		put32(f, (16u + i) << 12 | (i == n - 1) << 8 | 64);
}

/* Ethernet with 802.1Q tags of the given IDs. */
static void fb_eth_vid(struct fb *f, const uint16_t *vid, int n, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 1, 1, 2, 0, 0, 0, 1, 2 };

	put(f, macs, sizeof(macs));
	for (int i = 0; i < n; i++) {
		put16(f, 0x8100);
		put16(f, 0x2000 | vid[i]);	/* PCP 1: not part of the ID */
	}
	put16(f, type);
}

/* The inner segment, 1000 bytes of payload on the wire. */
static void fb_inner(struct fb *f, int af)
{
	if (af == 4)
		fb_ip4(f, 5, 0x4000, PROTO_TCP);
	else
		fb_ip6(f, PROTO_TCP);
	fb_tcp(f, TCPF_ACK, opt_ts, sizeof(opt_ts), 1000);
	fb_end(f);
}

static const uint16_t v10[] = { 10 }, v42[] = { 42 }, v3[] = { 3 }, v30[] = { 30 };

static void tun_vxlan(struct fb *f)
{
	fb_eth_vid(f, v10, 1, ETH_IP);
	fb_oip4(f, PROTO_UDP);
	fb_udp(f, 4789);
	fb_vxlan(f, 100);
	fb_eth_vid(f, v42, 1, ETH_IP);
}

static void tun_vxlan_linux6(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP6);
	fb_oip6(f, PROTO_UDP);
	fb_udp(f, 8472);
	fb_vxlan(f, 0xabcdef);
	fb_eth_vid(f, NULL, 0, ETH_IP6);
}

static void tun_geneve(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_UDP);
	fb_udp(f, 6081);
	fb_geneve(f, 7, 3, 0x6558);
	fb_eth_vid(f, NULL, 0, ETH_IP);
}

static void tun_geneve_ip6(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_UDP);
	fb_udp(f, 6081);
	fb_geneve(f, 8, 0, ETH_IP6);
}

static void tun_gre(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0, ETH_IP);
}

static void tun_gre_cks(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0xb000, ETH_IP6);
}

static void tun_gre_teb(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP6);
	fb_oip6(f, PROTO_GRE);
	fb_gre(f, 0x2000, 0x6558);
	fb_eth_vid(f, v3, 1, ETH_IP);
}

static void tun_erspan1(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0, 0x88be);
	fb_eth_vid(f, NULL, 0, ETH_IP);
}

static void tun_erspan2(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0x1000, 0x88be);
	put32(f, 0x1000000c);		/* version 1, VLAN 0, session 12 */
	put32(f, 0);
	fb_eth_vid(f, NULL, 0, ETH_IP);
}

static void erspan3(struct fb *f, int o)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0x1000, 0x22eb);
	put32(f, 0x2000000c);		/* version 2, session 12 */
	put32(f, 123456);		/* timestamp */
	put32(f, o);			/* SGT 0, FT 0 (Ethernet), O */
	if (o) {
		put32(f, 0x0badcafe);	/* platform-specific subheader */
		put32(f, 0);
	}
	fb_eth_vid(f, NULL, 0, ETH_IP6);
}

static void tun_erspan3(struct fb *f) { erspan3(f, 0); }
static void tun_erspan3_o(struct fb *f) { erspan3(f, 1); }

static void tun_mpls(struct fb *f)
{
	fb_eth(f, NULL, 0, 0x8847);
	fb_mpls(f, 2);
}

static void tun_mpls_sll(struct fb *f)
{
	fb_sll(f, 0x8848);
	fb_mpls(f, 1);
}

static void tun_mpls_pw(struct fb *f)
{
	fb_eth(f, NULL, 0, 0x8847);
	fb_mpls(f, 3);
	put32(f, 0);			/* control word */
	fb_eth_vid(f, v30, 1, ETH_IP6);
}

static void tun_gre_mpls(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0, 0x8847);
	fb_mpls(f, 1);
}

static void tun_4in4(struct fb *f) { fb_eth(f, NULL, 0, ETH_IP); fb_oip4(f, PROTO_IPIP); }
static void tun_6in4(struct fb *f) { fb_eth(f, NULL, 0, ETH_IP); fb_oip4(f, PROTO_IPV6); }
static void tun_4in6(struct fb *f) { fb_eth(f, NULL, 0, ETH_IP6); fb_oip6(f, PROTO_IPIP); }
static void tun_6in6(struct fb *f) { fb_eth(f, NULL, 0, ETH_IP6); fb_oip6(f, PROTO_IPV6); }
static void tun_raw_6in4(struct fb *f) { fb_oip4(f, PROTO_IPV6); }

static void tun_6in6_ext(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP6);
	fb_oip6(f, 0);
	fb_ext6(f, 0, PROTO_IPV6, 8);
}

/* WCCPv2: GRE 0x883e, a 4-byte redirect header, IPv4. */
static void tun_gre_wccp(struct fb *f)
{
	fb_eth(f, NULL, 0, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0, 0x883e);
	put32(f, 0x00000000);
}

/* Links that are not tunnels: PPP (address/control, protocol), PPPoE, Cisco HDLC. */
static void lnk_ppp(struct fb *f) { put16(f, 0xff03); put16(f, 0x0021); }
static void lnk_ppp_pfc(struct fb *f) { put8(f, 0x57); }	/* compressed protocol: IPv6 */
static void lnk_ppp_dir(struct fb *f) { put8(f, 1); put16(f, 0xff03); put16(f, 0x0021); }
static void lnk_chdlc(struct fb *f) { put8(f, 0x0f); put8(f, 0); put16(f, ETH_IP); }

static void lnk_ppp_mpls(struct fb *f)
{
	put16(f, 0x0281);
	put32(f, 100656u << 12 | 1 << 8 | 64);
}

static void lnk_pppoe(struct fb *f)
{
	fb_eth(f, NULL, 0, 0x8864);
	put8(f, 0x11);			/* version 1, type 1 */
	put8(f, 0);			/* session data */
	put16(f, 0x1234);		/* session */
	put16(f, 0);			/* length: not read */
	put16(f, 0x0021);
}

/* QinQ 1.2 outside, VXLAN 5, Ethernet on VLAN 3, GRE bridging VLAN 4, IP in IP. */
static void tun_nested(struct fb *f)
{
	static const uint16_t qinq[] = { 0x88a8, 0x8100 }, v4[] = { 4 };

	fb_init(f);
	put(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	put16(f, qinq[0]);
	put16(f, 1);
	put16(f, qinq[1]);
	put16(f, 2);
	put16(f, ETH_IP6);
	fb_oip6(f, PROTO_UDP);
	fb_udp(f, 4789);
	fb_vxlan(f, 5);
	fb_eth_vid(f, v3, 1, ETH_IP);
	fb_oip4(f, PROTO_GRE);
	fb_gre(f, 0, 0x6558);
	fb_eth_vid(f, v4, 1, ETH_IP);
	fb_oip4(f, PROTO_IPIP);
}

static const struct tun_case {
	const char *what;
	void (*build)(struct fb *f);
	int lt, af;
	unsigned int tunnels;
	int nvlan;
	uint16_t vlan[4];
	int has_vni;
	uint32_t vni;
} tun_cases[] = {
	{ "vxlan", tun_vxlan, DLT_EN10MB, 4, TUN(VXLAN), 2, { 10, 42 }, 1, 100 },
	{ "vxlan 8472 over v6", tun_vxlan_linux6, DLT_EN10MB, 6, TUN(VXLAN), 0, { 0 }, 1, 0xabcdef },
	{ "geneve, 3 option words", tun_geneve, DLT_EN10MB, 4, TUN(GENEVE), 0, { 0 }, 1, 7 },
	{ "geneve, IPv6 inside", tun_geneve_ip6, DLT_EN10MB, 6, TUN(GENEVE), 0, { 0 }, 1, 8 },
	{ "gre", tun_gre, DLT_EN10MB, 4, TUN(GRE), 0, { 0 }, 0, 0 },
	{ "gre C K S", tun_gre_cks, DLT_EN10MB, 6, TUN(GRE), 0, { 0 }, 0, 0 },
	{ "gre bridging over v6", tun_gre_teb, DLT_EN10MB, 4, TUN(GRE), 1, { 3 }, 0, 0 },
	{ "erspan I", tun_erspan1, DLT_EN10MB, 4, TUN(GRE) | TUN(ERSPAN), 0, { 0 }, 0, 0 },
	{ "erspan II", tun_erspan2, DLT_EN10MB, 4, TUN(GRE) | TUN(ERSPAN), 0, { 0 }, 0, 0 },
	{ "erspan III", tun_erspan3, DLT_EN10MB, 6, TUN(GRE) | TUN(ERSPAN), 0, { 0 }, 0, 0 },
	{ "erspan III + subheader", tun_erspan3_o, DLT_EN10MB, 6, TUN(GRE) | TUN(ERSPAN), 0,
	  { 0 }, 0, 0 },
	{ "mpls", tun_mpls, DLT_EN10MB, 4, TUN(MPLS), 0, { 0 }, 0, 0 },
	{ "mpls multicast on SLL", tun_mpls_sll, DLT_LINUX_SLL, 6, TUN(MPLS), 0, { 0 }, 0, 0 },
	{ "mpls ethernet pseudowire", tun_mpls_pw, DLT_EN10MB, 6, TUN(MPLS), 1, { 30 }, 0, 0 },
	{ "mpls in gre", tun_gre_mpls, DLT_EN10MB, 4, TUN(GRE) | TUN(MPLS), 0, { 0 }, 0, 0 },
	{ "4in4", tun_4in4, DLT_EN10MB, 4, TUN(IP_IN_IP), 0, { 0 }, 0, 0 },
	{ "6in4", tun_6in4, DLT_EN10MB, 6, TUN(IP_IN_IP), 0, { 0 }, 0, 0 },
	{ "4in6", tun_4in6, DLT_EN10MB, 4, TUN(IP_IN_IP), 0, { 0 }, 0, 0 },
	{ "6in6", tun_6in6, DLT_EN10MB, 6, TUN(IP_IN_IP), 0, { 0 }, 0, 0 },
	{ "6in4 on a raw link", tun_raw_6in4, DLT_RAW, 6, TUN(IP_IN_IP), 0, { 0 }, 0, 0 },
	{ "6in6 after hop-by-hop", tun_6in6_ext, DLT_EN10MB, 6, TUN(IP_IN_IP), 0, { 0 }, 0, 0 },
	{ "wccp v2 in gre", tun_gre_wccp, DLT_EN10MB, 4, TUN(GRE), 0, { 0 }, 0, 0 },
	{ "ppp", lnk_ppp, 9, 4, 0, 0, { 0 }, 0, 0 },
	{ "ppp, compressed protocol", lnk_ppp_pfc, 9, 6, 0, 0, { 0 }, 0, 0 },
	{ "ppp hdlc", lnk_ppp, 50, 4, 0, 0, { 0 }, 0, 0 },
	{ "ppp with direction", lnk_ppp_dir, 204, 4, 0, 0, { 0 }, 0, 0 },
	{ "ppp mpls", lnk_ppp_mpls, 9, 4, TUN(MPLS), 0, { 0 }, 0, 0 },
	{ "pppoe", lnk_pppoe, DLT_EN10MB, 4, 0, 0, { 0 }, 0, 0 },
	{ "cisco hdlc", lnk_chdlc, 104, 4, 0, 0, { 0 }, 0, 0 },
	{ "nested", tun_nested, DLT_EN10MB, 4, TUN(VXLAN) | TUN(GRE) | TUN(IP_IN_IP), 4,
	  { 1, 2, 3, 4 }, 1, 5 },
};

static void tun_build(struct fb *f, const struct tun_case *c)
{
	fb_init(f);
	c->build(f);
	fb_inner(f, c->af);
}

/* What every tunnel case decodes to: the inner segment, the path there. */
static void check_tun(const struct tun_case *c, const struct tcp_seg *s, uint32_t payload)
{
	check_seg(c->what, s, c->af, TCPF_ACK, payload);
	check_opts(c->what, s, 1, 0, 0, 0, 0);
	CHECK(s->tunnels == c->tunnels, "%s: tunnels %#x, want %#x", c->what, s->tunnels,
	      c->tunnels);
	CHECK(s->nvlan == c->nvlan, "%s: nvlan %u", c->what, s->nvlan);
	for (int k = 0; k < s->nvlan && k < c->nvlan; k++)
		CHECK(s->vlan[k] == c->vlan[k], "%s: vlan[%d] %u", c->what, k, s->vlan[k]);
	CHECK(s->has_vni == c->has_vni && (!c->has_vni || s->vni == c->vni),
	      "%s: has_vni %u vni %u", c->what, s->has_vni, s->vni);
	CHECK(!s->ip_trimmed, "%s: trimmed", c->what);
}

static void test_tunnels(void)
{
	struct tcp_seg s;
	struct fb f;
	uint32_t cap;

	for (size_t i = 0; i < sizeof(tun_cases) / sizeof(tun_cases[0]); i++) {
		const struct tun_case *c = &tun_cases[i];
		enum pkt_status st;

		tun_build(&f, c);
		CHECK(dec(c->lt, &f, &s) == PKT_TCP, "%s: status", c->what);
		check_tun(c, &s, 1000);
		/* Every snaplen that cuts a header: never TCP, never a lie. */
		for (cap = 0; cap < f.tcp_at + 20; cap++) {
			st = dec_n(c->lt, &f, cap, &s);
			CHECK(st == PKT_TRUNCATED || st == PKT_OTHER, "%s: cut at %u: status %d",
			      c->what, cap, st);
		}
		st = dec_n(c->lt, &f, f.tcp_at + 20, &s);
		CHECK(st == PKT_TCP, "%s: cut after TCP's 20 bytes: %d", c->what, st);
		if (st == PKT_TCP)
			check_seg(c->what, &s, c->af, TCPF_ACK, 1000);
	}
	/* A cut inside each kind of tunnel header is a cut, not another protocol. */
	tun_build(&f, &tun_cases[0]);
	CHECK(dec_n(DLT_EN10MB, &f, 18 + 20 + 8 + 4, &s) == PKT_TRUNCATED, "cut in VXLAN");
	tun_build(&f, &tun_cases[2]);
	CHECK(dec_n(DLT_EN10MB, &f, 14 + 20 + 8 + 12, &s) == PKT_TRUNCATED, "cut in Geneve options");
	tun_build(&f, &tun_cases[5]);
	CHECK(dec_n(DLT_EN10MB, &f, 14 + 20 + 10, &s) == PKT_TRUNCATED, "cut in GRE key");
	tun_build(&f, &tun_cases[10]);
	CHECK(dec_n(DLT_EN10MB, &f, 14 + 20 + 8 + 16, &s) == PKT_TRUNCATED,
	      "cut in ERSPAN subheader");
	tun_build(&f, &tun_cases[13]);
	CHECK(dec_n(DLT_EN10MB, &f, 14 + 6, &s) == PKT_TRUNCATED, "cut in MPLS stack");
	/* Cut before UDP's port: nothing says it is a tunnel. */
	CHECK(dec_n(DLT_EN10MB, &f, 0, &s) == PKT_TRUNCATED, "empty");
	tun_build(&f, &tun_cases[0]);
	CHECK(dec_n(DLT_EN10MB, &f, 18 + 20 + 2, &s) == PKT_OTHER, "cut in UDP's ports");
}

/* @n levels of IP in IP, or of GRE: PKT_MAX_DEPTH decode, one more does not. */
static void test_tunnel_depth(void)
{
	struct tcp_seg s;
	struct fb f;

	for (int gre = 0; gre < 2; gre++) {
		for (int n = PKT_MAX_DEPTH; n <= PKT_MAX_DEPTH + 1; n++) {
			fb_init(&f);
			fb_eth(&f, NULL, 0, ETH_IP);
			for (int k = 0; k < n; k++) {
				fb_oip4(&f, gre ? PROTO_GRE : PROTO_IPIP);
				if (gre)
					fb_gre(&f, 0, ETH_IP);
			}
			fb_inner(&f, 4);
			CHECK(dec(DLT_EN10MB, &f, &s) == (n == PKT_MAX_DEPTH ? PKT_TCP : PKT_OTHER),
			      "%s x%d", gre ? "gre" : "ipip", n);
		}
	}
	/* MPLS: 16 labels to the bottom of the stack, not 17. */
	for (int n = 16; n <= 17; n++) {
		fb_init(&f);
		fb_eth(&f, NULL, 0, 0x8847);
		fb_mpls(&f, n);
		fb_inner(&f, 4);
		CHECK(dec(DLT_EN10MB, &f, &s) == (n == 16 ? PKT_TCP : PKT_OTHER), "%d labels", n);
	}
}

/* Lengths that lie, at each layer of a tunnel. */
static void test_tunnel_lying_lengths(void)
{
	const struct tun_case *vx = &tun_cases[0], *gen = &tun_cases[2], *v6 = &tun_cases[18];
	const uint32_t oip = 18, udp = 18 + 20, iip = 18 + 20 + 8 + 8 + 18;
	struct tcp_seg s;
	struct fb f;

	/* Outer IPv4 longer than the frame: cut to it; the inner segment is whole. */
	tun_build(&f, vx);
	set16(&f, oip + 2, 9000);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "outer length > frame");
	check_seg("outer > frame", &s, 4, TCPF_ACK, 1000);
	/* Outer shorter than what it carries: the inner holds 100 bytes less. */
	tun_build(&f, vx);
	set16(&f, oip + 2, f.wire - oip - 100);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "outer length cuts inner");
	check_seg("outer cuts inner", &s, 4, TCPF_ACK, 900);
	/* ... or cannot hold the inner headers at all. */
	set16(&f, oip + 2, iip - oip + 30);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "outer length inside inner headers");
	set16(&f, oip + 2, 12);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "outer length < its header");

	/* UDP: below its and VXLAN's header, short of the inner, 0, or too long. */
	tun_build(&f, vx);
	set16(&f, udp + 4, 12);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "UDP length 12");
	set16(&f, udp + 4, f.wire - udp - 50);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "UDP length cuts inner");
	check_seg("udp cuts inner", &s, 4, TCPF_ACK, 950);
	set16(&f, udp + 4, 0);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && !s.ip_trimmed, "UDP length 0");
	check_seg("udp 0", &s, 4, TCPF_ACK, 1000);
	set16(&f, udp + 4, 60000);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && !s.ip_trimmed, "UDP length > packet");
	check_seg("udp long", &s, 4, TCPF_ACK, 1000);

	/* Geneve options longer than the capture, or than the UDP datagram. */
	tun_build(&f, gen);
	f.b[14 + 20 + 8] = 63;
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TRUNCATED, "Geneve options beyond capture");
	set16(&f, 14 + 20 + 4, 8 + 8 + 40);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "Geneve options beyond UDP length");
	f.b[14 + 20 + 8] = 0x43;	/* version 1 */
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "Geneve version 1");

	/* The inner IP's own length, beyond what the tunnel holds. */
	tun_build(&f, vx);
	set16(&f, iip + 2, 1500);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "inner length > tunnel");
	check_seg("inner > tunnel", &s, 4, TCPF_ACK, 1000);
	set16(&f, iip + 2, 30);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "inner length 30");

	/* IPv6 underlay and inner: payload lengths beyond the frame, and short. */
	tun_build(&f, v6);
	set16(&f, 14 + 4, 9000);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "outer v6 length > frame");
	check_seg("outer v6 > frame", &s, 6, TCPF_ACK, 1000);
	set16(&f, 14 + 4, f.wire - 14 - 40 - 10);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "outer v6 cuts inner");
	check_seg("outer v6 cuts inner", &s, 6, TCPF_ACK, 990);
	tun_build(&f, v6);
	set16(&f, 14 + 40 + 4, 2000);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_TCP && s.ip_trimmed, "inner v6 > tunnel");
	check_seg("inner v6 > tunnel", &s, 6, TCPF_ACK, 1000);
	set16(&f, 14 + 40 + 4, 10);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_MALFORMED, "inner v6 length 10");
}

/* Headers that are not ours to follow, or not what they say. */
static void test_tunnel_not_ours(void)
{
	const uint32_t gre = 14 + 20;
	struct tcp_seg s;
	struct fb f;

	tun_build(&f, &tun_cases[4]);
	set16(&f, gre, 0x0001);		/* version 1: PPTP */
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "GRE version 1");
	set16(&f, gre, 0x4000);		/* RFC 1701 routing */
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "GRE routing");
	set16(&f, gre, 0);
	set16(&f, gre + 2, 0x0806);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "GRE carrying ARP");

	tun_build(&f, &tun_cases[8]);
	f.b[gre + 8] = 0x20;		/* ERSPAN II header saying version 2 */
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "ERSPAN II, version 2");
	tun_build(&f, &tun_cases[9]);
	f.b[gre + 8 + 10] = 2 << 2;	/* frame type 2: IP */
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "ERSPAN III, frame type IP");

	tun_build(&f, &tun_cases[11]);
	f.b[14 + 8] = 0x10;		/* after the stack: nibble 1, an associated channel */
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "MPLS, nibble 1");

	/* Outer fragments: the inner packet's share is unknown. */
	tun_build(&f, &tun_cases[15]);
	set16(&f, 14 + 6, 0x2000);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "outer v4 MF");
	fb_init(&f);
	fb_eth(&f, NULL, 0, ETH_IP6);
	fb_oip6(&f, 44);
	fb_ext6(&f, 44, PROTO_IPIP, 0x0001);
	fb_inner(&f, 4);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "outer v6 fragment");

	/* UDP to another port, and a ninth tunnel of mixed kinds. */
	tun_build(&f, &tun_cases[0]);
	set16(&f, 18 + 20 + 2, 4790);
	CHECK(dec(DLT_EN10MB, &f, &s) == PKT_OTHER, "UDP 4790");
}

static void test_bad_link(void)
{
	static const int lts[] = { 105 /* 802.11 */, 127, -1, 1000 };
	struct tcp_seg s;
	struct fb f;
	size_t i;

	fb_std(&f, DLT_EN10MB, 4, opt_ts, sizeof(opt_ts), 0);
	for (i = 0; i < sizeof(lts) / sizeof(lts[0]); i++)
		CHECK(dec(lts[i], &f, &s) == PKT_BAD_LINK, "link %d", lts[i]);
}


/*
 * Random bytes under every link type, and valid frames with a few bytes
 * flipped (random bytes alone hardly ever reach TCP). The frame sits at the
 * end of a heap block, so the ASan build sees any read past caplen.
 */
static void test_random_frames(void)
{
	static const int lts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, 12, 14,
				   101, DLT_IPV4, DLT_IPV6, DLT_NULL, 108, 9, 50, 104, 204, 105 };
	const size_t nlt = sizeof(lts) / sizeof(lts[0]);
	uint8_t *blk = malloc(256), *p;
	unsigned long counts[PKT_BAD_LINK + 1] = { 0 };
	struct tcp_seg s;
	struct fb f;
	uint32_t len, wire, i, k;
	enum pkt_status st;
	size_t li, lo, hi;
	int iter;

	for (iter = 0; iter < 200000; iter++) {
		int mutate = iter & 1;

		li = unit_rng() % nlt;
		if (mutate) {
			int syn = unit_rng() & 1;

			fb_std(&f, lts[li], unit_rng() & 1 ? 4 : 6, syn ? opt_syn : opt_ts,
			       syn ? sizeof(opt_syn) : sizeof(opt_ts), unit_rng() % 2000);
			len = f.len - unit_rng() % 8;
			for (k = unit_rng() % 4; k > 0; k--)
				f.b[unit_rng() % len] = unit_rng();
		} else {
			len = unit_rng() % 201;
			for (i = 0; i < len; i++)
				f.b[i] = unit_rng();
			f.wire = len;
		}
		wire = (mutate ? f.wire : len) + unit_rng() % 64;
		p = blk + 256 - len;
		memcpy(p, f.b, len);
		/* A mutated frame under its own link type, random bytes under all. */
		lo = mutate ? li : 0;
		hi = mutate ? li + 1 : nlt;
		for (li = lo; li < hi; li++) {
			s.ts_ns = TS_NS;
			st = pkt_decode(lts[li], p, len, wire, &s);
			counts[st]++;
			if (st != PKT_TCP)
				continue;
			CHECK(s.payload_len <= wire, "iter %d: payload_len %u > wire %u",
			      iter, s.payload_len, wire);
			CHECK(s.nsack <= PKT_MAX_SACK, "iter %d: nsack %u", iter, s.nsack);
			CHECK(s.family == 4 || s.family == 6, "iter %d: family %u", iter,
			      s.family);
			CHECK(s.ts_ns == TS_NS, "iter %d: ts_ns touched", iter);
		}
	}
	free(blk);
	/* The property is only worth something if every outcome happened. */
	for (i = 0; i <= PKT_BAD_LINK; i++)
		CHECK(counts[i] > 100, "status %u seen %lu times", i, counts[i]);
}

int main(void)
{
	RUN(test_eth_ipv4_ts);
	RUN(test_dscp);
	RUN(test_syn_options);
	RUN(test_link_types);
	RUN(test_null_families);
	RUN(test_vlan_stacks);
	RUN(test_ipv4_options);
	RUN(test_ipv6_ext_headers);
	RUN(test_fragments);
	RUN(test_jumbo_and_zero_length);
	RUN(test_snaplen);
	RUN(test_sack_blocks);
	RUN(test_lying_lengths);
	RUN(test_bad_options);
	RUN(test_not_tcp);
	RUN(test_bad_link);
	RUN(test_tunnels);
	RUN(test_tunnel_depth);
	RUN(test_tunnel_lying_lengths);
	RUN(test_tunnel_not_ours);
	RUN(test_random_frames);
	return unit_done();
}
