// SPDX-License-Identifier: GPL-2.0
/*
 * pcapgen - write a capture from a scenario text, so `dropscope analyze` can
 * be tested against segments whose fate is known by construction.
 *
 *	pcapgen [-n] [-o OUT] [SCENARIO]	(stdin and stdout by default)
 *
 * One directive per line, `#` starts a comment:
 *	flow ADDR:PORT ADDR:PORT	side A, then side B (IPv4; may change)
 *	ip6 | raw | vlan ID | snaplen N | mss N		(before the first packet)
 *	  ip6: the flows' ports between 2001:2::1 (A) and 2001:2::2 (B)
 *	t SECONDS A>B|B>A FLAGS [KEY=VALUE...]
 *	hex SECONDS HEXBYTES...		a frame written as given
 *	clockstep			the next frame's time may be earlier than the
 *					last (a capture clock stepped back)
 * FLAGS: letters of SFRPAECU, or '.'.  Keys: seq= (required), ack= (with the
 * A flag only), len= (payload bytes), win=, ts=TSVAL:TSECR, sack=S-E[,S-E..],
 * opts=mss,sackok,ts,wsN (wire order, for SYNs), id= (IPv4 ID; by default
 * each side numbers its frames 0, 1, 2 ... in capture order, and a frame
 * with id= moves that count on only if it is newer: a late original keeps
 * its old ID), dscp= (the innermost IP header's DSCP, 0 to 63; default 0),
 * and to break a frame on purpose ihl=, doff= (lying header
 * lengths), iplen= (the flow's IPv4 total length or IPv6 payload length
 * written as this instead of the true one), snap= (cut this frame), and
 * encap=LAYER[/LAYER...] (this frame's encapsulation, instead of encap's).
 *	encap [LAYER...]		wrap the frames that follow in these
 *	  layers, outermost first (until the next encap; none without LAYER):
 *	  vlan:ID[.ID...]	tags on the Ethernet header before it (the link's,
 *				or a tunnel's inner one); in a stack all but the
 *				last are 802.1ad (0x88a8), the last 802.1Q
 *	  ip4 | ip6		an underlay IP header, A's end 203.0.113.1 or
 *				2001:db8:ffff::1, B's .2/::2; IP in IP (4in4,
 *				6in4, 4in6, 6in6) when an IP header follows
 *	  vxlan:VNI[:PORT]	UDP to 4789 (or PORT), VXLAN, inner Ethernet
 *	  geneve:VNI[:OPTBYTES]	UDP to 6081, Geneve with one option of OPTBYTES
 *				(4..128, a multiple of 4), inner Ethernet
 *	  gre[:key=K][:seq=S][:csum]	GRE (RFC 2784/2890) around what follows:
 *				IP, eth (0x6558) or mpls
 *	  eth			an inner Ethernet header (inside gre)
 *	  erspan1 | erspan2[:SESSION] | erspan3[:o]	GRE and ERSPAN type I
 *				(0x88be, no sequence number), II (0x88be, 8-byte
 *				header) or III (0x22eb, 12 bytes; :o adds the
 *				8-byte platform subheader), inner Ethernet
 *	  mpls:LABEL[.LABEL...][:pw]	a label stack, bottom of stack on the
 *				last; :pw: a zero control word and Ethernet
 * Everything else is right, checksums included.  -n writes pcapng; both
 * formats have nanosecond timestamps.  A bad line exits 2, naming it.
 *
 * pcapng with several interfaces (-n; what libpcap 1.10 refuses), each
 * written where it stands, so an interface may follow packets of others:
 *	interface LINK [snaplen=N] [tsresol=10^-N|2^-N] [tsoffset=SECONDS]
 *	  LINK: ethernet, raw or linux_sll; ids 0, 1 ... per section; without
 *	  tsresol= the IDB has no if_tsresol (microseconds), with tsoffset=
 *	  (may be negative) stamps are written relative to it
 *	on N			the following packets go out on interface N
 *	section [big|little]	a new Section Header Block (host order by
 *				default): its interfaces start again from 0
 *	block epb|spb|pb	the following packets as Enhanced, Simple (interface
 *				0, no stamp, cut to the snaplen) or obsolete Packet Blocks
 *	isb IFDROP		an Interface Statistics Block for the current interface
 *	custom			a Custom Block (PEN 32473), which readers skip
 * The first `interface` (or `section`) writes the section header; `raw`, `vlan`, `ip6`,
 * `mss` come before it.  A frame's link header is its interface's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINKTYPE_ETHERNET	1
#define LINKTYPE_RAW		101
#define LINKTYPE_LINUX_SLL	113
#define MAX_IFS			16
#define MAX_PAYLOAD		9000
#define HEADROOM		1024	/* for the encapsulation, built inside out */
#define MAX_FRAME		(MAX_PAYLOAD + 256 + HEADROOM)
#define MAX_LAYERS		16
#define MAX_IDS			8	/* VLAN IDs or MPLS labels in one layer */
#define DELIM			" \t\r\n"
#define TCP_ACK			0x10

enum { F_SEQ, F_ACK, F_LEN, F_WIN, F_SNAP, F_IHL, F_DOFF, F_ID, F_IPLEN, F_DSCP, NFIELDS };
static const struct {
	const char *name;
	uint64_t max;
	int64_t dflt;		/* -1: required (seq) or not given */
} fields[NFIELDS] = {
	[F_SEQ] = { "seq", UINT32_MAX, -1 },	[F_ACK] = { "ack", UINT32_MAX, -1 },
	[F_LEN] = { "len", MAX_PAYLOAD, 0 },	[F_WIN] = { "win", 65535, 64240 },
	[F_SNAP] = { "snap", MAX_FRAME, 0 },	[F_IHL] = { "ihl", 15, -1 },
	[F_DOFF] = { "doff", 15, -1 },	[F_ID] = { "id", 65535, -1 },
	[F_IPLEN] = { "iplen", 65535, -1 },	[F_DSCP] = { "dscp", 63, 0 },
};

enum layer_kind { LY_VLAN, LY_IP4, LY_IP6, LY_VXLAN, LY_GENEVE, LY_GRE, LY_ETH, LY_ERSPAN,
		  LY_MPLS };

