// SPDX-License-Identifier: GPL-2.0
/*
 * pcapng_read.c against blocks built here byte by byte, in both byte
 * orders: what each block type yields, timestamps in every resolution, and
 * each way a file can lie (lengths, interface ids, caplens, truncation).
 * Every parse runs on a heap copy of exactly the bytes given, so ASan sees
 * any read past them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read.h"
#include "unit.h"

struct buf {
	uint8_t b[4096];
	size_t n;
	bool be;		/* big-endian section */
	size_t start;		/* the block being built */
};

static void put(struct buf *b, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		b->b[b->n++] = v >> (8 * (b->be ? bytes - 1 - i : i));
}

static void put_bytes(struct buf *b, const void *p, size_t len)
{
	memcpy(b->b + b->n, p, len);
	b->n += len;
	while (b->n % 4)
		b->b[b->n++] = 0;
}

static void begin(struct buf *b, uint32_t type)
{
	b->start = b->n;
	put(b, type, 4);
	put(b, 0, 4);
}

/* Total length at both ends. */
static void end(struct buf *b)
{
	size_t at = b->n;
	uint32_t total = b->n - b->start + 4;

	put(b, total, 4);
	b->n = b->start + 4;
	put(b, total, 4);
	b->n = at + 4;
}

static void shb(struct buf *b, bool be)
{
	b->be = be;
	begin(b, PCAPNG_BT_SHB);
	put(b, 0x1A2B3C4D, 4), put(b, 1, 2), put(b, 0, 2), put(b, UINT64_MAX, 8);
	end(b);
}

/* IDB; tsresol < 0: none (microseconds); tsoffset 0: none. */
static void idb(struct buf *b, uint16_t lt, uint32_t snap, int tsresol, int64_t tsoffset)
{
	begin(b, 1);
	put(b, lt, 2), put(b, 0, 2), put(b, snap, 4);
	if (tsresol >= 0) {
		uint8_t v = tsresol;

		put(b, 9, 2), put(b, 1, 2), put_bytes(b, &v, 1);
	}
	if (tsoffset)
		put(b, 14, 2), put(b, 8, 2), put(b, (uint64_t)tsoffset, 8);
	if (tsresol >= 0 || tsoffset)
		put(b, 0, 4);
	end(b);
}

static void epb(struct buf *b, uint32_t ifid, uint64_t ts, uint32_t cap, uint32_t len,
		const void *data, uint32_t have)
{
	begin(b, 6);
	put(b, ifid, 4), put(b, ts >> 32, 4), put(b, (uint32_t)ts, 4);
	put(b, cap, 4), put(b, len, 4);
	put_bytes(b, data, have);
	end(b);
}

static const uint8_t pkt60[60] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0, 0x45 };

struct res {
	int n, nblocks, nifs;
	int rc;				/* the last status */
	size_t off;			/* bytes consumed */
	struct pcapng_pkt p[16];
	struct pcapng_rd r;
};

/* Parse all of @b (from a heap copy of its exact size) until an error or its end. */
static void parse(const struct buf *b, struct res *o)
{
	uint8_t *copy = malloc(b->n ? b->n : 1);
	struct pcapng_pkt pkt;
	size_t used;

	memset(o, 0, sizeof(*o));
	memcpy(copy, b->b, b->n);
	pcapng_rd_init(&o->r);
	while ((o->rc = pcapng_rd_next(&o->r, copy + o->off, b->n - o->off, &used, &pkt)) >= 0) {
		o->off += used;
		o->nblocks++;
		if (o->rc == PCAPNG_RD_IF)
			o->nifs++;
		if (o->rc == PCAPNG_RD_PACKET && o->n < 16) {
			o->p[o->n] = pkt;
			o->p[o->n++].data = NULL;	/* the copy goes away */
		}
	}
	if (o->rc == -EAGAIN && o->off == b->n)
		o->rc = 0;		/* the end, between blocks */
	else if (o->rc == -EAGAIN)
		o->rc = pcapng_rd_end(&o->r, copy + o->off, b->n - o->off);
	free(copy);
}

