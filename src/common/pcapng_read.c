// SPDX-License-Identifier: GPL-2.0
/*
 * pcapng reader (draft-ietf-opsawg-pcapng): SHB, IDB, EPB, SPB, the
 * obsolete PB, ISB; every other block is skipped whole. Each block is
 * checked before a field of it is read: its length (at least 12, a multiple
 * of 4, at most PCAPNG_RD_MAX_BLOCK, repeated at its end), then its body
 * against the fixed part its type needs, then each option against what is
 * left of the body.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read.h"

#define BT_IDB		0x00000001U
#define BT_PB		0x00000002U	/* obsolete Packet Block */
#define BT_SPB		0x00000003U
#define BT_ISB		0x00000005U
#define BT_EPB		0x00000006U
#define BYTE_ORDER_MAGIC 0x1a2b3c4dU

#define OPT_ENDOFOPT	0
#define IF_TSRESOL	9
#define IF_TSOFFSET	14
#define ISB_IFDROP	5

#define NSEC		1000000000ULL

/* One block being parsed: its body (after type and length, before the trailer). */
struct blk {
	const uint8_t *p;
	uint32_t type, len, body;
};

static __attribute__((format(printf, 2, 3))) int rd_fail(struct pcapng_rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static uint16_t get16(const struct pcapng_rd *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t get32(const struct pcapng_rd *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t get64(const struct pcapng_rd *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return r->swap ? __builtin_bswap64(v) : v;
}

void pcapng_rd_init(struct pcapng_rd *r)
{
	memset(r, 0, sizeof(*r));
}

void pcapng_rd_free(struct pcapng_rd *r)
{
	free(r->ifs);
	r->ifs = NULL;
	r->nifs = r->cap = 0;
}

/*
 * Options: code, length, value padded to 32 bits, up to opt_endofopt or
 * the end of the body. @fn sees each (code, value, length); 0 goes on.
 */
typedef int (*opt_fn)(struct pcapng_rd *r, void *ctx, uint16_t code, const uint8_t *v,
		      uint16_t len);

static int walk_options(struct pcapng_rd *r, const uint8_t *p, uint32_t n, opt_fn fn, void *ctx,
			const char *what)
{
	uint32_t off = 0;

	while (n - off >= 4) {
		uint16_t code = get16(r, p + off), len = get16(r, p + off + 2);
		uint32_t padded = ((uint32_t)len + 3) & ~3U;
		int rc;

		if (code == OPT_ENDOFOPT)
			return 0;
		if (padded > n - off - 4)
			return rd_fail(r, "%s at offset %llu: option %u of %u bytes overruns the block",
				       what, (unsigned long long)r->offset, code, len);
		rc = fn(r, ctx, code, p + off + 4, len);
		if (rc)
			return rc;
		off += 4 + padded;
	}
	return 0;
}

static int idb_option(struct pcapng_rd *r, void *ctx, uint16_t code, const uint8_t *v,
		      uint16_t len)
{
	struct pcapng_if *i = ctx;
	uint8_t e;

	if (code == IF_TSRESOL) {
		if (len != 1)
			return rd_fail(r, "interface at offset %llu: if_tsresol of %u bytes, not 1",
				       (unsigned long long)r->offset, len);
		e = v[0] & 0x7f;
		/* MSB set: 2^-e seconds per unit, else 10^-e; units must fit 64 bits. */
		if ((v[0] & 0x80) ? e > 63 : e > 19)
			return rd_fail(r, "interface at offset %llu: if_tsresol %s%u is too fine",
				       (unsigned long long)r->offset,
				       (v[0] & 0x80) ? "2^-" : "10^-", e);
		i->tsresol = v[0];
		i->units = 1;
		while (e--)
			i->units *= (v[0] & 0x80) ? 2 : 10;
	} else if (code == IF_TSOFFSET) {
		if (len != 8)
			return rd_fail(r, "interface at offset %llu: if_tsoffset of %u bytes, not 8",
				       (unsigned long long)r->offset, len);
		i->tsoffset_s = (int64_t)get64(r, v);
	}
	return 0;
}

static int read_shb(struct pcapng_rd *r, const struct blk *b)
{
	uint16_t major, minor;

	/* read_block() took the byte order from the magic already. */
	if (b->body < 16)
		return rd_fail(r, "section header at offset %llu: %u bytes, too short",
			       (unsigned long long)r->offset, b->len);
	major = get16(r, b->p + 4);
	minor = get16(r, b->p + 6);
	/* 1.2 exists in the wild (old Wireshark) and reads as 1.0. */
	if (major != 1 || (minor != 0 && minor != 2))
		return rd_fail(r, "section header at offset %llu: pcapng version %u.%u, want 1.0",
			       (unsigned long long)r->offset, major, minor);
	if (!r->nsections)
		r->first_swap = r->swap;
	else if (r->swap != r->first_swap)
		r->mixed_order = true;
	r->nsections++;
	r->in_section = true;
	r->sec_first = r->nifs;		/* the interfaces of earlier sections are gone */
	return PCAPNG_RD_BLOCK;
}

static int read_idb(struct pcapng_rd *r, const struct blk *b)
{
	struct pcapng_if i = { .tsresol = 6, .units = 1000000 };
	int rc;

	if (b->body < 8)
		return rd_fail(r, "interface at offset %llu: %u bytes, too short",
			       (unsigned long long)r->offset, b->len);
	if (r->nifs >= PCAPNG_RD_MAX_IFS)
		return rd_fail(r, "interface at offset %llu: more than %u interfaces",
			       (unsigned long long)r->offset, PCAPNG_RD_MAX_IFS);
	i.section = r->nsections - 1;
	i.local_id = r->nifs - r->sec_first;
	i.linktype = get16(r, b->p);
	i.snaplen = get32(r, b->p + 4);
	rc = walk_options(r, b->p + 8, b->body - 8, idb_option, &i, "interface");
	if (rc)
		return rc;
	if (r->nifs == r->cap) {
		uint32_t cap = r->cap ? 2 * r->cap : 8;
		struct pcapng_if *n = realloc(r->ifs, cap * sizeof(*n));

		if (!n) {
			snprintf(r->err, sizeof(r->err), "out of memory for interfaces");
			return -ENOMEM;
		}
		r->ifs = n;
		r->cap = cap;
	}
	r->ifs[r->nifs++] = i;
	return PCAPNG_RD_IF;
}

/* The section's interface @local, as a file-wide index; -EINVAL if undeclared. */
static int find_if(struct pcapng_rd *r, uint32_t local, const char *what)
{
	uint32_t n = r->nifs - r->sec_first;

	if (local >= n)
		return rd_fail(r, "%s at offset %llu: interface %u, but section %u declares %u",
			       what, (unsigned long long)r->offset, local, r->nsections - 1, n);
	return (int)(r->sec_first + local);
}

/* ts in the interface's units, plus its offset, as ns since the epoch (clamped to 0..2^64-1). */
static uint64_t to_ns(const struct pcapng_if *i, uint64_t ts)
{
	__int128 ns = (__int128)(ts / i->units) * NSEC;

	ns += (unsigned __int128)(ts % i->units) * NSEC / i->units;
	ns += (__int128)i->tsoffset_s * (__int128)NSEC;
	if (ns < 0)
		return 0;
	return ns > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* The caplen a packet may have: at most what the block holds, cut to the snaplen. */
static int packet_data(struct pcapng_rd *r, const struct blk *b, uint32_t hdr, uint32_t caplen,
		       struct pcapng_pkt *pkt, const char *what)
{
	uint32_t snap = r->ifs[pkt->ifid].snaplen;

	if (caplen > b->body - hdr)
		return rd_fail(r, "%s at offset %llu: caplen %u beyond the block's %u bytes of data",
			       what, (unsigned long long)r->offset, caplen, b->body - hdr);
	pkt->data = b->p + hdr;
	pkt->caplen = snap && caplen > snap ? snap : caplen;
	return PCAPNG_RD_PACKET;
}

/* EPB and the obsolete PB: the same but for a 16-bit interface id in the PB. */
static int read_epb(struct pcapng_rd *r, const struct blk *b, struct pcapng_pkt *pkt)
{
	bool pb = b->type == BT_PB;
	const char *what = pb ? "packet block" : "packet";
	uint64_t ts;
	int id;

	if (b->body < 20)
		return rd_fail(r, "%s at offset %llu: %u bytes, too short", what,
			       (unsigned long long)r->offset, b->len);
	id = find_if(r, pb ? get16(r, b->p) : get32(r, b->p), what);
	if (id < 0)
		return id;
	pkt->ifid = (uint32_t)id;
	ts = (uint64_t)get32(r, b->p + 4) << 32 | get32(r, b->p + 8);
	pkt->ts_ns = r->last_ts_ns = to_ns(&r->ifs[id], ts);
	pkt->wirelen = get32(r, b->p + 16);
	return packet_data(r, b, 20, get32(r, b->p + 12), pkt, what);
}

/* SPB: interface 0, no timestamp, caplen = min(original length, snaplen). */
static int read_spb(struct pcapng_rd *r, const struct blk *b, struct pcapng_pkt *pkt)
{
	uint32_t snap;
	int id;

	if (b->body < 4)
		return rd_fail(r, "simple packet at offset %llu: %u bytes, too short",
			       (unsigned long long)r->offset, b->len);
	id = find_if(r, 0, "simple packet");
	if (id < 0)
		return id;
	pkt->ifid = (uint32_t)id;
	pkt->ts_ns = r->last_ts_ns;
	pkt->wirelen = get32(r, b->p);
	snap = r->ifs[id].snaplen;
	return packet_data(r, b, 4, snap && pkt->wirelen > snap ? snap : pkt->wirelen, pkt,
			   "simple packet");
}

static int isb_option(struct pcapng_rd *r, void *ctx, uint16_t code, const uint8_t *v,
		      uint16_t len)
{
	struct pcapng_if *i = ctx;

	if (code == ISB_IFDROP && len == 8) {
		i->ifdrop = get64(r, v);
		i->has_ifdrop = true;
	}
	return 0;
}

/* Statistics only: one that names no interface of the section, or lies, is skipped. */
static int read_isb(struct pcapng_rd *r, const struct blk *b)
{
	struct pcapng_if tmp;
	uint32_t local;

	if (b->body < 12)
		return PCAPNG_RD_BLOCK;
	local = get32(r, b->p);
	if (local >= r->nifs - r->sec_first)
		return PCAPNG_RD_BLOCK;
	tmp = r->ifs[r->sec_first + local];
	if (!walk_options(r, b->p + 12, b->body - 12, isb_option, &tmp, "statistics"))
		r->ifs[r->sec_first + local] = tmp;
	r->err[0] = 0;
	return PCAPNG_RD_BLOCK;
}

/* Type and length of the block at @buf; its byte order first if it is an SHB. */
static int block_header(struct pcapng_rd *r, const uint8_t *buf, size_t len, size_t *need,
			struct blk *b)
{
	uint32_t magic;

	if (len < 12) {
		*need = 12;
		return -EAGAIN;
	}
	memcpy(&b->type, buf, 4);	/* the SHB's type reads the same either way */
	if (b->type == PCAPNG_BT_SHB) {
		memcpy(&magic, buf + 8, 4);
		if (magic == BYTE_ORDER_MAGIC)
			r->swap = false;
		else if (magic == __builtin_bswap32(BYTE_ORDER_MAGIC))
			r->swap = true;
		else
			return rd_fail(r, "section header at offset %llu: bad byte-order magic 0x%08x",
				       (unsigned long long)r->offset, magic);
	} else if (!r->in_section) {
		return rd_fail(r, "block at offset %llu: not a pcapng section header",
			       (unsigned long long)r->offset);
	}
	b->type = get32(r, buf);
	b->len = get32(r, buf + 4);
	if (b->len < 12 || b->len % 4)
		return rd_fail(r, "block at offset %llu: length %u is %s",
			       (unsigned long long)r->offset, b->len,
			       b->len < 12 ? "below 12" : "not a multiple of 4");
	if (b->len > PCAPNG_RD_MAX_BLOCK)
		return rd_fail(r, "block at offset %llu: length %u is beyond the limit of %u",
			       (unsigned long long)r->offset, b->len, PCAPNG_RD_MAX_BLOCK);
	return 0;
}

int pcapng_rd_next(struct pcapng_rd *r, const uint8_t *buf, size_t len, size_t *used,
		   struct pcapng_pkt *pkt)
{
	struct blk b;
	int rc = block_header(r, buf, len, used, &b);

	if (rc)
		return rc;
	if (b.len > len) {
		*used = b.len;
		return -EAGAIN;
	}
	if (get32(r, buf + b.len - 4) != b.len)
		return rd_fail(r, "block at offset %llu: trailing length %u differs from %u",
			       (unsigned long long)r->offset, get32(r, buf + b.len - 4), b.len);
	b.p = buf + 8;
	b.body = b.len - 12;
	switch (b.type) {
	case PCAPNG_BT_SHB:
		rc = read_shb(r, &b);
		break;
	case BT_IDB:
		rc = read_idb(r, &b);
		break;
	case BT_EPB:
	case BT_PB:
		rc = read_epb(r, &b, pkt);
		break;
	case BT_SPB:
		rc = read_spb(r, &b, pkt);
		break;
	case BT_ISB:
		rc = read_isb(r, &b);
		break;
	default:		/* NRB, DSB, custom, anything newer: not ours to read */
		rc = PCAPNG_RD_BLOCK;
	}
	if (rc >= 0) {
		*used = b.len;
		r->offset += b.len;
	}
	return rc;
}

int pcapng_rd_end(struct pcapng_rd *r, const uint8_t *buf, size_t left)
{
	size_t need = 0;
	struct blk b;
	int rc;

	if (!left)
		return 0;
	rc = block_header(r, buf, left, &need, &b);
	if (rc == -EAGAIN)
		return rd_fail(r, "truncated block at offset %llu: %zu bytes, a block header needs 12",
			       (unsigned long long)r->offset, left);
	if (rc)
		return rc;
	return rd_fail(r, "truncated block at offset %llu: its length is %u, the file ends after %zu",
		       (unsigned long long)r->offset, b.len, left);
}