struct layer {
	enum layer_kind kind;
	int n;				/* VLAN IDs or MPLS labels in id[] */
	uint32_t id[MAX_IDS];
	uint32_t arg;			/* VNI, ERSPAN type */
	uint32_t arg2;			/* VXLAN port, Geneve option bytes, ERSPAN session */
	int64_t key, seq;		/* GRE's, -1: none */
	int csum, pw, o;
};

struct encap {
	int n;
	struct layer l[MAX_LAYERS];
};

struct seg {
	int dir;			/* 0: A>B, 1: B>A */
	uint8_t flags;
	int64_t f[NFIELDS];
	int have_ts, nsack;
	uint32_t tsval, tsecr, sack[4][2];
	char *opts;
	struct encap *encap;		/* encap=, else the current encap's */
};

static struct {
	FILE *out;
	const char *out_path;		/* a regular file, removed on failure */
	unsigned int lineno;
	int pcapng, ip6, vlan, linktype, have_flow, header_done;
	uint32_t snaplen;		/* 0: frames are written whole */
	uint16_t mss, port[2], ipid[2];
	uint8_t addr[2][16];		/* [0] = A, [1] = B */
	uint64_t last_ns;
	int step_back;			/* clockstep: the next time may be earlier */
	struct encap encap;		/* of the frames that follow */
	uint16_t outer_id;		/* underlay IPv4 IDs */
	uint32_t erspan_seq;
	/* pcapng with `interface` lines: this section's interfaces, in order */
	int multi, swap, nifs, cur, blk;
	struct gif {
		int linktype;
		uint32_t snaplen;
		int have_tsresol;
		uint8_t tsresol;
		uint64_t units;		/* per second */
		int64_t tsoffset;	/* seconds */
	} ifs[MAX_IFS];
} G = { .vlan = -1, .linktype = LINKTYPE_ETHERNET, .mss = 1460 };

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int rc, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcapgen: ");
	if (G.lineno)
		fprintf(stderr, "line %u: ", G.lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (G.out_path)
		unlink(G.out_path);
	exit(rc);
}

/* Packet fields are big endian; file headers are in host order (see below). */
static void put16(uint8_t *p, uint32_t v) { p[0] = v >> 8, p[1] = v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16), put16(p + 2, v); }

static uint64_t parse_num(const char *s, uint64_t max, const char *what)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		die(2, "%s: '%s' is not a number", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);	/* no octal surprise from a leading 0 */
	if (*end || errno || v > max)
		die(2, "%s: '%s' is not a number in 0..%llu", what, s, (unsigned long long)max);
	return v;
}

/* SECONDS[.FRACTION] of the next token, exactly (no floating point), in order. */
static uint64_t next_time(char **save)
{
	char *s = strtok_r(NULL, DELIM, save), *p = s;
	uint64_t sec = 0, frac = 0, ns;
	int digits = 0;

	if (!s)
		die(2, "missing time");
	for (; *p >= '0' && *p <= '9' && sec < 4000000000u; p++)
		sec = sec * 10 + (*p - '0');
	if (*p == '.' && p > s)
		for (p++; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
			frac = frac * 10 + (*p - '0');
	if (*p || p == s)
		die(2, "time '%s': want SECONDS[.FRACTION], up to 9 decimals", s);
	if (sec > UINT32_MAX)
		die(2, "time '%s': pcap's seconds are 32 bits (the year 2106 at most)", s);
	for (; digits < 9; digits++)
		frac *= 10;
	ns = sec * 1000000000u + frac;
	if (ns < G.last_ns && !G.step_back)
		die(2, "time %s goes backwards (a 'clockstep' line before it allows that)", s);
	G.step_back = 0;
	return G.last_ns = ns;
}

static void parse_endpoint(char *s, int idx)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		die(2, "endpoint '%s': want IPV4ADDR:PORT", s);
	*colon = 0;
	if (inet_pton(AF_INET, s, G.addr[idx]) != 1)
		die(2, "endpoint: bad IPv4 address '%s'", s);
	G.port[idx] = parse_num(colon + 1, 65535, "port");
}

static void write_out(const void *p, size_t n)
{
	if (fwrite(p, 1, n, G.out) != n)
		die(1, "write: %s", strerror(errno));
}

/* Header fields go in host byte order (or swapped: `section big`); the magic tells readers which. */
static void write_u16(uint16_t v) { v = G.swap ? __builtin_bswap16(v) : v; write_out(&v, 2); }
static void write_u32(uint32_t v) { v = G.swap ? __builtin_bswap32(v) : v; write_out(&v, 4); }
static void write_u64(uint64_t v) { v = G.swap ? __builtin_bswap64(v) : v; write_out(&v, 8); }
static void write_ng_packet(uint64_t ns, const uint8_t *f, uint32_t len, uint32_t snap);

static void write_header(void)
{
	uint32_t snap = G.snaplen ? G.snaplen : 262144;
	static const uint8_t tsresol_ns[4] = { 9 };	/* value 9, 3 bytes padding */

	if (G.pcapng) {
		/* SHB: byte-order magic, version 1.0, section length -1 (unknown) */
		write_u32(0x0a0d0d0a), write_u32(28), write_u32(0x1a2b3c4d);
		write_u16(1), write_u16(0), write_u32(~0u), write_u32(~0u), write_u32(28);
		/* IDB: linktype, snaplen, if_tsresol (code 9, 1 byte) = 9, end */
		write_u32(1), write_u32(32), write_u16(G.linktype), write_u16(0);
		write_u32(snap), write_u16(9), write_u16(1);
		write_out(tsresol_ns, 4);
		write_u32(0), write_u32(32);
	} else {
		/* 0xa1b23c4d: nanosecond timestamps; version 2.4 */
		write_u32(0xa1b23c4d), write_u16(2), write_u16(4);
		write_u32(0), write_u32(0), write_u32(snap), write_u32(G.linktype);
	}
	G.header_done = 1;
}