static void done(struct res *o)
{
	pcapng_rd_free(&o->r);
}

static void test_both_byte_orders(void)
{
	for (int be = 0; be < 2; be++) {
		struct buf b = { 0 };
		struct res o;

		shb(&b, be);
		idb(&b, 1, 0, 9, 0);
		epb(&b, 0, 1700000000123456789ULL, 60, 1514, pkt60, 60);
		parse(&b, &o);
		CHECK(o.rc == 0 && o.n == 1, "be %d: rc %d n %d: %s", be, o.rc, o.n, o.r.err);
		CHECK(o.p[0].ts_ns == 1700000000123456789ULL && o.p[0].caplen == 60 &&
		      o.p[0].wirelen == 1514 && o.p[0].ifid == 0, "be %d: ts %llu cap %u len %u",
		      be, (unsigned long long)o.p[0].ts_ns, o.p[0].caplen, o.p[0].wirelen);
		CHECK(o.r.nifs == 1 && o.r.ifs[0].linktype == 1 && o.r.swap == be,
		      "be %d: ifs %u", be, o.r.nifs);
		done(&o);
	}
}

/* Each section starts its interfaces at 0; ids stay distinct across the file. */
static void test_sections_number_interfaces(void)
{
	struct buf b = { 0 };
	struct res o;

	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	idb(&b, 113, 128, 9, 0);
	epb(&b, 1, 5, 60, 60, pkt60, 60);
	shb(&b, true);
	idb(&b, 101, 96, 9, 0);
	epb(&b, 0, 7, 60, 60, pkt60, 60);
	parse(&b, &o);
	CHECK(o.rc == 0 && o.n == 2 && o.nifs == 3, "rc %d n %d ifs %d: %s", o.rc, o.n, o.nifs,
	      o.r.err);
	CHECK(o.p[0].ifid == 1 && o.p[1].ifid == 2, "ifids %u %u", o.p[0].ifid, o.p[1].ifid);
	CHECK(o.r.ifs[2].section == 1 && o.r.ifs[2].local_id == 0 && o.r.ifs[2].linktype == 101 &&
	      o.r.ifs[2].snaplen == 96, "third interface");
	CHECK(o.r.nsections == 2 && o.r.mixed_order, "sections %u", o.r.nsections);
	done(&o);

	/* Section 1 declares one interface: its packet on interface 1 is refused. */
	b.n = 0;
	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	idb(&b, 1, 0, 9, 0);
	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	epb(&b, 1, 7, 60, 60, pkt60, 60);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && o.n == 0, "rc %d n %d", o.rc, o.n);
	CHECK(strstr(o.r.err, "interface 1, but section 1 declares 1"), "err '%s'", o.r.err);
	done(&o);
}

static uint64_t ts_with(int tsresol, int64_t tsoffset, uint64_t ts, int *rc, char *err)
{
	struct buf b = { 0 };
	struct res o;
	uint64_t ns;

	shb(&b, false);
	idb(&b, 1, 0, tsresol, tsoffset);
	epb(&b, 0, ts, 60, 60, pkt60, 60);
	parse(&b, &o);
	*rc = o.rc;
	if (err)
		strcpy(err, o.r.err);
	ns = o.n ? o.p[0].ts_ns : 0;
	done(&o);
	return ns;
}