static void write_frame(uint64_t ns, const uint8_t *f, uint32_t len, uint32_t snap)
{
	static const uint8_t pad[4];
	uint32_t cap = snap && snap < len ? snap : len;
	uint32_t padded = (cap + 3) & ~3u;

	if (G.multi) {
		write_ng_packet(ns, f, len, snap);
		return;
	}
	if (!G.header_done)
		write_header();
	if (G.pcapng) {
		/* EPB on interface 0; timestamp in if_tsresol units, high word first */
		write_u32(6), write_u32(32 + padded), write_u32(0);
		write_u32(ns >> 32), write_u32((uint32_t)ns), write_u32(cap), write_u32(len);
		write_out(f, cap);
		write_out(pad, padded - cap);
		write_u32(32 + padded);
	} else {
		write_u32(ns / 1000000000u), write_u32(ns % 1000000000u);
		write_u32(cap), write_u32(len);
		write_out(f, cap);
	}
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static size_t put_ts(uint8_t *o, size_t n, const struct seg *s, int nops)
{
	if (nops)
		o[n++] = 1, o[n++] = 1;
	o[n] = 8, o[n + 1] = 10;
	put32(o + n + 2, s->tsval);
	put32(o + n + 6, s->tsecr);
	return n + 10;
}

/* TCP options in the order given, aligned with NOPs the way Linux does. */
static size_t build_options(const struct seg *s, uint8_t *o)
{
	size_t n = 0;
	int ts_done = 0, then_ts, i;
	char *item, *save = NULL;

	for (item = s->opts ? strtok_r(s->opts, ",", &save) : NULL; item;
	     item = strtok_r(NULL, ",", &save)) {
		if (n > 28)
			die(2, "opts: more than 40 bytes of TCP options");
		if (!strcmp(item, "mss")) {
			o[n] = 2, o[n + 1] = 4;
			put16(o + n + 2, G.mss);
			n += 4;
		} else if (!strcmp(item, "sackok")) {
			/* right before TS it takes the place of TS's two NOPs */
			then_ts = !strncmp(save, "ts", 2) && (!save[2] || save[2] == ',');
			if (!then_ts)
				o[n++] = 1, o[n++] = 1;
			o[n++] = 4, o[n++] = 2;
			if (then_ts) {
				n = put_ts(o, n, s, 0);
				ts_done = 1;
				strtok_r(NULL, ",", &save);
			}
		} else if (!strcmp(item, "ts")) {
			n = put_ts(o, n, s, 1);
			ts_done = 1;
		} else if (!strncmp(item, "ws", 2) && item[2]) {
			o[n] = 1, o[n + 1] = 3, o[n + 2] = 3;
			o[n + 3] = parse_num(item + 2, 14, "opts ws");
			n += 4;
		} else {
			die(2, "opts: unknown option '%s' (mss, sackok, ts, wsN)", item);
		}
	}
	if (s->have_ts && !ts_done)
		n = put_ts(o, n, s, 1);
	if (s->nsack) {
		if (n + 4 + 8 * s->nsack > 40)
			die(2, "%d SACK blocks do not fit beside the other options", s->nsack);
		o[n] = 1, o[n + 1] = 1, o[n + 2] = 5, o[n + 3] = 2 + 8 * s->nsack;
		for (i = 0, n += 4; i < s->nsack; i++, n += 8) {
			put32(o + n, s->sack[i][0]);
			put32(o + n + 4, s->sack[i][1]);
		}
	}
	if (n > 40)
		die(2, "more than 40 bytes of TCP options");
	return n;
}

static uint8_t frame[MAX_FRAME];

/*
 * Encapsulation, built from the inside out: each layer is put in front of
 * what it carries (the frame starts at *p, n bytes long), knowing what that
 * is, and says what it is itself.
 */
enum carried { C_IP4, C_IP6, C_ETH, C_MPLS, C_GRE, C_UDP };

struct wrap {
	uint8_t *p;
	size_t n;
	enum carried in;
	int dir;
	uint16_t tags[2 * MAX_IDS];	/* for the next Ethernet header out */
	int ntags;
};

static uint8_t *prepend(struct wrap *w, size_t len)
{
	if ((size_t)(w->p - frame) < len)
		die(2, "encap: more than %d bytes of headers", HEADROOM);
	w->p -= len;
	w->n += len;
	memset(w->p, 0, len);
	return w->p;
}

static uint16_t ethertype_of(enum carried c, const char *what)
{
	switch (c) {
	case C_IP4:
		return 0x0800;
	case C_IP6:
		return 0x86dd;
	case C_MPLS:
		return 0x8847;
	default:
		die(2, "encap: %s cannot carry that", what);
	}
}

/*
 * Ethernet with the pending tags: 802.1ad outside, 802.1Q last. Inner MACs
 * 02:00:ff:ff:01:0X: behind a zero pseudowire control word, Wireshark's
 * guess (two known vendors' MACs mean no control word) then finds none.
 */
/* The sides' link addresses: A, B. */
static const uint8_t mac[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };

static void put_eth(struct wrap *w, int link)
{
	static const uint8_t imac[2][6] = { { 2, 0, 0xff, 0xff, 1, 1 }, { 2, 0, 0xff, 0xff, 1, 2 } };
	uint8_t *h;
	int i;

	put16(prepend(w, 2), ethertype_of(w->in, "Ethernet"));
	for (i = w->ntags - 1; i >= 0; i--) {
		h = prepend(w, 4);
		put16(h, i == w->ntags - 1 ? 0x8100 : 0x88a8);
		put16(h + 2, w->tags[i]);
	}
	h = prepend(w, 12);
	memcpy(h, link ? mac[!w->dir] : imac[!w->dir], 6);
	memcpy(h + 6, link ? mac[w->dir] : imac[w->dir], 6);
	w->ntags = 0;
	w->in = C_ETH;
}

/* The underlay: A's end .1, B's .2, whichever way the frame goes. */
static void put_ip(struct wrap *w, int v6)
{
	static const uint8_t proto[] = { [C_IP4] = 4, [C_IP6] = 41, [C_GRE] = 47, [C_UDP] = 17 };
	uint8_t src[16] = { 0 }, dst[16] = { 0 }, pseudo[40] = { 0 }, *h;
	size_t alen = v6 ? 16 : 4, plen = w->n;

	if (w->in == C_ETH || w->in == C_MPLS)
		die(2, "encap: ip4/ip6 cannot carry Ethernet or MPLS here");
	if (v6) {
		inet_pton(AF_INET6, w->dir ? "2001:db8:ffff::2" : "2001:db8:ffff::1", src);
		inet_pton(AF_INET6, w->dir ? "2001:db8:ffff::1" : "2001:db8:ffff::2", dst);
	} else {
		inet_pton(AF_INET, w->dir ? "203.0.113.2" : "203.0.113.1", src);
		inet_pton(AF_INET, w->dir ? "203.0.113.1" : "203.0.113.2", dst);
	}
	if (w->in == C_UDP) {
		memcpy(pseudo, src, alen);
		memcpy(pseudo + alen, dst, alen);
		if (v6)
			put32(pseudo + 32, plen), pseudo[39] = 17;
		else
			pseudo[9] = 17, put16(pseudo + 10, plen);
		put16(w->p + 6, csum_fold(csum_add(csum_add(0, pseudo, v6 ? 40 : 12), w->p, plen)));
	}
	if (v6) {
		h = prepend(w, 40);
		put32(h, 0x60000000);
		put16(h + 4, plen);
		h[6] = proto[w->in];
		h[7] = 64;
		memcpy(h + 8, src, 16);
		memcpy(h + 24, dst, 16);
		w->in = C_IP6;
		return;
	}
	h = prepend(w, 20);
	h[0] = 0x45;
	put16(h + 2, 20 + plen);
	put16(h + 4, G.outer_id++);
	put16(h + 6, 0x4000);		/* DF */
	h[8] = 64;
	h[9] = proto[w->in];
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	put16(h + 10, csum_fold(csum_add(0, h, 20)));
	w->in = C_IP4;
}

static void put_udp(struct wrap *w, uint16_t dport)
{
	uint8_t *h = prepend(w, 8);

	put16(h, 49152 + w->dir);	/* a VTEP's flow-hash source port */
	put16(h + 2, dport);
	put16(h + 4, w->n);
	w->in = C_UDP;			/* checksum: put_ip() */
}

static void put_gre(struct wrap *w, const struct layer *l, uint16_t proto, int64_t seq)
{
	size_t len = 4 + (l->csum ? 4 : 0) + (l->key >= 0 ? 4 : 0) + (seq >= 0 ? 4 : 0);
	uint8_t *h = prepend(w, len), *o = h + 4;

	put16(h, (l->csum ? 0x8000 : 0) | (l->key >= 0 ? 0x2000 : 0) | (seq >= 0 ? 0x1000 : 0));
	put16(h + 2, proto);
	if (l->csum)
		o += 4;			/* checksum and reserved1, filled below */
	if (l->key >= 0)
		put32(o, l->key), o += 4;
	if (seq >= 0)
		put32(o, seq);
	if (l->csum)
		put16(h + 4, csum_fold(csum_add(0, h, w->n)));
	w->in = C_GRE;
}

/* ERSPAN type I, II or III and the GRE header it travels in. */
static void put_erspan(struct wrap *w, const struct layer *l)
{
	struct layer gre = { .key = -1 };
	uint8_t *h;

	put_eth(w, 0);
	if (l->arg == 2) {
		h = prepend(w, 8);
		put16(h, 0x1000);		/* version 1, VLAN 0 */
		put16(h + 2, l->arg2 & 0x3ff);	/* COS 0, En 0, T 0, session */
	} else if (l->arg == 3) {
		if (l->o)
			prepend(w, 8);		/* platform-specific subheader, zeros */
		h = prepend(w, 12);
		put16(h, 0x2000);		/* version 2, VLAN 0 */
		put16(h + 2, l->arg2 & 0x3ff);
		put32(h + 4, G.erspan_seq * 100);	/* timestamp */
		h[11] = l->o;			/* FT 0: Ethernet; O */
	}
	put_gre(w, &gre, l->arg == 3 ? 0x22eb : 0x88be, l->arg == 1 ? -1 : (int64_t)G.erspan_seq++);
}

static void put_layer(struct wrap *w, const struct layer *l)
{
	uint8_t *h;
	int i;

	switch (l->kind) {
	case LY_VLAN:
		if (w->ntags + l->n > 2 * MAX_IDS)
			die(2, "encap: too many VLAN tags on one Ethernet header");
		memmove(w->tags + l->n, w->tags, w->ntags * sizeof(w->tags[0]));
		for (i = 0; i < l->n; i++)
			w->tags[i] = l->id[i];
		w->ntags += l->n;
		break;
	case LY_IP4:
	case LY_IP6:
		put_ip(w, l->kind == LY_IP6);
		break;
	case LY_VXLAN:
	case LY_GENEVE:
		put_eth(w, 0);
		if (l->kind == LY_GENEVE && l->arg2) {
			h = prepend(w, l->arg2);
			put16(h, 0xffff);		/* experimental option class */
			h[2] = 1;
			h[3] = (l->arg2 - 4) / 4;
		}
		h = prepend(w, 8);
		if (l->kind == LY_VXLAN) {
			h[0] = 0x08;			/* I: the VNI is valid */
		} else {
			h[0] = l->arg2 / 4;		/* version 0, option words */
			put16(h + 2, 0x6558);
		}
		put32(h + 4, l->arg << 8);
		put_udp(w, l->kind == LY_GENEVE ? 6081 : l->arg2 ? l->arg2 : 4789);
		break;
	case LY_GRE:
		put_gre(w, l, w->in == C_ETH ? 0x6558 : ethertype_of(w->in, "gre"), l->seq);
		break;
	case LY_ETH:
		put_eth(w, 0);
		break;
	case LY_ERSPAN:
		put_erspan(w, l);
		break;
	case LY_MPLS:
		if (l->pw) {
			put_eth(w, 0);
			prepend(w, 4);			/* control word: all zero */
		} else if (w->in != C_IP4 && w->in != C_IP6) {
			die(2, "encap: mpls carries IP, or Ethernet with :pw");
		}
		for (i = l->n - 1; i >= 0; i--)
			put32(prepend(w, 4), l->id[i] << 12 | (i == l->n - 1) << 8 | 64);
		w->in = C_MPLS;
		break;
	}
}

/*
 * The frame's headers outside its IP packet (at *@p, *@n bytes): the
 * encapsulation, then the link's Ethernet header.
 */
static void encapsulate(uint8_t **p, size_t *n, const struct seg *s)
{
	const struct encap *e = s->encap ? s->encap : &G.encap;
	struct wrap w = { .p = *p, .n = *n, .in = G.ip6 ? C_IP6 : C_IP4, .dir = s->dir };
	int i;

	for (i = e->n - 1; i >= 0; i--)
		put_layer(&w, &e->l[i]);
	if (G.linktype == LINKTYPE_ETHERNET) {
		if (G.vlan >= 0) {
			memmove(w.tags + 1, w.tags, w.ntags * sizeof(w.tags[0]));
			w.tags[0] = G.vlan;
			w.ntags++;
		}
		put_eth(&w, 1);
	} else if (G.linktype == LINKTYPE_LINUX_SLL && !w.ntags) {
		/* packet type (0: to us, 4: outgoing), ARPHRD_ETHER, 6-byte address */
		uint8_t *h = prepend(&w, 16);

		memset(h, 0, 16);
		put16(h, s->dir ? 0 : 4);
		put16(h + 2, 1);
		put16(h + 4, 6);
		memcpy(h + 6, mac[s->dir], 6);
		put16(h + 14, ethertype_of(w.in, "Linux cooked"));
	} else if (w.ntags || (w.in != C_IP4 && w.in != C_IP6)) {
		die(2, "encap: a raw capture starts with an IP header");
	}
	*p = w.p;
	*n = w.n;
}

static uint32_t parse_ids(char *v, struct layer *l, uint32_t max, const char *what)
{
	char *id, *save = NULL;

	for (id = strtok_r(v, ".", &save); id; id = strtok_r(NULL, ".", &save)) {
		if (l->n == MAX_IDS)
			die(2, "%s: at most %d", what, MAX_IDS);
		l->id[l->n++] = parse_num(id, max, what);
	}
	if (!l->n)
		die(2, "%s: want ID[.ID...]", what);
	return l->n;
}

/* One LAYER (see the top of the file) into @l. */
static void parse_layer(char *tok, struct layer *l)
{
	char *name = tok, *arg = strchr(tok, ':'), *a2 = NULL, *opt, *save = NULL;

	memset(l, 0, sizeof(*l));
	l->key = l->seq = -1;
	if (arg) {
		*arg++ = 0;
		if ((a2 = strchr(arg, ':')))
			*a2++ = 0;
	}
	if (!strcmp(name, "vlan") && arg && !a2) {
		l->kind = LY_VLAN;
		parse_ids(arg, l, 4095, "vlan");
	} else if ((!strcmp(name, "ip4") || !strcmp(name, "ip6")) && !arg) {
		l->kind = name[2] == '6' ? LY_IP6 : LY_IP4;
	} else if (!strcmp(name, "eth") && !arg) {
		l->kind = LY_ETH;
	} else if ((!strcmp(name, "vxlan") || !strcmp(name, "geneve")) && arg) {
		l->kind = name[0] == 'v' ? LY_VXLAN : LY_GENEVE;
		l->arg = parse_num(arg, 0xffffff, "vni");
		if (a2)
			l->arg2 = parse_num(a2, l->kind == LY_VXLAN ? 65535 : 128,
					    l->kind == LY_VXLAN ? "vxlan port" : "geneve option bytes");
		if (l->kind == LY_GENEVE && a2 && (l->arg2 < 4 || l->arg2 % 4))
			die(2, "geneve option bytes: 4..128, a multiple of 4");
	} else if (!strcmp(name, "gre")) {
		l->kind = LY_GRE;
		if (a2)
			a2[-1] = ':';
		for (opt = arg ? strtok_r(arg, ":", &save) : NULL; opt;
		     opt = strtok_r(NULL, ":", &save)) {
			if (!strncmp(opt, "key=", 4))
				l->key = parse_num(opt + 4, UINT32_MAX, "gre key");
			else if (!strncmp(opt, "seq=", 4))
				l->seq = parse_num(opt + 4, UINT32_MAX, "gre seq");
			else if (!strcmp(opt, "csum"))
				l->csum = 1;
			else
				die(2, "gre: '%s': want key=K, seq=S or csum", opt);
		}
	} else if (!strncmp(name, "erspan", 6) && name[6] >= '1' && name[6] <= '3' && !name[7]) {
		l->kind = LY_ERSPAN;
		l->arg = name[6] - '0';
		if (l->arg == 2 && arg && !a2)
			l->arg2 = parse_num(arg, 1023, "erspan session");
		else if (l->arg == 3 && arg && !a2 && !strcmp(arg, "o"))
			l->o = 1;
		else if (arg)
			die(2, "erspan: want erspan1, erspan2[:SESSION] or erspan3[:o]");
	} else if (!strcmp(name, "mpls") && arg) {
		l->kind = LY_MPLS;
		parse_ids(arg, l, 0xfffff, "mpls label");
		if (a2 && strcmp(a2, "pw"))
			die(2, "mpls: want mpls:LABEL[.LABEL...][:pw]");
		l->pw = !!a2;
	} else {
		die(2, "encap: unknown layer '%s' (vlan:ID[.ID] ip4 ip6 vxlan:VNI geneve:VNI "
		    "gre[:key=K][:seq=S][:csum] eth erspan1..3 mpls:L[.L][:pw])", name);
	}
}

/* Layers separated by @sep from @v (NULL: the rest of the line). */
static void parse_encap(struct encap *e, char *v, const char *sep, char **save)
{
	char *tok;

	e->n = 0;
	for (tok = strtok_r(v, sep, save); tok; tok = strtok_r(NULL, sep, save)) {
		if (e->n == MAX_LAYERS)
			die(2, "encap: at most %d layers", MAX_LAYERS);
		parse_layer(tok, &e->l[e->n++]);
	}
}

/* The frame's IPv4 ID: its own id=, or the side's next in sending order. */
static uint16_t next_ipid(const struct seg *s)
{
	uint16_t id;

	if (s->f[F_ID] < 0)
		return G.ipid[s->dir]++;
	id = (uint16_t)s->f[F_ID];
	if ((int16_t)(id - G.ipid[s->dir]) >= 0)
		G.ipid[s->dir] = id + 1;
	return id;
}

static void emit_segment(uint64_t ns, struct seg *s)
{
	uint8_t opt[64], pseudo[40], *f = frame + HEADROOM;
	const uint8_t *src = G.addr[s->dir], *dst = G.addr[!s->dir];
	size_t optlen = build_options(s, opt), alen = G.ip6 ? 16 : 4;
	size_t tcp, tcplen = 20 + optlen + s->f[F_LEN], len;
	uint32_t i;

	if (G.ip6) {
		put32(f, 0x60000000 | (uint32_t)s->f[F_DSCP] << 22);
		put16(f + 4, s->f[F_IPLEN] >= 0 ? s->f[F_IPLEN] : (int64_t)tcplen);
		f[6] = 6;			/* next header: TCP */
		f[7] = 64;			/* hop limit */
		memcpy(f + 8, src, 16);
		memcpy(f + 24, dst, 16);
		tcp = 40;
	} else {
		f[0] = 0x40 | (s->f[F_IHL] >= 0 ? s->f[F_IHL] : 5);
		f[1] = (uint8_t)(s->f[F_DSCP] << 2);
		put16(f + 2, s->f[F_IPLEN] >= 0 ? s->f[F_IPLEN] : (int64_t)(20 + tcplen));
		put16(f + 4, next_ipid(s));
		put32(f + 6, 0x40004006);	/* DF, TTL 64, TCP */
		put16(f + 10, 0);
		memcpy(f + 12, src, 4);
		memcpy(f + 16, dst, 4);
		put16(f + 10, csum_fold(csum_add(0, f, 20)));
		tcp = 20;
	}
	put16(f + tcp, G.port[s->dir]);
	put16(f + tcp + 2, G.port[!s->dir]);
	put32(f + tcp + 4, s->f[F_SEQ]);
	put32(f + tcp + 8, s->f[F_ACK] >= 0 ? s->f[F_ACK] : 0);
	f[tcp + 12] = (s->f[F_DOFF] >= 0 ? s->f[F_DOFF] : (int64_t)(20 + optlen) / 4) << 4;
	f[tcp + 13] = s->flags;
	put16(f + tcp + 14, s->f[F_WIN]);
	put32(f + tcp + 16, 0);		/* checksum, urgent pointer */
	memcpy(f + tcp + 20, opt, optlen);
	/* Payload bytes follow the sequence number: a retransmission is identical. */
	for (i = 0; i < s->f[F_LEN]; i++)
		f[tcp + 20 + optlen + i] = 'a' + (uint32_t)(s->f[F_SEQ] + i) % 26;

	/* Pseudo header: addresses, then (v4) 0, proto, length or (v6) length, 0, next header */
	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, src, alen);
	memcpy(pseudo + alen, dst, alen);
	if (G.ip6) {
		put32(pseudo + 32, tcplen);
		pseudo[39] = 6;
	} else {
		pseudo[9] = 6;
		put16(pseudo + 10, tcplen);
	}
	put16(f + tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, G.ip6 ? 40 : 12), f + tcp, tcplen)));
	len = tcp + tcplen;
	encapsulate(&f, &len, s);
	write_frame(ns, f, len, s->f[F_SNAP] ? s->f[F_SNAP] : G.snaplen);
}

static void parse_field(struct seg *s, char *key, char *v)
{
	char *blk, *save = NULL, *sep;
	int i;

	for (i = 0; i < NFIELDS; i++)
		if (!strcmp(key, fields[i].name)) {
			s->f[i] = parse_num(v, fields[i].max, key);
			return;
		}
	if (!strcmp(key, "opts")) {
		s->opts = v;
	} else if (!strcmp(key, "encap")) {
		static struct encap line;
		char *lsave = NULL;

		parse_encap(&line, v, "/", &lsave);
		s->encap = &line;
	} else if (!strcmp(key, "ts")) {
		if (!(sep = strchr(v, ':')))
			die(2, "ts '%s': want TSVAL:TSECR", v);
		*sep = 0;
		s->tsval = parse_num(v, UINT32_MAX, "tsval");
		s->tsecr = parse_num(sep + 1, UINT32_MAX, "tsecr");
		s->have_ts = 1;
	} else if (!strcmp(key, "sack")) {
		for (blk = strtok_r(v, ",", &save); blk; blk = strtok_r(NULL, ",", &save)) {
			if (s->nsack == 4)
				die(2, "sack: at most 4 blocks");
			if (!(sep = strchr(blk, '-')))
				die(2, "sack block '%s': want START-END", blk);
			*sep = 0;
			s->sack[s->nsack][0] = parse_num(blk, UINT32_MAX, "sack start");
			s->sack[s->nsack++][1] = parse_num(sep + 1, UINT32_MAX, "sack end");
		}
	} else {
		die(2, "unknown field '%s'", key);
	}
}