static void test_tsresol_tsoffset(void)
{
	char err[160];
	uint64_t ns;
	int rc;

	ns = ts_with(-1, 0, 1500000, &rc, NULL);		/* no if_tsresol: us */
	CHECK(!rc && ns == 1500000000ULL, "default %llu", (unsigned long long)ns);
	ns = ts_with(3, 0, 2500, &rc, NULL);			/* ms */
	CHECK(!rc && ns == 2500000000ULL, "ms %llu", (unsigned long long)ns);
	ns = ts_with(0x80 | 20, 0, (3ULL << 20) | (1 << 19), &rc, NULL);
	CHECK(!rc && ns == 3500000000ULL, "2^-20 %llu", (unsigned long long)ns);
	/* 1/1024 s is 976562.5 ns: truncated, as Wireshark does */
	ns = ts_with(0x80 | 10, 0, 1, &rc, NULL);
	CHECK(!rc && ns == 976562, "2^-10 %llu", (unsigned long long)ns);
	ns = ts_with(0x80 | 63, 0, UINT64_MAX, &rc, NULL);
	CHECK(!rc && ns == 1999999999ULL, "2^-63 %llu", (unsigned long long)ns);
	ns = ts_with(19, 0, 10000000000000000000ULL, &rc, NULL);
	CHECK(!rc && ns == 1000000000ULL, "10^-19 %llu", (unsigned long long)ns);
	ns = ts_with(9, 100, 5, &rc, NULL);
	CHECK(!rc && ns == 100000000005ULL, "offset +100 %llu", (unsigned long long)ns);
	ns = ts_with(9, -5, 7000000000ULL, &rc, NULL);
	CHECK(!rc && ns == 2000000000ULL, "offset -5 %llu", (unsigned long long)ns);
	ns = ts_with(9, -5, 1, &rc, NULL);
	CHECK(!rc && ns == 0, "before the epoch: 0, got %llu", (unsigned long long)ns);
	ts_with(20, 0, 1, &rc, err);
	CHECK(rc == -EINVAL && strstr(err, "if_tsresol 10^-20 is too fine"), "10^-20: '%s'", err);
	ts_with(0x80 | 64, 0, 1, &rc, err);
	CHECK(rc == -EINVAL && strstr(err, "if_tsresol 2^-64 is too fine"), "2^-64: '%s'", err);
}

static void test_option_lies(void)
{
	struct buf b = { 0 };
	struct res o;

	shb(&b, false);
	begin(&b, 1);
	put(&b, 1, 2), put(&b, 0, 2), put(&b, 0, 4);
	put(&b, 9, 2), put(&b, 2, 2), put(&b, 0x0909, 4);	/* if_tsresol of 2 bytes */
	end(&b);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "if_tsresol of 2 bytes"), "'%s'", o.r.err);
	done(&o);

	b.n = 0;
	shb(&b, false);
	begin(&b, 1);
	put(&b, 1, 2), put(&b, 0, 2), put(&b, 0, 4);
	put(&b, 2, 2), put(&b, 200, 2), put(&b, 0, 4);		/* if_name of 200 bytes in 4 */
	end(&b);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "option 2 of 200 bytes overruns the block"),
	      "'%s'", o.r.err);
	done(&o);
}

static void test_spb_pb_isb_unknown(void)
{
	struct buf b = { 0 };
	struct res o;

	shb(&b, true);
	idb(&b, 1, 64, 9, 0);
	idb(&b, 101, 0, 9, 0);
	epb(&b, 1, 42, 60, 60, pkt60, 60);
	begin(&b, 3);					/* SPB: 100 bytes, snaplen 64 */
	put(&b, 100, 4), put_bytes(&b, pkt60, 60), put(&b, 0, 4);
	end(&b);
	begin(&b, 2);					/* PB on interface 1 */
	put(&b, 1, 2), put(&b, 0, 2), put(&b, 0, 4), put(&b, 77, 4);
	put(&b, 40, 4), put(&b, 40, 4), put_bytes(&b, pkt60, 40);
	end(&b);
	begin(&b, 5);					/* ISB, interface 0, isb_ifdrop 9 */
	put(&b, 0, 4), put(&b, 0, 8), put(&b, 5, 2), put(&b, 8, 2), put(&b, 9, 8), put(&b, 0, 4);
	end(&b);
	begin(&b, 5);					/* ISB for no interface: skipped */
	put(&b, 7, 4), put(&b, 0, 8);
	end(&b);
	begin(&b, 0x40000BAD);				/* custom, and one nobody knows */
	put(&b, 32473, 4);
	end(&b);
	begin(&b, 0x7777);
	end(&b);
	parse(&b, &o);
	CHECK(o.rc == 0 && o.n == 3 && o.nblocks == 10, "rc %d n %d blocks %d: %s", o.rc, o.n,
	      o.nblocks, o.r.err);
	CHECK(o.p[1].ifid == 0 && o.p[1].caplen == 64 && o.p[1].wirelen == 100 &&
	      o.p[1].ts_ns == 42, "spb: if %u cap %u len %u ts %llu", o.p[1].ifid, o.p[1].caplen,
	      o.p[1].wirelen, (unsigned long long)o.p[1].ts_ns);
	CHECK(o.p[2].ifid == 1 && o.p[2].caplen == 40 && o.p[2].ts_ns == 77, "pb: if %u cap %u",
	      o.p[2].ifid, o.p[2].caplen);
	CHECK(o.r.ifs[0].has_ifdrop && o.r.ifs[0].ifdrop == 9 && !o.r.ifs[1].has_ifdrop,
	      "ifdrop %llu", (unsigned long long)o.r.ifs[0].ifdrop);
	done(&o);

	/* An SPB holds min(original, snaplen) bytes: 100 of them do not fit in 60. */
	b.n = 0;
	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	begin(&b, 3);
	put(&b, 100, 4), put_bytes(&b, pkt60, 60);
	end(&b);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "simple packet at offset 60: caplen 100 beyond"),
	      "'%s'", o.r.err);
	done(&o);

	/* ... and needs an interface 0. */
	b.n = 0;
	shb(&b, false);
	begin(&b, 3);
	put(&b, 4, 4), put_bytes(&b, pkt60, 4);
	end(&b);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "interface 0, but section 0 declares 0"), "'%s'",
	      o.r.err);
	done(&o);
}