static void parse_segment(char *save)
{
	static const char letters[] = "FSRPAUEC";	/* in bit order */
	struct seg s = { 0 };
	char *tok, *v, *c;
	uint64_t ns;
	int i;

	if (!G.have_flow)
		die(2, "a packet before any 'flow' line");
	ns = next_time(&save);
	tok = strtok_r(NULL, DELIM, &save);
	if (!tok || (strcmp(tok, "A>B") && strcmp(tok, "B>A")))
		die(2, "want direction A>B or B>A, got '%s'", tok ? tok : "");
	s.dir = tok[0] == 'B';
	if (!(tok = strtok_r(NULL, DELIM, &save)))
		die(2, "missing flags");
	for (v = strcmp(tok, ".") ? tok : ""; *v; v++) {
		if (!(c = strchr(letters, *v)))
			die(2, "flag '%c': want letters of SFRPAECU, or '.' for none", *v);
		s.flags |= 1u << (c - letters);
	}
	for (i = 0; i < NFIELDS; i++)
		s.f[i] = fields[i].dflt;
	while ((tok = strtok_r(NULL, DELIM, &save))) {
		if (!(v = strchr(tok, '=')))
			die(2, "field '%s': want KEY=VALUE", tok);
		*v++ = 0;
		parse_field(&s, tok, v);
	}
	/* A scenario states every number it relies on. */
	if (s.f[F_SEQ] < 0)
		die(2, "segment without seq=");
	if (!(s.flags & TCP_ACK) != (s.f[F_ACK] < 0))
		die(2, "ack= goes with the A flag, and the A flag with ack=");
	if (G.ip6 && s.f[F_IHL] >= 0)
		die(2, "ihl= needs IPv4");
	emit_segment(ns, &s);
}

static void parse_hex(char *save)
{
	static uint8_t f[MAX_FRAME];
	uint64_t ns = next_time(&save);
	uint32_t n = 0;
	char *tok, *p;

	while ((tok = strtok_r(NULL, DELIM, &save)))
		for (p = tok; *p; p += 2) {
			unsigned int byte;

			if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
				die(2, "hex: '%s' is not an even run of hex digits", tok);
			if (n == MAX_FRAME)
				die(2, "hex: frame longer than %d bytes", MAX_FRAME);
			sscanf(p, "%2x", &byte);
			f[n++] = byte;
		}
	if (!n)
		die(2, "hex: no bytes");
	write_frame(ns, f, n, G.snaplen);
}

/* ---- pcapng with several interfaces and sections ---- */

static void ng_shb(void)
{
	/* byte-order magic, version 1.0, section length -1 (unknown) */
	write_u32(0x0a0d0d0a), write_u32(28), write_u32(0x1a2b3c4d);
	write_u16(1), write_u16(0), write_u64(~0ULL), write_u32(28);
	G.nifs = 0;
	G.cur = -1;
	G.header_done = 1;
}

/* 10^-N or 2^-N seconds per unit, as if_tsresol's byte says it. */
static void parse_tsresol(struct gif *i, const char *v)
{
	int pow2 = !strncmp(v, "2^-", 3);
	uint64_t e;

	if (!pow2 && strncmp(v, "10^-", 4))
		die(2, "tsresol '%s': want 10^-N or 2^-N", v);
	e = parse_num(v + (pow2 ? 3 : 4), pow2 ? 63 : 19, "tsresol");
	i->have_tsresol = 1;
	i->tsresol = (pow2 ? 0x80 : 0) | e;
	for (i->units = 1; e; e--)
		i->units *= pow2 ? 2 : 10;
}