static void test_caplen_lies(void)
{
	struct buf b = { 0 };
	struct res o;

	/* caplen beyond the block: refused, nothing read past it */
	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	epb(&b, 0, 1, 4000, 4000, pkt60, 60);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "caplen 4000 beyond the block's 60 bytes"),
	      "'%s'", o.r.err);
	done(&o);

	/* caplen beyond the snaplen (block big enough): cut to it, as libpcap does */
	b.n = 0;
	shb(&b, false);
	idb(&b, 1, 32, 9, 0);
	epb(&b, 0, 1, 60, 60, pkt60, 60);
	parse(&b, &o);
	CHECK(o.rc == 0 && o.n == 1 && o.p[0].caplen == 32 && o.p[0].wirelen == 60,
	      "rc %d cap %u", o.rc, o.p[0].caplen);
	done(&o);

	/* A link type nobody decodes goes through as it is: analyze counts it bad_link. */
	b.n = 0;
	shb(&b, false);
	idb(&b, 4242, 0, 9, 0);
	epb(&b, 0, 1, 60, 60, pkt60, 60);
	parse(&b, &o);
	CHECK(o.rc == 0 && o.n == 1 && o.r.ifs[0].linktype == 4242, "rc %d", o.rc);
	done(&o);
}

static void test_block_lengths(void)
{
	static const struct {
		uint32_t len;
		const char *err;
	} bad[] = {
		{ 13, "length 13 is not a multiple of 4" },
		{ 8, "length 8 is below 12" },
		{ 32U << 20, "length 33554432 is beyond the limit of 16777216" },
	};
	struct buf b = { 0 };
	struct res o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b.n = 0;
		shb(&b, false);
		put(&b, 1, 4), put(&b, bad[i].len, 4), put(&b, 0, 8), put(&b, bad[i].len, 4);
		parse(&b, &o);
		CHECK(o.rc == -EINVAL && strstr(o.r.err, "block at offset 28: ") &&
		      strstr(o.r.err, bad[i].err), "len %u: '%s'", bad[i].len, o.r.err);
		done(&o);
	}
	/* trailing length not the leading one */
	b.n = 0;
	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	b.b[b.n - 4] = 99;
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "trailing length 99 differs from 32"), "'%s'",
	      o.r.err);
	done(&o);
}