static void ng_interface(char *arg, char *b, char *save)
{
	static const struct { const char *name; int lt; } links[] = {
		{ "ethernet", LINKTYPE_ETHERNET }, { "raw", LINKTYPE_RAW },
		{ "linux_sll", LINKTYPE_LINUX_SLL },
	};
	struct gif i = { .linktype = -1, .units = 1000000 };
	uint32_t optlen;
	char *v;

	if (!G.pcapng)
		die(2, "interface: needs pcapng (-n)");
	for (size_t k = 0; arg && k < sizeof(links) / sizeof(links[0]); k++)
		if (!strcmp(arg, links[k].name))
			i.linktype = links[k].lt;
	if (i.linktype < 0)
		die(2, "interface: want ethernet, raw or linux_sll, got '%s'", arg ? arg : "");
	for (; b; b = strtok_r(NULL, DELIM, &save)) {
		if (!(v = strchr(b, '=')))
			die(2, "interface: '%s': want KEY=VALUE", b);
		*v++ = 0;
		if (!strcmp(b, "snaplen"))
			i.snaplen = parse_num(v, 262144, "snaplen");
		else if (!strcmp(b, "tsresol"))
			parse_tsresol(&i, v);
		else if (!strcmp(b, "tsoffset"))
			i.tsoffset = *v == '-' ? -(int64_t)parse_num(v + 1, 4000000000u, "tsoffset")
					       : (int64_t)parse_num(v, 4000000000u, "tsoffset");
		else
			die(2, "interface: unknown key '%s'", b);
	}
	if (!G.multi) {
		G.multi = 1;
		ng_shb();
	}
	if (G.nifs == MAX_IFS)
		die(2, "interface: at most %d per section", MAX_IFS);
	optlen = (i.have_tsresol ? 8 : 0) + (i.tsoffset ? 12 : 0);
	optlen += optlen ? 4 : 0;		/* opt_endofopt */
	write_u32(1), write_u32(20 + optlen), write_u16(i.linktype), write_u16(0);
	write_u32(i.snaplen);
	if (i.have_tsresol) {
		uint8_t val[4] = { i.tsresol };

		write_u16(9), write_u16(1), write_out(val, 4);
	}
	if (i.tsoffset)
		write_u16(14), write_u16(8), write_u64((uint64_t)i.tsoffset);
	if (optlen)
		write_u32(0);
	write_u32(20 + optlen);
	G.ifs[G.nifs++] = i;
	if (G.cur < 0) {
		G.cur = 0;
		G.linktype = i.linktype;
	}
}

/* @ns (absolute) in interface @i's units: relative to its offset, rounded. */
static uint64_t ng_stamp(const struct gif *i, uint64_t ns)
{
	__int128 rel = (__int128)ns - (__int128)i->tsoffset * 1000000000;

	if (rel < 0)
		die(2, "a time before the interface's tsoffset");
	return (uint64_t)(rel / 1000000000 * i->units +
			  ((rel % 1000000000) * i->units + 500000000) / 1000000000);
}

static void write_ng_packet(uint64_t ns, const uint8_t *f, uint32_t len, uint32_t snap)
{
	static const uint8_t pad[4];
	const struct gif *i;
	uint32_t cap = len, padded;
	uint64_t ts;

	if (G.cur < 0)
		die(2, "a packet before any interface of this section");
	i = &G.ifs[G.cur];
	if (i->snaplen && cap > i->snaplen)
		cap = i->snaplen;
	if (G.blk == 3 && snap && snap < cap)
		die(2, "snap=: a Simple Packet Block holds min(length, snaplen) bytes");
	if (snap && cap > snap)
		cap = snap;
	padded = (cap + 3) & ~3u;
	ts = ng_stamp(i, ns);
	if (G.blk == 3) {
		if (G.cur)
			die(2, "block spb: Simple Packet Blocks belong to interface 0");
		write_u32(3), write_u32(16 + padded), write_u32(len);
	} else if (G.blk == 2) {
		write_u32(2), write_u32(32 + padded), write_u16(G.cur), write_u16(0);
		write_u32(ts >> 32), write_u32((uint32_t)ts), write_u32(cap), write_u32(len);
	} else {
		write_u32(6), write_u32(32 + padded), write_u32(G.cur);
		write_u32(ts >> 32), write_u32((uint32_t)ts), write_u32(cap), write_u32(len);
	}
	write_out(f, cap);
	write_out(pad, padded - cap);
	write_u32((G.blk == 3 ? 16 : 32) + padded);
}