static void test_not_pcapng(void)
{
	struct buf b = { 0 };
	struct res o;

	idb(&b, 1, 0, 9, 0);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "not a pcapng section header"), "'%s'", o.r.err);
	done(&o);

	b.n = 0;
	begin(&b, PCAPNG_BT_SHB);
	put(&b, 0x11223344, 4), put(&b, 1, 2), put(&b, 0, 2), put(&b, 0, 8);
	end(&b);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "bad byte-order magic 0x11223344"), "'%s'",
	      o.r.err);
	done(&o);

	b.n = 0;
	begin(&b, PCAPNG_BT_SHB);
	put(&b, 0x1A2B3C4D, 4), put(&b, 2, 2), put(&b, 0, 2), put(&b, 0, 8);
	end(&b);
	parse(&b, &o);
	CHECK(o.rc == -EINVAL && strstr(o.r.err, "pcapng version 2.0"), "'%s'", o.r.err);
	done(&o);
}

/* A block cut anywhere: -EAGAIN while it may come, then a clear "truncated" at the end. */
static void test_truncation(void)
{
	struct buf b = { 0 };
	struct pcapng_rd r;
	struct pcapng_pkt pkt;
	size_t full, used;
	struct res o;
	int rc;

	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	epb(&b, 0, 1, 60, 60, pkt60, 60);
	full = b.n;
	for (size_t cut = 1; cut < full; cut++) {
		b.n = cut;
		parse(&b, &o);
		if (cut == 28 || cut == 60) {		/* between blocks */
			CHECK(o.rc == 0, "cut %zu: rc %d", cut, o.rc);
		} else {
			CHECK(o.rc == -EINVAL && strstr(o.r.err, "truncated block at offset "),
			      "cut %zu: rc %d '%s'", cut, o.rc, o.r.err);
		}
		done(&o);
	}
	b.n = full - 4;
	parse(&b, &o);
	CHECK(strstr(o.r.err, "truncated block at offset 60: its length is 92, the file ends after 88"),
	      "'%s'", o.r.err);
	done(&o);
	b.n = 60 + 5;
	parse(&b, &o);
	CHECK(strstr(o.r.err, "truncated block at offset 60: 5 bytes, a block header needs 12"),
	      "'%s'", o.r.err);
	done(&o);

	/* -EAGAIN says how many bytes the block needs. */
	pcapng_rd_init(&r);
	rc = pcapng_rd_next(&r, b.b, 20, &used, &pkt);
	CHECK(rc == -EAGAIN && used == 28, "rc %d used %zu", rc, used);
	pcapng_rd_free(&r);
}

/* Random damage to a valid file: any status, never a read outside it (ASan). */
static void test_mutations_stay_in_bounds(void)
{
	struct buf b = { 0 }, m;
	struct res o;
	int errors = 0;

	shb(&b, false);
	idb(&b, 1, 64, 0x80 | 20, 3);
	idb(&b, 113, 0, -1, 0);
	epb(&b, 1, 1, 60, 60, pkt60, 60);
	begin(&b, 3);
	put(&b, 60, 4), put_bytes(&b, pkt60, 60);
	end(&b);
	shb(&b, true);
	idb(&b, 101, 0, 9, 0);
	epb(&b, 0, 1, 60, 60, pkt60, 60);
	for (int i = 0; i < 20000; i++) {
		m = b;
		for (int k = 1 + unit_rng() % 4; k; k--)
			m.b[unit_rng() % m.n] = (uint8_t)unit_rng();
		m.n = m.n - unit_rng() % 8;
		parse(&m, &o);
		errors += o.rc < 0;
		CHECK(o.rc >= 0 || (o.r.err[0] && !strchr(o.r.err, '\n')), "error without text");
		for (int k = 0; k < o.n; k++)
			CHECK(o.p[k].ifid < o.r.nifs, "ifid %u of %u", o.p[k].ifid, o.r.nifs);
		done(&o);
	}
	CHECK(errors > 1000, "only %d errors in 20000 damaged files", errors);
}

int main(void)
{
	RUN(test_both_byte_orders);
	RUN(test_sections_number_interfaces);
	RUN(test_tsresol_tsoffset);
	RUN(test_option_lies);
	RUN(test_spb_pb_isb_unknown);
	RUN(test_caplen_lies);
	RUN(test_block_lengths);
	RUN(test_not_pcapng);
	RUN(test_truncation);
	RUN(test_mutations_stay_in_bounds);
	return unit_done();
}