/* The directives above; 0 if @cmd is none of them. */
static int parse_ng_directive(char *cmd, char *arg, char *b, char *save)
{
	if (!strcmp(cmd, "interface")) {
		ng_interface(arg, b, save);
		return 1;
	}
	if (strcmp(cmd, "on") && strcmp(cmd, "section") && strcmp(cmd, "block") &&
	    strcmp(cmd, "isb") && strcmp(cmd, "custom"))
		return 0;
	if (!G.multi && strcmp(cmd, "section"))
		die(2, "%s: only after an 'interface' line", cmd);
	if (b || (!arg && strcmp(cmd, "section") && strcmp(cmd, "custom")))
		die(2, "%s: want one argument", cmd);
	if (!strcmp(cmd, "on")) {
		G.cur = parse_num(arg, G.nifs ? G.nifs - 1 : 0, "on");
		if (!G.nifs)
			die(2, "on: this section has no interface yet");
		G.linktype = G.ifs[G.cur].linktype;
	} else if (!strcmp(cmd, "section")) {
		if (arg && strcmp(arg, "big") && strcmp(arg, "little"))
			die(2, "section: want big or little, got '%s'", arg);
		if (!G.pcapng)
			die(2, "section: needs pcapng (-n)");
		/* big on a little-endian host, little on a big-endian one: swapped */
		G.swap = arg && (arg[0] == 'b') != (htonl(1) == 1);
		G.multi = 1;
		ng_shb();
	} else if (!strcmp(cmd, "block")) {
		if (strcmp(arg, "epb") && strcmp(arg, "spb") && strcmp(arg, "pb"))
			die(2, "block: want epb, spb or pb, got '%s'", arg);
		G.blk = arg[0] == 's' ? 3 : arg[0] == 'p' ? 2 : 0;
	} else if (!strcmp(cmd, "isb")) {
		uint64_t ts;

		if (G.cur < 0)
			die(2, "isb: this section has no interface yet");
		ts = ng_stamp(&G.ifs[G.cur], G.last_ns);
		/* interface, stamp, isb_ifdrop (code 5), end of options */
		write_u32(5), write_u32(40), write_u32(G.cur), write_u32(ts >> 32);
		write_u32((uint32_t)ts), write_u16(5), write_u16(8);
		write_u64(parse_num(arg, UINT64_MAX, "isb"));
		write_u32(0), write_u32(40);
	} else {
		static const uint8_t data[4] = { 'd', 's', 0, 0 };

		/* Custom Block: PEN 32473 (documentation), 2 bytes, padded */
		write_u32(0xbad), write_u32(20), write_u32(32473), write_out(data, 4);
		write_u32(20);
	}
	return 1;
}

static void parse_line(char *line)
{
	char *save = NULL, *cmd, *arg, *b, *hash = strchr(line, '#');

	if (hash)
		*hash = 0;
	if (!(cmd = strtok_r(line, DELIM, &save)))
		return;
	if (!strcmp(cmd, "t") || !strcmp(cmd, "hex")) {
		if (cmd[0] == 't')
			parse_segment(save);
		else
			parse_hex(save);
		return;
	}
	/* may change between packets, as flow may */
	if (!strcmp(cmd, "encap")) {
		parse_encap(&G.encap, NULL, DELIM, &save);
		return;
	}
	arg = strtok_r(NULL, DELIM, &save);
	b = arg ? strtok_r(NULL, DELIM, &save) : NULL;
	if (!strcmp(cmd, "clockstep")) {
		if (arg)
			die(2, "clockstep takes no argument");
		G.step_back = 1;
	} else if (!strcmp(cmd, "flow")) {
		if (!b || strtok_r(NULL, DELIM, &save))
			die(2, "flow: want A_ADDR:PORT B_ADDR:PORT");
		parse_endpoint(arg, 0);
		parse_endpoint(b, 1);
		G.have_flow = 1;
	} else if (parse_ng_directive(cmd, arg, b, save)) {
		return;
	} else if (strcmp(cmd, "ip6") && strcmp(cmd, "raw") && strcmp(cmd, "vlan") &&
		   strcmp(cmd, "snaplen") && strcmp(cmd, "mss")) {
		die(2, "unknown directive '%s'", cmd);
	} else if (G.header_done) {
		die(2, "'%s' must come before the first packet", cmd);
	} else if (!strcmp(cmd, "ip6") || !strcmp(cmd, "raw")) {
		if (arg)
			die(2, "%s takes no argument", cmd);
		if (cmd[0] == 'r')
			G.linktype = LINKTYPE_RAW;
		else
			G.ip6 = 1;
	} else if (!arg || b) {
		die(2, "%s: want one number", cmd);
	} else if (!strcmp(cmd, "vlan")) {
		G.vlan = parse_num(arg, 4094, cmd);
	} else if (!strcmp(cmd, "snaplen")) {
		G.snaplen = parse_num(arg, 262144, cmd);
	} else {
		G.mss = parse_num(arg, 65535, cmd);
	}
	/* with `ip6`, the flow's ports between the lab's IPv6 addresses */
	if (G.ip6 && G.have_flow) {
		inet_pton(AF_INET6, "2001:2::1", G.addr[0]);
		inet_pton(AF_INET6, "2001:2::2", G.addr[1]);
	}
}

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	int opt;

	G.out = stdout;
	while ((opt = getopt(argc, argv, "hno:")) != -1) {
		if (opt == 'n') {
			G.pcapng = 1;
		} else if (opt == 'o') {
			struct stat st;

			if (!(G.out = fopen(optarg, "wb")))
				die(1, "cannot create %s: %s", optarg, strerror(errno));
			/* a half-written capture is removed, never a device (/dev/null) */
			if (!fstat(fileno(G.out), &st) && S_ISREG(st.st_mode))
				G.out_path = optarg;
		} else {
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: pcapgen [-n] [-o OUT] [SCENARIO]\n"
				"  -n  pcapng instead of pcap; see tests/tools/pcapgen.c for the language\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (argc - optind > 1)
		die(2, "one scenario at most");
	if (optind < argc && !freopen(argv[optind], "r", stdin))
		die(1, "cannot open %s: %s", argv[optind], strerror(errno));
	while (getline(&line, &cap, stdin) != -1) {
		G.lineno++;
		parse_line(line);
	}
	G.lineno = 0;
	free(line);
	if (!G.header_done)
		die(2, "the scenario has no packet");
	if (fflush(G.out) || ferror(G.out) || (G.out != stdout && fclose(G.out)))
		die(1, "write: %s", strerror(errno));
	return 0;
}
